"""Validation of what customers type into the web shop (and staff into the card).

Each function returns the normalised value or raises InvalidField naming the field.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email

SUPPORTED_LANGUAGES = ("es", "en")


@dataclass
class InvalidField(ValueError):
    field: str
    message: str
    code: str = "invalid"  # "taken": the value belongs to someone else (an e-mail already registered)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(ValueError):
    """Several fields at once: nothing is saved until every field is valid."""

    def __init__(self, errors: list[InvalidField]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}

    def problems(self) -> dict[str, tuple[str, str]]:
        """{field: (code, English message)}: screens translate by the code."""
        return {e.field: (e.code, e.message) for e in self.errors}


def normalise_phone(raw: str, country: str = "ES", field: str = "phone") -> str:
    """Any way a person writes a number -> E.164. `country` is the default region."""
    text = (raw or "").strip()
    if not text:
        raise InvalidField(field, "a phone number is required")
    try:
        number = phonenumbers.parse(text, (country or "ES").upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidField(field, f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidField(field, f"{text!r} is not a valid phone number for {country or 'ES'}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def national_phone(e164: str | None) -> str:
    """E.164 -> the national format of the number's own country, for display. Called for
    every row of a result list, so the E.164 digits are split by calling code directly
    instead of going through the (ten times slower) general parser."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    for length in (1, 2, 3):
        code = int(digits[:length] or 0)
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and digits[length:].isdigit():
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits[length:]))
            if digits[length] == "0":
                number.italian_leading_zero = True
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return e164


def phone_region(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def normalise_email(raw: str, field: str = "email") -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidField(field, "an e-mail address is required")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidField(field, f"{text!r} is not a valid e-mail address: {exc}") from None
    # Stored lower-case so that lookups use the plain index; no shop tells José@ from josé@.
    return result.normalized.lower()


def normalise_country(raw: str, field: str = "country") -> str:
    code = (raw or "").strip().upper()
    if len(code) != 2 or not code.isalpha() or code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidField(field, f"{raw!r} is not an ISO 3166 two-letter country code")
    return code


def normalise_language(raw: str, field: str = "preferred_language") -> str:
    code = (raw or "").strip().lower()
    if code not in SUPPORTED_LANGUAGES:
        raise InvalidField(field, f"{raw!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
    return code


def require_text(raw: str | None, field: str, max_length: int) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidField(field, "is required")
    if len(text) > max_length:
        raise InvalidField(field, f"is longer than {max_length} characters")
    return text


# Spain has two zones: the Canary Islands (provinces 35 and 38) are an hour behind.
_CANARY_POSTCODE_PREFIXES = ("35", "38")
# The zone most of the people of a country with several live in; other countries take theirs
# from the IANA table (tzdata's zone.tab).
_MAIN_ZONES = {
    "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "US": "America/New_York", "CA": "America/Toronto",
    "MX": "America/Mexico_City", "BR": "America/Sao_Paulo", "AU": "Australia/Sydney", "RU": "Europe/Moscow",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "DE": "Europe/Berlin",
    "NZ": "Pacific/Auckland", "ID": "Asia/Jakarta", "CN": "Asia/Shanghai", "KZ": "Asia/Almaty",
    "UA": "Europe/Kyiv", "EC": "America/Guayaquil", "CY": "Asia/Nicosia", "MY": "Asia/Kuala_Lumpur",
}


@lru_cache(maxsize=1)
def country_zones() -> dict[str, tuple[str, ...]]:
    """Every country's zones, as the IANA time zone database lists them (zone.tab)."""
    from importlib.resources import files

    zones: dict[str, list[str]] = {}
    for line in (files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            zones.setdefault(code, []).append(zone)
    return {code: tuple(found) for code, found in zones.items()}


@lru_cache(maxsize=512)
def zone_is_a_guess(country: str) -> bool:
    """Whether the country's zone (time_zone_for without a postcode) can be hours off: some of
    its zones keep another clock, in winter or in summer (Canada, Spain's Canaries; not
    Germany's Busingen)."""
    country = (country or "").upper()
    zones = country_zones().get(country, ())
    if len(zones) < 2:
        return False

    def offsets(zone: str) -> tuple:
        return tuple(datetime(2025, month, 15, 12, tzinfo=ZoneInfo(zone)).utcoffset() for month in (1, 7))
    main = offsets(time_zone_for(country))
    return any(offsets(zone) != main for zone in zones)


# Countries whose postcode tells their zones apart (time_zone_for).
ZONE_FROM_POSTCODE = frozenset({"ES", "PT"})


def time_zone_for(country: str, postcode: str = "") -> str:
    """The customer's time zone from their address; calling hours are judged in it."""
    country = (country or "").upper()
    if country == "ES" and postcode.strip()[:2] in _CANARY_POSTCODE_PREFIXES:
        return "Atlantic/Canary"
    if country == "PT" and postcode.strip()[:1] == "9":
        return "Atlantic/Madeira" if postcode.strip()[:2] == "90" else "Atlantic/Azores"
    if country in _MAIN_ZONES:
        return _MAIN_ZONES[country]
    zones = country_zones().get(country)
    return zones[0] if zones else "UTC"


def normalise_time_zone(raw: str, field: str = "time_zone") -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidField(field, f"{raw!r} is not a known time zone") from None
    return raw


def normalise_customer_id(text: str) -> str:
    """'17850.0' and '17850' are the same customer (spreadsheets write numbers as decimals);
    empty means a guest."""
    value = text.strip()
    if re.fullmatch(r"\d+\.0+", value):
        value = value.split(".")[0]
    return value
