"""The enterprise side in a real browser, as a street planner works it: import an enterprise into the register,
plan the week's visits (it is there, with its reason), record that it founded a union, and see the KPIs move."""

from __future__ import annotations

import csv
import io
import re

from dashboard.core.intake import credit_code

FIRST17 = "91110105MA0E2E0FL"
CODE = FIRST17 + credit_code.check_character(FIRST17)
NAME = "北京浏览器测试物流有限公司"


def _metric(page, label: str) -> int:
    box = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text(label, exact=True)).first
    box.wait_for(timeout=60_000)
    return int(box.locator("[data-testid=stMetricValue]").inner_text().replace(",", ""))


def _upload(visit, page, kind: str, key: str, path) -> None:
    visit.open("/upload", user="chaoyang")
    page.get_by_text(kind, exact=True).first.click()
    uploader = page.locator(f".st-key-uploader_{key}")  # the uploader of that kind, once the rerun has drawn it
    uploader.wait_for(timeout=60_000)
    visit.wait_idle()
    uploader.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    page.get_by_text("将新增").wait_for(timeout=60_000)
    visit.wait_idle()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入：新增 1").wait_for(timeout=60_000)
    visit.wait_idle()


def test_import_an_enterprise_plan_its_visit_record_the_founding_and_the_kpis_move(visit, tmp_path):
    page = visit.open("/kpi", user="chaoyang")
    founded_before = _metric(page, "经沟通建会")
    members_before = _metric(page, "建会时入会人数")

    register = tmp_path / "register.csv"
    register.write_text(
        "统一社会信用代码,企业名称,所属区,街道乡镇,纬度,经度,行业门类,员工数,建会状态\n"
        f"{CODE},{NAME},朝阳区,望京街道,39.99,116.47,G,4000,未建会\n",
        encoding="utf-8-sig",
    )
    _upload(visit, page, "企业名录", "enterprises", register)

    visit.open("/enterprises", user="chaoyang")
    page.get_by_role("tab", name="走访计划").click()
    page.get_by_label("工作人员数").fill("2")
    page.get_by_label("天数").fill("7")
    visit.wait_idle()
    page.get_by_role("button", name="生成走访计划").click()
    download = page.get_by_role("button", name="下载走访计划 CSV")
    download.wait_for(timeout=120_000)
    visit.wait_idle()
    with page.expect_download() as info:
        download.click()
    rows = list(csv.DictReader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    ours = [r for r in rows if r["企业编号"] == CODE]
    assert ours and ours[0]["企业名称"] == NAME and "员工约4000人" in ours[0]["理由"]
    assert {r["所属区"] for r in rows} == {"朝阳区"}

    outcome = tmp_path / "visits.csv"
    outcome.write_text(
        "企业编号,沟通日期,沟通结果,建会日期,建会会员数,提供服务包\n"
        f"{CODE},2026-10-20,已建会,2026-10-28,3000,法律服务、职工培训\n",
        encoding="utf-8-sig",
    )
    _upload(visit, page, "企业沟通记录", "visits", outcome)

    visit.open("/kpi", user="chaoyang")
    assert _metric(page, "经沟通建会") == founded_before + 1
    assert _metric(page, "建会时入会人数") == members_before + 3000

    visit.open("/enterprises", user="chaoyang")
    page.get_by_role("tab", name="企业详情").click()
    page.get_by_label(re.compile("查找企业")).fill("浏览器测试")
    page.get_by_label(re.compile("查找企业")).press("Enter")
    page.get_by_role("heading", name=NAME).wait_for(timeout=60_000)  # its page, with its history below
    page.get_by_text("沟通记录（1）").wait_for(timeout=30_000)
    assert visit.external == []
