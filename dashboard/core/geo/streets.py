"""Beijing's 343 streets and townships (街道, 地区, 镇, 乡) and 6 development zones, with their 9-digit statistical
codes, and a resolver for names as people type them.

The list is the National Bureau of Statistics' 2023 统计用区划代码 (``data/beijing_streets.csv``; its source and
licence are in ``data/README.md``). A name may be typed with or without its 街道 / 地区 / 镇 / 乡 (or 办事处), with
spaces or in full-width characters; it is resolved within a district when one is given, and across the city only when
no two districts share it. Names a unit bore before it was renamed (``data/beijing_street_aliases.csv``, from the
earlier lists: 长辛店镇 is now 北宫镇) resolve to the unit; a current name always means the current unit.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

from dashboard.core.geo.districts import DATA_DIR

STREETS_FILE = DATA_DIR / "beijing_streets.csv"
ALIASES_FILE = DATA_DIR / "beijing_street_aliases.csv"
KINDS = {
    "street": ("街道", "street"),
    "area": ("地区", "area"),
    "town": ("镇", "town"),
    "township": ("乡", "township"),
    "zone": ("开发区", "development zone"),
}
# what people add to or leave off a name: longest first, so 街道办事处 goes before 街道
_SUFFIXES = ("街道办事处", "地区办事处", "乡人民政府", "镇人民政府", "办事处", "街道", "地区", "镇", "乡")


@lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    """Every unit: ``code`` (9 digits), ``name``, ``district`` (adcode), ``kind`` (a key of :data:`KINDS`)."""
    return pd.read_csv(STREETS_FILE, dtype=str)


def of_district(district: str) -> pd.DataFrame:
    """The units of one district, in code order."""
    frame = table()
    return frame[frame["district"] == district].reset_index(drop=True)


@lru_cache(maxsize=1)
def _by_code() -> dict[str, tuple[str, str]]:
    """code -> (name, district): looked up once per row of an import, so a dict rather than a frame."""
    return {c: (n, d) for c, n, d in table()[["code", "name", "district"]].itertuples(index=False)}


def name(code: str) -> str | None:
    found = _by_code().get(code)
    return None if found is None else found[0]


def district_of(code: str) -> str | None:
    found = _by_code().get(code)
    return None if found is None else found[1]


@lru_cache(maxsize=32)
def folded_names(district: str) -> dict[str, str]:
    """The district's names as compared (:func:`fold`) -> as written, e.g. {"建外": "建外街道"}."""
    return {fold(n): str(n) for n in of_district(district)["name"]}


def fold(text: object) -> str:
    """A name as compared: NFKC (full width to half), no spaces, no 街道 / 地区 / 镇 / 乡 / 办事处 at the end."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    for suffix in _SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            return folded[: -len(suffix)]
    return folded


@lru_cache(maxsize=1)
def aliases() -> pd.DataFrame:
    """Old names: ``old_name``, ``code``, ``district``, ``name`` (today's) and ``last_listed`` (the last year of
    the statistics that listed the old name)."""
    return pd.read_csv(ALIASES_FILE, dtype=str)


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]]]:
    """(district or "", folded name) -> codes, for today's names (a code typed as it is also resolves) and for the
    old names that no current name shadows."""
    current: dict[tuple[str, str], list[str]] = {}
    for code, unit, district in table()[["code", "name", "district"]].itertuples(index=False):
        for key in {fold(unit), str(unit), code}:
            current.setdefault((district, key), []).append(code)
            current.setdefault(("", key), []).append(code)
    old: dict[tuple[str, str], list[str]] = {}
    for code, unit, district in aliases()[["code", "old_name", "district"]].itertuples(index=False):
        for key in {fold(unit), str(unit)}:
            for where in (district, ""):
                if (where, key) not in current:  # 长辛店 is today's 长辛店街道, not the old 长辛店镇 (北宫镇)
                    old.setdefault((where, key), []).append(code)
    return current, old


def _lookup(raw: str, district: str | None) -> tuple[str | None, bool]:
    """(code, whether an old name matched) for normalised text: the exact name first, then the folded one."""
    current, old = _indexes()
    office = re.sub(r"(办事处|人民政府)$", "", raw)  # 长辛店镇人民政府 is the old 长辛店镇 before it is 长辛店
    for key in dict.fromkeys((raw, office, fold(raw))):
        for index, renamed in ((current, False), (old, True)):
            codes = sorted(set(index.get((district or "", key), [])))
            if len(codes) == 1:
                return codes[0], renamed
            if len(codes) > 1:
                return None, False  # two districts share the name: the district decides
    return None, False


def _normal(text: object) -> str:
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def resolve(text: object, district: str | None = None) -> str | None:
    """The code of the unit ``text`` names (in ``district`` when given), or None when it names none or, without a
    district, more than one."""
    raw = _normal(text)
    return _lookup(raw, district)[0] if raw else None


def is_old_name(text: object, district: str | None = None) -> bool:
    """Whether ``text`` resolves only as a name its unit bore before it was renamed (imports say so)."""
    raw = _normal(text)
    return bool(raw) and _lookup(raw, district)[1]


def resolve_series(texts: pd.Series, districts: pd.Series | None = None) -> pd.Series:
    """Vectorised :func:`resolve` (each distinct pair looked up once); None where unresolved."""
    pairs = pd.DataFrame({"t": texts.astype("string").fillna(""), "d": "" if districts is None else districts})
    pairs["d"] = pairs["d"].astype("string").fillna("")
    lookup = {(t, d): resolve(t, d or None) for t, d in pairs.drop_duplicates().itertuples(index=False)}
    return pd.Series([lookup[(t, d)] for t, d in pairs.itertuples(index=False)], index=texts.index, dtype=object)


def centres(points: pd.DataFrame) -> pd.DataFrame:
    """Each street's centre (``lat``, ``lon``): the mean of the located rows of ``points`` (columns ``street_code``,
    ``lat``, ``lon``, as the sites and the register hold them). With no street boundaries to hand, this is where a
    street's outreach happens, which is what planning next door needs."""
    located = points.dropna(subset=["street_code", "lat", "lon"]).astype({"lat": float, "lon": float})
    return located.groupby("street_code")[["lat", "lon"]].mean()


def neighbours(code: str, points: pd.DataFrame, within_km: float = 4.0, most: int = 4) -> tuple[str, ...]:
    """The streets of ``code``'s district whose centres (:func:`centres`) lie nearest its own: at most ``most``,
    within ``within_km``. Empty when the street has no located rows yet."""
    import numpy as np

    home = district_of(code)
    centre = centres(points)
    if code not in centre.index or home is None:
        return ()
    same = centre[[c != code and district_of(c) == home for c in centre.index]]
    if same.empty:
        return ()
    lat0, lon0 = centre.loc[code, "lat"], centre.loc[code, "lon"]
    km = np.hypot((same["lat"] - lat0) * 111.0, (same["lon"] - lon0) * 111.0 * np.cos(np.radians(lat0)))
    return tuple(km[km <= within_km].sort_values(kind="stable").index[:most])


def from_address(addresses: pd.Series, district: pd.Series, *, official_only: bool = False) -> pd.Series:
    """The street an address names: the longest of its district's street names (official, or without 街道 / 镇 /
    乡 / 地区, at least two characters; with ``official_only``, the official names alone) found in the text after
    the city's and the district's own names, e.g. "朝阳区建外SOHO东区" → 建外街道. None where no name of the row's
    district occurs; a name of another district is never taken."""
    from dashboard.core.geo import districts as district_names

    out = pd.Series(None, index=addresses.index, dtype=object)
    text = addresses.astype("string").fillna("").map(lambda v: re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)))
    for code, idx in district.groupby(district.astype("string")).groups.items():
        units = of_district(str(code))
        if units.empty:
            continue
        # the city's and the district's own names first: 海淀区… is not 海淀街道, 怀柔区… not 怀柔地区
        own = district_names.name(str(code))
        prefix = re.compile(rf"^(北京市|北京)?({re.escape(own)})?")
        spelled: dict[str, str] = {}
        for unit_code, unit_name in units[["code", "name"]].itertuples(index=False):
            for form in (str(unit_name),) if official_only else (str(unit_name), fold(unit_name)):
                if len(form) >= 2:
                    spelled.setdefault(form, str(unit_code))
        pattern = re.compile("|".join(re.escape(f) for f in sorted(spelled, key=len, reverse=True)))
        rest = text[idx].map(lambda v, p=prefix: p.sub("", v, count=1))
        found = rest.map(lambda v, p=pattern: _longest(p, v))
        out[idx] = found.map(lambda f, s=spelled: s.get(f) if isinstance(f, str) else None)
    return out


def _longest(pattern: re.Pattern[str], text: str) -> str | None:
    """The longest name the text holds anywhere, not merely the leftmost."""
    found = [m.group(0) for m in pattern.finditer(text)]
    return max(found, key=len) if found else None


def far_from(lat: pd.Series, lon: pd.Series, code: pd.Series, centre: pd.DataFrame) -> pd.Series:
    """True where a row's point lies more than :data:`NEAREST_MAX_KM` from the centre of the street ``code`` names
    (False where either is unknown)."""
    import numpy as np

    known = code.notna() & lat.notna() & lon.notna() & code.isin(centre.index)
    out = pd.Series(False, index=code.index)
    if known.any():
        c = centre.reindex(code[known].astype(str))
        la = lat[known].to_numpy(float)
        km = np.hypot(
            (la - c["lat"].to_numpy(float)) * 111.0,
            (lon[known].to_numpy(float) - c["lon"].to_numpy(float)) * 111.0 * np.cos(np.radians(la)),
        )
        out[known] = km > NEAREST_MAX_KM
    return out


NEAREST_MAX_KM = 3.0  # farther from every known street centre than this, a point is left without a street


def nearest(lat: pd.Series, lon: pd.Series, district: pd.Series, centre: pd.DataFrame) -> pd.Series:
    """The street of the row's own district whose centre (:func:`centres`) lies nearest the point, within
    :data:`NEAREST_MAX_KM`; None where the point is missing or no known centre is near. Without street boundaries
    this is a guess, which is why imports say so row by row."""
    import numpy as np

    out = pd.Series(None, index=lat.index, dtype=object)
    located = lat.notna() & lon.notna() & district.notna()
    if centre.empty or not located.any():
        return out
    home = pd.Series([district_of(c) for c in centre.index], index=centre.index)
    for code, idx in district[located].groupby(district[located].astype("string")).groups.items():
        mine = centre[home == code]
        if mine.empty:
            continue
        la, lo = lat[idx].to_numpy(float), lon[idx].to_numpy(float)
        km = np.hypot(
            (la[:, None] - mine["lat"].to_numpy(float)[None, :]) * 111.0,
            (lo[:, None] - mine["lon"].to_numpy(float)[None, :]) * 111.0 * np.cos(np.radians(la[:, None])),
        )
        best = km.argmin(axis=1)
        near = km[np.arange(len(best)), best] <= NEAREST_MAX_KM
        out[idx] = np.where(near, mine.index.to_numpy()[best], None)
    return out
