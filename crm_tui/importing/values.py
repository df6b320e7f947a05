"""Reading one value of an export: money, quantities, dates, customer ids, countries.

Each parser returns the value or raises BadValue with what is wrong; the reader turns that
into a reject naming file, line and column.
"""

import csv
import re
import sys
import unicodedata
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale


class BadValue(ValueError):
    pass


FIELD_LIMIT = 128 * 1024  # characters: a longer field rejects its row, not the file


def allow_large_fields() -> None:
    """Let the csv module hand over any field, so that an oversized one rejects its row (with
    its size) instead of aborting the whole file."""
    csv.field_size_limit(sys.maxsize)


def oversized_field(row: list[str]) -> int:
    """The index of the row's first field over FIELD_LIMIT."""
    return next(i for i, value in enumerate(row) if len(value) > FIELD_LIMIT)


_NUMBER = re.compile(r"^([+-]?)(\d{1,12})(?:[.](\d{1,6}))?$")


def parse_scaled(text: str, decimal_comma: bool) -> tuple[int, int]:
    """'2,55' or '2.55' -> (255, 2): the digits as an integer and how many are decimals.

    Exact: no float ever touches money.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        if "." in value and not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", value):
            raise BadValue(f"{text!r} has a decimal point in a file that uses decimal commas")
        value = value.replace(".", "").replace(",", ".")
    elif "," in value:
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", value):
            value = value.replace(",", "")  # thousands separators
        else:
            raise BadValue(f"{text!r} has a decimal comma; pass --decimal-comma if the file uses them")
    m = _NUMBER.match(value)
    if not m:
        raise BadValue(f"{text!r} is not a number")
    sign, whole, decimals = m.groups()
    decimals = decimals or ""
    scaled = int(whole + decimals)
    return (-scaled if sign == "-" else scaled), len(decimals)


def scaled_to_cents(scaled: int, scale: int, times: int = 1) -> int:
    """scaled / 10**scale * times, in cents, rounded half away from zero."""
    numerator = scaled * times * 100
    denominator = 10 ** scale
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


def parse_money_cents(text: str, decimal_comma: bool) -> int:
    scaled, scale = parse_scaled(text, decimal_comma)
    return scaled_to_cents(scaled, scale)


def parse_quantity(text: str, decimal_comma: bool = False) -> int:
    """'12', '12.0', '1.200' (decimal-comma file) or '1,200' (decimal-point file) -> an int."""
    value = text.strip()
    if value.endswith(".0") and not decimal_comma:
        value = value[:-2]
    try:
        quantity = int(value)
    except ValueError:
        try:
            scaled, scale = parse_scaled(value, decimal_comma)
        except BadValue:
            raise BadValue(f"{text!r} is not a whole quantity") from None
        whole, fraction = divmod(abs(scaled), 10 ** scale)
        if fraction:
            raise BadValue(f"{text!r} is not a whole quantity") from None
        quantity = -whole if scaled < 0 else whole
    if abs(quantity) > 1_000_000:
        raise BadValue(f"{text!r} is not a plausible quantity")
    return quantity


_DATE_FORMATS_ISO = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class DateReader:
    """Parses the export's date-times (cached: an invoice repeats its time on every line).

    Times without a zone are the shop's local time (`zone`) and are stored in UTC.
    """

    def __init__(self, dayfirst: bool, zone: str = "Europe/Madrid"):
        self.dayfirst = dayfirst
        self.zone = ZoneInfo(zone)
        self._cache: dict[str, datetime] = {}

    def __call__(self, text: str) -> datetime:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text.strip())
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[text] = value
        return value

    def _parse(self, text: str) -> datetime:
        if not text:
            raise BadValue("the date is empty")
        local = None
        if m := _SLASHED.match(text):
            a, b, year, hour, minute, second = m.groups()
            day, month = (int(a), int(b)) if self.dayfirst else (int(b), int(a))
            year_n = int(year) + (2000 if len(year) == 2 else 0)
            try:
                local = datetime(year_n, month, day, int(hour or 0), int(minute or 0), int(second or 0))
            except ValueError:
                order = "day-first" if self.dayfirst else "month-first"
                raise BadValue(f"{text!r} is not a date when read {order}") from None
        else:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise BadValue(f"{text!r} is not a date (expected e.g. 2011-12-09 12:50 or 9/12/2011 12:50)") from None
            if parsed.tzinfo is not None:
                return parsed.astimezone(timezone.utc)
            local = parsed
        if not 1990 <= local.year <= 2100:
            raise BadValue(f"{text!r}: the year {local.year} is not plausible")
        return local.replace(tzinfo=self.zone).astimezone(timezone.utc)


# Names real exports use that CLDR does not: trade-body and till-system spellings.
_COUNTRY_ALIASES = {
    "EIRE": "IE", "UK": "GB", "U.K.": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB",
    "WALES": "GB", "NORTHERN IRELAND": "GB", "USA": "US", "U.S.A.": "US", "RSA": "ZA",
    "CHANNEL ISLANDS": "JE", "HOLLAND": "NL", "KOREA": "KR",
    # Former names CLDR has since replaced.
    "CZECH REPUBLIC": "CZ", "REPUBLICA CHECA": "CZ", "TURKEY": "TR", "TURQUIA": "TR", "SWAZILAND": "SZ",
    "MACEDONIA": "MK", "IVORY COAST": "CI", "CAPE VERDE": "CV",
}
UNKNOWN_COUNTRIES = {"", "UNSPECIFIED", "EUROPEAN COMMUNITY", "UNKNOWN", "N/A", "NA", "-"}


def _plain(text: str) -> str:
    """Upper case, no accents, single spaces: 'Japón' and 'JAPON' are one name."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _variants(name: str) -> set[str]:
    """CLDR's name and the shorter forms exports write: 'Hong Kong SAR China' -> 'Hong Kong',
    'Myanmar (Burma)' -> 'Myanmar' and 'Burma', 'Bosnia & Herzegovina' -> '... and ...'."""
    found = {name}
    if m := re.fullmatch(r"(.*?)\s*\((.*)\)", name):
        found |= {m.group(1), m.group(2)}
    for suffix in (" SAR China",):
        if name.endswith(suffix):
            found.add(name[: -len(suffix)])
    if m := re.fullmatch(r"RAE de (.*?) \(China\)", name):
        found.add(m.group(1))
    found |= {v.replace("&", "and") for v in found} | {v.replace("&", "y") for v in found}
    found |= {v.replace("St. ", "Saint ") for v in found}
    found |= {v.replace("’", "'") for v in found}
    return {_plain(v) for v in found if v.strip()}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Every territory name in English and Spanish (babel's CLDR data), with their short forms."""
    names: dict[str, str] = {}
    for lang in ("en", "es"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                for variant in _variants(name):
                    names.setdefault(variant, code)
    names.update({_plain(alias): code for alias, code in _COUNTRY_ALIASES.items()})
    return names


# Codes CLDR names that are not countries: unknown region, groupings, outlying Oceania.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO"})


def is_country_code(code: str) -> bool:
    """An ISO 3166 alpha-2 code of a country or territory ('NA' is Namibia)."""
    return code in _country_codes()


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(_country_names().values()) - _NOT_COUNTRIES


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """'United Kingdom', 'España', 'EIRE', 'Hong Kong', 'gb' -> ISO code; None for
    unknown/unspecified. A name nobody recognises raises BadValue."""
    value = _plain(text)
    if value in UNKNOWN_COUNTRIES:
        return None
    names = _country_names()
    if len(value) == 2 and value.isalpha() and value in set(names.values()):
        return value
    code = names.get(value)
    if code is None:
        raise BadValue(f"{text!r} is not a country name or ISO code")
    return code
