"""The service desk's services on a real SQLite file: the inbox, contacts, cases, order
tracking, offers withheld from unhappy customers, the customer groups."""

from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from crm_tui.db import run_read, run_write, write_session
from crm_tui.models import AuditEntry, CustomerGroup, Role
from crm_tui.services import cases as case_service
from crm_tui.services import inbox as inbox_service
from crm_tui.services.contacts import ContactError, log_contact
from crm_tui.services.customer_groups import recompute_groups
from crm_tui.services.offer_hold import offer_hold
from crm_tui.services.order_tracking import find_order, reverse_customer_order, track_order
from crm_tui.services.policy import NotAllowed
from crm_tui.services.segments import recompute_segments
from crm_tui.services.staff import StaffMember
from crm_tui.services.timeline import customer_timeline
from crm_tui.shop.models import Customer, MessageStatus, OrderStatus, Product
from crm_tui.shop.operations import (
    IllegalTransition,
    OrderItem,
    OrderRefused,
    move_order,
    place_order,
    register_customer,
    send_contact_message,
)
from tests.conftest import REGISTRATION

ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
LUIS = StaffMember("luis", "Luis", Role.AGENT, 10, True)
SUE = StaffMember("sue", "Sue", Role.SUPERVISOR, 30, True)
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def shop(catalogue):
    with write_session(catalogue) as session:
        customer = register_customer(session, REGISTRATION, now=NOW - timedelta(days=60))
        order = place_order(session, customer.id, [OrderItem("MUG-RED", 2), OrderItem("LAMP", 1)],
                            now=NOW - timedelta(days=3))
    return catalogue, customer.id, order


def test_order_status_moves_only_forward_and_a_return_gives_the_stock_back(shop):
    engine, customer_id, order = shop
    with write_session(engine) as session:
        with pytest.raises(IllegalTransition):
            move_order(session, order.order_id, OrderStatus.DELIVERED, now=NOW)
        move_order(session, order.order_id, OrderStatus.PAID, now=NOW - timedelta(days=2))
        with pytest.raises(OrderRefused, match="carrier"):
            move_order(session, order.order_id, OrderStatus.SHIPPED, now=NOW)
        move_order(session, order.order_id, OrderStatus.SHIPPED, carrier="Correos", tracking_number="PK123",
                   now=NOW - timedelta(days=1))
        with pytest.raises(IllegalTransition):
            move_order(session, order.order_id, OrderStatus.PAID, now=NOW)
        move_order(session, order.order_id, OrderStatus.DELIVERED, now=NOW - timedelta(hours=5))
        with pytest.raises(IllegalTransition):
            move_order(session, order.order_id, OrderStatus.CANCELLED, now=NOW)
        lamp_before = session.get(Product, 2).stock_quantity
        reversal = reverse_customer_order(session, ANA, order.order_id, now=NOW)
        assert reversal.number.startswith("R") and reversal.total_cents == -order.total_cents
        assert session.get(Product, 2).stock_quantity == lamp_before + 1
        with pytest.raises(OrderRefused, match="already"):
            reverse_customer_order(session, ANA, order.order_id, now=NOW)
        tracked = track_order(session, ANA, find_order(session, order.number.lower()))
    assert [s.status for s in tracked.steps] == ["placed", "paid", "shipped", "delivered", "returned"]
    assert tracked.steps[2].tracking_number == "PK123" and tracked.reversed_by == reversal.number
    with Session(engine) as session:
        net = session.scalar(text("SELECT sum(net_cents) FROM sales_day"))
    assert net == 0


def test_an_unpaid_order_is_cancelled_not_returned(shop):
    engine, _, order = shop
    with write_session(engine) as session:
        reversal = reverse_customer_order(session, ANA, order.order_id, now=NOW)
    assert reversal.number.startswith("C")


def test_inbox_take_is_exclusive_and_an_answer_is_recorded(shop):
    engine, customer_id, _ = shop
    with write_session(engine) as session:
        visitor = send_contact_message(session, name="Eve Visitor", email="eve@example.org", text="Do you ship to Peru?",
                                       now=NOW - timedelta(hours=30))
        known = send_contact_message(session, name="José", email=REGISTRATION["email"], text="Where is my order?",
                                     now=NOW - timedelta(hours=1))
    with write_session(engine) as session:
        listed = inbox_service.inbox(session, ANA, NOW)
        assert [m.message_id for m in listed] == [visitor.id, known.id]
        assert listed[0].overdue and not listed[1].overdue and listed[1].customer_id == customer_id
        assert inbox_service.take_next_message(session, ANA) == visitor.id
    with write_session(engine) as session:
        assert not inbox_service.take_message(session, LUIS, visitor.id)
        with pytest.raises(inbox_service.InboxError, match="not held"):
            inbox_service.answer_message(session, LUIS, visitor.id, "hi", now=NOW)
        new_customer = inbox_service.register_sender(session, ANA, visitor.id, {
            "first_name": "Eve", "last_name": "Visitor", "phone": "+51 912 345 678", "country": "PE"}, now=NOW)
    assert not inbox_service.answer(partial(run_read, engine), partial(run_write, engine), ANA, visitor.id,
                                    "Yes, in 5 days.", now=NOW)  # no SMTP server configured: recorded only
    with Session(engine) as session:
        answered = inbox_service.message(session, ANA, visitor.id, NOW)
    assert answered.status == MessageStatus.ANSWERED and answered.customer_id == new_customer
    assert answered.answer == "Yes, in 5 days."


def test_a_complaint_case_reverses_its_order_and_grants_goodwill_within_the_cap(shop):
    engine, customer_id, order = shop
    with write_session(engine) as session:
        case_id = case_service.open_case(session, ANA, customer_id=customer_id, kind="product_defect",
                                         summary="The lamp arrived broken", source="card", order_id=order.order_id,
                                         now=NOW)
        loaded = case_service.case_detail(session, ANA, case_id, NOW)
        assert loaded.due_at == NOW + timedelta(hours=72) and loaded.owner == "ana"
        with pytest.raises(case_service.CaseError, match="not a line"):
            case_service.open_case(session, ANA, customer_id=customer_id, kind="delivery", summary="x", source="card",
                                   order_id=order.order_id, product_id=3, now=NOW)  # the kite: not in the order
        lamp_case = case_service.open_case(session, ANA, customer_id=customer_id, kind="product_defect",
                                           summary="the lamp", source="card", order_id=order.order_id, product_id=2,
                                           now=NOW, priority=1)
        lamp = case_service.case_detail(session, ANA, lamp_case, NOW)
        assert lamp.product_name == "Table lamp, zinc" and lamp.due_at == NOW + timedelta(hours=36)
        case_service.resolve_case(session, ANA, lamp, "sent a new one", "replacement", now=NOW)
        assert offer_hold(session, customer_id, NOW).reason == "open_case"
        case_service.reverse_case_order(session, ANA, loaded, now=NOW)
        with pytest.raises(case_service.CaseError, match="changed meanwhile"):
            case_service.goodwill_discount(session, ANA, loaded, 5, "sorry", now=NOW)  # loaded before the return
        stale, loaded = loaded, case_service.case_detail(session, ANA, case_id, NOW)
        with pytest.raises(Exception, match="cap"):
            case_service.goodwill_discount(session, ANA, loaded, 15, "sorry", now=NOW)
        loaded = case_service.case_detail(session, ANA, case_id, NOW)  # (one transaction here: no rollback)
        case_service.goodwill_discount(session, ANA, loaded, 5, "sorry", now=NOW)
        loaded = case_service.case_detail(session, ANA, case_id, NOW)
        with pytest.raises(case_service.CaseError):
            case_service.resolve_case(session, LUIS, loaded, "refunded", "refund", now=NOW)
        case_service.resolve_case(session, ANA, loaded, "Refunded in full", "refund", now=NOW)
        with pytest.raises(case_service.CaseError, match="changed meanwhile"):
            case_service.set_waiting(session, ANA, stale, True, now=NOW)  # loaded before it was resolved
        case_service.close_case(session, ANA, case_service.case_detail(session, ANA, case_id, NOW), now=NOW)
        assert session.get(Customer, customer_id).discount_percent == 5
        reasons = session.scalars(select(AuditEntry.reason).where(AuditEntry.record_table == "customer")).all()
        assert any(reason.startswith(f"case {case_id}") for reason in reasons)
        assert offer_hold(session, customer_id, NOW) is None
        kinds = [e.kind for e in customer_timeline(session, customer_id)]
    assert kinds.count("case") == 4 and "order status" in kinds and kinds.count("order") == 2  # two cases, each opened and resolved


def test_a_low_score_withholds_offers_for_the_configured_days(shop):
    engine, customer_id, _ = shop
    with write_session(engine) as session:
        log_contact(session, ANA, customer_id, channel="phone", direction="inbound", outcome="information",
                    satisfaction=2, started_at=NOW - timedelta(minutes=5), now=NOW)
        hold = offer_hold(session, customer_id, NOW + timedelta(days=29))
        assert hold.reason == "unhappy" and hold.score == 2
        assert offer_hold(session, customer_id, NOW + timedelta(days=31)) is None
        log_contact(session, ANA, customer_id, channel="email", direction="outbound", outcome="resolved",
                    satisfaction=5, started_at=NOW + timedelta(days=1), now=NOW + timedelta(days=1))
        assert offer_hold(session, customer_id, NOW + timedelta(days=2)) is None


def test_declined_needs_a_reason_from_the_list(shop):
    engine, customer_id, _ = shop
    with write_session(engine) as session:
        with pytest.raises(ContactError, match="needs a reason"):
            log_contact(session, ANA, customer_id, channel="phone", direction="outbound", outcome="declined",
                        started_at=NOW, now=NOW)
        with pytest.raises(ContactError):
            log_contact(session, ANA, customer_id, channel="phone", direction="outbound", outcome="declined",
                        lost_reason="the moon", started_at=NOW, now=NOW)
        log_contact(session, ANA, customer_id, channel="phone", direction="outbound", outcome="declined",
                    lost_reason="price", started_at=NOW, now=NOW)


def test_moving_orders_is_for_the_back_office_only(shop):
    from crm_tui.services.order_tracking import move_order_along

    engine, _, order = shop
    with write_session(engine) as session:
        with pytest.raises(NotAllowed):
            move_order_along(session, ANA, order.order_id, "paid", now=NOW)
        move_order_along(session, SUE, order.order_id, "paid", now=NOW)


def _buy(session, customer_id: int, skus: list[str], days_ago: list[int]) -> None:
    for n, ago in enumerate(days_ago):
        place_order(session, customer_id, [OrderItem(skus[n % len(skus)], 1)], now=NOW - timedelta(days=ago))


@pytest.mark.parametrize("skus, days_ago, loyalty, needs, code", [
    (["MUG-RED"], [40], "none", "uniform", "I"),
    (["MUG-RED", "BOOK", "SOCK"], [500, 480, 450], "none", "diverse", "II"),
    (["MUG-RED"], [300, 290, 15], "latent", "uniform", "III"),  # gaps of 10 and 275 days: irregular
    (["MUG-RED", "BOOK", "SOCK"], [300, 290, 15], "latent", "diverse", "IV"),
    (["MUG-RED"], [400, 320, 240], "latent", "uniform", "III"),  # regular every 80 days, 240 days since
    (["MUG-RED"], [90, 60, 30, 5], "convenience", "uniform", "V"),
    (["MUG-RED", "BOOK", "SOCK"], [90, 60, 30, 5], "convenience", "diverse", "V+"),
])
def test_customer_groups_follow_the_documented_thresholds(catalogue, skus, days_ago, loyalty, needs, code):
    from tests.conftest import add_products

    add_products(catalogue, dict(sku="BOOK", name="Book", category="Books", unit_price_cents=900, stock_quantity=50),
                 dict(sku="SOCK", name="Socks", category="Clothes", unit_price_cents=500, stock_quantity=50))
    with write_session(catalogue) as session:
        customer = register_customer(session, REGISTRATION, now=NOW - timedelta(days=900))
        _buy(session, customer.id, skus, days_ago)
    with write_session(catalogue) as session:
        recompute_segments(session, NOW)
        recompute_groups(session, NOW.date().isoformat())
        group = session.get(CustomerGroup, customer.id)
    assert (group.loyalty, group.needs, group.group_code) == (loyalty, needs, code)


def test_a_regular_big_spender_is_premium(catalogue):
    with write_session(catalogue) as session:
        others = []
        for n in range(5):  # small buyers, so the regular one is in the top fifth by value
            other = register_customer(session, REGISTRATION | {"email": f"o{n}@example.com",
                                                               "phone": f"61234560{n}"}, now=NOW - timedelta(days=900))
            _buy(session, other.id, ["MUG-RED"], [100])
            others.append(other.id)
        regular = register_customer(session, REGISTRATION, now=NOW - timedelta(days=900))
        for ago in (180, 150, 120, 90, 60, 30):
            place_order(session, regular.id, [OrderItem("LAMP", 1)] if ago == 180 else [OrderItem("MUG-RED", 3)],
                        now=NOW - timedelta(days=ago))
    with write_session(catalogue) as session:
        recompute_segments(session, NOW)
        recompute_groups(session, NOW.date().isoformat())
        assert session.get(CustomerGroup, regular.id).group_code == "P"


def test_a_contact_about_a_case_counts_against_first_contact_resolution(shop):
    engine, customer_id, order = shop
    with write_session(engine) as session:
        other = register_customer(session, REGISTRATION | {"email": "other@example.com", "phone": "612999000"},
                                  now=NOW)
        case_id = case_service.open_case(session, ANA, customer_id=customer_id, kind="delivery", summary="late",
                                         source="card", now=NOW)
        with pytest.raises(ContactError, match="not an open case"):
            log_contact(session, ANA, other.id, channel="phone", direction="inbound", outcome="follow_up",
                        started_at=NOW, now=NOW, case_id=case_id)
        log_contact(session, ANA, customer_id, channel="phone", direction="outbound", outcome="resolved",
                    started_at=NOW, now=NOW + timedelta(hours=1), case_id=case_id)
        loaded = case_service.case_detail(session, ANA, case_id, NOW)
        assert loaded.contacts == 2 and [c.case_id for c in case_service.open_cases_of(
            session, ANA, customer_id, NOW)] == [case_id]
        case_service.resolve_case(session, ANA, loaded, "arrived", "explanation", now=NOW + timedelta(hours=2))
        from crm_tui.services.service_quality import quality_report

        report = quality_report(session, StaffMember("sue", "Sue", Role.SUPERVISOR, 30, True),
                                NOW.replace(hour=0, minute=0), NOW.replace(hour=0, minute=0))
    assert (report.matters_closed, report.first_contact) == (1, 0)  # it took a second contact
