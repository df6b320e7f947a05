from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlmodel import Session

from crm_tui.db import write_session
from crm_tui.models import CallbackAttempt, Role
from crm_tui.services.callback_claims import CallbackError, claim_callback, claim_next_callback, finish_callback
from crm_tui.services.callback_queue import callable_now, queue
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest
from crm_tui.shop.operations import register_customer, request_callback
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
        assert finish_callback(session, ANA, cid, "no_answer", started_at=NOON, now=NOON, settings=settings).retried
        assert claim_next_callback(session, LUIS, now=NOON + timedelta(minutes=10), settings=settings) is None
        later = NOON + timedelta(minutes=31)
        assert claim_next_callback(session, LUIS, now=later, settings=settings).callback_id == cid
        with pytest.raises(CallbackError, match="not held by you") as refused:
            finish_callback(session, ANA, cid, "busy", started_at=later, now=later, settings=settings)
        assert refused.value.code == "not_held"
        finished = finish_callback(session, LUIS, cid, "busy", started_at=later, now=later, settings=settings)
        assert (finished.status, finished.unreachable) == ("done", True)
        callback = session.get(CallbackRequest, cid, populate_existing=True)
        attempts = session.scalars(select(CallbackAttempt).where(CallbackAttempt.callback_id == cid)).all()
    assert (callback.outcome, callback.attempts) == ("unreachable", 2)
    assert [(a.staff_login, a.outcome) for a in attempts] == [("ana", "no_answer"), ("luis", "busy")]


def test_an_expired_claim_returns_to_the_queue(engine):
    [cid] = add_callbacks(engine, dict(phone="699 000 020", now=NOON))
    with Session(engine) as session:
        assert claim_callback(session, ANA, cid, now=NOON)
        assert not claim_callback(session, LUIS, cid, now=NOON + timedelta(minutes=5))
        assert claim_callback(session, LUIS, cid, now=NOON + timedelta(minutes=11))


def test_an_inactive_member_neither_renews_nor_finishes_the_call_they_held(engine):
    from crm_tui.services.callback_claims import renew_claim
    from crm_tui.services.policy import NotAllowed

    [cid] = add_callbacks(engine, dict(phone="699 000 021", now=NOON))
    gone = StaffMember("ana", "Ana", Role.AGENT, 10, False)
    with Session(engine) as session:
        assert claim_callback(session, ANA, cid, now=NOON)
        with pytest.raises(NotAllowed):
            renew_claim(session, gone, cid, now=NOON)
        with pytest.raises(NotAllowed):
            finish_callback(session, gone, cid, "resolved", started_at=NOON, now=NOON)
        assert finish_callback(session, ANA, cid, "resolved", started_at=NOON, now=NOON).status == "done"


def test_outcomes_are_validated(engine):
    [cid] = add_callbacks(engine, dict(phone="699 000 030", now=NOON))
    with Session(engine) as session:
        claim_callback(session, ANA, cid, now=NOON)
        for outcome, kwargs, message in [("maybe", {}, "not an outcome"), ("resolved", {"satisfaction": 6}, "1 to 5"),
                                         ("call_later", {}, "time in the future")]:
            with pytest.raises(CallbackError, match=message):
                finish_callback(session, ANA, cid, outcome, started_at=NOON, now=NOON, **kwargs)
        assert finish_callback(session, ANA, cid, "resolved", started_at=NOON, now=NOON, satisfaction=5,
                               feedback_kind="suggestion", feedback="More colours").status == "done"


def test_supervisor_figures(engine):
    from crm_tui.services.queue_figures import queue_figures

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


def test_a_late_first_call_stays_late_after_call_back_later(engine):
    """The wait is judged when the first call is made: "call back later" moves the window, not
    the 45 minutes the customer had waited; a window still to come is not a wait either."""
    from crm_tui.services.queue_figures import queue_figures

    late, _ = add_callbacks(engine, dict(phone="699 000 051", now=NOON),
                            dict(phone="699 000 052", now=NOON - timedelta(hours=3),
                                 starting_at=NOON + timedelta(days=1)))
    called = NOON + timedelta(minutes=45)
    with Session(engine) as session:
        claim_callback(session, ANA, late, now=called)
        finish_callback(session, ANA, late, "call_later", started_at=called, now=called,
                        call_back_at=called + timedelta(minutes=30))
        figures = queue_figures(session, since=NOON - timedelta(hours=1), now=called)
    assert figures.share_within_target == 0.0
    assert figures.oldest_waiting_minutes is None  # one rescheduled, one for tomorrow: nobody waits now


def test_an_unknown_callers_number_is_matched_to_a_registered_customer(engine):
    from crm_tui.services.callers import match_caller

    [cid] = add_callbacks(engine, dict(phone="612 34 56 78", now=NOON))  # nobody has this number yet
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)  # registers +34612345678
    with Session(engine) as session:
        assert session.get(CallbackRequest, cid).customer_id is None
        assert match_caller(session, cid) == customer.id
        assert session.get(CallbackRequest, cid, populate_existing=True).customer_id == customer.id


def test_a_window_that_passed_without_a_call_is_offered_in_calling_hours(engine):
    with write_session(engine) as session:
        register_customer(session, REGISTRATION)  # Madrid
    [cid] = add_callbacks(engine, dict(phone=REGISTRATION["phone"], window=(time(10), time(11)), now=NOON))
    evening = datetime(2026, 3, 11, 19, 0, tzinfo=timezone.utc)  # next day, 20:00 in Madrid
    night = datetime(2026, 3, 11, 22, 0, tzinfo=timezone.utc)  # 23:00 in Madrid
    with Session(engine) as session:
        assert claim_next_callback(session, ANA, now=night) is None
        assert claim_next_callback(session, ANA, now=evening).callback_id == cid


def test_call_back_time_is_read_in_the_customers_zone():
    from crm_tui.services.callback_claims import call_back_time

    now = datetime(2026, 3, 28, 17, 0, tzinfo=timezone.utc)  # Saturday 18:00 in Madrid, 17:00 in the Canaries
    madrid, canaries = "Europe/Madrid", "Atlantic/Canary"
    assert call_back_time("18:30", now, madrid) == datetime(2026, 3, 28, 17, 30, tzinfo=timezone.utc)
    assert call_back_time("18:30", now, canaries) == datetime(2026, 3, 28, 18, 30, tzinfo=timezone.utc)
    # 10:00 today has passed: tomorrow, which is after the change to summer time (UTC+2)
    assert call_back_time("10:00", now, madrid) == datetime(2026, 3, 29, 8, 0, tzinfo=timezone.utc)
    assert call_back_time("mañana 10:00", now, madrid) == datetime(2026, 3, 29, 8, 0, tzinfo=timezone.utc)
    assert call_back_time("+30m", now, madrid) == now + timedelta(minutes=30)
    assert call_back_time("+2h", now, madrid) == now + timedelta(hours=2)
    assert call_back_time("2026-04-01 09:15", now, madrid) == datetime(2026, 4, 1, 7, 15, tzinfo=timezone.utc)
    for bad in ("", "soon", "25:00", "+m", "2026-03-01 09:00", "+0m"):
        with pytest.raises(CallbackError):
            call_back_time(bad, now, madrid)


def test_queue_settings_from_the_environment():
    from crm_tui.settings import SettingsError, settings_from

    settings = settings_from({"CRM_TUI_TARGET_MINUTES": "5", "CRM_TUI_CALLING_HOURS": "08:30-20:00",
                              "CRM_TUI_BACKOFF_MINUTES": "10,30", "CRM_TUI_DIAL": "softphone {number}",
                              "CRM_TUI_TIME_ZONE": "Atlantic/Canary"})
    assert (settings.target_minutes, settings.calling_hours, settings.backoff_minutes, settings.dial_command,
            settings.time_zone) == (5, (time(8, 30), time(20)), (10, 30), "softphone {number}", "Atlantic/Canary")
    assert settings_from({}) == QueueSettings()
    for variable, value in (("CRM_TUI_TARGET_MINUTES", "soon"), ("CRM_TUI_CALLING_HOURS", "21:00-09:00"),
                            ("CRM_TUI_MAX_ATTEMPTS", "0"), ("CRM_TUI_BACKOFF_MINUTES", "10,x"),
                            ("CRM_TUI_TIME_ZONE", "Mars/Olympus")):
        with pytest.raises(SettingsError, match=f"{variable}={value!r} is not valid: expected"):
            settings_from({variable: value})


def test_registering_a_caller_links_the_callback_and_its_earlier_attempts(engine):
    from crm_tui.services.callers import register_caller
    from crm_tui.shop.validation import InvalidInput

    [cid] = add_callbacks(engine, dict(phone="+34 699 000 111", now=NOON))
    with Session(engine) as session:
        claim_callback(session, ANA, cid, now=NOON)
        finish_callback(session, ANA, cid, "no_answer", started_at=NOON, now=NOON + timedelta(minutes=1))
        claim_callback(session, ANA, cid, now=NOON + timedelta(hours=1))
        with pytest.raises(InvalidInput) as refused:
            register_caller(session, cid, {"first_name": "Eva", "last_name": "", "email": "eva@example.com"})
        assert set(refused.value.by_field()) == {"last_name"}
        assert session.scalar(select(CallbackRequest.customer_id).where(CallbackRequest.id == cid)) is None
        session.commit()
        customer_id = register_caller(session, cid, {"first_name": "Eva", "last_name": "Gil",
                                                     "email": "eva@example.com"})
        assert session.scalar(select(CallbackRequest.customer_id).where(CallbackRequest.id == cid)) == customer_id
        assert session.scalars(select(CallbackAttempt.customer_id)).all() == [customer_id]


def test_the_timeline_merges_requests_calls_and_messages_newest_first(engine):
    from crm_tui.services.timeline import customer_timeline
    from crm_tui.shop.operations import send_contact_message

    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)
        message = send_contact_message(session, name="Ana", text="Where is my parcel?", phone=REGISTRATION["phone"],
                                       kind="complaint", now=NOON - timedelta(days=2))
        message.customer_id = customer.id
    [cid] = add_callbacks(engine, dict(phone=REGISTRATION["phone"], note="parcel", now=NOON - timedelta(hours=1)))
    with Session(engine) as session:
        claim_callback(session, ANA, cid, now=NOON)
        finish_callback(session, ANA, cid, "resolved", started_at=NOON, now=NOON + timedelta(seconds=95),
                        satisfaction=4, feedback_kind="suggestion", feedback="SMS when shipped", note="found it")
        timeline = customer_timeline(session, customer.id)
    assert [(e.kind, e.what) for e in timeline] == [("call", "resolved"), ("request", "resolved"),
                                                    ("message", "complaint")]
    call = timeline[0]
    assert (call.who, call.duration_seconds, call.satisfaction) == ("ana", 95, 4)
    assert (call.detail, call.codes) == ("found it · SMS when shipped", ("suggestion",))


def test_dial_arguments_are_split_like_a_shell_and_filled_per_argument():
    from crm_tui.services.dialling import dial, dial_arguments

    assert dial_arguments("softphone --call '{number}' --label 'CRM call'", "+34612345678") == [
        "softphone", "--call", "+34612345678", "--label", "CRM call"]
    assert dial_arguments("sip {digits} {national}", "+34612345678") == ["sip", "34612345678", "612345678"]
    assert "could not be started" in dial("/nonexistent/softphone {number}", "+34612345678").error
    assert "not valid" in dial("softphone {unknown}", "+34612345678").error


def test_call_back_later_is_kept_for_the_agent_until_its_grace_ends(engine):
    settings = QueueSettings(calling_hours=(time(0), time(23, 59)), personal_grace_minutes=30)
    [cid] = add_callbacks(engine, dict(phone="699 000 077", now=NOON))
    later = NOON + timedelta(hours=2)
    with write_session(engine) as session:
        assert claim_callback(session, ANA, cid, NOON, settings)
        finish_callback(session, ANA, cid, "call_later", started_at=NOON, now=NOON + timedelta(minutes=3),
                        call_back_at=later, settings=settings)
    with write_session(engine) as session:
        [entry] = [e for e in queue(session, later, settings, include_claimed=True) if e.callback_id == cid]
        assert (entry.kept_for, entry.kept_until) == ("ana", later + timedelta(minutes=30))
        assert not claim_callback(session, LUIS, cid, later + timedelta(minutes=5), settings)
        assert claim_next_callback(session, LUIS, later + timedelta(minutes=5), settings) is None
        assert claim_next_callback(session, ANA, later + timedelta(minutes=5), settings).callback_id == cid
        finish_callback(session, ANA, cid, "call_later", started_at=later, now=later + timedelta(minutes=6),
                        call_back_at=later + timedelta(hours=1), settings=settings)
    grace_over = later + timedelta(hours=1, minutes=31)
    with write_session(engine) as session:
        assert claim_next_callback(session, LUIS, grace_over, settings).callback_id == cid  # anyone's now
        finish_callback(session, LUIS, cid, "call_later", started_at=grace_over, now=grace_over,
                        call_back_at=grace_over + timedelta(hours=1), keep=False, settings=settings)
    with write_session(engine) as session:
        [entry] = [e for e in queue(session, grace_over, settings, include_claimed=True) if e.callback_id == cid]
        assert entry.kept_for is None  # not kept: the team's at its time


def test_a_personal_callback_handed_to_another_agent_stays_personal(engine):
    """Reassigned before its time, a kept callback is kept for the new agent (not a claim that
    would expire before the window); the first agent cannot take it back."""
    from crm_tui.services.callback_claims import release_callback
    from crm_tui.services.staff import add_staff

    with write_session(engine) as session:
        boss = add_staff(session, "sara", Role.SUPERVISOR, acting=None, acting_login="sara", owns_database=True)
        add_staff(session, "luis", Role.AGENT, acting=boss, acting_login="sara")
    [cid] = add_callbacks(engine, dict(phone="699 000 061", now=NOON))
    settings = QueueSettings(calling_hours=(time(0), time(23, 59)))
    later = NOON + timedelta(hours=2)
    with Session(engine) as session:
        with session.begin():
            claim_callback(session, ANA, cid, now=NOON, settings=settings)
        with session.begin():
            finish_callback(session, ANA, cid, "call_later", started_at=NOON, now=NOON, call_back_at=later,
                            settings=settings)
        with session.begin():
            release_callback(session, boss, cid, "luis", settings, now=NOON + timedelta(minutes=5))
        row = session.get(CallbackRequest, cid, populate_existing=True)
        assert (row.status, row.claimed_by, row.kept_for) == ("pending", None, "luis")
        opened = later + timedelta(minutes=1)
        assert claim_next_callback(session, ANA, now=opened, settings=settings) is None
        assert claim_next_callback(session, LUIS, now=opened, settings=settings).callback_id == cid


def test_a_callback_waiting_for_its_retry_is_shown_but_not_offered(engine):
    [cid, other] = add_callbacks(engine, dict(phone="699 000 071", now=NOON), dict(phone="699 000 072", now=NOON))
    settings = QueueSettings(calling_hours=(time(0), time(23, 59)), backoff_minutes=(30,))
    with Session(engine) as session:
        claim_callback(session, ANA, cid, now=NOON, settings=settings)
        finish_callback(session, ANA, cid, "no_answer", started_at=NOON, now=NOON, settings=settings)
        soon = NOON + timedelta(minutes=5)
        offered = queue(session, soon, settings)
        everything = queue(session, soon, settings, include_claimed=True)
    assert [e.callback_id for e in offered] == [other]
    assert [e.callback_id for e in everything] == [other, cid]
    assert everything[1].retry_at == NOON + timedelta(minutes=30) and not everything[1].offered_now(soon)
