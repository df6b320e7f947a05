"""Agents in separate processes work one queue as fast as they can: eight on either engine, 32 on
PostgreSQL; and a finish that waits on another transaction writes what that one left."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from crm_tui.db import make_engine, read_session, run_read, run_write, write_session
from crm_tui.models import CallbackAttempt, Role
from crm_tui.services.callback_claims import claim_next_callback, finish_callback
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest
from crm_tui.shop.types import utc_now
from tests.integration.processes import race

QUEUE = 2_000
AGENTS = 8
# Calling hours wide open: the test is about claims, not the clock.
ALWAYS = QueueSettings(calling_hours=(datetime.min.time(), datetime.max.time()))


def fill_queue(engine, count: int) -> None:
    """A backlog: one request a second up to now, so the newest quarter-hour's are not due yet."""
    now = datetime.now(timezone.utc)
    with write_session(engine) as session:
        session.execute(insert(CallbackRequest), [
            dict(phone=f"+3469{i:07d}", requested_at=now - timedelta(seconds=count - i), time_zone="Europe/Madrid",
                 note="", source="web", status="pending", attempts=0) for i in range(count)])
    if engine.dialect.name == "postgresql":
        # What autovacuum does after so many new rows on a real server (the test server runs
        # without it, so that plans depend only on what is asked).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE callback_request")


def agent(url: str, login: str, barrier, results) -> None:
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    handled = []
    barrier.wait(timeout=60)
    # Each claim and each finish is its own transaction, as the console's gateway runs them.
    while (claimed := run_write(engine, lambda s: claim_next_callback(s, staff, utc_now(), settings=ALWAYS))):
        now = utc_now()
        run_write(engine, lambda s: finish_callback(s, staff, claimed.callback_id, "resolved", started_at=now,
                                                    now=now, settings=ALWAYS))
        handled.append(claimed.callback_id)
        # The call itself, outside any transaction: a real agent talks for minutes. Without it the
        # eight processes ask for SQLite's write lock back to back, and its sleeping busy handler
        # (not the queue) decides who gets work on a loaded machine.
        time.sleep(0.002)
    results.put((login, handled))
    engine.dispose()


def test_eight_agents_never_claim_one_callback_twice_and_lose_none(engine):
    # On PostgreSQL the 32-agent test below carries the volume; this one checks the same race.
    queue_size = QUEUE if engine.dialect.name == "sqlite" else QUEUE // 2
    fill_queue(engine, queue_size)
    outcomes = race(agent, [(str(engine.url), f"agent{n}") for n in range(AGENTS)], AGENTS, timeout=300)
    handled = [cid for _, ids in outcomes for cid in ids]
    assert len(handled) == len(set(handled)) == queue_size
    shares = sorted(len(ids) for _, ids in outcomes)
    print("callbacks handled per agent:", shares)
    # An agent who loses a race for the head of the queue gets the next one, not "nobody to
    # call" (that once left agents idle while 9,000 callbacks waited).
    assert shares[0] >= queue_size / AGENTS / 5
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).where(CallbackRequest.status != "done")) == 0
        attempts = session.execute(select(CallbackAttempt.callback_id, func.count()).group_by(
            CallbackAttempt.callback_id)).all()
    assert len(attempts) == queue_size and {n for _, n in attempts} == {1}


CLAIMER = """
import sys, time
from datetime import timedelta
from crm_tui.db import make_engine, run_write
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_next_callback
from crm_tui.settings import QueueSettings
from crm_tui.services.staff import StaffMember
from crm_tui.shop.types import utc_now
settings = QueueSettings(claim_minutes=float(sys.argv[2]) / 60, calling_hours=(__import__('datetime').time.min, __import__('datetime').time.max))
claimed = run_write(make_engine(sys.argv[1]), lambda session: claim_next_callback(
    session, StaffMember("doomed", "Doomed", Role.AGENT, 10, True), utc_now(), settings=settings))
print(claimed.callback_id, flush=True)
time.sleep(600)
"""


def test_a_killed_agents_claim_expires_and_the_callback_returns(engine):
    fill_queue(engine, 1)
    proc = subprocess.Popen([sys.executable, "-c", CLAIMER, str(engine.url), "2"], stdout=subprocess.PIPE, text=True,
                            env=os.environ)
    callback_id = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    luis = StaffMember("luis", "Luis", Role.AGENT, 10, True)
    def claim(session):
        return claim_next_callback(session, luis, utc_now(), settings=ALWAYS)
    assert run_write(engine, claim) is None  # still held by the dead console
    time.sleep(2.2)
    assert run_write(engine, claim).callback_id == callback_id


def rescheduler(url: str, login: str, barrier, results) -> None:
    """Takes the next callback and asks to be called back in an hour, as fast as it can."""
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    rescheduled = []
    barrier.wait(timeout=60)
    while (claimed := run_write(engine, lambda s: claim_next_callback(s, staff, utc_now(), settings=ALWAYS))):
        now = utc_now()
        run_write(engine, lambda s: finish_callback(s, staff, claimed.callback_id, "call_later", started_at=now,
                                                    call_back_at=now + timedelta(hours=1), now=now, settings=ALWAYS))
        rescheduled.append(claimed.callback_id)
    results.put((login, "rescheduled", rescheduled))
    engine.dispose()


def row_picker(url: str, login: str, barrier, results) -> None:
    """Claims rows from a list read a moment ago, like Enter on the queue screen: a row may have
    been rescheduled since, and the claim itself must notice."""
    from crm_tui.services.callback_claims import claim_callback
    from crm_tui.services.callback_queue import queue

    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    taken = []
    barrier.wait(timeout=60)
    while rows := run_read(engine, lambda s: queue(s, utc_now(), ALWAYS, limit=40)):
        for row in rows:
            if run_write(engine, lambda s: claim_callback(s, staff, row.callback_id, utc_now(), settings=ALWAYS)):
                now = utc_now()
                run_write(engine, lambda s: finish_callback(s, staff, row.callback_id, "resolved", started_at=now,
                                                            now=now, settings=ALWAYS))
                taken.append(row.callback_id)
    results.put((login, "taken", taken))
    engine.dispose()


def test_a_rescheduled_callback_is_never_claimed_before_its_window(engine):
    fill_queue(engine, 800)
    url = str(engine.url)
    outcomes = race_mixed(url)
    rescheduled = {cid for _, kind, ids in outcomes if kind == "rescheduled" for cid in ids}
    taken = {cid for _, kind, ids in outcomes if kind == "taken" for cid in ids}
    assert rescheduled and taken and not rescheduled & taken
    with read_session(engine) as session:
        attempts = dict(session.execute(select(CallbackAttempt.callback_id, func.count())
                                        .group_by(CallbackAttempt.callback_id)).all())
        waiting = session.execute(select(CallbackRequest.id, CallbackRequest.status, CallbackRequest.window_from)
                                  .where(CallbackRequest.id.in_(rescheduled))).all()
    assert all(attempts[cid] == 1 for cid in rescheduled | taken)  # nobody called a rescheduled one again
    assert {status for _, status, _ in waiting} == {"pending"} and all(window is not None for *_, window in waiting)


def race_mixed(url: str) -> list:
    return race(_mixed_agent, [(url, f"agent{n}") for n in range(6)], 6, timeout=300)


def _mixed_agent(url: str, login: str, barrier, results) -> None:
    (rescheduler if login in ("agent0", "agent1", "agent2") else row_picker)(url, login, barrier, results)


@pytest.mark.postgresql_only
@pytest.mark.volume
def test_thirty_two_agents_on_postgresql_never_claim_twice_lose_none_and_never_fail_on_a_lock(engine):
    """FOR UPDATE SKIP LOCKED: 32 agents side by side, none waits on another's claim."""
    callbacks, agents = 20_000, 32
    fill_queue(engine, callbacks)
    outcomes = race(agent, [(str(engine.url), f"agent{n}") for n in range(agents)], agents, timeout=600)
    handled = [cid for _, ids in outcomes for cid in ids]
    assert len(handled) == len(set(handled)) == callbacks
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).where(CallbackRequest.status != "done")) == 0
        attempts = session.execute(select(CallbackAttempt.callback_id, func.count()).group_by(
            CallbackAttempt.callback_id)).all()
    assert len(attempts) == callbacks and {n for _, n in attempts} == {1}


@pytest.mark.postgresql_only
def test_a_finish_waiting_on_another_transaction_writes_over_nothing_it_did(engine):
    """Ana's claim expired while her call went on. As she finishes, a supervisor's transaction
    holds the callback: it was released, Luis called (no answer), and it was handed back to Ana.
    Her finish waits for that transaction and counts Luis's attempt; his first call stays first."""
    import threading

    from sqlalchemy import text
    from sqlmodel import Session

    from crm_tui.services.callback_claims import claim_callback, release_callback
    from crm_tui.services.staff import add_staff
    from crm_tui.shop.operations import request_callback

    noon = datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc)
    minute = timedelta(minutes=1)
    with write_session(engine) as session:
        boss = add_staff(session, "sara", Role.SUPERVISOR, acting=None, acting_login="sara", owns_database=True)
        ana = add_staff(session, "ana", Role.AGENT, acting=boss, acting_login="sara")
        luis = add_staff(session, "luis", Role.AGENT, acting=boss, acting_login="sara")
        callback_id = request_callback(session, phone="699 000 061", now=noon - timedelta(hours=1)).id
    run_write(engine, lambda s: claim_callback(s, ana, callback_id, noon, settings=ALWAYS))
    supervisor = Session(engine)
    supervisor.begin()
    release_callback(supervisor, boss, callback_id, None, ALWAYS, now=noon + minute)
    finished = []
    ana_finishes = threading.Thread(target=lambda: finished.append(run_write(engine, lambda s: finish_callback(
        s, ana, callback_id, "no_answer", started_at=noon + 4 * minute, now=noon + 4 * minute, settings=ALWAYS))))
    ana_finishes.start()
    deadline = time.monotonic() + 10
    with engine.connect() as watcher:  # until Ana's finish waits for the supervisor's lock
        while not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")).scalar():
            assert time.monotonic() < deadline, "the finish never waited for the row"
            time.sleep(0.05)
    assert claim_callback(supervisor, luis, callback_id, noon + minute, settings=ALWAYS)
    finish_callback(supervisor, luis, callback_id, "no_answer", started_at=noon + minute, now=noon + 2 * minute,
                    settings=ALWAYS)
    release_callback(supervisor, boss, callback_id, "ana", ALWAYS, now=noon + 3 * minute)
    supervisor.commit()
    supervisor.close()
    ana_finishes.join(timeout=30)
    assert finished and finished[0].retried
    with read_session(engine) as session:
        attempts, first_called_at = session.execute(select(CallbackRequest.attempts, CallbackRequest.first_called_at)
                                                    .where(CallbackRequest.id == callback_id)).one()
        recorded = session.scalar(select(func.count()).where(CallbackAttempt.callback_id == callback_id))
    assert (attempts, recorded) == (2, 2)
    assert first_called_at == noon + minute
