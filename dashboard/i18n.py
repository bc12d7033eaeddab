"""Chinese first, English second: the language switch and a helper to pick a text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

LANGS = {"zh": "中文", "en": "English"}


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
