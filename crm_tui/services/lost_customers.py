"""Lost customers (seed 001): customers who were regular (at least `regular_purchases`
purchases) and have bought nothing for `lapse_days`, counted in the month they lapsed (their
last purchase + lapse_days), with the reason they gave when known (the latest "declined" or
"lost" contact or call), their last case and last satisfaction score, and the value lost:
their net value with the shop (what a regular customer of theirs brought in).

Read from the RFM table of the last marketing refresh (recency, frequency and value per
customer), so it costs one pass over it and is as of that refresh."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, union_all
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CallbackAttempt, CustomerRfm, ServiceCase, ServiceContact
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
                   settings: ServiceSettings = ServiceSettings()) -> list[LostCustomer]:
    """Those who lapsed between first and last (inclusive days), oldest lapse first."""
    require(staff, Action.SERVICE_QUALITY)
    rows = row_tuples(session.execute(
        select(col(CustomerRfm.customer_id), col(Customer.customer_number), col(Customer.first_name),
               col(Customer.last_name), col(CustomerRfm.recency_days), col(CustomerRfm.frequency),
               col(CustomerRfm.monetary_cents), col(CustomerRfm.computed_at))
        .join(Customer, col(Customer.id) == col(CustomerRfm.customer_id))
        .where(col(CustomerRfm.frequency) >= settings.regular_purchases,
               col(CustomerRfm.recency_days) >= settings.lapse_days)))
    found = []
    for customer_id, number, first_name, last_name, recency, frequency, monetary, computed in rows:
        last_purchase = computed - timedelta(days=recency)
        lapsed_on = last_purchase + timedelta(days=settings.lapse_days)
        if not first <= lapsed_on < last + timedelta(days=1):
            continue
        found.append((customer_id, number, f"{first_name} {last_name}".strip(), lapsed_on, frequency, monetary))
    details = _details(session, [f[0] for f in found])
    result = []
    for customer_id, number, name, lapsed_on, frequency, monetary in found:
        reason, case, score = details.get(customer_id, (None, None, None))
        result.append(LostCustomer(customer_id, number, name, lapsed_on, frequency, monetary, reason, case, score))
    return sorted(result, key=lambda c: (c.lapsed_on, c.customer_id))


def _details(session: Session, ids: list[int]) -> dict[int, tuple]:
    details: dict[int, tuple] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        reasons = union_all(
            select(col(CallbackAttempt.customer_id).label("c"), col(CallbackAttempt.ended_at).label("at"),
                   col(CallbackAttempt.lost_reason).label("reason"), col(CallbackAttempt.satisfaction).label("s"))
            .where(col(CallbackAttempt.customer_id).in_(chunk)),
            select(col(ServiceContact.customer_id), col(ServiceContact.ended_at), col(ServiceContact.lost_reason),
                   col(ServiceContact.satisfaction)).where(col(ServiceContact.customer_id).in_(chunk))).subquery()
        for customer_id, _, reason, score in row_tuples(session.execute(
                select(reasons.c.c, reasons.c.at, reasons.c.reason, reasons.c.s).order_by(reasons.c.at))):
            old = details.get(customer_id, (None, None, None))
            details[customer_id] = (reason or old[0], None, score if score is not None else old[2])
        for customer_id, kind, outcome, status in row_tuples(session.execute(
                select(col(ServiceCase.customer_id), col(ServiceCase.kind), col(ServiceCase.outcome),
                       col(ServiceCase.status)).where(col(ServiceCase.customer_id).in_(chunk))
                .order_by(col(ServiceCase.opened_at)))):
            old = details.get(customer_id, (None, None, None))
            details[customer_id] = (old[0], f"{kind} ({outcome or status})", old[2])
    return details


def lost_by_month(customers: list[LostCustomer]) -> list[LostMonth]:
    months: dict[str, LostMonth] = {}
    for c in customers:
        month = months.setdefault(f"{c.lapsed_on:%Y-%m}", LostMonth(f"{c.lapsed_on:%Y-%m}"))
        month.customers += 1
        month.value_lost_cents += c.value_lost_cents
        month.reasons[c.reason or "unknown"] += 1
    return [months[m] for m in sorted(months)]
