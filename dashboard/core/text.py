"""Text from users made storable and showable: no control characters.

PostgreSQL refuses NUL in text, .xlsx files refuse most control characters, and an invisible character before "="
could hide a formula from a check. Tab and line breaks are kept: they are ordinary text in a cell.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: str) -> str:
    """``value`` without control characters (tab and line breaks kept)."""
    return CONTROL.sub("", value)
