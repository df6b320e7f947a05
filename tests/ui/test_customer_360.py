"""Summary, order history, lines, and a phone order with the stock light, driven with Pilot."""

from sqlalchemy import text
from sqlmodel import Session
from textual.widgets import DataTable, Input, Static

from crm_tui.db import open_database
from crm_tui.screens.customer_360 import Customer360Screen, OrderLinesScreen
from crm_tui.screens.phone_order import PhoneOrderScreen
from tests.ui.test_search_and_card import rows, settle


def db_value(demo_db, sql, **params):
    engine = open_database(demo_db)
    with Session(engine) as session:
        value = session.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def busiest_customer(demo_db) -> int:
    return db_value(demo_db, "SELECT customer_id FROM shop_order WHERE customer_id IS NOT NULL "
                             "GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1")


async def open_360(app, pilot, customer_id) -> Customer360Screen:
    await settle(pilot)
    app.push_screen(Customer360Screen(app.context, customer_id))
    await settle(pilot)
    return app.screen


async def test_summary_and_history_show_the_customers_figures(console_factory, demo_db):
    cid = busiest_customer(demo_db)
    orders = db_value(demo_db, "SELECT count(*) FROM shop_order WHERE customer_id = :c", c=cid)
    app = console_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_360(app, pilot, cid)
        summary = str(screen.query_one("#summary", Static).render())
        assert "Last purchase" in summary and "Lifetime value" in summary and "Segment" in summary
        table = screen.query_one("#orders", DataTable)
        assert table.row_count == min(orders, 50)  # the first page
        table.move_cursor(row=table.row_count - 1)  # scrolling near the end loads the next page
        await settle(pilot)
        assert table.row_count == orders
        table.move_cursor(row=0)
        await pilot.pause()
        assert rows(screen.query_one("#by-quantity", DataTable))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderLinesScreen)
        assert app.screen.query_one("#lines", DataTable).row_count >= 1
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Customer360Screen)


async def start_order(app, pilot, customer_id) -> PhoneOrderScreen:
    await settle(pilot)
    app.push_screen(PhoneOrderScreen(app.context, customer_id))
    await settle(pilot)
    return app.screen


async def find(screen, pilot, text_):
    screen.query_one("#product-search", Input).value = text_
    await settle(pilot)


async def test_a_red_product_cannot_be_added_and_says_why(console_factory, demo_db):
    sku = db_value(demo_db, "SELECT sku FROM product WHERE kind='product' AND stock_quantity=0 LIMIT 1")
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_order(app, pilot, 1)
        await find(screen, pilot, sku)
        assert rows(screen.query_one("#products", DataTable))[0][0] == "✕ out"  # shape and word, not colour alone
        screen.query_one("#products", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "out of stock and cannot be added" in str(screen.query_one("#order-message", Static).render())
        assert screen.cart == []


async def test_a_quantity_above_the_stock_is_refused(console_factory, demo_db):
    yellow = "FROM product WHERE kind='product' AND stock_quantity BETWEEN 1 AND low_stock_threshold ORDER BY id"
    sku = db_value(demo_db, f"SELECT sku {yellow} LIMIT 1")
    stock = db_value(demo_db, f"SELECT stock_quantity {yellow} LIMIT 1")
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_order(app, pilot, 1)
        await find(screen, pilot, sku)
        offer = screen.offers[0]
        for _ in range(stock):
            screen.add(offer)
        assert screen.cart[0].quantity == stock
        screen.add(offer)
        await pilot.pause()
        assert f"Only {stock} of" in str(screen.query_one("#order-message", Static).render())
        assert screen.cart[0].quantity == stock


async def test_a_phone_order_with_a_discount_agreed_on_the_spot(console_factory, demo_db):
    sku = db_value(demo_db, "SELECT sku FROM product WHERE kind='product' AND stock_quantity > 20 ORDER BY id LIMIT 1")
    stock_before = db_value(demo_db, "SELECT stock_quantity FROM product WHERE sku=:s", s=sku)
    cid = 20
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_order(app, pilot, cid)
        await find(screen, pilot, sku)
        screen.add(screen.offers[0], 2)
        screen.query_one("#discount", Input).value = "12"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cap of 10 %" in str(screen.query_one("#order-message", Static).render())
        screen.query_one("#discount", Input).value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reason is required" in str(screen.query_one("#order-message", Static).render())
        screen.query_one("#reason", Input).value = "agreed on the phone"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PhoneOrderScreen)
    assert db_value(demo_db, "SELECT stock_quantity FROM product WHERE sku=:s", s=sku) == stock_before - 2
    assert db_value(demo_db, "SELECT discount_percent FROM customer WHERE id=:c", c=cid) == 7
    order = db_value(demo_db, "SELECT number || '|' || channel || '|' || taken_by || '|' || discount_percent "
                              "FROM shop_order WHERE customer_id=:c ORDER BY id DESC LIMIT 1", c=cid)
    assert order.split("|")[1:] == ["phone", "ana", "7"]
    assert db_value(demo_db, "SELECT reason FROM audit_entry WHERE record_id=:c AND field='discount_percent' "
                             "ORDER BY id DESC LIMIT 1", c=cid) == "agreed on the phone"


async def test_the_summary_shows_a_new_order_at_once(console_factory, demo_db):
    sku = db_value(demo_db, "SELECT sku FROM product WHERE kind='product' AND stock_quantity > 20 ORDER BY id DESC "
                            "LIMIT 1")
    app = console_factory(login="ana")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_360(app, pilot, 21)
        before = screen.query_one("#orders", DataTable).row_count
        await pilot.press("f3")
        await settle(pilot)
        order = app.screen
        await find(order, pilot, sku)
        order.add(order.offers[0])
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#orders", DataTable).row_count == before + 1
        assert "phone" in rows(screen.query_one("#orders", DataTable))[0][3]
