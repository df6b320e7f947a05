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
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlmodel import Session, col

from crm_tui.db import row_tuple, row_tuples
from crm_tui.services.lost_customers import LostMonth, lost_by_month, lost_customers
from crm_tui.services.policy import Action, require
from crm_tui.services.reports import Period, product_rollup
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings, ServiceSettings
from crm_tui.shop.models import Product
from crm_tui.shop.types import db_datetime
from crm_tui.sql_dialect import seconds_between


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
                   queue: QueueSettings = QueueSettings(), settings: ServiceSettings = ServiceSettings(),
                   now: datetime | None = None) -> QualityReport:
    """`first` and `last` are UTC midnights of the first and last day; `now` (when the range
    runs into the future) is when unanswered messages are judged, not the range's end."""
    require(staff, Action.SERVICE_QUALITY)
    conn = session.connection()
    start, end = first, last + timedelta(days=1)
    report = QualityReport(first, last)
    _satisfaction_and_complaints(session, report, start, end)
    report.orders = session.scalar(text("SELECT coalesce(sum(orders), 0) FROM sales_day WHERE day >= :a AND day < :b"),
                                   {"a": f"{start:%Y-%m-%d}", "b": f"{end:%Y-%m-%d}"}) or 0
    _cases(session, report, start, end)
    _callbacks(session, report, start, end, queue)
    _inbox(session, report, start, end, settings, min(end, now) if now else end)
    report.returns = _returns(session, conn, start, end)
    report.lost = lost_by_month(lost_customers(session, staff, first, last, settings))
    return report


def _satisfaction_and_complaints(session: Session, report: QualityReport, start: datetime, end: datetime) -> None:
    """Scores and complaints of the calls and contacts that ended in the range, from their
    daily roll-up (service_day, kept by triggers); the days are summed into ISO weeks here."""
    rows = row_tuples(session.execute(text(
        "SELECT day, score, said, complaints FROM service_day WHERE day >= :a AND day < :b"),
        {"a": f"{start:%Y-%m-%d}", "b": f"{end:%Y-%m-%d}"}).all())
    weeks: dict[str, list[int]] = {}
    for day, score, n, complaints in rows:
        report.complaints += complaints
        if not score:
            continue  # complaints that gave no score
        report.scores[score] += n
        year, week, _ = date.fromisoformat(day).isocalendar()
        total = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
        total[0] += score * n
        total[1] += n
    report.weekly_satisfaction = [(week, points / n, n) for week, (points, n) in sorted(weeks.items())]


def _bounds(conn, start: datetime, end: datetime) -> dict[str, object]:
    return {"a": db_datetime(conn, start), "b": db_datetime(conn, end)}


def _cases(session: Session, report: QualityReport, start: datetime, end: datetime) -> None:
    conn = session.connection()
    resolved, within, first_contact = row_tuple(session.execute(text(
        "SELECT count(*), coalesce(sum(CASE WHEN resolved_at <= due_at THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN contacts <= 1 THEN 1 ELSE 0 END), 0) FROM service_case "
        "WHERE resolved_at >= :a AND resolved_at < :b"), _bounds(conn, start, end)).one())
    report.cases_resolved, report.cases_within_target = resolved, within
    report.matters_closed += resolved
    report.first_contact += first_contact
    if resolved:  # the median: the middle one or two durations, read in order
        middle = row_tuples(session.execute(text(
            f"SELECT {seconds_between(conn, 'resolved_at', 'opened_at')} AS took FROM service_case "
            "WHERE resolved_at >= :a AND resolved_at < :b ORDER BY took LIMIT :n OFFSET :skip"),
            _bounds(conn, start, end) | {"n": 2 - resolved % 2, "skip": (resolved - 1) // 2}).all())
        report.median_resolution_hours = statistics.mean(took for took, in middle) / 3600


def _callbacks(session: Session, report: QualityReport, start: datetime, end: datetime,
               queue: QueueSettings) -> None:
    """Callbacks first called in the range, and how soon (recorded with their first call)."""
    conn = session.connection()
    called, within = row_tuple(session.execute(text(
        "SELECT count(*), coalesce(sum(CASE WHEN first_call_seconds <= :target THEN 1 ELSE 0 END), 0) "
        "FROM callback_request WHERE first_called_at >= :a AND first_called_at < :b"),
        _bounds(conn, start, end) | {"target": queue.target_minutes * 60}).one())
    report.callbacks_called, report.callbacks_within_target = called, within
    closed, first_contact = row_tuple(session.execute(text(
        "SELECT count(*), coalesce(sum(CASE WHEN attempts <= 1 THEN 1 ELSE 0 END), 0) FROM callback_request "
        "WHERE closed_at >= :a AND closed_at < :b AND outcome IN ('resolved', 'ordered')"),
        _bounds(conn, start, end)).one())
    report.matters_closed += closed
    report.first_contact += first_contact


def _inbox(session: Session, report: QualityReport, start: datetime, end: datetime,
           settings: ServiceSettings, judged_at: datetime) -> None:
    """Messages answered, or older than the target at the range's end (closed unanswered ones
    owed nothing), and the complaints among all received: one pass over their covering index."""
    conn = session.connection()
    target = settings.inbox_target_hours * 3600
    owed = (f"NOT (status = 'closed' AND answered_at IS NULL) AND (answered_at IS NOT NULL "
            f"OR {seconds_between(conn, ':judged', 'received_at')} >= :target)")
    in_time = f"answered_at IS NOT NULL AND {seconds_between(conn, 'answered_at', 'received_at')} <= :target"
    due, within, complaints = row_tuple(session.execute(text(f"""
        SELECT coalesce(sum(CASE WHEN {owed} THEN 1 ELSE 0 END), 0),
               coalesce(sum(CASE WHEN {owed} AND {in_time} THEN 1 ELSE 0 END), 0),
               coalesce(sum(CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END), 0)
        FROM contact_message WHERE received_at >= :a AND received_at < :b"""),
        _bounds(conn, start, end) | {"target": target, "judged": db_datetime(conn, judged_at)}).one())
    report.messages_due, report.messages_within_target = due, within
    report.complaints += complaints  # a message of kind complaint is one


def _net_units(session: Session, period: Period, product_ids: list[int]) -> dict[int, int]:
    """Net units per product over the period, read from the sales roll-ups as the reports do."""
    wanted = ",".join(str(int(p)) for p in product_ids)
    product_sales, params = product_rollup(period, f" AND product_id IN ({wanted})")
    return dict(row_tuples(session.execute(text(
        f"SELECT product_id, sum(units) FROM ({product_sales}) s GROUP BY 1"), params).all()))


def _returns(session: Session, conn, start: datetime, end: datetime, top: int = 10) -> list[ProductReturns]:
    reversed_units = row_tuples(session.execute(text(
        "SELECT l.product_id, sum(CASE WHEN o.status = 'returned' THEN -l.quantity ELSE 0 END), sum(-l.quantity) "
        "FROM shop_order o JOIN order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id "
        "WHERE o.cancels_order_id IS NOT NULL AND o.placed_at >= :a AND o.placed_at < :b AND p.kind = 'product' "
        "GROUP BY 1"),
        {"a": db_datetime(conn, start), "b": db_datetime(conn, end)}))
    returned = {product_id: (r, all_reversed) for product_id, r, all_reversed in reversed_units if r}
    if not returned:
        return []
    net = _net_units(session, Period(start.date(), (end - timedelta(days=1)).date()), list(returned))
    names = {p: (sku, name) for p, sku, name in row_tuples(session.execute(
        select(col(Product.id), col(Product.sku), col(Product.name)).where(col(Product.id).in_(returned))))}
    rows = [ProductReturns(*names[p], (net.get(p) or 0) + all_reversed, r) for p, (r, all_reversed) in returned.items()]
    return sorted(rows, key=lambda r: (-r.rate, -r.returned, r.sku))[:top]
