"""Authors: name forms and slugs, the author index, who a page is about, claimed authorship."""
