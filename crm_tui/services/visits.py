"""The web shop's visit log: each page served, who saw it, and what a customer's visits say.

A visit is one browser session's requests; it lasts from its first request to its last.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, distinct, func, insert, select, text
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import Product, ShopVisit
from crm_tui.shop.types import db_datetime
from crm_tui.sql_dialect import day_of


@dataclass(frozen=True)
class PageServed:
    at: datetime
    session_id: str
    customer_id: int | None
    path: str
    referrer: str = ""
    product_id: int | None = None
    order_id: int | None = None


def record_pages(conn: Session | Connection, pages: list[PageServed]) -> None:
    if pages:
        conn.execute(insert(ShopVisit), [vars(page) for page in pages])


@dataclass(frozen=True)
class Visit:
    started_at: datetime
    ended_at: datetime
    pages: int
    products_viewed: tuple[str, ...]  # product names, in the order first seen
    ordered: bool

    @property
    def minutes(self) -> int:
        return round((self.ended_at - self.started_at).total_seconds() / 60)


def customer_visits(session: Session, customer_id: int, limit: int = 50) -> list[Visit]:
    """The customer's newest visits (their sessions while logged in), newest first."""
    sessions = [s for s, in session.execute(
        select(col(ShopVisit.session_id)).where(col(ShopVisit.customer_id) == customer_id)
        .group_by(col(ShopVisit.session_id)).order_by(func.max(col(ShopVisit.at)).desc()).limit(limit))]
    if not sessions:
        return []
    rows = row_tuples(session.execute(
        select(col(ShopVisit.session_id), col(ShopVisit.at), col(Product.name), col(ShopVisit.order_id))
        .outerjoin(Product, col(Product.id) == col(ShopVisit.product_id))
        .where(col(ShopVisit.session_id).in_(sessions), col(ShopVisit.customer_id) == customer_id)
        .order_by(col(ShopVisit.at))))
    by_session: dict[str, list[tuple]] = {}
    for session_id, at, product, order_id in rows:
        by_session.setdefault(session_id, []).append((at, product, order_id))
    visits = [Visit(pages[0][0], pages[-1][0], len(pages),
                    tuple(dict.fromkeys(product for _, product, _ in pages if product)),
                    any(order_id for _, _, order_id in pages))
              for pages in by_session.values()]
    return sorted(visits, key=lambda v: v.started_at, reverse=True)


@dataclass(frozen=True)
class VisitSummary:
    visits: int  # in the last `days` days
    days: int
    most_viewed: tuple[tuple[str, int], ...]  # (product, times viewed), most first


def visit_summary(session: Session, customer_id: int, now: datetime, days: int = 7) -> VisitSummary:
    """"3 visits this week, viewed Table lamp twice": visits of the last days, and for each
    product how many of them viewed it (a page shown again after "add to basket", or reloaded,
    is the same visit's view)."""
    since = now - timedelta(days=days)
    visits = session.scalar(select(func.count(distinct(col(ShopVisit.session_id))))
                            .where(col(ShopVisit.customer_id) == customer_id, col(ShopVisit.at) >= since)) or 0
    views = Counter({name: n for name, n in row_tuples(session.execute(
        select(col(Product.name), func.count(distinct(col(ShopVisit.session_id)))).select_from(ShopVisit)
        .join(Product, col(Product.id) == col(ShopVisit.product_id))
        .where(col(ShopVisit.customer_id) == customer_id, col(ShopVisit.at) >= since)
        .group_by(col(Product.name))))})
    return VisitSummary(visits, days, tuple(views.most_common(3)))


@dataclass(frozen=True)
class VisitDay:
    day: str
    visits: int
    pages: int
    customers: int
    orders: int


def visits_per_day(session: Session, staff: StaffMember, start: datetime, end: datetime) -> list[VisitDay]:
    """Per day (UTC) from start to end, excluded: visits, pages served, logged-in customers,
    orders placed in the shop."""
    require(staff, Action.RUN_REPORTS)
    day = day_of(session.connection(), "at")
    rows = session.execute(text(
        f"SELECT {day} AS day, COUNT(DISTINCT session_id), COUNT(*), COUNT(DISTINCT customer_id), COUNT(order_id) "
        f"FROM shop_visit WHERE at >= :start AND at < :end GROUP BY {day} ORDER BY day"),
        {"start": db_datetime(session.connection(), start), "end": db_datetime(session.connection(), end)})
    return [VisitDay(*row) for row in row_tuples(rows)]


@dataclass(frozen=True)
class PageToOrder:
    page: str  # the product's name, or the path of another catalogue page
    visits: int  # visits that saw it
    visits_with_order: int  # of those, visits that went on to place an order

    @property
    def share(self) -> float:
        return self.visits_with_order / self.visits if self.visits else 0.0


def pages_leading_to_orders(session: Session, staff: StaffMember, start: datetime, end: datetime,
                            limit: int = 20) -> list[PageToOrder]:
    """The catalogue pages (product pages, catalogue and category listings) seen in visits that
    placed an order, most orders first: which pages lead to orders."""
    require(staff, Action.RUN_REPORTS)
    rows = row_tuples(session.execute(
        select(col(ShopVisit.session_id), col(ShopVisit.at), col(ShopVisit.path), col(Product.name),
               col(ShopVisit.order_id))
        .outerjoin(Product, col(Product.id) == col(ShopVisit.product_id))
        .where(col(ShopVisit.at) >= start, col(ShopVisit.at) < end).order_by(col(ShopVisit.at))))
    seen: dict[str, set[str]] = {}
    ordered_after: dict[str, set[str]] = {}
    pages_so_far: dict[str, set[str]] = {}
    for session_id, _at, path, product, order_id in rows:
        if order_id:
            for seen_page in pages_so_far.get(session_id, ()):
                ordered_after.setdefault(seen_page, set()).add(session_id)
            continue
        # A product page by its product; the catalogue's listings (a category, a search) by their address.
        page: str | None = product or (path if path == "/" or path.startswith("/?") else None)
        if page is None:
            continue
        seen.setdefault(page, set()).add(session_id)
        pages_so_far.setdefault(session_id, set()).add(page)
    found = [PageToOrder(page, len(sessions), len(ordered_after.get(page, ()))) for page, sessions in seen.items()]
    return sorted(found, key=lambda p: (-p.visits_with_order, -p.visits, p.page))[:limit]
