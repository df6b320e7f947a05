"""Complaint cases: a complaint from a call, a contact or a message worked to its end.

A case has a type, a status (open, waiting for the customer, resolved, closed), an owner, a
priority and a due time from its type's target (halved for high priority), the order (and
line) it is about, and on resolution a text and an outcome. From a case an agent cancels or
returns the order (stock back, sales down) and grants a goodwill discount within their cap,
audited like on the card.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from crm_tui.db import begin_write, row_tuples
from crm_tui.models import ServiceCase
from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.errors import ServiceError
from crm_tui.services.names import customer_name
from crm_tui.services.order_tracking import reverse_customer_order
from crm_tui.services.policy import Action, may, require
from crm_tui.services.staff import StaffMember, active_staff
from crm_tui.settings import CASE_KINDS, ServiceSettings
from crm_tui.shop.models import Customer, Order, OrderLine, Product
from crm_tui.shop.operations import PlacedOrder

STATUSES = ("open", "waiting", "resolved", "closed")
OPEN_STATUSES = ("open", "waiting")
OUTCOMES = ("refund", "replacement", "credit", "explanation", "rejected")
PRIORITIES = {1: "high", 2: "normal", 3: "low"}
VIEWS = ("mine", "team", "overdue", "finished")
SOURCES = ("call", "contact", "message", "card")


class CaseError(ServiceError):
    pass


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    customer_id: int | None
    customer_number: str | None
    customer_name: str
    kind: str
    status: str
    priority: int
    owner: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    order_id: int | None
    order_number: str | None
    product_name: str | None
    summary: str
    contacts: int
    resolution: str
    outcome: str | None
    resolved_at: datetime | None
    source: str
    version: int


_COLUMNS = (col(ServiceCase.id), col(ServiceCase.customer_id), col(Customer.customer_number),
            col(Customer.first_name), col(Customer.last_name), col(ServiceCase.kind), col(ServiceCase.status),
            col(ServiceCase.priority), col(ServiceCase.owner), col(ServiceCase.opened_at), col(ServiceCase.due_at),
            col(ServiceCase.order_id), col(Order.number), col(Product.name), col(ServiceCase.summary),
            col(ServiceCase.contacts), col(ServiceCase.resolution), col(ServiceCase.outcome),
            col(ServiceCase.resolved_at), col(ServiceCase.source), col(ServiceCase.version))


def _query():
    return (select(*_COLUMNS).outerjoin(Customer, col(Customer.id) == col(ServiceCase.customer_id))
            .outerjoin(Order, col(Order.id) == col(ServiceCase.order_id))
            .outerjoin(Product, col(Product.id) == col(ServiceCase.product_id)))


def _row(values: tuple, now: datetime) -> CaseRow:
    (case_id, customer_id, number, first, last, kind, status, priority, owner, opened_at, due_at, order_id,
     order_number, product_name, summary, contacts, resolution, outcome, resolved_at, source, version) = values
    overdue = status in OPEN_STATUSES and due_at < now
    return CaseRow(case_id, customer_id, number, customer_name(first, last, number) if number else "", kind, status, priority,
                   owner, opened_at, due_at, overdue, order_id, order_number, product_name, summary, contacts,
                   resolution, outcome, resolved_at, source, version)


def open_case(session: Session, staff: StaffMember, *, customer_id: int | None, kind: str, summary: str,
              source: str, now: datetime, source_id: int | None = None, order_id: int | None = None,
              product_id: int | None = None, priority: int = 2, owner: str | None = None,
              settings: ServiceSettings = ServiceSettings()) -> int:
    require(staff, Action.WORK_CASES)
    if kind not in CASE_KINDS:
        raise CaseError("unknown_case_kind", f"{kind!r} is not a case type; one of {', '.join(CASE_KINDS)}", kind=kind)
    if source not in SOURCES:
        raise CaseError("unknown_source", f"{source!r} is not where a case comes from", source=source)
    if priority not in PRIORITIES:
        raise CaseError("priority_range", "priority is 1 (high), 2 (normal) or 3 (low)")
    text = summary.strip()
    if not text:
        raise CaseError("summary_empty", "say what the complaint is about")
    begin_write(session)
    if order_id is not None:
        order = session.get(Order, order_id)
        if order is None or (customer_id is not None and order.customer_id != customer_id):
            raise CaseError("order_not_theirs", "that order is not this customer's", order_id=order_id)
    if product_id is not None and (order_id is None or session.scalar(
            select(func.count()).select_from(OrderLine).where(col(OrderLine.order_id) == order_id,
                                                              col(OrderLine.product_id) == product_id)) == 0):
        raise CaseError("line_not_in_order", "that product is not a line of the case's order",
                        order_id=order_id, product_id=product_id)
    if owner is not None and owner != staff.login:
        require(staff, Action.SUPERVISE_QUEUE)
        active_staff(session, owner)
    hours = settings.due_hours(kind) / (2 if priority == 1 else 1)
    case = ServiceCase(customer_id=customer_id, kind=kind, status="open", priority=priority,
                       owner=owner or staff.login, opened_by=staff.login, opened_at=now,
                       due_at=now + timedelta(hours=hours), source=source, source_id=source_id, order_id=order_id,
                       product_id=product_id, summary=text[:2000], contacts=1, resolution="", version=1)
    session.add(case)
    session.flush()
    assert case.id is not None
    return case.id


def cases(session: Session, staff: StaffMember, view: str, now: datetime, limit: int = 500) -> list[CaseRow]:
    """mine: my open cases, due first; team: every open case; overdue: open and past due;
    finished: resolved and closed, newest first."""
    require(staff, Action.WORK_CASES)
    query = _query()
    if view == "mine":
        query = query.where(col(ServiceCase.owner) == staff.login, col(ServiceCase.status).in_(OPEN_STATUSES))
    elif view == "team":
        query = query.where(col(ServiceCase.status).in_(OPEN_STATUSES))
    elif view == "overdue":
        query = query.where(col(ServiceCase.status).in_(OPEN_STATUSES), col(ServiceCase.due_at) < now)
    elif view == "finished":
        query = query.where(col(ServiceCase.status).in_(("resolved", "closed")))
    else:
        raise CaseError("unknown_view", f"{view!r} is not a case list; one of {', '.join(VIEWS)}", view=view)
    # Open cases by due time (an urgent case's is sooner already); finished ones newest first.
    order = (col(ServiceCase.resolved_at).desc(),) if view == "finished" else (col(ServiceCase.due_at),)
    return [_row(r, now) for r in row_tuples(session.execute(query.order_by(*order, col(ServiceCase.id))
                                                             .limit(limit)))]


def open_cases_of(session: Session, staff: StaffMember, customer_id: int, now: datetime) -> list[CaseRow]:
    """The customer's open cases, due first: what a contact with them may be about."""
    require(staff, Action.WORK_CASES)
    query = _query().where(col(ServiceCase.customer_id) == customer_id, col(ServiceCase.status).in_(OPEN_STATUSES))
    return [_row(r, now) for r in row_tuples(session.execute(query.order_by(col(ServiceCase.due_at)).limit(20)))]


def case_detail(session: Session, staff: StaffMember, case_id: int, now: datetime) -> CaseRow:
    require(staff, Action.WORK_CASES)
    row = session.execute(_query().where(col(ServiceCase.id) == case_id)).one_or_none()
    if row is None:
        raise CaseError("no_case", f"case {case_id} does not exist", case_id=case_id)
    return _row(tuple(row), now)


def cases_version(session: Session) -> tuple:
    return tuple(session.execute(select(func.count(), func.max(col(ServiceCase.id)), func.sum(col(ServiceCase.version))
                                        )).one())


def _change(session: Session, staff: StaffMember, loaded: CaseRow, now: datetime, reason: str = "",
            **values: object) -> None:
    """One conditional UPDATE on the version loaded: a case changed meanwhile is refused."""
    begin_write(session)
    if loaded.owner != staff.login and not may(staff, Action.SUPERVISE_QUEUE):
        raise CaseError("case_not_yours", f"case {loaded.case_id} is {loaded.owner}'s; a supervisor can hand it "
                        "to you", case_id=loaded.case_id, owner=loaded.owner)
    changed = session.exec(update(ServiceCase).where(col(ServiceCase.id) == loaded.case_id,
                                                     col(ServiceCase.version) == loaded.version)
                           .values(version=loaded.version + 1, **values)
                           .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise CaseError("case_changed", f"case {loaded.case_id} was changed meanwhile: open it again",
                        case_id=loaded.case_id)
    record_changes(session, staff.login, "service_case", loaded.case_id,
                   [FieldChange(name, getattr(loaded, name, None), value) for name, value in values.items()
                    if name in ("status", "owner", "outcome", "priority")], reason, now)


def set_waiting(session: Session, staff: StaffMember, loaded: CaseRow, waiting: bool, *, now: datetime) -> None:
    if loaded.status not in OPEN_STATUSES:
        raise CaseError("case_finished", f"case {loaded.case_id} is {loaded.status}", case_id=loaded.case_id,
                        status=loaded.status)
    _change(session, staff, loaded, now, status="waiting" if waiting else "open")


def resolve_case(session: Session, staff: StaffMember, loaded: CaseRow, resolution: str, outcome: str, *,
                 now: datetime) -> None:
    if loaded.status not in OPEN_STATUSES:
        raise CaseError("case_finished", f"case {loaded.case_id} is {loaded.status}", case_id=loaded.case_id,
                        status=loaded.status)
    if outcome not in OUTCOMES:
        raise CaseError("unknown_case_outcome", f"{outcome!r} is not an outcome; one of {', '.join(OUTCOMES)}",
                        outcome=outcome)
    if not resolution.strip():
        raise CaseError("resolution_empty", "say how the case was resolved")
    _change(session, staff, loaded, now, status="resolved", resolution=resolution.strip()[:2000], outcome=outcome,
            resolved_at=now)


def close_case(session: Session, staff: StaffMember, loaded: CaseRow, *, now: datetime) -> None:
    if loaded.status != "resolved":
        raise CaseError("resolve_first", f"case {loaded.case_id} is closed once it is resolved",
                        case_id=loaded.case_id)
    _change(session, staff, loaded, now, status="closed", closed_at=now)


def reassign_case(session: Session, staff: StaffMember, loaded: CaseRow, owner: str, *, now: datetime) -> None:
    require(staff, Action.SUPERVISE_QUEUE)
    active_staff(session, owner)
    _change(session, staff, loaded, now, owner=owner)


def reverse_case_order(session: Session, staff: StaffMember, loaded: CaseRow, *, now: datetime) -> PlacedOrder:
    """Cancel or return the order the case is about; the case notes it."""
    if loaded.order_id is None:
        raise CaseError("case_has_no_order", f"case {loaded.case_id} is not about an order", case_id=loaded.case_id)
    _still_open(session, staff, loaded, now)
    reversal = reverse_customer_order(session, staff, loaded.order_id, now=now)
    record_changes(session, staff.login, "service_case", loaded.case_id,
                   [FieldChange("order", loaded.order_number, reversal.number)], "reversed from the case", now)
    return reversal


def goodwill_discount(session: Session, staff: StaffMember, loaded: CaseRow, percent: int, reason: str, *,
                      now: datetime) -> None:
    """The customer's discount, set from the case: the card's rules (cap, reason, audit)."""
    if loaded.customer_id is None:
        raise CaseError("case_has_no_customer", f"case {loaded.case_id} has no customer", case_id=loaded.case_id)
    _still_open(session, staff, loaded, now)
    card = load_card(session, loaded.customer_id)
    save_card(session, staff, card, {"discount_percent": percent}, f"case {loaded.case_id}: {reason}".strip(),
              now=now)


def _still_open(session: Session, staff: StaffMember, loaded: CaseRow, now: datetime) -> None:
    """A step taken from the case (its order, a discount): only on an open case that is the
    agent's (or a supervisor's) and unchanged since loaded; the case's version moves on."""
    if loaded.status not in OPEN_STATUSES:
        raise CaseError("case_finished", f"case {loaded.case_id} is {loaded.status}", case_id=loaded.case_id,
                        status=loaded.status)
    _change(session, staff, loaded, now)


def has_open_case(session: Session, customer_id: int) -> bool:
    return session.scalar(select(col(ServiceCase.id)).where(col(ServiceCase.customer_id) == customer_id,
                                                            col(ServiceCase.status).in_(OPEN_STATUSES)).limit(1)) \
        is not None
