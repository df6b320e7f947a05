"""The callback queue: which callbacks are offered, in which order.

- A callback is offered when it is pending (or its claim expired), its retry time (if any)
  has come, and it is callable now: inside the window the customer chose, or, for "as soon as
  possible", inside calling hours in the customer's own time zone.
- Order, over every waiting callback: due ones first (a scheduled window that has opened, a
  retry whose time has come, or an ASAP request older than the target), then by the customer's
  priority (0-3 from their lifetime gross purchases, kept on the callback by the database:
  migration 0014), then oldest first. The list and the claim read the same ranking; index-ordered
  reads in that order stop at their limit, so a claim costs the same with 10 or 100,000 waiting
  (on PostgreSQL given the planner's figures, which autovacuum keeps; without them it sorts them all).
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

from sqlalchemy import BindParameter, Boolean, String, and_, bindparam, or_, select, text, true, union_all
from sqlmodel import Session, SQLModel

from crm_tui.services.names import customer_name
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest, CallbackStatus, Customer

CANDIDATES = 50
# The claim's statements are Core over the tables: the ORM's per-statement work was a third of
# an agent's CPU when 32 claim side by side.
request = SQLModel.metadata.tables[CallbackRequest.__tablename__]
customer = SQLModel.metadata.tables[Customer.__tablename__]


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
    retry_at: datetime | None = None  # tried without answer: offered again from then

    def offered_to(self, login: str) -> bool:
        """Whether this agent may take it: nobody keeps it, or they do."""
        return self.kept_for is None or self.kept_for == login

    def offered_now(self, now: datetime) -> bool:
        """In the queue now: not held, its window (if any) opened, its retry time (if any) come."""
        return self.claimed_by is None and self.retry_at is None and (self.window_from is None or self.window_from <= now)

    @property
    def comes_at(self) -> datetime | None:
        """When a callback not offered yet will be: its retry time or its window's start."""
        return self.retry_at or self.window_from


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


def open_condition():
    """What a claim re-checks in its own statement: still waiting (or its claim expired), its
    retry time come, its window opened (a callback rescheduled meanwhile is never taken early,
    unless :early, the agent chose to call before the window), and not kept for another agent
    than :login. Bound parameters (:now, :early, :login): the statements are built once."""
    now: BindParameter[datetime] = bindparam("now")
    window_open = or_(request.c.window_from.is_(None), request.c.window_from <= now,
                      bindparam("early", type_=Boolean))
    not_kept = or_(request.c.kept_for.is_(None), request.c.kept_until <= now,
                   request.c.kept_for == bindparam("login", type_=String))
    return and_(window_open, not_kept, or_(
        and_(request.c.status == CallbackStatus.PENDING,
             or_(request.c.next_attempt_at.is_(None), request.c.next_attempt_at <= now)),
        and_(request.c.status == CallbackStatus.CLAIMED, request.c.claimed_until < now)))


@lru_cache(maxsize=4)
def _queue_read(include_claimed: bool):
    """The read of the queue, built once (a claim runs it thousands of times). Each part returns
    its share of the queue in the queue's own order, so the first `limit` rows of each, merged
    and sorted, are the first `limit` of the whole queue."""
    now: BindParameter[datetime] = bindparam("now")
    target: BindParameter[datetime] = bindparam("target")
    limit: BindParameter[int] = bindparam("limit")
    # The one definition of "due": the reads filter on it and return it (the merge sorts by it).
    due = or_(request.c.window_from <= now,
              and_(request.c.window_from.is_(None),
                   or_(request.c.requested_at <= target, request.c.next_attempt_at.is_not(None))))
    columns = (request.c.id, request.c.customer_id, customer.c.customer_number,
               customer.c.first_name, customer.c.last_name, request.c.phone, request.c.requested_at,
               request.c.window_from, request.c.window_to, request.c.time_zone,
               request.c.note, request.c.attempts, request.c.claimed_by,
               request.c.status, request.c.claimed_until, request.c.next_attempt_at,
               request.c.kept_for, request.c.kept_until, request.c.priority,
               due.label("due"))
    retry_ok = or_(request.c.next_attempt_at.is_(None), request.c.next_attempt_at <= now)
    pending = request.c.status == CallbackStatus.PENDING
    ranked = (request.c.priority.desc(), request.c.requested_at, request.c.id)
    reads = [
        # Due: read along ix_callback_rank (status, priority descending, age).
        select(*columns).where(pending, retry_ok, due).order_by(*ranked),
        # ASAP requests younger than the target: the few of the last minutes.
        select(*columns).where(pending, request.c.window_from.is_(None),
                               request.c.next_attempt_at.is_(None), request.c.requested_at > target)
        .order_by(*ranked),
        select(*columns).where(request.c.status == CallbackStatus.CLAIMED,
                               true() if include_claimed else request.c.claimed_until < now)
        .order_by(*ranked),
    ]
    if include_claimed:  # the whole picture: also windows and retries still to come
        reads.append(select(*columns).where(pending, request.c.window_from > now)
                     .order_by(request.c.window_from))
        reads.append(select(*columns).where(pending, request.c.next_attempt_at > now)
                     .order_by(request.c.next_attempt_at))
    # One statement (one round trip for 32 agents claiming side by side): each read keeps its own
    # index order and limit inside a subquery, which SQLite and PostgreSQL both allow in a UNION.
    parts = [read.outerjoin(customer, customer.c.id == request.c.customer_id).limit(limit).subquery()
             for read in reads]
    return union_all(*(select(part) for part in parts))


def queue(session: Session, now: datetime, settings: QueueSettings = QueueSettings(),
          limit: int = CANDIDATES, include_claimed: bool = False) -> list[QueuedCallback]:
    """The first `limit` callbacks of the queue in the order they are offered (see the module's
    rules), and of the expired claims; with include_claimed, also the callbacks agents hold and
    windows that open later."""
    target = now - timedelta(minutes=settings.target_minutes)
    rows = {r.id: r for r in session.execute(_queue_read(include_claimed),
                                             {"now": now, "target": target, "limit": limit})}
    entries = []
    for r in rows.values():
        name = customer_name(r.first_name, r.last_name, r.customer_number) if r.customer_number else ""
        expired = r.status == CallbackStatus.CLAIMED and r.claimed_until is not None and r.claimed_until < now
        entries.append(QueuedCallback(
            r.id, r.customer_id, name, r.phone, r.requested_at, r.window_from, r.window_to, r.time_zone, r.note,
            r.attempts, r.priority, bool(r.due),  # NULL (no window, not due) is not due
            callable_now(r.window_from, r.window_to, r.time_zone, now, settings),
            None if expired else r.claimed_by, (now - r.requested_at).total_seconds() / 60,
            r.kept_for if r.kept_until is not None and r.kept_until > now else None, r.kept_until,
            r.next_attempt_at if r.status == CallbackStatus.PENDING and r.next_attempt_at is not None
            and r.next_attempt_at > now else None))
    entries.sort(key=lambda e: (not e.due, -e.priority, e.requested_at, e.callback_id))
    # Each read gave its first `limit`: past that many waiting ones, another read's next rows
    # (not read) may rank higher. What agents hold and what comes later are shown whole.
    waiting = [e for e in entries if e.offered_now(now)]
    later = sorted((e for e in entries if not e.offered_now(now)),
                   key=lambda e: (e.claimed_by is None, e.comes_at or e.requested_at, e.callback_id))
    return waiting[:limit] + later  # held ones, then windows and retries in the order they come


def queue_version(session: Session) -> tuple:
    """Changes whenever the open queue changes (a new request, a claim, an attempt): one
    aggregate over the open callbacks (the status index), cheap enough to poll every second."""
    return tuple(session.execute(text(
        "SELECT count(*), coalesce(max(id), 0), coalesce(sum(attempts), 0), "
        "coalesce(sum(CASE WHEN status = 'claimed' THEN 1 ELSE 0 END), 0) FROM callback_request "
        "WHERE status IN ('pending', 'claimed')")).one())
