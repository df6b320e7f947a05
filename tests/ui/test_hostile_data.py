"""Whatever customers typed into the shop reaches the agent's screens as the characters it is:
markup in a name, a note or a product, escape sequences and bidi overrides never crash a
console, never style the text, never reach the terminal."""

import sqlite3

from textual.widgets import DataTable, Input, Static

from crm_tui.screens.call import CallScreen
from crm_tui.screens.callback_queue import CallbackQueueScreen
from crm_tui.screens.customer_360 import Customer360Screen, OrderLinesScreen
from crm_tui.screens.customer_card import CustomerCardScreen
from crm_tui.screens.home import HomeScreen
from crm_tui.screens.offers import OffersScreen
from tests.ui.test_callback_queue_screen import ALWAYS
from tests.ui.test_marketing_screens import champion
from tests.ui.test_search_and_card import settle

FIRST = "Crash [/oops]"
LAST = "Evil\x1b[2J\u202eNamé"
LAST_SHOWN = "Evil\\x1b[2J\\u202eNamé"
NAME_SHOWN = f"{FIRST} {LAST_SHOWN}"
NOTE = "[/x] [bold]n[/bold]"
PRODUCT_TAIL = " [link=https://evil]x[/link]"


def make_hostile(demo_db) -> int:
    """The top champion (offers, orders, favourites) gets a hostile name and a callback with a
    hostile note; every product a hostile name and description. Plain SQL, as the shop might."""
    customer_id = champion(demo_db)
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE customer SET first_name = ?, last_name = ? WHERE id = ?", (FIRST, LAST, customer_id))
        conn.execute("UPDATE product SET name = name || ?, description = ?", (PRODUCT_TAIL, PRODUCT_TAIL + "\x1b[5m"))
        conn.execute("UPDATE callback_request SET note = ?, customer_id = ? WHERE id = (SELECT min(id) FROM "
                     "callback_request WHERE status = 'pending')", (NOTE, customer_id))
    return customer_id


def shown(widget: Static) -> str:
    text = str(widget.render())
    assert "\x1b" not in text and "\u202e" not in text
    return text


def cells(table: DataTable) -> list[str]:
    found = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    assert not any("\x1b" in cell or "\u202e" in cell for cell in found)
    return found


async def type_into_search(app, pilot, text: str) -> HomeScreen:
    home = app.screen
    home.query_one("#search", Input).value = ""
    await pilot.press(*text)
    await settle(pilot)
    return home


async def test_hostile_names_notes_and_products_are_shown_literally(console_factory, demo_db):
    make_hostile(demo_db)
    app = console_factory(login="ana", queue=ALWAYS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        home = await type_into_search(app, pilot, "[/]")
        assert "“[/]”" in shown(home.query_one("#status", Static))
        home = await type_into_search(app, pilot, "Crash")
        assert NAME_SHOWN in cells(home.query_one("#results", DataTable))

        await pilot.press("enter")  # the first hit's card
        await settle(pilot)
        card = app.screen
        assert isinstance(card, CustomerCardScreen)
        assert NAME_SHOWN in shown(card.query_one("#title", Static))
        assert card.query_one("#field-first_name", Input).value == FIRST
        assert card.query_one("#field-last_name", Input).value == LAST_SHOWN
        assert card.edits() == {}  # what the inputs show is not taken for an edit

        await pilot.press("f2")
        await settle(pilot)
        summary = app.screen
        assert isinstance(summary, Customer360Screen)
        assert NAME_SHOWN in shown(summary.query_one("#summary", Static))
        assert any(PRODUCT_TAIL in cell for cell in cells(summary.query_one("#by-quantity", DataTable)))
        await pilot.press("enter")  # the newest order's lines
        await settle(pilot)
        assert isinstance(app.screen, OrderLinesScreen)
        assert any(PRODUCT_TAIL in cell for cell in cells(app.screen.query_one("#lines", DataTable)))
        await pilot.press("escape", "escape")
        await settle(pilot)

        await pilot.press("f5")
        await settle(pilot)
        offers = app.screen
        assert isinstance(offers, OffersScreen)
        assert NAME_SHOWN in shown(offers.query_one("#who", Static))
        assert all(PRODUCT_TAIL in cell for cell in cells(offers.query_one("#offers", DataTable))[::5])
        message = shown(offers.query_one("#message", Static))
        assert FIRST in message and PRODUCT_TAIL in message

        app.action_go_home()
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, CallbackQueueScreen)
        listed = cells(queue.query_one("#queue", DataTable))
        assert NOTE in listed and NAME_SHOWN in listed

        entry = next(e for e in queue.entries if e.note == NOTE)
        app.push_screen(CallScreen(app.context, entry))
        await settle(pilot)
        call = app.screen
        facts = shown(call.query_one("#call-facts", Static))
        assert f"“{NOTE}”" in facts and NAME_SHOWN in facts
        assert NAME_SHOWN in shown(call.query_one("#card-facts", Static))
        assert NAME_SHOWN in shown(call.query_one("#summary", Static))


async def test_the_command_palette_lists_a_hostile_name_literally(console_factory, demo_db):
    from textual.command import CommandList, CommandPalette

    make_hostile(demo_db)
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"Crash")
        prompts: list[str] = []
        for _ in range(50):  # the palette searches in the background
            await pilot.pause(0.1)
            options = app.screen.query_one(CommandList)
            prompts = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
            if any(NAME_SHOWN in prompt for prompt in prompts):
                break
        assert isinstance(app.screen, CommandPalette)
        assert any(NAME_SHOWN in prompt for prompt in prompts), prompts
        assert not any("\x1b" in prompt for prompt in prompts)
