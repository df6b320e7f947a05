"""Two agents in two processes sell the last unit by phone: one wins, the other is told."""

from sqlalchemy import func, select

from crm_tui.db import make_engine, read_session, run_write, write_session
from crm_tui.models import Role
from crm_tui.services.orders import place_phone_order
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import Order, OrderChannel, Product
from crm_tui.shop.operations import OrderItem, OutOfStock, register_customer
from crm_tui.shop.types import utc_now
from tests.conftest import REGISTRATION, add_products
from tests.integration.processes import race

ROUNDS = 10


def agent(url: str, login: str, customer_id: int, barrier, results) -> None:
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    for round_no in range(ROUNDS):
        barrier.wait(timeout=30)
        try:
            placed = run_write(engine, lambda session: place_phone_order(
                session, staff, customer_id, [OrderItem(f"LAST-{round_no}", 1), OrderItem("PLENTY", 1)],
                now=utc_now()))
            results.put((round_no, login, "won", placed.number))
        except OutOfStock as exc:
            results.put((round_no, login, "refused", str(exc)))
    engine.dispose()


def test_two_agents_race_for_the_last_unit_one_wins_nothing_half_written(engine):
    add_products(engine, dict(sku="PLENTY", name="Plenty", unit_price_cents=100, stock_quantity=1000),
                 *[dict(sku=f"LAST-{n}", name=f"Last {n}", unit_price_cents=1000, stock_quantity=1)
                   for n in range(ROUNDS)])
    with write_session(engine) as session:
        customer_id = register_customer(session, REGISTRATION).id
    outcomes = race(agent, [(str(engine.url), login, customer_id) for login in ("ana", "luis")], 2 * ROUNDS)
    for round_no in range(ROUNDS):
        assert sorted(kind for r, _, kind, _ in outcomes if r == round_no) == ["refused", "won"]
    with read_session(engine) as session:
        assert session.scalar(select(func.sum(Product.stock_quantity)).where(Product.sku.like("LAST-%"))) == 0
        # The losers' other line was not taken either: one PLENTY per won order only.
        assert session.scalar(select(Product.stock_quantity).where(Product.sku == "PLENTY")) == 1000 - ROUNDS
        orders = session.scalars(select(Order).where(Order.channel == OrderChannel.PHONE)).all()
    assert len(orders) == ROUNDS and {o.taken_by for o in orders} <= {"ana", "luis"}
