"""Getting data in: uploads of sites and sessions, from bytes to rows in the database.

:mod:`.tabular` reads CSV/xlsx in any encoding Excel writes; :mod:`.columns` knows the accepted headers in Chinese and
English; :mod:`.parsing` turns dates, times and counts typed many ways into values; :mod:`.validate` checks every
row and names each problem's row, column and fix; :mod:`.ingest` writes a file whole or not at all, never twice,
within the caller's districts; :mod:`.templates` makes the blank files to fill in.
"""
