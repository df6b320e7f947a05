"""The `crm-tui` command: thin typer commands that parse, call services and print."""

import json
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from crm_tui import settings as config
from crm_tui.cli.common import Commands
from crm_tui.db import DatabaseError, create_private_file
from crm_tui.services.policy import Action
from crm_tui.settings import LANGUAGES, Settings
from crm_tui.widgets.literal import literal

app = typer.Typer(help="Terminal CRM console for the call centre of an online shop.",
                  no_args_is_help=False, add_completion=False, cls=Commands)
staff_app = typer.Typer(help="Who may use the console: add, list, disable staff.")
app.add_typer(staff_app, name="staff")
callbacks_app = typer.Typer(help="The callback queue: list it, add a request.")
app.add_typer(callbacks_app, name="callbacks")

from crm_tui.cli.common import (
    CommandDatabase,
    DbOption,
    JsonOption,
    LangOption,
    acting_login,
    database,
    err,
    fail,
    now,
    out,
    staff_member,
)


@app.callback(invoke_without_command=True)
def console(ctx: typer.Context, db: DbOption = None, lang: LangOption = None,
            impersonate: Annotated[Optional[str], typer.Option(
                "--as", help="On a demo database only: act as this staff login (see the agent's view).")] = None,
            ) -> None:
    """With no command: open the console."""
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", 2)
    if ctx.invoked_subcommand is not None:
        ctx.obj = CommandDatabase(db, Settings.from_environment(lang=lang).lang, impersonate)
        ctx.call_on_close(ctx.obj.close)
        return
    from crm_tui.app import ConsoleRefused, make_app

    try:
        crm = make_app(Settings.from_environment(db=db, lang=lang), impersonate=impersonate)
    except (ConsoleRefused, DatabaseError) as exc:
        fail(str(exc))
    crm.run()


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
    from crm_tui.db import owned_by_this_user
    from crm_tui.services.demo_shop import DatabaseExists, make_demo_shop

    started = time.perf_counter()
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    try:
        url = database(ctx).url
        result = make_demo_shop(url, customers=customers, seed=seed, force=force, login=config.os_login(),
                                owns_target=owned_by_this_user(url), as_of=as_of,
                                progress=lambda msg: err.print(literal(f"  {msg}")))
    except (DatabaseExists, DatabaseError) as exc:
        fail(str(exc))
    s = result.summary
    out.print(literal(f"Demo shop in {result.url}: {s.customers:,} customers, {s.products:,} products, "
                      f"{s.orders:,} orders, {s.order_lines:,} order lines, {s.callbacks} pending callbacks, "
                      f"{s.contact_messages} contact messages ({time.perf_counter() - started:.1f} s). "
                      f"{result.supervisor_login!r} is its supervisor."))


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
    from crm_tui.db import owned_by_this_user
    from crm_tui.services.policy import NotAllowed
    from crm_tui.services.staff import NotStaff, StaffError, active_staff, add_staff, has_staff

    command, me = database(ctx), acting_login(ctx)

    def add(session):
        try:
            acting = active_staff(session, me)
        except NotStaff:
            if has_staff(session):
                raise
            acting = None  # the first member: the file's owner decides
        return add_staff(session, login, role, display_name=name, discount_cap=discount_cap, acting=acting,
                         acting_login=me, owns_database=owned_by_this_user(command.url))
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
    from crm_tui.services.staff import StaffError, disable_staff

    acting = staff_member(ctx, Action.MANAGE_STAFF)
    try:
        member = database(ctx).write(lambda session: disable_staff(session, login, acting=acting))
    except StaffError as exc:
        fail(str(exc))
    out.print(literal(f"Disabled {member.login}."))


@staff_app.command("enable")
def staff_enable(ctx: typer.Context, login: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled staff member again."""
    from crm_tui.services.staff import StaffError, enable_staff

    acting = staff_member(ctx, Action.MANAGE_STAFF)
    try:
        member = database(ctx).write(lambda session: enable_staff(session, login, acting=acting))
    except StaffError as exc:
        fail(str(exc))
    out.print(literal(f"Enabled {member.login}."))


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Export files: transaction lines, or the crm CSV set.")],
    file_format: Annotated[str, typer.Option("--format", help="auto, crm or lines.")] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count everything, write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Any rejected row aborts the import.")] = False,
    as_json: JsonOption = False,
    reject_file: Annotated[Optional[Path], typer.Option("--reject-file", help="Where rejected rows go (CSV).")] = None,
    column_map: Annotated[Optional[list[str]], typer.Option(
        "--map", help="COLUMN=field: read the file's COLUMN as field (order_number, sku, description, "
                      "quantity, placed_at, unit_price, customer_id, country).")] = None,
    decimal_comma: Annotated[Optional[bool], typer.Option(
        "--decimal-comma/--decimal-point", help="Numbers use a decimal comma (default: detected).")] = None,
    dayfirst: Annotated[Optional[bool], typer.Option(
        "--dayfirst/--monthfirst", help="Dates are day-first (default: detected).")] = None,
    shop_zone: Annotated[str, typer.Option("--timezone", help="Zone of times written without one.")] = "Europe/Madrid",
    refresh: Annotated[bool, typer.Option(
        "--refresh/--no-refresh", help="Recompute segments and offers afterwards (default: yes).")] = True,
    empty_clears: Annotated[bool, typer.Option(
        "--empty-clears", help="crm CSV: an empty cell clears its field (default: leaves it as it is).")] = False,
) -> None:
    """Load shop exports: validated, idempotent, all or nothing. Exit 0 done, 1 refused, 2 usage."""
    from crm_tui.importing.runner import FORMATS, ImportOptions, run_import
    from crm_tui.importing.sniff import UnreadableFile

    if file_format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {file_format!r}", 2)
    mapping = {}
    for item in column_map or []:
        column, sep, field_name = item.partition("=")
        if not sep or not column.strip() or not field_name.strip():
            fail(f"--map takes COLUMN=field, not {item!r}", 2)
        mapping[column.strip()] = field_name.strip()
    options = ImportOptions(format=file_format, dry_run=dry_run, strict=strict, decimal_comma=decimal_comma,
                            dayfirst=dayfirst, column_map=mapping, reject_file=reject_file, shop_zone=shop_zone,
                            empty_clears=empty_clears)
    engine = database(ctx).engine()
    importer = staff_member(ctx, Action.IMPORT)
    progress_bar = None if as_json or not err.is_terminal else _import_progress()
    try:
        if progress_bar is None:
            summary = run_import(engine, paths, options, importer.login)
        else:
            with progress_bar as bar:
                task = bar.add_task("import", total=None, rows=0, rate=0.0)
                started = time.perf_counter()

                def report(name: str, done: int, total: int, rows: int) -> None:
                    rate = rows / max(time.perf_counter() - started, 1e-6)
                    bar.update(task, description=name, completed=done, total=total, rows=rows, rate=rate)

                summary = run_import(engine, paths, options, importer.login, progress=report)
    except UnreadableFile as exc:
        fail(str(exc))
    refreshed = None
    if refresh and summary.committed and not dry_run:
        from crm_tui.services.marketing import refresh_marketing

        refreshed = database(ctx).write(lambda session: refresh_marketing(session, now()))
    if as_json:
        print(json.dumps(summary.as_json() | (
            {"marketing_refresh_seconds": round(refreshed.seconds, 2)} if refreshed else {})))
    else:
        _print_import_summary(summary, dry_run, strict)
        if refreshed:
            out.print(f"Segments and offers refreshed: {refreshed.customers:,} customers, "
                      f"{refreshed.products_with_partners:,} products with basket partners ({refreshed.seconds:.1f} s).")
    if strict and summary.rejected:
        raise typer.Exit(1)


def _import_progress():
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]:>12,} rows"),
                    TextColumn("{task.fields[rate]:>9,.0f} rows/s"), TimeElapsedColumn(), TextColumn("left"),
                    TimeRemainingColumn(), console=err, transient=True)


def _print_import_summary(summary, dry_run: bool, strict: bool) -> None:
    table = Table("", "rows", title="Import" + (" (dry run: nothing written)" if dry_run else ""))
    for key in ("rows_read", "imported", "updated", "unchanged", "duplicates", "rejected"):
        table.add_row(key.replace("_", " "), f"{getattr(summary, key):,}")
    out.print(table)
    out.print(f"created: {summary.customers_created:,} customers, {summary.products_created:,} products, "
              f"{summary.orders_created:,} orders, {summary.order_lines_created:,} order lines; "
              f"updated {summary.customers_updated:,} customers ({summary.seconds:.1f} s, "
              f"{summary.rows_read / max(summary.seconds, 1e-9):,.0f} rows/s)", highlight=False)
    for item in summary.files:
        out.print(literal(f"  {item['file']}: {item['format']}, {item['read_as']}, {item['rows_read']:,} rows"))
    for warning in summary.warnings:
        err.print(Text.assemble(("warning:", "yellow"), " ", literal(warning)))
    if summary.reject_file:
        err.print(literal(f"{summary.rejected:,} rejected rows, with file, line, column and reason, are in "
                          f"{summary.reject_file}"))
    if strict and summary.rejected:
        err.print("[bold red]--strict: rejected rows, so nothing was written.[/]")
    elif not summary.committed and not dry_run:
        err.print("[bold red]nothing was written.[/]")


@callbacks_app.command("list")
def callbacks_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The callbacks waiting, in the order they are offered."""
    staff_member(ctx, Action.LIST_CALLBACKS)
    from crm_tui.services.callback_queue import queue

    entries = database(ctx).read(lambda session: queue(session, now(), limit=500, include_claimed=True))
    if as_json:
        print(json.dumps([asdict(e) | {"requested_at": e.requested_at.isoformat(),
                                       "window_from": e.window_from.isoformat() if e.window_from else None,
                                       "window_to": e.window_to.isoformat() if e.window_to else None}
                          for e in entries]))
        return
    table = Table("id", "customer", "phone", "requested", "waiting", "window", "attempts", "priority", "held by",
                  "note")
    for e in entries:
        window = (f"{e.window_from:%H:%M}-{e.window_to:%H:%M} UTC" if e.window_from else "asap")
        table.add_row(str(e.callback_id), literal(e.customer_name or "unknown caller"), literal(e.phone),
                      f"{e.requested_at:%Y-%m-%d %H:%M} UTC", f"{e.age_minutes:.0f} min", window, str(e.attempts),
                      str(e.priority), literal(e.claimed_by), literal(e.note))
    out.print(table)


@callbacks_app.command("add")
def callbacks_add(
    ctx: typer.Context,
    phone: Annotated[str, typer.Argument(help="The number to call back, in any format.")],
    note: Annotated[str, typer.Option(help="What the caller wants.")] = "",
    at: Annotated[Optional[datetime], typer.Option(
        "--at", help="Call at this local time (the customer's zone), for one hour; default: as soon as possible.")] = None,
    country: Annotated[str, typer.Option(help="Country of a number written without +code.")] = "ES",
) -> None:
    """Add a callback request, as the web shop's callback box does."""
    staff_member(ctx, Action.ADD_CALLBACK)
    from crm_tui.shop.operations import request_callback
    from crm_tui.shop.validation import InvalidField

    window = None
    if at is not None:
        end = (datetime.combine(at.date(), at.time()) + timedelta(hours=1)).time()
        window = (at.time(), end if end > at.time() else at.time().replace(hour=23, minute=59))
    try:
        callback = database(ctx).write(lambda session: request_callback(
            session, phone, country=country, window=window,
            window_date=at.replace(tzinfo=timezone.utc) if at else None, note=note, source="crm-tui"))
    except InvalidField as exc:
        fail(str(exc))
    out.print(literal(f"Callback {callback.id} for {callback.phone}"
                      + (f" (customer {callback.customer_id})" if callback.customer_id else " (unknown caller)")
                      + (f", window {callback.window_from:%Y-%m-%d %H:%M}-{callback.window_to:%H:%M} UTC" if window
                         else ", as soon as possible")))


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="The copy: a new file.")],
) -> None:
    """A consistent, checked copy of the database while agents keep working. Supervisors and ops."""
    from crm_tui.services.backup import back_up

    staff_member(ctx, Action.BACKUP)
    copy = back_up(database(ctx).url, out_file)
    if copy.integrity != "ok":
        fail(f"the copy in {copy.path} failed its integrity check ({copy.integrity}); keep the original and try again")
    out.print(literal(f"Backed up to {copy.path} ({copy.pages:,} pages, integrity ok). To restore: stop the consoles, "
                      f"then copy it over the database file (cp {copy.path} DATABASE) and remove DATABASE-wal and "
                      "DATABASE-shm if they are there."))


privacy_app = typer.Typer(help="The privacy statement kept: a person's data, its erasure, who accessed it.")
app.add_typer(privacy_app, name="privacy")
CustomerArgument = Annotated[str, typer.Argument(help="Customer number (CU0000123), id, e-mail or phone.")]


def _customer_id(ctx: typer.Context, reference: str) -> int:
    from crm_tui.services.offers import find_customer

    found = database(ctx).read(lambda session: find_customer(session, reference))
    if found is None:
        fail(f"no customer {reference!r} (give a customer number like CU0000123, an id, an e-mail or a phone)")
    return found


@privacy_app.command("export")
def privacy_export(ctx: typer.Context, customer: CustomerArgument,
                   out_file: Annotated[Optional[Path], typer.Option("--out", help="JSON file (default: stdout).")] = None,
                   ) -> None:
    """Everything the shop and the CRM hold about one person, as JSON (logged as an access)."""
    from crm_tui.services.privacy import export_customer

    staff = staff_member(ctx, Action.PRIVACY)
    customer_id = _customer_id(ctx, customer)
    data = database(ctx).write(lambda session: export_customer(session, staff, customer_id, now()))
    document = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    if out_file is None:
        print(document)
        return
    create_private_file(out_file)
    out_file.write_text(document + "\n", encoding="utf-8")
    out.print(literal(f"{sum(map(len, data.values())):,} rows about customer {customer_id} in {out_file}"))


@privacy_app.command("erase")
def privacy_erase(ctx: typer.Context, customer: CustomerArgument,
                  reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the request and its date).")]) -> None:
    """Anonymise a person: name, contact, address and what they wrote; orders stay for the accounts."""
    from crm_tui.services.errors import ServiceError
    from crm_tui.services.privacy import erase_customer

    staff = staff_member(ctx, Action.PRIVACY)
    customer_id = _customer_id(ctx, customer)
    try:
        database(ctx).write(lambda session: erase_customer(session, staff, customer_id, reason, now()))
    except ServiceError as exc:
        fail(str(exc))
    out.print(f"Customer {customer_id} erased: their orders stay, anonymous.", highlight=False)


@privacy_app.command("access")
def privacy_access(ctx: typer.Context, customer: CustomerArgument, as_json: JsonOption = False) -> None:
    """Who opened this customer's card or call, and who exported their data, and when."""
    from crm_tui.services.privacy import access_log

    staff = staff_member(ctx, Action.PRIVACY)
    customer_id = _customer_id(ctx, customer)
    entries = database(ctx).read(lambda session: access_log(session, staff, customer_id))
    if as_json:
        print(json.dumps([{"at": e.at.isoformat(), "staff_login": e.staff_login, "what": e.what} for e in entries]))
        return
    table = Table("when (UTC)", "who", "what")
    for e in entries:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", Text(e.staff_login), Text(e.what))
    out.print(table)


from crm_tui.cli import marketing, report  # noqa: E402

app.add_typer(marketing.marketing_app, name="marketing")
app.command("report")(report.report_command)


def main() -> None:
    app()
