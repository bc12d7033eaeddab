"""The plan page in a browser after 生成计划: the plan comes into view by itself and its table reads at desk width."""

from __future__ import annotations

from playwright.sync_api import expect

# the table's scrolling area (the grid is drawn on a canvas): wider content than its box means columns cut off
OVERFLOW = """() => [...document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]
  .map(e => [e.scrollWidth, e.clientWidth])"""


def test_after_making_a_plan_its_heading_comes_to_the_top_and_the_table_needs_no_sideways_scroll(visit):
    page = visit.open("/plan", user="chaoyang")
    page.set_viewport_size({"width": 1440, "height": 900})
    visit.wait_idle()
    page.get_by_role("button", name="生成计划").click()
    heading = page.locator("#plan-made")
    heading.wait_for(timeout=120_000)
    visit.wait_idle()
    expect(heading).to_be_in_viewport(timeout=10_000)
    top = heading.bounding_box()["y"]
    assert 0 <= top < 200, top  # brought to the top of the window, not left at the fold below the form (y 865)
    page.get_by_role("button", name="下载 Excel").wait_for()
    [(wide, box)] = page.evaluate(OVERFLOW)[:1]
    assert wide <= box + 1, (wide, box)  # every column in view at 1440 px: the reason and the map link not cut off
    assert visit.external == []
