"""The home screen's figures: what the shop looks like right now."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from crm_tui.shop.models import CallbackRequest, CallbackStatus, Customer, Order


@dataclass(frozen=True)
class ShopOverview:
    customers: int
    orders: int
    pending_callbacks: int


def shop_overview(session: Session) -> ShopOverview:
    return ShopOverview(
        customers=session.scalar(select(func.count()).select_from(Customer)) or 0,
        orders=session.scalar(select(func.count()).select_from(Order)) or 0,
        pending_callbacks=session.scalar(
            select(func.count()).select_from(CallbackRequest)
            .where(col(CallbackRequest.status) == CallbackStatus.PENDING)
        ) or 0,
    )
