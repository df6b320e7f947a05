"""Two real processes race for the last unit of each of several products."""

from sqlalchemy import select

from crm_tui.db import make_engine, read_session, write_session
from crm_tui.shop.models import Order, Product
from crm_tui.shop.operations import OrderItem, OutOfStock, place_order
from tests.conftest import add_products
from tests.integration.processes import race

ROUNDS = 15


def buyer(url: str, barrier, results) -> None:
    engine = make_engine(url)
    for round_no in range(ROUNDS):
        barrier.wait(timeout=30)
        try:
            with write_session(engine) as session:
                placed = place_order(session, None, [OrderItem(f"LAST-{round_no}", 1)])
            results.put((round_no, "won", placed.number))
        except OutOfStock as exc:
            results.put((round_no, "refused", str(exc)))
    engine.dispose()


def test_two_processes_racing_for_the_last_unit_exactly_one_wins(engine):
    add_products(engine, *[dict(sku=f"LAST-{n}", name=f"Last lamp {n}", unit_price_cents=1000, stock_quantity=1)
                           for n in range(ROUNDS)])
    outcomes = race(buyer, [(str(engine.url),)] * 2, 2 * ROUNDS)

    for round_no in range(ROUNDS):
        kinds = sorted(kind for r, kind, _ in outcomes if r == round_no)
        assert kinds == ["refused", "won"], f"round {round_no}: {kinds}"
    assert all("out of stock" in detail for _, kind, detail in outcomes if kind == "refused")
    with read_session(engine) as session:
        stocks = session.scalars(select(Product.stock_quantity).where(Product.sku.like("LAST-%"))).all()
        orders = session.scalars(select(Order)).all()
    assert stocks == [0] * ROUNDS
    assert len(orders) == ROUNDS
