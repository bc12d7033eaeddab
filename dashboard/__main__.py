import os
import sys
from pathlib import Path

# `python -m dashboard` from anywhere: the repository root holds both `dashboard` and `data`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.cli import main  # noqa: E402

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:  # output piped into `head` and cut short: not an error
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 0
raise SystemExit(code)
