"""The README is part of the product: what it says about settings and commands must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from paperwire.cli.app import app
from paperwire.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    rows = set(re.findall(r"^\| `(PAPERWIRE_\w+)` \|", README, re.M))
    assert rows == {s.env for s in SETTINGS}


def test_every_command_is_in_the_command_line_section() -> None:
    listed = set(re.findall(r"^paperwire (\w[\w-]*)", README, re.M))
    group = get_command(app)
    commands = set(group.commands)  # type: ignore[attr-defined]  # a click Group
    assert commands <= listed, commands - listed
