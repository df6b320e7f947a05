"""The shop's privacy promise: give a person everything held about them, erase them, and say
who looked at or exported their data. Supervisors and ops only (the policy says so)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, inspect, select, text, update
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import AccessEntry, AuditEntry, CallbackAttempt, ServiceCase, ServiceContact
from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import CallbackRequest, CallbackStatus, ContactMessage, Customer

# The customer's fields that say who they are: blanked by an erasure, also in the audit log.
PERSONAL = ("first_name", "last_name", "email", "phone", "street", "postcode", "city")
ERASED_NAME = "Erased"


class NoSuchCustomer(ServiceError):
    def __init__(self, customer_id: int):
        super().__init__("no_such_customer", f"there is no customer {customer_id}", customer_id=customer_id)


@dataclass(frozen=True)
class AccessRecord:
    at: datetime
    staff_login: str
    what: str


def record_access(session: Session, staff_login: str, customer_ids: Iterable[int], what: str, now: datetime) -> None:
    """Log that `staff_login` saw or exported these customers' data (`what`: card, call, ...)."""
    rows = [{"at": now, "staff_login": staff_login, "customer_id": cid, "what": what} for cid in customer_ids]
    if rows:
        session.execute(insert(AccessEntry), rows)


def access_log(session: Session, staff: StaffMember, customer_id: int) -> list[AccessRecord]:
    require(staff, Action.PRIVACY)
    _customer(session, customer_id)
    rows = session.execute(
        select(col(AccessEntry.at), col(AccessEntry.staff_login), col(AccessEntry.what))
        .where(col(AccessEntry.customer_id) == customer_id).order_by(col(AccessEntry.at), col(AccessEntry.id)))
    return [AccessRecord(*row) for row in row_tuples(rows)]


def export_customer(session: Session, staff: StaffMember, customer_id: int, now: datetime) -> dict[str, list[dict]]:
    """Every row held about the person, table by table: the customer, and the rows of every
    table with a customer_id (orders, callbacks, attempts, messages, offers, segments, roll-ups,
    the access log), their orders' lines and the audit entries about them. The export itself is
    logged as an access."""
    require(staff, Action.PRIVACY)
    customer = _customer(session, customer_id)
    tables: dict[str, list[dict]] = {"customer": _rows(session, "SELECT * FROM customer WHERE id = :id", customer_id)}
    inspector = inspect(session.connection())
    for table in sorted(inspector.get_table_names()):
        if table != "customer" and "customer_id" in {c["name"] for c in inspector.get_columns(table)}:
            tables[table] = _rows(session, f'SELECT * FROM "{table}" WHERE customer_id = :id', customer_id)
    # What they sent before they registered (or from a number the shop never linked) is theirs too.
    for table, where in _UNLINKED.items():
        tables[table] = tables.get(table, []) + _rows(session, f'SELECT * FROM "{table}" WHERE {where}',
                                                      email=customer.email or "", phone=customer.phone or "")
    tables["order_line"] = _rows(session, "SELECT * FROM order_line WHERE order_id IN (SELECT id FROM shop_order "
                                          "WHERE customer_id = :id) ORDER BY order_id, product_id", customer_id)
    tables["order_status_change"] = _rows(session, "SELECT * FROM order_status_change WHERE order_id IN (SELECT id "
                                                   "FROM shop_order WHERE customer_id = :id) ORDER BY id", customer_id)
    tables["audit_entry"] = _rows(session, "SELECT * FROM audit_entry WHERE record_table = 'customer' "
                                           "AND record_id = :id ORDER BY id", customer_id)
    record_access(session, staff.login, [customer_id], "privacy export", now)
    return tables


def erase_customer(session: Session, staff: StaffMember, customer_id: int, reason: str, now: datetime) -> None:
    """Anonymise the person: who they are (name, e-mail, phone, address) and what they wrote or
    said (messages and their answers, call and contact notes, complaints, case texts) is gone, consents are withdrawn and their waiting callbacks cancelled; orders and sums stay
    for the accounts, so reports keep their figures. Audited, with the reason."""
    require(staff, Action.PRIVACY)
    if not reason.strip():
        raise ServiceError("reason_required", "an erasure needs a reason (e.g. the customer's request and its date)")
    customer = _customer(session, customer_id)
    if session.scalar(select(col(AuditEntry.id)).where(
            col(AuditEntry.record_table) == "customer", col(AuditEntry.record_id) == customer_id,
            col(AuditEntry.field) == "erased").limit(1)) is not None:
        raise ServiceError("already_erased", f"customer {customer_id} was already erased", customer_id=customer_id)
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # what the erasure overwrites or frees is zeroed in the file, not left behind
        session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
    changes = [FieldChange(name, None, None) for name in PERSONAL if getattr(customer, name)]
    for table, where in _UNLINKED.items():  # theirs though never linked: linked now, then erased below
        session.execute(text(f'UPDATE "{table}" SET customer_id = :id WHERE {where}'),
                        {"id": customer_id, "email": customer.email or "", "phone": customer.phone or ""})
    session.execute(update(Customer).where(col(Customer.id) == customer_id).values(
        first_name=ERASED_NAME, last_name="", email=None, phone=None, street="", postcode="", city="",
        consent_email_at=None, consent_phone_at=None, consent_chat_at=None, version=col(Customer.version) + 1,
        updated_at=now))
    session.execute(update(CallbackRequest).where(col(CallbackRequest.customer_id) == customer_id).values(
        phone="", note=""))
    session.execute(update(CallbackRequest).where(
        col(CallbackRequest.customer_id) == customer_id,
        col(CallbackRequest.status).in_([CallbackStatus.PENDING, CallbackStatus.CLAIMED])).values(
        status=CallbackStatus.DONE, outcome="erased", claimed_by=None, claimed_until=None, closed_at=now))
    session.execute(update(CallbackAttempt).where(col(CallbackAttempt.customer_id) == customer_id).values(
        note="", feedback=""))
    session.execute(update(ContactMessage).where(col(ContactMessage.customer_id) == customer_id).values(
        name=ERASED_NAME, phone=None, email=None, text="", answer=""))
    session.execute(update(ServiceContact).where(col(ServiceContact.customer_id) == customer_id).values(
        note="", feedback=""))
    session.execute(update(ServiceCase).where(col(ServiceCase.customer_id) == customer_id).values(
        summary=ERASED_NAME, resolution=""))
    # The audit log keeps who changed what and when, not the old values that named the person.
    session.execute(update(AuditEntry).where(
        col(AuditEntry.record_table) == "customer", col(AuditEntry.record_id) == customer_id,
        col(AuditEntry.field).in_(PERSONAL)).values(old_value=None, new_value=None))
    if sqlite:  # the search index keeps old terms in its segments until they are merged
        for index in ("customer_name", "customer_contact"):
            session.execute(text(f"INSERT INTO {index}({index}) VALUES ('optimize')"))
    record_changes(session, staff.login, "customer", customer_id,
                   [*changes, FieldChange("erased", None, now.isoformat(timespec="seconds"))], reason=reason.strip(),
                   at=now)


# Rows about the person that carry their e-mail or phone but no customer id: table -> condition.
_UNLINKED = {
    "contact_message": "customer_id IS NULL AND ((email != '' AND email = :email) OR (phone != '' AND phone = :phone))",
    "callback_request": "customer_id IS NULL AND phone != '' AND phone = :phone",
    # a case opened from such a message copies its text
    "service_case": "customer_id IS NULL AND source = 'message' AND source_id IN (SELECT id FROM contact_message "
                    "WHERE (email != '' AND email = :email) OR (phone != '' AND phone = :phone))",
}


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id, populate_existing=True)
    if customer is None:
        raise NoSuchCustomer(customer_id)
    return customer


def _rows(session: Session, sql: str, customer_id: int | None = None, **params: object) -> list[dict]:
    return [{key: _plain(value) for key, value in row.items()}
            for row in session.execute(text(sql), {"id": customer_id, **params}).mappings()]


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
