"""The served web site: the app factory (``app``), uvicorn runner (``server``), routers (``routes/``),
templates and static files. Pages read their data from the service layer (``paperwire.papers``)."""

# Registers the ``paper_id`` URL convertor once, before any router of the package declares a path
# that uses it (Starlette compiles a path when its route is declared).
from paperwire.web import convertors as _convertors  # noqa: F401
