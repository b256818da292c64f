"""CSV rows as RFC 4180 text, with cells neutralised against formula injection.

`csv.writer` with its defaults is RFC 4180: `,` separators, CRLF line ends, fields quoted with `"` when
they hold a separator, quote, CR or LF, quotes doubled. A cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return is what spreadsheets run as a formula (OWASP "CSV Injection"), so it is written with
a leading `'`, which spreadsheets show as text and strip from the display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class CsvBuffer:
    """Rows appended as text; `take()` hands back the UTF-8 bytes written so far and empties it."""

    def __init__(self) -> None:
        self._text = io.StringIO()
        self._writer = csv.writer(self._text)
        self.rows = 0

    def row(self, cells: Iterable[str]) -> None:
        self._writer.writerow([neutralise(c) for c in cells])
        self.rows += 1

    def raw(self, text: str) -> None:
        self._text.write(text)

    def size(self) -> int:
        return self._text.tell()

    def take(self) -> bytes:
        data = self._text.getvalue().encode("utf-8")
        self._text.seek(0)
        self._text.truncate()
        return data
