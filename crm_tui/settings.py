"""Configuration: which database, which language, who is at the keyboard, and the callback
queue's settings (CRM_TUI_* variables, see README)."""

import locale
import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANG_ENV_VAR = "CRM_TUI_LANG"
LANGUAGES = ("en", "es")


def os_login() -> str:
    """Who runs this process: the operating-system account of its effective uid. Never an
    environment variable (LOGNAME, USER and the like can be set by anyone)."""
    return pwd.getpwuid(os.geteuid()).pw_name


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
    as_of: str | None = None  # analyse as of this day (YYYY-MM-DD) or "last-order"; None: now

    @classmethod
    def from_environment(cls, db: str | None = None, lang: str | None = None, as_of: str | None = None
                         ) -> "Settings":
        return cls(db=db, lang=lang or language_from_environment(), login=os_login(), as_of=as_of)


class SettingsError(ValueError):
    """A setting from the environment holds a value that cannot be used (the message names it)."""


@dataclass(frozen=True)
class QueueSettings:
    target_minutes: int = 15
    claim_minutes: int = 10
    calling_hours: tuple[time, time] = (time(9), time(21))
    max_attempts: int = 3
    backoff_minutes: tuple[int, ...] = (15, 60, 240)
    dial_command: str = ""  # e.g. "linphonecsh dial {number}"; empty: the agent dials by hand
    time_zone: str = "Europe/Madrid"  # the call centre's: where "today" and "this week" begin
    personal_grace_minutes: int = 30  # a kept "call back later" goes to anyone this long after its time


SETTINGS_ENV = {
    "CRM_TUI_TARGET_MINUTES": "target_minutes", "CRM_TUI_CLAIM_MINUTES": "claim_minutes",
    "CRM_TUI_CALLING_HOURS": "calling_hours", "CRM_TUI_MAX_ATTEMPTS": "max_attempts",
    "CRM_TUI_BACKOFF_MINUTES": "backoff_minutes", "CRM_TUI_DIAL": "dial_command",
    "CRM_TUI_TIME_ZONE": "time_zone", "CRM_TUI_PERSONAL_GRACE_MINUTES": "personal_grace_minutes",
}


def settings_from(environ: Mapping[str, str]) -> QueueSettings:
    """The queue's settings from CRM_TUI_* variables (see README); a bad value is refused
    with the variable's name, what it holds and what was expected."""
    values: dict = {}
    for variable, name in SETTINGS_ENV.items():
        raw = environ.get(variable, "").strip()
        if not raw:
            continue
        try:
            if name in ("target_minutes", "claim_minutes", "max_attempts", "personal_grace_minutes"):
                values[name] = int(raw)
                if values[name] < 1:
                    raise ValueError
            elif name == "calling_hours":
                start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
                if start >= end:
                    raise ValueError
                values[name] = (start, end)
            elif name == "backoff_minutes":
                values[name] = tuple(int(part) for part in raw.split(","))
                if any(minutes < 1 for minutes in values[name]):
                    raise ValueError
            elif name == "time_zone":
                try:
                    ZoneInfo(raw)
                except (ZoneInfoNotFoundError, ValueError):
                    raise ValueError from None
                values[name] = raw
            else:
                values[name] = raw
        except ValueError:
            expected = {"calling_hours": "two times like 09:00-21:00",
                        "backoff_minutes": "minutes separated by commas, like 15,60,240",
                        "time_zone": "a time zone like Europe/Madrid"}.get(name, "a whole number above 0")
            raise SettingsError(f"{variable}={raw!r} is not valid: expected {expected}") from None
    return QueueSettings(**values)


CASE_KINDS = ("delivery", "product_defect", "billing", "service", "other")
LOST_REASONS = ("price", "delivery", "quality", "service", "competitor", "no_longer_needed", "other")


@dataclass(frozen=True)
class ServiceSettings:
    """The service desk's targets and lists (CRM_TUI_* variables, see README)."""

    case_due_hours: tuple[tuple[str, int], ...] = (
        ("delivery", 48), ("product_defect", 72), ("billing", 24), ("service", 24), ("other", 72))
    inbox_target_hours: int = 24
    unhappy_days: int = 30  # a score of 1-2 this recent withholds offers
    lapse_days: int = 180  # no purchase for this long after being regular: lost
    regular_purchases: int = 3  # purchase days that make a customer regular
    lost_reasons: tuple[str, ...] = LOST_REASONS
    smtp_host: str = ""  # empty: answers are recorded, not sent
    smtp_port: int = 25
    mail_from: str = "service@shop.example"

    def due_hours(self, kind: str) -> int:
        return dict(self.case_due_hours).get(kind, 72)


SERVICE_ENV = {
    "CRM_TUI_CASE_DUE_HOURS": "case_due_hours", "CRM_TUI_INBOX_TARGET_HOURS": "inbox_target_hours",
    "CRM_TUI_UNHAPPY_DAYS": "unhappy_days", "CRM_TUI_LAPSE_DAYS": "lapse_days",
    "CRM_TUI_LOST_REASONS": "lost_reasons", "CRM_TUI_SMTP_HOST": "smtp_host", "CRM_TUI_SMTP_PORT": "smtp_port",
    "CRM_TUI_MAIL_FROM": "mail_from",
}


def service_settings_from(environ: Mapping[str, str]) -> ServiceSettings:
    """The service desk's settings; a bad value is refused with the variable's name."""
    values: dict = {}
    for variable, name in SERVICE_ENV.items():
        raw = environ.get(variable, "").strip()
        if not raw:
            continue
        try:
            if name in ("inbox_target_hours", "unhappy_days", "lapse_days", "smtp_port"):
                values[name] = int(raw)
                if values[name] < 1:
                    raise ValueError
            elif name == "case_due_hours":
                pairs = [part.split("=") for part in raw.split(",")]
                values[name] = tuple((kind.strip(), int(hours)) for kind, hours in pairs)
                if any(kind not in CASE_KINDS or hours < 1 for kind, hours in values[name]):
                    raise ValueError
            elif name == "lost_reasons":
                values[name] = tuple(part.strip() for part in raw.split(",") if part.strip())
                if not values[name]:
                    raise ValueError
            else:
                values[name] = raw
        except ValueError:
            expected = {"case_due_hours": f"kind=hours pairs like delivery=48,billing=24 ({', '.join(CASE_KINDS)})",
                        "lost_reasons": "reasons separated by commas",
                        }.get(name, "a whole number above 0")
            raise SettingsError(f"{variable}={raw!r} is not valid: expected {expected}") from None
    return ServiceSettings(**values)
