"""Links that open the map apps people in Beijing use at a site, for a team lead's phone and the printed sheet.

高德 (Amap), 百度 (Baidu) and Apple Maps in mainland China all place points in GCJ-02, the coordinates Chinese maps
are published in, so their links carry the site's WGS-84 position converted (:mod:`gcj02`); ``geo:`` (RFC 5870,
Android's fallback) carries WGS-84 as it is. The site's name travels percent-encoded, never as markup. Nothing is
fetched: each is a link the person taps.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from dashboard.core.geo.gcj02 import wgs_to_gcj

APPS = (("amap", "高德地图", "Amap"), ("baidu", "百度地图", "Baidu Maps"), ("apple", "苹果地图", "Apple Maps"))
BAIDU_SOURCE = "webapp.bjzgh.outreach"  # Baidu's links name the calling app (any stable text)


def links(lat: object, lon: object, name: str = "") -> dict[str, str]:
    """{"amap", "baidu", "apple", "geo"} -> a link that opens that app at the point; {} without coordinates."""
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return {}
    if not (math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180):
        return {}
    glon, glat = (float(v[0]) for v in wgs_to_gcj([lo], [la]))
    label = quote(str(name or "").strip()[:60], safe="")
    return {
        "amap": f"https://uri.amap.com/marker?position={glon:.6f},{glat:.6f}&name={label}&coordinate=gaode&callnative=1",
        "baidu": (
            f"https://api.map.baidu.com/marker?location={glat:.6f},{glon:.6f}&title={label}&content={label}"
            f"&output=html&coord_type=gcj02&src={BAIDU_SOURCE}"
        ),
        "apple": f"https://maps.apple.com/?ll={glat:.6f},{glon:.6f}&q={label or 'site'}",
        "geo": f"geo:{la:.6f},{lo:.6f}?q={la:.6f},{lo:.6f}({label})",
    }


def preferred(user_agent: str) -> str:
    """The app to offer first: Apple Maps on an iPhone or iPad, else 高德."""
    agent = (user_agent or "").lower()
    return "apple" if ("iphone" in agent or "ipad" in agent) else "amap"
