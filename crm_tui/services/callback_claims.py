"""Claiming and finishing callbacks.

- A claim is one conditional UPDATE (status pending, or claimed with an expired claim): two
  agents can never hold the same callback. A claim expires after `claim_minutes`; the
  callback returns to the queue if the agent's console disappears.
- No answer, busy and voicemail are retried after a backoff, up to `max_attempts`, then closed
  as unreachable.

Like every service, these never commit: the caller's transaction (the console's gateway, the
CLI's runner) does.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, SQLModel

from crm_tui.db import begin_write
from crm_tui.models import CallbackAttempt
from crm_tui.services.callback_queue import QueuedCallback, open_condition, queue, request
from crm_tui.services.contacts import check_wrap_up
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember, active_staff
from crm_tui.settings import QueueSettings, ServiceSettings
from crm_tui.shop.models import CallbackRequest, CallbackStatus

CLAIM_CANDIDATES = 12  # enough for agents racing for the same head of the queue
MAX_CANDIDATES = 1000  # how far a claim reads past callbacks it may not take now
RETRIED = ("no_answer", "busy", "voicemail")
OUTCOMES = ("resolved", "ordered", "no_answer", "busy", "voicemail", "wrong_number", "call_later", "declined")


class CallbackError(ServiceError):
    pass


@dataclass(frozen=True)
class FinishedCallback:
    status: str  # pending (to be tried again or called back later) or done
    outcome: str  # what was recorded; "unreachable" when the attempts ran out
    next_attempt_at: datetime | None = None

    @property
    def retried(self) -> bool:
        return self.status == "pending" and self.outcome in RETRIED

    @property
    def unreachable(self) -> bool:
        return self.outcome == "unreachable"


def claim_next_callback(session: Session, staff: StaffMember, now: datetime,
                        settings: QueueSettings = QueueSettings()) -> QueuedCallback | None:
    """Take the next callable callback for this agent, or None when there is none.

    The transaction is a write from the start (IMMEDIATE on SQLite), so on SQLite no other
    agent claims between the read and the UPDATE. On PostgreSQL agents claim side by side: a
    candidate another transaction has locked is skipped (FOR UPDATE SKIP LOCKED), never waited
    for, and the UPDATE re-checks every condition; a lost race reads again."""
    require(staff, Action.WORK_QUEUE)
    begin_write(session)
    # Losing every candidate to other agents does not mean the queue is empty: read again.
    # Each lost race is someone else's claim, so this ends.
    # Read further when the head of the queue is all other agents' personal callbacks or
    # customers outside calling hours.
    limit = CLAIM_CANDIDATES
    while True:
        read = queue(session, now, settings, limit=limit)
        candidates = [c for c in read if c.callable_now and c.offered_to(staff.login)]
        if not candidates:
            if limit < MAX_CANDIDATES and len(read) >= limit:
                limit *= 4
                continue
            return None
        if session.get_bind().dialect.name == "postgresql":
            claimed = _claim_first_unlocked(session, staff, [c.callback_id for c in candidates], now, settings)
            if claimed is not None:
                return next(c for c in candidates if c.callback_id == claimed)
            limit = min(limit * 2, MAX_CANDIDATES)  # every candidate taken or being taken: look further down
            continue
        for candidate in candidates:
            if _try_claim(session, staff, candidate.callback_id, now, settings):
                return candidate


def claim_callback(session: Session, staff: StaffMember, callback_id: int, now: datetime,
                   settings: QueueSettings = QueueSettings(), *, before_its_window: bool = False) -> bool:
    """Pick a specific callback. False when someone else holds it or it is closed.
    `before_its_window`: the agent was told the window has not opened and chose to call."""
    require(staff, Action.WORK_QUEUE)
    begin_write(session)
    return _try_claim(session, staff, callback_id, now, settings, before_its_window)


def renew_claim(session: Session, staff: StaffMember, callback_id: int, now: datetime,
                settings: QueueSettings = QueueSettings()) -> bool:
    """Keep holding a callback while its call is open (the claim expires only if the console
    disappears). False when it is no longer this agent's: expired and taken, or reassigned."""
    require(staff, Action.WORK_QUEUE)
    begin_write(session)
    return session.exec(
        update(request)
        .where(request.c.id == callback_id, request.c.status == CallbackStatus.CLAIMED,
               request.c.claimed_by == staff.login)
        .values(claimed_until=now + timedelta(minutes=settings.claim_minutes))
        .execution_options(synchronize_session=False)).rowcount == 1


@lru_cache(maxsize=1)
def _claim_statements():
    """The claim, built once (32 agents run it thousands of times a minute). SQLite: one
    conditional UPDATE (the IMMEDIATE transaction already excludes other writers). PostgreSQL:
    the same UPDATE of the first of the given callbacks, in their order, that is still open and
    that no other transaction holds: one statement however many agents race, none waiting."""
    open_now = open_condition()
    values = dict(status=CallbackStatus.CLAIMED, claimed_by=bindparam("login"), claimed_until=bindparam("until"))
    claim = (update(request).where(request.c.id == bindparam("callback_id"), open_now)
             .values(**values).execution_options(synchronize_session=False))
    ids = bindparam("ids", type_=postgresql.ARRAY(Integer))
    first_unlocked = (select(request.c.id)
                      .where(request.c.id == any_(ids), open_now)
                      .order_by(func.array_position(ids, request.c.id))
                      .limit(1).with_for_update(skip_locked=True).scalar_subquery())
    claim_unlocked = (update(request).where(request.c.id == first_unlocked, open_now)
                      .values(**values).returning(request.c.id)
                      .execution_options(synchronize_session=False))
    return claim, claim_unlocked


def _claim_params(staff: StaffMember, now: datetime, settings: QueueSettings, before_its_window: bool) -> dict:
    return {"now": now, "early": before_its_window, "login": staff.login,
            "until": now + timedelta(minutes=settings.claim_minutes)}


def _claim_first_unlocked(session: Session, staff: StaffMember, ids: list[int], now: datetime,
                          settings: QueueSettings, before_its_window: bool = False) -> int | None:
    """PostgreSQL: claim the first of `ids` that is open and not held by another transaction
    (being claimed or finished); the id claimed, or None."""
    return session.scalar(_claim_statements()[1], _claim_params(staff, now, settings, before_its_window) | {"ids": ids})


def _try_claim(session: Session, staff: StaffMember, callback_id: int, now: datetime,
               settings: QueueSettings, before_its_window: bool = False) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        # Another agent's transaction claiming or finishing it: never wait, it is not free.
        return _claim_first_unlocked(session, staff, [callback_id], now, settings, before_its_window) is not None
    params = _claim_params(staff, now, settings, before_its_window) | {"callback_id": callback_id}
    return session.exec(_claim_statements()[0], params=params).rowcount == 1


def finish_callback(session: Session, staff: StaffMember, callback_id: int, outcome: str, *,
                    started_at: datetime, note: str = "", satisfaction: int | None = None,
                    feedback_kind: str | None = None, feedback: str = "", call_back_at: datetime | None = None,
                    lost_reason: str | None = None, keep: bool = True, now: datetime,
                    settings: QueueSettings = QueueSettings(),
                    service: ServiceSettings = ServiceSettings()) -> FinishedCallback:
    """Record the attempt and move the callback on: tried again later, called back later, or
    closed (as unreachable when the attempts ran out). "Declined" takes a lost reason. "Call
    back later" is kept for this agent (`keep`, the default) until the time plus the grace
    period, then offered to anyone."""
    require(staff, Action.WORK_QUEUE)
    if outcome not in OUTCOMES:
        raise CallbackError("unknown_outcome", f"{outcome!r} is not an outcome; one of {', '.join(OUTCOMES)}",
                            outcome=outcome)
    check_wrap_up(outcome, satisfaction, feedback_kind, lost_reason, service, CallbackError)
    if outcome == "call_later" and (call_back_at is None or call_back_at <= now):
        raise CallbackError("call_later_needs_time", "call back later needs a time in the future")
    begin_write(session)
    read, write, record = _finish_statements()
    held_by_me = {"callback_id": callback_id, "login": staff.login}
    callback = session.execute(read, held_by_me).first()
    if callback is None:
        raise _not_held()
    attempts = callback.attempts + 1
    values: dict = {"attempts": attempts, "claimed_by": None, "claimed_until": None, "kept_for": None,
                    "kept_until": None}
    if callback.first_called_at is None:  # how soon it was called: the quality figures read this
        due = max(callback.requested_at, callback.window_from) if callback.window_from else callback.requested_at
        values |= {"first_called_at": started_at, "first_call_seconds": int((started_at - due).total_seconds())}
    if outcome in RETRIED and attempts < settings.max_attempts:
        backoff = settings.backoff_minutes[min(attempts - 1, len(settings.backoff_minutes) - 1)]
        values |= {"status": CallbackStatus.PENDING, "next_attempt_at": now + timedelta(minutes=backoff)}
    elif outcome in RETRIED:
        values |= {"status": CallbackStatus.DONE, "outcome": "unreachable", "closed_at": now}
    elif outcome == "call_later":
        assert call_back_at is not None  # checked on entry
        values |= {"status": CallbackStatus.PENDING, "window_from": call_back_at,
                   "window_to": call_back_at + timedelta(hours=1), "next_attempt_at": None}
        if keep:
            values |= {"kept_for": staff.login,
                       "kept_until": call_back_at + timedelta(minutes=settings.personal_grace_minutes)}
    else:
        values |= {"status": CallbackStatus.DONE, "outcome": outcome, "closed_at": now}
    # The row is locked (PostgreSQL) or the transaction is the only writer (SQLite); the WHERE
    # re-checks all the same that it is still this agent's.
    written = {name: values[name] if name in values else getattr(callback, name) for name in FINISH_SETS}
    if session.exec(write, params={f"new_{name}": value for name, value in written.items()} | held_by_me).rowcount != 1:
        raise _not_held()
    session.execute(record, dict(
        callback_id=callback_id, customer_id=callback.customer_id, staff_login=staff.login, started_at=started_at,
        ended_at=now, outcome=outcome, note=note.strip(), satisfaction=satisfaction, feedback_kind=feedback_kind,
        feedback=feedback.strip(), lost_reason=lost_reason))
    return FinishedCallback(str(values["status"]), values.get("outcome", outcome), values.get("next_attempt_at"))


# What finishing a call writes: every column, its current value where the outcome leaves it.
FINISH_SETS = ("attempts", "claimed_by", "claimed_until", "kept_for", "kept_until", "first_called_at",
               "first_call_seconds", "status", "next_attempt_at", "outcome", "closed_at", "window_from", "window_to")


@lru_cache(maxsize=1)
def _finish_statements():
    """Built once: the read of a callback this agent holds, its update, and the attempt's record."""
    held = (request.c.id == bindparam("callback_id"), request.c.status == CallbackStatus.CLAIMED,
            request.c.claimed_by == bindparam("login"))
    # Locked as read (PostgreSQL): a release, another agent's call and a hand-back to this agent
    # committed meanwhile must not be written over with what this read saw.
    read = (select(*(request.c[name] for name in FINISH_SETS), request.c.requested_at, request.c.customer_id)
            .where(*held).with_for_update())
    write = update(request).where(*held).values({name: bindparam(f"new_{name}") for name in FINISH_SETS})
    attempt = SQLModel.metadata.tables[CallbackAttempt.__tablename__]
    return read, write, insert(attempt)


def _not_held() -> CallbackError:
    return CallbackError("not_held", "this callback is not held by you (its claim may have expired and been taken)")


def release_callback(session: Session, staff: StaffMember, callback_id: int, to_login: str | None = None,
                     settings: QueueSettings = QueueSettings(), *, now: datetime) -> None:
    """Supervisors: put a claimed (or personal) callback back in the queue for anyone, or hand
    it to another agent: one waiting for a time to come (a personal callback, or a window not
    yet open) becomes theirs to call then, kept as the first agent's was; one due now, theirs
    to call now (a claim)."""
    require(staff, Action.RELEASE_CALLBACK)
    begin_write(session)
    if to_login is not None:
        active_staff(session, to_login)  # NotStaff says who to add
    callback = session.get(CallbackRequest, callback_id, populate_existing=True)
    values: dict[str, object]
    if to_login is None:
        values = {"status": CallbackStatus.PENDING, "claimed_by": None, "claimed_until": None,
                  "kept_for": None, "kept_until": None}  # a personal callback released is the team's
    elif callback is not None and callback.status == CallbackStatus.PENDING and (
            callback.kept_for is not None or (callback.window_from is not None and callback.window_from > now)):
        due = callback.window_from if callback.window_from is not None and callback.window_from > now else now
        values = {"kept_for": to_login,
                  "kept_until": max(callback.kept_until or due, due + timedelta(minutes=settings.personal_grace_minutes))}
    else:
        values = {"status": CallbackStatus.CLAIMED, "claimed_by": to_login, "kept_for": None, "kept_until": None,
                  "claimed_until": now + timedelta(minutes=settings.claim_minutes)}
    session.execute(update(request).where(request.c.id == callback_id, request.c.status != CallbackStatus.DONE)
                    .values(**values).execution_options(synchronize_session=False))


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
    except (ValueError, OverflowError):
        raise CallbackError("not_a_time", f"{text!r} is not a time: type 18:30, tomorrow 10:00, +30m or "
                            "YYYY-MM-DD 10:00", text=text) from None
    if when <= now:
        raise CallbackError("time_passed", f"{text!r} has already passed", text=text)
    return when.astimezone(ZoneInfo("UTC"))
