"""Order history ("Show inputs") and phone orders taken by staff."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import column, func, or_, select, text, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.services.catalogue import contains_text
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.policy import Action, require
from crm_tui.services.search import WORDS, fold, order_number_spellings
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import (
    Order,
    OrderChannel,
    OrderLine,
    OrderStatusChange,
    Product,
    ProductKind,
    StockLight,
    stock_light,
)
from crm_tui.shop.operations import OrderItem, OrderRefused, OutOfStock, PlacedOrder, order_totals, place_order

PAGE = 50
# The shop's order vocabulary, for screens (which never import the shop's tables or operations).
__all__ = ["OrderItem", "OrderRefused", "OutOfStock", "PlacedOrder", "StockLight", "order_totals", "LineRow",
           "OrderRow", "ProductOffer", "find_products", "guest_orders", "order_history", "order_lines", "place_phone_order"]


@dataclass(frozen=True)
class OrderRow:
    order_id: int
    number: str
    placed_at: datetime
    status: str
    channel: str
    items: int
    total_cents: int
    discount_percent: int
    cancels_number: str | None
    cancelled_by: str | None


@dataclass(frozen=True)
class LineRow:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    product_id: int = 0


@dataclass(frozen=True)
class ProductOffer:
    product_id: int
    sku: str
    name: str
    unit_price_cents: int
    stock_quantity: int
    light: StockLight



def order_history(session: Session, customer_id: int, after: tuple[datetime, int] | None = None,
                  page: int = PAGE) -> list[OrderRow]:
    """One page of the customer's orders, newest first; `after` is the last row of the page
    before (keyset paging: a customer with 10,000 orders pages as fast as one with 10)."""
    query = _order_rows().where(col(Order.customer_id) == customer_id)
    if after is not None:
        when, order_id = after
        query = query.where(tuple_(col(Order.placed_at), col(Order.id)) < tuple_(when, order_id))
    return _read_order_rows(session, query.order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(page))


def guest_orders(session: Session, number: str, limit: int = 5) -> list[OrderRow]:
    """Orders without a customer (guests of the web shop, unnamed lines of an export) whose
    number is the one typed, in any case."""
    return _read_order_rows(session, _order_rows().where(
        col(Order.number).in_(order_number_spellings(number)), col(Order.customer_id).is_(None))
        .order_by(col(Order.placed_at).desc()).limit(limit))


def _order_rows():
    """What an order's row shows, for a query to narrow."""
    cancelled = aliased(Order)
    cancelling = aliased(Order)
    items = (select(func.count()).select_from(OrderLine).where(col(OrderLine.order_id) == col(Order.id))
             .correlate(Order).scalar_subquery())
    cancelled_by = (select(func.min(col(cancelling.number))).where(col(cancelling.cancels_order_id) == col(Order.id))
                    .correlate(Order).scalar_subquery())
    # Where the order is now: its latest step (a cancelled or returned order's row keeps how far it got).
    latest_step = (select(col(OrderStatusChange.status)).where(col(OrderStatusChange.order_id) == col(Order.id))
                   .order_by(col(OrderStatusChange.at).desc(), col(OrderStatusChange.id).desc()).limit(1)
                   .correlate(Order).scalar_subquery())
    status = func.coalesce(latest_step, col(Order.status))
    return (select(col(Order.id), col(Order.number), col(Order.placed_at), status, col(Order.channel),
                   items, col(Order.total_cents), col(Order.discount_percent), col(cancelled.number), cancelled_by)
            .outerjoin(cancelled, col(cancelled.id) == col(Order.cancels_order_id)))


def _read_order_rows(session: Session, query) -> list[OrderRow]:
    return [OrderRow(*r) for r in row_tuples(session.execute(query).all())]


def order_lines(session: Session, order_id: int) -> list[LineRow]:
    rows = session.execute(
        select(col(Product.sku), col(Product.name), col(OrderLine.quantity), col(OrderLine.unit_price_cents),
               col(OrderLine.line_total_cents), col(OrderLine.product_id))
        .join(Product, col(Product.id) == col(OrderLine.product_id)).where(col(OrderLine.order_id) == order_id)
        .order_by(col(Product.name))).all()
    return [LineRow(*r) for r in row_tuples(rows)]


def find_products(session: Session, query: str, limit: int = 30) -> list[ProductOffer]:
    """Merchandise as the agent types: every word typed starts a word of the name, in any order,
    accents and case aside (migration 0018's index); or the SKU contains what was typed, in any
    case. An exact SKU comes first, then names in order."""
    typed = " ".join("".join(ch if ch.isprintable() else " " for ch in query).split())
    if not typed:
        return []
    words = [fold(w) for w in WORDS.findall(typed.replace("_", " "))]
    in_sku = contains_text(col(Product.sku), typed)
    matches = or_(in_sku, col(Product.id).in_(_named_with(session, words))) if words else in_sku
    rows = session.execute(
        select(col(Product.id), col(Product.sku), col(Product.name), col(Product.unit_price_cents),
               col(Product.stock_quantity), col(Product.low_stock_threshold), col(Product.stock_tracked))
        .where(col(Product.active), col(Product.kind) == ProductKind.PRODUCT, matches)
        .order_by(func.lower(col(Product.sku)) != typed.lower(), col(Product.name), col(Product.id))
        .limit(limit)).all()
    return [ProductOffer(r[0], r[1], r[2], r[3], r[4], stock_light(r[4], r[5], r[6])) for r in rows]


def _named_with(session: Session, words: list[str]):
    """The ids of products with a name word starting with each of `words` (letters and digits
    only: nothing in them is FTS or tsquery syntax)."""
    if session.get_bind().dialect.name == "sqlite":
        return text("SELECT rowid FROM product_search WHERE product_search MATCH :words").bindparams(
            words=" AND ".join(f'"{w}"*' for w in words)).columns(column("rowid"))
    return select(col(Product.id)).where(text(
        "to_tsvector('simple'::regconfig, regexp_replace(crm_fold(product.name), '[^[:alnum:]]+', ' ', 'g')) "
        "@@ to_tsquery('simple'::regconfig, :words)").bindparams(words=" & ".join(f"{w}:*" for w in words)))


def place_phone_order(session: Session, staff: StaffMember, customer_id: int, items: list[OrderItem],
                      discount_percent: int | None = None, reason: str = "", *, now: datetime) -> PlacedOrder:
    """Take an order on the phone, in the caller's write transaction. A discount agreed on the
    spot follows the card's rules (cap, reason, audit) and becomes the customer's discount; the
    stock is taken atomically."""
    require(staff, Action.PHONE_ORDER)
    card = load_card(session, customer_id)
    if discount_percent is not None and discount_percent != card.discount_percent:
        card = save_card(session, staff, card, {"discount_percent": discount_percent}, reason, now=now)
    return place_order(session, customer_id, items, channel=OrderChannel.PHONE,
                       discount_percent=card.discount_percent, taken_by=staff.login, now=now)
