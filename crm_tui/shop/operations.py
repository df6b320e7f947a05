"""What customers do in the web shop: register, order, ask for a callback, write to us.

Each operation validates its input, writes in the caller's session and raises a clear
error; the caller owns the transaction (see crm_tui.db.write_session).
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select, update
from sqlmodel import Session, col

from crm_tui.shop.models import (
    CANCELLATIONS,
    CallbackRequest,
    ContactKind,
    ContactMessage,
    Customer,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
    ProductKind,
    stored_id,
)
from crm_tui.shop.types import utc_now
from crm_tui.shop.validation import (
    InvalidField,
    InvalidInput,
    normalise_country,
    normalise_email,
    normalise_language,
    normalise_phone,
    phone_region,
    require_text,
    time_zone_for,
)

STAFF_ONLY_FIELDS = frozenset({"discount_percent", "discount", "version", "customer_number", "id"})


class OrderRefused(ValueError):
    """An order that cannot be placed; nothing of it was written."""


class OutOfStock(OrderRefused):
    def __init__(self, sku: str, name: str, available: int, wanted: int):
        self.sku, self.name, self.available, self.wanted = sku, name, available, wanted
        if available <= 0:
            message = f"{sku} {name!r} is out of stock and cannot be ordered"
        else:
            message = f"{sku} {name!r}: only {available} in stock, {wanted} asked for"
        super().__init__(message)


# --- registration -----------------------------------------------------------------------


class Registration(BaseModel):
    """The web shop's registration form. Unknown fields are refused, the discount above all."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str
    last_name: str
    email: str
    phone: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "ES"
    preferred_language: str = "es"
    consent_email: bool = False
    consent_phone: bool = False
    consent_chat: bool = False



def _placeholder_number() -> str:
    """A unique number for the moment between the row's INSERT and its numbering from its id,
    within the column's 32 characters."""
    return f"pending-{uuid.uuid4().hex}"[:32]

def customer_number_for(customer_id: int) -> str:
    return f"CU{customer_id:07d}"


def registration_values(form: Mapping[str, Any]) -> tuple[Registration, dict[str, Any]]:
    """The registration form checked by the shop's rules: the form and its normalised names,
    e-mail, country, language and phone; InvalidInput naming every bad field. Registering one
    customer and the demo's bulk path both go through this."""
    staff_only = sorted(STAFF_ONLY_FIELDS & set(form))
    if staff_only:
        raise InvalidInput([
            InvalidField(name, "is set by the shop's staff and cannot be given at registration")
            for name in staff_only
        ])
    try:
        reg = Registration.model_validate(dict(form))
    except ValidationError as exc:
        raise InvalidInput([
            InvalidField(".".join(str(p) for p in err["loc"]) or "form", err["msg"]) for err in exc.errors()
        ]) from None
    errors: list[InvalidField] = []
    values: dict[str, Any] = {}
    checks = {
        "first_name": lambda: require_text(reg.first_name, "first_name", 100),
        "last_name": lambda: require_text(reg.last_name, "last_name", 100),
        "country": lambda: normalise_country(reg.country),
        "email": lambda: normalise_email(reg.email),
        "preferred_language": lambda: normalise_language(reg.preferred_language),
    }
    for field, check in checks.items():
        try:
            values[field] = check()
        except InvalidField as err:
            errors.append(err)
    try:
        values["phone"] = normalise_phone(reg.phone, values.get("country", "ES"))
    except InvalidField as err:
        errors.append(err)
    if errors:
        raise InvalidInput(errors)
    return reg, values


def register_customer(session: Session, form: Mapping[str, Any], now: datetime | None = None) -> Customer:
    """Create a customer from the registration form; returns it with its customer number."""
    reg, values = registration_values(form)
    if session.scalar(select(col(Customer.id)).where(col(Customer.email) == values["email"])):
        raise InvalidInput([InvalidField("email", f"{values['email']} is already registered", "taken")])

    now = now or utc_now()
    customer = Customer(
        customer_number=_placeholder_number(),
        street=reg.street, postcode=reg.postcode, city=reg.city,
        time_zone=time_zone_for(values["country"], reg.postcode),
        registered_at=now, created_at=now, updated_at=now,
        consent_email_at=now if reg.consent_email else None,
        consent_phone_at=now if reg.consent_phone else None,
        consent_chat_at=now if reg.consent_chat else None,
        **values,
    )
    session.add(customer)
    session.flush()
    customer.customer_number = customer_number_for(stored_id(customer))
    session.flush()
    return customer


# --- orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    number: str
    subtotal_cents: int
    discount_cents: int
    total_cents: int


def order_totals(line_totals: Sequence[int], discount_percent: int) -> tuple[int, int, int]:
    """(subtotal, discount, total) in cents; the discount is rounded to the nearest cent."""
    subtotal = sum(line_totals)
    discount = (abs(subtotal) * discount_percent + 50) // 100  # half away from zero, also for refunds
    if subtotal < 0:
        discount = -discount
    return subtotal, discount, subtotal - discount


def order_number_for(order_id: int, channel: OrderChannel) -> str:
    return f"{'PO' if channel == OrderChannel.PHONE else 'WO'}{order_id:08d}"


def place_order(
    session: Session,
    customer_id: int | None,
    items: Sequence[OrderItem],
    *,
    channel: OrderChannel = OrderChannel.WEB,
    discount_percent: int | None = None,
    taken_by: str | None = None,
    now: datetime | None = None,
) -> PlacedOrder:
    """Place an order and take its stock. Any refused line refuses the whole order.

    Stock is taken with a conditional UPDATE (stock >= quantity), so two orders racing for
    the last unit cannot both get it, on SQLite and on PostgreSQL alike.
    """
    if not items:
        raise OrderRefused("an order needs at least one line")
    wanted: dict[str, int] = {}
    for item in items:
        if item.quantity <= 0:
            raise OrderRefused(f"{item.sku}: quantity must be at least 1, not {item.quantity}")
        wanted[item.sku] = wanted.get(item.sku, 0) + item.quantity

    customer = None
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise OrderRefused(f"no customer with id {customer_id}")
    if discount_percent is None:
        discount_percent = customer.discount_percent if customer else 0
    if not 0 <= discount_percent <= 100:
        raise OrderRefused(f"discount {discount_percent} % is not between 0 and 100")

    products = {p.sku: p for p in session.scalars(select(Product).where(col(Product.sku).in_(wanted)))}
    line_rows = []
    for sku, quantity in wanted.items():
        product = products.get(sku)
        if product is None:
            raise OrderRefused(f"{sku}: no such product")
        if not product.active or product.kind != ProductKind.PRODUCT:
            raise OrderRefused(f"{sku} {product.name!r} cannot be ordered")
        if not product.stock_tracked:  # nothing to take: the shop does not count this stock
            line_rows.append((product, quantity))
            continue
        taken = session.exec(
            update(Product)
            .where(col(Product.id) == product.id, col(Product.stock_quantity) >= quantity)
            .values(stock_quantity=col(Product.stock_quantity) - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            available = session.scalar(select(col(Product.stock_quantity)).where(col(Product.id) == product.id))
            raise OutOfStock(sku, product.name, available or 0, quantity)
        line_rows.append((product, quantity))

    subtotal, discount, total = order_totals(
        [p.unit_price_cents * q for p, q in line_rows], discount_percent
    )
    order = Order(
        number=_placeholder_number(),
        customer_id=customer_id,
        placed_at=now or utc_now(),
        channel=channel,
        discount_percent=discount_percent,
        taken_by=taken_by,
        subtotal_cents=subtotal,
        discount_cents=discount,
        total_cents=total,
    )
    session.add(order)
    session.flush()
    order_id = stored_id(order)
    order.number = order_number_for(order_id, channel)
    session.add_all(
        OrderLine(order_id=order_id, product_id=stored_id(p), quantity=q,
                  unit_price_cents=p.unit_price_cents, line_total_cents=p.unit_price_cents * q)
        for p, q in line_rows
    )
    session.flush()
    return PlacedOrder(order_id, order.number, subtotal, discount, total)


# What may follow what on an order's way; "placed" is where every order starts.
NEXT_STATUS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.RETURNED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.RETURNED: frozenset(),
}


class AlreadyReversed(OrderRefused):
    def __init__(self, number: str):
        self.number = number
        super().__init__(f"{number} is already cancelled or returned")


class IllegalTransition(OrderRefused):
    def __init__(self, number: str, current: OrderStatus, wanted: OrderStatus):
        self.number, self.current, self.wanted = number, current, wanted
        allowed = ", ".join(sorted(NEXT_STATUS[current])) or "nothing"
        super().__init__(f"{number} is {current.value}: it cannot become {wanted.value} (only {allowed})")


FULFILMENT = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def order_status(session: Session, order_id: int) -> OrderStatus:
    """Where the order is now: its latest status change, else what the order row says (an
    import writes how far its orders got), else placed."""
    latest = session.scalar(select(col(OrderStatusChange.status)).where(col(OrderStatusChange.order_id) == order_id)
                            .order_by(col(OrderStatusChange.at).desc(), col(OrderStatusChange.id).desc()).limit(1))
    if latest:
        return OrderStatus(latest)
    own = session.scalar(select(col(Order.status)).where(col(Order.id) == order_id))
    return OrderStatus(own) if own in FULFILMENT else OrderStatus.PLACED


def planned_steps(order_number: str, current: OrderStatus,
                  steps: Sequence[tuple[OrderStatus, datetime, str, str]]) -> OrderStatus:
    """Check a run of steps (status, at, carrier, tracking number) from `current`, as
    move_order would take them one by one; returns where they end. For bulk writers (the demo)
    that insert the steps themselves."""
    for status, _at, carrier, tracking in steps:
        if status not in NEXT_STATUS[current]:
            raise IllegalTransition(order_number, current, status)
        if status == OrderStatus.SHIPPED and not (carrier.strip() and tracking.strip()):
            raise OrderRefused(f"{order_number}: shipping needs the carrier and the tracking number")
        current = status
    return current


def _an_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise OrderRefused(f"no order with id {order_id}")
    if order.cancels_order_id is not None or order.total_cents < 0:
        raise OrderRefused(f"{order.number} is itself a cancellation or return")
    return order


def move_order(session: Session, order_id: int, status: OrderStatus | str, *, changed_by: str = "shop",
               carrier: str = "", tracking_number: str = "", now: datetime | None = None) -> OrderStatusChange:
    """The shop moves an order along: paid, shipped (with carrier and tracking number),
    delivered. Cancelling and returning go through reverse_order, which also gives the stock
    back. A step the order cannot take from where it is raises IllegalTransition."""
    status = OrderStatus(status)
    order = _an_order(session, order_id)
    current = order_status(session, order_id)
    if status not in NEXT_STATUS[current]:
        raise IllegalTransition(order.number, current, status)
    if status == OrderStatus.SHIPPED and not (carrier.strip() and tracking_number.strip()):
        raise OrderRefused(f"{order.number}: shipping needs the carrier and the tracking number")
    change = OrderStatusChange(order_id=order_id, at=now or utc_now(), status=status, carrier=carrier.strip(),
                               tracking_number=tracking_number.strip(), changed_by=changed_by)
    session.add(change)
    if status in FULFILMENT:
        # The row says how far the order got; a cancelled or returned order keeps its last
        # step there (the reversal document is what the sales figures count).
        order.status = status
    session.flush()
    return change


def reverse_order(session: Session, order_id: int, status: OrderStatus = OrderStatus.CANCELLED, *,
                  taken_by: str | None = None, now: datetime | None = None) -> PlacedOrder:
    """Cancel (before it ships) or return (once shipped) a whole order: a document with every
    line negated, linked to it by cancels_order_id, its totals the order's negated, and its
    status `status`; the stock goes back and the order's history records the step. An order is
    reversed once; a reversal cannot be reversed."""
    if status not in CANCELLATIONS:
        raise OrderRefused(f"an order is reversed by cancelling or returning it, not by {status}")
    order = _an_order(session, order_id)
    if session.scalar(select(col(Order.number)).where(col(Order.cancels_order_id) == order_id)):
        raise AlreadyReversed(order.number)
    now = now or utc_now()
    move_order(session, order_id, status, changed_by=taken_by or "shop", now=now)
    lines = session.scalars(select(OrderLine).where(col(OrderLine.order_id) == order_id)).all()
    reversal = Order(
        number=f"pending-reverse-{order_id}", customer_id=order.customer_id, placed_at=now,
        status=status, channel=order.channel, discount_percent=order.discount_percent,
        taken_by=taken_by, cancels_order_id=order_id, subtotal_cents=-order.subtotal_cents,
        discount_cents=-order.discount_cents, total_cents=-order.total_cents)
    session.add(reversal)
    session.flush()
    reversal.number = f"{'C' if status == OrderStatus.CANCELLED else 'R'}{order.number}"
    for line in lines:
        session.add(OrderLine(order_id=stored_id(reversal), product_id=line.product_id, quantity=-line.quantity,
                              unit_price_cents=line.unit_price_cents, line_total_cents=-line.line_total_cents))
        session.execute(update(Product).where(col(Product.id) == line.product_id)
                        .values(stock_quantity=col(Product.stock_quantity) + line.quantity)
                        .execution_options(synchronize_session=False))
    session.flush()
    return PlacedOrder(stored_id(reversal), reversal.number, reversal.subtotal_cents,
                       reversal.discount_cents, reversal.total_cents)


def cancel_order(session: Session, order_id: int, *, taken_by: str | None = None,
                 now: datetime | None = None) -> PlacedOrder:
    """Cancel a whole order before it ships (reverse_order)."""
    return reverse_order(session, order_id, OrderStatus.CANCELLED, taken_by=taken_by, now=now)


def restock(session: Session, sku: str, quantity: int) -> tuple[int, int, int]:
    """Goods arrived: the product's stock grows by `quantity` in one UPDATE (an order taking
    stock at the same moment is not lost). Returns (product id, stock before, stock after)."""
    if not 1 <= quantity <= 1_000_000:
        raise InvalidField("quantity", f"must be from 1 to 1,000,000, not {quantity}")
    product_id = session.scalar(select(col(Product.id)).where(col(Product.sku) == sku.strip()))
    if product_id is None:
        raise InvalidField("sku", f"no product {sku.strip()!r}")
    session.exec(update(Product).where(col(Product.id) == product_id)
                 .values(stock_quantity=col(Product.stock_quantity) + quantity, stock_tracked=True)
                 .execution_options(synchronize_session=False))
    after = session.scalar(select(col(Product.stock_quantity)).where(col(Product.id) == product_id)) or 0
    return product_id, after - quantity, after


# --- callbacks and the contact form -----------------------------------------------------


def find_customer_by_phone(session: Session, e164: str) -> int | None:
    return session.scalar(select(col(Customer.id)).where(col(Customer.phone) == e164)
                          .order_by(col(Customer.id)).limit(1))


def callback_time_zone(session: Session, phone: str, country: str = "ES") -> str:
    """The zone a callback for this number is arranged in: its customer's, else that of the
    number's own country (a +44 number is called in London time), else `country`'s."""
    e164 = normalise_phone(phone, country)
    customer_id = find_customer_by_phone(session, e164)
    customer = session.get(Customer, customer_id) if customer_id else None
    return customer.time_zone if customer else time_zone_for(phone_region(e164) or country)


def request_callback(
    session: Session,
    phone: str,
    *,
    country: str = "ES",
    window: tuple[time, time] | None = None,
    window_date: datetime | None = None,
    starting_at: datetime | None = None,
    time_zone: str | None = None,
    note: str = "",
    source: str = "web",
    customer_id: int | None = None,
    now: datetime | None = None,
) -> CallbackRequest:
    """The callback box: a number, and either "as soon as possible" or a from-to window.

    `window` is a pair of local times in `time_zone` (the customer's zone) on the day of
    `window_date` (default: today there, or tomorrow if the window has already passed);
    staff give `starting_at` instead, an instant: the hour from then.
    """
    now = now or utc_now()
    e164 = normalise_phone(phone, country)
    if len(note) > 1000:
        raise InvalidField("note", "is longer than 1000 characters")
    if customer_id is None:
        customer_id = find_customer_by_phone(session, e164)
    if time_zone is None:
        customer = session.get(Customer, customer_id) if customer_id else None
        time_zone = customer.time_zone if customer else callback_time_zone(session, e164, country)
    zone = ZoneInfo(time_zone)

    window_from = window_to = None
    if window is not None:
        start, end = window
        if start >= end:
            raise InvalidField("window", f"the window must end after it starts ({start:%H:%M}-{end:%H:%M})")
        day = (window_date.astimezone(zone) if window_date else now.astimezone(zone)).date()
        window_from = datetime.combine(day, start, zone)
        window_to = datetime.combine(day, end, zone)
        if window_date is None and window_to <= now:
            day = day + timedelta(days=1)
            window_from = datetime.combine(day, start, zone)
            window_to = datetime.combine(day, end, zone)
        if window_to <= now:
            raise InvalidField("window", "the window is already over")
    elif starting_at is not None:
        if starting_at <= now:
            raise InvalidField("window", "the time has already passed")
        window_from, window_to = starting_at, starting_at + timedelta(hours=1)

    callback = CallbackRequest(
        customer_id=customer_id, phone=e164, requested_at=now,
        window_from=window_from, window_to=window_to, time_zone=time_zone,
        note=note.strip(), source=source,
    )
    session.add(callback)
    session.flush()
    return callback


def send_contact_message(
    session: Session,
    *,
    name: str,
    text: str,
    phone: str = "",
    email: str = "",
    kind: ContactKind | str = ContactKind.QUESTION,
    country: str = "ES",
    now: datetime | None = None,
) -> ContactMessage:
    """The contact form: name and text, and a phone or an e-mail to answer to."""
    errors: list[InvalidField] = []
    values: dict[str, Any] = {}
    for field, check in {
        "name": lambda: require_text(name, "name", 200),
        "text": lambda: require_text(text, "text", 5000),
        "phone": lambda: normalise_phone(phone, country) if phone.strip() else None,
        "email": lambda: normalise_email(email) if email.strip() else None,
    }.items():
        try:
            values[field] = check()
        except InvalidField as err:
            errors.append(err)
    try:
        values["kind"] = ContactKind(kind)
    except ValueError:
        errors.append(InvalidField("kind", f"{kind!r} is not one of {', '.join(k.value for k in ContactKind)}"))
    if not errors and not values["phone"] and not values["email"]:
        errors.append(InvalidField("phone", "give a phone number or an e-mail address to answer to"))
    if errors:
        raise InvalidInput(errors)

    customer_id = None
    if values["email"]:
        customer_id = session.scalar(select(col(Customer.id)).where(col(Customer.email) == values["email"]).limit(1))
    if customer_id is None and values["phone"]:
        customer_id = find_customer_by_phone(session, values["phone"])
    message = ContactMessage(received_at=now or utc_now(), customer_id=customer_id, **values)
    session.add(message)
    session.flush()
    return message
