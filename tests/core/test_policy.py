"""The one policy: every action has its roles, and the services refuse what it does not allow
(a disabled member nothing, an agent no supervisor's work), whatever screen or command calls."""

from datetime import timedelta

import pytest

from crm_tui.db import write_session
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_next_callback, release_callback
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.orders import OrderItem, place_phone_order
from crm_tui.services.policy import RULES, Action, NotAllowed, may
from crm_tui.services.privacy import export_customer
from crm_tui.services.staff import StaffMember, disable_staff
from crm_tui.shop.operations import register_customer
from tests.conftest import AS_OF, REGISTRATION, add_products

ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
GONE = StaffMember("luis", "Luis", Role.AGENT, 10, False)
BOSS = StaffMember("boss", "Boss", Role.SUPERVISOR, 30, True)


def test_every_action_has_its_roles():
    assert set(RULES) == set(Action)
    assert all(may(BOSS, action) for action in Action)
    assert not any(may(GONE, action) for action in Action)
    assert {a for a in Action if may(ANA, a)} == {a for a, roles in RULES.items() if Role.AGENT in roles}


@pytest.fixture
def customer_id(engine):
    with write_session(engine) as session:
        return register_customer(session, REGISTRATION, now=AS_OF).id


@pytest.mark.parametrize("call", [
    lambda s, cid: save_card(s, GONE, load_card(s, cid), {"city": "Soria"}, now=AS_OF),
    lambda s, cid: place_phone_order(s, GONE, cid, [OrderItem("MUG-1", 1)], now=AS_OF),
    lambda s, cid: claim_next_callback(s, GONE, AS_OF),
    lambda s, cid: release_callback(s, ANA, 1, now=AS_OF + timedelta(minutes=1)),
    lambda s, cid: export_customer(s, ANA, cid, AS_OF),
    lambda s, cid: disable_staff(s, "boss", acting=ANA),
], ids=["card", "phone order", "claim", "release", "privacy export", "staff"])
def test_the_services_refuse_what_the_policy_does_not_allow(engine, customer_id, call):
    add_products(engine, dict(sku="MUG-1", name="Mug", unit_price_cents=900, stock_quantity=5))
    with pytest.raises(NotAllowed, match="not for your role"):
        with write_session(engine) as session:
            call(session, customer_id)
    with write_session(engine) as session:
        assert load_card(session, customer_id).city == REGISTRATION["city"]
