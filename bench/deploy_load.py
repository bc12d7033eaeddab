"""Load through nginx: bench/street_load.py's street load behind deploy/nginx/outreach.conf, 1 then 2 app processes.

What ``deploy/`` ships, measured as one piece: nginx (Debian's package; this bench installs nothing, it stops if
``nginx`` is missing) renders the site from ``deploy/nginx/outreach.conf`` (:func:`render`: one upstream line per app
process, and, for a local run, a plain listen on a free local port in place of the TLS lines), in front of app
processes started as ``bench/street_load.py`` starts them, on a PostgreSQL database of its own (``--pg``: a server
with trust auth; the database is created and dropped). The 343 street and 16 district accounts are made once and
every one of them connects through nginx's port; nginx's sticky key (the binding cookie) picks the process.

Each run, first with 1 app process and then with 2: a browser-like check (the page through nginx hands out the binding
cookie; a WebSocket carrying an ``Origin`` is let through and its page finishes), then ``street_load.run`` (a
district account alone, then every account switching pages with a think time). Printed side by side: tabs per
process (from nginx's log), page runs, failures (errors on pages, dropped connections, nginx's 5xx), leaks, page
p50/p95, tab openings' p95, the app processes' CPU per page run and their peak memory, nginx's CPU, the most
database connections seen, the machine's load; then the ratio p95(2)/p95(1) and the cores a page a minute per
account needs at the measured CPU per page run. Every process it starts is stopped, whatever happens.

Measured on this 2-core machine, quiet (2026-12-07, ``--minutes 2``, think 60 s, ramp 240 s, load average 1.1 to 1.5):
page p95 0.83 s with 1 process and 0.26 s with 2 (ratio 0.31), tab openings p95 0.66 and 0.25 s, 0.076 and 0.068 s
of app CPU per page run, no failure, no leak; 679 MB and 545 MB peak per app process; at most 7 database
connections; nginx 0.005 cores. The day before, while other engineers' tests kept the load at 7 to 19, the same
bench gave p95 106 s and 81 s and failures (starved CPU). README.md ("Deploying for many users") sizes from these.

Usage::

    python bench/deploy_load.py [--pg postgresql://postgres@127.0.0.1:5432/test] [--minutes 2] [--think 60]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import street_load  # noqa: E402  (bench/street_load.py: the accounts, the app processes and the load)

from dashboard.core.access import web_sessions  # noqa: E402

TEMPLATE = ROOT / "deploy" / "nginx" / "outreach.conf"
DATABASE = "outreach_deploy_load"  # not street_load's own, so both benches can run at once
UPSTREAM_LINE = re.compile(r"^(?P<indent>[ \t]*)server 127\.0\.0\.1:\d+(?P<rest>[^\n]*)\n", re.MULTILINE)
TLS_REGION = re.compile(r"^(?P<indent>[ \t]*)# BEGIN TLS\n(?P<body>.*?)^[ \t]*# END TLS\n", re.MULTILINE | re.DOTALL)


def render(template: str, ports: Sequence[int], listen: str | None = None) -> str:
    """The nginx site of ``template`` for app processes on ``ports`` (127.0.0.1).

    The upstream's ``server 127.0.0.1:PORT`` lines become one line per port (each keeps the first line's
    parameters). With ``listen`` (``host:port``), the TLS regions (``# BEGIN TLS`` … ``# END TLS``) are left out: the
    one that held the TLS ``listen`` lines gets ``listen <listen>;`` instead, any other (the redirect server) nothing.
    """
    if not ports:
        raise ValueError("at least one app port")
    lines = list(UPSTREAM_LINE.finditer(template))
    if not lines:
        raise ValueError("no `server 127.0.0.1:PORT` line in the template's upstream")
    first, last = lines[0], lines[-1]
    if template[first.start() : last.end()] != "".join(m.group(0) for m in lines):
        raise ValueError("the upstream's server lines must stand together")
    upstream = "".join(f"{first['indent']}server 127.0.0.1:{port}{first['rest']}\n" for port in ports)
    site = template[: first.start()] + upstream + template[last.end() :]
    if listen is None:
        return site

    def without_tls(region: re.Match) -> str:  # the region holding `listen ... ssl` lines keeps a plain listen
        ssl_listen = re.search(r"^\s*listen\s[^;]*\bssl\b", region["body"], re.M)
        return f"{region['indent']}listen {listen};\n" if ssl_listen else ""

    return TLS_REGION.sub(without_tls, site)


def nginx_conf(site: str, directory: Path) -> str:
    """A whole nginx.conf around ``site`` that runs as any user from ``directory`` (pid, logs, temporary files)."""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "".join(f"    {kind}_temp_path {directory / kind};\n" for kind in kinds)
    return (
        f"worker_processes auto;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    log_format outreach '$status $upstream_addr $request_uri';\n"
        f"    access_log {directory / 'access.log'} outreach;\n{temp}"
        + "".join(f"    {line}\n" if line else "\n" for line in site.splitlines())
        + "}\n"
    )


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def nginx_test(binary: str, conf: Path) -> subprocess.CompletedProcess:
    """``nginx -t`` on a whole config written by :func:`nginx_conf` (its error log beside it)."""
    args = [binary, "-t", "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def peak_rss_mb(pid: int) -> float:
    """The most resident memory the process has had (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Nginx:
    """nginx in front of the app processes on ``ports``, listening on ``front``; stopped by :meth:`stop`."""

    def __init__(self, binary: str, ports: Sequence[int], front: str, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.conf = directory / "nginx.conf"
        self.conf.write_text(nginx_conf(render(TEMPLATE.read_text(), ports, listen=front), directory))
        checked = nginx_test(binary, self.conf)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the rendered config:\n{checked.stderr}")
        args = [binary, "-p", str(directory), "-c", str(self.conf), "-e", str(directory / "error.log")]
        self.proc = subprocess.Popen([*args, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(150):
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx stopped: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            try:
                if urllib.request.urlopen(f"http://{front}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("nginx did not answer")

    def cpu_seconds(self) -> float:
        return sum(street_load.cpu_seconds(p) for p in [self.proc.pid, *children(self.proc.pid)])

    def log(self) -> list[tuple[str, str, str]]:
        """(status, upstream address, path) of every request nginx has answered."""
        path = self.directory / "access.log"
        rows = [line.split(" ", 2) for line in path.read_text().splitlines()] if path.exists() else []
        return [(r[0], r[1], r[2]) for r in rows if len(r) == 3]

    def stop(self) -> None:
        stop(self.proc)


def browser_check(front: str) -> list[str]:
    """What a browser does first, through nginx: the page with its binding cookie, then the app's WebSocket with an
    ``Origin`` (Streamlit refuses one that does not match the Host nginx passes on) and a page that finishes."""
    problems = []
    with urllib.request.urlopen(f"http://{front}/", timeout=30) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
    bind = next((c.split(";")[0] for c in cookies if c.startswith(web_sessions.BIND_COOKIE + "=")), None)
    if bind is None:
        problems.append("the first page came without the binding cookie (the sticky key)")
        bind = f"{web_sessions.BIND_COOKIE}=browser-check"

    async def tab() -> None:
        import websockets

        account = street_load.Account("browser", "", front, None, "")
        page = street_load.Tab(account)
        page.ws = await websockets.connect(
            f"ws://{front}/_stcore/stream",
            subprotocols=["streamlit"],
            origin=f"http://{front}",
            additional_headers={"Cookie": bind},
            open_timeout=60,
        )
        try:
            await page.page("")  # the sign-in page: no session cookie
        finally:
            await page.close()
        problems.extend(account.errors)

    try:
        asyncio.run(tab())
    except Exception as exc:  # the report says what failed; the load still runs
        problems.append(f"a browser's WebSocket through nginx: {type(exc).__name__}: {exc}")
    return problems


class Connections:
    """The most connections to the bench's database, sampled every second while the load runs."""

    def __init__(self, admin_url: str):
        self.engine = sa.create_engine(admin_url, poolclass=sa.NullPool)
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d")
        while not self._done.wait(1.0):
            try:
                with self.engine.connect() as conn:
                    self.peak = max(self.peak, int(conn.execute(query, {"d": DATABASE}).scalar_one()))
            except sa.exc.SQLAlchemyError:  # a busy server misses a sample, not the run
                continue

    def stop(self) -> int:
        self._done.set()
        self._thread.join(timeout=10)
        self.engine.dispose()
        return self.peak


@dataclasses.dataclass
class Run:
    processes: int
    tabs: list[int]
    page_runs: int
    failures: list[str]
    leaks: int
    p50: float
    p95: float
    first_p95: float
    cpu: float
    wall: float
    cpu_per_run: float
    nginx_cpu: float
    rss_mb: float
    connections: int
    load: tuple[float, float]


def measure(
    n: int, url: str, admin_url: str, models: Path, binary: str, everyone: list[street_load.Account], args, tmp: Path
) -> Run:
    """One run: ``n`` app processes behind nginx, every account's tab through nginx's port."""
    started: list[subprocess.Popen] = []
    nginx = None
    try:
        bases = []
        for _ in range(n):
            proc, base = street_load.serve(url, models)
            started.append(proc)
            bases.append(base)
        ports = [int(b.rsplit(":", 1)[1]) for b in bases]
        front = everyone[0].server
        nginx = Nginx(binary, ports, front, tmp / f"nginx-{n}")
        failures = [f"browser check: {p}" for p in browser_check(front)]
        accounts = [dataclasses.replace(a, times=defaultdict(list), leaks=[], errors=[]) for a in everyone]
        watch = Connections(admin_url)
        load0 = os.getloadavg()[0]
        cpu0, nginx0, wall0 = sum(street_load.cpu_seconds(p.pid) for p in started), nginx.cpu_seconds(), time.time()
        alone = asyncio.run(street_load.run(accounts, args.think, args.minutes, args.ramp))
        cpu = sum(street_load.cpu_seconds(p.pid) for p in started) - cpu0
        nginx_cpu, wall = nginx.cpu_seconds() - nginx0, time.time() - wall0
        load1 = os.getloadavg()[0]
        peak_connections = watch.stop()
        rss = max(peak_rss_mb(p.pid) for p in started)
        log = nginx.log()
    finally:
        if nginx is not None:
            nginx.stop()
        for proc in started:
            stop(proc)
    by_page: dict[str, list[float]] = defaultdict(list)
    for a in accounts:
        for path, values in a.times.items():
            by_page[path].extend(values)
    switches = [v for path, values in by_page.items() if path != "first" for v in values]
    runs = len(switches) + len(by_page["first"]) + sum(len(v) for v in alone.values())  # as street_load counts
    failures += [f"{a.name}: {e}" for a in accounts for e in a.errors]
    failures += [f"nginx {status} {path}" for status, _, path in log if status.startswith("5")]
    tabs = Counter(upstream for _, upstream, path in log if path.startswith("/_stcore/stream"))
    return Run(
        processes=n,
        tabs=[tabs.get(b, 0) for b in bases],
        page_runs=runs,
        failures=failures,
        leaks=sum(len(a.leaks) for a in accounts),
        p50=statistics.median(switches) if switches else float("nan"),
        p95=street_load.p95(switches),
        first_p95=street_load.p95(by_page["first"]),
        cpu=cpu,
        wall=wall,
        cpu_per_run=cpu / max(runs, 1),
        nginx_cpu=nginx_cpu,
        rss_mb=rss,
        connections=peak_connections,
        load=(load0, load1),
    )


def report(results: list[Run], accounts: int, think: float) -> None:
    rows = [
        ("tabs per app process (nginx)", lambda r: " / ".join(str(t) for t in r.tabs)),
        ("page runs", lambda r: f"{r.page_runs}"),
        ("failures", lambda r: f"{len(r.failures)}"),
        ("leaks", lambda r: f"{r.leaks}"),
        ("page switch p50 s", lambda r: f"{r.p50:.2f}"),
        ("page switch p95 s", lambda r: f"{r.p95:.2f}"),
        ("tab opening p95 s", lambda r: f"{r.first_p95:.2f}"),
        ("app CPU s per page run", lambda r: f"{r.cpu_per_run:.3f}"),
        ("app CPU, cores busy", lambda r: f"{r.cpu / r.wall:.2f}"),
        ("nginx CPU s (whole run)", lambda r: f"{r.nginx_cpu:.1f}"),
        ("peak memory per app process MB", lambda r: f"{r.rss_mb:.0f}"),
        ("most database connections", lambda r: f"{r.connections}"),
        ("load average, start -> end", lambda r: f"{r.load[0]:.1f} -> {r.load[1]:.1f}"),
    ]
    heads = [f"{r.processes} process{'es' if r.processes > 1 else ''}" for r in results]
    print(f"\n{'':<34}" + "".join(f"{h:>16}" for h in heads))
    for label, cell in rows:
        print(f"{label:<34}" + "".join(f"{cell(r):>16}" for r in results))
    first, last = results[0], results[-1]
    ratio = last.p95 / first.p95 if first.p95 else float("nan")
    verdict = "no worse" if ratio <= 1.0 else "WORSE"
    print(f"\np95({last.processes}) / p95({first.processes}) = {ratio:.2f}: {verdict} with {last.processes} processes")
    rate = accounts / think
    busy = rate * last.cpu_per_run
    print(
        f"sizing at the measured CPU: {accounts} accounts x 1 page per {think:.0f} s = {rate:.1f} page runs/s x "
        f"{last.cpu_per_run:.3f} s = {busy:.2f} cores busy (nginx: {last.nginx_cpu / last.wall:.3f} cores)"
    )
    for r in results:  # failures by kind: the error without the account's name, the page's message cut short
        kinds = Counter(re.sub(r"^[^:]*: ", "", f, count=1)[:100] for f in r.failures)
        for kind, count in kinds.most_common(10):
            print(f"  [{r.processes} process{'es' if r.processes > 1 else ''}] {count} x {kind}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="a server with trust auth")
    parser.add_argument("--think", type=float, default=60.0, help="mean seconds between one account's pages")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long every account keeps switching")
    parser.add_argument("--ramp", type=float, default=240.0, help="seconds over which the accounts open their tabs")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="app processes of each run")
    args = parser.parse_args()
    binary = nginx_binary()
    if binary is None:
        print("nginx is not installed: apt-get install nginx (Debian's package), then run this again", file=sys.stderr)
        return 2
    # The app processes as the units run them: on 127.0.0.1 only, no training thread (outreach-trainer.service).
    os.environ.update(STREAMLIT_SERVER_ADDRESS="127.0.0.1", OUTREACH_BACKGROUND_TRAINING="0")
    street_load.DATABASE = DATABASE
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped bench still stops what it started
    url = street_load.database(args.pg)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            models = Path(tmp) / "models"
            engine = street_load.build(url, models)
            built_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            with engine.connect() as conn:
                db_mb = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one() / 2**20
            everyone = street_load.make_accounts(engine, [f"127.0.0.1:{free_port()}"])
            engine.dispose()
            for a in everyone:  # each tab with its own binding cookie, as each browser has: nginx's sticky key
                a.token = f"{a.token}; {web_sessions.BIND_COOKIE}=load-{a.name}"
            print(
                f"built, trained and signed in {len(everyone)} accounts in {time.perf_counter() - t0:.0f} s "
                f"(training process peak {built_mb:.0f} MB; database {db_mb:.0f} MB); {os.cpu_count()} cores, "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            for n in args.processes:
                results.append(measure(n, url, args.pg, models, binary, everyone, args, Path(tmp)))
                print(f"{n} process(es): done, page p95 {results[-1].p95:.2f} s", flush=True)
    finally:
        street_load.drop(args.pg)
    report(results, len(everyone), args.think)
    return 1 if any(r.failures or r.leaks for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
