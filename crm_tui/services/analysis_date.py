"""The date an analysis is made as of: segments, offers, the summary's "days ago" and the
reports' default ranges count from it. Normally now; for a shop whose history ends long ago
(an old export analysed today), the day of its last order, so that recency means something.
"""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm_tui.shop.models import CANCELLATIONS, Order

STALE_DAYS = 90  # a latest order older than this, and "now" makes every customer look lapsed
LAST_ORDER = "last-order"


class BadAsOf(ValueError):
    """--as-of is neither a day nor "last-order" (the message says so)."""


def latest_order_at(session: Session) -> datetime | None:
    """The latest purchase (a cancellation or return is not one); UTC, aware (the column's type)."""
    return session.scalar(select(func.max(col(Order.placed_at))).where(col(Order.status).not_in(CANCELLATIONS)))


def as_of(session: Session, text: str | None, now: datetime, zone: str) -> datetime:
    """The analysis moment: the end of the given day in the shop's zone, the end of the last
    order's day for "last-order", or now."""
    if text is None:
        return now
    if text.strip().lower() == LAST_ORDER:
        latest = latest_order_at(session)
        if latest is None:
            return now
        day = latest.astimezone(ZoneInfo(zone)).date()
    else:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise BadAsOf(f"--as-of takes a day as YYYY-MM-DD or {LAST_ORDER}, not {text!r}") from None
        if day > now.astimezone(ZoneInfo(zone)).date():
            raise BadAsOf(f"--as-of {day} is after today: analyses look back from a day that has been")
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
    return end.astimezone(timezone.utc)


def stale_days(session: Session, at: datetime) -> tuple[datetime, int] | None:
    """(the latest order's moment, days before `at`) when that is more than STALE_DAYS, else None."""
    latest = latest_order_at(session)
    if latest is None or (at - latest).days <= STALE_DAYS:
        return None
    return latest, (at - latest).days


def stale_history(session: Session, at: datetime) -> str | None:
    """A sentence when the latest order is more than STALE_DAYS before `at`, else None."""
    if (stale := stale_days(session, at)) is None:
        return None
    latest, days = stale
    return (f"The latest order is from {latest:%Y-%m-%d}, {days:,} days before {at:%Y-%m-%d}: as of "
            f"then, every customer looks lapsed and nothing sells lately. Analyse as of the last order: "
            f"--as-of {LAST_ORDER}.")
