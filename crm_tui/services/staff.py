"""Who works the console: staff members, their roles and discount caps."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.models import DEFAULT_DISCOUNT_CAP, Role, Staff
from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.shop.models import stored_id


class StaffError(ValueError):
    pass


class NotStaff(StaffError):
    """The operating-system login is not active staff: the console does not start."""

    def __init__(self, login: str, disabled: bool = False):
        self.login = login
        state = "is disabled" if disabled else "is not registered as staff"
        super().__init__(
            f"The login {login!r} {state}. A supervisor or ops can add it with:\n"
            f"  crm-tui staff add {login} --role agent"
        )


@dataclass(frozen=True)
class StaffMember:
    login: str
    display_name: str
    role: Role
    discount_cap_percent: int
    active: bool


def _plain(staff: Staff) -> StaffMember:
    return StaffMember(staff.login, staff.display_name, Role(staff.role), staff.discount_cap_percent, staff.active)


def add_staff(
    session: Session, login: str, role: Role | str, *, display_name: str = "", discount_cap: int | None = None,
    acting_login: str,
) -> StaffMember:
    login = login.strip()
    if not login or any(ch.isspace() for ch in login) or len(login) > 64:
        raise StaffError(f"{login!r} is not a valid login (1 to 64 characters, no spaces)")
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(f"{role!r} is not a role; choose one of {', '.join(r.value for r in Role)}") from None
    cap = DEFAULT_DISCOUNT_CAP[role] if discount_cap is None else discount_cap
    if not 0 <= cap <= 100:
        raise StaffError(f"the discount cap must be between 0 and 100 %, not {cap}")
    if session.scalar(select(col(Staff.id)).where(col(Staff.login) == login)):
        raise StaffError(f"{login!r} is already staff; see `crm-tui staff list`")
    staff = Staff(login=login, display_name=display_name or login, role=role, discount_cap_percent=cap)
    session.add(staff)
    session.flush()
    record_changes(session, acting_login, "staff", stored_id(staff), [
        FieldChange("role", None, staff.role), FieldChange("discount_cap_percent", None, cap),
    ], reason="staff added")
    return _plain(staff)


def list_staff(session: Session) -> list[StaffMember]:
    return [_plain(s) for s in session.scalars(select(Staff).order_by(col(Staff.login)))]


def disable_staff(session: Session, login: str, *, acting_login: str) -> StaffMember:
    staff = session.scalar(select(Staff).where(col(Staff.login) == login))
    if staff is None:
        raise StaffError(f"{login!r} is not staff; see `crm-tui staff list`")
    if staff.active:
        record_changes(session, acting_login, "staff", stored_id(staff), [FieldChange("active", True, False)],
                       reason="staff disabled")
    staff.active = False
    session.flush()
    return _plain(staff)


def active_staff(session: Session, login: str) -> StaffMember:
    """The staff member behind a login, or NotStaff."""
    staff = session.scalar(select(Staff).where(col(Staff.login) == login))
    if staff is None or not staff.active:
        raise NotStaff(login, disabled=staff is not None)
    return _plain(staff)
