"""Two real processes race for the last unit of each of several products."""

import multiprocessing

from sqlalchemy import select

from crm_tui.db import make_engine, read_session, write_session
from store.models import Order, Product
from store.operations import OrderItem, OutOfStock, place_order
from tests.conftest import add_products

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
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=buyer, args=(str(engine.url), barrier, results)) for _ in range(2)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in range(2 * ROUNDS)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0

    for round_no in range(ROUNDS):
        kinds = sorted(kind for r, kind, _ in outcomes if r == round_no)
        assert kinds == ["refused", "won"], f"round {round_no}: {kinds}"
    assert all("out of stock" in detail for _, kind, detail in outcomes if kind == "refused")
    with read_session(engine) as session:
        stocks = session.scalars(select(Product.stock_quantity).where(Product.sku.like("LAST-%"))).all()
        orders = session.scalars(select(Order)).all()
    assert stocks == [0] * ROUNDS
    assert len(orders) == ROUNDS
