"""Search as you type, the card, editing, the discount, concurrent edits: driven with Pilot."""

from sqlmodel import Session
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerCancelled

from crm_tui.db import open_database, write_session
from crm_tui.models import Role
from crm_tui.screens.customer_card import CustomerCardScreen
from crm_tui.screens.home import HomeScreen
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.staff import StaffMember
from tests.conftest import AS_OF


async def all_workers_done(app) -> None:
    """Wait for the workers; one replaced meanwhile by a newer one of its exclusive group (the
    queue's poll every second) is cancelled, which is no failure: wait for the newer one."""
    for _ in range(5):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(pilot):
    await all_workers_done(pilot.app)
    await pilot.pause()
    await all_workers_done(pilot.app)
    await pilot.pause()


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def stored_card(demo_db, customer_id=1):
    """The customer as the database has it, read through another engine."""
    engine = open_database(demo_db)
    with Session(engine) as session:
        card = load_card(session, customer_id)
    engine.dispose()
    return card


async def fill_and_save(card, pilot, **values) -> None:
    for name, value in values.items():
        card.query_one(f"#field-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_results_update_as_the_agent_types(console_factory, demo_db):
    customer = stored_card(demo_db)
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for ch in customer.last_name.split()[0][:4]:
            await pilot.press(ch)
        await settle(pilot)
        names = [r[0] for r in rows(app.screen.query_one("#results", DataTable))]
        assert customer.name in names
        assert "found" in str(app.screen.query_one("#status", Static).render())


async def test_phone_fragments_find_the_customer(console_factory, demo_db):
    customer = stored_card(demo_db)
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#search", Input).value = customer.phone[-4:]
        await settle(pilot)
        assert customer.customer_number in [r[1] for r in rows(app.screen.query_one("#results", DataTable))]


async def test_an_older_result_never_overwrites_a_newer_one(console_factory):
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen: HomeScreen = app.screen
        screen._query_number = 7
        # The result of query 6 arrives after query 7 was started: it is dropped.
        screen.post_message(HomeScreen.ResultsFound(6, "old", []))
        await pilot.pause()
        assert "No customer" not in str(screen.query_one("#status", Static).render())
        screen.post_message(HomeScreen.ResultsFound(7, "zzzz", []))
        await pilot.pause()
        assert "No customer matches “zzzz”" in str(screen.query_one("#status", Static).render())


async def test_arrows_and_enter_open_the_card_and_escape_returns(console_factory, demo_db):
    customer = stored_card(demo_db)
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#search", Input).value = customer.customer_number
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert customer.customer_number in str(app.screen.query_one("#title", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def open_card(app, pilot, customer_id: int) -> CustomerCardScreen:
    await settle(pilot)
    app.push_screen(CustomerCardScreen(app.context, customer_id))
    await settle(pilot)
    return app.screen


def error_text(screen, name: str) -> str:
    widget = screen.query_one(f"#error-{name}", Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


async def test_validation_errors_appear_next_to_their_fields_and_nothing_is_saved(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 2)
        await fill_and_save(card, pilot, email="not-an-email", phone="12")
        assert "Not a valid e-mail address" in error_text(card, "email")
        assert "Not a valid phone number" in error_text(card, "phone")
        assert "Not saved" in str(card.query_one("#message", Static).render())
    assert stored_card(demo_db, 2).email != "not-an-email"


async def test_editing_saves_and_shows_the_change_in_the_history(console_factory, demo_db):
    city_before = stored_card(demo_db, 3).city
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 3)
        await fill_and_save(card, pilot, city="Toledo")
        assert "Saved." in str(card.query_one("#message", Static).render())
        history = rows(card.query_one("#history", DataTable))
        assert history[0][1:5] == ["ana", "City", city_before, "Toledo"]
    assert stored_card(demo_db, 3).city == "Toledo"


async def test_discount_over_the_cap_and_without_a_reason_are_refused(console_factory, demo_db):
    app = console_factory(login="ana")  # an agent: cap 10 %
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 4)
        await fill_and_save(card, pilot, discount_percent="15", reason="wants more")
        assert "cap of 10 %" in error_text(card, "discount_percent")
        await fill_and_save(card, pilot, discount_percent="8", reason="")
        assert "reason is required" in error_text(card, "reason")
        await fill_and_save(card, pilot, reason="agreed on the phone")
        assert "Saved." in str(card.query_one("#message", Static).render())
    assert stored_card(demo_db, 4).discount_percent == 8


async def test_a_concurrent_edit_is_refused_and_reload_keeps_the_agents_edit(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 5)
        # Meanwhile a supervisor saves the same customer from another session.
        engine = open_database(demo_db)
        with write_session(engine) as session:
            loaded = load_card(session, 5)
            save_card(session, StaffMember("luis", "Luis", Role.SUPERVISOR, 30, True), loaded,
                      {"street": "Calle Nueva 9"}, now=AS_OF)
        engine.dispose()
        await fill_and_save(card, pilot, city="Cuenca")
        message = str(card.query_one("#message", Static).render())
        assert "luis changed this customer meanwhile" in message and "Calle Nueva 9" in message
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert card.query_one("#field-street", Input).value == "Calle Nueva 9"
        assert card.query_one("#field-city", Input).value == "Cuenca"
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved = stored_card(demo_db, 5)
    assert (saved.street, saved.city) == ("Calle Nueva 9", "Cuenca")


async def test_the_command_palette_finds_customers_and_opens_their_card(console_factory, demo_db):
    customer = stored_card(demo_db)
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*customer.customer_number)
        await pilot.pause(1.0)  # the palette searches in a thread, then lists the hits
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert app.screen.customer_id == customer.customer_id


async def test_esc_with_unsaved_edits_asks_before_anything_is_lost(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 7)
        await pilot.press("escape")  # nothing typed: leaves at once
        await settle(pilot)
        assert app.screen is not card
        card = await open_card(app, pilot, 7)
        card.query_one("#field-city", Input).value = "Soria"
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ChoiceScreen"
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert app.screen is card and card.query_one("#field-city", Input).value == "Soria"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")  # save
        await settle(pilot)
        assert app.screen is card and "Saved." in str(card.query_one("#message").render())
        card.query_one("#field-city", Input).value = "Teruel"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")  # discard and leave
        await settle(pilot)
        assert app.screen is not card
    assert stored_card(demo_db, 7).city == "Soria"


async def test_the_results_show_what_was_saved_on_the_card(console_factory, demo_db):
    customer = stored_card(demo_db, 7)
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        home = app.screen
        home.query_one("#search", Input).value = customer.customer_number
        await settle(pilot)
        await pilot.press("enter")  # opens the first hit's card
        await settle(pilot)
        card = app.screen
        await fill_and_save(card, pilot, city="Soria")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        assert [r[3] for r in rows(home.query_one("#results", DataTable))] == ["Soria"]


async def test_a_member_disabled_meanwhile_stops_at_the_next_step(console_factory, demo_db):
    import sqlite3

    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 7)
        with sqlite3.connect(demo_db) as conn:
            conn.execute("UPDATE staff SET active = 0 WHERE login = 'ana'")
        await fill_and_save(card, pilot, city="Soria")
        await settle(pilot)
        assert "'ana' is disabled" in str(card.query_one("#message").render())
    assert stored_card(demo_db, 7).city != "Soria"
