"""Screenshots of every page, in Chinese and in English, at desktop (1440x900) and phone (390x844) size.

Builds the sample database, trains a quick model, starts the app, signs in (admin for the desktop shots, the
朝阳 planner for the phone ones: the person who uses the app in the field) and saves a full-page PNG per page,
language and size into ``--out``, plus the sidebar opened on the phone. Look at them before closing a UI change.

``--as jianwai`` takes every shot as that demo account instead (the street union's planner of 朝阳区建外街道), and
names the files after it.

Usage::

    python bench/screenshots.py [--out /tmp/screens] [--pages / /kpi] [--langs zh en] [--as jianwai]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import build, serve  # noqa: E402

from dashboard.core.access import accounts  # noqa: E402

PAGES = {
    "/": "map",
    "/plan": "plan",
    "/enterprises": "enterprises",
    "/kpi": "kpi",
    "/reporting": "reporting",
    "/teams": "teams",
    "/upload": "upload",
    "/model": "model",
    "/admin": "admin",
}
SIZES = {"desktop": (1440, 900, "admin"), "phone": (390, 844, "chaoyang")}
PASSWORDS = {a[0]: a[3] for a in accounts.DEMO_ACCOUNTS}
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def shoot(base: str, out: Path, pages: list[str], langs: list[str], who: str | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"])
        for size, (width, height, user) in SIZES.items():
            user = who or user
            prefix = f"{who}_" if who else ""
            context = browser.new_context(
                viewport={"width": width, "height": height},
                device_scale_factor=1,
                is_mobile=size == "phone",
                has_touch=size == "phone",
                locale="zh-CN",
            )
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector(IDLE, timeout=300_000)
            page.get_by_label("用户名").fill(user)
            page.get_by_label("密码", exact=True).fill(PASSWORDS[user])
            page.get_by_role("button", name="登录", exact=True).click()
            page.wait_for_timeout(500)
            page.wait_for_selector(IDLE, timeout=300_000)
            for language in langs:
                for path in pages:
                    if (user != "admin" and path == "/admin") or (user == "leader" and path == "/teams"):
                        continue
                    page.goto(base + path)  # the kept sign-in opens deep links
                    page.wait_for_selector(IDLE, timeout=300_000)
                    if page.get_by_text("English", exact=True).count() and language == "en":
                        _choose_language(page, "English", size)
                    elif language == "zh" and page.get_by_text("中文", exact=True).count():
                        _choose_language(page, "中文", size)
                    if path == "/":  # a site clicked on the map: its history and its learned curve
                        frame = page.frame_locator("iframe").first
                        marker = frame.locator("path.leaflet-interactive").last
                        if marker.count():
                            marker.click(force=True)
                            page.wait_for_timeout(1500)
                            page.wait_for_selector(IDLE, timeout=300_000)
                    if path == "/plan":  # a plan made and saved, as a planner sees it in the week
                        page.get_by_role("button", name="生成计划" if language == "zh" else "Make the plan").click()
                        save = page.get_by_role(
                            "button", name="保存计划" if language == "zh" else "Save the plan", exact=True
                        )
                        save.wait_for(timeout=300_000)
                        page.wait_for_selector(IDLE, timeout=300_000)
                        save.click()
                        page.wait_for_timeout(500)
                        page.wait_for_selector(IDLE, timeout=300_000)
                        why = "为什么是这个时段" if language == "zh" else "Why this window"
                        page.get_by_text(why).first.click()  # a row's curve with its window shaded
                        page.wait_for_selector(IDLE, timeout=300_000)
                    if path == "/plan" and language == "zh":  # a team lead's link, and the phone page it opens
                        page.get_by_role("button", name="生成链接").first.click()
                        page.wait_for_selector(IDLE, timeout=300_000)
                        link = page.locator("[data-testid=stCode] code").first.inner_text().strip()
                        field = context.new_page()
                        field.goto(link)
                        field.wait_for_selector(".card", timeout=60_000)
                        target = out / f"{prefix}{language}_{size}_field.png"
                        field.screenshot(path=str(target), full_page=True)
                        saved.append(target)
                        field.close()
                    if path == "/model":  # the model card, with what the history says of the published rest times
                        page.get_by_text("模型说明（技术）" if language == "zh" else "Model card (technical)").click()
                        page.wait_for_selector(IDLE, timeout=300_000)
                    if path in ("/", "/kpi"):
                        page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first.locator(
                            "path.leaflet-interactive"
                        ).first.wait_for(timeout=120_000)
                    page.wait_for_timeout(800)  # tiles of the offline layer and chart transitions settle
                    target = out / f"{prefix}{language}_{size}_{PAGES[path]}.png"
                    _whole_page(page, target, width, height)
                    saved.append(target)
            if size == "phone":
                page.goto(base + "/kpi")
                page.wait_for_selector(IDLE, timeout=300_000)
                page.locator("[data-testid=stExpandSidebarButton]").click()
                page.wait_for_timeout(600)
                target = out / f"{prefix}zh_phone_sidebar.png"
                page.screenshot(path=str(target))
                saved.append(target)
            context.close()
        browser.close()
    return saved


def _whole_page(page, target: Path, width: int, height: int) -> None:
    """Streamlit scrolls inside its main block, not the document: grow the window to that block's height."""
    tall = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height, int(tall)), 12_000)})
    page.wait_for_timeout(600)
    page.screenshot(path=str(target), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


def _choose_language(page, name: str, size: str) -> None:
    """The language switch sits in the sidebar; on a phone it is opened first."""
    sidebar = page.locator("[data-testid=stSidebar]")
    if size == "phone" and not sidebar.is_visible():
        page.locator("[data-testid=stExpandSidebarButton]").click()
    radio = sidebar.get_by_text(name, exact=True)
    if radio.is_visible():
        radio.click()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=300_000)
    if size == "phone" and sidebar.is_visible():
        page.keyboard.press("Escape")
        collapse = page.locator("[data-testid=stSidebarCollapseButton] button")
        if collapse.count() and collapse.first.is_visible():
            collapse.first.click()
        page.wait_for_timeout(300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "screens")
    parser.add_argument("--pages", nargs="+", default=list(PAGES))
    parser.add_argument("--langs", nargs="+", default=["zh", "en"])
    parser.add_argument("--as", dest="who", choices=list(PASSWORDS), help="one demo account for every shot")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url, models = build(Path(tmp), 1)
        proc, base = serve(url, models)
        try:
            saved = shoot(base, args.out, args.pages, args.langs, args.who)
        finally:
            proc.terminate()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
