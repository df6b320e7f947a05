"""The shop's own locale: the currency it sells in, the time zone its exports write times in,
and the region of phone numbers written without a country code.

Stated when the shop is first imported (or with `crm-tui shop locale`), kept in the database
(database_fact), shown in the console's header and used by every money format, report, CSV
header, import and phone number. A shop that never stated it is a Spanish one: EUR,
Europe/Madrid, ES.
"""

from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel.numbers import list_currencies
from sqlalchemy import Connection, text
from sqlmodel import Session

from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.validation import InvalidField

_FACTS = {"currency": "shop_currency", "time_zone": "shop_time_zone", "phone_region": "shop_phone_region"}


@dataclass(frozen=True)
class ShopLocale:
    currency: str = "EUR"
    time_zone: str = "Europe/Madrid"
    phone_region: str = "ES"
    stated: bool = False  # False: nobody stated it yet, these are the defaults

    def describe(self) -> str:
        return f"{self.currency} · {self.time_zone} · {self.phone_region}"


def shop_locale(session: Session | Connection) -> ShopLocale:
    rows = dict(session.execute(text("SELECT name, value FROM database_fact WHERE name IN "
                                     "('shop_currency', 'shop_time_zone', 'shop_phone_region')")).all())
    if not rows:
        return ShopLocale()
    found = {field: rows[fact] for field, fact in _FACTS.items() if fact in rows}
    return replace(ShopLocale(), stated=True, **found)


def checked_locale(currency: str | None = None, time_zone: str | None = None, phone_region: str | None = None,
                   base: ShopLocale = ShopLocale()) -> ShopLocale:
    """`base` with the given values, each checked: an ISO 4217 currency, an IANA time zone, a
    phone region (ISO 3166 country code)."""
    values: dict[str, Any] = {}
    if currency is not None:
        code = currency.strip().upper()
        if code not in list_currencies():
            raise InvalidField("currency", f"{currency!r} is not an ISO 4217 currency code (e.g. EUR, GBP, USD)")
        values["currency"] = code
    if time_zone is not None:
        try:
            ZoneInfo(time_zone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidField("time_zone", f"{time_zone!r} is not a time zone (e.g. Europe/London)") from None
        values["time_zone"] = time_zone.strip()
    if phone_region is not None:
        region = phone_region.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidField("phone_region", f"{phone_region!r} is not a country code for phone numbers (e.g. GB)")
        values["phone_region"] = region
    return replace(base, **values)


def store_locale(session: Session | Connection, locale: ShopLocale) -> ShopLocale:
    """Write the locale as stated (set_shop_locale or locale_for_import asked who may)."""
    for field, fact in _FACTS.items():
        session.execute(text("DELETE FROM database_fact WHERE name = :name"), {"name": fact})
        session.execute(text("INSERT INTO database_fact (name, value) VALUES (:name, :value)"),
                        {"name": fact, "value": getattr(locale, field)})
    return replace(locale, stated=True)


class OtherLocale(ValueError):
    """An import says the shop sells in another currency (or phones elsewhere) than it stated."""


def locale_for_import(session: Session, staff: StaffMember, currency: str | None, time_zone: str | None,
                      phone_region: str | None) -> tuple[ShopLocale, bool]:
    """The locale an import reads with, and whether the import states it (the shop's first
    import: the given values over the defaults). Later imports may read another time zone,
    never another currency or phone region."""
    current = shop_locale(session)
    if not current.stated:
        require(staff, Action.SET_SHOP_LOCALE)
        return checked_locale(currency, time_zone, phone_region, current), True
    wanted = checked_locale(currency, time_zone, phone_region, current)
    for name, option in (("currency", "--currency"), ("phone_region", "--phone-region")):
        given, stated = getattr(wanted, name), getattr(current, name)
        if given != stated:
            words = name.replace("_", " ")
            raise OtherLocale(f"the shop's {words} is {stated}, not {given}: change it with `crm-tui shop locale "
                              f"{option} {given}` first, or leave {option} out")
    return wanted, False


def set_shop_locale(session: Session, staff: StaffMember, currency: str | None = None,
                    time_zone: str | None = None, phone_region: str | None = None) -> ShopLocale:
    require(staff, Action.SET_SHOP_LOCALE)
    return store_locale(session, checked_locale(currency, time_zone, phone_region, shop_locale(session)))

