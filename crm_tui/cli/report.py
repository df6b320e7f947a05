"""`crm-tui report KIND`: the supervisors' reports as rich tables, CSV or JSON."""

import json
import sys
from contextlib import nullcontext
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from crm_tui.cli.common import database, fail, print_table, private_output, staff_member
from crm_tui.services.policy import Action
from crm_tui.services.safe_csv import csv_writer
from crm_tui.settings import LANGUAGES
from crm_tui.widgets.literal import literal


class Kind(StrEnum):
    MONTHLY = "monthly"
    TOP_PRODUCTS = "top-products"
    TOP_CUSTOMERS = "top-customers"
    DISCOUNTS = "discounts"
    CALLBACKS = "callbacks"


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


MONEY = {"gross_cents", "cancellations_cents", "net_cents", "discount_cents"}


def report_command(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="monthly, top-products, top-customers, discounts or callbacks.")],
    first: Annotated[Optional[datetime], typer.Option("--from", formats=["%Y-%m-%d"],
                                                      help="First day (default: the first sale).")] = None,
    last: Annotated[Optional[datetime], typer.Option("--to", formats=["%Y-%m-%d"],
                                                     help="Last day, included (default: the last sale).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.TABLE,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file.")] = None,
    country: Annotated[Optional[str], typer.Option(help="Only customers of this country (ISO code).")] = None,
    category: Annotated[Optional[str], typer.Option(help="Top products: only this category.")] = None,
    by: Annotated[str, typer.Option(help="Top products: revenue or quantity.")] = "revenue",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Top lists: how many.")] = 20,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Money and dates in the table: en or es.")] = None,
) -> None:
    """Monthly sales, top products and customers, discounts per agent, callbacks: as a table on the
    terminal, CSV or JSON for files. Days are UTC. For supervisors and ops."""
    from crm_tui.i18n import Localizer
    from crm_tui.services import reports

    if by not in ("revenue", "quantity"):
        fail(f"--by must be revenue or quantity, not {by!r}", 2)
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", 2)
    staff_member(ctx, Action.RUN_REPORTS)
    engine = database(ctx).engine()
    with Session(engine) as session:
        known = reports.period_of_data(session)
        if known is None and (first is None or last is None):
            fail("there are no sales yet: import some with `crm-tui import`, or give --from and --to")
        period = reports.Period(first.date() if first else known.first, last.date() if last else known.last)
        if period.first > period.last:
            fail(f"--from {period.first} is after --to {period.last}", 2)
        country = country.upper() if country else None
        if kind == Kind.MONTHLY:
            rows = [vars(r) for r in reports.monthly(session, period, country)]
        elif kind == Kind.TOP_PRODUCTS:
            rows = [vars(r) for r in reports.top_products(session, period, by, country, category, limit)]
        elif kind == Kind.TOP_CUSTOMERS:
            rows = [vars(r) for r in reports.top_customers(session, period, country, limit)]
        elif kind == Kind.DISCOUNTS:
            rows = [vars(r) for r in reports.discounts(session, period)]
        else:
            days, hours = reports.callbacks(session, period)
            rows = [vars(d) | {"share_within_target": d.share_within_target} for d in days]
    write(rows, kind, period, output_format, out_file, Localizer(lang or database(ctx).lang))


def write(rows: list[dict], kind: Kind, period, output_format: Format, out_file: Path | None, tr) -> None:
    if output_format == Format.TABLE:
        table = Table(*[_heading(k) for k in (rows[0] if rows else {"": ""})],
                      title=f"{kind} {period.first} – {period.last}")
        for row in rows:
            table.add_row(*[_shown(k, v, tr) for k, v in row.items()])
        if out_file:
            from rich.console import Console

            with private_output(out_file) as handle:
                Console(file=handle, width=200).print(table)
        else:
            print_table(table)
        return
    plain = [{k.removesuffix("_cents"): (_euros(v) if k in MONEY else v) for k, v in row.items()} for row in rows]
    with (private_output(out_file) if out_file else nullcontext(sys.stdout)) as handle:
        if output_format == Format.JSON:
            json.dump({"report": str(kind), "from": str(period.first), "to": str(period.last), "rows": plain},
                      handle, ensure_ascii=False, default=str)
            handle.write("\n")
        else:
            writer = csv_writer(handle)
            if plain:
                writer.writerow(plain[0].keys())
            writer.writerows(row.values() for row in plain)


def _euros(cents: int) -> str:
    """Exact decimal euros for files: 1234.5 € is "1234.50"; -0.05 € is "-0.05"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _heading(key: str) -> str:
    return key.removesuffix("_cents").replace("_", " ")


def _shown(key: str, value, tr) -> str | Text:
    """A table cell: figures in the locale, names and codes from the data literally."""
    if key in MONEY:
        return tr.money(value)
    if isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, int):
        return tr.number(value)
    return literal(value)

