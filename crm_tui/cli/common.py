"""What every command shares: the consoles, the --db option, failing with a message."""

from typing import Annotated, Optional

import typer
from rich.console import Console

from crm_tui.db import DatabaseError, open_database

out = Console()
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[Optional[str], typer.Option(
    "--db", envvar="CRM_TUI_DB",
    help="Database: a SQLAlchemy URL or a SQLite file path (default: a file in your data directory).")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Interface language: en or es.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _db(ctx: typer.Context, db: str | None) -> str | None:
    """The command's own --db, else the one given before the command (crm-tui --db X import ...)."""
    return db if db is not None else (ctx.find_root().obj or {}).get("db")


def _engine(ctx: typer.Context, db: str | None):
    try:
        return open_database(_db(ctx, db))
    except DatabaseError as exc:
        fail(str(exc))


