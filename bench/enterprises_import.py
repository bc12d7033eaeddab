"""Benchmark: import 100,000 enterprises against importing 100,000 sessions, on fresh SQLite databases, same run.

The register comes from ``data/enterprise_sample.py`` (valid credit codes, Chinese headers, coordinates checked),
the sessions file from ``bench/ingest.py``'s planner-style generator. Each import is the full validated one, best of
``--repeat``; a re-import of the register (every row unchanged) is timed too. Target (issue 13): the register
within 3x the sessions' time.

Usage::

    python bench/enterprises_import.py [--rows 100000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import make_file  # noqa: E402

from dashboard.core.intake import ingest  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from data import enterprise_sample, sample  # noqa: E402

UNLIMITED = {"max_bytes": 1 << 40, "max_rows": 1 << 40}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    generated = sample.generate()
    register = enterprise_sample.generate(n=args.rows, sessions=generated.sessions).enterprises
    register_csv = sample.to_csv_bytes(register)
    sessions_csv = make_file(args.rows, generated.sites, seed=7)
    sites_csv = sample.to_csv_bytes(generated.sites)

    with tempfile.TemporaryDirectory() as tmp:

        def fresh(kind: str) -> tuple[float, object, object]:
            engine = db.make_engine(f"sqlite:///{Path(tmp) / f'{kind}-{time.perf_counter_ns()}.sqlite'}")
            db.upgrade(engine)
            ingest.import_sites(engine, sites_csv, "sites.csv")
            t0 = time.perf_counter()
            if kind == "enterprises":
                report = ingest.import_enterprises(engine, register_csv, "register.csv", **UNLIMITED)
            else:
                report = ingest.import_sessions(engine, sessions_csv, "sessions.csv", **UNLIMITED)
            return time.perf_counter() - t0, report, engine

        sessions_s, s_report, _ = min((fresh("sessions") for _ in range(args.repeat)), key=lambda r: r[0])
        register_s, e_report, engine = min((fresh("enterprises") for _ in range(args.repeat)), key=lambda r: r[0])
        assert s_report.inserted == args.rows and e_report.inserted == args.rows, (s_report.counts(), e_report.counts())
        t0 = time.perf_counter()
        again = ingest.import_enterprises(engine, register_csv, "register-again.csv", **UNLIMITED)
        again_s = time.perf_counter() - t0
        assert again.unchanged == args.rows

    ratio = register_s / sessions_s
    print(f"{args.rows:,} sessions imported in {sessions_s:.1f} s ({args.rows / sessions_s:,.0f} rows/s)")
    print(f"{args.rows:,} enterprises imported in {register_s:.1f} s ({args.rows / register_s:,.0f} rows/s)")
    print(f"register / sessions: {ratio:.2f}x  {'ok' if ratio <= 3 else 'OVER'} (target <= 3x)")
    print(f"re-import of the register, every row unchanged: {again_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
