"""Beijing's 16 districts: codes, names in both languages, boundaries, and a forgiving name resolver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
BOUNDARIES_FILE = DATA_DIR / "beijing_districts.geojson"

#: The CRS everything is stored in. GCJ-02 is only ever produced for drawing on Gaode tiles.
CRS = "EPSG:4326"
#: An equal-area CRS for Beijing (China Geodetic Coordinate System 2000 / Albers would do; UTM 50N is exact
#: enough for areas inside one district and ships with every PROJ).
AREA_CRS = "EPSG:32650"


@dataclass(frozen=True)
class District:
    adcode: str
    name_zh: str
    name_en: str

    @property
    def short_zh(self) -> str:
        return self.name_zh.removesuffix("区")


DISTRICTS: tuple[District, ...] = (
    District("110101", "东城区", "Dongcheng"),
    District("110102", "西城区", "Xicheng"),
    District("110105", "朝阳区", "Chaoyang"),
    District("110106", "丰台区", "Fengtai"),
    District("110107", "石景山区", "Shijingshan"),
    District("110108", "海淀区", "Haidian"),
    District("110109", "门头沟区", "Mentougou"),
    District("110111", "房山区", "Fangshan"),
    District("110112", "通州区", "Tongzhou"),
    District("110113", "顺义区", "Shunyi"),
    District("110114", "昌平区", "Changping"),
    District("110115", "大兴区", "Daxing"),
    District("110116", "怀柔区", "Huairou"),
    District("110117", "平谷区", "Pinggu"),
    District("110118", "密云区", "Miyun"),
    District("110119", "延庆区", "Yanqing"),
)

BY_ADCODE: dict[str, District] = {d.adcode: d for d in DISTRICTS}


def _norm(text: object) -> str:
    return re.sub(r"[\s\u3000]+", "", str(text)).lower()


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for d in DISTRICTS:
        for alias in (
            d.adcode,
            d.name_zh,
            d.short_zh,
            "北京市" + d.name_zh,
            d.name_en,
            d.name_en + " district",
            d.name_en + "qu",
        ):
            table[_norm(alias)] = d.adcode
    return table


def resolve(value: object) -> str | None:
    """Return the adcode for a district written as 朝阳区, 朝阳, 110105 or Chaoyang; ``None`` if unknown.

    Examples
    --------
    >>> resolve("朝阳"), resolve(" 110105 "), resolve("Chaoyang District"), resolve("浦东新区")
    ('110105', '110105', '110105', None)
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _norm(value)
    if text.endswith(".0"):  # an adcode that Excel stored as a number
        text = text[:-2]
    return _lookup().get(text)


def resolve_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`resolve` (each distinct spelling resolved once): unknown or blank values become ``None``."""
    codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object), use_na_sentinel=False)
    resolved = np.array([resolve(u) for u in uniques] + [None], dtype=object)
    return pd.Series(resolved[codes], index=values.index, dtype=object)


def name(adcode: str, lang: str = "zh") -> str:
    """Display name of a district in ``lang`` ("zh" or "en"); the code itself if unknown."""
    d = BY_ADCODE.get(str(adcode))
    if d is None:
        return str(adcode)
    return d.name_zh if lang == "zh" else d.name_en


def names(codes: object, lang: str = "zh") -> str:
    """Display names for comma-separated adcodes as stored on uploads, plans and audit entries ("" for none)."""
    if not isinstance(codes, str) or not codes:
        return ""
    from dashboard.core.geo import areas  # a street union's entries name streets (9 digits): 朝阳区建外街道

    return " ".join(areas.name(c, lang) if len(c) == 9 else name(c, lang) for c in codes.split(","))


def table() -> pd.DataFrame:
    """The 16 districts as a DataFrame with columns adcode, name_zh, name_en."""
    return pd.DataFrame([d.__dict__ for d in DISTRICTS])


def boundaries():
    """District boundaries as a GeoDataFrame in WGS-84, with their area in km².

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``adcode, name_zh, name_en, area_km2, geometry``; ``crs`` is EPSG:4326.
    """
    import geopandas as gpd  # heavy; only the map and the sample generator need it

    gdf = gpd.read_file(BOUNDARIES_FILE)
    gdf = gdf.set_crs(CRS, allow_override=True) if gdf.crs is None else gdf.to_crs(CRS)
    gdf["adcode"] = gdf["adcode"].astype(str)
    gdf["area_km2"] = gdf.to_crs(AREA_CRS).area / 1e6
    return gdf[["adcode", "name_zh", "name_en", "area_km2", "geometry"]]
