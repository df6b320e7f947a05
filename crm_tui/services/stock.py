"""The back office's stock: goods that arrive, audited like every change staff make."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.services.policy import Action, require
from crm_tui.services.staff import StaffMember
from crm_tui.shop.operations import restock


@dataclass(frozen=True)
class Restocked:
    sku: str
    before: int
    after: int


def restock_product(session: Session, staff: StaffMember, sku: str, quantity: int, reason: str,
                    now: datetime) -> Restocked:
    require(staff, Action.RESTOCK)
    product_id, before, after = restock(session, sku, quantity)
    record_changes(session, staff.login, "product", product_id, [FieldChange("stock_quantity", before, after)],
                   reason=reason.strip() or "goods received", at=now)
    return Restocked(sku.strip(), before, after)
