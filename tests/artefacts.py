"""Expensive test inputs (a sample database, models trained on it) built once and reused while the code is the same.

An artefact is a directory that a build function fills. It is kept under ``.pytest-artefacts/NAME-KEY/`` (or
``$OUTREACH_TEST_ARTEFACTS``), where KEY is a digest of everything the build can read: every file under
``dashboard/`` and ``data/``, the requirements, the Python version and every installed package's version, this file,
and the file that defines the build. Any change to them gives a new key, so a test never runs on an artefact the
current code would not build. A file edited while an artefact builds changes the key under it: that build is used
once and not kept. The two most recently used keys of each name are kept, older ones removed.

One process builds an entry while holding its lock (``fcntl``), the others wait for it; an entry appears under its
final name only once complete (built in a scratch directory, then renamed). Tests get a copy (:func:`copy`), never
the entry itself. A test worker that would wait first builds another artefact this run's tests need that nobody is
building yet (:func:`declare` says which fixture needs which artefact), so two workers starting on the app tests
build the app's and the browser tests' databases side by side instead of one idling.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import inspect
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("OUTREACH_TEST_ARTEFACTS") or ROOT / ".pytest-artefacts")
SOURCES = ("dashboard", "data", "requirements.txt", "requirements-dev.txt")
KEEP = 2  # entries of each name kept: the most recently used

Build = Callable[[Path], None]
_installed: str | None = None
_declared: dict[str, tuple[Build, str]] = {}  # name: (build, the fixture that copies it)
_wanted: set[str] = set()  # the declared artefacts whose fixture a collected test uses


def declare(name: str, build: Build, fixture: str) -> None:
    """Say that ``fixture`` copies artefact ``name`` made by ``build``, so a worker with nothing better to do while
    another builds can build it for the run's tests that use ``fixture``."""
    _declared[name] = (build, fixture)


def want(fixtures: set[str]) -> None:
    """The fixtures the collected tests use (tests/conftest.py, after collection): their artefacts are wanted."""
    _wanted.update(name for name, (_, fixture) in _declared.items() if fixture in fixtures)


def _packages() -> str:
    """The Python version and every installed package's version (read once per process)."""
    global _installed
    if _installed is None:
        found = sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()})
        _installed = "\n".join([sys.version, *found])
    return _installed


def key(name: str, build: Build) -> str:
    """What an entry is stored under: the code, data and packages it is built from, its name, and its build's file
    (read afresh at each call: a file edited since gives another key)."""
    digest = hashlib.sha256(f"{_packages()}\n{name}\n{build.__qualname__}\n".encode())
    files = [Path(__file__), Path(inspect.getfile(build)).resolve()]
    for source in SOURCES:
        top = ROOT / source
        files += sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
    for path in files:
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\n".encode())
        with contextlib.suppress(FileNotFoundError):  # a file deleted meanwhile counts as absent
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


@contextlib.contextmanager
def _lock(entry: Path, wait: bool = True) -> Iterator[bool]:
    """Hold ``entry``'s lock (a file beside it) exclusively; without ``wait``, yield False if another holds it."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(entry.with_name(entry.name + ".lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ready(entry: Path) -> bool:
    if entry.is_dir():
        os.utime(entry)  # used now: pruning goes by it
        return True
    return False


def _prune(name: str) -> None:
    """Remove the entries of ``name`` other than the :data:`KEEP` most recently used (none that a process holds)."""
    entries = sorted((e for e in CACHE.glob(f"{name}-*") if e.is_dir()), key=lambda e: e.stat().st_mtime)
    for old in entries[:-KEEP]:
        with _lock(old, wait=False) as mine:
            if mine:
                shutil.rmtree(old, ignore_errors=True)
                old.with_name(old.name + ".lock").unlink(missing_ok=True)


def _build(name: str, build: Build, entry: Path, to: Path | None) -> bool:
    """Build ``entry`` (holding its lock): True once stored. If the code changed while it built, the result is copied
    to ``to`` (it was built from the code this run imported) and not kept under either key: False."""
    scratch = CACHE / f".{entry.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    scratch.mkdir()
    try:
        build(scratch)
        if key(name, build) == entry.name.removeprefix(f"{name}-"):
            scratch.rename(entry)
            return True
        if to is not None:
            shutil.copytree(scratch, to, dirs_exist_ok=True)
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _help(busy: str) -> None:
    """While another process builds ``busy``: build each wanted artefact that is neither stored nor being built."""
    for name in sorted(_wanted - {busy}):
        build = _declared[name][0]
        entry = CACHE / f"{name}-{key(name, build)}"
        if entry.is_dir():
            continue
        with _lock(entry, wait=False) as mine:
            if mine and not entry.is_dir() and _build(name, build, entry, None):
                _prune(name)


def copy(name: str, build: Build, to: Path) -> Path:
    """A private copy of artefact ``name``, as ``build(directory)`` makes it from the current code, at ``to`` (made
    if missing; tests may change it). The stored entry is built first if there is none, by this process or by
    another one (this one meanwhile builds another wanted artefact, then waits)."""
    entry = CACHE / f"{name}-{key(name, build)}"
    if not _ready(entry):
        with _lock(entry, wait=False) as mine:
            if not mine:
                _help(busy=name)
        with _lock(entry):
            # nobody built it meanwhile (or its builder failed: build it here, and fail here if it fails)
            if not _ready(entry) and not _build(name, build, entry, to):
                return to  # built from code edited meanwhile: copied, not kept
        _prune(name)
    shutil.copytree(entry, to, dirs_exist_ok=True)
    return to


def sample_database(out: Path) -> None:
    """``db.sqlite``: the newest schema and the sample (sites and sessions, ``data/sample.py``); ``load.json``: what
    the import reported (each file's status and problems), for the test that the sample imports clean."""
    import json

    from dashboard.core.storage import db
    from data import sample

    engine = db.make_engine(f"sqlite:///{out / 'db.sqlite'}")
    db.upgrade(engine)
    reports = sample.load(engine)
    engine.dispose()  # closes the connections: the write-ahead log is folded into the file
    said = {"status": [r.status for r in reports], "problems": [str(p) for r in reports for p in r.problems]}
    (out / "load.json").write_text(json.dumps(said, ensure_ascii=False), encoding="utf-8")


def register_database(out: Path) -> None:
    """``db.sqlite``: the sample and the enterprise register with its visits (``data/enterprise_sample.py``), and in
    ``models/`` the visit model trained on them (it reads the register and visits only, not sites or sessions)."""
    from dashboard.core.recommender import visit_store
    from dashboard.core.storage import db
    from data import enterprise_sample

    copy("sample", sample_database, out)
    engine = db.make_engine(f"sqlite:///{out / 'db.sqlite'}")
    enterprise_sample.load(engine)
    visit_store.train(engine, directory=out / "models")
    engine.dispose()
