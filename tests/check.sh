#!/usr/bin/env bash
# Lint, format check and type check, as .ci/run and the pre-commit hooks run them. Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
