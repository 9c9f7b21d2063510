"""Imports run one way: surfaces (the web site with its API, the CLI, the worker) → services and the
read model → storage → settings and errors. A module that imports a layer above its own fails here,
naming the file and the import."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "paperwire"

# Top-level parts of the package, by layer (higher imports lower, never the reverse).
LAYERS = {
    "errors": 0,
    "config": 0,
    "numbers": 0,  # the rule for whole numbers people write (forms, addresses)
    "db": 1,
    "papers": 2,  # the read model and the daily lists: every other service reads papers through it
    "accounts": 3,
    "authors": 3,
    "community": 3,
    "demo": 3,
    "digests": 3,
    "enrich": 3,
    "exports": 3,
    "feeds": 3,
    "ingest": 3,
    "intake": 3,
    "mail": 3,
    "problems": 3,
    "ratelimit": 3,
    "recommend": 3,
    "search": 3,
    "secret": 3,
    "web": 4,
    "agents": 4,  # the MCP server: a surface beside the web site, served by it and by the CLI
    "worker": 4,
    "cli": 5,  # `paperwire serve` starts the web site, `paperwire worker` the worker
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "paperwire" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "paperwire":
                found += [(node.lineno, f"paperwire.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("paperwire.")]


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts - {"__init__"} == set(LAYERS)


def test_imports_only_run_downwards() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for line, module in _imports(path):
            part = _part(module)
            if part is None or part == own or part not in LAYERS:
                continue
            if LAYERS[part] > LAYERS[own]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not wrong, "imports that run back up:\n" + "\n".join(wrong)


def test_the_rule_catches_an_import_that_runs_back_up(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from paperwire.web.app import create_app\n", encoding="utf-8")
    [(line, name)] = _imports(module)
    assert (line, _part(name)) == (1, "web") and LAYERS["web"] > LAYERS["papers"]
