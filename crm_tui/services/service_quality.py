"""Service-quality indices (seed 001) over a range of days [first, last], each with its formula:

- satisfaction: the average of the 1-5 scores given on calls and logged contacts that ended in
  the range, their distribution, and both per ISO week;
- complaints per 1,000 orders: complaints (calls' and contacts' complaint feedback, and contact
  messages of kind complaint, in the range) x 1000 / orders placed in the range (the sales
  roll-up's order count);
- cases within target: of the cases resolved in the range, the share resolved by their due
  time; and the median hours from opening to resolution;
- first-contact resolution: of the callbacks closed resolved or ordered and the cases resolved
  in the range, the share closed on their first contact (one attempt; one contact on the case);
- callbacks within target: of the callbacks first called in the range, the share first called
  within the target minutes of becoming due (requested, or their window's start);
- inbox within target: of the messages received in the range and answered or older than the
  target, the share answered within the target hours;
- returns per product: units returned (return documents in the range) / units sold (the
  roll-up's net units plus the units cancelled or returned), the highest rates first;
- lost customers per month (lost_customers).
Every figure reads small tables (calls, contacts, messages, cases, returns) or the roll-ups.
"""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, union_all
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import CallbackAttempt, ServiceCase, ServiceContact
from crm_tui.services.lost_customers import LostMonth, lost_by_month, lost_customers
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings, ServiceSettings
from crm_tui.shop.models import CallbackRequest, ContactKind, ContactMessage, MessageStatus, Product
from crm_tui.shop.types import db_datetime


@dataclass(frozen=True)
class ProductReturns:
    sku: str
    name: str
    sold: int
    returned: int

    @property
    def rate(self) -> float:
        return self.returned / self.sold if self.sold else 0.0


@dataclass
class QualityReport:
    first: datetime
    last: datetime
    scores: Counter = field(default_factory=Counter)  # score -> how many
    weekly_satisfaction: list[tuple[str, float, int]] = field(default_factory=list)  # week, average, scores
    complaints: int = 0
    orders: int = 0
    cases_resolved: int = 0
    cases_within_target: int = 0
    median_resolution_hours: float | None = None
    matters_closed: int = 0
    first_contact: int = 0
    callbacks_called: int = 0
    callbacks_within_target: int = 0
    messages_due: int = 0
    messages_within_target: int = 0
    returns: list[ProductReturns] = field(default_factory=list)
    lost: list[LostMonth] = field(default_factory=list)

    @property
    def satisfaction(self) -> float | None:
        n = sum(self.scores.values())
        return sum(s * k for s, k in self.scores.items()) / n if n else None

    @property
    def complaints_per_1000_orders(self) -> float | None:
        return self.complaints * 1000 / self.orders if self.orders else None

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None


def quality_report(session: Session, staff: StaffMember, first: datetime, last: datetime,
                   queue: QueueSettings = QueueSettings(),
                   settings: ServiceSettings = ServiceSettings()) -> QualityReport:
    """`first` and `last` are UTC midnights of the first and last day."""
    require(staff, Action.SERVICE_QUALITY)
    conn = session.connection()
    start, end = first, last + timedelta(days=1)
    report = QualityReport(first, last)
    _satisfaction(session, report, start, end)
    report.complaints = sum(session.scalar(q) or 0 for q in (
        select(func.count()).select_from(CallbackAttempt).where(
            col(CallbackAttempt.feedback_kind) == "complaint", col(CallbackAttempt.ended_at) >= start,
            col(CallbackAttempt.ended_at) < end),
        select(func.count()).select_from(ServiceContact).where(
            col(ServiceContact.feedback_kind) == "complaint", col(ServiceContact.ended_at) >= start,
            col(ServiceContact.ended_at) < end),
        select(func.count()).select_from(ContactMessage).where(
            col(ContactMessage.kind) == ContactKind.COMPLAINT, col(ContactMessage.received_at) >= start,
            col(ContactMessage.received_at) < end)))
    report.orders = session.scalar(text("SELECT coalesce(sum(orders), 0) FROM sales_day WHERE day >= :a AND day < :b"),
                                   {"a": f"{start:%Y-%m-%d}", "b": f"{end:%Y-%m-%d}"}) or 0
    _cases(session, report, start, end)
    _callbacks(session, report, start, end, queue)
    _inbox(session, report, start, end, settings)
    report.returns = _returns(session, conn, start, end)
    report.lost = lost_by_month(lost_customers(session, staff, first, last, settings))
    return report


def _satisfaction(session: Session, report: QualityReport, start: datetime, end: datetime) -> None:
    scores = union_all(
        select(col(CallbackAttempt.ended_at).label("at"), col(CallbackAttempt.satisfaction).label("score"))
        .where(col(CallbackAttempt.satisfaction).is_not(None), col(CallbackAttempt.ended_at) >= start,
               col(CallbackAttempt.ended_at) < end),
        select(col(ServiceContact.ended_at), col(ServiceContact.satisfaction))
        .where(col(ServiceContact.satisfaction).is_not(None), col(ServiceContact.ended_at) >= start,
               col(ServiceContact.ended_at) < end)).subquery()
    weeks: dict[str, list[int]] = {}
    for at, score in row_tuples(session.execute(select(scores.c.at, scores.c.score))):
        report.scores[score] += 1
        year, week, _ = at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", []).append(score)
    report.weekly_satisfaction = [(week, sum(s) / len(s), len(s)) for week, s in sorted(weeks.items())]


def _cases(session: Session, report: QualityReport, start: datetime, end: datetime) -> None:
    hours = []
    for opened_at, due_at, resolved_at, contacts in row_tuples(session.execute(
            select(col(ServiceCase.opened_at), col(ServiceCase.due_at), col(ServiceCase.resolved_at),
                   col(ServiceCase.contacts))
            .where(col(ServiceCase.resolved_at) >= start, col(ServiceCase.resolved_at) < end))):
        report.cases_resolved += 1
        report.cases_within_target += resolved_at <= due_at
        report.matters_closed += 1
        report.first_contact += contacts <= 1
        hours.append((resolved_at - opened_at).total_seconds() / 3600)
    report.median_resolution_hours = statistics.median(hours) if hours else None


def _callbacks(session: Session, report: QualityReport, start: datetime, end: datetime,
               queue: QueueSettings) -> None:
    first_call = (select(col(CallbackAttempt.callback_id), func.min(col(CallbackAttempt.started_at)).label("first"))
                  .group_by(col(CallbackAttempt.callback_id)).subquery())
    for requested_at, window_from, first in row_tuples(session.execute(
            select(col(CallbackRequest.requested_at), col(CallbackRequest.window_from), first_call.c.first)
            .join(first_call, first_call.c.callback_id == col(CallbackRequest.id))
            .where(first_call.c.first >= start, first_call.c.first < end))):
        due = max(requested_at, window_from) if window_from else requested_at
        report.callbacks_called += 1
        report.callbacks_within_target += first <= due + timedelta(minutes=queue.target_minutes)
    for attempts, in row_tuples(session.execute(
            select(col(CallbackRequest.attempts)).where(
                col(CallbackRequest.outcome).in_(("resolved", "ordered")), col(CallbackRequest.closed_at) >= start,
                col(CallbackRequest.closed_at) < end))):
        report.matters_closed += 1
        report.first_contact += attempts <= 1


def _inbox(session: Session, report: QualityReport, start: datetime, end: datetime,
           settings: ServiceSettings) -> None:
    target = timedelta(hours=settings.inbox_target_hours)
    now = max(end, start)
    for received_at, answered_at, status in row_tuples(session.execute(
            select(col(ContactMessage.received_at), col(ContactMessage.answered_at), col(ContactMessage.status))
            .where(col(ContactMessage.received_at) >= start, col(ContactMessage.received_at) < end))):
        if status == MessageStatus.CLOSED and answered_at is None:
            continue  # closed without an answer: nothing was owed
        answered_in_time = answered_at is not None and answered_at - received_at <= target
        if answered_at is None and received_at + target > now:
            continue  # still within its target
        report.messages_due += 1
        report.messages_within_target += answered_in_time


def _returns(session: Session, conn, start: datetime, end: datetime, top: int = 10) -> list[ProductReturns]:
    reversed_units = row_tuples(session.execute(text(
        "SELECT l.product_id, sum(CASE WHEN o.status = 'returned' THEN -l.quantity ELSE 0 END), sum(-l.quantity) "
        "FROM shop_order o JOIN order_line l ON l.order_id = o.id "
        "WHERE o.cancels_order_id IS NOT NULL AND o.placed_at >= :a AND o.placed_at < :b "
        "AND l.product_id IN (SELECT id FROM product WHERE kind = 'product') GROUP BY 1"),
        {"a": db_datetime(conn, start), "b": db_datetime(conn, end)}))
    returned = {product_id: (r, all_reversed) for product_id, r, all_reversed in reversed_units if r}
    if not returned:
        return []
    net = dict(row_tuples(session.execute(text(
        "SELECT product_id, sum(units) FROM sales_product_day WHERE day >= :a AND day < :b "
        f"AND product_id IN ({','.join(str(int(p)) for p in returned)}) GROUP BY 1"),
        {"a": f"{start:%Y-%m-%d}", "b": f"{end:%Y-%m-%d}"}).all()))
    names = {p: (sku, name) for p, sku, name in row_tuples(session.execute(
        select(col(Product.id), col(Product.sku), col(Product.name)).where(col(Product.id).in_(returned))))}
    rows = [ProductReturns(*names[p], (net.get(p) or 0) + all_reversed, r) for p, (r, all_reversed) in returned.items()]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.sku))[:top]
