"""Translations (gettext catalogues in crm_tui/data/locale, read with babel) and locale formatting."""

import gettext
from datetime import datetime, timezone
from functools import lru_cache
from importlib.resources import files
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = files("crm_tui") / "data" / "locale"
DOMAIN = "crm_tui"
BABEL_LOCALES = {"en": "en_GB", "es": "es_ES"}
CURRENCY = "EUR"  # a shop that never stated its own (crm_tui.services.shop_locale)


class CatalogueTranslations(gettext.NullTranslations):
    def __init__(self, messages: dict[str, str]):
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    from babel.messages.pofile import read_po

    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    # Plural entries (tuple ids and strings) are left out; untranslated ones fall back to the id.
    return CatalogueTranslations({m.id: m.string for m in catalogue
                                  if m.id and isinstance(m.id, str) and m.string and isinstance(m.string, str)})


Moment = datetime  # the type, for methods declared after Localizer.datetime hides the name


class Localizer:
    """What one console session speaks: messages and money, numbers, dates in its locale."""

    def __init__(self, lang: str, currency: str = CURRENCY):
        self.lang = lang
        self.currency_code = currency
        self.locale = Locale.parse(BABEL_LOCALES.get(lang, "en_GB"))
        self._translations = translations(lang)

    def __call__(self, message: str) -> str:
        return self._translations.gettext(message)

    def money(self, cents: int) -> str:
        return format_currency(cents / 100, self.currency_code, locale=self.locale)

    def currency(self) -> str:
        """The shop's currency symbol in this locale ("€")."""
        from babel.numbers import get_currency_symbol

        return get_currency_symbol(self.currency_code, locale=self.locale)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def datetime(self, value: datetime, zone: str = "Europe/Madrid") -> str:
        """A moment in `zone`: babel's medium date and the 24-hour time, one form in both
        languages ("2 Dec 2026, 09:25" / "2 dic 2026, 09:25")."""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)  # stored times are UTC
        local = aware.astimezone(ZoneInfo(zone))
        return f"{format_date(local, 'medium', locale=self.locale)}, {local:%H:%M}"

    def day_time(self, value: Moment, zone: str = "Europe/Madrid") -> str:
        """A moment briefly, for narrow columns: "02/11 11:27" (day and month, both languages)."""
        return format_datetime(value, "dd/MM HH:mm", tzinfo=ZoneInfo(zone), locale=self.locale)

    def compact(self, value: Moment, zone: str = "Europe/Madrid") -> str:
        """A moment in 14 characters, year included: "20/11/26 09:54" (both languages)."""
        return format_datetime(value, "dd/MM/yy HH:mm", tzinfo=ZoneInfo(zone), locale=self.locale)

    def short_day(self, value) -> str:
        """The day of a local time, briefly: "21 Nov" / "21 nov"."""
        return format_date(value, "d MMM", locale=self.locale)

    def date(self, value, zone: str = "Europe/Madrid") -> str:
        """A datetime is shown as its day in `zone`; a date as itself."""
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone))
        return format_date(value, "medium", locale=self.locale)
