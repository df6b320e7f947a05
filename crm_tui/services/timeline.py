"""A customer's timeline: callback requests and every call attempt, contacts logged from the
card, contact messages, cases, orders with each status change, offers made, visits to the web
shop. Newest first."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CallbackAttempt, OfferMade, ServiceCase, ServiceContact
from crm_tui.services.visits import customer_visits
from crm_tui.shop.models import CallbackRequest, ContactMessage, Order, OrderStatusChange, Product

PAGE = 50


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # request, call, contact, message, case, order, order status, offer
    who: str  # the agent for a call or contact; the customer otherwise
    what: str  # an outcome, a kind, a status
    detail: str
    duration_seconds: int | None = None
    satisfaction: int | None = None
    amount_cents: int | None = None  # an order's total
    codes: tuple[str, ...] = ()  # the product's own words (channel, case type, reason...) the screen translates


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def _codes(*codes: str | None) -> tuple[str, ...]:
    return tuple(code for code in codes if code)


def customer_timeline(session: Session, customer_id: int, limit: int = PAGE, offset: int = 0) -> list[TimelineEntry]:
    """One page, newest first: `offset` entries skipped. Each kind reads at most offset + limit
    of its newest rows (an index range), so a page costs the same for every customer."""
    n = offset + limit
    entries = [
        TimelineEntry(r.requested_at, "request", "", r.outcome or str(r.status), r.note)
        for r in session.scalars(select(CallbackRequest).where(col(CallbackRequest.customer_id) == customer_id)
                                 .order_by(col(CallbackRequest.requested_at).desc()).limit(n))]
    entries += [
        TimelineEntry(a.started_at, "call", a.staff_login, a.outcome, _joined(a.note, a.feedback),
                      int((a.ended_at - a.started_at).total_seconds()), a.satisfaction,
                      codes=_codes(a.feedback_kind if a.feedback else None, a.lost_reason))
        for a in session.scalars(select(CallbackAttempt).where(col(CallbackAttempt.customer_id) == customer_id)
                                 .order_by(col(CallbackAttempt.started_at).desc()).limit(n))]
    entries += [
        TimelineEntry(c.started_at, "contact", c.staff_login, c.outcome, _joined(c.note, c.feedback),
                      int((c.ended_at - c.started_at).total_seconds()), c.satisfaction,
                      codes=_codes(c.channel, c.direction, c.feedback_kind if c.feedback else None, c.lost_reason))
        for c in session.scalars(select(ServiceContact).where(col(ServiceContact.customer_id) == customer_id)
                                 .order_by(col(ServiceContact.started_at).desc()).limit(n))]
    entries += [
        TimelineEntry(m.received_at, "message", "", str(m.kind), _joined(m.text, m.answer and f"→ {m.answer}"))
        for m in session.scalars(select(ContactMessage).where(col(ContactMessage.customer_id) == customer_id)
                                 .order_by(col(ContactMessage.received_at).desc()).limit(n))]
    for case in session.scalars(select(ServiceCase).where(col(ServiceCase.customer_id) == customer_id)
                                .order_by(col(ServiceCase.opened_at).desc()).limit(n)):
        entries.append(TimelineEntry(case.opened_at, "case", case.owner, "opened", f"#{case.id}: {case.summary}",
                                     codes=(case.kind,)))
        if case.resolved_at is not None:
            entries.append(TimelineEntry(case.resolved_at, "case", case.owner, case.outcome or "resolved",
                                         f"#{case.id}: {case.resolution}"))
    entries += [
        TimelineEntry(placed_at, "order", taken_by or "", str(status), number, amount_cents=total)
        for number, placed_at, status, taken_by, total in row_tuples(session.execute(
            select(col(Order.number), col(Order.placed_at), col(Order.status), col(Order.taken_by),
                   col(Order.total_cents)).where(col(Order.customer_id) == customer_id)
            .order_by(col(Order.placed_at).desc()).limit(n)))]
    entries += [
        TimelineEntry(at, "order status", changed_by, str(status), _joined(number, carrier, tracking))
        for at, status, changed_by, carrier, tracking, number in row_tuples(session.execute(
            select(col(OrderStatusChange.at), col(OrderStatusChange.status), col(OrderStatusChange.changed_by),
                   col(OrderStatusChange.carrier), col(OrderStatusChange.tracking_number), col(Order.number))
            .join(Order, col(Order.id) == col(OrderStatusChange.order_id))
            .where(col(Order.customer_id) == customer_id)
            .order_by(col(OrderStatusChange.at).desc()).limit(n)))]
    entries += [
        TimelineEntry(made_at, "offer", made_by, rule, _joined(name, channel))
        for made_at, made_by, rule, channel, name in row_tuples(session.execute(
            select(col(OfferMade.made_at), col(OfferMade.made_by), col(OfferMade.rule), col(OfferMade.channel),
                   col(Product.name)).join(Product, col(Product.id) == col(OfferMade.product_id))
            .where(col(OfferMade.customer_id) == customer_id)
            .order_by(col(OfferMade.made_at).desc()).limit(n)))]
    entries += [
        TimelineEntry(v.started_at, "visit", "web", "ordered" if v.ordered else "browsed",
                      _joined(f"{v.pages} p.", ", ".join(v.products_viewed)),
                      int((v.ended_at - v.started_at).total_seconds()))
        for v in customer_visits(session, customer_id, limit=n)]
    return sorted(entries, key=lambda e: e.at, reverse=True)[offset:n]
