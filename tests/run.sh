#!/usr/bin/env bash
# Set up (or update) .venv with the pinned test dependencies and run every test. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

exec .venv/bin/python -m pytest "$@"
