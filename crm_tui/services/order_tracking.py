"""Where an order is: its status history (placed, paid, shipped with carrier and tracking
number, delivered, cancelled, returned), and the steps staff take on it."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.services.errors import ServiceError
from crm_tui.services.names import customer_name
from crm_tui.services.orders import LineRow, order_lines
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.models import CANCELLATIONS, Customer, Order, OrderStatus, OrderStatusChange
from crm_tui.shop.operations import (
    AlreadyReversed,
    IllegalTransition,
    OrderRefused,
    PlacedOrder,
    move_order,
    order_status,
    reverse_order,
)

__all__ = ["AlreadyReversed", "IllegalTransition", "OrderRefused", "StatusStep", "TrackedOrder", "find_order", "order_steps", "track_order",
           "move_order_along", "reverse_customer_order", "order_has_shipped", "OrderStatus"]


class OrderNotFound(ServiceError):
    pass


@dataclass(frozen=True)
class StatusStep:
    at: datetime
    status: str
    carrier: str
    tracking_number: str
    changed_by: str


@dataclass(frozen=True)
class TrackedOrder:
    order_id: int
    number: str
    customer_id: int | None
    customer_number: str | None
    customer_name: str
    placed_at: datetime
    channel: str
    total_cents: int
    status: str
    steps: list[StatusStep]
    lines: list[LineRow]
    reversed_by: str | None


def find_order(session: Session, number: str) -> int:
    """An order's id from its number as anyone types it (any letter case)."""
    order_id = session.scalar(select(col(Order.id)).where(func.upper(col(Order.number)) == number.strip().upper()))
    if order_id is None:
        raise OrderNotFound("no_order", f"no order numbered {number.strip()!r}", number=number.strip())
    return order_id


def order_steps(session: Session, order_id: int) -> list[StatusStep]:
    """Oldest first, starting with "placed" at the order's own time."""
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound("no_order", f"no order with id {order_id}", number=str(order_id))
    steps = [StatusStep(order.placed_at, OrderStatus.PLACED.value, "", "", order.taken_by or order.channel)]
    steps += [StatusStep(*row) for row in row_tuples(session.execute(
        select(col(OrderStatusChange.at), col(OrderStatusChange.status), col(OrderStatusChange.carrier),
               col(OrderStatusChange.tracking_number), col(OrderStatusChange.changed_by))
        .where(col(OrderStatusChange.order_id) == order_id)
        .order_by(col(OrderStatusChange.at), col(OrderStatusChange.id))))]
    return steps


def track_order(session: Session, staff: StaffMember, order_id: int) -> TrackedOrder:
    require(staff, Action.TRACK_ORDERS)
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound("no_order", f"no order with id {order_id}", number=str(order_id))
    customer = session.get(Customer, order.customer_id) if order.customer_id else None
    reversed_by = session.scalar(select(col(Order.number)).where(col(Order.cancels_order_id) == order_id).limit(1))
    status = order.status if order.cancels_order_id is not None else order_status(session, order_id)
    return TrackedOrder(
        order_id, order.number, order.customer_id, customer.customer_number if customer else None,
        customer_name(customer.first_name, customer.last_name, customer.customer_number) if customer else "", order.placed_at,
        str(order.channel), order.total_cents, str(status), order_steps(session, order_id),
        order_lines(session, order_id), reversed_by)


def move_order_along(session: Session, staff: StaffMember, order_id: int, status: str, *, carrier: str = "",
                     tracking_number: str = "", now: datetime) -> None:
    """The back office: paid, shipped, delivered, cancelled or returned (ops and supervisors);
    only the step asked for, and only if the order can take it from where it is."""
    require(staff, Action.MOVE_ORDERS)
    try:
        wanted = OrderStatus(status)
    except ValueError:
        raise OrderRefused(f"{status!r} is not an order status") from None
    if (carrier or tracking_number) and wanted != OrderStatus.SHIPPED:
        raise OrderRefused("a carrier and a tracking number go only with shipped")
    if wanted in CANCELLATIONS:
        require(staff, Action.REVERSE_ORDER)
        reverse_order(session, order_id, wanted, taken_by=staff.login, now=now)
        return
    move_order(session, order_id, wanted, changed_by=staff.login, carrier=carrier, tracking_number=tracking_number,
               now=now)


def order_has_shipped(session: Session, order_id: int) -> bool:
    """Whether reversing the order is a return (it shipped) rather than a cancellation."""
    return order_status(session, order_id) in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def reverse_customer_order(session: Session, staff: StaffMember, order_id: int, *, now: datetime) -> PlacedOrder:
    """Cancel the order if it has not shipped, return it if it has: the stock goes back and
    the sales figures go down by its value."""
    require(staff, Action.REVERSE_ORDER)
    kind = OrderStatus.RETURNED if order_has_shipped(session, order_id) else OrderStatus.CANCELLED
    return reverse_order(session, order_id, kind, taken_by=staff.login, now=now)
