"""Who works the console: staff members, their roles and discount caps."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from crm_tui import postgres_roles
from crm_tui.models import DEFAULT_DISCOUNT_CAP, Role, Staff
from crm_tui.services.audit import FieldChange, record_changes
from crm_tui.services.policy import Action, require
from crm_tui.shop.models import stored_id


class StaffError(ValueError):
    pass


class NotStaff(StaffError):
    """The operating-system login is not active staff: the console does not start."""

    def __init__(self, login: str, disabled: bool = False, first: bool = False):
        self.login, self.disabled, self.first = login, disabled, first
        super().__init__(self.sentence())

    def sentence(self, tr=lambda message: message, db: str | None = None) -> str:
        """Why, and the command that lets this login in (on the database `db`), in tr's language."""
        where = f" --db {db}" if db else ""
        if self.first:
            return tr("This database has no staff yet: its owner adds the first supervisor with "
                      "`crm-tui staff add {login} --role supervisor{where}`.").format(login=self.login, where=where)
        if self.disabled:
            return tr("The login '{login}' is disabled: a supervisor or ops can enable it with "
                      "`crm-tui staff enable {login}{where}`.").format(login=self.login, where=where)
        return tr("The login '{login}' is not registered as staff: a supervisor or ops can add it with "
                  "`crm-tui staff add {login} --role agent{where}`.").format(login=self.login, where=where)


@dataclass(frozen=True)
class StaffMember:
    login: str
    display_name: str
    role: Role
    discount_cap_percent: int
    active: bool


def _plain(staff: Staff) -> StaffMember:
    return StaffMember(staff.login, staff.display_name, Role(staff.role), staff.discount_cap_percent, staff.active)


# A role may grant, disable and enable roles up to its own rank: ops manage agents and ops,
# supervisors everyone (so ops can never lock the supervisors out).
RANK = {Role.AGENT: 1, Role.OPS: 2, Role.SUPERVISOR: 3}
MANAGERS = (Role.SUPERVISOR, Role.OPS)


def add_staff(
    session: Session, login: str, role: Role | str, *, display_name: str = "", discount_cap: int | None = None,
    acting: StaffMember | None, acting_login: str, owns_database: bool = False,
) -> StaffMember:
    """Register a staff member. The first one (no staff yet) may be added only by whoever owns
    the database (`owns_database`: the file's owner or root), and must be a supervisor or ops;
    afterwards only active supervisors and ops add staff, never above their own role or cap."""
    login = login.strip()
    if not login or any(ch.isspace() or not ch.isprintable() for ch in login) or len(login) > 64:
        raise StaffError(f"{login!r} is not a valid login (1 to 64 characters, no spaces)")
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(f"{role!r} is not a role; choose one of {', '.join(r.value for r in Role)}") from None
    cap = DEFAULT_DISCOUNT_CAP[role] if discount_cap is None else discount_cap
    if not 0 <= cap <= 100:
        raise StaffError(f"the discount cap must be between 0 and 100 %, not {cap}")
    if not has_staff(session):
        if not owns_database:
            raise StaffError(f"{acting_login} does not own this database: its first staff member can be added only "
                             "by the owner of the database file (or root)")
        if role not in MANAGERS:
            raise StaffError("the first staff member must be a supervisor or ops, who then add the agents")
    else:
        if acting is None:
            raise NotStaff(acting_login)
        require(acting, Action.MANAGE_STAFF)
        if RANK[role] > RANK[acting.role]:
            raise StaffError(f"{acting.login} is {acting.role.value} and cannot grant the role {role.value}")
        if cap > acting.discount_cap_percent:
            raise StaffError(f"{acting.login} may grant discount caps up to their own, {acting.discount_cap_percent} %, "
                             f"not {cap} % (give --discount-cap)")
    if session.scalar(select(col(Staff.id)).where(col(Staff.login) == login)):
        raise StaffError(f"{login!r} is already staff; see `crm-tui staff list`")
    staff = Staff(login=login, display_name=display_name or login, role=role, discount_cap_percent=cap)
    session.add(staff)
    session.flush()
    _on_server(session, lambda conn: postgres_roles.grant_login(conn, login, role), login)
    record_changes(session, acting_login, "staff", stored_id(staff), [
        FieldChange("role", None, staff.role), FieldChange("discount_cap_percent", None, cap),
    ], reason="staff added")
    return _plain(staff)


def _on_server(session: Session, change, login: str) -> None:
    """PostgreSQL: the staff member is a login role the server authenticates; change it with the
    staff row, in the same transaction."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    if not postgres_roles.is_set_up(conn):
        raise StaffError("this PostgreSQL database has no crm-tui roles yet: its owner runs `crm-tui pg setup` first")
    try:
        with conn.begin_nested():
            change(conn)
    except DBAPIError as exc:
        raise StaffError(f"PostgreSQL refused to change the login role {login!r} ({str(exc.orig).strip()}); the "
                         "database's owner can: `crm-tui staff add` run as the owner, or CREATE ROLE and GRANT "
                         "crm_agent, crm_supervisor or crm_ops by hand (see README)") from None


def has_staff(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Staff)) != 0


def list_staff(session: Session) -> list[StaffMember]:
    return [_plain(s) for s in session.scalars(select(Staff).order_by(col(Staff.login)))]


def disable_staff(session: Session, login: str, *, acting: StaffMember) -> StaffMember:
    """Supervisors and ops disable staff of their rank or below; never themselves, never the
    last active supervisor or ops (nobody could manage staff any more)."""
    require(acting, Action.MANAGE_STAFF)
    staff = _member(session, login)
    managers = session.scalar(
        select(func.count()).select_from(Staff).where(col(Staff.active), col(Staff.role).in_(MANAGERS))) or 0
    if staff.active and Role(staff.role) in MANAGERS and managers <= 1:
        raise StaffError(f"{login} is the last active supervisor or ops: add another before disabling them")
    if staff.login == acting.login:
        raise StaffError(f"{acting.login} cannot disable themselves; ask another supervisor or ops")
    if RANK[Role(staff.role)] > RANK[acting.role]:
        raise StaffError(f"{acting.login} is {acting.role.value} and cannot disable {staff.role}s")
    if staff.active:
        record_changes(session, acting.login, "staff", stored_id(staff), [FieldChange("active", True, False)],
                       reason="staff disabled")
    staff.active = False
    session.flush()
    _on_server(session, lambda conn: postgres_roles.set_login_enabled(conn, login, False), login)
    return _plain(staff)


def enable_staff(session: Session, login: str, *, acting: StaffMember) -> StaffMember:
    require(acting, Action.MANAGE_STAFF)
    staff = _member(session, login)
    if RANK[Role(staff.role)] > RANK[acting.role]:
        raise StaffError(f"{acting.login} is {acting.role.value} and cannot enable {staff.role}s")
    if not staff.active:
        record_changes(session, acting.login, "staff", stored_id(staff), [FieldChange("active", False, True)],
                       reason="staff enabled")
    staff.active = True
    session.flush()
    _on_server(session, lambda conn: postgres_roles.set_login_enabled(conn, login, True), login)
    return _plain(staff)


def _member(session: Session, login: str) -> Staff:
    staff = session.scalar(select(Staff).where(col(Staff.login) == login))
    if staff is None:
        raise StaffError(f"{login!r} is not staff; see `crm-tui staff list`")
    return staff


def active_staff(session: Session, login: str) -> StaffMember:
    """The staff member behind a login, or NotStaff."""
    staff = session.scalar(select(Staff).where(col(Staff.login) == login))
    if staff is None or not staff.active:
        raise NotStaff(login, disabled=staff is not None, first=staff is None and not has_staff(session))
    return _plain(staff)
