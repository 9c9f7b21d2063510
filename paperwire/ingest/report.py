"""What an ingest run did: counts, and each rejected record with where and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """A record (or a whole response) that could not be used."""

    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"


@dataclass
class IngestReport:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failure: str | None = None

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        return not self.rejected and self.failure is None

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected"
        )
        if self.failure:
            line += f"; stopped: {self.failure}"
        return line
