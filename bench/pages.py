"""Benchmark: how long a page switch takes in a real browser, at 1x and 10x the sample history, and the map payload.

For each scale: build a database (10x = ten copies of the sample's sessions under new ids), train the model, start
the app, sign in as admin (every district: the heaviest pages), then in headless Chromium follow the sidebar link to
each page, as a person does, and time it until the page is drawn (the script idle and, on map pages, the map's
shapes on screen). Each page is switched to ``--repeats`` times (from another page each time); the first switch
(cold caches) and the median are reported, with the 10x median over the 1x median (the baseline in the same run).
Targets (issue 12, idle machine): median page switch under 1.5 s at 1x and under 3 s at 10x; map payload < 2 MB.

Usage::

    python bench/pages.py [--scales 1 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.access import accounts  # noqa: E402
from dashboard.core.intake import ingest  # noqa: E402
from dashboard.core.recommender import store, visit_store  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from data import enterprise_sample, sample  # noqa: E402

PAGES = {
    "地图 map": "/",
    "计划 plan": "/plan",
    "企业 enterprises": "/enterprises",
    "指标 kpi": "/kpi",
    "上传 upload": "/upload",
    "模型 model": "/model",
    "管理 admin": "/admin",
}
TARGETS = {1: 1.5, 10: 3.0}
MAP_PAGES = {"/", "/kpi"}


def build(tmp: Path, scale: int) -> tuple[str, Path]:
    url = f"sqlite:///{tmp / f'x{scale}.sqlite'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    world = sample.generate()
    ingest.import_sites(engine, sample.to_csv_bytes(world.sites), "sites.csv")
    copies = []
    for k in range(scale):
        copy = world.sessions.copy()
        if k:
            copy["session_id"] = copy["session_id"] + f"-x{k}"
        copies.append(copy)
    ingest.import_sessions(
        engine,
        sample.to_csv_bytes(pd.concat(copies, ignore_index=True)),
        "sessions.csv",
        today=sample.HISTORY_END,
        max_bytes=1 << 40,
        max_rows=1 << 40,
    )
    enterprise_sample.load(engine, sessions=world.sessions)  # the register (90,000) and its visits, at 1x
    store.train(engine, directory=tmp / f"models{scale}", estimators=("glm_curve",))  # the family a retrain picks
    visit_store.train(engine, directory=tmp / f"models{scale}")
    accounts.create_demo_accounts(engine)
    return url, tmp / f"models{scale}"


USER = ("admin", dict((a[0], a[3]) for a in accounts.DEMO_ACCOUNTS)["admin"])  # sees every district: the heaviest pages


def serve(url: str, models: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OUTREACH_DB_URL": url, "OUTREACH_MODEL_DIR": str(models), "OUTREACH_SAMPLE": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/server.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not start")


def time_pages(base: str, repeats: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        idle = "[data-testid=stApp][data-test-script-state=notRunning]"
        page.goto(base + "/")  # the first session pays for loading the database and model into the server's caches
        page.wait_for_selector(idle, timeout=300_000)
        page.get_by_label("用户名").fill(USER[0])
        page.get_by_label("密码", exact=True).fill(USER[1])
        page.get_by_role("button", name="登录", exact=True).click()
        page.locator("[data-testid=stSidebarNav]").wait_for(timeout=300_000)
        page.wait_for_selector(idle, timeout=300_000)

        def go(path: str) -> float:
            """Follow the page's sidebar link, as a signed-in person does; seconds until the page is drawn."""
            t0 = time.perf_counter()
            page.locator(f'[data-testid=stSidebarNav] a[href="{base}{path}"]').click()
            page.wait_for_timeout(50)
            page.wait_for_selector(idle, timeout=120_000)
            if path in MAP_PAGES:
                page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first.locator(
                    "path.leaflet-interactive"
                ).first.wait_for(timeout=120_000)
            return time.perf_counter() - t0

        go("/upload")  # off the page sign-in lands on, so the map is timed like the others
        results = {name: [] for name in PAGES}
        for _ in range(repeats):  # round after round, so each switch comes from another page
            for name, path in PAGES.items():
                results[name].append(go(path))
        browser.close()
    return results


def map_payload(url: str, models: Path) -> int:
    from streamlit.testing.v1 import AppTest

    os.environ.update({"OUTREACH_DB_URL": url, "OUTREACH_MODEL_DIR": str(models), "OUTREACH_SAMPLE": "0"})
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300).run()
    at.text_input(key="login_name").input(USER[0])
    at.text_input(key="login_password").input(USER[1])
    next(b for b in at.button if b.label == "登录").click().run()
    return sum(len(c.proto.json_args.encode()) for c in at.get("component_instance"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeats", type=int, default=5, help="switches to each page (default 5)")
    args = parser.parse_args()
    medians: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            t0 = time.perf_counter()
            url, models = build(Path(tmp), scale)
            built = time.perf_counter() - t0
            payload = map_payload(url, models)
            proc, base = serve(url, models)
            try:
                results = time_pages(base, args.repeats)
            finally:
                proc.terminate()
            target = TARGETS.get(scale, 3.0)
            print(
                f"\n{scale}x sample history (built and trained in {built:.0f} s); map payload {payload / 1e6:.2f} MB "
                "(target < 2 MB)"
            )
            medians[scale] = {}
            for name, times in results.items():
                median = statistics.median(times)
                medians[scale][name] = median
                ratio = f"  {median / medians[1][name]:4.1f}x the 1x median" if scale != 1 and 1 in medians else ""
                print(
                    f"  {name:<10} first {times[0]:5.2f} s   median {median:5.2f} s   max {max(times):5.2f} s   "
                    f"{'ok' if median < target else 'OVER'} (median < {target:.1f} s){ratio}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
