"""The one CSV writer of the product: every CSV crm-tui writes (reports, campaign lists, the
import's reject file) goes through it, so no cell is run by the spreadsheet that opens it.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
(OWASP's advice against CSV injection), unless it is plainly a number (`-12.50`, `+34611223344`,
`1e5`), which stays as it is."""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


class Writable(Protocol):
    """Where the CSV goes: an open text file, sys.stdout, a StringIO."""

    def write(self, text: str, /) -> object: ...


def neutralised(value: object) -> object:
    """The cell as a spreadsheet may safely open it: numbers and None as they are, text that a
    spreadsheet would take for a formula behind a `'`."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer's writerow/writerows, with every cell neutralised."""

    def __init__(self, handle: Writable, **fmtparams: Any):
        self._writer = csv.writer(handle, **fmtparams)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralised(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: Writable, **fmtparams: Any) -> SafeCsvWriter:
    """The writer for a CSV that people open in a spreadsheet (csv.writer's arguments)."""
    return SafeCsvWriter(handle, **fmtparams)
