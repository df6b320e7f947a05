"""The callback queue: who to call next, claimed atomically, with outcomes and retries.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam, func, insert, or_, select, true, update
from sqlmodel import Session

from crm_tui.db import begin_write
from crm_tui.models import CallbackAttempt
from crm_tui.services.staff import StaffMember, active_staff
from crm_tui.shop.models import CallbackRequest, CallbackStatus, Customer, Order
from crm_tui.shop.operations import register_customer

CANDIDATES = 50
CLAIM_CANDIDATES = 12  # enough for agents racing for the same head of the queue
RETRIED = ("no_answer", "busy", "voicemail")
OUTCOMES = ("resolved", "ordered", "no_answer", "busy", "voicemail", "wrong_number", "call_later", "declined")


class CallbackError(ValueError):
    pass


@dataclass(frozen=True)
class QueueSettings:
    target_minutes: int = 15
    claim_minutes: int = 10
    calling_hours: tuple[time, time] = (time(9), time(21))
    max_attempts: int = 3
    backoff_minutes: tuple[int, ...] = (15, 60, 240)
    dial_command: str = ""  # e.g. "linphonecsh dial {number}"; empty: the agent dials by hand
    time_zone: str = "Europe/Madrid"  # the call centre's: where "today" and "this week" begin


SETTINGS_ENV = {
    "CRM_TUI_TARGET_MINUTES": "target_minutes", "CRM_TUI_CLAIM_MINUTES": "claim_minutes",
    "CRM_TUI_CALLING_HOURS": "calling_hours", "CRM_TUI_MAX_ATTEMPTS": "max_attempts",
    "CRM_TUI_BACKOFF_MINUTES": "backoff_minutes", "CRM_TUI_DIAL": "dial_command",
    "CRM_TUI_TIME_ZONE": "time_zone",
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
            if name in ("target_minutes", "claim_minutes", "max_attempts"):
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
            raise CallbackError(f"{variable}={raw!r} is not valid: expected {expected}") from None
    return QueueSettings(**values)


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


def callable_now(window_from, window_to, zone: str, now: datetime, settings: QueueSettings) -> bool:
    """Inside the customer's window, or (ASAP, or a window that passed without a call) inside
    calling hours in their time zone."""
    if window_from is not None and now < (window_to or window_from + timedelta(hours=1)):
        return window_from <= now
    local = now.astimezone(ZoneInfo(zone)).time()
    start, end = settings.calling_hours
    return start <= local < end


def _open_condition(now: datetime):
    return or_(
        and_(CallbackRequest.status == CallbackStatus.PENDING,
             or_(CallbackRequest.next_attempt_at.is_(None), CallbackRequest.next_attempt_at <= now)),
        and_(CallbackRequest.status == CallbackStatus.CLAIMED, CallbackRequest.claimed_until < now))


@lru_cache(maxsize=4)
def _queue_reads(include_claimed: bool):
    """The reads of the queue, built once (a claim runs them thousands of times)."""
    now, limit = bindparam("now"), bindparam("limit")
    columns = (CallbackRequest.id, CallbackRequest.customer_id, Customer.first_name, Customer.last_name,
               CallbackRequest.phone, CallbackRequest.requested_at, CallbackRequest.window_from,
               CallbackRequest.window_to, CallbackRequest.time_zone, CallbackRequest.note, CallbackRequest.attempts,
               CallbackRequest.claimed_by, CallbackRequest.status, CallbackRequest.claimed_until,
               CallbackRequest.next_attempt_at)
    retry_ok = or_(CallbackRequest.next_attempt_at.is_(None), CallbackRequest.next_attempt_at <= now)
    pending = CallbackRequest.status == CallbackStatus.PENDING
    reads = [
        select(*columns).where(pending, CallbackRequest.window_from.is_not(None), CallbackRequest.window_from <= now,
                               retry_ok).order_by(CallbackRequest.window_from),
        select(*columns).where(pending, CallbackRequest.window_from.is_(None), retry_ok)
        .order_by(CallbackRequest.requested_at, CallbackRequest.id),
        select(*columns).where(CallbackRequest.status == CallbackStatus.CLAIMED,
                               true() if include_claimed else CallbackRequest.claimed_until < now)
        .order_by(CallbackRequest.requested_at),
    ]
    if include_claimed:  # the whole picture: also what is held, and windows still to come
        reads.append(select(*columns).where(pending, CallbackRequest.window_from > now)
                     .order_by(CallbackRequest.window_from))
    return [read.outerjoin(Customer, Customer.id == CallbackRequest.customer_id).limit(limit) for read in reads]


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
            None if expired else r.claimed_by, (now - r.requested_at).total_seconds() / 60))
    entries.sort(key=lambda e: (not e.due, -e.priority, e.requested_at, e.callback_id))
    return entries


def priority_for(lifetime_value_cents: int) -> int:
    """0 to 3 from the customer's lifetime value: unknown/none, some, good, top."""
    return 3 if lifetime_value_cents >= 100_000 else 2 if lifetime_value_cents >= 25_000 else \
        1 if lifetime_value_cents > 0 else 0


def _customer_values(session: Session, customer_ids: set[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    rows = session.execute(select(Order.customer_id, func.sum(Order.total_cents))
                           .where(Order.customer_id.in_(customer_ids)).group_by(Order.customer_id))
    return {cid: total or 0 for cid, total in rows}


def claim_next_callback(session: Session, staff: StaffMember, now: datetime,
                        settings: QueueSettings = QueueSettings()) -> QueuedCallback | None:
    """Take the next callable callback for this agent, or None when there is none."""
    # Losing every candidate to other agents does not mean the queue is empty: read again.
    # Each lost race is someone else's claim, so this ends.
    while candidates := [c for c in queue(session, now, settings, limit=CLAIM_CANDIDATES) if c.callable_now]:
        session.commit()  # end the read: each claim below is its own short write transaction
        for candidate in candidates:
            if _try_claim(session, staff, candidate.callback_id, now, settings):
                return candidate
    session.commit()
    return None


def claim_callback(session: Session, staff: StaffMember, callback_id: int, now: datetime,
                   settings: QueueSettings = QueueSettings()) -> bool:
    """Pick a specific callback. False when someone else holds it or it is closed."""
    return _try_claim(session, staff, callback_id, now, settings)


def _try_claim(session: Session, staff: StaffMember, callback_id: int, now: datetime,
               settings: QueueSettings) -> bool:
    begin_write(session)
    taken = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == callback_id, _open_condition(now))
        .values(status=CallbackStatus.CLAIMED, claimed_by=staff.login,
                claimed_until=now + timedelta(minutes=settings.claim_minutes))
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return taken == 1


def finish_callback(session: Session, staff: StaffMember, callback_id: int, outcome: str, *,
                    started_at: datetime, note: str = "", satisfaction: int | None = None,
                    feedback_kind: str | None = None, feedback: str = "", call_back_at: datetime | None = None,
                    now: datetime, settings: QueueSettings = QueueSettings()) -> str:
    """Record the attempt and move the callback on. Returns its new status."""
    if outcome not in OUTCOMES:
        raise CallbackError(f"{outcome!r} is not an outcome; one of {', '.join(OUTCOMES)}")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise CallbackError("satisfaction is from 1 to 5")
    if outcome == "call_later" and (call_back_at is None or call_back_at <= now):
        raise CallbackError("call back later needs a time in the future")
    begin_write(session)
    callback = session.get(CallbackRequest, callback_id)
    if callback is None or callback.status != CallbackStatus.CLAIMED or callback.claimed_by != staff.login:
        session.rollback()
        raise CallbackError("this callback is not held by you (its claim may have expired and been taken)")
    attempts = callback.attempts + 1
    values: dict = {"attempts": attempts, "claimed_by": None, "claimed_until": None}
    if outcome in RETRIED and attempts < settings.max_attempts:
        backoff = settings.backoff_minutes[min(attempts - 1, len(settings.backoff_minutes) - 1)]
        values |= {"status": CallbackStatus.PENDING, "next_attempt_at": now + timedelta(minutes=backoff)}
    elif outcome in RETRIED:
        values |= {"status": CallbackStatus.DONE, "outcome": "unreachable", "closed_at": now}
    elif outcome == "call_later":
        values |= {"status": CallbackStatus.PENDING, "window_from": call_back_at,
                   "window_to": call_back_at + timedelta(hours=1), "next_attempt_at": None}
    else:
        values |= {"status": CallbackStatus.DONE, "outcome": outcome, "closed_at": now}
    session.execute(update(CallbackRequest).where(CallbackRequest.id == callback_id).values(**values)
                    .execution_options(synchronize_session=False))
    session.execute(insert(CallbackAttempt).values(
        callback_id=callback_id, customer_id=callback.customer_id, staff_login=staff.login, started_at=started_at,
        ended_at=now, outcome=outcome, note=note.strip(), satisfaction=satisfaction, feedback_kind=feedback_kind,
        feedback=feedback.strip()))
    session.commit()
    return str(values["status"])


def release_callback(session: Session, staff: StaffMember, callback_id: int, to_login: str | None = None,
                     settings: QueueSettings = QueueSettings(), *, now: datetime) -> None:
    """Supervisors: put a claimed callback back in the queue, or hand it to another agent."""
    if staff.role.value not in ("supervisor", "ops"):
        raise PermissionError("only supervisors can release or reassign a callback")
    if to_login is not None:
        active_staff(session, to_login)  # NotStaff says who to add
        session.commit()
    begin_write(session)
    values = ({"status": CallbackStatus.PENDING, "claimed_by": None, "claimed_until": None} if to_login is None
              else {"status": CallbackStatus.CLAIMED, "claimed_by": to_login,
                    "claimed_until": now + timedelta(minutes=settings.claim_minutes)})
    session.execute(update(CallbackRequest).where(CallbackRequest.id == callback_id,
                                                  CallbackRequest.status != CallbackStatus.DONE).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


@dataclass(frozen=True)
class AgentFigures:
    login: str
    handled: int
    average_handling_seconds: float


@dataclass(frozen=True)
class QueueFigures:
    waiting: int
    oldest_waiting_minutes: float | None
    share_within_target: float | None  # of callbacks first called in the period
    agents: list[AgentFigures]
    satisfaction_average: float | None


def queue_figures(session: Session, since: datetime, now: datetime,
                  settings: QueueSettings = QueueSettings()) -> QueueFigures:
    """For supervisors: depth, oldest waiting, share called within the target (first attempt
    after the request, among requests first called since `since`), per-agent handled count and
    average handling time, and the average satisfaction, all since `since`."""
    open_ = CallbackRequest.status.in_([CallbackStatus.PENDING, CallbackStatus.CLAIMED])
    waiting, oldest = session.execute(select(func.count(), func.min(CallbackRequest.requested_at))
                                      .where(open_)).one()
    first_attempts = (select(CallbackAttempt.callback_id, func.min(CallbackAttempt.started_at).label("first"))
                      .group_by(CallbackAttempt.callback_id).subquery())
    firsts = session.execute(select(CallbackRequest.requested_at, CallbackRequest.window_from, first_attempts.c.first)
                             .join(first_attempts, first_attempts.c.callback_id == CallbackRequest.id)
                             .where(first_attempts.c.first >= since)).all()
    target = timedelta(minutes=settings.target_minutes)
    within = [first - max(window or requested, requested) <= target
              for requested, window, first in firsts]
    rows = session.execute(select(CallbackAttempt.staff_login, CallbackAttempt.started_at, CallbackAttempt.ended_at)
                           .where(CallbackAttempt.ended_at >= since)).all()
    per_agent: dict[str, list[float]] = {}
    for login, started, ended in rows:
        per_agent.setdefault(login, []).append((ended - started).total_seconds())
    satisfaction = session.scalar(select(func.avg(CallbackAttempt.satisfaction))
                                  .where(CallbackAttempt.ended_at >= since, CallbackAttempt.satisfaction.is_not(None)))
    return QueueFigures(
        waiting, (now - oldest).total_seconds() / 60 if oldest else None,
        sum(within) / len(within) if within else None,
        sorted((AgentFigures(login, len(times), sum(times) / len(times)) for login, times in per_agent.items()),
               key=lambda a: (-a.handled, a.login)),
        float(satisfaction) if satisfaction is not None else None)



def match_caller(session: Session, callback_id: int) -> int | None:
    """An unknown caller's number may belong to a registered customer: link them. Returns the
    customer's id (known before or matched now), or None."""
    callback = session.get(CallbackRequest, callback_id)
    if callback is None or callback.customer_id is not None:
        return callback.customer_id if callback else None
    match = session.scalar(select(Customer.id).where(Customer.phone == callback.phone).order_by(Customer.id).limit(1))
    session.commit()  # end the read: the link below is its own write transaction
    if match is not None:
        begin_write(session)
        _link(session, callback_id, match)
        session.commit()
    return match


def register_caller(session: Session, callback_id: int, form: Mapping[str, object]) -> int:
    """Register an unknown caller from the call (the shop's registration rules; the phone is
    the callback's unless the form gives another) and link the callback and its attempts to
    them. Raises InvalidInput like the shop's form. Returns the new customer's id."""
    begin_write(session)
    callback = session.get(CallbackRequest, callback_id)
    if callback is None:
        session.rollback()
        raise CallbackError(f"callback {callback_id} does not exist")
    try:
        customer = register_customer(session, {"phone": callback.phone, **form})
        _link(session, callback_id, customer.id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return customer.id


def _link(session: Session, callback_id: int, customer_id: int) -> None:
    session.execute(update(CallbackRequest).where(CallbackRequest.id == callback_id,
                                                  CallbackRequest.customer_id.is_(None))
                    .values(customer_id=customer_id).execution_options(synchronize_session=False))
    session.execute(update(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id,
                                                  CallbackAttempt.customer_id.is_(None))
                    .values(customer_id=customer_id).execution_options(synchronize_session=False))


def call_back_time(text: str, now: datetime, zone: str) -> datetime:
    """When to call back, as the agent types it in the customer's own time: "18:30" (today, or
    tomorrow when that has passed), "tomorrow 10:00" / "mañana 10:00", "+30m" / "+2h", or
    "2026-11-24 10:00". Returns UTC; raises CallbackError for anything else or a past time."""
    local_now = now.astimezone(ZoneInfo(zone))
    words = text.strip().lower().split()
    try:
        if len(words) == 1 and words[0].startswith("+") and words[0][-1] in "mh":
            amount = int(words[0][1:-1])
            when = now + (timedelta(minutes=amount) if words[0][-1] == "m" else timedelta(hours=amount))
        elif len(words) == 2 and words[0] in ("tomorrow", "mañana", "manana"):
            day = local_now.date() + timedelta(days=1)
            when = datetime.combine(day, time.fromisoformat(words[1]), ZoneInfo(zone))
        elif len(words) == 1:
            when = datetime.combine(local_now.date(), time.fromisoformat(words[0]), ZoneInfo(zone))
            if when <= local_now:
                when += timedelta(days=1)
        elif len(words) == 2:
            when = datetime.fromisoformat(f"{words[0]} {words[1]}").replace(tzinfo=ZoneInfo(zone))
        else:
            raise ValueError
    except ValueError:
        raise CallbackError(f"{text!r} is not a time: type 18:30, tomorrow 10:00, +30m or 2026-11-24 10:00") from None
    if when <= now:
        raise CallbackError(f"{text!r} has already passed")
    return when.astimezone(ZoneInfo("UTC"))
