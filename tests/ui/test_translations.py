from crm_tui.i18n import Localizer, translations
from tests.translations import ui_strings


def test_every_string_the_console_shows_has_a_spanish_translation():
    catalogue = translations("es")._messages
    assert sorted(s for s in ui_strings() if not catalogue.get(s)) == []
    assert catalogue["agent"] == "agente"


def test_placeholders_survive_translation():
    es = Localizer("es")
    for message in ui_strings():
        fields = sorted(part.split("}")[0] for part in message.split("{")[1:])
        assert sorted(part.split("}")[0] for part in es(message).split("{")[1:]) == fields, message


def test_money_dates_and_numbers_follow_the_locale():
    from datetime import datetime, timezone

    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    assert Localizer("es").money(123456) == "1.234,56\xa0€"
    assert Localizer("en").money(123456) == "€1,234.56"
    assert Localizer("es").number(1234567) == "1.234.567"
    assert Localizer("en").date(when) == "1 Mar 2026"
    assert Localizer("es").date(when) == "1 mar 2026"
