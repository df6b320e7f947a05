import pytest
from sqlalchemy import func, select

from crm_tui.db import read_session, write_session
from crm_tui.shop.models import Customer
from crm_tui.shop.operations import register_customer
from crm_tui.shop.validation import InvalidInput
from tests.conftest import REGISTRATION


def test_register_stores_normalised_fields_and_a_customer_number(engine):
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)
    with read_session(engine) as session:
        stored = session.get(Customer, customer.id)
    assert stored.customer_number == f"CU{customer.id:07d}"
    assert stored.phone == "+34612345678"
    assert stored.email == "jose.garcia@example.com"
    assert stored.discount_percent == 0
    assert stored.time_zone == "Europe/Madrid"
    assert stored.consent_email_at is not None and stored.consent_phone_at is None
    assert stored.registered_at.tzinfo is not None


def test_canary_islands_customer_gets_the_atlantic_zone(engine):
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION | {"postcode": "35001", "city": "Las Palmas"})
        assert customer.time_zone == "Atlantic/Canary"


@pytest.mark.parametrize("field", ["discount_percent", "discount"])
def test_a_customer_can_never_set_the_discount(engine, field):
    with pytest.raises(InvalidInput) as refused:
        with write_session(engine) as session:
            register_customer(session, REGISTRATION | {field: 20})
    assert field in refused.value.by_field()
    assert "staff" in refused.value.by_field()[field]
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


@pytest.mark.parametrize("field,value", [
    ("email", "not-an-email"), ("email", "jose@"), ("phone", "123"), ("phone", "call me"),
    ("first_name", "  "), ("country", "Spain"), ("preferred_language", "fr"),
])
def test_invalid_fields_are_refused_by_name(engine, field, value):
    with pytest.raises(InvalidInput) as refused:
        with write_session(engine) as session:
            register_customer(session, REGISTRATION | {field: value})
    assert field in refused.value.by_field()


def test_every_invalid_field_is_reported_at_once(engine):
    with pytest.raises(InvalidInput) as refused:
        with write_session(engine) as session:
            register_customer(session, REGISTRATION | {"email": "x", "phone": "1"})
    assert set(refused.value.by_field()) == {"email", "phone"}


def test_unknown_fields_are_refused(engine):
    with pytest.raises(InvalidInput) as refused:
        with write_session(engine) as session:
            register_customer(session, REGISTRATION | {"is_vip": True})
    assert "is_vip" in refused.value.by_field()


def test_an_email_registers_once(engine):
    with write_session(engine) as session:
        register_customer(session, REGISTRATION)
    with pytest.raises(InvalidInput, match="already registered") as refused:
        with write_session(engine) as session:
            register_customer(session, REGISTRATION | {"email": "JOSE.garcia@example.com"})
    assert refused.value.problems()["email"][0] == "taken"  # screens translate by this code, not the English


def test_british_number_with_its_country(engine):
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION | {
            "email": "emma@example.co.uk", "phone": "07911 123456", "country": "GB", "postcode": "SW1A 1AA"})
        assert customer.phone == "+447911123456"
        assert customer.time_zone == "Europe/London"
