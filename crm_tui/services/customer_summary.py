"""The customer at a glance ("Show" of the shop's CRM module), computed in SQL.

Definitions (README, "Customer summary"):
- a purchase is an order whose total is positive; cancellation and return documents (negative
  totals) are not purchases, but their lines net out of value and favourites;
- lifetime value is the sum of all the customer's order totals, cancellations included;
- favourite products count merchandise only (no postage, fees, vouchers...), by net quantity
  and by the number of purchases that contained them;
- the usual interval is the median number of days between consecutive purchase days (several
  orders on one day are one visit); a customer is overdue when more than 1.5 times that has
  passed since the last one (at least 2 purchase days);
- "now" is the analysis date: orders after it are not counted;
- the segment follows the rules in `segment_for`.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import ServiceCase, ServiceContact
from crm_tui.services.customer_groups import GroupPlace, customer_group
from crm_tui.services.customers import load_card
from crm_tui.services.visits import VisitSummary, visit_summary
from crm_tui.shop.models import (
    CallbackRequest,
    CallbackStatus,
    ContactMessage,
    Order,
    OrderLine,
    Product,
    ProductKind,
    StockLight,
    stock_light,
)

OVERDUE_FACTOR = 1.5
FAVOURITES = 5


@dataclass(frozen=True)
class FavouriteProduct:
    product_id: int
    sku: str
    name: str
    quantity: int
    orders: int
    stock: int = 0
    light: StockLight = StockLight.GREEN


@dataclass(frozen=True)
class CustomerSummary:
    customer_id: int
    name: str
    customer_number: str
    discount_percent: int
    first_purchase: datetime | None
    last_purchase: datetime | None
    days_since_last: int | None
    purchases: int
    lifetime_value_cents: int
    average_order_cents: int | None
    usual_interval_days: float | None
    overdue: bool
    segment: str
    favourites_by_quantity: list[FavouriteProduct]
    favourites_by_orders: list[FavouriteProduct]
    open_callbacks: int
    last_contact: datetime | None
    group: GroupPlace | None = None  # seed 003's groups I-V, as of the last refresh
    open_cases: int = 0
    web_visits: VisitSummary | None = None  # the web shop's visit log, the last 7 days


def segment_for(purchases: int, days_since_last: int | None, lifetime_value_cents: int, overdue: bool,
                days_since_first: int | None) -> str:
    """Rule-based RFM segment of one customer (documented in the README)."""
    if purchases == 0 or days_since_last is None:
        return "prospect"
    if days_since_last > 365:
        return "lapsed"
    if purchases == 1 and (days_since_first or 0) <= 90:
        return "new"
    if days_since_last <= 60 and purchases >= 6 and lifetime_value_cents >= 50_000:
        return "champion"
    if overdue and purchases >= 3:
        return "at risk"
    if purchases >= 4 and not overdue:
        return "loyal"
    return "occasional"



def customer_summary(session: Session, customer_id: int, now: datetime) -> CustomerSummary:
    card = load_card(session, customer_id)
    orders = row_tuples(session.execute(select(col(Order.placed_at), col(Order.total_cents))
                                        .where(col(Order.customer_id) == customer_id, col(Order.placed_at) <= now)
                                        .order_by(col(Order.placed_at))).all())
    lifetime = sum(total for _, total in orders)
    purchase_dates = [when for when, total in orders if total > 0]
    gross = sum(total for _, total in orders if total > 0)
    purchases = len(purchase_dates)
    days = sorted({when.date() for when in purchase_dates})
    gaps = [(b - a).days for a, b in zip(days, days[1:])]
    interval = statistics.median(gaps) if gaps else None
    last = purchase_dates[-1] if purchase_dates else None
    first = purchase_dates[0] if purchase_dates else None
    days_since = (now - last).days if last else None
    overdue = bool(interval and days_since is not None and days_since > OVERDUE_FACTOR * max(interval, 1))
    open_callbacks = session.scalar(select(func.count()).select_from(CallbackRequest).where(
        col(CallbackRequest.customer_id) == customer_id, col(CallbackRequest.status) != CallbackStatus.DONE)) or 0
    last_message = session.scalar(select(func.max(col(ContactMessage.received_at)))
                                  .where(col(ContactMessage.customer_id) == customer_id))
    last_callback = session.scalar(select(func.max(col(CallbackRequest.requested_at)))
                                   .where(col(CallbackRequest.customer_id) == customer_id))
    last_logged = session.scalar(select(func.max(col(ServiceContact.ended_at)))
                                 .where(col(ServiceContact.customer_id) == customer_id))
    contacts = [c for c in (last_message, last_callback, last_logged) if c]
    open_cases = session.scalar(select(func.count()).select_from(ServiceCase).where(
        col(ServiceCase.customer_id) == customer_id, col(ServiceCase.status).in_(("open", "waiting")))) or 0
    return CustomerSummary(
        customer_id, card.name, card.customer_number, card.discount_percent, first, last, days_since, purchases,
        lifetime, (gross // purchases) if purchases else None, interval, overdue,
        segment_for(purchases, days_since, lifetime, overdue, (now - first).days if first else None),
        *favourite_products(session, customer_id), open_callbacks, max(contacts) if contacts else None,
        customer_group(session, customer_id), open_cases, visit_summary(session, customer_id, now))


def favourite_products(session: Session, customer_id: int,
                       limit: int = FAVOURITES) -> tuple[list[FavouriteProduct], list[FavouriteProduct]]:
    """Merchandise the customer buys most, net of cancellations and returns: (by net quantity,
    by the number of purchases containing it). One aggregate over the customer's lines, in
    order-line order; names are read for the few winners only."""
    not_merchandise = select(col(Product.id)).where(col(Product.kind) != ProductKind.PRODUCT)
    quantity = func.sum(col(OrderLine.quantity))
    rows = session.execute(
        select(col(OrderLine.product_id), quantity,
               func.count(func.distinct(case((col(OrderLine.quantity) > 0, col(OrderLine.order_id))))))
        .select_from(Order).join(OrderLine, col(OrderLine.order_id) == col(Order.id))
        .where(col(Order.customer_id) == customer_id, col(OrderLine.product_id).not_in(not_merchandise))
        .group_by(col(OrderLine.product_id)).having(quantity > 0)).all()
    by_quantity = sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))[:limit]
    by_orders = sorted(rows, key=lambda r: (-r[2], -r[1], r[0]))[:limit]
    wanted = {r[0] for r in by_quantity + by_orders}
    names = {pid: (sku, name, stock, stock_light(stock, threshold, tracked))
             for pid, sku, name, stock, threshold, tracked in
             row_tuples(session.execute(select(col(Product.id), col(Product.sku), col(Product.name),
                                               col(Product.stock_quantity), col(Product.low_stock_threshold),
                                               col(Product.stock_tracked))
                                        .where(col(Product.id).in_(wanted))))}
    def plain(ranked):
        return [FavouriteProduct(pid, names[pid][0], names[pid][1], quantity, orders, names[pid][2], names[pid][3])
                for pid, quantity, orders in ranked]
    return plain(by_quantity), plain(by_orders)
