"""A fresh shop built from a British shop's transaction-line export, worked in the console:
pounds on screen, and products whose stock nobody told us can be ordered on the phone."""

from datetime import datetime, timezone

from textual.widgets import Static

from crm_tui.app import make_app
from crm_tui.settings import Settings
from tests.conftest import act_as
from tests.import_helpers import SAMPLES, add_ops, run_import, scalar
from tests.ui.test_customer_360 import find, open_360, start_order
from tests.ui.test_search_and_card import settle

NOW = datetime(2010, 12, 20, 12, tzinfo=timezone.utc)


def british_shop(tmp_path, monkeypatch) -> str:
    db = str(tmp_path / "shop.db")
    act_as(monkeypatch, "ops1")
    add_ops(db)
    code, _, output = run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"), "--currency", "GBP",
                                 "--timezone", "Europe/London", "--phone-region", "GB", "--as-of", "last-order")
    assert code == 0, output
    from typer.testing import CliRunner

    from crm_tui.cli import app
    result = CliRunner().invoke(app, ["staff", "add", "ana", "--role", "agent", "--discount-cap", "0", "--db", db])
    assert result.exit_code == 0, result.output
    return db


async def test_a_phone_order_of_a_product_whose_stock_is_not_tracked(tmp_path, monkeypatch):
    db = british_shop(tmp_path, monkeypatch)
    customer = scalar(db, "SELECT id FROM customer WHERE customer_number = '17850'")
    app = make_app(Settings(db=db, lang="en", login="ana"), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "GBP · Europe/London · GB" in app.sub_title
        screen = await open_360(app, pilot, customer)
        assert "£" in str(screen.query_one("#summary", Static).render())
        screen = await start_order(app, pilot, customer)
        await find(screen, pilot, "lantern")
        offer = screen.offers[0]
        assert offer.sku == "71053" and offer.light == "untracked"
        screen.add(offer, 40)  # no stock figure limits it
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert scalar(db, "SELECT count(*) FROM shop_order WHERE channel = 'phone' AND taken_by = 'ana'") == 1
    assert scalar(db, "SELECT l.quantity FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                      "WHERE o.channel = 'phone'") == 40


async def test_finding_what_the_export_wrote(tmp_path, monkeypatch):
    """A cancellation number in small letters, a customer number as the spreadsheet wrote it, a
    guest's invoice (opened as an order), and a customer known only by number."""
    from textual.widgets import DataTable, Input

    from crm_tui.screens.customer_360 import OrderLinesScreen
    from crm_tui.screens.customer_card import CustomerCardScreen

    db = british_shop(tmp_path, monkeypatch)
    app = make_app(Settings(db=db, lang="en", login="ana"), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        home = app.screen

        async def search(typed: str) -> list[list[str]]:
            box = home.query_one("#search", Input)
            box.value = typed
            await settle(pilot)
            table = home.query_one("#results", DataTable)
            return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]

        rows = await search("c536379")
        assert [r[:2] for r in rows] == [["#17850", "17850"]]
        assert rows[0][4] == "1 Dec 2010"  # its last purchase, not the cancellation of the 16th
        assert [r[:2] for r in await search("17850.0")] == [["#17850", "17850"]]
        assert [r[:2] for r in await search("14527")] == [["#14527", "14527"]]
        assert (await search("14527"))[0][4] == "—"  # only a cancellation: never bought

        rows = await search("536367")
        assert [r[:2] for r in rows] == [["guest order, no customer", "536367"]]
        assert "a guest's, no customer" in str(home.query_one("#status", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderLinesScreen)
        assert "guest order, no customer" in str(app.screen.query_one("#lines-title", Static).render())
        assert app.screen.query_one("#lines", DataTable).row_count == 2  # its two lines, as the file gave them
        await pilot.press("escape")
        await settle(pilot)

        await search("12583")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerCardScreen)
        assert "ask their name" in str(app.screen.query_one("#message", Static).render())
        assert app.screen.query_one("#field-first_name", Input).placeholder == "ask the customer"


async def test_an_old_history_is_analysed_as_of_its_last_order(tmp_path, monkeypatch):
    """Opened today, the console says the history ended long ago and how to analyse it; opened
    --as-of last-order, it says so in the header and the summary counts from that day."""
    from crm_tui.screens.customer_360 import Customer360Screen

    db = british_shop(tmp_path, monkeypatch)
    customer = scalar(db, "SELECT id FROM customer WHERE customer_number = '12583'")
    today = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)
    app = make_app(Settings(db=db, lang="en", login="ana"), clock=lambda: today)
    # The latest purchase: the 15th (the 16th had only cancellations).
    assert "The latest order is from 15 Dec 2010" in app.startup_warning and "--as-of last-order" in app.startup_warning
    assert "as of" not in app.sub_title
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_360(app, pilot, customer)
        assert isinstance(screen, Customer360Screen)
        assert "lapsed" in str(screen.query_one("#summary", Static).render()).lower()

    app = make_app(Settings(db=db, lang="en", login="ana", as_of="last-order"), clock=lambda: today)
    assert app.startup_warning is None
    assert "as of 15 Dec 2010" in app.sub_title
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_360(app, pilot, customer)
        summary = str(screen.query_one("#summary", Static).render())
        assert "Segment: occasional" in summary and "2010 (today)" in summary, summary
