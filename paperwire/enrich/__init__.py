"""What a paper is about, computed here for papers whose source gave none: keyphrases, an extractive summary, and the optional summariser hook."""
