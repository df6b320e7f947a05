"""The access log: opening a customer's card or taking their call leaves one entry with who and
when (the console's clock); reloading the card after a save does not add another."""

import sqlite3

from tests.ui.conftest import CONSOLE_NOW
from tests.ui.test_search_and_card import fill_and_save, open_card, settle


def access(demo_db: str) -> list[tuple]:
    with sqlite3.connect(demo_db) as conn:
        return conn.execute("SELECT staff_login, customer_id, what, at FROM access_entry ORDER BY id").fetchall()


async def test_opening_a_card_is_logged_once(console_factory, demo_db):
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        card = await open_card(app, pilot, 7)
        await fill_and_save(card, pilot, city="Soria")
        await settle(pilot)
    assert [(login, cid, what) for login, cid, what, _ in access(demo_db)] == [("ana", 7, "card")]
    assert access(demo_db)[0][3].startswith(CONSOLE_NOW.strftime("%Y-%m-%d %H:%M"))


async def test_taking_a_customers_call_is_logged(console_factory, demo_db):
    from tests.ui.test_call_screen import ALWAYS, take

    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        call = await take(app, pilot)
        await pilot.press("3")
        await settle(pilot)
    if call.entry.customer_id is not None:
        assert [(login, cid, what) for login, cid, what, _ in access(demo_db)] == [
            ("ana", call.entry.customer_id, "call")]
    else:
        assert access(demo_db) == []
