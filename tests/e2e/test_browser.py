"""What a person does in the browser: open every page offline, read the map, upload, plan, download."""

import re

import pytest

from .conftest import CHROMIUM, HOSTILE

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it with apt)"
)

PAGES = ["/", "/plan", "/kpi", "/upload", "/model", "/admin"]

FIND_FEATURE = """
([siteId, front]) => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  const found = [];
  Object.values(window).filter(v => v instanceof L.GeoJSON).forEach(g => g.eachLayer(l => {
    if (l.feature && l.feature.properties.site_id === siteId) {
      if (front) l.bringToFront();
      const p = map.latLngToContainerPoint(l.getLatLng());
      found.push([p.x, p.y]);
    }
  }));
  return found;
}
"""


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_with_no_request_leaving_the_machine(visit, path):
    page = visit.open(path)
    if path in ("/", "/kpi"):
        visit.map_frame().locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert visit.external == []
    assert visit.errors == []
    assert not page.locator("[data-testid=stException]").count()


def test_the_map_draws_its_layers(visit):
    page = visit.open("/")
    frame = visit.map_frame()
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').first.bounding_box()
    assert box["height"] > 400  # a map whose script failed leaves an iframe of height 0
    shapes = frame.locator("path.leaflet-interactive").count()
    assert shapes > 16 + 500  # 16 districts and the sites
    assert frame.locator("canvas.leaflet-heatmap-layer").count() == 1


def _point_of(visit, site_id):
    """The page coordinates of a site's marker (brought to the front so nothing covers it) and the map's frame."""
    visit.map_frame().locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    frame = next(f for f in visit.page.frames if f != visit.page.main_frame and f.evaluate("typeof L !== 'undefined'"))
    iframe = visit.page.locator('iframe[title="streamlit_folium.st_folium"]').first
    where = None
    for _ in range(
        40
    ):  # the page may still be laying out (the iframe resizing, text appearing above it): wait until still
        points = frame.evaluate(FIND_FEATURE, [site_id, True])
        assert len(points) == 1, f"{site_id} not on the map"
        box = iframe.bounding_box()
        now = (round(box["x"] + points[0][0]), round(box["y"] + points[0][1]))
        if now == where:
            break
        where = now
        visit.page.wait_for_timeout(250)
    return frame, *where


@pytest.mark.parametrize("site_id", list(HOSTILE))
def test_hostile_site_names_show_as_text_when_hovered_and_clicked(visit, site_id):
    name = HOSTILE[site_id][0]
    visit.open("/")
    frame, x, y = _point_of(visit, site_id)
    # The pointer still rests where the sign-in button was, now over the map: move it off the map first, so the
    # only tooltip open is the one hovering the site opens.
    visit.page.mouse.move(5, 5)
    frame.locator(".leaflet-tooltip").first.wait_for(state="detached", timeout=10_000)
    visit.page.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=10_000)
    assert tooltip.count() == 1 and name in tooltip.first.inner_text()
    assert tooltip.first.locator("img").count() == 0
    visit.page.mouse.click(x, y)
    visit.page.wait_for_timeout(500)
    visit.wait_idle()
    heading = visit.page.locator("h3").filter(has_text=site_id)
    heading.first.wait_for(timeout=30_000)
    assert name in heading.first.inner_text()
    assert visit.page.locator("img[src=x]").count() == 0
    assert visit.dialogs == [] and visit.errors == []


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text(label, exact=True)).first
    return box.locator("[data-testid=stMetricValue]").inner_text()


def test_an_upload_changes_the_kpi_page(visit, server, tmp_path):
    page = visit.open("/kpi")
    before = int(_metric(page, "现场申请入会人数").replace(",", ""))
    data = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\nE2E-1,"
        "职工沟通会,2026-10-30,14:00,16:00,朝阳区,110105-001,50,17,17\nE2E-2,职工沟通会,2026-10-30,15:00,17:00,海淀区,"
        "110108-001,20,4,4\n"
    )
    path = tmp_path / "results.csv"
    path.write_text(data, encoding="utf-8-sig")
    visit.open("/upload")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    page.get_by_text("将新增").wait_for(timeout=60_000)
    visit.wait_idle()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入：新增 2").wait_for(timeout=60_000)
    # the retrain runs on the server in the background: the page says so and does not wait for it
    page.get_by_text("正在用新数据重新训练推荐模型").wait_for(timeout=10_000)
    page.locator("[data-testid=stSidebar]").get_by_text(re.compile("新数据重新训练")).first.wait_for(timeout=30_000)
    visit.open("/kpi")
    after = int(_metric(page, "现场申请入会人数").replace(",", ""))
    assert after == before + 21
    assert visit.external == []


def test_a_plan_is_generated_and_downloaded(visit, tmp_path):
    import openpyxl

    page = visit.open("/plan")
    page.get_by_role("button", name="生成计划").click()
    page.get_by_role("button", name="下载 Excel").wait_for(timeout=120_000)
    visit.wait_idle()
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel").click()
    target = tmp_path / "plan.xlsx"
    info.value.save_as(target)
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("小组", "日期", "开始时间", "结束时间")
    assert len(rows) - 1 == 4 * 7  # the form's defaults: 4 teams, 7 days, one session a day
    assert all(re.match(r"\d\d:\d\d", r[2]) for r in rows[1:])
    header = rows[0]
    day_types = {r[header.index("日期类型")] for r in rows[1:]}
    assert day_types <= {"工作日", "周末", "法定节假日", "调休上班日"} and "reason (English)" not in header
    # right after, the same plan as CSV, twice: each click gives the file (a click no longer reruns the page, whose
    # start used to drop the reply that carries the file, see dashboard/downloads.py)
    for _ in range(2):
        with page.expect_download() as again:
            page.get_by_role("button", name="下载 CSV").click()
        lines = again.value.path().read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) - 1 == len(rows) - 1 and lines[0].startswith("小组,日期,开始时间,结束时间")
    assert visit.external == []


def _nav(page) -> list[str]:
    """The page names in the sidebar (each link's text ends with its name, after the icon's ligature)."""
    return [text.strip().split("\n")[-1] for text in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()]


def test_sign_in_with_a_wrong_then_the_right_password_and_sign_out(visit):
    page = visit.open("/", user=None)
    assert page.get_by_role("button", name="登录", exact=True).count() == 1
    assert page.locator("[data-testid=stSidebarNav]").count() == 0  # nothing but the login form before signing in
    visit.sign_in("chaoyang", "not-the-password")
    page.get_by_text("用户名或密码不正确").wait_for(timeout=10_000)
    visit.sign_in("chaoyang", "demo-chaoyang-2018")
    page.get_by_role("heading", name="地图").wait_for(timeout=60_000)
    sidebar = page.locator("[data-testid=stSidebar]")
    assert "chaoyang" in sidebar.inner_text() and "朝阳区" in sidebar.inner_text()
    links = _nav(page)
    assert "上传" in links and "管理" not in links  # a planner uploads but does not manage
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    page.locator("[data-testid=stSidebarNav]").wait_for(state="detached", timeout=30_000)  # the pages are gone again
    assert visit.external == [] and visit.errors == []


def test_leadership_has_no_upload_or_plan_page(visit):
    page = visit.open("/kpi", user="leader")
    links = _nav(page)
    assert {"地图", "指标", "模型"} <= set(links) and not {"上传", "计划", "管理"} & set(links)
    assert int(_metric(page, "现场申请入会人数").replace(",", "")) > 0


def test_a_planners_upload_with_another_districts_rows_is_refused_whole(visit, tmp_path):
    data = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\nSCOPE-1,职工沟通会,"
        "2026-10-29,14:00,16:00,朝阳区,110105-001,50,17\nSCOPE-2,职工沟通会,2026-10-29,15:00,17:00,海淀区,110108-001,"
        "20,4\n"
    )
    path = tmp_path / "mixed.csv"
    path.write_text(data, encoding="utf-8-sig")
    page = visit.open("/upload", user="chaoyang")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    refusal = page.locator("[data-testid=stAlert]").filter(has_text="不在您负责的区")
    refusal.wait_for(timeout=60_000)
    visit.wait_idle()
    assert "第 3 行属于海淀区" in refusal.inner_text() and "整份文件不会导入" in refusal.inner_text()
    assert page.get_by_role("button", name="确认导入").is_disabled()


PLANNER_PAGES = {"/": "地图", "/plan": "计划", "/kpi": "指标", "/upload": "上传", "/model": "模型"}


def _signed_in_cookie(visit):
    """The sign-in cookie, once the browser has traded its ticket for it (a request the page makes by itself)."""
    for _ in range(100):
        found = [c for c in visit.context.cookies() if c["name"] == "outreach_session"]
        if found:
            return found[0]
        visit.page.wait_for_timeout(100)
    raise AssertionError("no sign-in cookie")


def test_reloads_bookmarks_and_new_tabs_stay_signed_in_until_sign_out(visit, server):
    page = visit.open("/kpi", user="chaoyang")
    cookie = _signed_in_cookie(visit)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"  # no script can read it; no other site sends it
    for path, title in PLANNER_PAGES.items():  # F5 on every page, or a bookmark of it
        page.goto(server["base"] + path)
        visit.wait_idle()
        page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
        assert page.get_by_role("button", name="登录", exact=True).count() == 0
    other = visit.context.new_page()  # a new tab of the same browser
    other.goto(server["base"] + "/kpi")
    other.get_by_role("heading", name="指标").wait_for(timeout=60_000)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    page.reload()
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    other.reload()  # signing out in one tab signs the browser out
    other.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    assert visit.errors == [] and visit.dialogs == [] and visit.external == []


def _sent_by_another_site(visit, url: str) -> None:
    """A page of another site (evil.example, served by the test) that sends the browser to ``url`` at once."""
    visit.context.route(
        "http://evil.example/**",
        lambda route: route.fulfill(content_type="text/html", body=f"<script>location.href = {url!r};</script>"),
    )
    visit.page.goto("http://evil.example/page")
    visit.page.wait_for_url(url.split("?")[0] + "*")


def test_another_site_cannot_sign_a_browser_in_as_someone_else_or_out(browser, server):
    from .conftest import Visit

    attacker, victim = Visit(browser, server["base"]), Visit(browser, server["base"])
    try:
        tickets: list[str] = []

        def keep_ticket(route):  # the attacker keeps their own fresh ticket unused
            tickets.append(route.request.url)
            route.abort()

        attacker.page.route("**/api/session?ticket=*", keep_ticket)
        attacker.open("/", user="haidian")
        for _ in range(100):
            if tickets:
                break
            attacker.page.wait_for_timeout(100)
        assert tickets, "the sign-in handed no ticket"
        # another site's page sends the victim's browser to the ticket (a top-level navigation), then to sign-out
        _sent_by_another_site(victim, tickets[0])
        assert not [c for c in victim.context.cookies() if c["name"] == "outreach_session"]
        victim.page.goto(server["base"] + "/kpi")
        victim.wait_idle()
        victim.page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)  # not signed in as 海淀
        # the victim signs in themselves; another site's link to the sign-out route does not sign them out
        victim.sign_in("chaoyang", "demo-chaoyang-2018")
        _signed_in_cookie(victim)
        _sent_by_another_site(victim, server["base"] + "/api/session/clear")
        victim.page.goto(server["base"] + "/kpi")
        victim.page.get_by_role("heading", name="指标").wait_for(timeout=60_000)
        assert victim.errors == []
    finally:
        attacker.close()
        victim.close()


def test_a_deep_link_asks_for_sign_in_then_opens_the_page_it_named(visit, server):
    page = visit.page
    page.goto(server["base"] + "/kpi")
    visit.wait_idle()
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    assert page.get_by_text("Page not found").count() == 0
    visit.sign_in("leader", "demo-leader-2018")
    page.get_by_role("heading", name="指标").wait_for(timeout=60_000)
    assert page.url.rstrip("/").endswith("/kpi")
    assert visit.errors == [] and visit.dialogs == []
