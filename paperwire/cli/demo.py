"""``paperwire demo``: a ready instance (SQLite in a temporary or given folder) with the bundled
real papers, demo members and votes, served."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import typer
from sqlalchemy import Engine

from paperwire import secret
from paperwire.cli.context import console
from paperwire.config import Settings, load_settings
from paperwire.db.engine import get_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.demo import recordings
from paperwire.demo.indexing import build_keyword_index, embed_in_background
from paperwire.demo.loader import DEMO_MEMBERS, DEMO_PASSWORD, is_loaded, load_demo
from paperwire.intake import harvest
from paperwire.intake import sources as live
from paperwire.papers.daily import latest_list_date


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def harvest_in_background(cfg: Settings, engine: Engine, every: float = 30.0) -> None:
    """Run the due (or requested) sources every ``every`` seconds in a daemon thread."""

    def loop() -> None:
        while True:
            time.sleep(every)
            for report in harvest.run_due(cfg, engine):
                _say(f"intake: {report.summary()}")

    threading.Thread(target=loop, daemon=True, name="demo-intake").start()


def demo(
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    home: Path | None = typer.Option(
        None, "--home", help="data folder to use (default: a new temporary folder)"
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="prepare the instance, do not serve"),
    seed: int = typer.Option(0, "--seed", help="seed of the demo votes"),
) -> None:
    """A ready instance with bundled real papers, served."""
    started = time.perf_counter()
    folder = (home or Path(tempfile.mkdtemp(prefix="paperwire-demo-"))).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shown_host = "localhost" if host in ("0.0.0.0", "::") else host
    shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host
    url = f"http://{shown_host}:{port}"
    # The demo is its own instance: its folder, its SQLite file, whatever the shell says, and the
    # environment is set too so every part of the process (and any worker) reads the same settings.
    os.environ.update(
        {
            "PAPERWIRE_HOME": str(folder),
            "PAPERWIRE_DATABASE_URL": f"sqlite:///{folder / 'paperwire.db'}",
            "PAPERWIRE_ENV": "development",
            "PAPERWIRE_BASE_URL": url,
        }
    )
    # Its own key too, kept in its folder: a key from the shell (maybe a weak one) is not used.
    key_path = secret.key_file(folder)
    secret.write_key_file(key_path)
    os.environ["PAPERWIRE_SECRET_KEY"] = secret.read_key_file(key_path)
    # An example intake source, replayed from bundled recordings (no network): /admin/sources.
    endpoint, _replay = recordings.start()
    config = folder / "paperwire.toml"
    config.write_text(recordings.source_table(endpoint), encoding="utf-8")
    os.environ["PAPERWIRE_CONFIG"] = str(config)
    # The replay listens on loopback, which fetches reach only when allowed: that address alone.
    os.environ["PAPERWIRE_FETCH_ALLOW_PRIVATE"] = recordings.HOST
    # Submissions look papers up in the same replay: a recorded id is added, any other is told
    # at once, in a sentence, that the demo has no network.
    os.environ["PAPERWIRE_ARXIV_API_URL"] = recordings.arxiv_url(endpoint)
    cfg = secret.resolve(load_settings())
    _say(f"paperwire demo in {folder}")
    engine = get_engine(cfg)
    upgrade(engine)
    if is_loaded(engine, seed=seed):
        _say("demo corpus already loaded")
    else:
        _say(load_demo(engine, seed=seed).text())
    # The bundled lists end on a fixed date: the digest preview takes the day after the latest
    # as today, so it shows that list instead of an empty real "yesterday".
    with session_scope(engine) as session:
        latest = latest_list_date(session)
    if latest is not None:
        os.environ["PAPERWIRE_TODAY"] = (latest + timedelta(days=1)).isoformat()
        cfg = secret.resolve(load_settings())
    # The replay's port changes with each run, so the file's table replaces the stored one.
    with session_scope(engine) as session:
        live.reset_from_file(session, cfg)
    for report in harvest.run_sources(cfg, engine, live.configs(cfg, engine)):
        _say(f"intake: {report.summary()} (see /admin/sources)")
    _say(build_keyword_index(cfg, engine))
    _say(f"ready in {time.perf_counter() - started:.1f} s")
    logins = ", ".join(
        name if role == "member" else f"{name} ({role})" for name, role in DEMO_MEMBERS
    )
    _say(f"sign in at {url}/login as any of {logins} with the password {DEMO_PASSWORD!r}")
    if no_serve:
        _say(f"to serve it: PAPERWIRE_HOME={folder} paperwire serve --port {port}")
        _say(f"to embed the papers for semantic search: PAPERWIRE_HOME={folder} paperwire index")
        return
    from paperwire.web.server import run

    embed_in_background(cfg, engine, _say)
    # The worker's intake round, so "run now" on /admin/sources works in the demo too.
    harvest_in_background(cfg, engine)
    _say(f"serving at {url}/  (Ctrl+C stops)")
    run(cfg, host=host, port=port)
