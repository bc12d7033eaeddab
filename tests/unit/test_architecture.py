"""The core never imports streamlit: every job runs from the command line and tests without a browser."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "dashboard" / "core"


def test_core_does_not_import_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert list(CORE.rglob("*.py")) and offenders == []


DASHBOARD = CORE.parent
# Functions that may be handed the database: the scoped gateway, schema upgrades, the sample loader, and the
# modules' own helpers that pass it on to the gateway.
GATEWAYS = {"access", "db", "sample"}
ENGINE_NAMES = {"eng", "engine"}


def _passes_engine(arg) -> bool:
    if isinstance(arg, ast.Name):
        return arg.id in ENGINE_NAMES
    if isinstance(arg, ast.Call):  # engine(), resources.engine(), _engine()
        f = arg.func
        return (isinstance(f, ast.Name) and f.id in ("engine", "_engine")) or (isinstance(f, ast.Attribute) and f.attr == "engine")
    return False


def test_pages_and_commands_reach_the_database_only_through_the_scoped_gateway():
    """Every read and write of the UI and the CLI goes through dashboard.core.access, which enforces scope."""
    files = [*DASHBOARD.glob("*.py"), *(DASHBOARD / "views").glob("*.py")]
    offenders = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not any(_passes_engine(a) for a in node.args):
                continue
            f = node.func
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
            local = isinstance(f, ast.Name)  # a helper in the same module, itself checked here
            if owner not in GATEWAYS and not local:
                offenders.append(f"{path.relative_to(DASHBOARD)}:{node.lineno} {ast.unparse(f)}")
    assert offenders == []
