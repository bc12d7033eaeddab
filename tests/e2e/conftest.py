"""Real-browser tests: the app in a streamlit server on a free port, Debian's Chromium driven by Playwright.

Every request that is not to the local server is blocked and recorded, so a page that needs the internet fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.core.access.accounts import DEMO_ACCOUNTS
from tests import artefacts

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = {
    "XSS-1": ("<img src=x onerror=alert(1)>", 39.9300, 116.4500),
    "XSS-2": ("反引号`${alert(2)}`点位", 39.9400, 116.4600),
    "SSTI-1": ("{{ 7*7 }}{% if 1 %}模板{% endif %}{{ 点位", 39.9350, 116.4400),
}

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the browser tests: install Debian's chromium (.ci/run does)")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it with apt)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build(out: Path) -> None:
    """The sample and register database and its visit model, plus two sites with hostile names and a stall model
    trained with them."""
    from dashboard.core.intake import ingest
    from dashboard.core.recommender import store
    from dashboard.core.storage import db

    artefacts.copy("register", artefacts.register_database, out)
    engine = db.make_engine(f"sqlite:///{out / 'db.sqlite'}")
    rows = "\n".join(
        f'{sid},"{name.replace(chr(34), chr(34) * 2)}",朝阳区,{lat},{lon},配送站点,150'
        for sid, (name, lat, lon) in HOSTILE.items()
    )
    ingest.import_sites(
        engine, f"点位编号,点位名称,所属区,纬度,经度,点位类型,周边职工数\n{rows}\n".encode(), "hostile.csv"
    )
    store.train(engine, directory=out / "models", estimators=("hgb_poisson",))
    engine.dispose()


if CHROMIUM is not None:
    artefacts.declare("browser", _build, fixture="server")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The app on the sample data plus two sites with hostile names, and a trained model (this worker's copy of
    an artefact built once per code version, see tests/artefacts.py)."""
    if CHROMIUM is None:
        pytest.skip("no chromium")
    from dashboard.core.storage import db

    tmp = artefacts.copy("browser", _build, tmp_path_factory.mktemp("e2e"))
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    engine = db.make_engine(url)
    port = _free_port()
    env = {**os.environ, "OUTREACH_DB_URL": url, "OUTREACH_MODEL_DIR": str(tmp / "models"), "OUTREACH_SAMPLE": "0"}
    # The server's output goes to a file: a pipe nobody reads fills after 64 KB of log lines, and then the
    # server's next log line blocks whichever thread wrote it (a download that never comes, late in a run).
    log_path = tmp / "server.log"
    log = log_path.open("wb")
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
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        raise RuntimeError("streamlit did not become healthy: " + log_path.read_text(errors="replace")[-2000:])
    yield {"base": base, "engine": engine, "log": log_path}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


PHONE = {"width": 390, "height": 844}
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
DEMO_PASSWORDS = {name: password for name, _, _, password in DEMO_ACCOUNTS}


class Visit:
    """A browser tab that blocks and records every non-local request and collects page errors and dialogs."""

    def __init__(self, browser, base: str, phone: bool = False):
        self.base = base
        if phone:  # a phone as Streamlit sees one: its width, touch, and a phone's user agent
            self.context = browser.new_context(
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                user_agent=PHONE_AGENT,
                accept_downloads=True,
            )
        else:
            self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.external: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _route(self, route):
        url = route.request.url
        if url.startswith((self.base, "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, path: str = "/", user: str | None = "admin"):
        """Open the app, sign in as ``user`` (a demo account) through the form, then go to ``path`` by its link.

        Pages are reached through the sidebar, as a person does (a reload keeps the sign-in: see the tests of it).
        """
        self.page.goto(self.base + "/")
        self.wait_idle()
        if user is not None:
            if self.page.get_by_role("button", name="登录", exact=True).count():  # not yet signed in in this browser
                self.sign_in(user, DEMO_PASSWORDS[user])
            if path != "/":
                link = self.page.locator(f'[data-testid=stSidebarNav] a[href$="{path}"]')
                opener = self.page.locator("[data-testid=stExpandSidebarButton]")
                if opener.count() and opener.is_visible():  # on a phone the sidebar starts closed
                    opener.click()
                link.click()
                self.page.wait_for_url(f"**{path}")
                self.wait_idle()
        return self.page

    def sign_in(self, name: str, password: str):
        self.page.get_by_label("用户名").fill(name)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录", exact=True).click()
        self.page.wait_for_timeout(300)
        self.wait_idle()

    def wait_idle(self, timeout: float = 120_000):
        self.page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)

    def map_frame(self, index: int = 0):
        return self.page.frame_locator('iframe[title="streamlit_folium.st_folium"]').nth(index)

    def close(self):
        self.context.close()


def _server_lines_since(server: dict, start: int) -> None:
    """Print what the server logged during a test: pytest shows it beside a failure ("Captured stdout teardown")."""
    with server["log"].open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    if text.strip():
        print("--- the server's log during this test ---\n" + text[-6000:])


@pytest.fixture
def visit(browser, server):
    start = server["log"].stat().st_size
    v = Visit(browser, server["base"])
    yield v
    v.close()
    _server_lines_since(server, start)


@pytest.fixture
def phone(browser, server):
    """A tab on a phone (390x844, touch, a phone's user agent)."""
    start = server["log"].stat().st_size
    v = Visit(browser, server["base"], phone=True)
    yield v
    v.close()
    _server_lines_since(server, start)
