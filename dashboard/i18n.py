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


def chinese_builtins() -> None:
    """Streamlit builds a few texts in English: the file uploader's button and size note, and the keyboard users'
    "Skip to main content" link. In Chinese, write Chinese over them.

    CSS only (the texts are in Streamlit's own components, with no option to change them): the English is set to
    size 0 and the Chinese shown in its place, so everything behaves exactly as before. The upload limit shown is
    the server's own setting.
    """
    if lang() != "zh":
        return
    limit = float(st.get_option("server.maxUploadSize"))
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p{font-size:0}'
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after'
        '{content:"选择文件";font-size:0.875rem}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span{font-size:0}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span::after'
        f'{{content:"或把文件拖到这里 · 每个文件不超过 {limit:g} MB";font-size:0.875rem}}'
        '[data-testid="stSkipToContent"]{font-size:0}'
        '[data-testid="stSkipToContent"]::after{content:"跳到主要内容";font-size:1rem}'
        "</style>"
    )


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
