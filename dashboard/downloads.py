"""Download buttons that always download: every one in the app is drawn by :func:`button`.

A download whose bytes are made when it is clicked (a callable: the export is audited when it is taken, and nothing
is built for buttons nobody presses) reaches the browser as a reply on the page's message queue. By default a click
also reruns the page, and a run that starts empties that queue of all but its own lifecycle messages (Streamlit
1.67, ``AppSession._clear_queue``): when the file was ready before the run started, the reply was dropped and the
browser waited three minutes for nothing. CI saw it as a browser test's download that never came; in a bare app
with a polling fragment 7 of 40 clicks were lost, and none of 60 with ``on_click="ignore"``. A download changes
nothing on the page, so no download button reruns it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = bytes | str | Callable[[], bytes | str]


def button(where: Any, label: str, data: Data, *, file_name: str, key: str, **options: Any) -> None:
    """``where.download_button`` (``where`` is ``st`` or a column, popover or other container) that never reruns
    the page; ``options`` are the rest of Streamlit's (``mime``, ``help``, ``type``, ``disabled``…)."""
    if "on_click" in options:
        raise TypeError("a download button never reruns the page (see dashboard/downloads.py)")
    where.download_button(label, data, file_name=file_name, key=key, on_click="ignore", **options)
