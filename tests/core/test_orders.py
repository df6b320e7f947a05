import pytest
from sqlalchemy import func, select

from crm_tui.db import read_session, write_session
from crm_tui.shop.models import (
    Order,
    OrderChannel,
    OrderLine,
    Product,
    StockLight,
    stock_light,
)
from crm_tui.shop.operations import (
    OrderItem,
    OrderRefused,
    OutOfStock,
    place_order,
    register_customer,
)
from tests.conftest import REGISTRATION


def stock(engine, sku):
    with read_session(engine) as session:
        return session.scalar(select(Product.stock_quantity).where(Product.sku == sku))


def count(engine, model):
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def customer_id(catalogue):
    with write_session(catalogue) as session:
        customer = register_customer(session, REGISTRATION)
        customer.discount_percent = 10  # as staff would have set it
    return customer.id


def test_order_takes_stock_and_applies_the_customers_discount(catalogue, customer_id):
    with write_session(catalogue) as session:
        placed = place_order(session, customer_id, [OrderItem("MUG-RED", 3), OrderItem("LAMP", 1)])
    assert placed.subtotal_cents == 3 * 450 + 3990
    assert placed.discount_cents == 534  # 10 % of 53.40, rounded half up
    assert placed.total_cents == 5340 - 534
    assert placed.number == f"WO{placed.order_id:08d}"
    assert stock(catalogue, "MUG-RED") == 17 and stock(catalogue, "LAMP") == 0
    with read_session(catalogue) as session:
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == placed.order_id)).all()
        order = session.get(Order, placed.order_id)
    assert sorted((line.quantity, line.line_total_cents) for line in lines) == [(1, 3990), (3, 1350)]
    assert order.discount_percent == 10 and order.customer_id == customer_id


def test_guest_order_and_phone_order_by_staff(catalogue):
    with write_session(catalogue) as session:
        placed = place_order(session, None, [OrderItem("MUG-RED", 1)], channel=OrderChannel.PHONE,
                             discount_percent=5, taken_by="ana")
    with read_session(catalogue) as session:
        order = session.get(Order, placed.order_id)
    assert order.customer_id is None and order.taken_by == "ana" and order.number.startswith("PO")
    assert placed.discount_cents == 23


def test_out_of_stock_line_refuses_the_whole_order(catalogue, customer_id):
    with pytest.raises(OutOfStock, match="KITE .* out of stock"):
        with write_session(catalogue) as session:
            place_order(session, customer_id, [OrderItem("MUG-RED", 2), OrderItem("KITE", 1)])
    assert stock(catalogue, "MUG-RED") == 20
    assert count(catalogue, Order) == 0 and count(catalogue, OrderLine) == 0


def test_more_than_the_stock_is_refused_and_says_how_many_are_left(catalogue, customer_id):
    with pytest.raises(OutOfStock, match="only 20 in stock, 21 asked for"):
        with write_session(catalogue) as session:
            place_order(session, customer_id, [OrderItem("MUG-RED", 21)])
    assert stock(catalogue, "MUG-RED") == 20


def test_the_same_product_twice_counts_together_against_the_stock(catalogue):
    with pytest.raises(OutOfStock):
        with write_session(catalogue) as session:
            place_order(session, None, [OrderItem("LAMP", 1), OrderItem("LAMP", 1)])
    assert stock(catalogue, "LAMP") == 1


@pytest.mark.parametrize("items,message", [
    ([], "at least one line"),
    ([OrderItem("MUG-RED", 0)], "at least 1"),
    ([OrderItem("MUG-RED", -2)], "at least 1"),
    ([OrderItem("NOPE", 1)], "no such product"),
    ([OrderItem("POST", 1)], "cannot be ordered"),
])
def test_invalid_orders_are_refused(catalogue, items, message):
    with pytest.raises(OrderRefused, match=message):
        with write_session(catalogue) as session:
            place_order(session, None, items)
    assert count(catalogue, Order) == 0


def test_unknown_customer_is_refused(catalogue):
    with pytest.raises(OrderRefused, match="no customer"):
        with write_session(catalogue) as session:
            place_order(session, 999, [OrderItem("MUG-RED", 1)])


def test_stock_light():
    assert stock_light(6, 5) == StockLight.GREEN
    assert stock_light(5, 5) == StockLight.YELLOW
    assert stock_light(1, 5) == StockLight.YELLOW
    assert stock_light(0, 5) == StockLight.RED
