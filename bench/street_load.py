"""Load test: every street union and every district union signed in at once, on PostgreSQL, behind two app processes.

Builds a PostgreSQL database (``--pg``, a server with trust auth; a database of its own, dropped afterwards) with the
sample, trains the models beforehand (so no request trains), and creates 343 street accounts (one per 街道/地区/镇/乡,
narrowed to that street) and 16 district accounts. Each account is signed in the way a browser stays signed in: a
kept web session and its cookie (the sign-in form itself, argon2 and all, is not what is measured here). Two app
processes (``streamlit run dashboard/server.py``) serve them, each account on one of the two.

Every account then keeps one connection open, as a browser tab does, and switches pages over Streamlit's own
websocket protocol: a page run is timed from the request to the server's "script finished" (the server's work and
the transfer, not the browser's drawing), then the account pauses for a random think time (exponential, mean
``--think`` seconds) before the next page. The accounts start spread over the first ``--ramp`` seconds.

Leaks: every byte a street account receives is searched for the ids of the other streets' sites in its district and
for the other streets' names (as UTF-8 and as JSON escapes); district accounts for other districts' site ids. A
leak is printed with the account, the page and what was found.

Baseline in the same run: one district account alone, five runs of each page, before the load starts; the report
gives each page's 95th percentile under load over that baseline. Target (issue 14): p95 page time < 3 s, no leak.
The app processes' CPU time over the run, per page run, says how many page runs a second the machine can serve.

Measured on this 2-core machine (2026-11-30): ``--minutes 4 --think 300 --ramp 240`` (every account opens its tab
within 4 minutes, then switches a page every 5 minutes on average) p95 0.25 s; a page a minute each (``--think 60
--ramp 240``) p95 0.48 s; with every tab opened within 30 s (``--minutes 2 --think 60 --ramp 30``, 2026-12-06)
tab openings take 8.7 s (median) and every page run's p95 is 17 s (52 s before page runs were held to a few at a time
per process). README.md has the figures.

``--profile DIR`` samples the app processes with py-spy (``pip install py-spy``) while the load runs: where the CPU
goes (threads holding the GIL), or with ``--waits`` what every thread waits for (idle threads included).

Usage::

    python bench/street_load.py [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--think 60] [--minutes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.access import accounts, web_sessions  # noqa: E402
from dashboard.core.access.scope import Scope  # noqa: E402
from dashboard.core.geo import districts, streets  # noqa: E402
from dashboard.core.recommender import store, visit_store  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from dashboard.core.storage.schema import sites  # noqa: E402
from data import enterprise_sample, sample  # noqa: E402

PAGES = ("kpi", "", "plan", "enterprises", "model")  # "" is the map, the landing page
DATABASE = "outreach_street_load"
ADMIN = Scope("system:bench", "admin")


@dataclass
class Account:
    name: str
    token: str
    server: str
    street: str | None  # the street a street account is narrowed to
    district: str
    forbidden: tuple[bytes, ...] = ()  # what this account must never receive
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def database(admin_url: str) -> str:
    """A fresh database of its own on the server (dropped afterwards by :func:`drop`)."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + DATABASE


def drop(admin_url: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    engine.dispose()


def build(url: str, models: Path) -> sa.Engine:
    engine = db.make_engine(url)
    db.upgrade(engine)
    sample.load(engine, user="bench")
    enterprise_sample.load(engine, user="bench")
    store.train(engine, directory=models, estimators=("hgb_poisson",))
    visit_store.train(engine, directory=models)
    return engine


def make_accounts(engine: sa.Engine, servers: list[str]) -> list[Account]:
    """343 street accounts and 16 district accounts, each with a kept sign-in (the cookie's token)."""
    units = streets.table()
    units = units[units["kind"] != "zone"]
    wanted = [(f"st{c}", c, str(d)) for c, d in zip(units["code"], units["district"], strict=True)]
    wanted += [(f"d{d.adcode}", None, d.adcode) for d in districts.DISTRICTS]
    with engine.connect() as conn:
        site_rows = conn.execute(sa.select(sites.c.site_id, sites.c.district, sites.c.street_code)).all()
    out = []
    now = dt.datetime.now(dt.UTC)
    for i, (name, street, district) in enumerate(wanted):
        accounts.add_user(
            engine,
            name,
            "planner",
            None,
            by=ADMIN,
            districts_=[district],
            streets_=[street] if street else [],
            sso_email=f"{name}@load.invalid",  # no password: the kept session below is the sign-in
        )
        _, ticket = web_sessions.open_session(engine, name, "sso", now, bind=f"load-{name}")
        token = web_sessions.redeem(engine, ticket, f"load-{name}")
        assert token is not None
        if street is not None:  # the same district's other streets: their sites and their names
            others = [s for s, d, c in site_rows if d == district and c != street]
            names = [n for c, n in zip(units["code"], units["name"], strict=True) if c[:6] == district and c != street]
            own = streets.name(street) or ""
            names = [n for n in names if n not in own]
        else:
            others = [s for s, d, _ in site_rows if d != district]
            names = []
        forbidden = [s.encode() for s in others]
        forbidden += [n.encode() for n in names] + [json.dumps(n).strip('"').encode() for n in names]
        out.append(Account(name, token, servers[i % len(servers)], street, district, tuple(forbidden)))
    return out


def save_accounts(everyone: list[Account], path: Path) -> None:
    rows = [
        {
            "name": a.name,
            "token": a.token,
            "street": a.street,
            "district": a.district,
            "forbidden": [f.decode() for f in a.forbidden],
        }
        for a in everyone
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows))


def load_accounts(engine: sa.Engine, path: Path, servers: list[str]) -> list[Account]:
    """The kept accounts, each signed in afresh (a kept sign-in ends after 30 idle minutes)."""
    rows = json.loads(path.read_text())
    now = dt.datetime.now(dt.UTC)
    out = []
    for i, r in enumerate(rows):
        _, ticket = web_sessions.open_session(engine, r["name"], "sso", now, bind=f"load-{r['name']}")
        token = web_sessions.redeem(engine, ticket, f"load-{r['name']}")
        assert token is not None
        forbidden = tuple(f.encode() for f in r["forbidden"])
        out.append(Account(r["name"], token, servers[i % len(servers)], r["street"], r["district"], forbidden))
    return out


def serve(url: str, models: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OUTREACH_DB_URL": url, "OUTREACH_MODEL_DIR": str(models), "OUTREACH_SAMPLE": "0"}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/server.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"http://{base}/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not start")


class Tab:
    """One browser tab's connection: ask for a page, wait until the server has run it."""

    def __init__(self, account: Account):
        self.account = account
        self.ws = None

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            f"ws://{self.account.server}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": f"{web_sessions.COOKIE}={self.account.token}"},
            max_size=None,
            open_timeout=60,
        )

    async def page(self, path: str, timeout: float = 120.0) -> float:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = path
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        received = []
        while True:
            data = await asyncio.wait_for(self.ws.recv(), timeout)
            received.append(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "exception":
                    self.account.errors.append(f"/{path}: {element.exception.message[:200]}")
                elif shown == "alert" and element.alert.format == element.alert.ERROR:
                    self.account.errors.append(f"/{path}: {element.alert.body[:200]}")
            if kind == "script_finished" and forward.script_finished in (
                forward.FINISHED_SUCCESSFULLY,
                forward.FINISHED_WITH_COMPILE_ERROR,
            ):
                break
        elapsed = time.perf_counter() - t0
        blob = b"".join(received)
        found = [f.decode(errors="replace") for f in self.account.forbidden if f in blob]
        if found:
            self.account.leaks.append(f"/{path}: {', '.join(found[:5])}")
        return elapsed

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def user(account: Account, start_after: float, until: float, think: float, rng: random.Random) -> None:
    await asyncio.sleep(start_after)
    tab = Tab(account)
    try:
        await tab.open()
        account.times["first"].append(await tab.page(""))  # the tab opens on the landing page
        while time.perf_counter() < until:
            path = rng.choice(PAGES)
            try:
                account.times[path].append(await tab.page(path))
            except TimeoutError:
                account.errors.append(f"no answer within 120 s (/{path})")
            await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, until - time.perf_counter())))
    except Exception as exc:  # a dropped connection is a failure to report, not a crash of the bench
        account.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await tab.close()


async def baseline(account: Account, repeats: int = 5) -> dict[str, list[float]]:
    tab = Tab(account)
    await tab.open()
    times: dict[str, list[float]] = defaultdict(list)
    times["first"].append(await tab.page(""))  # the landing page, every cache of this account cold
    for _ in range(repeats):
        for path in PAGES:
            times[path].append(await tab.page(path))
    await tab.close()
    return times


class CpuTimeline:
    """The app processes' CPU, read every ``step`` seconds while the load runs: a whole run's average hides a burst
    (every tab opening at once) that holds every core while the rest of the run is quiet."""

    def __init__(self, pids: list[int], step: float = 5.0):
        self.pids, self.step, self.cores = pids, step, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        last = sum(cpu_seconds(p) for p in self.pids)
        while not self._stop.wait(self.step):
            now = sum(cpu_seconds(p) for p in self.pids)
            self.cores.append((now - last) / self.step)
            last = now

    def __enter__(self) -> CpuTimeline:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def line(self) -> str:
        return " ".join(f"{c:.1f}" for c in self.cores)


def settle(pids: list[int], limit: float = 120.0) -> float:
    """Wait until the app processes are idle (under 5% of a core for half a second): a server warms its caches as it
    starts (dashboard/server.py), and the first visit is measured on a server that is up, not one still starting.
    Returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(0.5)
        if sum(cpu_seconds(p) for p in pids) - before < 0.025 * len(pids):
            break
    return time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_seconds() -> float:
    """CPU time the machine's PostgreSQL processes (server and backends) have used so far (a backend that exits
    takes its time with it: read while the app's pools hold their connections)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    total += cpu_seconds(int(entry.name))
            except OSError:  # ended meanwhile
                continue
    return total


def own_seconds() -> float:
    """This process's CPU time (the bench's clients: every tab's websocket, the leak search)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def profile(procs: list[subprocess.Popen], folder: Path, waits: bool = False) -> list[subprocess.Popen]:
    """Start py-spy on each app process: collapsed stacks (``--format raw``) of the threads holding the GIL (where
    the CPU goes), or with ``waits`` of every thread, idle ones included, without pausing the process (where the
    time goes: what pages wait for)."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    rate = os.environ.get("PYSPY_RATE", "50")  # samples a second
    what = ["--idle", "--nonblocking", "--rate", "10"] if waits else ["--gil", "--rate", rate]
    return [
        subprocess.Popen(
            [str(spy), "record", "--pid", str(p.pid), *what, "--format", "raw"]
            + ["--output", str(folder / f"app-{i}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i, p in enumerate(procs)
    ]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


async def run(everyone: list[Account], think: float, minutes: float, ramp: float) -> dict[str, list[float]]:
    district_account = next(a for a in everyone if a.street is None and a.district == "110105")
    alone = await baseline(Account("baseline", district_account.token, district_account.server, None, "110105"))
    rng = random.Random(14)
    until = time.perf_counter() + ramp + minutes * 60
    await asyncio.gather(*(user(a, rng.uniform(0, ramp), until, think, random.Random(rng.random())) for a in everyone))
    return alone


async def one_by_one(everyone: list[Account], count: int, pid: int) -> None:
    """Open ``count`` street accounts' tabs one after another on the first app process, each visiting every page
    once (after one account to warm what all scopes share): each page's first visit for a new scope, its time and
    the app's CPU for it, i.e. what a storm costs without its queue."""
    mine = [a for a in everyone if a.street is not None and a.server == everyone[0].server]
    times: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    # a tab kept open throughout, as in a storm: Streamlit forgets the pages' compiled code when its last tab closes
    holder = Tab(mine[-1])
    await holder.open()
    await holder.page("")
    for i, account in enumerate(mine[: count + 1]):
        tab = Tab(account)
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await tab.open()
        if i:
            times["(connect)"].append(time.perf_counter() - t0)
            cpus["(connect)"].append(cpu_seconds(pid) - cpu0)
        for path in PAGES[1:2] + PAGES[:1] + PAGES[2:]:  # the landing page first, then the others
            cpu0 = cpu_seconds(pid)
            elapsed = await tab.page(path)
            if i:  # the first warms the shared caches (every site's figures and outlook)
                times[path].append(elapsed)
                cpus[path].append(cpu_seconds(pid) - cpu0)
        await tab.close()
    await holder.close()
    print(f"{count} street accounts, one at a time, each page's first visit:")
    print(f"{'page':<14}{'median s':>10}{'p95 s':>8}{'CPU median s':>14}{'CPU mean s':>12}")
    for path, values in times.items():
        print(
            f"{path if path.startswith('(') else '/' + path:<14}{statistics.median(values):>10.3f}{p95(values):>8.3f}"
            f"{statistics.median(cpus[path]):>14.3f}{statistics.mean(cpus[path]):>12.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="a server to use")
    parser.add_argument("--think", type=float, default=60.0, help="mean seconds between one account's pages")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long every account keeps switching")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which the accounts start")
    parser.add_argument("--processes", type=int, default=2, help="app processes the accounts are spread over")
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder: sample the app processes with py-spy (pip install py-spy) during the load, one collapsed-"
        "stack file per process (only threads holding the GIL, so what the CPU ran)",
    )
    parser.add_argument(
        "--waits",
        action="store_true",
        help="with --profile: sample every thread, idle ones included (what the pages wait for), not only the CPU",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="a folder: keep the built database, its models and the accounts there and reuse them on the next run "
        "with the same folder (saves the 4 minutes of building and training when measuring a change in the app; "
        "the database is left on the server until a run without --keep)",
    )
    parser.add_argument(
        "--one-by-one",
        type=int,
        metavar="N",
        help="instead of the load: open N street accounts' tabs one after another and report each opening's time "
        "and CPU (what a storm's tab opening costs, without the queue)",
    )
    args = parser.parse_args()
    kept = args.keep is not None and (args.keep / "accounts.json").exists()
    url = args.pg.rsplit("/", 1)[0] + "/" + DATABASE if kept else database(args.pg)
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep or Path(tmp)
            t0 = time.perf_counter()
            engine = db.make_engine(url) if kept else build(url, folder / "models")
            procs_bases = [serve(url, folder / "models") for _ in range(args.processes)]
            procs = [p for p, _ in procs_bases]
            servers = [b for _, b in procs_bases]
            if kept:
                everyone = load_accounts(engine, args.keep / "accounts.json", servers)
            else:
                everyone = make_accounts(engine, servers)
                if args.keep is not None:
                    save_accounts(everyone, args.keep / "accounts.json")
            print(f"built, trained and signed in {len(everyone)} accounts in {time.perf_counter() - t0:.0f} s")
            print(f"the app processes warmed their caches in {settle([p.pid for p in procs]):.1f} s")
            spies = [] if args.profile is None else profile(procs, args.profile, args.waits)
            if args.one_by_one:
                asyncio.run(one_by_one(everyone, args.one_by_one, procs[0].pid))
                for spy in spies:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                return 0
            cpu0, wall0 = sum(cpu_seconds(p.pid) for p in procs), time.perf_counter()
            others0 = own_seconds(), postgres_seconds()
            with CpuTimeline([p.pid for p in procs]) as timeline:
                alone = asyncio.run(run(everyone, args.think, args.minutes, args.ramp))
            cpu, wall = sum(cpu_seconds(p.pid) for p in procs) - cpu0, time.perf_counter() - wall0
            client, pg = own_seconds() - others0[0], postgres_seconds() - others0[1]
            for spy in spies:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
                spy.wait(timeout=60)
    finally:
        for p in procs:
            p.terminate()
        if args.keep is None:
            drop(args.pg)
    by_page: dict[str, list[float]] = defaultdict(list)
    for a in everyone:
        for path, values in a.times.items():
            by_page[path].extend(values)
    every = [v for path, values in by_page.items() if path != "first" for v in values]
    print(
        f"\n{len(everyone)} accounts ({sum(a.street is not None for a in everyone)} streets, "
        f"{sum(a.street is None for a in everyone)} districts) on {args.processes} app processes, "
        f"think {args.think:.0f} s, {args.minutes:.0f} min: {len(every)} page runs"
    )
    print(
        "first visit of each page, one district account alone (target < 1.5 s): "
        + ", ".join(f"/{path} {alone[path][0]:.2f} s" for path in ("first", *PAGES) if alone.get(path))
    )
    print(f"{'page':<14}{'runs':>6}{'median s':>10}{'p95 s':>8}{'alone p95 s':>13}{'ratio':>7}")
    for path in ("first", *PAGES):  # "first": the tab opening on the landing page, every cache cold for its scope
        values, solo = by_page.get(path, []), alone.get(path, [])
        if values:
            ratio = p95(values) / p95(solo) if solo else float("nan")
            label = "(tab opens)" if path == "first" else "/" + path
            print(
                f"{label:<14}{len(values):>6}{statistics.median(values):>10.2f}{p95(values):>8.2f}"
                f"{p95(solo):>13.2f}{ratio:>7.1f}"
            )
    print(f"all page switches (tab openings apart): p95 {p95(every):.2f} s (target < 3 s)")
    openings = by_page.get("first", [])
    if openings:
        both = p95(every + openings)
        print(
            f"tab openings: p95 {p95(openings):.2f} s; every page run, openings included: p95 {both:.2f} s "
            "(target < 5 s)"
        )
    runs = len(every) + len(openings) + sum(len(v) for v in alone.values())
    print(
        f"app processes: {cpu:.0f} s of CPU over {wall:.0f} s ({cpu / wall:.2f} of {os.cpu_count()} cores), "
        f"{cpu / max(runs, 1):.2f} s per page run ({runs} runs, tab openings and the baseline included); on the same "
        f"cores the bench's clients used {client:.0f} s ({client / wall:.2f} cores) and PostgreSQL {pg:.0f} s "
        f"({pg / wall:.2f})"
    )
    print(f"app processes' cores, every {timeline.step:.0f} s (the baseline first, then the storm): {timeline.line()}")
    leaks = [(a.name, leak) for a in everyone for leak in a.leaks]
    errors = [(a.name, e) for a in everyone for e in a.errors]
    print(f"leaks: {len(leaks)} (target 0)" + "".join(f"\n  {n}: {x}" for n, x in leaks[:20]))
    kinds: dict[str, int] = defaultdict(int)
    for _, e in errors:
        kinds[e.split(":", 1)[0] if e.startswith("/") else e[:60]] += 1
    print(f"failures: {len(errors)}" + "".join(f"\n  {n} x {k}" for k, n in sorted(kinds.items(), key=lambda x: -x[1])))
    print("".join(f"\n  {n}: {x}" for n, x in errors if x.startswith("/"))[:3000])
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
