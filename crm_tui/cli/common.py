"""What every command shares: the consoles, the --db option, failing with a message."""

import json
import sqlite3
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

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
    from crm_tui.shop.types import utc_now

    return utc_now()


def fail(message: str, code: int = 1) -> None:
    """One sentence to the user (and {"error": ...} on stdout under --json), then exit."""
    say_error(message)
    raise typer.Exit(code)


_invocation = {"json": False}  # set by Commands.main: one command per process (or per CliRunner call)


def say_error(message: str) -> None:
    if _invocation["json"]:
        print(json.dumps({"error": message}))
    err.print("[bold red]error:[/] " + escape(message), highlight=False)


def failure_sentence(exc: BaseException) -> str | None:
    """What went wrong, in one sentence, for the failures a user can act on; None for a bug."""
    from sqlalchemy.exc import DBAPIError

    from crm_tui.db import DatabaseError, explain
    from crm_tui.importing.parallel import ReaderFailed
    from crm_tui.importing.sniff import UnreadableFile

    if isinstance(exc, (DatabaseError, ReaderFailed, UnreadableFile)):
        return str(exc)
    if isinstance(exc, (DBAPIError, sqlite3.Error)):  # the import writes through the driver itself
        cause = getattr(exc, "orig", exc)
        return explain(exc) or f"The database refused the command ({str(cause).strip()}): nothing was written."
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}: nothing was written."
    return None


class Commands(TyperGroup):
    """The command group: a failure a user can act on ends as one sentence and exit 1, never a
    traceback (under --json also as {"error": ...})."""

    def main(self, args=None, *rest, **options):
        _invocation["json"] = "--json" in (sys.argv[1:] if args is None else list(args))
        try:
            return super().main(args, *rest, **options)
        except Exception as exc:
            sentence = failure_sentence(exc)
            if sentence is None:
                raise
            say_error(sentence)
            sys.exit(1)


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
