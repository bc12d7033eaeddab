"""The core never imports streamlit: every job runs from the command line and tests without a browser."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "dashboard" / "core"


def test_core_does_not_import_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "streamlit"]
    assert list(CORE.rglob("*.py")) and offenders == []


DASHBOARD = CORE.parent
# Functions that may be handed the database: the scoped gateway, schema upgrades, the sample loaders (run by an
# admin only), and the
# modules' own helpers that pass it on to the gateway.
GATEWAYS = {"access", "db", "sample", "enterprise_sample"}
ENGINE_NAMES = {"eng", "engine"}


def _passes_engine(arg) -> bool:
    if isinstance(arg, ast.Name):
        return arg.id in ENGINE_NAMES
    if isinstance(arg, ast.Call):  # engine(), resources.engine(), _engine()
        f = arg.func
        return (isinstance(f, ast.Name) and f.id in ("engine", "_engine")) or (
            isinstance(f, ast.Attribute) and f.attr == "engine"
        )
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


# Imports go one way: the pages and the command line over the gateway (access), over the systems, over storage,
# over geography and the shared modules. Two systems on one level do not import each other.
LAYERS = {
    "dashboard.core.messages": 0,
    "dashboard.core.text": 0,
    "dashboard.core.export": 0.5,  # writes files with text.printable
    "dashboard.core.geo": 1,
    "dashboard.core.storage": 2,
    "dashboard.core.intake": 3,
    "dashboard.core.recommender": 4,
    "dashboard.core.reports": 4,
    "dashboard.core.access": 5,
}


def _part(module: str) -> str | None:
    """The layer a dotted module name belongs to (the longest prefix in LAYERS), None outside the core."""
    hits = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return max(hits, key=len) if hits else None


def _imported(source: str, here: str) -> list[tuple[int, str]]:
    """Every module ``source`` (the module ``here``) imports, anywhere in it, function-level imports too."""
    package = here.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]  # "from pkg import module" names a module
    return found


def _upward(source: str, here: str) -> list[str]:
    """The imports of module ``here`` that point at its own layer's peers or above."""
    mine = _part(here)
    if mine is None:  # dashboard/core/__init__.py: documentation only
        return []
    bad = []
    for line, name in _imported(source, here):
        if not name.startswith("dashboard"):
            continue
        theirs = _part(name)
        if theirs is None:
            bad.append(f"{here}:{line} imports {name} (outside the core)")
        elif theirs != mine and LAYERS[theirs] >= LAYERS[mine]:
            bad.append(f"{here}:{line} imports {name} ({theirs} is not below {mine})")
    return bad


def test_the_core_imports_only_downwards():
    offenders = []
    for path in CORE.rglob("*.py"):
        here = ".".join(path.relative_to(DASHBOARD.parent).with_suffix("").parts)
        offenders += _upward(path.read_text(encoding="utf-8"), here)
    assert offenders == []


def test_the_direction_check_reports_upward_and_sideways_imports():
    source = "from dashboard.core.access import gateway\nfrom . import db\n\ndef f():\n    from ..reports import kpi\n"
    assert _upward(source, "dashboard.core.storage.audit") == [
        "dashboard.core.storage.audit:1 imports dashboard.core.access.gateway (dashboard.core.access is not below "
        "dashboard.core.storage)",
        "dashboard.core.storage.audit:5 imports dashboard.core.reports.kpi (dashboard.core.reports is not below "
        "dashboard.core.storage)",
    ]
    sideways = _upward("from dashboard.core.reports import kpi\n", "dashboard.core.recommender.store")
    assert sideways and "is not below" in sideways[0]
    assert _upward(source, "dashboard.core.access.gateway") == []
