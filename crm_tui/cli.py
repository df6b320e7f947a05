"""The `crm-tui` command: thin typer commands that parse, call services and print."""

import json
import time
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from crm_tui.db import DatabaseError, open_database
from crm_tui.settings import LANGUAGES, Settings, current_login

app = typer.Typer(help="Terminal CRM console for the call centre of an online shop.",
                  no_args_is_help=False, add_completion=False)
staff_app = typer.Typer(help="Who may use the console: add, list, disable staff.")
app.add_typer(staff_app, name="staff")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[Optional[str], typer.Option(
    "--db", envvar="CRM_TUI_DB",
    help="Database: a SQLAlchemy URL or a SQLite file path (default: a file in your data directory).")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Interface language: en or es.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _engine(db: str | None):
    try:
        return open_database(db)
    except DatabaseError as exc:
        fail(str(exc))


@app.callback(invoke_without_command=True)
def console(ctx: typer.Context, db: DbOption = None, lang: LangOption = None) -> None:
    """With no command: open the console."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db}
        return
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", 2)
    from crm_tui.app import ConsoleRefused, make_app

    try:
        crm = make_app(Settings.from_environment(db=db, lang=lang))
    except (ConsoleRefused, DatabaseError) as exc:
        fail(str(exc))
    crm.run()


@app.command()
def demo(
    db: DbOption = None,
    customers: Annotated[int, typer.Option(min=10, help="How many customers (about 10 order lines each).")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --as-of give the same database.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing database.")] = False,
    as_of: Annotated[Optional[datetime], typer.Option(
        "--as-of", help="The demo's 'now' in UTC (default: the current minute).")] = None,
) -> None:
    """Build a realistic demo shop database and register you as its supervisor."""
    from crm_tui.services.demo_shop import DatabaseExists, create_demo_database

    started = time.perf_counter()
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    try:
        result = create_demo_database(db, customers=customers, seed=seed, force=force, login=current_login(),
                                      as_of=as_of, progress=lambda msg: err.print(f"  {msg}", highlight=False))
    except (DatabaseExists, DatabaseError) as exc:
        fail(str(exc))
    s = result.summary
    out.print(f"Demo shop in {result.url}: {s.customers:,} customers, {s.products:,} products, "
              f"{s.orders:,} orders, {s.order_lines:,} order lines, {s.callbacks} pending callbacks, "
              f"{s.contact_messages} contact messages ({time.perf_counter() - started:.1f} s). "
              f"{result.supervisor_login!r} is its supervisor.", highlight=False)


@staff_app.command("add")
def staff_add(
    login: Annotated[str, typer.Argument(help="The operating-system login of the staff member.")],
    role: Annotated[str, typer.Option(help="agent, supervisor or ops.")],
    discount_cap: Annotated[Optional[int], typer.Option(
        "--discount-cap", help="Highest discount percent they may grant (default by role: 10, 30, 0).")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    db: DbOption = None,
) -> None:
    """Register a staff member."""
    from crm_tui.services.staff import StaffError, add_staff

    engine = _engine(db)
    with Session(engine) as session:
        try:
            member = add_staff(session, login, role, display_name=name, discount_cap=discount_cap,
                               acting_login=current_login())
        except StaffError as exc:
            fail(str(exc))
        session.commit()
    out.print(f"Added {member.login} as {member.role.value} (discount cap {member.discount_cap_percent} %).")


@staff_app.command("list")
def staff_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List staff members."""
    from crm_tui.services.staff import list_staff

    engine = _engine(db)
    with Session(engine) as session:
        members = list_staff(session)
    if as_json:
        print(json.dumps([asdict(m) for m in members]))
        return
    table = Table("login", "name", "role", "discount cap", "active")
    for m in members:
        table.add_row(m.login, m.display_name, m.role.value, f"{m.discount_cap_percent} %", "yes" if m.active else "no")
    out.print(table)


@staff_app.command("disable")
def staff_disable(login: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Disable a staff member: they can no longer open the console."""
    from crm_tui.services.staff import StaffError, disable_staff

    engine = _engine(db)
    with Session(engine) as session:
        try:
            member = disable_staff(session, login, acting_login=current_login())
        except StaffError as exc:
            fail(str(exc))
        session.commit()
    out.print(f"Disabled {member.login}.")


def main() -> None:
    app()
