"""The OAI-PMH source: recorded arXiv responses in three formats, and live harvests against a local
server replaying them (paging, Retry-After, OAI-PMH errors, HTML and broken XML), on both databases."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.db.engine import dispose_engines
from paperwire.db.models import DailyEntry, Paper
from paperwire.errors import UsageError
from paperwire.ingest import oai
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import IngestReport, Rejection
from paperwire.ingest.runner import Item, run_ingest
from paperwire.papers.records import PaperRecord
from tests.recording import ALLOW_LOCAL, LOCAL

XML = {"Content-Type": "text/xml; charset=utf-8"}
OAI_DC_FILE = "atomiklabs_listrecords_oai_dc_cs_from2024-01-25.xml"
HEP_TH_FILE = "hepcrawl_listrecords_arXiv_physics-hep-th_2017-12-14.xml"
OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
    'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
    "<responseDate>2024-01-27T17:53:42Z</responseDate>\n"
)


@pytest.fixture
def reply(recording_server: Any) -> Any:
    """The conftest's ``Reply``: test folders each have a ``conftest`` module, so the name
    ``conftest`` is not a stable import; the server's own globals are."""
    return type(recording_server).route.__globals__["Reply"]


def oai_error(code: str, message: str, request: str = 'verb="ListRecords"') -> bytes:
    """A small OAI-PMH error response in the shape every repository sends."""
    return (
        f"{OAI_HEAD}<request {request}>http://export.arxiv.org/oai2</request>\n"
        f'<error code="{code}">{message}</error>\n</OAI-PMH>\n'
    ).encode()


def oai_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "arxiv_oai").glob("*.xml"))


def records(items: list[Item]) -> dict[str, PaperRecord]:
    return {i.id: i for i in items if isinstance(i, PaperRecord)}


def rejections(items: list[Item]) -> list[Rejection]:
    return [i for i in items if isinstance(i, Rejection)]


def fetcher(sleeps: list[float] | None = None) -> Fetcher:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        time.sleep(seconds)

    return Fetcher(
        source="oai", min_interval=0.0, retries=2, backoff=0.01, sleep=sleep, allow_private=LOCAL
    )


def harvest(engine: Engine, url: str, **options: object) -> IngestReport:
    with fetcher() as f:
        return run_ingest(engine, "oai", oai.fetch(f, url, **options))  # type: ignore[arg-type]


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(Paper.id)).scalars())


# --- recorded files ----------------------------------------------------------------------------


def test_every_recording_parses(shared_data: Path) -> None:
    files = oai_files(shared_data)
    assert len(files) == 12
    items = [item for path in files for item in oai.read_file(path)]
    assert rejections(items) == []
    assert len(items) == 20
    # 1412.0200 is recorded twice (two VCR cassettes), so 19 papers.
    assert len(records(items)) == 19
    for rec in records(items).values():
        assert rec.source == "oai"
        assert rec.title and rec.authors and rec.categories and rec.published_at


def test_arxiv_format_fields(shared_data: Path) -> None:
    items = list(oai.read_file(shared_data / "arxiv_oai" / "hepcrawl_getrecord_arXiv_single.xml"))
    rec = records(items)["1401.2122"]
    assert rec.arxiv_id == "1401.2122"
    assert rec.title == "New integrable (3+1)-dimensional systems and contact geometry"
    assert rec.authors == ["A. Sergyeyev"]
    assert rec.categories == ["math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"]
    assert rec.primary_category == "math.AP"
    assert rec.published_at == datetime(2014, 1, 9)
    assert rec.updated_at == datetime(2017, 10, 23)
    assert rec.doi == "10.1007/s11005-017-1013-4"
    assert rec.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert rec.comments == (
        "16 pages, LaTeX, no figures, revised and abridged, in this version (v5) the typos were"
        " fixed (including some that have unfortunately crept into the published version too),"
        " Letters in Mathematical Physics (2017)"
    )
    assert rec.abstract == (
        "We introduce a novel systematic construction for integrable (3+1)-dimensional"
        " dispersionless systems using nonisospectral Lax pairs that involve contact vector"
        " fields.\n\nIn particular, we present new large classes of (3+1)-dimensional integrable"
        " dispersionless systems associated to the Lax pairs which are polynomial and rational"
        " in the spectral parameter."
    )
    assert rec.extras == {
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "msc_class": "37K05 37K10 53D10",
    }
    assert rec.entry is None


def test_old_style_id_and_affiliations(shared_data: Path) -> None:
    path = shared_data / "arxiv_oai" / "inspire_getrecord_arXiv_physics_0112006.xml"
    rec = records(list(oai.read_file(path)))["physics/0112006"]
    assert rec.authors == ["G. Fiorentini", "L. Okun", "M. Vysotsky"]
    assert rec.title == "Is G a conversion factor or a fundamental unit?"
    assert rec.categories == ["physics.class-ph", "physics.gen-ph"]
    assert rec.published_at == datetime(2001, 12, 4) and rec.updated_at is None


def test_oai_dc_fields(shared_data: Path) -> None:
    got = records(list(oai.read_file(shared_data / "arxiv_oai" / OAI_DC_FILE, submit=True)))
    assert list(got) == ["1303.2033", "2401.14034", "2401.14036", "2401.14038", "2401.14040"]
    rec = got["1303.2033"]
    assert rec.title == "Extended Fourier analysis of signals"
    assert rec.authors == ["Vilnis Liepins"]
    # Subject names map back to category codes, the first one being the primary category.
    assert rec.categories == ["cs.DS", "cs.IT", "math.NA"]
    assert rec.comments == "32 pages, 9 figures"
    assert rec.abstract.startswith("This summary of the doctoral thesis is created to emphasize")
    assert rec.abstract.endswith("could be considered as a real alternative.")
    assert rec.published_at == datetime(2013, 3, 8)
    assert rec.updated_at == datetime(2024, 1, 23)
    assert rec.entry is not None
    assert (rec.entry.list_date, rec.entry.source) == (date(2024, 1, 25), "rule")
    assert got["2401.14034"].authors[:2] == ["Chuankun Li", "Shuai Li"]
    assert got["2401.14040"].comments == "Accepted to the Findings of EACL 2024"
    assert got["2401.14038"].links == [
        {"kind": "code", "url": "https://github.com/Regan-Zhang/HaDis"}
    ]


def test_subject_names_and_codes() -> None:
    assert oai.subject_category("Computer Science - Computation and Language") == "cs.CL"
    assert oai.subject_category("High Energy Physics - Theory") == "hep-th"
    assert oai.subject_category("Physics - Optics") == "physics.optics"
    assert oai.subject_category("cs.LG") == "cs.LG"
    assert oai.subject_category("hep-th") == "hep-th"
    assert oai.subject_category("Fourier analysis") is None
    assert oai.subject_category("signal-processing") is None


def arxiv_raw_response(shared_data: Path, ids: list[str]) -> bytes:
    """An arXivRaw ListRecords page built from the real snapshot lines of ``ids`` (no arXivRaw
    recording exists); the elements are those arXiv's arXivRaw.xsd defines."""
    lines = shared_data / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.sample-200.jsonl"
    wanted = {}
    with lines.open() as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in ids:
                wanted[row["id"]] = row
    parts = [f'{OAI_HEAD}<request verb="ListRecords" metadataPrefix="arXivRaw">x</request>']
    parts.append("<ListRecords>")
    for pid in ids:
        row = wanted[pid]
        versions = "".join(
            f'<version version="{v["version"]}"><date>{v["created"]}</date>'
            "<size>100kb</size><source_type>D</source_type></version>"
            for v in reversed(row["versions"])  # out of order on purpose: the highest wins
        )
        optional = "".join(
            f"<{tag}>{escape(row[tag])}</{tag}>"
            for tag in ("comments", "report-no", "journal-ref", "doi", "license")
            if row.get(tag)
        )
        parts.append(
            f"<record><header><identifier>oai:arXiv.org:{pid}</identifier>"
            f"<datestamp>{row['update_date']}</datestamp></header><metadata>"
            '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
            f"<id>{pid}</id><submitter>{escape(row['submitter'])}</submitter>{versions}"
            f"<title>{escape(row['title'])}</title><authors>{escape(row['authors'])}</authors>"
            f"<categories>{row['categories']}</categories>{optional}"
            f"<abstract>{escape(row['abstract'])}</abstract></arXivRaw></metadata></record>"
        )
    parts.append("</ListRecords></OAI-PMH>")
    return "\n".join(parts).encode()


def test_arxiv_raw_format(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "raw.xml"
    path.write_bytes(arxiv_raw_response(shared_data, ["0704.0001", "0704.0008", "0704.0025"]))
    got = records(list(oai.read_file(path, submit=True)))
    first = got["0704.0001"]
    assert first.version == 2
    assert first.published_at == datetime(2007, 4, 2, 19, 18, 42)
    assert first.updated_at == datetime(2007, 7, 24, 20, 10, 27)
    assert first.authors == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.categories == ["hep-ph"]
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.extras == {"report_no": "ANL-HEP-PR-07-12"}
    assert first.entry is not None and first.entry.list_date == date(2008, 11, 26)
    assert got["0704.0008"].version == 3
    assert got["0704.0008"].updated_at == datetime(2008, 7, 1, 18, 54, 28)
    assert got["0704.0025"].authors == ["A. S. Mishchenko", "N. Nagaosa"]


def test_bad_records_are_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    body = (
        f"{OAI_HEAD}<request>x</request><ListRecords>\n"
        '<record><header status="deleted"><identifier>oai:arXiv.org:2401.00001</identifier>'
        "<datestamp>2024-01-25</datestamp></header></record>\n"
        "<record><header><identifier>oai:arXiv.org:not-an-id</identifier></header><metadata>"
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>nonsense</id><title>T</title></arXiv>'
        "</metadata></record>\n"
        "<record><header><identifier>oai:arXiv.org:2401.00003</identifier></header><metadata>"
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00003</id></arXiv>'
        "</metadata></record>\n"
        "<record><header><identifier>oai:arXiv.org:2401.00004</identifier></header><metadata>"
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00004</id><title>Kept</title>'
        "<created>2024-01-02</created></arXiv></metadata></record>\n"
        "</ListRecords></OAI-PMH>\n"
    )
    path = tmp_path / "mixed.xml"
    path.write_text(body)
    items = list(oai.read_file(path))
    assert list(records(items)) == ["2401.00004"]
    assert [str(r) for r in rejections(items)] == [
        f"oai: {path}:6: not an arXiv id: 'nonsense'",
        f"oai: {path}:7: record 2401.00003 has no title",
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            oai_error("badArgument", "Illegal argument"),
            "OAI-PMH error badArgument: Illegal argument",
        ),
        (b"<!DOCTYPE html><html><head><title>Bad Gateway</title></head></html>", "HTML page"),
        (b"<rss><channel/></rss>", "not an OAI-PMH 2.0 response (the document is <rss>)"),
        (b"", "empty response"),
    ],
)
def test_unusable_files_are_rejected_with_the_reason(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    path = tmp_path / "response.xml"
    path.write_bytes(body)
    (rejection,) = list(oai.read_file(path))
    assert isinstance(rejection, Rejection)
    assert rejection.where == str(path) and reason in rejection.reason


def test_recorded_no_records_match_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "none.xml"
    path.write_bytes(oai_error("noRecordsMatch", "empty list"))
    assert list(oai.read_file(path)) == []


def test_malformed_file_keeps_the_records_before_the_break(
    shared_data: Path, tmp_path: Path
) -> None:
    body = (shared_data / "arxiv_oai" / OAI_DC_FILE).read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(body[: body.index(b"<identifier>oai:arXiv.org:2401.14038")])
    items = list(oai.read_file(path))
    assert list(records(items)) == ["1303.2033", "2401.14034", "2401.14036"]
    (rejection,) = rejections(items)
    assert rejection.where == f"{path}:74"
    assert rejection.reason.startswith("malformed XML at line 74: Premature end of data")


def test_missing_file_is_a_rejection(tmp_path: Path) -> None:
    (rejection,) = list(oai.read_file(tmp_path / "absent.xml"))
    assert isinstance(rejection, Rejection) and "cannot read file" in rejection.reason


# --- the database ------------------------------------------------------------------------------


def test_ingest_twice_changes_nothing(engine: Engine, shared_data: Path) -> None:
    def items() -> list[Item]:
        return [i for p in oai_files(shared_data) for i in oai.read_file(p, submit=True)]

    first = run_ingest(engine, "oai", items())
    assert (first.added, first.updated, first.rejected) == (19, 0, [])
    with engine.connect() as conn:
        before = conn.execute(select(Paper.id, Paper.content_hash, Paper.modified_at)).all()
        entries = conn.execute(select(func.count()).select_from(DailyEntry)).scalar_one()
        stored = conn.execute(
            select(Paper.primary_category, Paper.authors, Paper.sources).where(
                Paper.id == "1303.2033"
            )
        ).one()
        dated = conn.execute(
            select(DailyEntry.list_date).where(DailyEntry.paper_id == "physics/0112006")
        ).scalar_one()
    assert entries == 19 and dated == date(2009, 11, 7)
    assert tuple(stored) == ("cs.DS", ["Vilnis Liepins"], ["oai"])

    second = run_ingest(engine, "oai", items())
    assert (second.added, second.updated, second.unchanged) == (0, 0, 19)
    with engine.connect() as conn:
        after = conn.execute(select(Paper.id, Paper.content_hash, Paper.modified_at)).all()
    assert sorted(after) == sorted(before)


# --- live harvests -----------------------------------------------------------------------------


def test_two_page_harvest_follows_the_resumption_token(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    page1 = (shared_data / "arxiv_oai" / OAI_DC_FILE).read_bytes()
    page2 = (shared_data / "arxiv_oai" / HEP_TH_FILE).read_bytes()

    def respond(_path: str, query: dict[str, list[str]]) -> Any:
        if query.get("resumptionToken") == ["6960524|1001"]:
            return reply(200, page2, XML)
        return reply(200, page1, XML)

    recording_server.route("/oai", respond)
    report = harvest(
        engine,
        recording_server.url + "/oai",
        metadata_prefix="oai_dc",
        set_spec="cs",
        date_from=date(2024, 1, 25),
        date_until=date(2024, 1, 26),
    )
    assert report.ok, report.summary()
    assert (report.added, report.rejected) == (8, [])
    assert {"2401.14040", "1412.8323"} <= stored_ids(engine)
    first, second = recording_server.requests
    assert first[1] == {
        "verb": ["ListRecords"],
        "metadataPrefix": ["oai_dc"],
        "set": ["cs"],
        "from": ["2024-01-25"],
        "until": ["2024-01-26"],
    }
    assert second[1] == {"verb": ["ListRecords"], "resumptionToken": ["6960524|1001"]}


def test_503_with_retry_after_then_success(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    recording_server.serve_file("/oai", shared_data / "arxiv_oai" / HEP_TH_FILE, "text/xml")
    recording_server.queue("/oai", reply(503, b"Retry later", {"Retry-After": "1"}))
    sleeps: list[float] = []
    with fetcher(sleeps) as f:
        report = run_ingest(engine, "oai", oai.fetch(f, recording_server.url + "/oai"))
    assert report.ok and report.added == 3
    assert sleeps == [1.0]
    assert len(recording_server.requests) == 2


def test_no_records_match_is_a_clean_empty_harvest(
    engine: Engine, recording_server: Any, reply: Any
) -> None:
    body = oai_error(
        "noRecordsMatch",
        "The combination of the values of the from, until, set and metadataPrefix arguments"
        " results in an empty list.",
    )
    recording_server.route("/oai", lambda _p, _q: reply(200, body, XML))
    report = harvest(engine, recording_server.url + "/oai", date_from=date(2030, 1, 1))
    assert report.ok
    assert (report.added, report.updated, report.unchanged) == (0, 0, 0)
    assert len(recording_server.requests) == 1


def test_bad_resumption_token_keeps_the_first_page(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    page1 = (shared_data / "arxiv_oai" / OAI_DC_FILE).read_bytes()
    expired = oai_error(
        "badResumptionToken", "The value of the resumptionToken argument is invalid or expired."
    )

    def respond(_path: str, query: dict[str, list[str]]) -> Any:
        return reply(200, expired if "resumptionToken" in query else page1, XML)

    recording_server.route("/oai", respond)
    url = recording_server.url + "/oai"
    report = harvest(engine, url, metadata_prefix="oai_dc", set_spec="cs")
    assert report.added == 5
    assert len(stored_ids(engine)) == 5
    assert report.failure is not None
    assert report.failure.startswith(f"oai: {url}?verb=ListRecords&resumptionToken=6960524")
    assert "badResumptionToken: The value of the resumptionToken argument is invalid" in (
        report.failure
    )
    assert not report.ok


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (200, oai_error("cannotDisseminateFormat", "Unknown format"), "cannotDisseminateFormat"),
        (
            200,
            b"<html><head><title>arXiv OAI maintenance</title></head><body>Back soon</body></html>",
            "HTTP 200, an HTML page, not an OAI-PMH response (title: 'arXiv OAI maintenance')",
        ),
        (404, b"<!DOCTYPE html><html><body>Not Found</body></html>", "HTTP 404, an HTML page"),
        (200, OAI_HEAD.encode() + b"<ListRecords><record>", "malformed XML at line 4"),
        (
            200,
            b"<OAI-PMH><error/></OAI-PMH>",
            "not an OAI-PMH 2.0 response (the document is <OAI-PMH>)",
        ),
        (404, b"no such endpoint", "HTTP 404 (malformed XML"),
    ],
)
def test_unusable_responses_stop_with_the_url_and_reason(
    engine: Engine, recording_server: Any, reply: Any, status: int, body: bytes, reason: str
) -> None:
    recording_server.route(
        "/oai", lambda _p, _q: reply(status, body, {"Content-Type": "text/html"})
    )
    report = harvest(engine, recording_server.url + "/oai")
    assert report.failure is not None
    assert report.failure.startswith(f"oai: {recording_server.url}/oai?verb=ListRecords")
    assert reason in report.failure
    assert stored_ids(engine) == set()


def test_malformed_page_keeps_its_whole_records(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    body = (shared_data / "arxiv_oai" / OAI_DC_FILE).read_bytes()
    cut = body[: body.index(b"<identifier>oai:arXiv.org:2401.14038")]
    recording_server.route("/oai", lambda _p, _q: reply(200, cut, XML))
    report = harvest(engine, recording_server.url + "/oai", metadata_prefix="oai_dc")
    assert report.failure is not None and "malformed XML at line 74" in report.failure
    assert stored_ids(engine) == {"1303.2033", "2401.14034", "2401.14036"}


def test_unknown_format_is_a_usage_error() -> None:
    with fetcher() as f, pytest.raises(UsageError, match="marcxml"):
        next(oai.fetch(f, "http://127.0.0.1:9/oai", metadata_prefix="marcxml"))


# --- the command -------------------------------------------------------------------------------


def test_cli_reads_files_and_reports(
    env: dict[str, str], shared_data: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["ingest", "oai"]
    for path in oai_files(shared_data):
        args += ["--file", str(path)]
    try:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "oai: 19 added, 0 updated, 0 unchanged, 0 rejected" in result.stdout

        broken = tmp_path / "broken.xml"
        broken.write_bytes(oai_error("badArgument", "Illegal argument"))
        result = runner.invoke(app, [*args, "--file", str(broken)])
        assert result.exit_code == 1
        assert "oai: 0 added, 0 updated, 19 unchanged, 1 rejected" in result.stdout
        # The console wraps long lines when it is not a terminal.
        shown = " ".join(result.stderr.split())
        assert f"rejected: oai: {broken}: OAI-PMH error badArgument: Illegal argument" in shown
    finally:
        dispose_engines()


def test_cli_base_url_harvest(
    env: dict[str, str], shared_data: Path, recording_server: Any, reply: Any
) -> None:
    page1 = (shared_data / "arxiv_oai" / OAI_DC_FILE).read_bytes()
    expired = oai_error("badResumptionToken", "expired")

    def respond(_path: str, query: dict[str, list[str]]) -> Any:
        return reply(200, expired if "resumptionToken" in query else page1, XML)

    recording_server.route("/oai", respond)
    base = recording_server.url + "/oai"
    args = ["ingest", "oai", "--base-url", base, "--format", "oai_dc", "--set", "cs"]
    try:
        result = CliRunner().invoke(
            app, [*args, "--from", "2024-01-25", "--delay", "0"], env=ALLOW_LOCAL
        )
        assert result.exit_code == 1
        shown = " ".join(result.stdout.split())
        assert "oai: 5 added, 0 updated, 0 unchanged, 0 rejected; stopped: oai: " in shown
        assert "OAI-PMH error badResumptionToken: expired" in shown
        assert recording_server.requests[0][1]["from"] == ["2024-01-25"]
    finally:
        dispose_engines()


# --- resuming a killed harvest -----------------------------------------------------------------

PAGE_FILES = (
    OAI_DC_FILE,  # 5 records, ends with token 6960524|1001
    HEP_TH_FILE,  # 3 records
    "hepcrawl_listrecords_arXiv_physics-hep-ex_2017-12-14.xml",  # 3 records
    "inspire_vcr_listrecords_arXiv_physics_noncore_from2018-03-25.xml",  # 1 record
)
TOKENS = ("6960524|1001", "page-3", "page-4")


def paged_bodies(shared_data: Path) -> list[bytes]:
    """Four real recordings chained into one harvest by resumption tokens (the recordings were
    trimmed, so the tokens of pages 2 and 3 are written in)."""
    bodies = [(shared_data / "arxiv_oai" / name).read_bytes() for name in PAGE_FILES]
    for i, token in enumerate(TOKENS[1:], start=1):
        tag = f'<resumptionToken cursor="{i}">{token}</resumptionToken></ListRecords>'
        bodies[i] = bodies[i].replace(b"</ListRecords>", tag.encode())
    return bodies


def paged_server(server: Any, reply: Any, bodies: list[bytes], broken: set[str]) -> None:
    def respond(_path: str, query: dict[str, list[str]]) -> Any:
        token = query.get("resumptionToken", [""])[0]
        if token in broken:
            return reply(500, b"Internal Server Error", {"Content-Type": "text/plain"})
        if token and token not in TOKENS:
            return reply(200, oai_error("badResumptionToken", f"bad token {token}"), XML)
        return reply(200, bodies[TOKENS.index(token) + 1 if token else 0], XML)

    server.route("/oai", respond)


def rows(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted(
            (r.id, r.content_hash) for r in conn.execute(select(Paper.id, Paper.content_hash))
        )


def test_a_failed_harvest_resumes_from_its_last_stored_page(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    paged_server(recording_server, reply, paged_bodies(shared_data), broken={"page-4"})
    url = recording_server.url + "/oai"
    cursors = oai.HarvestCursors(engine)
    key = oai.cursor_key(url, oai.list_records_params("arXiv"))

    def run() -> IngestReport:
        with fetcher() as f:
            items = oai.fetch(f, url, cursors=cursors, commit_every=2)
            return run_ingest(engine, "oai", items, batch_size=2)

    first = run()
    assert first.failure is not None and "HTTP 500" in first.failure
    assert first.added == 11
    # Page 3's records may not all be committed when page 4 is asked for: page 2's token is
    # the last one the cursor may keep.
    assert cursors.load(key) == "page-3"

    paged_server(recording_server, reply, paged_bodies(shared_data), broken=set())
    recording_server.requests.clear()
    second = run()
    assert second.ok, second.summary()
    assert [q.get("resumptionToken") for _p, q in recording_server.requests] == [
        ["page-3"],
        ["page-4"],
    ]
    assert (second.added, second.unchanged) == (1, 3)
    assert cursors.load(key) is None
    resumed = rows(engine)
    assert len(resumed) == 12

    # An uninterrupted harvest finds nothing to change: the resumed database is the same.
    whole = run()
    assert (whole.added, whole.updated, whole.unchanged) == (0, 0, 12)
    assert rows(engine) == resumed


def test_an_expired_stored_token_starts_over(
    engine: Engine, shared_data: Path, recording_server: Any, reply: Any
) -> None:
    paged_server(recording_server, reply, paged_bodies(shared_data), broken=set())
    url = recording_server.url + "/oai"
    cursors = oai.HarvestCursors(engine)
    key = oai.cursor_key(url, oai.list_records_params("arXiv", "physics"))
    cursors.save(key, "expired-token", 4000)
    with fetcher() as f:
        report = run_ingest(engine, "oai", oai.fetch(f, url, set_spec="physics", cursors=cursors))
    assert report.ok and report.added == 12
    tokens = [q.get("resumptionToken", ["-"])[0] for _p, q in recording_server.requests]
    assert tokens == ["expired-token", "-", *TOKENS]
    assert cursors.load(key) is None


@pytest.mark.slow
def test_cli_harvest_killed_mid_run_then_rerun(
    env: dict[str, str], shared_data: Path, recording_server: Any, reply: Any, tmp_path: Path
) -> None:
    bodies = paged_bodies(shared_data)
    paged_server(recording_server, reply, bodies, broken=set())
    reached, release = threading.Event(), threading.Event()
    answer = recording_server.routes["/oai"]

    def hold_page_3(path: str, query: dict[str, list[str]]) -> Any:
        if query.get("resumptionToken") == ["page-3"] and not release.is_set():
            reached.set()
            release.wait(120)
        return answer(path, query)

    recording_server.route("/oai", hold_page_3)
    command = [
        sys.executable, "-c", "from paperwire.cli import main; main()", "ingest", "oai",
        "--base-url", recording_server.url + "/oai", "--delay", "0",
    ]  # fmt: skip
    env = {**env, **ALLOW_LOCAL}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert reached.wait(120), "the harvest never asked for page 3"
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert "oai: 0 added, 0 updated, 12 unchanged, 0 rejected" in again.stdout
