"""The `crm-tui` command: thin typer commands that parse, call services and print. A command's
module (and the database layer) is imported when that command runs, so the console draws its
first frame without them."""

import importlib
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from crm_tui import settings as config
from crm_tui.cli.common import (
    CommandDatabase,
    Commands,
    DbOption,
    LangOption,
    database,
    err,
    fail,
    out,
    staff_member,
)
from crm_tui.settings import LANGUAGES, Settings
from crm_tui.widgets.literal import literal

# name: (module in crm_tui.cli, its typer app or command function), in the order --help lists them
SUBCOMMANDS = {
    "staff": ("staff", "staff_app"),
    "import": ("import_files", "import_command"),
    "callbacks": ("callbacks", "callbacks_app"),
    "inbox": ("service_desk", "inbox_app"),
    "cases": ("service_desk", "cases_app"),
    "orders": ("service_desk", "orders_app"),
    "marketing": ("marketing", "marketing_app"),
    "report": ("report", "report_command"),
    "privacy": ("privacy", "privacy_app"),
    "pg": ("postgres", "pg_app"),
    "shop": ("shop", "shop_app"),
}


class RootCommands(Commands):
    """The root group: the commands of SUBCOMMANDS are built from their modules when first named."""

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands:
            for name in SUBCOMMANDS if cmd_name not in SUBCOMMANDS else [cmd_name]:
                self.commands.setdefault(name, _subcommand(name))  # all of them: "did you mean" needs every name
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        return [*self.commands, *(name for name in SUBCOMMANDS if name not in self.commands)]


def _subcommand(name: str):
    module, attribute = SUBCOMMANDS[name]
    target = getattr(importlib.import_module(f"crm_tui.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        command = typer.main.get_command_from_info(typer.models.CommandInfo(name=name, callback=target),
                                                   pretty_exceptions_short=app.pretty_exceptions_short,
                                                   rich_markup_mode=app.rich_markup_mode)
    command.name = name
    return command


app = typer.Typer(help="Terminal CRM console for the call centre of an online shop.",
                  no_args_is_help=False, add_completion=False, cls=RootCommands)


@app.callback(invoke_without_command=True)
def console(ctx: typer.Context, db: DbOption = None, lang: LangOption = None,
            impersonate: Annotated[Optional[str], typer.Option(
                "--as", help="On a demo database only: act as this staff login (see the agent's view).")] = None,
            as_of: Annotated[Optional[str], typer.Option(
                "--as-of", metavar="DAY",
                help="The console analyses as of this day, YYYY-MM-DD or last-order (segments, offers, customers' "
                     "summaries): for a shop whose history ended long ago. Shown in the header.")] = None,
            ) -> None:
    """With no command: open the console."""
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", 2)
    if ctx.invoked_subcommand is not None:
        if as_of is not None:
            fail("--as-of before a command is the console's: give it after the command "
                 "(e.g. crm-tui marketing refresh --as-of last-order)", 2)
        ctx.obj = CommandDatabase(db, Settings.from_environment(lang=lang).lang, impersonate)
        ctx.call_on_close(ctx.obj.close)
        return
    from crm_tui.app import ConsoleRefused, console_app

    try:
        crm = console_app(Settings.from_environment(db=db, lang=lang, as_of=as_of), impersonate=impersonate)
    except ConsoleRefused as exc:
        fail(str(exc))
    crm.run()
    if crm.refusal is not None:
        fail(crm.refusal)


@app.command()
def demo(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=10, help="How many customers (about 10 order lines each).")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and --as-of give the same database.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing demo (never a shop's database).")] = False,
    as_of: Annotated[Optional[datetime], typer.Option(
        "--as-of", help="The demo's 'now' in UTC (default: the current minute).")] = None,
) -> None:
    """Build a realistic demo shop database and register you as its supervisor."""
    from crm_tui import identity
    from crm_tui.db import DatabaseError, is_sqlite, owned_by_this_user
    from crm_tui.services.demo_shop import DatabaseExists, make_demo_shop

    started = time.perf_counter()
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    try:
        url = database(ctx).url
        login = config.os_login() if is_sqlite(url) else identity.database_login(database(ctx).engine(migrate=False))
        result = make_demo_shop(url, customers=customers, seed=seed, force=force, login=login,
                                owns_target=owned_by_this_user(url), as_of=as_of,
                                progress=lambda msg: err.print(literal(f"  {msg}")))
    except (DatabaseExists, DatabaseError) as exc:
        fail(str(exc))
    s = result.summary
    out.print(literal(f"Demo shop in {result.url}: {s.customers:,} customers, {s.products:,} products, "
                      f"{s.orders:,} orders, {s.order_lines:,} order lines, {s.callbacks} pending callbacks, "
                      f"{s.contact_messages} contact messages, {s.visits} web shop visits "
                      f"({time.perf_counter() - started:.1f} s). {result.supervisor_login!r} is its supervisor."
                      + (f" Web shop (crm-tui shop serve): log in as {result.web_login[0]} with the password "
                         f"{result.web_login[1]}." if result.web_login[0] else "")))


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="The copy: a new file.")],
) -> None:
    """A consistent, checked copy of the database while agents keep working. Supervisors and ops."""
    from crm_tui.db import sqlite_file
    from crm_tui.services.backup import back_up
    from crm_tui.services.policy import Action

    staff_member(ctx, Action.BACKUP)
    copy = back_up(database(ctx).url, out_file)
    if copy.integrity != "ok":
        fail(f"the copy in {copy.path} failed its integrity check ({copy.integrity}); keep the original and try again")
    live = sqlite_file(database(ctx).url)
    out.print(literal(f"Backed up to {copy.path} ({copy.pages:,} pages, integrity ok). To restore: stop the consoles, "
                      f"then `cp {copy.path} {live}` and remove {live}-wal and {live}-shm if they are there."))


def main() -> None:
    app()
