"""The customer card: registration fields and the staff-only discount.

Staff edit what the customer registered; every change is validated, audited field by field
and saved with optimistic locking (a save against a stale version is refused, showing what
changed meanwhile). The discount is capped by the staff member's role and needs a reason.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlmodel import Session, col

from crm_tui.services.audit import AuditRecord, FieldChange, history, record_changes
from crm_tui.services.names import customer_name
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import Customer, stored_id
from crm_tui.shop.validation import (
    InvalidField,
    InvalidInput,
    national_phone,
    normalise_country,
    normalise_email,
    normalise_language,
    normalise_phone,
    phone_region,
    require_text,
    time_zone_for,
)

EDITABLE = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
            "preferred_language", "consent_email", "consent_phone", "consent_chat", "discount_percent")


class CustomerNotFound(LookupError):
    pass


class DiscountCapExceeded(PermissionError):
    def __init__(self, requested: int, cap: int, login: str):
        self.requested, self.cap = requested, cap
        super().__init__(f"A discount of {requested} % is above your cap of {cap} % ({login}); "
                         "ask a supervisor.")


class ReasonRequired(ValueError):
    def __init__(self):
        super().__init__("A reason is required when the discount changes.")


class StaleCustomer(RuntimeError):
    """Someone saved the customer since this card was loaded: nothing was written."""

    def __init__(self, current: "CustomerCard", changed: list[FieldChange], by: list[str]):
        self.current, self.changed, self.by = current, changed, by
        names = ", ".join(f"{c.field}: {c.old_value!r} -> {c.new_value!r}" for c in changed) or "no field"
        who = ", ".join(sorted(set(by))) or "someone"
        super().__init__(f"{who} changed this customer meanwhile ({names}). Reload and apply your change again.")


@dataclass(frozen=True)
class CustomerCard:
    customer_id: int
    customer_number: str
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    street: str
    postcode: str
    city: str
    country: str
    preferred_language: str
    consent_email: bool
    consent_phone: bool
    consent_chat: bool
    discount_percent: int
    registered_at: datetime
    time_zone: str
    version: int

    @property
    def name(self) -> str:
        return customer_name(self.first_name, self.last_name, self.customer_number)

    @property
    def phone_national(self) -> str:
        return national_phone(self.phone)

    @property
    def phone_for_editing(self) -> str:
        """National format when the number is of the customer's country (it is read back
        with that country), else the full international number."""
        return self.phone_national if phone_region(self.phone) == self.country else self.phone


def _card(c: Customer) -> CustomerCard:
    return CustomerCard(
        stored_id(c), c.customer_number, c.first_name, c.last_name, c.email or "", c.phone or "", c.street, c.postcode,
        c.city, c.country, c.preferred_language, c.consent_email_at is not None, c.consent_phone_at is not None,
        c.consent_chat_at is not None, c.discount_percent, c.registered_at, c.time_zone, c.version)


def load_card(session: Session, customer_id: int) -> CustomerCard:
    customer = session.get(Customer, customer_id, populate_existing=True)
    if customer is None:
        raise CustomerNotFound(f"no customer with id {customer_id}")
    return _card(customer)


def change_history(session: Session, customer_id: int) -> list[AuditRecord]:
    return history(session, "customer", customer_id)


def validate(card: CustomerCard, edits: dict[str, object]) -> dict[str, object]:
    """Normalised values of the edited fields, or InvalidInput naming every bad field."""
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput([InvalidField(name, "cannot be edited") for name in sorted(unknown)])
    errors: list[InvalidField] = []
    values: dict[str, object] = {}
    country = str(edits.get("country", card.country))
    checks: dict[str, Callable[[Any], object]] = {
        "first_name": lambda v: require_text(v, "first_name", 100),
        "last_name": lambda v: require_text(v, "last_name", 100),
        "email": lambda v: normalise_email(v) if str(v).strip() else "",
        "phone": lambda v: normalise_phone(v, country) if str(v).strip() else "",
        "street": lambda v: str(v).strip(), "postcode": lambda v: str(v).strip(), "city": lambda v: str(v).strip(),
        "country": lambda v: normalise_country(v),
        "preferred_language": lambda v: normalise_language(v),
        "consent_email": bool, "consent_phone": bool, "consent_chat": bool,
        "discount_percent": _discount,
    }
    for name, value in edits.items():
        try:
            values[name] = checks[name](value)
        except InvalidField as err:
            errors.append(err)
    if errors:
        raise InvalidInput(errors)
    return values


def _discount(value: object) -> int:
    try:
        number = int(str(value).strip().rstrip("%").strip() or "0")
    except ValueError:
        raise InvalidField("discount_percent", f"{value!r} is not a whole percent") from None
    if not 0 <= number <= 100:
        raise InvalidField("discount_percent", "must be between 0 and 100 %")
    return number


def save_card(session: Session, staff: StaffMember, loaded: CustomerCard, edits: dict[str, object],
              reason: str = "", *, now: datetime) -> CustomerCard:
    """Validate, check permissions, and save only what changed, as one audited write in the
    caller's write transaction (the caller commits).

    `loaded` is the card as the agent saw it: if anyone saved the customer since, the save is
    refused with what they changed (StaleCustomer) and nothing is written."""
    require(staff, Action.EDIT_CARD)
    customer_id, expected_version = loaded.customer_id, loaded.version
    current = load_card(session, customer_id)
    values = validate(current, edits)
    changes = [FieldChange(name, getattr(current, name), value) for name, value in values.items()
               if getattr(current, name) != value]
    discount = next((c for c in changes if c.field == "discount_percent"), None)
    if discount is not None:
        require(staff, Action.SET_DISCOUNT)
        percent = cast(int, discount.new_value)  # _discount made it a whole percent
        if percent > staff.discount_cap_percent:
            raise DiscountCapExceeded(percent, staff.discount_cap_percent, staff.login)
        if not reason.strip():
            raise ReasonRequired()
    if current.version != expected_version:
        raise _stale(session, loaded, current)
    return _write_changes(session, staff.login, loaded, current, values, changes, reason.strip(), now)


# The customer's own edits in the web shop are audited under this name.
WEB_SHOP_EDITOR = "web shop (the customer)"


def save_own_profile(session: Session, loaded: CustomerCard, edits: dict[str, object], *,
                     now: datetime) -> CustomerCard:
    """The customer edits their registration in the web shop: every field staff may edit
    except the discount, which a customer can neither see nor set; validated, audited and
    version-checked like a staff save."""
    staff_only = sorted({"discount_percent", "discount"} & set(edits))
    if staff_only:
        raise InvalidInput([InvalidField(name, "is set by the shop's staff only") for name in staff_only])
    current = load_card(session, loaded.customer_id)
    values = validate(current, edits)
    if values.get("email") and session.scalar(select(col(Customer.id)).where(
            col(Customer.email) == values["email"], col(Customer.id) != loaded.customer_id)):
        raise InvalidInput([InvalidField("email", f"{values['email']} is already registered", "taken")])
    changes = [FieldChange(name, getattr(current, name), value) for name, value in values.items()
               if getattr(current, name) != value]
    if current.version != loaded.version:
        raise _stale(session, loaded, current)
    return _write_changes(session, WEB_SHOP_EDITOR, loaded, current, values, changes, "", now)


def _write_changes(session: Session, editor: str, loaded: CustomerCard, current: CustomerCard,
                   values: dict[str, object], changes: list[FieldChange], reason: str, now: datetime) -> CustomerCard:
    customer_id = loaded.customer_id
    if not changes:
        return current
    row: dict[str, object] = {}
    for change in changes:
        if change.field.startswith("consent_"):
            row[f"{change.field}_at"] = now if change.new_value else None
        elif change.field in ("email", "phone"):
            row[change.field] = change.new_value or None
        else:
            row[change.field] = change.new_value
    if "country" in row or "postcode" in row:
        row["time_zone"] = time_zone_for(str(values.get("country", current.country)),
                                         str(values.get("postcode", current.postcode)))
    if "country" in row:
        row["facts_from_orders"] = False  # staff said where they live: imports no longer move them
    written = session.exec(
        update(Customer).where(col(Customer.id) == customer_id, col(Customer.version) == loaded.version)
        .values(**row, version=col(Customer.version) + 1, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if written != 1:  # another session saved between our read and our write (not on SQLite: IMMEDIATE)
        raise _stale(session, loaded, load_card(session, customer_id))
    record_changes(session, editor, "customer", customer_id, changes, reason=reason, at=now)
    return load_card(session, customer_id)


def _stale(session: Session, loaded: CustomerCard, current: CustomerCard) -> StaleCustomer:
    changed = [FieldChange(f, getattr(loaded, f), getattr(current, f)) for f in EDITABLE
               if getattr(loaded, f) != getattr(current, f)]
    names = {c.field for c in changed}
    recent = change_history(session, current.customer_id)[:50]
    return StaleCustomer(current, changed, [r.staff_login for r in recent if r.field in names])
