"""What every command shares: the consoles, the --db option, failing with a message."""

from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from crm_tui.db import DatabaseError, open_database

out = Console()
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[Optional[str], typer.Option(
    "--db", envvar="CRM_TUI_DB",
    help="Database: a SQLAlchemy URL or a SQLite file path (default: a file in your data directory).")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Interface language: en or es.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def now():
    """The CLI's clock: the operating system's (the console's comes from its context)."""
    from store.types import utc_now

    return utc_now()


def fail(message: str, code: int = 1) -> None:
    err.print("[bold red]error:[/] " + escape(message), highlight=False)
    raise typer.Exit(code)


def _db(ctx: typer.Context, db: str | None) -> str | None:
    """The command's own --db, else the one given before the command (crm-tui --db X import ...)."""
    return db if db is not None else (ctx.find_root().obj or {}).get("db")


def _engine(ctx: typer.Context, db: str | None):
    try:
        return open_database(_db(ctx, db))
    except DatabaseError as exc:
        fail(str(exc))




def staff_member(ctx: typer.Context, engine, not_for_agents: str | None = None):
    """Who runs the command (their OS login, CRM_TUI_LOGIN); an agent is refused with
    `not_for_agents` when given."""
    from sqlmodel import Session

    from crm_tui.services.staff import NotStaff, active_staff
    from crm_tui.settings import current_login

    with Session(engine) as session:
        try:
            staff = active_staff(session, current_login())
        except NotStaff as exc:
            fail(str(exc))
    if not_for_agents and staff.role.value == "agent":
        fail(f"{staff.login} is an agent: {not_for_agents}")
    return staff
