"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters whose last is a check character.

The alphabet is the digits and 21 capital letters (I, O, S, V and Z are never used, so none is mistaken for a digit);
characters 3–8 are the registering office's administrative division code, so a Beijing enterprise's starts 11.

Examples
--------
>>> check_character("91110108MA01ABCDE")
'N'
>>> is_valid("91110108MA01ABCDEN"), is_valid("91110108MA01ABCDEW")
(True, False)
>>> normalise(" 91110108ma01abcden ")
'91110108MA01ABCDEN'
"""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def normalise(text: object) -> str:
    """Full-width characters folded, spaces and hyphens dropped, letters in capitals: the code as stored."""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "-_").upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (which must all be in :data:`ALPHABET`)."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with a normalised code, in a word ("length", "character", "check"), or None when it is valid."""
    if len(code) != 18:
        return "length"
    if any(c not in VALUE for c in code):
        return "character"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


# Beijing's division codes that are no longer districts: 崇文 and 宣武 (merged into 东城 and 西城 in 2010), 密云县 and
# 延庆县 (districts since 2015 under new codes). A code issued before keeps its old office's division.
_OLD_DIVISIONS = {"110103": "110101", "110104": "110102", "110228": "110118", "110229": "110119"}


def division(code: str) -> str | None:
    """The Beijing district whose office registered a valid code (characters 3-8, old codes mapped to today's
    district), or None when the code was registered by the city (110000), outside Beijing, or is not valid.

    A registration says where the enterprise was registered, not where it is now: the importer only warns when it
    names another district than the row's.
    """
    if not is_valid(code):
        return None
    part = code[2:8]
    part = _OLD_DIVISIONS.get(part, part)
    return part if part.startswith("1101") and part != "110100" else None
