"""What every command shares: the consoles, the one --db and the one engine, who runs the
command, failing with a message."""

import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TextIO, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer._coercion import RuntimeParam
from typer.core import TyperGroup, TyperOption

from crm_tui.widgets.literal import literal

if TYPE_CHECKING:  # the database layer is imported when a command uses it: the console starts without it
    from sqlalchemy import Engine
    from sqlmodel import Session

    from crm_tui.i18n import Localizer
    from crm_tui.services.policy import Action
    from crm_tui.services.shop_locale import ShopLocale
    from crm_tui.services.staff import StaffMember

T = TypeVar("T")

out = Console()
err = Console(stderr=True, soft_wrap=True)

# Declared once, on the root command; `crm-tui import X --db Y` works too, because Commands moves
# a --db written after the command in front of it. CRM_TUI_DB is read by resolve_url alone.
DbOption = Annotated[Optional[str], typer.Option(
    "--db", help="Database: a SQLAlchemy URL or a SQLite file path (default: CRM_TUI_DB, else a file in your "
                 "data directory). Goes before or after the command.")]
LangOption = Annotated[Optional[str], typer.Option("--lang", help="Interface language: en or es.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOfOption = Annotated[Optional[str], typer.Option(
    "--as-of", help="Analyse as of this day (YYYY-MM-DD, in the shop's time zone) or last-order: later orders "
                    "do not count (default: now).")]


def now():
    """The CLI's clock: the operating system's (the console's comes from its context)."""
    from crm_tui.shop.types import utc_now

    return utc_now()


def analysis_time(ctx: typer.Context, as_of_text: str | None) -> datetime:
    """The moment an analysis is made as of (--as-of), with a warning on stderr when the
    shop's latest order is long before it."""
    from crm_tui.services.analysis_date import BadAsOf, as_of, stale_history

    db = database(ctx)
    zone = db.locale().time_zone
    try:
        at = db.read(lambda session: as_of(session, as_of_text, now(), zone))
    except BadAsOf as exc:
        fail(str(exc), 2)
    if (note := db.read(lambda session: stale_history(session, at))) is not None:
        err.print(literal(note))
    return at


def fail(message: str, code: int = 1) -> None:
    """One sentence to the user (and {"error": ...} on stdout under --json), then exit."""
    say_error(message)
    raise typer.Exit(code)


_invocation = {"json": False}  # set by Commands.main: one command per process (or per CliRunner call)


def say_error(message: str) -> None:
    if _invocation["json"]:
        print(json.dumps({"error": message}))
    # Each line literally (data in it is never markup or terminal control); our own line breaks stay.
    err.print(Text.assemble(("error:", "bold red"), " ", Text("\n").join(literal(line) for line in message.split("\n"))))


def failure_sentence(exc: BaseException) -> str | None:
    """What went wrong, in one sentence, for the failures a user can act on; None for a bug."""
    from sqlalchemy.exc import DBAPIError

    from crm_tui.db import DatabaseError, explain
    from crm_tui.importing.parallel import ReaderFailed
    from crm_tui.importing.sniff import UnreadableFile

    if isinstance(exc, (DatabaseError, ReaderFailed, UnreadableFile)):
        return str(exc)
    # The import writes through the driver itself; psycopg is loaded only when PostgreSQL is used.
    driver_errors: tuple[type[BaseException], ...] = (DBAPIError, sqlite3.Error)
    if (psycopg := sys.modules.get("psycopg")) is not None:
        driver_errors += (psycopg.Error,)
    if isinstance(exc, driver_errors):
        cause = getattr(exc, "orig", exc)
        return explain(exc) or f"The database refused the command ({str(cause).strip()}): nothing was written."
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}: nothing was written."
    return None


def _flags_show_no_type(option_class: type) -> None:
    """typer 0.29 writes "<bool>" beside every flag in --help (--dry-run <bool>, even --help
    <bool>): a flag takes no value, so its type column stays empty."""
    shown = option_class.display_type_rich

    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    option_class.display_type_rich = display_type_rich


_flags_show_no_type(TyperOption)


class Commands(TyperGroup):
    """The command group: a failure a user can act on ends as one sentence and exit 1, never a
    traceback (under --json also as {"error": ...})."""

    def main(self, args=None, *rest, **options):
        args = hoist_db_option(sys.argv[1:] if args is None else list(args))
        _invocation["json"] = "--json" in args
        try:
            return super().main(args, *rest, **options)
        except Exception as exc:
            sentence = failure_sentence(exc)
            if sentence is None:
                raise
            say_error(sentence)
            sys.exit(1)

    def parse_args(self, ctx, args):
        for param in self.get_params(ctx):  # the group's own options (--db, --lang, --as, --help)
            annotation = param.type_descriptor.annotation
            if getattr(param, "_runtime_param", False) is None and annotation in (str, bool):
                param._runtime_param = PlainText(annotation=annotation,
                                                 parameter_info=param.type_descriptor.parameter_info)
        return super().parse_args(ctx, args)


@dataclass(frozen=True)
class PlainText(RuntimeParam):
    """An option whose value is used as click parsed it. Typer would check it through a pydantic
    adapter, and importing pydantic costs the console a seventh of a second before its first frame."""

    def _coerce_value(self, value, param, ctx):
        return value


@contextmanager
def private_output(path: Path) -> Iterator[TextIO]:
    """A file the command writes (a report, an export): readable by its owner only (0600),
    written beside and renamed over `path` when complete, so a link at `path` is replaced, never
    followed, and a failure leaves no half-written file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def country_option(text: str) -> str:
    """A --country value as the import reads countries: an ISO code or a name in English or
    Spanish ('United Kingdom', 'España'); anything else ends the command."""
    from crm_tui.importing.values import BadValue, country_code, is_country_code

    typed = text.strip().upper()
    try:
        code = typed if is_country_code(typed) else country_code(text)
    except BadValue:
        code = None
    if code is not None and not is_country_code(code):
        code = None  # CLDR's placeholders: ZZ "Unknown Region", EU, UN...
    if code is None:
        fail(f"--country {text!r} is not a country code or name (e.g. GB, 'United Kingdom', 'Reino Unido')")
    return code


def print_table(table) -> None:
    """A terminal gets the table at its width; a pipe or a file the whole table, uncut."""
    from rich.console import Console

    (out if out.is_terminal else Console(width=240)).print(table)


def hoist_db_option(args: list[str]) -> list[str]:
    """`--db X` (or `--db=X`) anywhere before a `--` goes first, where the root command reads it."""
    for n, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--db" and n + 1 < len(args):
            return ["--db", args[n + 1], *args[:n], *args[n + 2:]]
        if arg.startswith("--db="):
            return [arg, *args[:n], *args[n + 1:]]
    return args


class CommandDatabase:
    """The command's database: its URL resolved once, and the process's one engine, opened (and
    migrated) on first use and closed when the command ends. Transactions are owned here:
    services run inside read() or write() and never commit."""

    def __init__(self, db: str | None, lang: str = "en", impersonate: str | None = None):
        from crm_tui.db import DatabaseError, resolve_url

        self.lang = lang  # the root --lang: the language of what commands print in words
        self.impersonate = impersonate  # --as: only on a demo database
        try:
            self.url = resolve_url(db)
        except DatabaseError as exc:
            fail(str(exc))
        self._engine: "Engine | None" = None
        self._migrated = False

    def engine(self, migrate: bool = True, create: bool = False) -> "Engine":
        """`create`: the first `staff add` may make a new database; other commands never do."""
        from crm_tui.db import DatabaseError, open_database, readable_by_others, refuse_missing_file

        try:
            if self._engine is None:
                if not create:
                    refuse_missing_file(self.url)
                self._engine = open_database(self.url, migrate=migrate)
                self._migrated = migrate
                if warning := readable_by_others(self.url):
                    err.print(literal(warning))
            elif migrate and not self._migrated:
                self._engine.dispose()
                self._engine, self._migrated = open_database(self.url), True
        except DatabaseError as exc:
            fail(str(exc))
        return self._engine

    def locale(self) -> "ShopLocale":
        """The shop's currency, time zone and phone region (crm_tui.services.shop_locale)."""
        from crm_tui.services.shop_locale import shop_locale

        return self.read(shop_locale)

    def localizer(self, lang: str | None = None) -> "Localizer":
        """Words in `lang` (default: the root --lang), money in the shop's currency."""
        from crm_tui.i18n import Localizer

        return Localizer(lang or self.lang, self.locale().currency)

    def read(self, fn: "Callable[[Session], T]") -> T:
        from crm_tui.db import run_read

        return run_read(self.engine(), fn)

    def write(self, fn: "Callable[[Session], T]") -> T:
        from crm_tui.db import run_write

        return run_write(self.engine(), fn)

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it (as far as readers allow)."""
        from crm_tui.db import sqlite_file

        if sqlite_file(self.url) is not None:
            with self.engine().connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def database(ctx: typer.Context) -> CommandDatabase:
    return ctx.find_root().obj


def acting_login(ctx: typer.Context) -> str:
    """Who runs the command (crm_tui.identity: the OS login on SQLite, the PostgreSQL role on
    PostgreSQL); `--as LOGIN` instead, on a demo database only."""
    from crm_tui import identity
    from crm_tui.services.database_facts import is_demo

    command = database(ctx)
    if command.impersonate is None:
        return identity.acting_login(command.engine())
    if not command.read(is_demo):
        fail(f"--as works only on a demo database (one `crm-tui demo` built); {command.url} is not one, so nothing "
             "was run: run the command as your own login")
    return command.impersonate


def staff_member(ctx: typer.Context, action: "Action | None" = None) -> "StaffMember":
    """Who runs the command (their OS login; --as on a demo), refused unless active staff and,
    when an action is given, unless the policy lets their role do it."""
    from crm_tui.services.policy import NotAllowed, require
    from crm_tui.services.staff import NotStaff, active_staff

    login = acting_login(ctx)
    try:
        staff = database(ctx).read(lambda session: active_staff(session, login))
        if action is not None:
            require(staff, action)
    except (NotStaff, NotAllowed) as exc:
        fail(str(exc))
    return staff
