"""Who is calling: an unknown caller's number matched to a customer, or the caller registered
from the call (the callback and its earlier attempts linked to them)."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from crm_tui.db import begin_write
from crm_tui.models import CallbackAttempt
from crm_tui.services.callback_claims import CallbackError
from crm_tui.shop.models import CallbackRequest, Customer, stored_id
from crm_tui.shop.operations import register_customer


def match_caller(session: Session, callback_id: int) -> int | None:
    """An unknown caller's number may belong to a registered customer: link them. Returns the
    customer's id (known before or matched now), or None."""
    callback = session.get(CallbackRequest, callback_id, populate_existing=True)
    if callback is None or callback.customer_id is not None:
        return callback.customer_id if callback else None
    match = session.scalar(select(col(Customer.id)).where(col(Customer.phone) == callback.phone)
                           .order_by(col(Customer.id)).limit(1))
    if match is not None:
        begin_write(session)
        _link(session, callback_id, match)
    return match


def register_caller(session: Session, callback_id: int, form: Mapping[str, object],
                    now: datetime | None = None) -> int:
    """Register an unknown caller from the call (the shop's registration rules; the phone is
    the callback's unless the form gives another) and link the callback and its attempts to
    them. Raises InvalidInput like the shop's form. Returns the new customer's id."""
    begin_write(session)
    callback = session.get(CallbackRequest, callback_id, populate_existing=True)
    if callback is None:
        raise CallbackError("no_such_callback", f"callback {callback_id} does not exist", callback_id=callback_id)
    customer_id = stored_id(register_customer(session, {"phone": callback.phone, **form}, now=now))
    _link(session, callback_id, customer_id)
    return customer_id


def _link(session: Session, callback_id: int, customer_id: int) -> None:
    session.execute(update(CallbackRequest).where(col(CallbackRequest.id) == callback_id,
                                                  col(CallbackRequest.customer_id).is_(None))
                    .values(customer_id=customer_id).execution_options(synchronize_session=False))
    session.execute(update(CallbackAttempt).where(col(CallbackAttempt.callback_id) == callback_id,
                                                  col(CallbackAttempt.customer_id).is_(None))
                    .values(customer_id=customer_id).execution_options(synchronize_session=False))
