"""Placeholder: being written."""

DEFAULT_BASE_URL = ""
FORMATS = ("arXiv", "arXivRaw", "oai_dc")


def read_file(*args, **kwargs):
    raise NotImplementedError


def fetch(*args, **kwargs):
    raise NotImplementedError
