"""The console context: who is at the keyboard, in which language, what time it is, and the
gateway through which every screen reads and writes (it owns sessions and transactions)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from crm_tui.db import DatabaseError, WriteFailed, failure_kind, run_read, run_write
from crm_tui.i18n import Localizer
from crm_tui.services.change_feed import ChangeFeed
from crm_tui.services.policy import Action, may
from crm_tui.services.privacy import record_access
from crm_tui.services.shop_locale import ShopLocale
from crm_tui.services.staff import StaffMember, active_staff
from crm_tui.settings import QueueSettings, ServiceSettings
from crm_tui.shop.types import utc_now

T = TypeVar("T")
__all__ = ["ConsoleContext", "DatabaseError", "WriteFailed", "failure_kind"]  # what screens may know of failures


@dataclass(frozen=True)
class ConsoleContext:
    """What every screen needs. `clock` is the one "now" of the console: screens and the
    services they call take their time from it, so a test fixes it once."""

    engine: Engine
    staff: StaffMember
    tr: Localizer
    database: str
    queue: QueueSettings = QueueSettings()
    service: ServiceSettings = ServiceSettings()
    clock: Callable[[], datetime] = field(default=utc_now)
    changes: ChangeFeed | None = None
    locale: ShopLocale = ShopLocale()  # the shop's currency, time zone and phone region
    analysis_at: datetime | None = None  # segments, offers and summaries as of this moment (--as-of)

    def now(self) -> datetime:
        return self.clock()

    def analysis_time(self) -> datetime:
        """What analyses count from: the --as-of moment, or now. Never a record's own time (an
        order, an offer made, a change); the segments a recompute stores are as of it, as
        `marketing refresh --as-of` stores them."""
        return self.analysis_at or self.now()

    def watch(self, topic: str, changed: Callable[[], None]) -> Callable[[], None] | None:
        """Have the database push changes to `topic` ("queue", "inbox"): `changed` is called in
        another thread (post a message from it). None when this database cannot push: poll."""
        return self.changes.subscribe(topic, changed) if self.changes is not None else None

    def log_access(self, customer_id: int, what: str) -> None:
        """The access log: this staff member opened this customer's data (a card, a call)."""
        now = self.now()
        self.write(lambda session: record_access(session, self.staff.login, [customer_id], what, now))

    def may(self, action: Action) -> bool:
        """Whether the person at the keyboard may do this (the policy's one table decides)."""
        return may(self.staff, action)

    def read(self, fn: Callable[[Session], T]) -> T:
        """fn(session) on a read-only session, closed afterwards."""
        return run_read(self.engine, self._as_staff(fn))

    def write(self, fn: Callable[[Session], T]) -> T:
        """fn(session) in one write transaction (IMMEDIATE on SQLite, retried briefly when the
        lock is busy), committed; a failure raises WriteFailed with one sentence."""
        return run_write(self.engine, self._as_staff(fn))

    def _as_staff(self, fn: Callable[[Session], T]) -> Callable[[Session], T]:
        """Every read and write first checks, in its own transaction, that the person at the
        keyboard is still active staff: a member disabled meanwhile stops at their next step,
        not at their next start-up (NotStaff says so)."""
        def checked(session: Session) -> T:
            active_staff(session, self.staff.login)
            return fn(session)
        return checked
