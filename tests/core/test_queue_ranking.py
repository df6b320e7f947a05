"""The queue ranks every waiting callback (due first, then the customer's priority, then age),
and the claim takes the head of that ranking: checked against a ranking computed here from
scratch, on 1,000 callbacks of mixed priority and due state."""

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, text
from sqlmodel import Session

from crm_tui import rollups
from crm_tui.db import write_session
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_next_callback
from crm_tui.services.callback_queue import queue
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings
from crm_tui.shop.models import CallbackRequest, Customer, Order, OrderLine, Product

ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
NOON = datetime(2026, 3, 10, 11, 0, tzinfo=timezone.utc)
ALWAYS = QueueSettings(calling_hours=(datetime.min.time(), datetime.max.time()))
STEPS = (0, 5_000, 30_000, 150_000)  # lifetime gross in cents: priority 0, 1, 2, 3


def _customers_with_gross(engine, grosses: list[int]) -> list[int]:
    """Customers whose orders add up to each gross, placed through the roll-ups' own triggers."""
    with write_session(engine) as session:
        session.execute(insert(Product).values(id=1, sku="LAMP", name="Lamp", unit_price_cents=100))
        session.execute(insert(Customer), [dict(id=n + 1, customer_number=f"CU{n + 1:07d}", first_name="C",
                                                last_name=str(n + 1), phone=f"+3469{n + 1:07d}")
                                           for n in range(len(grosses))])
        orders = [(n + 1, gross) for n, gross in enumerate(grosses) if gross]
        session.execute(insert(Order), [dict(id=cid, number=f"WO{cid:08d}", customer_id=cid, status="delivered",
                                             channel="web", placed_at=NOON - timedelta(days=30), discount_percent=0,
                                             subtotal_cents=gross, discount_cents=0, total_cents=gross)
                                        for cid, gross in orders])
        session.execute(insert(OrderLine), [dict(order_id=cid, product_id=1, quantity=gross // 100,
                                                 unit_price_cents=100, line_total_cents=gross)
                                            for cid, gross in orders])
    return list(range(1, len(grosses) + 1))


def fill_mixed(engine, customers: list[int], count: int, rng: random.Random, now: datetime = NOON) -> None:
    """`count` waiting callbacks: ASAP old and young, windows open and to come, retries due and not, strangers."""
    rows = []
    for n in range(count):
        kind = rng.choice(["asap", "asap", "asap", "young", "window_open", "window_later", "retry_due",
                           "retry_later", "stranger"])
        requested = now - timedelta(minutes=rng.randint(30, 600) if kind != "young" else rng.randint(0, 10))
        row = dict(phone=f"+3461{n:07d}", requested_at=requested, time_zone="Europe/Madrid", note="", source="web",
                   status="pending", attempts=0, customer_id=None if kind == "stranger" else rng.choice(customers))
        if kind == "window_open":
            row |= dict(window_from=now - timedelta(minutes=10), window_to=now + timedelta(minutes=50))
        elif kind == "window_later":
            row |= dict(window_from=now + timedelta(hours=2), window_to=now + timedelta(hours=3))
        elif kind.startswith("retry"):
            row |= dict(attempts=1, next_attempt_at=now + timedelta(minutes=-5 if kind == "retry_due" else 30))
        rows.append(row)
    with write_session(engine) as session:
        session.execute(insert(CallbackRequest), rows)


def ranked_from_scratch(engine, settings: QueueSettings, now: datetime = NOON, login: str = "ana") -> list[int]:
    """Every callback offered to `login`, ranked by the README's rule, computed here from the orders."""
    target = now - timedelta(minutes=settings.target_minutes)
    with Session(engine) as session:
        gross = dict(session.execute(text(
            "SELECT o.customer_id, sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id "
            "WHERE l.quantity > 0 AND o.customer_id IS NOT NULL GROUP BY o.customer_id")).all())
        rows = session.execute(select(CallbackRequest).where(CallbackRequest.status.in_(["pending", "claimed"])))
        rows = rows.scalars().all()

    def utc(moment):
        return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment

    offered = []
    for c in rows:
        window_from, requested, retry = utc(c.window_from), utc(c.requested_at), utc(c.next_attempt_at)
        if c.status == "claimed" and utc(c.claimed_until) >= now:
            continue  # held
        if c.kept_for not in (None, login) and utc(c.kept_until) > now:
            continue  # someone else's personal callback
        if (c.status == "pending" and retry is not None and retry > now) or \
                (window_from is not None and window_from > now):
            continue
        value = gross.get(c.customer_id, 0)
        priority = 3 if value >= 100_000 else 2 if value >= 25_000 else 1 if value > 0 else 0
        due = window_from is not None or requested <= target or retry is not None
        offered.append(((not due, -priority, requested, c.id), c.id))
    return [cid for _, cid in sorted(offered)]


def test_the_head_of_the_queue_and_the_claim_follow_the_rule_over_every_waiting_callback(engine):
    rng = random.Random(18)
    customers = _customers_with_gross(engine, [rng.choice(STEPS) for _ in range(120)])
    fill_mixed(engine, customers, 1_000, rng)
    expected = ranked_from_scratch(engine, ALWAYS)
    assert len(expected) > 700
    with Session(engine) as session:
        shown = [e.callback_id for e in queue(session, NOON, ALWAYS)]
    assert shown == expected[:50]
    for n in range(5):  # the claim takes the head, then the next one
        with write_session(engine) as session:
            assert claim_next_callback(session, ANA, NOON, settings=ALWAYS).callback_id == expected[n]


def test_priority_follows_the_customers_purchases(engine):
    """Set when the callback is requested or linked; moved when a purchase crosses a step; and
    after a bulk import, from the rebuilt totals."""
    [rich, poor, later] = _customers_with_gross(engine, [150_000, 0, 0])
    with write_session(engine) as session:
        session.execute(insert(CallbackRequest), [
            dict(phone="+34610000001", customer_id=rich, requested_at=NOON, time_zone="Europe/Madrid"),
            dict(phone="+34610000002", customer_id=poor, requested_at=NOON, time_zone="Europe/Madrid"),
            dict(phone="+34610000003", customer_id=None, requested_at=NOON, time_zone="Europe/Madrid")])

    def priorities():
        with Session(engine) as session:
            return list(session.scalars(select(CallbackRequest.priority).order_by(CallbackRequest.id)))

    assert priorities() == [3, 0, 0]
    with write_session(engine) as session:  # a phone order takes the poor customer past 250.00
        session.execute(insert(Order).values(id=900, number="WO00000900", customer_id=poor, status="paid",
                                             channel="phone", placed_at=NOON, discount_percent=0,
                                             subtotal_cents=30_000, discount_cents=0, total_cents=30_000))
        session.execute(insert(OrderLine).values(order_id=900, product_id=1, quantity=300, unit_price_cents=100,
                                                 line_total_cents=30_000))
        session.execute(text("UPDATE callback_request SET customer_id = :c WHERE customer_id IS NULL"), {"c": rich})
    assert priorities() == [3, 2, 3]
    with write_session(engine) as session:  # a bulk load: triggers suspended, totals rebuilt
        conn = session.connection()
        rollups.suspend(conn)
        conn.execute(insert(Order).values(id=901, number="WO00000901", customer_id=later, status="paid",
                                          channel="web", placed_at=NOON, discount_percent=0, subtotal_cents=2_000,
                                          discount_cents=0, total_cents=2_000))
        conn.execute(insert(OrderLine).values(order_id=901, product_id=1, quantity=20, unit_price_cents=100,
                                              line_total_cents=2_000))
        conn.execute(text("UPDATE callback_request SET customer_id = :c WHERE phone = '+34610000003'"),
                     {"c": later})
        rollups.rebuild(conn)
        rollups.resume(conn)
    assert priorities() == [3, 2, 1]
