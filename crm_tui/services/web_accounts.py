"""The web shop's customers: their logins, their own profile and their privacy requests.

Passwords are hashed with argon2id (argon2-cffi); a wrong e-mail and a wrong password take
the same time and give the same answer.
"""

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.services.names import customer_name
from crm_tui.shop.models import ContactKind, ContactMessage, Customer, ShopAccount, stored_id
from crm_tui.shop.operations import register_customer, send_contact_message
from crm_tui.shop.validation import InvalidField, InvalidInput, normalise_email

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


@cache
def _unused_hash() -> str:
    """Checked when the e-mail is unknown, so that it takes as long as a wrong password; made on
    first use (a hash costs as much as a login: not at start-up)."""
    return HASHER.hash("a password no account has")


def _password_problem(password: str) -> InvalidField | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return InvalidField("password", f"must have at least {MIN_PASSWORD_LENGTH} characters", "short")
    if len(password) > 200:
        return InvalidField("password", "must have at most 200 characters", "long")
    return None


def sign_up(session: Session, form: Mapping[str, Any], password: str, now: datetime) -> Customer:
    """Register a customer (every registration rule of the shop) with a web shop login."""
    problem = _password_problem(password)
    try:
        customer = register_customer(session, form, now)
    except InvalidInput as exc:
        raise InvalidInput(exc.errors + ([problem] if problem else [])) from None
    if problem:
        raise InvalidInput([problem])
    add_account(session, stored_id(customer), password, now)
    return customer


def add_account(session: Session, customer_id: int, password: str, now: datetime) -> None:
    """A web shop login for an existing customer (their e-mail, this password)."""
    session.add(ShopAccount(customer_id=customer_id, password_hash=HASHER.hash(password), created_at=now))
    session.flush()


def log_in(session: Session, email: str, password: str) -> int | None:
    """The customer's id when the e-mail and password match an account, else None."""
    try:
        address = normalise_email(email)
    except InvalidField:
        address = ""
    found = session.execute(
        select(col(ShopAccount.customer_id), col(ShopAccount.password_hash))
        .join(Customer, col(Customer.id) == col(ShopAccount.customer_id))
        .where(col(Customer.email) == address)).first()
    try:
        HASHER.verify(found[1] if found else _unused_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return int(found[0]) if found else None


PRIVACY_REQUESTS = {
    "export": "The customer asks for a copy of their personal data (crm-tui privacy export).",
    "erasure": "The customer asks for their personal data to be erased (crm-tui privacy erase).",
}


def request_privacy(session: Session, customer_id: int, what: str, now: datetime) -> ContactMessage:
    """A data export or erasure request from the profile: it lands in the inbox, linked to
    the customer, for staff to carry out with the privacy tools."""
    if what not in PRIVACY_REQUESTS:
        raise InvalidInput([InvalidField("request", f"{what!r} is not one of {', '.join(PRIVACY_REQUESTS)}")])
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise InvalidInput([InvalidField("customer", "no such customer")])
    name = customer_name(customer.first_name, customer.last_name, customer.customer_number)
    message = send_contact_message(session, name=name, text=PRIVACY_REQUESTS[what], email=customer.email or "",
                                   phone="" if customer.email else customer.phone or "",
                                   kind=ContactKind.PRIVACY, country=customer.country, now=now)
    message.customer_id = customer_id
    session.flush()
    return message
