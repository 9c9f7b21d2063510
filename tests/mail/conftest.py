"""The mail tests' SMTP server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.smtp_sink import SmtpSink, smtp_sink


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpSink]:
    with smtp_sink(tmp_path / "mailbox") as sink:
        yield sink
