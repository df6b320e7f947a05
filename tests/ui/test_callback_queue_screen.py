"""The queue screen: take the next callback, record an outcome, see new requests arrive."""

import random
from datetime import time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session
from textual.widgets import DataTable, Digits, Static

from crm_tui.db import open_database, write_session
from crm_tui.models import CallbackAttempt
from crm_tui.screens.call import CallScreen
from crm_tui.screens.callback_queue import CallbackQueueScreen
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import Customer
from crm_tui.shop.operations import request_callback
from crm_tui.shop.validation import national_phone
from tests.core.test_queue_ranking import fill_mixed, ranked_from_scratch
from tests.ui.conftest import CONSOLE_NOW
from tests.ui.test_search_and_card import settle

ALWAYS = QueueSettings(calling_hours=(time.min, time.max))


async def open_queue(app, pilot) -> CallbackQueueScreen:
    await settle(pilot)
    app.push_screen(CallbackQueueScreen(app.context))
    await settle(pilot)
    return app.screen


async def test_take_the_next_callback_and_record_no_answer(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        queue_screen = await open_queue(app, pilot)
        assert queue_screen.query_one("#queue", DataTable).row_count > 0
        await pilot.press("n")
        await settle(pilot)
        call = app.screen
        assert isinstance(call, CallScreen)
        taken = call.entry.callback_id
        assert call.query_one("#number", Digits).value == national_phone(call.entry.phone)
        assert call.entry.phone in str(call.query_one("#call-facts", Static).render())
        await pilot.press("3")
        await settle(pilot)
        assert app.screen is queue_screen
        assert "Recorded: no answer" in str(queue_screen.query_one("#call", Static).render())
        assert "tried again later" in str(queue_screen.query_one("#call", Static).render())
    engine = open_database(demo_db)
    with Session(engine) as session:
        attempts = session.scalar(select(func.count()).select_from(CallbackAttempt)
                                  .where(CallbackAttempt.callback_id == taken, CallbackAttempt.outcome == "no_answer"))
    engine.dispose()
    assert attempts == 1


async def test_a_request_from_the_shop_appears_without_a_key_press(console_factory, demo_db):
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(app, pilot)
        before = screen.query_one("#queue", DataTable).row_count
        engine = open_database(demo_db)
        with write_session(engine) as session:
            request_callback(session, "611 22 33 44", note="new from the web", now=CONSOLE_NOW)
        engine.dispose()
        await pilot.pause(2.0)  # the screen polls every second
        await settle(pilot)
        table = screen.query_one("#queue", DataTable)
        assert table.row_count == before + 1
        assert any("new from the web" in str(table.get_row_at(r)[-1]) for r in range(table.row_count))


async def test_n_takes_the_top_row_the_agent_sees(console_factory, demo_db):
    """A thousand more requests of mixed priority and due state: the first row shown is the head
    of the whole queue by the rule (due, priority, age), and `n` takes it."""
    engine = open_database(demo_db)
    with Session(engine) as session:
        customers = list(session.scalars(select(Customer.id)))
    fill_mixed(engine, customers, 1_000, random.Random(7), now=CONSOLE_NOW)
    head = ranked_from_scratch(engine, ALWAYS, now=CONSOLE_NOW, login="ana")[0]
    engine.dispose()
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        queue_screen = await open_queue(app, pilot)
        assert queue_screen.query_one("#queue", DataTable).coordinate_to_cell_key((0, 0)).row_key.value == str(head)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CallScreen) and app.screen.entry.callback_id == head


async def test_outside_calling_hours_the_queue_says_why_and_enter_asks_first(console_factory, demo_db):
    night = CONSOLE_NOW.replace(hour=2, minute=0)  # 03:00 in Madrid, 02:00 in London
    app = console_factory(login="ana", now=night)
    async with app.run_test(size=(120, 40)) as pilot:
        queue_screen = await open_queue(app, pilot)
        assert not any(e.callable_now for e in queue_screen.entries if not e.claimed_by)
        await pilot.press("n")
        await settle(pilot)
        said = str(queue_screen.query_one("#call", Static).render())
        assert app.screen is queue_screen and "outside calling hours or before their windows" in said
        assert "09:00" in said and "Europe/Madrid" in said
        queue_screen.query_one("#queue", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        question = app.screen
        assert type(question).__name__ == "ChoiceScreen"
        assert any("It is " in str(s.render()) for s in question.query(Static))
        await pilot.press("escape")  # not now
        await settle(pilot)
        assert app.screen is queue_screen
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # calls anyway
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)


async def test_calling_before_the_window_after_saying_yes_takes_the_callback(console_factory, demo_db):
    engine = open_database(demo_db)
    with write_session(engine) as session:
        later = request_callback(session, "+34 699 000 321", starting_at=CONSOLE_NOW + timedelta(days=1),
                                 now=CONSOLE_NOW - timedelta(minutes=5))
    engine.dispose()
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        queue_screen = await open_queue(app, pilot)
        table = queue_screen.query_one("#queue", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(later.id)))
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ChoiceScreen"
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CallScreen) and app.screen.entry.callback_id == later.id


async def test_a_personal_callback_is_offered_only_to_its_owner_until_its_grace_ends(console_factory, demo_db):
    from crm_tui.models import Role
    from crm_tui.services.callback_claims import claim_callback, finish_callback
    from crm_tui.services.staff import StaffMember

    ana = StaffMember("ana", "Ana Ruiz", Role.AGENT, 10, True)
    settings = ALWAYS
    engine = open_database(demo_db)
    with write_session(engine) as session:
        asked = CONSOLE_NOW - timedelta(hours=3)
        callback = request_callback(session, "622 33 44 55", note="kept one", now=asked)
        assert claim_callback(session, ana, callback.id, asked, settings)
        finish_callback(session, ana, callback.id, "call_later", started_at=asked, now=asked + timedelta(minutes=2),
                        call_back_at=CONSOLE_NOW - timedelta(minutes=10), settings=settings)
        cid = callback.id
    engine.dispose()
    app = console_factory(login="luis", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(app, pilot)
        row = [str(c) for c in screen.query_one("#queue", DataTable).get_row(str(cid))]
        assert "ana (personal)" in row
        screen.claim(cid)
        await settle(pilot)
        assert "ana keeps that callback" in str(screen.query_one("#call", Static).render())
        for _ in range(3):  # luis takes the next ones; never ana's
            screen.calling = False
            await pilot.press("n")
            await settle(pilot)
            if isinstance(app.screen, CallScreen):
                assert app.screen.entry.callback_id != cid
                await pilot.press("3")
                await settle(pilot)
    later = console_factory(login="luis", queue=ALWAYS, now=CONSOLE_NOW + timedelta(minutes=21))
    async with later.run_test(size=(120, 40)) as pilot:  # grace over: the team's
        screen = await open_queue(later, pilot)
        screen.claim(cid)
        await settle(pilot)
        assert isinstance(later.screen, CallScreen) and later.screen.entry.callback_id == cid
