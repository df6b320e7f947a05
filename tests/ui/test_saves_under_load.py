"""A card saved while another program writes: it waits, then saves; past the limit (or on a full
disk) the screen says so in one line and the agent's edit stays for another try."""

import pytest
from sqlalchemy import Engine, event
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled, WorkerFailed

from crm_tui.screens.customer_360 import Customer360Screen
from tests.cli.test_errors_are_sentences import hold_write_lock
from tests.ui.test_search_and_card import fill_and_save, open_card, stored_card


def message(card) -> str:
    return str(card.query_one("#message", Static).render())


async def finish_workers(pilot) -> None:
    """Let every worker end; a failed one is the point of these tests, so it does not raise here."""
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            pass
        await pilot.pause()


async def save(card, pilot, **values) -> None:
    for name, value in values.items():
        card.query_one(f"#field-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await finish_workers(pilot)


async def test_a_save_waits_for_another_writer_then_saves(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 7)
        holder = hold_write_lock(demo_db, 3)
        try:
            await fill_and_save(card, pilot, city="Soria")
        finally:
            holder.wait()
        assert "Saved." in message(card)
    assert stored_card(demo_db, 7).city == "Soria"


async def test_a_lock_held_past_the_limit_is_said_and_the_edit_stays(console_factory, demo_db, monkeypatch):
    monkeypatch.setenv("CRM_TUI_LOCK_TIMEOUT", "1")
    app = console_factory(login="ana")
    before = stored_card(demo_db, 7)
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 7)
        holder = hold_write_lock(demo_db, 6)
        try:
            await save(card, pilot, city="Soria")
        finally:
            holder.kill()
            holder.wait()
        assert "locked for writing past the time limit" in message(card)
        assert "ctrl+s to try again" in message(card)
        assert card.query_one("#field-city", Input).value == "Soria"
        assert stored_card(demo_db, 7) == before
        await pilot.press("ctrl+s")  # the lock is gone: the same edit saves
        await finish_workers(pilot)
        assert "Saved." in message(card)
    assert stored_card(demo_db, 7).city == "Soria"


@pytest.fixture
def full_disk():
    def cap(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {max(pages, 1)}")

    event.listen(Engine, "connect", cap)
    yield
    event.remove(Engine, "connect", cap)


async def test_a_full_disk_is_said_in_spanish_and_nothing_is_half_written(console_factory, demo_db, full_disk):
    app = console_factory(lang="es", login="ana")
    before = stored_card(demo_db, 8)
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 8)
        await save(card, pilot, street="Calle " + "Larga " * 20_000)
        assert "disco" in message(card) and "ctrl+s" in message(card)
        assert card.query_one("#field-street", Input).value.startswith("Calle Larga")
    assert stored_card(demo_db, 8) == before


async def test_a_failing_worker_is_told_to_the_agent(console_factory):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(Customer360Screen(app.context, 999_999))  # no such customer: its load fails
        await finish_workers(pilot)
        shown = [n.message for n in app._notifications]
        assert any("Something went wrong" in text and "CustomerNotFound" in text for text in shown), shown
