"""A leader reads the KPIs on a phone (390x844): the eight headline cards two to a row, within two screens; at a
desk the same cards four to a row, as before."""

from __future__ import annotations


def _boxes(page, count: int) -> list[dict]:
    cards = page.locator(".st-key-kpi_cards [data-testid=stMetric]")  # the headline cards
    cards.nth(count - 1).wait_for()
    assert cards.count() == count
    return [cards.nth(i).bounding_box() for i in range(count)]


def test_a_leader_reads_the_eight_headline_cards_within_two_phone_screens(phone, visit):
    page = phone.open("/kpi", user="leader")
    boxes = _boxes(page, 8)
    height = page.viewport_size["height"]
    span = max(b["y"] + b["height"] for b in boxes) - min(b["y"] for b in boxes)
    assert span <= 2 * height, f"the cards take {span / height:.1f} screens"
    rows = sorted({round(b["y"]) for b in boxes})
    assert len(rows) == 4  # two cards a row
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)  # nothing off the side
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= 390
    assert phone.external == [] and phone.errors == []

    desk = visit.open("/kpi", user="leader")
    boxes = _boxes(desk, 8)
    assert len({round(b["y"]) for b in boxes}) == 2  # four a row at a desk, unchanged
    assert min(b["width"] for b in boxes) > 200
