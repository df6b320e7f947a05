"""The shop's refusals in the visitor's language: the shop's rules speak English and name the
field; these say what to type instead."""

from crm_tui.i18n import Localizer


def field_messages(problems: dict[str, tuple[str, str]], tr: Localizer) -> dict[str, str]:
    """{field: (code, English message)} -> {field: a sentence for the visitor}."""
    hints = {
        "first_name": tr("Please enter your first name."),
        "last_name": tr("Please enter your last name."),
        "name": tr("Please enter your name."),
        "text": tr("Please write your message."),
        "email": tr("Please enter a valid e-mail address, e.g. ana@example.com."),
        "phone": tr("Please enter a valid phone number, e.g. 612 345 678 or +44 7911 123456."),
        "country": tr("Please choose your country."),
        "preferred_language": tr("Please choose English or Spanish."),
        "password": tr("Your password needs at least 10 characters."),
        "window": tr("Please give a window that has not passed yet, its start before its end (e.g. 18:00 to 20:00)."),
        "kind": tr("Please choose what your message is about."),
    }
    taken = {"email": tr("This e-mail already has an account: log in instead.")}
    # Any other field (the discount above all) is not the visitor's to set.
    not_yours = tr("Only the shop can set this.")
    return {name: taken.get(name, message) if code == "taken" else hints.get(name, not_yours)
            for name, (code, message) in problems.items()}
