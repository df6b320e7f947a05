import pytest
from sqlmodel import Session

from crm_tui.db import write_session
from crm_tui.models import Role
from crm_tui.services.customers import (
    DiscountCapExceeded,
    ReasonRequired,
    StaleCustomer,
    change_history,
    load_card,
    save_card,
)
from crm_tui.services.staff import StaffMember
from crm_tui.shop.operations import register_customer
from crm_tui.shop.validation import InvalidInput
from tests.conftest import AS_OF, REGISTRATION

AGENT = StaffMember("ana", "Ana", Role.AGENT, 10, True)
SUPERVISOR = StaffMember("sara", "Sara", Role.SUPERVISOR, 30, True)
OPS = StaffMember("olga", "Olga", Role.OPS, 0, True)


@pytest.fixture
def customer_id(engine):
    with write_session(engine) as session:
        return register_customer(session, REGISTRATION).id


def card(engine, customer_id):
    with Session(engine) as session:
        return load_card(session, customer_id)


def save(engine, staff, loaded, edits, reason=""):
    with write_session(engine) as session:
        return save_card(session, staff, loaded, edits, reason, now=AS_OF)


def test_edits_are_validated_normalised_saved_and_audited(engine, customer_id):
    loaded = card(engine, customer_id)
    saved = save(engine, AGENT, loaded, {"phone": "+34 699 11 22 33", "city": "Alcalá", "consent_phone": True},
                 "customer moved")
    assert saved.phone == "+34699112233" and saved.phone_national == "699 11 22 33"
    assert saved.version == loaded.version + 1 and saved.consent_phone
    with Session(engine) as session:
        records = {r.field: r for r in change_history(session, customer_id)}
    assert records["phone"].old_value == "+34612345678" and records["phone"].new_value == "+34699112233"
    assert records["city"].staff_login == "ana" and records["city"].reason == "customer moved"
    assert set(records) == {"phone", "city", "consent_phone"}


def test_invalid_fields_are_all_reported_and_nothing_is_saved(engine, customer_id):
    loaded = card(engine, customer_id)
    with pytest.raises(InvalidInput) as refused:
        save(engine, AGENT, loaded, {"email": "nope", "phone": "12", "first_name": "", "city": "Toledo"})
    assert set(refused.value.by_field()) == {"email", "phone", "first_name"}
    assert card(engine, customer_id) == loaded


def test_discount_within_the_cap_needs_a_reason(engine, customer_id):
    loaded = card(engine, customer_id)
    with pytest.raises(ReasonRequired):
        save(engine, AGENT, loaded, {"discount_percent": 10})
    saved = save(engine, AGENT, loaded, {"discount_percent": "10"}, "agreed on the phone")
    assert saved.discount_percent == 10
    with Session(engine) as session:
        record = change_history(session, customer_id)[0]
    assert (record.field, record.old_value, record.new_value, record.reason) == (
        "discount_percent", "0", "10", "agreed on the phone")


@pytest.mark.parametrize("staff,value", [(AGENT, 11), (SUPERVISOR, 31), (OPS, 1)])
def test_a_discount_above_the_cap_is_refused_by_the_service(engine, customer_id, staff, value):
    loaded = card(engine, customer_id)
    with pytest.raises(DiscountCapExceeded, match=f"cap of {staff.discount_cap_percent} %"):
        save(engine, staff, loaded, {"discount_percent": value}, "please")
    assert card(engine, customer_id).discount_percent == 0


def test_a_supervisor_may_grant_more(engine, customer_id):
    saved = save(engine, SUPERVISOR, card(engine, customer_id), {"discount_percent": 25}, "loyal customer")
    assert saved.discount_percent == 25


def test_the_second_of_two_concurrent_saves_is_refused_with_what_changed(engine, customer_id):
    ana_sees = card(engine, customer_id)
    sara_sees = card(engine, customer_id)
    save(engine, SUPERVISOR, sara_sees, {"street": "Calle Nueva 2"})
    with pytest.raises(StaleCustomer) as refused:
        save(engine, AGENT, ana_sees, {"city": "Getafe"})
    assert [(c.field, c.old_value, c.new_value) for c in refused.value.changed] == [
        ("street", "Calle Mayor 1", "Calle Nueva 2")]
    assert refused.value.by == ["sara"] and "Reload" in str(refused.value)
    assert card(engine, customer_id).city == "Madrid"
    # Reload and apply again: both changes are kept.
    again = save(engine, AGENT, refused.value.current, {"city": "Getafe"})
    assert (again.street, again.city) == ("Calle Nueva 2", "Getafe")


def test_changing_the_postcode_to_the_canaries_moves_the_time_zone(engine, customer_id):
    saved = save(engine, AGENT, card(engine, customer_id), {"postcode": "35001", "city": "Las Palmas"})
    assert saved.time_zone == "Atlantic/Canary"
