"""Beijing's streets and townships: the official list and names as people type them."""

import pandas as pd
import pytest

from dashboard.core.geo import districts, streets


def test_the_list_holds_the_343_street_and_township_unions_and_6_zones():
    units = streets.table()
    assert len(units) == 349 and units["code"].is_unique and units["code"].str.fullmatch(r"\d{9}").all()
    assert (units["kind"] != "zone").sum() == 343  # the 343 street and township federations
    assert set(units["district"]) == {d.adcode for d in districts.DISTRICTS}
    assert (units["code"].str[:6] == units["district"]).all()
    assert len(streets.of_district("110105")) == 43  # 朝阳's 43
    assert streets.name("110105021") is not None and streets.district_of("110105021") == "110105"


@pytest.mark.parametrize("typed", ["望京街道", "望京", "望京街道办事处", " 望 京 ", "望京街道"])
def test_a_street_is_found_however_it_is_typed(typed):
    code = streets.resolve(typed, "110105")
    assert code is not None and streets.name(code) == "望京街道"
    assert streets.resolve(typed) == code  # the only 望京 in the city


def test_a_street_of_another_district_is_not_found_in_this_one():
    assert streets.resolve("望京", "110108") is None
    assert streets.resolve("中关村", "110108") is not None and streets.resolve("中关村", "110105") is None


def test_a_name_two_districts_share_needs_its_district():
    folded = streets.table()["name"].map(streets.fold)
    shared = folded[folded.duplicated(keep=False)]
    assert len(shared), "the list has names used in two districts (北苑, 城关 …)"
    name = shared.iloc[0]
    assert streets.resolve(name) is None
    rows = streets.table()[folded == name]
    for code, district in rows[["code", "district"]].itertuples(index=False):
        assert streets.resolve(name, district) == code


def test_codes_and_nonsense():
    assert streets.resolve("110105021") == "110105021"
    for text in (None, float("nan"), "", "火星街道", "{{ 7*7 }}", "街道"):
        assert streets.resolve(text) is None


def test_vectorised_resolution_matches_one_by_one():
    texts = pd.Series(["望京", "中关村街道", "望京", None, "北苑"])
    where = pd.Series(["110105", "110108", "110108", "110105", "110105"])
    assert streets.resolve_series(texts, where).tolist() == [
        streets.resolve("望京", "110105"),
        streets.resolve("中关村街道", "110108"),
        None,
        None,
        streets.resolve("北苑", "110105"),
    ]


@pytest.mark.parametrize(
    ("typed", "today"),
    [
        ("长辛店镇", "北宫镇"),
        ("长辛店镇人民政府", "北宫镇"),  # the office's name: still the old town, not today's 长辛店街道
        ("宛平城地区", "宛平街道"),
        ("宛平城地区办事处", "宛平街道"),
        ("宛平城", "宛平街道"),
        ("花乡地区", "花乡街道"),
    ],
)
def test_a_name_from_before_a_rename_finds_the_unit_and_says_so(typed, today):
    code = streets.resolve(typed, "110106")  # 丰台's 2021 reform
    assert code is not None and streets.name(code) == today
    assert streets.is_old_name(typed, "110106") and streets.resolve(typed) == code


def test_a_current_name_always_means_the_current_unit():
    # 丰台's old 卢沟桥街道 is today's 六里桥街道; today's 卢沟桥街道 was 卢沟桥地区. 长辛店 is today's 长辛店街道, not
    # the old 长辛店镇 (北宫镇).
    for typed, today in (("卢沟桥街道", "卢沟桥街道"), ("卢沟桥", "卢沟桥街道"), ("长辛店", "长辛店街道")):
        code = streets.resolve(typed, "110106")
        assert streets.name(code) == today and not streets.is_old_name(typed, "110106")
    aliases = streets.aliases()
    current = set(zip(streets.table()["district"], streets.table()["name"], strict=True))
    assert not [n for d, n in zip(aliases["district"], aliases["old_name"], strict=True) if (d, n) in current]
    assert set(aliases["code"]) <= set(streets.table()["code"])
    assert streets.resolve("长辛店镇", "110105") is None  # still a 丰台 name
