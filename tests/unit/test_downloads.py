"""Every download button is drawn by dashboard.downloads, which never reruns the page on a click: a rerun that
starts empties the page's message queue, and with it the reply that carries a file made on the click (see the
module). The browser tests take the downloads themselves (tests/e2e)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard import downloads

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _direct_calls(source: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "download_button"
    ]


def test_no_page_draws_a_download_button_of_its_own():
    offenders = [
        f"{path.relative_to(DASHBOARD)}:{line}"
        for path in DASHBOARD.rglob("*.py")
        if path.name != "downloads.py"
        for line in _direct_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_finds_a_direct_call():
    assert _direct_calls("import streamlit as st\ncol = st\ncol.download_button('a', b'x')\n") == [3]


class _Where:
    def __init__(self):
        self.calls = []

    def download_button(self, *args, **kwargs):
        self.calls.append((args, kwargs))


def test_a_click_downloads_without_rerunning_the_page():
    where = _Where()
    make = lambda: b"a,b\n"  # noqa: E731 - the deferred data, as the pages pass it
    downloads.button(where, "下载", make, file_name="x.csv", key="k", mime="text/csv")
    assert where.calls == [
        (("下载", make), {"file_name": "x.csv", "key": "k", "on_click": "ignore", "mime": "text/csv"})
    ]
    with pytest.raises(TypeError, match="never reruns"):
        downloads.button(where, "下载", make, file_name="x.csv", key="k", on_click="rerun")
