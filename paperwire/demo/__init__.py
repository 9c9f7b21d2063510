"""The demo instance: a bundled corpus of real papers (``data/``), the script that rebuilds it from
``shared/data`` (``build_corpus``), and the loader that turns it into daily lists, members and votes."""
