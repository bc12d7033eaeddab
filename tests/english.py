"""The English scan shared by the AppTest and browser tests: words in a Chinese page outside a short allow-list."""

from __future__ import annotations

import re

# Words that may stay as they are in a Chinese page: file formats, units, standards, product and library names,
# the command a server admin types, coordinate systems.
ALLOWED = {
    "csv",
    "excel",
    "xlsx",
    "pdf",
    "png",  # 下载为 PNG (a chart's download button)
    "svg",
    "utf",
    "bom",
    "gbk",
    "mb",
    "km",
    "id",
    "url",
    "http",
    "https",
    "readme",
    "osm",
    "openstreetmap",
    "gcj",
    "wgs",
    "gb",
    "python",  # library versions on the model card (a command line is caught by RAW below)
    "scikit",  # library versions on the model card
    "learn",
    "numpy",
    "pandas",
    "joblib",
    "ics",
    "sso",
    "english",  # the language switch offers English, in English
    "language",
    "geo",  # the directions links' address (geo:…); people see 打开地图
    "soho",  # 建外SOHO, 望京SOHO: Beijing places as people name them (the sample's sites and enterprises)
    # account names are the users' own data (the sample's demo accounts and its loader)
    "admin",
    "chaoyang",
    "haidian",
    "leader",
    "sample",
    "system",
    "top",
}
# What users typed or named (file names, notes, account names) and ids (P3-001-9f2c…). The audit log's details are
# scanned: their keys and recorded words are said in Chinese (file names and codes are data, see CODE).
DATA_COLUMNS = {"file_name", "notes", "sso_email", "session_id", "name", "actor", "value", "session"}
# credit codes and register ids, enterprise names, and a service package's English name (the admin edits it)
DATA_COLUMNS |= {"企业编号", "企业名称", "enterprise_id", "en"}
# a plan's directions: map apps' addresses, shown as a link text ("打开地图"), never read
DATA_COLUMNS |= {"导航"}
WORD = re.compile(r"[A-Za-z]{3,}")
COLOUR = re.compile(r":(?:red|green|gray|grey|blue|orange|violet|rainbow|primary)\[")  # markdown colour, not text
CODE = re.compile(
    r"`[^`]*`|\b[\w/.-]+\.(?:py|csv|xlsx|ics|html|md)\b"  # commands and file names are code
    r"|(?<![0-9A-Za-z])[0-9A-Z]{18}(?![0-9A-Za-z])|E-\d{6}-[0-9A-F]{10}"  # credit codes and register ids are data
    r"|https?://[^\s；;，,]+"  # an address an admin typed (a tile server's, in the audit log) is data
)


def english_words(texts) -> set[str]:
    found = set()
    for text in texts:
        if text is None:
            continue
        for word in WORD.findall(CODE.sub(" ", COLOUR.sub("[", str(text)))):
            if word.lower() not in ALLOWED:
                found.add(word)
    return found


# Raw values where words belong: a missing value as Python or pandas prints it, a street's 9-digit code where its name
# belongs, a command line or a benchmark's path (a planner has neither). Credit codes and register ids are data.
RAW = re.compile(
    r"(?<![A-Za-z])(?:None|nan|NaN|NaT)(?![A-Za-z])"
    r"|(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])"
    r"|python -m|bench/"
)
DATA_CODES = re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{18}(?![0-9A-Za-z])|E-\d{6}-[0-9A-F]{10}")


def raw_values(texts) -> set[str]:
    """The raw values (``None``, ``nan``, ``NaT``, street codes, command lines, bench paths) in ``texts``."""
    found = set()
    for text in texts:
        if text is None:
            continue
        found |= {m.group(0) for m in RAW.finditer(DATA_CODES.sub(" ", str(text)))}
    return found
