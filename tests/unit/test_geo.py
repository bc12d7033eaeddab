"""Coordinates and district boundaries."""

import json

import numpy as np
import pytest
from shapely.geometry import Point

from dashboard.core.geo import districts
from dashboard.core.geo.gcj02 import gcj_to_wgs, wgs_to_gcj

# approximate employment centres (WGS-84) and the district each lies in
LANDMARKS = [
    ("国贸", 39.909, 116.456, "110105"),
    ("中关村", 39.983, 116.316, "110108"),
    ("金融街", 39.915, 116.357, "110102"),
    ("亦庄", 39.80, 116.50, "110115"),
    ("首都机场", 40.07, 116.58, "110113"),
]


def metres(lon1, lat1, lon2, lat2):
    return np.hypot((lon1 - lon2) * 111_320 * np.cos(np.radians(lat1)), (lat1 - lat2) * 110_540)


def test_gcj_offset_in_beijing_is_about_half_a_kilometre():
    glon, glat = wgs_to_gcj(116.397, 39.909)
    assert 500 < metres(116.397, 39.909, glon, glat) < 600


def test_inverse_is_exact_to_a_millimetre_over_the_city():
    rng = np.random.default_rng(0)
    lon = rng.uniform(115.5, 117.4, 2000)
    lat = rng.uniform(39.5, 41.0, 2000)
    back_lon, back_lat = gcj_to_wgs(*wgs_to_gcj(lon, lat))
    assert metres(lon, lat, back_lon, back_lat).max() < 1e-3


def test_forward_transform_agrees_with_an_independent_implementation():
    eviltransform = pytest.importorskip("eviltransform")
    for lat, lon in [(39.909, 116.397), (40.5, 116.0), (39.5, 117.3)]:
        exp_lat, exp_lon = eviltransform.wgs2gcj(lat, lon)
        got_lon, got_lat = wgs_to_gcj(lon, lat)
        assert metres(exp_lon, exp_lat, got_lon, got_lat) < 0.05


def test_outside_china_is_unchanged():
    assert tuple(map(float, wgs_to_gcj(2.35, 48.85))) == (2.35, 48.85)


@pytest.mark.parametrize("text", ["朝阳区", "朝阳", "110105", " 110105 ", "110105.0", "Chaoyang", "北京市朝阳区"])
def test_district_spellings(text):
    assert districts.resolve(text) == "110105"


@pytest.mark.parametrize("text", ["浦东新区", "", None, "1101", "朝"])
def test_unknown_districts(text):
    assert districts.resolve(text) is None


def test_boundaries_are_sixteen_wgs84_districts_of_the_right_size():
    gdf = districts.boundaries()
    assert len(gdf) == 16 and gdf.crs.to_epsg() == 4326
    assert gdf["adcode"].tolist() == [d.adcode for d in districts.DISTRICTS]
    assert gdf["area_km2"].sum() == pytest.approx(16_410, rel=0.01)  # Beijing's official area
    assert gdf.is_valid.all()
    # neighbours share their border: the coverage has (almost) no overlaps
    union_area = gdf.to_crs(districts.AREA_CRS).union_all().area / 1e6
    assert union_area == pytest.approx(gdf["area_km2"].sum(), rel=1e-4)


@pytest.mark.parametrize("name, lat, lon, adcode", LANDMARKS)
def test_landmarks_fall_in_their_district(name, lat, lon, adcode):
    gdf = districts.boundaries().set_index("adcode")
    assert gdf.geometry[adcode].contains(Point(lon, lat)), name


def test_boundaries_were_converted_from_gcj02():
    """The shipped file is the shared source moved by the GCJ offset (~550 m south-west)."""
    from data.make_districts import DEFAULT_SOURCE

    src = DEFAULT_SOURCE / "110105.geojson"
    if not src.exists():
        pytest.skip("reference data ../shared not present")
    from shapely.geometry import shape

    source = shape(json.loads(src.read_text())).centroid
    shipped = districts.boundaries().set_index("adcode").geometry["110105"].centroid
    assert 0.005 < source.x - shipped.x < 0.007  # the GCJ-02 offset in Beijing: +0.006 deg longitude
    assert 0.0005 < source.y - shipped.y < 0.002  # and +0.0013 deg latitude


def test_committed_boundaries_regenerate_identically(tmp_path):
    from data import make_districts

    if not make_districts.DEFAULT_SOURCE.exists():
        pytest.skip("reference data ../shared not present")
    rebuilt = json.loads(json.dumps(make_districts.build(make_districts.DEFAULT_SOURCE)))
    committed = json.loads(districts.BOUNDARIES_FILE.read_text(encoding="utf-8"))
    assert rebuilt == committed


def test_stored_area_lists_read_as_names_streets_included():
    from dashboard.core.geo import districts

    assert districts.names("110105,110105001") == "朝阳区 朝阳区建外街道"
    assert districts.names("110105001", "en").startswith("建外街道, Chaoyang")
    assert districts.names(float("nan")) == "" and districts.names("") == ""
