"""Lost customers (seed 001): customers who were regular (at least `regular_purchases`
purchases) and have bought nothing for `lapse_days`, counted in the month they lapsed (their
last purchase + lapse_days), with the reason they gave when known (the latest "declined" or
"lost" contact or call), their last case and last satisfaction score, and the value lost:
their net value with the shop (what a regular customer of theirs brought in).

Read from the RFM table of the last marketing refresh (recency, frequency and value per
customer), so it costs one pass over it and is as of that refresh."""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, union_all
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CallbackAttempt, CustomerRfm, ServiceCase, ServiceContact
from crm_tui.services.names import customer_name
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.settings import ServiceSettings
from crm_tui.shop.models import Customer


@dataclass(frozen=True)
class LostCustomer:
    customer_id: int
    customer_number: str
    name: str
    lapsed_on: datetime
    purchases: int
    value_lost_cents: int
    reason: str | None
    last_case: str | None
    last_satisfaction: int | None


@dataclass
class LostMonth:
    month: str
    customers: int = 0
    value_lost_cents: int = 0
    reasons: Counter = field(default_factory=Counter)


def lost_customers(session: Session, staff: StaffMember, first: datetime, last: datetime,
                   settings: ServiceSettings = ServiceSettings(), details: bool = False) -> list[LostCustomer]:
    """Those who lapsed between first and last (inclusive days), oldest lapse first, with their
    reason; `details` adds their number, name, last case and last score (the report's rows)."""
    require(staff, Action.SERVICE_QUALITY)
    computed = session.scalar(select(col(CustomerRfm.computed_at)).limit(1))
    if computed is None:
        return []
    # lapsed on = computed - recency + lapse, inside [first, last + 1 day): a range of whole
    # recency days, read from the recency index.
    lapse = timedelta(days=settings.lapse_days)
    highest = math.floor((computed + lapse - first) / timedelta(days=1))
    lowest = math.floor((computed + lapse - last - timedelta(days=1)) / timedelta(days=1)) + 1
    rows = row_tuples(session.execute(
        select(col(CustomerRfm.customer_id), col(CustomerRfm.recency_days), col(CustomerRfm.frequency),
               col(CustomerRfm.monetary_cents))
        .where(col(CustomerRfm.recency_days).between(max(lowest, settings.lapse_days), highest),
               col(CustomerRfm.frequency) >= settings.regular_purchases)).all())
    found = [(customer_id, computed - timedelta(days=recency) + lapse, frequency, monetary)
             for customer_id, recency, frequency, monetary in rows
             if first <= computed - timedelta(days=recency) + lapse < last + timedelta(days=1)]
    reasons = _reasons(session)
    about = _details(session, [f[0] for f in found]) if details else {}
    result = []
    for customer_id, lapsed_on, frequency, monetary in found:
        number, name, case, score = about.get(customer_id, ("", "", None, None))
        result.append(LostCustomer(customer_id, number, name, lapsed_on, frequency, monetary,
                                   reasons.get(customer_id), case, score))
    return sorted(result, key=lambda c: (c.lapsed_on, c.customer_id))


def _reasons(session: Session) -> dict[int, str]:
    """Each customer's latest lost reason (calls and contacts that ended "declined" or "lost")."""
    said = union_all(
        select(col(CallbackAttempt.customer_id).label("c"), col(CallbackAttempt.ended_at).label("at"),
               col(CallbackAttempt.lost_reason).label("reason"))
        .where(col(CallbackAttempt.lost_reason).is_not(None), col(CallbackAttempt.customer_id).is_not(None)),
        select(col(ServiceContact.customer_id), col(ServiceContact.ended_at), col(ServiceContact.lost_reason))
        .where(col(ServiceContact.lost_reason).is_not(None))).subquery()
    return {customer_id: reason for customer_id, _, reason in row_tuples(session.execute(
        select(said.c.c, said.c.at, said.c.reason).order_by(said.c.at)).all())}


def _details(session: Session, ids: list[int]) -> dict[int, tuple]:
    """customer id -> (number, name, last case, last satisfaction score)."""
    details: dict[int, tuple] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for customer_id, number, first, last in row_tuples(session.execute(
                select(col(Customer.id), col(Customer.customer_number), col(Customer.first_name),
                       col(Customer.last_name)).where(col(Customer.id).in_(chunk)))):
            details[customer_id] = (number, customer_name(first, last, number), None, None)
        scores = union_all(
            select(col(CallbackAttempt.customer_id).label("c"), col(CallbackAttempt.ended_at).label("at"),
                   col(CallbackAttempt.satisfaction).label("s"))
            .where(col(CallbackAttempt.customer_id).in_(chunk), col(CallbackAttempt.satisfaction).is_not(None)),
            select(col(ServiceContact.customer_id), col(ServiceContact.ended_at), col(ServiceContact.satisfaction))
            .where(col(ServiceContact.customer_id).in_(chunk), col(ServiceContact.satisfaction).is_not(None))
        ).subquery()
        for customer_id, _, score in row_tuples(session.execute(
                select(scores.c.c, scores.c.at, scores.c.s).order_by(scores.c.at))):
            number, name, case, _ = details[customer_id]
            details[customer_id] = (number, name, case, score)
        for customer_id, kind, outcome, status in row_tuples(session.execute(
                select(col(ServiceCase.customer_id), col(ServiceCase.kind), col(ServiceCase.outcome),
                       col(ServiceCase.status)).where(col(ServiceCase.customer_id).in_(chunk))
                .order_by(col(ServiceCase.opened_at)))):
            number, name, _, score = details[customer_id]
            details[customer_id] = (number, name, f"{kind} ({outcome or status})", score)
    return details


def lost_by_month(customers: list[LostCustomer]) -> list[LostMonth]:
    months: dict[str, LostMonth] = {}
    for c in customers:
        key = c.lapsed_on.strftime("%Y-%m")
        month = months.get(key) or months.setdefault(key, LostMonth(key))
        month.customers += 1
        month.value_lost_cents += c.value_lost_cents
        month.reasons[c.reason or "unknown"] += 1
    return [months[m] for m in sorted(months)]
