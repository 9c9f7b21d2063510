"""The served web site: the app factory (``app``), uvicorn runner (``server``), routers (``routes/``),
templates and static files. Pages read their data from the service layer (``paperwire.papers``)."""
