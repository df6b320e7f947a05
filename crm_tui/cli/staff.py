"""`crm-tui staff`: who may use the console."""

import json
from dataclasses import asdict
from typing import Annotated, Optional

import typer
from rich.table import Table

from crm_tui.cli.common import JsonOption, acting_login, database, fail, out, staff_member
from crm_tui.models import Role
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal

staff_app = typer.Typer(help="Who may use the console: add, list, disable and enable staff.")


@staff_app.command("add")
def staff_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The operating-system login of the staff member.")],
    role: Annotated[str, typer.Option(help="agent, supervisor or ops.")],
    discount_cap: Annotated[Optional[int], typer.Option(
        "--discount-cap", help="Highest discount percent they may grant (default by role: 10, 30, 0).")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Register a staff member. The first one: only the database file's owner (or root), as
    supervisor or ops. Afterwards: supervisors and ops, up to their own role and discount cap."""
    from crm_tui import postgres_roles
    from crm_tui.db import owned_by_this_user, sqlite_file
    from crm_tui.services.policy import NotAllowed
    from crm_tui.services.staff import NotStaff, StaffError, active_staff, add_staff, has_staff

    command = database(ctx)
    if role not in {r.value for r in Role}:  # refused before anything is made, a database included
        fail(f"{role!r} is not a role; choose one of {', '.join(r.value for r in Role)}")
    if command.impersonate is not None:
        command.engine()  # --as needs a demo, and a demo exists already: never made here
    command.engine(create=True)
    me = acting_login(ctx)

    def add(session):
        try:
            acting = active_staff(session, me)
        except NotStaff:
            if has_staff(session):
                raise
            acting = None  # the first member: the file's owner decides
        owner = owned_by_this_user(command.url) if sqlite_file(command.url) else \
            postgres_roles.owns_database(session.connection())
        return add_staff(session, login, role, display_name=name, discount_cap=discount_cap, acting=acting,
                         acting_login=me, owns_database=owner)
    try:
        member = command.write(add)
    except (StaffError, NotAllowed) as exc:
        fail(str(exc))
    out.print(literal(f"Added {member.login} as {member.role.value} (discount cap {member.discount_cap_percent} %)."))


@staff_app.command("list")
def staff_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List staff members."""
    from crm_tui.services.staff import list_staff

    staff_member(ctx, Action.LIST_STAFF)
    members = database(ctx).read(list_staff)
    if as_json:
        print(json.dumps([asdict(m) for m in members]))
        return
    table = Table("login", "name", "role", "discount cap", "active")
    for m in members:
        table.add_row(literal(m.login), literal(m.display_name), literal(m.role.value), f"{m.discount_cap_percent} %",
                      "yes" if m.active else "no")
    out.print(table)


@staff_app.command("disable")
def staff_disable(ctx: typer.Context, login: Annotated[str, typer.Argument()]) -> None:
    """Disable a staff member: they can no longer open the console."""
    from crm_tui.services.staff import disable_staff

    _switch(ctx, login, disable_staff, "Disabled")


@staff_app.command("enable")
def staff_enable(ctx: typer.Context, login: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled staff member again."""
    from crm_tui.services.staff import enable_staff

    _switch(ctx, login, enable_staff, "Enabled")


def _switch(ctx: typer.Context, login: str, change, done: str) -> None:
    from crm_tui.services.staff import StaffError

    acting = staff_member(ctx, Action.MANAGE_STAFF)
    try:
        member = database(ctx).write(lambda session: change(session, login, acting=acting))
    except StaffError as exc:
        fail(str(exc))
    out.print(literal(f"{done} {member.login}."))
