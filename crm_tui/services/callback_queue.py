"""The callback queue: which callbacks are offered, in which order.

- A callback is offered when it is pending (or its claim expired), its retry time (if any)
  has come, and it is callable now: inside the window the customer chose, or, for "as soon as
  possible", inside calling hours in the customer's own time zone.
- Order: due ones first (a scheduled window that has opened, or an ASAP request older than the
  target), then by the customer's value (priority), then oldest first. The value ordering is
  applied among the oldest due candidates (CANDIDATES), which keeps a claim fast on a large
  queue.
- A claim is one conditional UPDATE (status pending, or claimed with an expired claim): two
  agents can never hold the same callback. A claim expires after `claim_minutes`; the
  callback returns to the queue if the agent's console disappears.
- No answer, busy and voicemail are retried after a backoff, up to `max_attempts`, then closed
  as unreachable.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, and_, bindparam, false, func, or_, select, text, true
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest, CallbackStatus, Customer, Order

CANDIDATES = 50


@dataclass(frozen=True)
class QueuedCallback:
    callback_id: int
    customer_id: int | None
    customer_name: str
    phone: str
    requested_at: datetime
    window_from: datetime | None
    window_to: datetime | None
    time_zone: str
    note: str
    attempts: int
    priority: int
    due: bool
    callable_now: bool
    claimed_by: str | None = None
    age_minutes: float = field(default=0.0)
    kept_for: str | None = None  # a personal callback: only theirs until kept_until
    kept_until: datetime | None = None

    def offered_to(self, login: str) -> bool:
        """Whether this agent may take it: nobody keeps it, or they do."""
        return self.kept_for is None or self.kept_for == login


def callable_now(window_from, window_to, zone: str, now: datetime, settings: QueueSettings) -> bool:
    """Inside the customer's window, or (ASAP, or a window that passed without a call) inside
    calling hours in their time zone."""
    if window_from is not None and now < (window_to or window_from + timedelta(hours=1)):
        return window_from <= now
    local = now.astimezone(ZoneInfo(zone)).time()
    start, end = settings.calling_hours
    return start <= local < end


def callable_from(entry: QueuedCallback, now: datetime, settings: QueueSettings) -> datetime:
    """When this callback can next be called: now, its window's start, or the next start of
    calling hours in the customer's zone."""
    if entry.callable_now:
        return now
    if entry.window_from is not None and now < entry.window_from:
        return entry.window_from
    zone = ZoneInfo(entry.time_zone)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), settings.calling_hours[0], zone)
    return (start if local < start else start + timedelta(days=1)).astimezone(now.tzinfo)


def open_condition(now: datetime, before_its_window: bool = False, login: str | None = None):
    """What a claim re-checks in its own UPDATE: still waiting (or its claim expired), its retry
    time come, its window opened (a callback rescheduled meanwhile is never taken early, unless
    the agent chose to call before the window), and not kept for another agent."""
    window_open = or_(col(CallbackRequest.window_from).is_(None), col(CallbackRequest.window_from) <= now,
                      true() if before_its_window else false())
    not_kept = or_(col(CallbackRequest.kept_for).is_(None), col(CallbackRequest.kept_until) <= now,
                   col(CallbackRequest.kept_for) == login if login is not None else false())
    return and_(window_open, not_kept, or_(
        and_(col(CallbackRequest.status) == CallbackStatus.PENDING,
             or_(col(CallbackRequest.next_attempt_at).is_(None), col(CallbackRequest.next_attempt_at) <= now)),
        and_(col(CallbackRequest.status) == CallbackStatus.CLAIMED, col(CallbackRequest.claimed_until) < now)))


@lru_cache(maxsize=4)
def _queue_reads(include_claimed: bool):
    """The reads of the queue, built once (a claim runs them thousands of times)."""
    now: BindParameter[datetime] = bindparam("now")
    limit: BindParameter[int] = bindparam("limit")
    columns = (col(CallbackRequest.id), col(CallbackRequest.customer_id), col(Customer.first_name),
               col(Customer.last_name), col(CallbackRequest.phone), col(CallbackRequest.requested_at),
               col(CallbackRequest.window_from), col(CallbackRequest.window_to), col(CallbackRequest.time_zone),
               col(CallbackRequest.note), col(CallbackRequest.attempts), col(CallbackRequest.claimed_by),
               col(CallbackRequest.status), col(CallbackRequest.claimed_until), col(CallbackRequest.next_attempt_at),
               col(CallbackRequest.kept_for), col(CallbackRequest.kept_until))
    retry_ok = or_(col(CallbackRequest.next_attempt_at).is_(None), col(CallbackRequest.next_attempt_at) <= now)
    pending = col(CallbackRequest.status) == CallbackStatus.PENDING
    reads = [
        select(*columns).where(pending, col(CallbackRequest.window_from).is_not(None),
                               col(CallbackRequest.window_from) <= now, retry_ok)
        .order_by(col(CallbackRequest.window_from)),
        select(*columns).where(pending, col(CallbackRequest.window_from).is_(None), retry_ok)
        .order_by(col(CallbackRequest.requested_at), col(CallbackRequest.id)),
        select(*columns).where(col(CallbackRequest.status) == CallbackStatus.CLAIMED,
                               true() if include_claimed else col(CallbackRequest.claimed_until) < now)
        .order_by(col(CallbackRequest.requested_at)),
    ]
    if include_claimed:  # the whole picture: also what is held, and windows still to come
        reads.append(select(*columns).where(pending, col(CallbackRequest.window_from) > now)
                     .order_by(col(CallbackRequest.window_from)))
    return [read.outerjoin(Customer, col(Customer.id) == col(CallbackRequest.customer_id)).limit(limit)
            for read in reads]


def queue(session: Session, now: datetime, settings: QueueSettings = QueueSettings(),
          limit: int = CANDIDATES, include_claimed: bool = False) -> list[QueuedCallback]:
    """The queue in the order callbacks are offered (see the module's rules); with
    include_claimed, also the callbacks agents hold and windows that open later.

    Three index-ordered reads, merged: windows open now, the oldest ASAP requests, and claims
    that expired; each stops at `limit`, so a claim costs the same with 10 or 10,000 waiting."""
    rows = {}
    for read in _queue_reads(include_claimed):
        for r in session.execute(read, {"now": now, "limit": limit}):
            rows[r.id] = r
    values = _customer_values(session, {r.customer_id for r in rows.values() if r.customer_id})
    target = now - timedelta(minutes=settings.target_minutes)
    entries = []
    for r in rows.values():
        name = f"{r.first_name or ''} {r.last_name or ''}".strip()
        due = (r.window_from is not None and r.window_from <= now) or (r.window_from is None and r.requested_at <= target) \
            or r.next_attempt_at is not None
        expired = r.status == CallbackStatus.CLAIMED and r.claimed_until is not None and r.claimed_until < now
        entries.append(QueuedCallback(
            r.id, r.customer_id, name, r.phone, r.requested_at, r.window_from, r.window_to, r.time_zone, r.note,
            r.attempts, priority_for(values.get(r.customer_id, 0)), due,
            callable_now(r.window_from, r.window_to, r.time_zone, now, settings),
            None if expired else r.claimed_by, (now - r.requested_at).total_seconds() / 60,
            r.kept_for if r.kept_until is not None and r.kept_until > now else None, r.kept_until))
    entries.sort(key=lambda e: (not e.due, -e.priority, e.requested_at, e.callback_id))
    return entries


def priority_for(lifetime_value_cents: int) -> int:
    """0 to 3 from the customer's lifetime value: unknown/none, some, good, top."""
    return 3 if lifetime_value_cents >= 100_000 else 2 if lifetime_value_cents >= 25_000 else \
        1 if lifetime_value_cents > 0 else 0


def _customer_values(session: Session, customer_ids: set[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    rows = session.execute(select(col(Order.customer_id), func.sum(col(Order.total_cents)))
                           .where(col(Order.customer_id).in_(customer_ids)).group_by(col(Order.customer_id)))
    return {cid: total or 0 for cid, total in row_tuples(rows)}


def queue_version(session: Session) -> tuple:
    """Changes whenever the open queue changes (a new request, a claim, an attempt): one
    aggregate over the open callbacks (the status index), cheap enough to poll every second."""
    return tuple(session.execute(text(
        "SELECT count(*), coalesce(max(id), 0), coalesce(sum(attempts), 0), "
        "coalesce(sum(CASE WHEN status = 'claimed' THEN 1 ELSE 0 END), 0) FROM callback_request "
        "WHERE status IN ('pending', 'claimed')")).one())
