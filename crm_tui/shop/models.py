"""SQLModel tables of the shop database.

Money is integer cents of the shop's currency; times are aware UTC datetimes (stored naive
UTC, see UTCDateTime); discounts are whole percents.
"""

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel, col

from crm_tui.shop.types import UTCDateTime, utc_now


class ProductKind(StrEnum):
    """What a product code is. Only PRODUCT is merchandise; the rest never become favourites."""

    PRODUCT = "product"
    POSTAGE = "postage"
    FEE = "fee"
    ADJUSTMENT = "adjustment"
    DISCOUNT = "discount"
    VOUCHER = "voucher"


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


# Documents of these kinds take a sale back (the roll-ups count them as cancellations): never a purchase.
CANCELLATIONS = (OrderStatus.CANCELLED, OrderStatus.RETURNED)


class OrderChannel(StrEnum):
    WEB = "web"
    PHONE = "phone"


class ContactKind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRIVACY = "privacy"  # a customer asks for a copy of their data or for its erasure


class MessageStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


class CallbackStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"


class StockLight(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    UNTRACKED = "untracked"  # nobody told the shop its stock: orderable, shown as such


def stock_light(stock_quantity: int, low_stock_threshold: int, tracked: bool = True) -> StockLight:
    """Green above the threshold, yellow at or below it and above 0, red at 0; "not tracked"
    when the shop was never told the stock."""
    if not tracked:
        return StockLight.UNTRACKED
    if stock_quantity <= 0:
        return StockLight.RED
    if stock_quantity <= low_stock_threshold:
        return StockLight.YELLOW
    return StockLight.GREEN


class _WithId(Protocol):
    id: int | None


def stored_id(row: _WithId) -> int:
    """The id of a row the database holds (loaded, or added and flushed): never None there."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id yet: it was never flushed")
    return row.id


def _utc(nullable: bool = False, index: bool = False, default: bool = False):
    """A UTC timestamp column; `default` fills it with the current time."""
    if default:
        return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100", name="ck_customer_discount"),
        Index("ix_customer_last_first", "last_name", "first_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_number: str = Field(max_length=32, unique=True, index=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=20, index=True)  # E.164
    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=16)
    city: str = Field(default="", max_length=100)
    country: str = Field(default="ES", max_length=2)  # ISO 3166-1 alpha-2
    time_zone: str = Field(default="Europe/Madrid", max_length=64)
    preferred_language: str = Field(default="es", max_length=8)
    registered_at: datetime = _utc(default=True)
    consent_email_at: datetime | None = _utc(nullable=True)
    consent_phone_at: datetime | None = _utc(nullable=True)
    consent_chat_at: datetime | None = _utc(nullable=True)
    discount_percent: int = Field(default=0)
    # Registration and country come from the customer's orders (created by a transaction-line
    # import); staff setting the country ends it.
    facts_from_orders: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Optimistic locking: every staff edit is UPDATE ... WHERE version = <the one loaded>.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = _utc(default=True)
    updated_at: datetime = _utc(default=True)


class Product(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (CheckConstraint("stock_quantity >= 0", name="ck_product_stock_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    description: str = Field(default="", max_length=500)
    category: str = Field(default="", max_length=100, index=True)
    unit_price_cents: int = Field(default=0)
    stock_quantity: int = Field(default=0)
    low_stock_threshold: int = Field(default=5)
    active: bool = Field(default=True)
    kind: ProductKind = Field(default=ProductKind.PRODUCT, sa_type=String(16))
    # Name and price follow the valid sales (created by a transaction-line import, see
    # crm_tui.importing.history); a products file or the shop's catalogue ends it.
    name_from_sales: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    stock_tracked: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})  # False: "not tracked"
    created_at: datetime = _utc(default=True)


class Order(SQLModel, table=True):
    __tablename__ = "shop_order"
    __table_args__ = (Index("ix_order_customer_placed", "customer_id", "placed_at"),
                      # Cancellations and returns by date: the returns figures read only these.
                      Index("ix_order_reversal_placed", "placed_at", sqlite_where=text("cancels_order_id IS NOT NULL"),
                            postgresql_where=text("cancels_order_id IS NOT NULL")))

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)
    customer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), nullable=True)
    )
    placed_at: datetime = _utc(default=True, index=True)
    status: OrderStatus = Field(default=OrderStatus.PLACED, sa_type=String(16))
    channel: OrderChannel = Field(default=OrderChannel.WEB, sa_type=String(8))
    discount_percent: int = Field(default=0)
    taken_by: str | None = Field(default=None, max_length=64, index=True)  # staff login, phone orders
    cancels_order_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("shop_order.id"), nullable=True, index=True)
    )
    subtotal_cents: int = Field(default=0)
    discount_cents: int = Field(default=0)
    total_cents: int = Field(default=0)
    country: str | None = Field(default=None, max_length=2)  # as the export gave it for the invoice


class OrderLine(SQLModel, table=True):
    """One line of an order, identified by its order, product, quantity and unit price: the
    same line twice is a duplicate (imports skip it; the shop merges it).

    That identity is the primary key, and on SQLite the table is stored WITHOUT ROWID, as
    one B-tree in order-line order: a bulk import maintains one structure instead of two,
    and an order's lines are read in one range scan. Per-product figures come from roll-ups.
    """

    __tablename__ = "order_line"
    __table_args__ = {"sqlite_with_rowid": False}

    order_id: int = Field(sa_column=Column(Integer, ForeignKey("shop_order.id"), primary_key=True))
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id"), primary_key=True))
    quantity: int = Field(primary_key=True)  # negative on cancellations and returns
    unit_price_cents: int = Field(primary_key=True)
    line_total_cents: int
    description_id: int | None = Field(default=None)  # line_description: as the invoice wrote it


class LineDescription(SQLModel, table=True):
    """A product description as an export wrote it on a line (kept once, referenced by lines)."""

    __tablename__ = "line_description"
    __table_args__ = (UniqueConstraint("text", name="uq_line_description_text"),)

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=500)


class CallbackRequest(SQLModel, table=True):
    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_status_requested", "status", "requested_at"),
                      Index("ix_callback_status_window", "status", "window_from"),
                      Index("ix_callback_first_call", "first_called_at", "first_call_seconds"),
                      Index("ix_callback_closed", "closed_at", "outcome", "attempts"))

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), nullable=True, index=True)
    )
    phone: str = Field(max_length=20, index=True)  # E.164
    # 0-3 from the customer's lifetime gross purchases; the database sets it (migration 0014's
    # triggers) when the callback is requested or linked and when the customer's total crosses a step.
    priority: int = Field(default=0, sa_type=SmallInteger, sa_column_kwargs={"server_default": "0"})
    requested_at: datetime = _utc(default=True)
    # Both empty: "as soon as possible". Otherwise the window the customer chose, in UTC;
    # time_zone is the zone they chose it in, to show it back to them.
    window_from: datetime | None = _utc(nullable=True)
    window_to: datetime | None = _utc(nullable=True)
    time_zone: str = Field(default="Europe/Madrid", max_length=64)
    note: str = Field(default="", max_length=1000)
    source: str = Field(default="web", max_length=32)
    status: CallbackStatus = Field(default=CallbackStatus.PENDING, sa_type=String(16))
    # Worked by the CRM's callback queue: who holds it and until when, the attempts so far,
    # when to try again after no answer, and how it ended.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = _utc(nullable=True)
    next_attempt_at: datetime | None = _utc(nullable=True)
    outcome: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = _utc(nullable=True)
    # The first call: when it began and how long after the callback became due (requested, or
    # its window's start): the service-quality figures read these instead of every attempt.
    first_called_at: datetime | None = _utc(nullable=True)
    first_call_seconds: int | None = Field(default=None)
    # A personal callback: "call back later" kept by the agent who agreed it, offered to
    # anyone else only once kept_until (the time plus a grace period) has passed.
    kept_for: str | None = Field(default=None, max_length=64)
    kept_until: datetime | None = _utc(nullable=True)


# The queue's order: due callbacks are read along it, highest priority and oldest first.
Index("ix_callback_rank", col(CallbackRequest.status), col(CallbackRequest.priority).desc(),
      col(CallbackRequest.requested_at))


class OrderStatusChange(SQLModel, table=True):
    """One step of an order's way after it was placed: paid, shipped (with carrier and
    tracking number), delivered, cancelled, returned; `changed_by` is a staff login or the
    shop's own process ("shop"). The order's own `status` column says what kind of document
    it is (an order, or a cancellation or return of one), so the roll-ups never move."""

    __tablename__ = "order_status_change"
    __table_args__ = (Index("ix_order_status_change_order", "order_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(sa_column=Column(Integer, ForeignKey("shop_order.id"), nullable=False))
    at: datetime = _utc()
    status: OrderStatus = Field(sa_type=String(16))
    carrier: str = Field(default="", max_length=64)
    tracking_number: str = Field(default="", max_length=64)
    changed_by: str = Field(default="shop", max_length=64)


class ContactMessage(SQLModel, table=True):
    __tablename__ = "contact_message"
    __table_args__ = (Index("ix_contact_message_status", "status", "received_at"),
                      Index("ix_contact_message_answers", "received_at", "status", "answered_at", "kind"))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    text: str = Field(max_length=5000)
    kind: ContactKind = Field(default=ContactKind.QUESTION, sa_type=String(16))
    received_at: datetime = _utc(default=True, index=True)
    customer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customer.id"), nullable=True, index=True)
    )
    # Worked by the CRM's inbox, like a callback: who holds it, the answer, when it ended.
    status: MessageStatus = Field(default=MessageStatus.NEW, sa_type=String(16),
                                  sa_column_kwargs={"server_default": "new"})
    owner: str | None = Field(default=None, max_length=64)
    answer: str = Field(default="", max_length=5000, sa_column_kwargs={"server_default": ""})
    answered_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)


class ShopAccount(SQLModel, table=True):
    """A registered customer's login to the web shop: the e-mail is the customer's."""

    __tablename__ = "shop_account"

    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), primary_key=True))
    password_hash: str = Field(max_length=200)
    created_at: datetime = _utc(default=True)


class ShopVisit(SQLModel, table=True):
    """One page the web shop served: the visit log (a visit is a session's requests)."""

    __tablename__ = "shop_visit"
    __table_args__ = (Index("ix_shop_visit_session", "session_id", "at"),
                      Index("ix_shop_visit_customer", "customer_id", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(default=True, index=True)
    session_id: str = Field(max_length=64)
    customer_id: int | None = None
    path: str = Field(max_length=500)
    referrer: str = Field(default="", max_length=500)
    product_id: int | None = None  # the product page viewed
    order_id: int | None = None  # the order this request placed


class ShopSetting(SQLModel, table=True):
    """The web shop's own settings, e.g. the key that signs its session cookies."""

    __tablename__ = "shop_setting"

    name: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=500)
