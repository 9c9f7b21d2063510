"""Search: the derived index (``index``), BM25 (``lexical``), the query language (``query``), embeddings
(``embedder``, ``vectors``), their fusion (``fusion``), the one ``search()`` every surface calls
(``service``), similar papers (``similar``) and the relevance harness (``evaluation``)."""
