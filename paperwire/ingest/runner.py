"""Store a stream of records in batches, each batch in its own transaction.

Reading and parsing the next batch overlaps with storing the previous one: a single writer
thread commits the batches in order while the caller's thread pulls the next one (the database
driver releases the interpreter lock while it works, so the two really run at once). At most two
batches wait in memory, so memory stays flat whatever the input size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from types import TracebackType

from sqlalchemy import Engine

from paperwire.db.engine import session_scope
from paperwire.errors import SourceError
from paperwire.ingest.report import IngestReport, Rejection
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers

Item = PaperRecord | Rejection
Progress = Callable[[int], None]

DEFAULT_BATCH = 2000


def run_ingest(
    engine: Engine,
    source: str,
    items: Iterable[Item],
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> IngestReport:
    """Consume ``items``; a ``SourceError`` raised mid-stream keeps what came before it."""
    report = IngestReport(source=source)
    with _Writer(engine, report, progress) as writer:
        for batch in _batches(iter(items), batch_size, report, on_rejection):
            writer.submit(batch)
    return report


def _batches(
    iterator: Iterator[Item],
    batch_size: int,
    report: IngestReport,
    on_rejection: Callable[[Rejection], None] | None,
) -> Iterator[list[PaperRecord]]:
    """Lists of up to ``batch_size`` records; rejections go to the report as they come."""
    while True:
        batch: list[PaperRecord] = []
        pulled = 0
        try:
            for item in islice(iterator, batch_size):
                pulled += 1
                if isinstance(item, Rejection):
                    report.rejected.append(item)
                    if on_rejection:
                        on_rejection(item)
                else:
                    batch.append(item)
            exhausted = pulled < batch_size
        except SourceError as exc:
            report.failure = str(exc)
            exhausted = True
        if batch:
            yield batch
        if exhausted:
            return


_DONE: list[PaperRecord] = []


class _Writer:
    """One thread that upserts submitted batches in order; its first error stops the run."""

    def __init__(self, engine: Engine, report: IngestReport, progress: Progress | None) -> None:
        self.engine = engine
        self.report = report
        self.progress = progress
        self.error: BaseException | None = None
        # One batch queued while one is written: the reader never runs far ahead.
        self.queue: queue.Queue[list[PaperRecord]] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, name="paperwire-ingest-writer")

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def submit(self, batch: list[PaperRecord]) -> None:
        while self.error is None:
            try:
                self.queue.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue
        raise self.error

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The writer finishes the batch it holds; the sentinel waits behind any queued one.
        while self.thread.is_alive():
            try:
                self.queue.put(_DONE, timeout=0.2)
                break
            except queue.Full:
                continue
        self.thread.join()
        if exc is None and self.error is not None:
            raise self.error

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            if batch is _DONE:
                return
            if self.error is not None:
                continue
            try:
                with session_scope(self.engine) as session:
                    result = upsert_papers(session, batch)
            except BaseException as exc:  # handed to the reader's thread, which raises it
                self.error = exc
                continue
            report = self.report
            report.added += result.added
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.added_ids.extend(result.added_ids)
            if self.progress:
                self.progress(len(batch))
