"""Configuration: which database, which language, who is at the keyboard."""

import getpass
import locale
import os
from dataclasses import dataclass

LOGIN_ENV_VAR = "CRM_TUI_LOGIN"
LANG_ENV_VAR = "CRM_TUI_LANG"
LANGUAGES = ("en", "es")


def current_login() -> str:
    """The operating-system login; CRM_TUI_LOGIN overrides it (tests, shared terminals)."""
    return os.environ.get(LOGIN_ENV_VAR) or getpass.getuser()


def language_from_environment() -> str:
    for value in (os.environ.get(LANG_ENV_VAR), os.environ.get("LC_ALL"), os.environ.get("LC_MESSAGES"),
                  os.environ.get("LANG"), (locale.getlocale()[0] or "")):
        code = (value or "").split("_")[0].split(".")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


@dataclass(frozen=True)
class Settings:
    db: str | None = None
    lang: str = "en"
    login: str = ""

    @classmethod
    def from_environment(cls, db: str | None = None, lang: str | None = None) -> "Settings":
        return cls(db=db, lang=lang or language_from_environment(), login=current_login())
