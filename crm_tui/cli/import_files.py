"""`crm-tui import`: shop exports into the database, every row accounted for."""

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from crm_tui.cli.common import AsOfOption, JsonOption, analysis_time, database, err, fail, out, staff_member
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal


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
    shop_zone: Annotated[Optional[str], typer.Option(
        "--timezone", help="Zone of times written without one (default: the shop's; a first import states it).")] = None,
    currency: Annotated[Optional[str], typer.Option(
        "--currency", help="The shop's currency, ISO 4217 (a first import states it; default EUR).")] = None,
    phone_region: Annotated[Optional[str], typer.Option(
        "--phone-region", help="Country of phone numbers without +code (a first import states it; default ES).")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh/--no-refresh", help="Recompute segments and offers afterwards (default: yes).")] = True,
    empty_clears: Annotated[bool, typer.Option(
        "--empty-clears", help="crm CSV: an empty cell clears its field (default: leaves it as it is).")] = False,
    sku_case: Annotated[str, typer.Option(
        "--sku-case", help="Product codes that differ only by letter case: merge (one product, the default) "
                           "or exact (two products).")] = "merge",
    as_of: AsOfOption = None,
) -> None:
    """Load shop exports: validated, idempotent, all or nothing. Exit 0 done, 1 refused, 2 usage."""
    from crm_tui.importing.runner import FORMATS, ImportOptions, run_import
    from crm_tui.importing.sniff import UnreadableFile

    if file_format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {file_format!r}", 2)
    if sku_case not in ("merge", "exact"):
        fail(f"--sku-case must be merge or exact, not {sku_case!r}", 2)
    mapping = {}
    for item in column_map or []:
        column, sep, field_name = item.partition("=")
        if not sep or not column.strip() or not field_name.strip():
            fail(f"--map takes COLUMN=field, not {item!r}", 2)
        mapping[column.strip()] = field_name.strip()
    engine = database(ctx).engine()
    importer = staff_member(ctx, Action.IMPORT)
    from crm_tui.services.shop_locale import OtherLocale, locale_for_import
    from crm_tui.shop.validation import InvalidField

    try:
        locale, first = database(ctx).read(
            lambda session: locale_for_import(session, importer, currency, shop_zone, phone_region))
    except InvalidField as exc:
        fail(str(exc), 2)
    except OtherLocale as exc:
        fail(str(exc))
    options = ImportOptions(format=file_format, dry_run=dry_run, strict=strict, decimal_comma=decimal_comma,
                            dayfirst=dayfirst, column_map=mapping, reject_file=reject_file,
                            shop_zone=locale.time_zone, empty_clears=empty_clears, sku_case=sku_case,
                            state_locale=locale if first else None)
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
    summary.warnings.insert(0, f"times without a zone were read as {options.shop_zone}" +
                            ("" if shop_zone else " (the shop's time zone)"))
    if summary.committed and first:
        summary.warnings.insert(0, f"the shop's locale is now {locale.currency}, {locale.time_zone}, phone region "
                                   f"{locale.phone_region}, stated by this first import (`crm-tui shop locale` "
                                   "changes it)")
    refreshed = None
    if refresh and summary.committed and not dry_run:
        from crm_tui.services.marketing import refresh_marketing

        at = analysis_time(ctx, as_of)
        refreshed = database(ctx).write(lambda session: refresh_marketing(session, at))
        summary.phases["refresh"] = refreshed.seconds
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

