import sys
from pathlib import Path

# `python -m dashboard` from anywhere: the repository root holds both `dashboard` and `data`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.cli import main  # noqa: E402

raise SystemExit(main())
