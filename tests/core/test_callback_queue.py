from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlmodel import Session

from crm_tui.db import write_session
from crm_tui.models import CallbackAttempt, Role
from crm_tui.services.callbacks import (
    CallbackError,
    QueueSettings,
    callable_now,
    claim_callback,
    claim_next_callback,
    finish_callback,
    queue,
)
from crm_tui.services.staff import StaffMember
from store.models import CallbackRequest
from store.operations import register_customer, request_callback
from tests.conftest import REGISTRATION

ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
LUIS = StaffMember("luis", "Luis", Role.AGENT, 10, True)
NOON = datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc)  # 12:00 in Madrid, 11:00 in the Canaries


def add_callbacks(engine, *specs):
    ids = []
    with write_session(engine) as session:
        for spec in specs:
            ids.append(request_callback(session, **spec).id)
    return ids


def test_calling_hours_are_judged_in_the_customers_zone():
    hours = QueueSettings(calling_hours=(time(9), time(21)))
    # 20:30 UTC in March: 21:30 in Madrid (too late), 20:30 in the Canaries (fine).
    evening = datetime(2026, 3, 10, 20, 30, tzinfo=timezone.utc)
    assert not callable_now(None, None, "Europe/Madrid", evening, hours)
    assert callable_now(None, None, "Atlantic/Canary", evening, hours)
    # 08:30 UTC: 09:30 Madrid (fine), 08:30 Canaries (too early).
    morning = datetime(2026, 3, 10, 8, 30, tzinfo=timezone.utc)
    assert callable_now(None, None, "Europe/Madrid", morning, hours)
    assert not callable_now(None, None, "Atlantic/Canary", morning, hours)


def test_a_daylight_saving_change_moves_calling_hours_in_utc():
    hours = QueueSettings()
    # Madrid switches to summer time on 29 March 2026: 07:30 UTC is 08:30 before, 09:30 after.
    assert not callable_now(None, None, "Europe/Madrid", datetime(2026, 3, 28, 7, 30, tzinfo=timezone.utc), hours)
    assert callable_now(None, None, "Europe/Madrid", datetime(2026, 3, 30, 7, 30, tzinfo=timezone.utc), hours)


def test_a_window_is_offered_only_while_it_is_open(engine):
    with write_session(engine) as session:
        register_customer(session, REGISTRATION | {"postcode": "35001"})  # Canary Islands
    [cid] = add_callbacks(engine, dict(phone=REGISTRATION["phone"], window=(time(15), time(16)),
                                       now=NOON))
    with Session(engine) as session:
        assert claim_next_callback(session, ANA, now=NOON) is None
        inside = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)  # 15:30 in the Canaries
        assert claim_next_callback(session, ANA, now=inside).callback_id == cid


def test_due_and_valuable_callbacks_come_first(engine):
    ids = add_callbacks(engine,
                        dict(phone="699 000 001", now=NOON - timedelta(minutes=5)),
                        dict(phone="699 000 002", now=NOON - timedelta(minutes=40)),
                        dict(phone="699 000 003", now=NOON - timedelta(minutes=20)))
    with Session(engine) as session:
        order = [c.callback_id for c in queue(session, NOON)]
    assert order == [ids[1], ids[2], ids[0]]  # overdue oldest first, then the fresh one


def test_claim_finish_retry_and_give_up(engine):
    [cid] = add_callbacks(engine, dict(phone="699 000 010", now=NOON))
    settings = QueueSettings(max_attempts=2, backoff_minutes=(30,))
    with Session(engine) as session:
        claimed = claim_next_callback(session, ANA, now=NOON, settings=settings)
        assert claimed.callback_id == cid
        assert claim_next_callback(session, LUIS, now=NOON, settings=settings) is None  # held by Ana
        assert finish_callback(session, ANA, cid, "no_answer", started_at=NOON, now=NOON, settings=settings) == "pending"
        assert claim_next_callback(session, LUIS, now=NOON + timedelta(minutes=10), settings=settings) is None
        later = NOON + timedelta(minutes=31)
        assert claim_next_callback(session, LUIS, now=later, settings=settings).callback_id == cid
        with pytest.raises(CallbackError, match="not held by you"):
            finish_callback(session, ANA, cid, "busy", started_at=later, now=later, settings=settings)
        assert finish_callback(session, LUIS, cid, "busy", started_at=later, now=later, settings=settings) == "done"
        callback = session.get(CallbackRequest, cid)
        attempts = session.scalars(select(CallbackAttempt).where(CallbackAttempt.callback_id == cid)).all()
    assert (callback.outcome, callback.attempts) == ("unreachable", 2)
    assert [(a.staff_login, a.outcome) for a in attempts] == [("ana", "no_answer"), ("luis", "busy")]


def test_an_expired_claim_returns_to_the_queue(engine):
    [cid] = add_callbacks(engine, dict(phone="699 000 020", now=NOON))
    with Session(engine) as session:
        assert claim_callback(session, ANA, cid, now=NOON)
        assert not claim_callback(session, LUIS, cid, now=NOON + timedelta(minutes=5))
        assert claim_callback(session, LUIS, cid, now=NOON + timedelta(minutes=11))


def test_outcomes_are_validated(engine):
    [cid] = add_callbacks(engine, dict(phone="699 000 030", now=NOON))
    with Session(engine) as session:
        claim_callback(session, ANA, cid, now=NOON)
        for outcome, kwargs, message in [("maybe", {}, "not an outcome"), ("resolved", {"satisfaction": 6}, "1 to 5"),
                                         ("call_later", {}, "time in the future")]:
            with pytest.raises(CallbackError, match=message):
                finish_callback(session, ANA, cid, outcome, started_at=NOON, now=NOON, **kwargs)
        assert finish_callback(session, ANA, cid, "resolved", started_at=NOON, now=NOON, satisfaction=5,
                               feedback_kind="suggestion", feedback="More colours") == "done"


def test_supervisor_figures(engine):
    from crm_tui.services.callbacks import queue_figures

    fast, slow, waiting = add_callbacks(engine, dict(phone="699 000 041", now=NOON), dict(phone="699 000 042", now=NOON),
                                        dict(phone="699 000 043", now=NOON))
    with Session(engine) as session:
        claim_callback(session, ANA, fast, now=NOON + timedelta(minutes=5))
        finish_callback(session, ANA, fast, "resolved", started_at=NOON + timedelta(minutes=5),
                        now=NOON + timedelta(minutes=9), satisfaction=4)
        claim_callback(session, LUIS, slow, now=NOON + timedelta(minutes=40))
        finish_callback(session, LUIS, slow, "ordered", started_at=NOON + timedelta(minutes=40),
                        now=NOON + timedelta(minutes=42), satisfaction=2)
        figures = queue_figures(session, since=NOON - timedelta(hours=1), now=NOON + timedelta(minutes=60))
    assert figures.waiting == 1 and round(figures.oldest_waiting_minutes) == 60
    assert figures.share_within_target == 0.5
    assert [(a.login, a.handled, a.average_handling_seconds) for a in figures.agents] == [
        ("ana", 1, 240.0), ("luis", 1, 120.0)]
    assert figures.satisfaction_average == 3.0
    assert waiting


def test_an_unknown_callers_number_is_matched_to_a_registered_customer(engine):
    from crm_tui.services.callbacks import match_caller

    [cid] = add_callbacks(engine, dict(phone="612 34 56 78", now=NOON))  # nobody has this number yet
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)  # registers +34612345678
    with Session(engine) as session:
        assert session.get(CallbackRequest, cid).customer_id is None
        assert match_caller(session, cid) == customer.id
        assert session.get(CallbackRequest, cid, populate_existing=True).customer_id == customer.id
