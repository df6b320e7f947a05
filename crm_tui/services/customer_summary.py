"""The customer at a glance ("Show" of the shop's CRM module), computed in SQL.

Definitions (README, "Customer summary"):
- a purchase is an order whose total is positive; cancellation and return documents (negative
  totals) are not purchases, but their lines net out of value and favourites;
- lifetime value is the sum of all the customer's order totals, cancellations included;
- favourite products count merchandise only (no postage, fees, vouchers...), by net quantity
  and by the number of purchases that contained them;
- the usual interval is the median number of days between consecutive purchases; a customer is
  overdue when more than 1.5 times that has passed since the last one (at least 2 purchases);
- the segment follows the rules in `segment_for`.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session

from crm_tui.services.customers import load_card
from store.models import (
    CallbackRequest, CallbackStatus, ContactMessage, Order, OrderLine, Product, ProductKind,
)
from store.types import UTCDateTime, utc_now

OVERDUE_FACTOR = 1.5
FAVOURITES = 5


@dataclass(frozen=True)
class FavouriteProduct:
    product_id: int
    sku: str
    name: str
    quantity: int
    orders: int


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


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value.replace(tzinfo=None), None)


def customer_summary(session: Session, customer_id: int, now: datetime | None = None) -> CustomerSummary:
    now = now or utc_now()
    card = load_card(session, customer_id)
    mine = Order.customer_id == customer_id
    lifetime = session.scalar(select(func.coalesce(func.sum(Order.total_cents), 0)).where(mine)) or 0
    purchase_dates = [_aware(d) for d in session.scalars(
        select(Order.placed_at).where(mine, Order.total_cents > 0).order_by(Order.placed_at))]
    purchases = len(purchase_dates)
    gaps = [(b - a).total_seconds() / 86400 for a, b in zip(purchase_dates, purchase_dates[1:])]
    interval = statistics.median(gaps) if gaps else None
    last = purchase_dates[-1] if purchase_dates else None
    first = purchase_dates[0] if purchase_dates else None
    days_since = (now - last).days if last else None
    overdue = bool(interval and days_since is not None and days_since > OVERDUE_FACTOR * max(interval, 1))
    gross = session.scalar(select(func.coalesce(func.sum(Order.total_cents), 0)).where(mine, Order.total_cents > 0))
    open_callbacks = session.scalar(select(func.count()).select_from(CallbackRequest).where(
        CallbackRequest.customer_id == customer_id, CallbackRequest.status != CallbackStatus.DONE)) or 0
    last_message = session.scalar(select(func.max(ContactMessage.received_at))
                                  .where(ContactMessage.customer_id == customer_id))
    last_callback = session.scalar(select(func.max(CallbackRequest.requested_at))
                                   .where(CallbackRequest.customer_id == customer_id))
    contacts = [c for c in (_aware(last_message), _aware(last_callback)) if c]
    return CustomerSummary(
        customer_id, card.name, card.customer_number, card.discount_percent, first, last, days_since, purchases,
        lifetime, (gross // purchases) if purchases else None, interval, overdue,
        segment_for(purchases, days_since, lifetime, overdue, (now - first).days if first else None),
        favourite_products(session, customer_id, "quantity"), favourite_products(session, customer_id, "orders"),
        open_callbacks, max(contacts) if contacts else None)


def favourite_products(session: Session, customer_id: int, by: str = "quantity",
                       limit: int = FAVOURITES) -> list[FavouriteProduct]:
    """Merchandise the customer buys most, net of cancellations and returns."""
    quantity = func.sum(OrderLine.quantity).label("quantity")
    orders = func.count(func.distinct(OrderLine.order_id)).filter(OrderLine.quantity > 0).label("orders")
    order_by = (quantity.desc(), orders.desc()) if by == "quantity" else (orders.desc(), quantity.desc())
    rows = session.execute(
        select(Product.id, Product.sku, Product.name, quantity, orders)
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, and_(Product.id == OrderLine.product_id, Product.kind == ProductKind.PRODUCT))
        .where(Order.customer_id == customer_id)
        .group_by(Product.id, Product.sku, Product.name)
        .having(func.sum(OrderLine.quantity) > 0)
        .order_by(*order_by, Product.id)
        .limit(limit)).all()
    return [FavouriteProduct(*row) for row in rows]
