from datetime import datetime, time, timezone

import pytest

from crm_tui.db import write_session
from crm_tui.shop.operations import register_customer, request_callback, send_contact_message
from crm_tui.shop.validation import InvalidField, InvalidInput
from tests.conftest import REGISTRATION

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


def test_asap_callback_from_a_known_number_is_matched_to_the_customer(engine):
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)
        callback = request_callback(session, "+34 612-345-678", note="about my order", now=NOW)
    assert callback.customer_id == customer.id
    assert callback.phone == "+34612345678"
    assert callback.window_from is None and callback.window_to is None
    assert callback.status == "pending"


def test_unknown_caller_leaves_only_a_number(engine):
    with write_session(engine) as session:
        callback = request_callback(session, "699 111 222", now=NOW)
    assert callback.customer_id is None and callback.phone == "+34699111222"


def test_window_is_taken_in_the_customers_zone(engine):
    with write_session(engine) as session:
        canary = register_customer(session, REGISTRATION | {"postcode": "38001"})
        callback = request_callback(session, REGISTRATION["phone"], window=(time(18), time(19)), now=NOW)
    assert callback.customer_id == canary.id and callback.time_zone == "Atlantic/Canary"
    # 18:00 in the Canaries in March (UTC+0) is 18:00 UTC; in Madrid it would be 17:00 UTC.
    assert callback.window_from == datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc)
    assert callback.window_to == datetime(2026, 3, 10, 19, 0, tzinfo=timezone.utc)


def test_a_window_already_over_today_moves_to_tomorrow(engine):
    with write_session(engine) as session:
        callback = request_callback(session, "699 111 222", window=(time(8), time(9)), now=NOW)
    assert callback.window_from == datetime(2026, 3, 11, 7, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("phone,window", [("12", None), ("", None), ("699 111 222", (time(12), time(11)))])
def test_invalid_callbacks_are_refused(engine, phone, window):
    with pytest.raises(InvalidField):
        with write_session(engine) as session:
            request_callback(session, phone, window=window, now=NOW)


def test_contact_form_is_matched_by_email(engine):
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)
        message = send_contact_message(session, name="José", text="¿Dónde está mi pedido?",
                                       email="JOSE.GARCIA@example.com", kind="complaint", now=NOW)
    assert message.customer_id == customer.id and message.kind == "complaint"


@pytest.mark.parametrize("fields,bad", [
    (dict(name="", text="hola", email="a@b.es"), "name"),
    (dict(name="Ana", text=" ", email="a@b.es"), "text"),
    (dict(name="Ana", text="hola"), "phone"),
    (dict(name="Ana", text="hola", email="nope"), "email"),
    (dict(name="Ana", text="hola", phone="12"), "phone"),
    (dict(name="Ana", text="hola", email="a@b.es", kind="spam"), "kind"),
])
def test_contact_form_refusals_name_the_field(engine, fields, bad):
    with pytest.raises(InvalidInput) as refused:
        with write_session(engine) as session:
            send_contact_message(session, **fields)
    assert bad in refused.value.by_field()
