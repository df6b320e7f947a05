"""Reading one value of an export: money, quantities, dates, customer ids, countries.

Each parser returns the value or raises BadValue with what is wrong; the reader turns that
into a reject naming file, line and column.
"""

import re
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale


class BadValue(ValueError):
    pass


_NUMBER = re.compile(r"^([+-]?)(\d{1,12})(?:[.](\d{1,6}))?$")


def parse_scaled(text: str, decimal_comma: bool) -> tuple[int, int]:
    """'2,55' or '2.55' -> (255, 2): the digits as an integer and how many are decimals.

    Exact: no float ever touches money.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
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


def parse_quantity(text: str) -> int:
    value = text.strip()
    if value.endswith(".0"):
        value = value[:-2]
    try:
        quantity = int(value)
    except ValueError:
        raise BadValue(f"{text!r} is not a whole quantity") from None
    if abs(quantity) > 1_000_000:
        raise BadValue(f"{text!r} is not a plausible quantity")
    return quantity


def normalise_customer_id(text: str) -> str:
    """'17850.0' and '17850' are the same customer; empty means a guest."""
    value = text.strip()
    if re.fullmatch(r"\d+\.0+", value):
        value = value.split(".")[0]
    return value


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


_COUNTRY_ALIASES = {
    "EIRE": "IE", "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB",
    "NORTHERN IRELAND": "GB", "USA": "US", "RSA": "ZA", "CHANNEL ISLANDS": "JE", "CZECH REPUBLIC": "CZ",
    "ESPAÑA": "ES", "ESPANA": "ES", "REINO UNIDO": "GB", "HOLLAND": "NL", "KOREA": "KR",
}
UNKNOWN_COUNTRIES = {"", "UNSPECIFIED", "EUROPEAN COMMUNITY", "UNKNOWN", "N/A", "NA"}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for lang in ("es", "en"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.upper()] = code
    return names


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """'United Kingdom', 'España', 'EIRE', 'gb' -> ISO code; None for unknown/unspecified."""
    value = text.strip().upper()
    if value in UNKNOWN_COUNTRIES:
        return None
    if len(value) == 2 and value.isalpha() and value in {c for c in _country_names().values()}:
        return value
    if value in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[value]
    code = _country_names().get(value)
    if code is None:
        raise BadValue(f"{text!r} is not a country name or ISO code")
    return code
