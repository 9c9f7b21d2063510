"""A local endpoint replaying the bundled recordings, so the demo needs no network: OAI-PMH for its
example intake source, and the arXiv API for submissions.

``/oai?verb=ListRecords`` answers with the recorded records whose datestamp is on or after ``from``
(one page), or ``noRecordsMatch``. ``/arxiv/query?id_list=...`` (the demo's ``arxiv_api_url``)
answers a recorded paper as arXiv's API would, read from its OAI-PMH record, and any other id with
an error entry saying in a plain sentence that the demo has no network (at once: no lookup, no
retry). Anything else is a 404. It listens on 127.0.0.1 only, an address
fetches reach only when ``PAPERWIRE_FETCH_ALLOW_PRIVATE`` allows it: the demo allows ``HOST``.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

from paperwire.ingest import oai
from paperwire.ingest.arxiv_api import OFFLINE_ERROR_ID
from paperwire.papers.records import PaperRecord

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


@functools.cache
def recorded_papers() -> dict[str, PaperRecord]:
    """The recorded papers by arXiv id, read by the OAI-PMH parser the intake source uses."""
    page = oai.Page()
    data = list_records("")
    found = oai.parse_response(io.BytesIO(data), "demo recordings", page, submit=True)
    return {item.id: item for item in found if isinstance(item, PaperRecord)}


NO_NETWORK = (
    "This demo has no network, so it cannot look up {id} on arXiv. It can add the papers of its"
    " bundled recordings ({recorded}); an instance with network access takes any arXiv id."
)


def _atom_entry(record: PaperRecord) -> str:
    def stamp(value: object) -> str:
        return f"{value:%Y-%m-%dT%H:%M:%SZ}" if value else ""

    authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in record.authors)
    cats = "".join(f'<category term="{escape(c)}"/>' for c in record.categories)
    version = f"v{record.version}" if record.version else ""
    return (
        f"<entry><id>http://arxiv.org/abs/{escape(record.id)}{version}</id>"
        f"<published>{stamp(record.published_at)}</published>"
        f"<updated>{stamp(record.updated_at or record.published_at)}</updated>"
        f"<title>{escape(record.title)}</title><summary>{escape(record.abstract)}</summary>"
        f"{authors}{cats}</entry>"
    )


def arxiv_query(id_list: str) -> bytes:
    """The arXiv API's answer for ``id_list`` from the recordings (or the no-network entry)."""
    recorded = recorded_papers()
    entries = []
    for wanted in (i.strip() for i in id_list.split(",") if i.strip()):
        record = recorded.get(re.sub(r"v\d+$", "", wanted))
        if record is not None:
            entries.append(_atom_entry(record))
            continue
        message = NO_NETWORK.format(id=wanted, recorded=", ".join(sorted(recorded)))
        entries.append(
            f"<entry><id>http://arxiv.org/api/errors{OFFLINE_ERROR_ID}</id><title>Error</title>"
            f"<summary>{escape(message)}</summary></entry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        + "".join(entries)
        + "</feed>\n"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/arxiv/query" and query.get("id_list"):
            body, kind = arxiv_query(query["id_list"][0]), "application/atom+xml; charset=utf-8"
        elif url.path == "/oai" and query.get("verb") == ["ListRecords"]:
            body, kind = list_records(query.get("from", [""])[0]), "text/xml; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def arxiv_url(endpoint: str) -> str:
    """The demo's arXiv API address, beside the OAI-PMH ``endpoint`` that ``start`` returns."""
    return endpoint.removesuffix("/oai") + "/arxiv/query"


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
