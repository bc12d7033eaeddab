"""Vega-Lite's own schema (the one Altair ships) for the tests: the app writes its chart specs by hand
(dashboard/charts.py), so each is checked here against the schema the browser's Vega-Lite follows."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema


@functools.cache
def _validator() -> jsonschema.Draft7Validator:
    from altair.vegalite.v6.schema import core

    return jsonschema.Draft7Validator(core.load_schema())


def problems(spec: dict[str, Any]) -> list[str]:
    """What the schema refuses in ``spec`` (empty when valid); frames under ``datasets`` are checked as the records
    Streamlit sends."""
    doc = dict(spec)
    if "datasets" in doc:
        doc["datasets"] = {k: json.loads(v.to_json(orient="records")) for k, v in doc["datasets"].items()}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in _validator().iter_errors(doc)]
