"""A local OAI-PMH endpoint replaying the bundled recordings, for the demo's example intake source.

``ListRecords`` answers with the recorded records whose datestamp is on or after ``from`` (one
page), or ``noRecordsMatch``; anything else is a 404. It listens on 127.0.0.1 only, an address
fetches reach only when ``PAPERWIRE_FETCH_ALLOW_PRIVATE`` allows it: the demo allows ``HOST``.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlparse

FILES = (
    "hepcrawl_listrecords_arXiv_physics-hep-th_2017-12-14.xml",
    "hepcrawl_listrecords_arXiv_physics-hep-ex_2017-12-14.xml",
)
HOST = "127.0.0.1"
_RECORD = re.compile(r"<record>.*?</record>", re.DOTALL)
_DATESTAMP = re.compile(r"<datestamp>([^<]*)</datestamp>")
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'


def recorded_records() -> list[tuple[str, str]]:
    """(datestamp, record XML) of every bundled record."""
    out = []
    for name in FILES:
        text = resources.files("paperwire.demo").joinpath("data", name).read_text("utf-8")
        for xml in _RECORD.findall(text):
            stamp = _DATESTAMP.search(xml)
            out.append((stamp.group(1) if stamp else "", xml))
    return sorted(out)


def list_records(date_from: str) -> bytes:
    chosen = [xml for stamp, xml in recorded_records() if stamp >= date_from]
    if not chosen:
        body = '<error code="noRecordsMatch">no records on or after that date</error>\n'
    else:
        body = "<ListRecords>\n" + "\n".join(chosen) + "\n<resumptionToken/></ListRecords>\n"
    return (_HEAD + body + "</OAI-PMH>\n").encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path != "/oai" or query.get("verb") != ["ListRecords"]:
            self.send_error(404)
            return
        body = list_records(query.get("from", [""])[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start() -> tuple[str, ThreadingHTTPServer]:
    """Serve the recordings on a free local port in a daemon thread; returns the endpoint URL."""
    server = ThreadingHTTPServer((HOST, 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="demo-oai").start()
    return f"http://{HOST}:{server.server_address[1]}/oai", server


def source_table(endpoint: str) -> str:
    """The demo's ``[[sources]]`` table, pointing at ``endpoint``."""
    return (
        "# The demo's example source: a local replay of recorded arXiv OAI-PMH responses.\n"
        '# A real one: base_url left out (arXiv\'s endpoint), set = "cs", since = a recent date.\n'
        "[[sources]]\n"
        'name = "demo-hep"\n'
        'kind = "oai"\n'
        f'base_url = "{endpoint}"\n'
        'set = "physics:hep-th"\n'
        'since = "2017-12-01"\n'
        'every = "6h"\n'
        'min_interval = "0.5s"\n'
        'list = "match"\n'
        'match = ["cat:hep-th", "cat:hep-ex"]\n'
        "max_per_day = 5\n"
    )
