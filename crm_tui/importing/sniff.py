"""What kind of text file an export is: encoding, delimiter, decimal comma, date order."""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

DELIMITERS = (",", ";", "\t")
SAMPLE_ROWS = 5000
_CHUNK = 1 << 20


class UnreadableFile(ValueError):
    """The file cannot be read as a CSV export; the message says what was expected."""


@dataclass
class FileDialect:
    encoding: str
    delimiter: str
    header: list[str]
    decimal_comma: bool = False
    dayfirst: bool | None = None  # None: the dates in the file do not say (ISO or ambiguous)
    has_nul: bool = False  # a few NUL bytes: the rows holding them are rejected
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        names = {",": "comma", ";": "semicolon", "\t": "tab"}
        parts = [self.encoding, f"{names[self.delimiter]}-separated"]
        if self.decimal_comma:
            parts.append("decimal comma")
        if self.dayfirst is not None:
            parts.append("day-first dates" if self.dayfirst else "month-first dates")
        return ", ".join(parts)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else Windows-1252/Latin-1."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnreadableFile(f"{path}: UTF-16 text; save the export as UTF-8 or Windows-1252 CSV")
        handle.seek(0)
        first = handle.read(_CHUNK)
        # A NUL in the header line means binary (or BOM-less UTF-16); NULs further down only
        # cost their own rows, which are rejected one by one: a valid row is never lost to them.
        # Other binaries fail at the header, which then has no delimited column names.
        if b"\x00" in first.split(b"\n", 1)[0]:
            raise UnreadableFile(f"{path}: binary data (NUL bytes); expected a CSV text export")
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        data_ok = True
        cp1252 = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := handle.read(_CHUNK):
                cp1252.decode(chunk)
        except UnicodeDecodeError:
            data_ok = False
        return "cp1252" if data_ok else "latin-1"


def _split_header(line: str) -> tuple[str, list[str]]:
    counts = {d: len(next(csv.reader([line], delimiter=d))) for d in DELIMITERS}
    delimiter = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    if counts[delimiter] < 2:
        raise UnreadableFile("expected a header row of column names separated by , ; or tab")
    return delimiter, [name.strip() for name in next(csv.reader([line], delimiter=delimiter))]


_DECIMAL_COMMA = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d{1,9}),\d{1,4}$")  # 2,55 and 1.004,50
_DECIMAL_POINT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d{1,9})\.\d{1,4}$")  # 2.55 and 1,004.50
_EITHER = re.compile(r"^-?\d{1,3}[.,]\d{3}$")  # 1.200 or 1,200: a thousands separator or a decimal
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})")


def sniff(path: Path, encoding: str | None = None) -> FileDialect:
    encoding = encoding or detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        first = handle.readline()
        if not first.strip():
            raise UnreadableFile(f"{path}: empty file; expected a CSV export with a header row")
        delimiter, header = _split_header(first.rstrip("\r\n"))
        sample = list(_first_rows(handle, delimiter))
    dialect = FileDialect(encoding, delimiter, header, has_nul=_has_nul(path))
    commas = points = day_first = month_first = 0
    for row in sample:
        for value in row:
            value = value.strip()
            if _EITHER.match(value):
                continue
            if _DECIMAL_COMMA.match(value):
                commas += 1
            elif _DECIMAL_POINT.match(value):
                points += 1
            elif m := _SLASH_DATE.match(value):
                a, b = int(m.group(1)), int(m.group(2))
                day_first += a > 12
                month_first += b > 12
    # Semicolon files come from Excel in comma-decimal locales; a decimal comma there is
    # unambiguous. In a comma-separated file a quoted "2,55" is one too.
    dialect.decimal_comma = commas > points
    if day_first and not month_first:
        dialect.dayfirst = True
    elif month_first and not day_first:
        dialect.dayfirst = False
    elif day_first and month_first:
        dialect.notes.append("dates are written both day-first and month-first; rows that do not fit "
                             "the order given by --dayfirst (default month-first) are rejected")
    elif sample and any(_SLASH_DATE.match(v.strip()) for row in sample for v in row):
        dialect.dayfirst = delimiter == ";" or dialect.decimal_comma
        dialect.notes.append(
            "the dates in the first rows fit both day-first and month-first; reading them "
            f"{'day-first' if dialect.dayfirst else 'month-first'} (pass --dayfirst or --monthfirst to choose)")
    return dialect


def _has_nul(path: Path) -> bool:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                return True
    return False


def _first_rows(handle: io.TextIOBase, delimiter: str):
    reader = csv.reader(handle, delimiter=delimiter)
    for index, row in enumerate(reader):
        if index >= SAMPLE_ROWS:
            return
        yield row
