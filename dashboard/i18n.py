"""Chinese first, English second: the language switch and a helper to pick a text."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import streamlit as st

LANGS = {"zh": "中文", "en": "English"}
STATIC = Path(__file__).parent / "static"


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(zh: str, en: str) -> str:
    """The text for the current language."""
    return en if lang() == "en" else zh


def md_escape(text) -> str:
    """User text for a Markdown element (headings, captions): shown literally, never as formatting or HTML."""
    specials = "\\`*_{}[]<>()#+-.!|~$"
    return "".join("\\" + ch if ch in specials else ch for ch in str(text))


def beijing(column: pd.Series) -> pd.Series:
    """Stored UTC times as Beijing wall-clock times, as users read them."""
    return pd.to_datetime(column, utc=True).dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)


def chinese_builtins() -> None:
    """Streamlit builds a few texts in English: the file uploader's button and size note, the keyboard users'
    "Skip to main content" link, and the labels a screen reader reads on its buttons ("Help for …", "Remove …",
    "Choose date"). In Chinese, say them in Chinese.

    Streamlit has no option for these texts, and a stylesheet can only cover them (a screen reader still reads what
    is covered), so a short script of the app's own (``static/zh_labels.js``) changes exactly those texts in the
    page, and in English puts them back. The size note keeps the server's own limit.
    """
    st.html(
        f"<script>window.__outreachLang = {json.dumps(lang())};\n{_labels_script()}</script>",
        unsafe_allow_javascript=True,
    )


@functools.cache
def _labels_script() -> str:
    """The page script of :func:`chinese_builtins`, read from disk once per process (not on every rerun)."""
    return (STATIC / "zh_labels.js").read_text(encoding="utf-8")


def lang_key(key: str) -> str:
    """The key for a selectbox or multiselect whose options are shown in the current language.

    Streamlit keeps showing a keyed selectbox's old label when only its ``format_func`` changes (streamlit#13788):
    after a switch to English the district box still read 全市. A key per language draws the widget afresh in the new
    language, and the choice made in the other language is carried over, so switching language keeps every selection.
    """
    current = f"{key}@{lang()}"
    other = f"{key}@{'en' if lang() == 'zh' else 'zh'}"
    # the other language's state survives only the run after a switch (unrendered widgets' state is dropped)
    if other in st.session_state:
        st.session_state[current] = st.session_state.pop(other)
    return current
