"""A claimed call: card and summary open by themselves, wrap-up, call back later, an unknown
caller registered from the call, the dial command, and the supervisors' screen."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session
from textual.widgets import DataTable, Input, Select, Static

from crm_tui.db import open_database, write_session
from crm_tui.models import CallbackAttempt
from crm_tui.screens.call import CallScreen
from crm_tui.screens.callback_queue import CallbackQueueScreen
from crm_tui.screens.queue_supervision import QueueSupervisionScreen
from crm_tui.screens.service_form import FormScreen
from crm_tui.shop.models import CallbackRequest, Customer
from crm_tui.shop.operations import request_callback
from crm_tui.shop.validation import national_phone
from tests.ui.conftest import CONSOLE_NOW
from tests.ui.test_callback_queue_screen import ALWAYS
from tests.ui.test_search_and_card import settle


def stored(demo_db, query):
    engine = open_database(demo_db)
    with Session(engine) as session:
        result = session.execute(query).all()
    engine.dispose()
    return result


def add_callback(demo_db, phone: str, note: str = "") -> int:
    engine = open_database(demo_db)
    with write_session(engine) as session:
        callback = request_callback(session, phone, note=note, now=CONSOLE_NOW - timedelta(hours=5))
    engine.dispose()
    return callback.id


async def take(app, pilot, callback_id: int | None = None) -> CallScreen:
    await settle(pilot)
    app.push_screen(CallbackQueueScreen(app.context))
    await settle(pilot)
    queue_screen = app.screen
    if callback_id is None:
        await pilot.press("n")
    else:
        queue_screen.claim(callback_id)
        queue_screen.calling = True
    await settle(pilot)
    assert isinstance(app.screen, CallScreen)
    return app.screen


async def test_claiming_a_customer_opens_their_card_summary_and_timeline(console_factory):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        assert call.customer_id is not None
        summary = str(call.query_one("#summary", Static).render())
        assert call.entry.customer_name in summary and "Segment" in summary and "Lifetime value" in summary
        assert "Phone marketing" in str(call.query_one("#card-facts", Static).render())
        timeline = call.query_one("#timeline", DataTable)
        assert any("callback request" in str(timeline.get_row_at(r)[1]) for r in range(timeline.row_count))
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "CustomerCardScreen" and app.screen.customer_id == call.customer_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is call
        await pilot.press("escape")  # a call is not left without an outcome
        await settle(pilot)
        assert app.screen is call and "outcome" in str(call.query_one("#call-facts", Static).render())


async def test_a_reached_call_records_satisfaction_and_a_complaint(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        callback_id = call.entry.callback_id
        await pilot.press("1")
        await settle(pilot)
        wrap_up = app.screen
        wrap_up.query_one("#satisfaction", Input).value = "9"
        await pilot.press("enter")
        await settle(pilot)
        assert "from 1 to 5" in str(wrap_up.query_one("#error-satisfaction", Static).render())
        assert stored(demo_db, select(CallbackAttempt.id).where(CallbackAttempt.callback_id == callback_id)) == []
        wrap_up.query_one("#satisfaction", Input).value = "2"
        wrap_up.query_one("#feedback-kind", Select).value = "complaint"
        wrap_up.query_one("#feedback", Input).value = "The parcel came late"
        wrap_up.query_one("#note", Input).value = "Offered express shipping"
        wrap_up.query_one("#note", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        # A complaint: the console offers to open it as a case; Esc declines, the call ends.
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#summary", Input).value == "The parcel came late"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CallbackQueueScreen)
    [attempt] = stored(demo_db, select(CallbackAttempt).where(CallbackAttempt.callback_id == callback_id))
    attempt = attempt[0]
    assert (attempt.outcome, attempt.satisfaction, attempt.feedback_kind, attempt.feedback, attempt.note) == (
        "resolved", 2, "complaint", "The parcel came late", "Offered express shipping")


async def test_call_back_later_takes_a_time_in_the_customers_zone(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        callback_id = call.entry.callback_id
        await pilot.press("7")
        await settle(pilot)
        later = app.screen
        later.query_one("#call-back-at", Input).value = "yesterday"
        await pilot.press("enter")
        await settle(pilot)
        assert "18:30" in str(later.query_one("#error-call-back-at", Static).render())
        later.query_one("#call-back-at", Input).value = "+45m"
        await pilot.press("enter")
        await settle(pilot)
        asked = CONSOLE_NOW
        assert isinstance(app.screen, CallbackQueueScreen)
    [(status, window_from, held_by)] = stored(demo_db, select(
        CallbackRequest.status, CallbackRequest.window_from, CallbackRequest.claimed_by)
        .where(CallbackRequest.id == callback_id))
    assert status == "pending" and held_by is None
    assert abs((window_from - asked) - timedelta(minutes=45)) < timedelta(minutes=1)


async def test_an_unknown_caller_is_registered_from_the_call(console_factory, demo_db):
    callback_id = add_callback(demo_db, "611 98 76 54", "asks about sizes")
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot, callback_id=callback_id)
        assert call.customer_id is None and "Unknown caller" in str(call.query_one("#summary", Static).render())
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#field-phone", Input).value == "611 98 76 54"
        form.query_one("#field-first_name", Input).value = "Lucía"
        form.query_one("#field-last_name", Input).value = "Prieto"
        form.query_one("#field-email", Input).value = "lucia.prieto@"
        form.query_one("#field-email", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form and "e-mail" in str(form.query_one("#error-email", Static).render())
        taken = stored(demo_db, select(Customer.email).order_by(Customer.id).limit(1))[0][0]
        form.query_one("#field-email", Input).value = taken
        await pilot.press("enter")
        await settle(pilot)
        assert "already registered: search for that customer" in str(form.query_one("#error-email", Static).render())
        form.query_one("#field-email", Input).value = "lucia.prieto@example.com"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is call and call.customer_id is not None
        assert "Lucía Prieto" in str(call.query_one("#summary", Static).render())
        assert "Lucía Prieto" in str(call.query_one("#call-facts", Static).render())
        await pilot.press("3")
        await settle(pilot)
    [(customer_id, phone)] = stored(demo_db, select(Customer.id, Customer.phone)
                                    .where(Customer.email == "lucia.prieto@example.com"))
    assert phone == "+34611987654"
    assert stored(demo_db, select(CallbackRequest.customer_id).where(CallbackRequest.id == callback_id)) == [
        (customer_id,)]
    assert stored(demo_db, select(CallbackAttempt.customer_id).where(CallbackAttempt.callback_id == callback_id)) == [
        (customer_id,)]


async def test_the_dial_command_gets_the_number(console_factory, tmp_path):
    dialled = tmp_path / "dialled.txt"
    settings = replace(ALWAYS, dial_command=f"sh -c 'echo \"$0 $1\" > {dialled}' {{number}} {{national}}")
    app = console_factory(login="ana", queue=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        for _ in range(50):
            if dialled.exists() and dialled.read_text():
                break
            await pilot.pause(0.05)
        number = call.entry.phone
        assert dialled.read_text().split() == [number, national_phone(number).replace(" ", "")]
        assert "Dialling with sh" in str(call.query_one("#call-facts", Static).render())


async def test_a_missing_dial_program_is_reported(console_factory):
    app = console_factory(login="ana", queue=replace(ALWAYS, dial_command="no-such-softphone {number}"))
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        await settle(pilot)
        assert "Dialling failed: no-such-softphone could not be started" in str(
            call.query_one("#call-facts", Static).render())


async def test_supervisors_see_figures_and_release_a_held_callback(console_factory, demo_db):
    agent = console_factory(login="ana", queue=ALWAYS)
    async with agent.run_test(size=(120, 40)) as pilot:
        call = await take(agent, pilot)
        held = call.entry.callback_id
        agent.pop_screen()  # the agent's console disappears with the claim still held
        await settle(pilot)
        queue_screen = agent.screen
        assert "supervise" not in {b.binding.action for b in agent.active_bindings.values()}  # not in her footer
        await pilot.press("s")
        await settle(pilot)
        assert agent.screen is queue_screen
    supervisor = console_factory(login="tester", queue=ALWAYS)
    async with supervisor.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        supervisor.push_screen(CallbackQueueScreen(supervisor.context))
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = supervisor.screen
        assert isinstance(screen, QueueSupervisionScreen)
        assert "Waiting now" in str(screen.query_one("#today", Static).render())
        table = screen.query_one("#held", DataTable)
        assert [str(table.get_row_at(r)[3]) for r in range(table.row_count)] == ["ana"]
        await pilot.press("a")
        await settle(pilot)
        supervisor.screen.query_one(Input).value = "nobody"
        await pilot.press("enter")
        await settle(pilot)
        assert "nobody is not active staff" in str(screen.query_one("#supervision-message", Static).render())
        await pilot.press("r")
        await settle(pilot)
        assert table.row_count == 0
    assert stored(demo_db, select(CallbackRequest.status, CallbackRequest.claimed_by)
                  .where(CallbackRequest.id == held)) == [("pending", None)]



def reassign(demo_db: str, callback_id: int, to_login: str) -> None:
    from crm_tui.models import Role
    from crm_tui.services.callback_claims import release_callback
    from crm_tui.services.staff import StaffMember

    engine = open_database(demo_db)
    with write_session(engine) as session:
        release_callback(session, StaffMember("tester", "Tester", Role.SUPERVISOR, 30, True), callback_id, to_login,
                         ALWAYS, now=CONSOLE_NOW)
    engine.dispose()


async def test_an_open_call_keeps_its_claim_and_a_reassigned_one_lets_the_agent_leave(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        callback_id = call.entry.callback_id
        call.keep_claim()
        await settle(pilot)
        [(holder, until)] = stored(demo_db, select(CallbackRequest.claimed_by, CallbackRequest.claimed_until)
                                   .where(CallbackRequest.id == callback_id))
        assert holder == "ana" and until == CONSOLE_NOW + timedelta(minutes=ALWAYS.claim_minutes)
        reassign(demo_db, callback_id, "luis")
        await pilot.press("3")
        await settle(pilot)
        assert app.screen is call and "no longer yours" in str(call.query_one("#call-facts", Static).render())
        assert "Esc returns to the queue" in str(call.query_one("#call-facts", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CallbackQueueScreen)
    assert stored(demo_db, select(CallbackRequest.claimed_by).where(CallbackRequest.id == callback_id)) == [("luis",)]
    assert stored(demo_db, select(CallbackAttempt.id).where(CallbackAttempt.callback_id == callback_id)) == []


async def test_the_renewal_finds_out_the_callback_was_taken(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        reassign(demo_db, call.entry.callback_id, "luis")
        call.keep_claim()
        await settle(pilot)
        assert "no longer yours" in str(call.query_one("#call-facts", Static).render())
        await pilot.press("1")
        await settle(pilot)
        assert app.screen is call  # no outcome for a callback that is not hers


async def test_an_outcome_that_cannot_be_written_is_said_and_can_be_tried_again(console_factory, demo_db,
                                                                                monkeypatch):
    from tests.cli.test_errors_are_sentences import hold_write_lock

    monkeypatch.setenv("CRM_TUI_LOCK_TIMEOUT", "1")
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        holder = hold_write_lock(demo_db, 8)
        try:
            await pilot.press("3")
            for _ in range(60):
                await pilot.pause(0.1)
                if "locked" in str(call.query_one("#call-facts", Static).render()):
                    break
        finally:
            holder.kill()
            holder.wait()
        assert app.screen is call and "locked for writing past the time limit" in str(
            call.query_one("#call-facts", Static).render())
        await pilot.press("3")  # the lock is gone: the same key records it now
        await settle(pilot)
        assert app.screen is not call
    assert stored(demo_db, select(CallbackAttempt.outcome).where(
        CallbackAttempt.callback_id == call.entry.callback_id)) == [("no_answer",)]
