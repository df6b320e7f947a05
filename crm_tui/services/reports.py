"""Supervisor reports, read from the sales roll-ups (crm_tui/rollups.py), never from the raw
lines: a range is whole months from the monthly roll-ups plus the days at either end from the
daily ones. Days and months are UTC; money is integer cents.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from crm_tui.db import row_tuple, row_tuples
from crm_tui.services.names import customer_name
from crm_tui.sql_dialect import unindexed


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    def split(self) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
        """(day ranges at the ends, whole months first..last as 'YYYY-MM' or None)."""
        start_month = self.first if self.first.day == 1 else _next_month(self.first)
        end_month = _month_start(self.last) if _next_day(self.last).day != 1 else _next_month(self.last)
        if start_month >= end_month:
            return [(self.first.isoformat(), self.last.isoformat())], None
        edges = []
        if self.first < start_month:
            edges.append((self.first.isoformat(), (start_month - timedelta(days=1)).isoformat()))
        if end_month <= self.last:
            edges.append((end_month.isoformat(), self.last.isoformat()))
        return edges, (start_month.isoformat()[:7], (end_month - timedelta(days=1)).isoformat()[:7])


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def period_of_data(session: Session) -> Period | None:
    first, last = row_tuple(session.execute(text("SELECT min(day), max(day) FROM sales_day")).one())
    return Period(date.fromisoformat(first), date.fromisoformat(last)) if first else None


# --- monthly -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: str
    orders: int
    units: int
    gross_cents: int
    cancellations_cents: int
    net_cents: int
    customers: int
    new_customers: int


def monthly(session: Session, period: Period, country: str | None = None) -> list[MonthRow]:
    where, params = IN_PERIOD, _params(period, country)
    if country is not None:
        where += " AND country = :country"
    sales = row_tuples(session.execute(text(
        "SELECT substr(day, 1, 7), sum(orders), sum(units), sum(gross_cents), sum(cancel_cents), sum(net_cents) "
        f"FROM sales_day WHERE {where} GROUP BY 1 ORDER BY 1"), params).all())
    customers = _customers_per_month(session, period, country)
    new = _new_customers_per_month(session, period, country)
    return [MonthRow(m, o, u, g, c, n, customers.get(m, 0), new.get(m, 0)) for m, o, u, g, c, n in sales]


def _customers_per_month(session: Session, period: Period, country: str | None) -> dict[str, int]:
    """Distinct customers with an order, per month: whole months from the monthly roll-up,
    the months cut by the range from the daily one."""
    edges, months = period.split()
    join = "JOIN customer c ON c.id = s.customer_id AND c.country = :country" if country is not None else ""
    found: dict[str, int] = {}
    params = {"country": country}
    if months:
        in_country = " AND country = :country" if country is not None else ""
        found |= {m: n for m, n in row_tuples(session.execute(text(
            "SELECT month, sum(customers) FROM sales_month_customers "
            f"WHERE month BETWEEN :a AND :b{in_country} GROUP BY 1"), params | {"a": months[0], "b": months[1]}))}
    for a, b in edges:
        found |= {m: n for m, n in row_tuples(session.execute(text(
            f"SELECT substr(s.day, 1, 7), count(DISTINCT s.customer_id) FROM sales_customer_day s {join} "
            "WHERE s.day BETWEEN :a AND :b AND s.orders > 0 GROUP BY 1"), params | {"a": a, "b": b}))}
    return found


def _new_customers_per_month(session: Session, period: Period, country: str | None) -> dict[str, int]:
    """Customers whose first purchase falls in the period, per month: whole months from
    customer_first_purchase; in a month the range cuts, those who bought on its days, whose first
    purchase month it is, and who had bought nothing earlier that month."""
    edges, months = period.split()
    in_country = "JOIN customer c ON c.id = f.customer_id AND c.country = :country " if country is not None else ""
    found: dict[str, int] = {}
    if months:
        found |= {m: n for m, n in row_tuples(session.execute(text(
            f"SELECT f.month, count(*) FROM customer_first_purchase f {in_country}"
            "WHERE f.month BETWEEN :a AND :b GROUP BY 1"), {"a": months[0], "b": months[1], "country": country}))}
    for a, b in (piece for edge in edges for piece in _by_month(*edge)):
        month = a[:7]
        n: int = session.execute(text(
            "SELECT count(*) FROM (SELECT DISTINCT customer_id FROM sales_customer_day "
            "WHERE day BETWEEN :a AND :b AND orders > 0) s "
            f"JOIN customer_first_purchase f ON f.customer_id = s.customer_id AND f.month = :month {in_country}"
            "WHERE NOT EXISTS (SELECT 1 FROM sales_customer_day e WHERE e.customer_id = s.customer_id "
            "AND e.day >= :month_start AND e.day < :a AND e.orders > 0)"),
            {"a": a, "b": b, "month": month, "month_start": f"{month}-01", "country": country}).scalar_one()
        if n:
            found[month] = n
    return found


def _by_month(first: str, last: str) -> list[tuple[str, str]]:
    """A range of days ('YYYY-MM-DD', inclusive) cut at month ends: a range inside no whole month
    can still span two (15 January to 10 February)."""
    pieces, start, end = [], date.fromisoformat(first), date.fromisoformat(last)
    while start <= end:
        month_end = _next_month(start) - timedelta(days=1)
        pieces.append((start.isoformat(), min(month_end, end).isoformat()))
        start = month_end + timedelta(days=1)
    return pieces


IN_PERIOD = "day BETWEEN :first_day AND :last_day"  # with _params


def _params(period: Period, country: str | None = None) -> dict:
    return {"first_day": period.first.isoformat(), "last_day": period.last.isoformat(),
            "first_month": period.first.isoformat()[:7], "last_month": period.last.isoformat()[:7],
            "country": country}


# --- top lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    sku: str
    name: str
    category: str
    units: int
    net_cents: int


def product_rollup(period: Period, condition: str = "") -> tuple[str, dict[str, str | None]]:
    """The period's rows of product_id, units and net_cents, as SQL and its parameters: whole
    months from the monthly roll-up, the days at its ends from the daily one. `condition` (e.g.
    " AND country = :country") narrows both."""
    edges, months = period.split()
    parts: list[str] = []
    params: dict[str, str | None] = {}
    if months:
        parts.append("SELECT product_id, units, net_cents FROM sales_product_month "
                     f"WHERE month BETWEEN :m0 AND :m1{condition}")
        params |= {"m0": months[0], "m1": months[1]}
    for n, (a, b) in enumerate(edges):
        parts.append(f"SELECT product_id, units, net_cents FROM sales_product_day WHERE day BETWEEN :a{n} AND :b{n}"
                     f"{condition}")
        params |= {f"a{n}": a, f"b{n}": b}
    return " UNION ALL ".join(parts), params


def top_products(session: Session, period: Period, by: str = "revenue", country: str | None = None,
                 category: str | None = None, limit: int = 10, product_id: int | None = None) -> list[TopProduct]:
    """Merchandise only, net of cancellations, by revenue or by quantity (or one product's figures)."""
    product_sales, params = product_rollup(period, " AND country = :country" if country is not None else "")
    params |= {"country": country}
    order = "2 DESC" if by == "quantity" else "3 DESC"
    category_filter = " AND p.category = :category" if category is not None else ""
    if product_id is not None:
        category_filter += " AND p.id = :product_id"
    rows = row_tuples(session.execute(text(
        f"SELECT s.product_id, sum(s.units), sum(s.net_cents) FROM ({product_sales}) s "
        f"JOIN product p ON p.id = s.product_id AND p.kind = 'product'{category_filter} "
        f"GROUP BY 1 ORDER BY {order}, 1 LIMIT :limit"),
        params | {"category": category, "limit": limit, "product_id": product_id}).all())
    names = {pid: (sku, name, cat) for pid, sku, name, cat in row_tuples(session.execute(text(
        "SELECT id, sku, name, category FROM product WHERE id IN ({})".format(
            ", ".join(str(r[0]) for r in rows) or "NULL"))))}
    return [TopProduct(pid, *names[pid], units, net) for pid, units, net in rows]


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    customer_number: str
    name: str
    country: str
    orders: int
    net_cents: int


def top_customers(session: Session, period: Period, country: str | None = None, limit: int = 10,
                  batch: int = 500) -> list[TopCustomer]:
    """The customers with the most net sales in the period, exactly, without adding up everyone:
    candidates come biggest lifetime gross first (sales_customer_total), and no customer can have
    bought more in a range than their lifetime gross, so the search stops as soon as the last of
    the top `limit` is ahead of the next candidate's lifetime."""
    if (period.last - period.first).days <= SHORT_RANGE_DAYS:
        return _top_customers_adding_up(session, period, country, limit)
    edges, months = period.split()
    parts: list[str] = []
    params: dict[str, str] = {}
    if months:
        parts.append("SELECT customer_id, orders, net_cents FROM sales_customer_month WHERE month BETWEEN :m0 AND :m1 "
                     "AND customer_id IN ({ids})")
        params |= {"m0": months[0], "m1": months[1]}
    for n, (a, b) in enumerate(edges):
        parts.append(f"SELECT customer_id, orders, net_cents FROM sales_customer_day WHERE day BETWEEN :a{n} AND :b{n} "
                     "AND customer_id IN ({ids})")
        params |= {f"a{n}": a, f"b{n}": b}
    in_country = "JOIN customer c ON c.id = t.customer_id AND c.country = :country " if country is not None else ""
    candidates = session.execute(text(
        f"SELECT t.customer_id, t.gross_cents FROM sales_customer_total t {in_country}"
        "ORDER BY t.gross_cents DESC, t.customer_id"), {"country": country})
    best: list[tuple[int, int, int]] = []  # (net, -customer_id, orders), the top `limit`
    while chunk := candidates.fetchmany(batch):
        ids = ", ".join(str(cid) for cid, _ in chunk)
        for cid, orders, net in row_tuples(session.execute(text(
                f"SELECT customer_id, sum(orders), sum(net_cents) FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY 1"
                .replace("{ids}", ids)), params)):
            best.append((net, -cid, orders))
        best = sorted(best, reverse=True)[:limit]
        if len(best) == limit and best[-1][0] >= chunk[-1][1]:
            break  # nobody after this chunk has bought as much as the last of the top, ever
    candidates.close()
    return _named(session, [(-neg_id, orders, net) for net, neg_id, orders in best if net != 0 or orders])


# In a short range most customers bought little of their lifetime: adding everyone up is cheaper
# than walking down the lifetime bound.
SHORT_RANGE_DAYS = 190


def _top_customers_adding_up(session: Session, period: Period, country: str | None, limit: int) -> list[TopCustomer]:
    edges, months = period.split()
    parts, params = [], {"limit": limit, "country": country}
    if months:
        parts.append("SELECT customer_id, orders, net_cents FROM sales_customer_month WHERE month BETWEEN :m0 AND :m1")
        params |= {"m0": months[0], "m1": months[1]}
    for n, (a, b) in enumerate(edges):
        parts.append(f"SELECT customer_id, orders, net_cents FROM sales_customer_day WHERE day BETWEEN :a{n} AND :b{n}")
        params |= {f"a{n}": a, f"b{n}": b}
    in_country = "JOIN customer c ON c.id = s.customer_id AND c.country = :country " if country is not None else ""
    rows = session.execute(text(
        f"SELECT s.customer_id, s.orders, s.net FROM (SELECT customer_id, sum(orders) AS orders, "
        f"sum(net_cents) AS net FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY 1) s {in_country}"
        "ORDER BY 3 DESC, 1 LIMIT :limit"), params).all()
    return _named(session, [tuple(r) for r in row_tuples(rows)])


def _named(session: Session, rows: list[tuple[int, int, int]]) -> list[TopCustomer]:
    """(customer id, orders, net) -> TopCustomer, in the same order."""
    people = {cid: (number, customer_name(first, last, number), ctry)
              for cid, number, first, last, ctry in row_tuples(session.execute(text(
                  "SELECT id, customer_number, first_name, last_name, country FROM customer WHERE id IN ({})".format(
                      ", ".join(str(r[0]) for r in rows) or "NULL"))))}
    return [TopCustomer(cid, *people[cid], orders, net) for cid, orders, net in rows]


# --- breakdowns for the charts -----------------------------------------------------------


class SalesShare(NamedTuple):
    key: str  # a country code ('' for guests) or a channel
    net_cents: int


class TrendPoint(NamedTuple):
    start: str  # the day, the ISO week's Monday or the month
    net_cents: int
    orders: int


class YearOnYearMonth(NamedTuple):
    month: str
    net_cents: int
    orders: int
    net_cents_year_earlier: int
    orders_year_earlier: int


def sales_by(session: Session, period: Period, dimension: str, country: str | None = None) -> list[SalesShare]:
    """Net sales per country or per channel."""
    column = {"country": "country", "channel": "channel"}[dimension]
    where = IN_PERIOD + (" AND country = :country" if country is not None else "")
    return [SalesShare(key, net) for key, net in row_tuples(session.execute(text(
        f"SELECT {column}, sum(net_cents) FROM sales_day WHERE {where} GROUP BY 1 ORDER BY 2 DESC"),
        _params(period, country)))]


def trend(session: Session, period: Period, grain: str = "week", country: str | None = None
          ) -> list[TrendPoint]:
    """Net sales and orders by day, ISO week (its Monday) or month."""
    where = IN_PERIOD + (" AND country = :country" if country is not None else "")
    rows = session.execute(text(f"SELECT day, sum(net_cents), sum(orders) FROM sales_day WHERE {where} GROUP BY 1 "
                                "ORDER BY 1"), _params(period, country)).all()
    buckets: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for day, net, orders in row_tuples(rows):
        d = date.fromisoformat(day)
        key = day if grain == "day" else (d - timedelta(days=d.weekday())).isoformat() if grain == "week" else day[:7]
        buckets[key][0] += net
        buckets[key][1] += orders
    return [TrendPoint(key, net, orders) for key, (net, orders) in sorted(buckets.items())]


def year_on_year(session: Session, period: Period, country: str | None = None
                 ) -> list[YearOnYearMonth]:
    """Each month of the period beside the same month a year earlier."""
    earlier = Period(period.first.replace(year=period.first.year - 1),
                     period.last.replace(year=period.last.year - 1, day=min(period.last.day, 28))
                     if period.last.month == 2 else period.last.replace(year=period.last.year - 1))
    now = {r.month: r for r in monthly(session, period, country)}
    before = {r.month: r for r in monthly(session, earlier, country)}
    result = []
    for month, row in sorted(now.items()):
        previous = before.get(f"{int(month[:4]) - 1:04d}{month[4:]}")
        result.append(YearOnYearMonth(month, row.net_cents, row.orders, previous.net_cents if previous else 0,
                                      previous.orders if previous else 0))
    return result


# --- agents and the queue ----------------------------------------------------------------


@dataclass(frozen=True)
class AgentDiscounts:
    login: str
    phone_orders: int
    discounted_orders: int
    discount_cents: int
    card_changes: int  # discount changes on customers' cards


def discounts(session: Session, period: Period) -> list[AgentDiscounts]:
    """Discounts granted per agent: on the phone orders they took, and on customers' cards."""
    start, end = _bounds(period)
    # Through the taken_by index (phone orders), not the date index (all orders).
    placed = unindexed(session.connection(), "placed_at")
    orders = {login: (n, d, cents) for login, n, d, cents in row_tuples(session.execute(text(
        "SELECT taken_by, count(*), sum(CASE WHEN discount_cents > 0 THEN 1 ELSE 0 END), sum(discount_cents) "
        f"FROM shop_order WHERE taken_by IS NOT NULL AND {placed} >= :start AND {placed} < :end AND total_cents > 0 "
        "GROUP BY 1"),
        {"start": start, "end": end}))}
    changes = {login: n for login, n in row_tuples(session.execute(text(
        "SELECT staff_login, count(*) FROM audit_entry WHERE record_table = 'customer' "
        "AND field = 'discount_percent' AND at >= :start AND at < :end GROUP BY 1"), {"start": start, "end": end}))}
    logins = sorted(set(orders) | set(changes))
    rows = [AgentDiscounts(login, *orders.get(login, (0, 0, 0)), changes.get(login, 0)) for login in logins]
    return sorted(rows, key=lambda r: (-r.discount_cents, -r.card_changes, r.login))


def _bounds(period: Period) -> tuple[str, str]:
    return period.first.isoformat(), (period.last + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class CallbackDay:
    day: str
    requests: int
    called: int
    within_target: int

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.called if self.called else None


def callbacks(session: Session, period: Period, target_minutes: int = 15,
              zone: str = "Europe/Madrid") -> tuple[list[CallbackDay], list[int]]:
    """Per day (in the call centre's zone): requests, first called, first called within the
    target (from the request, or from the window's start for scheduled ones); and requests by
    hour of the day (24 counts)."""
    start, end = _bounds(period)
    tz = ZoneInfo(zone)
    rows = session.execute(text(
        "SELECT r.requested_at, r.window_from, min(a.started_at) FROM callback_request r "
        "LEFT JOIN callback_attempt a ON a.callback_id = r.id "
        "WHERE r.requested_at >= :start AND r.requested_at < :end GROUP BY r.id"), {"start": start, "end": end}).all()
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    hours = [0] * 24
    target = timedelta(minutes=target_minutes)
    for requested, window, first in row_tuples(rows):
        requested = _aware(requested)
        local = requested.astimezone(tz)
        hours[local.hour] += 1
        bucket = days[local.date().isoformat()]
        bucket[0] += 1
        if first is not None:
            bucket[1] += 1
            due = max(_aware(window) if window else requested, requested)
            bucket[2] += _aware(first) - due <= target
    return [CallbackDay(day, *counts) for day, counts in sorted(days.items())], hours


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
