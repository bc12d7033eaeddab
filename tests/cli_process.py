"""Run ``python -m dashboard ARGS`` as a process of its own, without paying for the interpreter's imports each time.

Every command used to start a fresh interpreter that imports pandas, scikit-learn and the rest (3-4 s of CPU), for
about a hundred commands a run. Here a small server (this file run as a script) imports ``dashboard.cli`` once per
test process, before it has run anything (no threads, no OpenMP pool), and forks a child per command. The child is
a process of its own: the command's environment, working directory, stdin, stdout and stderr (files, read back as
text), ``dashboard/__main__.py`` run as ``-m`` runs it, and its exit status or the signal that ended it. Nothing one
command does in memory reaches the next. What a child does not exercise is a fresh interpreter's start:
:func:`run` with ``fresh=True`` starts one, and each command-line test file keeps a command that way.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import runpy
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_server: subprocess.Popen[bytes] | None = None
_pending = b""  # what the server said that is not yet read as an answer
_one_at_a_time = threading.Lock()


def _child(request: dict) -> int:
    """In the forked child: become ``python -m dashboard ARGS`` with the request's streams, environment and
    directory; the exit status Python would give."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    for fd, name, flags in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY), (2, "stderr", os.O_WRONLY)):
        opened = os.open(request[name], flags)
        os.dup2(opened, fd)
        os.close(opened)
    encoding = locale.getpreferredencoding(False)
    sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115 - the process's own streams
    sys.stdout = open(1, "w", encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.argv = ["-m", *request["args"]]  # run_module puts dashboard/__main__.py's path first, as `-m` does
    status = 0
    try:
        runpy.run_module("dashboard", run_name="__main__", alter_sys=True)
    except SystemExit as end:  # what the interpreter makes of it
        if end.code is None:
            status = 0
        elif isinstance(end.code, int):
            status = end.code
        else:
            print(end.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    return status


def _serve() -> None:
    """The server: one JSON request a line on stdin; answers the child's pid, then its exit status."""
    import dashboard.cli  # noqa: F401 - the point: imported once, before any fork

    requests, answers = sys.stdin, sys.stdout
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                os._exit(code)
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n")
        answers.flush()


def _started() -> subprocess.Popen[bytes]:
    global _server, _pending
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, __file__], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        _pending = b""
        atexit.register(_stop, _server)
    return _server


def _stop(server: subprocess.Popen[bytes]) -> None:
    """At exit: the server ends when its stdin closes; wait for it (no orphan left behind)."""
    assert server.stdin is not None
    with contextlib.suppress(OSError):
        server.stdin.close()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _answer(server: subprocess.Popen[bytes], timeout: float | None) -> dict:
    """The server's next answer line, read straight from the pipe (no buffer a select could not see)."""
    global _pending
    assert server.stdout is not None
    while b"\n" not in _pending:
        if timeout is not None and not select.select([server.stdout], [], [], timeout)[0]:
            raise TimeoutError
        chunk = os.read(server.stdout.fileno(), 65536)
        if not chunk:
            raise RuntimeError("the command server stopped")
        _pending += chunk
    line, _pending = _pending.split(b"\n", 1)
    return json.loads(line)


def run(
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    stdin: str | None = None,
    timeout: float = 120,
    fresh: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``python -m dashboard *args`` in its own process, like ``subprocess.run(..., capture_output=True, text=True)``.

    ``env`` is the whole environment (default: this process's); ``stdin`` the text on its standard input (default:
    none, as from ``/dev/null``). ``fresh=True`` starts a new interpreter instead of forking the imported one.
    """
    argv = [sys.executable, "-m", "dashboard", *args]
    environment = dict(os.environ if env is None else env)
    if fresh:
        return subprocess.run(
            argv,
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
        )
    encoding = locale.getpreferredencoding(False)
    with tempfile.TemporaryDirectory(prefix="cli-") as tmp, _one_at_a_time:
        streams = {name: Path(tmp) / name for name in ("stdin", "stdout", "stderr")}
        for path in streams.values():
            path.write_text("", encoding=encoding)
        if stdin is None:
            streams["stdin"] = Path(os.devnull)
        else:
            streams["stdin"].write_text(stdin, encoding=encoding)
        server = _started()
        assert server.stdin is not None
        request = {"args": list(args), "env": environment, "cwd": str(cwd)} | {k: str(p) for k, p in streams.items()}
        server.stdin.write(json.dumps(request).encode() + b"\n")
        server.stdin.flush()
        pid = _answer(server, None)["pid"]
        try:
            status = _answer(server, timeout)["status"]
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            _answer(server, None)
            raise subprocess.TimeoutExpired(argv, timeout) from None
        out, err = (streams[name].read_text(encoding=encoding) for name in ("stdout", "stderr"))
    return subprocess.CompletedProcess(argv, status, out, err)


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # as `python -m dashboard` run from the repository sees it (not tests/)
    _serve()
