#!/usr/bin/env bash
# Set up (or update) .venv with the pinned test dependencies and run every test on every core (pytest-xdist; one
# test file per worker at a time, so module-wide fixtures such as a trained model are built once). Arguments go to
# pytest: `bash tests/run.sh -n 0 tests/unit/test_import.py` runs one file in this process.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

exec .venv/bin/python -m pytest -n auto --dist loadfile --durations=25 "$@"
