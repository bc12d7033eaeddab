"""Benchmark: import a 100,000-row sessions file into a fresh SQLite database.

Prints rows per second and the ratio to a bare ``pandas.read_csv`` of the same file, measured in the same run
(target: the full validated, idempotent import within 15x the bare read). Also times a re-import of the same
file (every row unchanged) and a dry run.

Usage::

    python bench/ingest.py [--rows 100000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.intake import ingest  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from data import sample  # noqa: E402

HEADERS = {
    "session_id": "场次编号",
    "session_type": "类型",
    "date": "日期",
    "start_time": "开始时间",
    "end_time": "结束时间",
    "district": "所属区",
    "site_id": "点位编号",
    "site_name": "点位名称",
    "staff": "工作人员数",
    "consultations": "现场咨询人数",
    "applications": "现场申请入会人数",
    "members_joined": "发展会员数",
    "enterprises_reached": "涉及企业数",
    "unions_founded": "建会企业数",
    "notes": "备注",
}


def make_file(rows: int, sites: pd.DataFrame, seed: int) -> bytes:
    """A planner-style file: Chinese headers, UTF-8 with BOM, mixed date spellings, 80% worker sessions."""
    rng = np.random.default_rng(seed)
    worker = rng.random(rows) < 0.8
    site_idx = rng.integers(0, len(sites), rows)
    days = pd.Timestamp("2018-04-01") + pd.to_timedelta(rng.integers(0, 3100, rows), unit="D")
    spelled = np.where(rng.random(rows) < 0.5, days.strftime("%Y-%m-%d"), days.strftime("%Y/%-m/%-d"))
    start = rng.integers(14, 40, rows) * 30
    consult = rng.poisson(22, rows)
    apps = rng.binomial(consult, 0.26)
    reached = 1 + rng.poisson(0.25, rows)
    frame = pd.DataFrame(
        {
            "session_id": [f"B{i:07d}" for i in range(rows)],
            "session_type": np.where(worker, "职工沟通会", "企业沟通会"),
            "date": spelled,
            "start_time": [f"{m // 60}:{m % 60:02d}" for m in start],
            "end_time": [f"{(m + 120) // 60}:{m % 60:02d}" for m in start],
            "district": sites["district"].to_numpy()[site_idx],
            "site_id": np.where(worker, sites["site_id"].to_numpy()[site_idx], ""),
            "site_name": "",
            "staff": rng.integers(1, 7, rows),
            "consultations": np.where(worker, consult.astype(str), ""),
            "applications": np.where(worker, apps.astype(str), ""),
            "members_joined": np.where(worker, apps, rng.poisson(60, rows)),
            "enterprises_reached": np.where(worker, "", reached.astype(str)),
            "unions_founded": np.where(worker, "", rng.binomial(reached, 0.68).astype(str)),
            "notes": np.where(rng.random(rows) < 0.05, "骑手驿站合办", ""),
        }
    ).rename(columns=HEADERS)
    return frame.to_csv(index=False).encode("utf-8-sig")


def best_of(repeat: int, fn):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    generated = sample.generate()
    data = make_file(args.rows, generated.sites, args.seed)
    sites_csv = sample.to_csv_bytes(generated.sites)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sessions.csv"
        path.write_bytes(data)
        read_s, frame = best_of(args.repeat, lambda: pd.read_csv(path))
        assert len(frame) == args.rows

        def fresh_import():
            db_path = Path(tmp) / f"bench-{time.perf_counter_ns()}.sqlite"
            engine = db.make_engine(f"sqlite:///{db_path}")
            db.upgrade(engine)
            ingest.import_sites(engine, sites_csv, "sites.csv")
            t0 = time.perf_counter()
            report = ingest.import_sessions(engine, path.read_bytes(), path.name, max_bytes=1 << 40, max_rows=1 << 40)
            elapsed = time.perf_counter() - t0
            return elapsed, report, engine

        str_read_s, _ = best_of(args.repeat, lambda: pd.read_csv(path, dtype=str, keep_default_na=False))

        def write_floor():
            """The same rows inserted by sqlite3 directly, no validation: what storage alone costs."""
            db_path = Path(tmp) / f"floor-{time.perf_counter_ns()}.sqlite"
            engine = db.make_engine(f"sqlite:///{db_path}")
            db.upgrade(engine)
            ingest.import_sites(engine, sites_csv, "sites.csv")
            with engine.connect() as conn:
                rows = ingest.import_sessions(engine, path.read_bytes(), path.name, dry_run=True).preview
                t0 = time.perf_counter()
                ingest._insert_sessions(conn, rows, None)
                conn.commit()
                return time.perf_counter() - t0

        floor_s = min(write_floor() for _ in range(args.repeat))
        runs = [fresh_import() for _ in range(args.repeat)]
        import_s, report, engine = min(runs, key=lambda r: r[0])
        assert report.status == "written" and report.inserted == args.rows, report.counts()
        reimport_s, again = best_of(args.repeat, lambda: ingest.import_sessions(engine, path.read_bytes(), path.name))
        assert again.unchanged == args.rows and again.inserted == 0
        dry_s, _ = best_of(
            args.repeat, lambda: ingest.import_sessions(engine, path.read_bytes(), path.name, dry_run=True)
        )

    mb = len(data) / 1e6
    print(f"file: {args.rows:,} rows, {mb:.1f} MB (UTF-8 with BOM, Chinese headers); best of {args.repeat}")
    print(f"bare pandas.read_csv          {read_s:7.3f} s   {args.rows / read_s:>10,.0f} rows/s")
    print(
        f"pandas.read_csv(dtype=str)    {str_read_s:7.3f} s   {args.rows / str_read_s:>10,.0f} rows/s   ratio "
        f"{str_read_s / read_s:5.1f}x  (reading every cell as text, as a validator must)"
    )
    print(
        f"SQLite insert alone           {floor_s:7.3f} s   {args.rows / floor_s:>10,.0f} rows/s   ratio "
        f"{floor_s / read_s:5.1f}x  (storage floor: no reading, no validation)"
    )
    print(
        f"validated import (fresh db)   {import_s:7.3f} s   {args.rows / import_s:>10,.0f} rows/s   ratio "
        f"{import_s / read_s:5.1f}x  (target <= 15x)"
    )
    print(
        f"re-import (all unchanged)     {reimport_s:7.3f} s   {args.rows / reimport_s:>10,.0f} rows/s   ratio "
        f"{reimport_s / read_s:5.1f}x"
    )
    print(
        f"dry run                       {dry_s:7.3f} s   {args.rows / dry_s:>10,.0f} rows/s   ratio "
        f"{dry_s / read_s:5.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
