"""`crm-tui report KIND`: the supervisors' reports as rich tables, CSV or JSON."""

import json
import sys
from contextlib import nullcontext
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Column, Table
from rich.text import Text
from sqlmodel import Session

from crm_tui.cli.common import database, fail, now, print_table, private_output, staff_member
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
    QUALITY = "quality"
    LOST = "lost-customers"
    VISITS = "visits"


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


MONEY = {"gross_cents", "cancellations_cents", "net_cents", "discount_cents", "value_lost_cents"}


def report_command(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="monthly, top-products, top-customers, discounts, callbacks, quality, "
                                              "lost-customers or visits (the web shop's).")],
    first: Annotated[Optional[datetime], typer.Option("--from", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                                      help="First day (default: the first sale).")] = None,
    last: Annotated[Optional[datetime], typer.Option("--to", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                                     help="Last day, included (default: the last sale).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.TABLE,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file.")] = None,
    country: Annotated[Optional[str], typer.Option(help="Only customers of this country (ISO code).")] = None,
    category: Annotated[Optional[str], typer.Option(help="Top products: only this category.")] = None,
    by: Annotated[str, typer.Option(help="Top products: revenue or quantity. Lost customers: month or customer "
                                         "(one row each, with their last case and score). Visits: day or page "
                                         "(the catalogue pages that lead to orders).")] = "revenue",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Top lists: how many.")] = 20,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Money and dates in the table: en or es.")] = None,
) -> None:
    """Sales, products, customers, discounts, callbacks: a table, CSV or JSON. Supervisors and ops."""
    from crm_tui.services import reports

    if kind in (Kind.LOST, Kind.VISITS) and by == "revenue":
        by = "month" if kind == Kind.LOST else "day"
    allowed = {Kind.LOST: ("month", "customer"), Kind.VISITS: ("day", "page")}.get(kind, ("revenue", "quantity"))
    if by not in allowed:
        fail(f"--by must be {' or '.join(allowed)}, not {by!r}", 2)
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", 2)
    if kind in (Kind.QUALITY, Kind.LOST, Kind.VISITS):
        service_report(ctx, kind, first, last, output_format, out_file, database(ctx).localizer(lang), by)
        return
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
    write(rows, kind, period, output_format, out_file, database(ctx).localizer(lang))


def service_report(ctx: typer.Context, kind: Kind, first: datetime | None, last: datetime | None,
                   output_format: "Format", out_file: Path | None, tr, by: str = "month") -> None:
    """Service quality and the web shop's visits (default: the last 30 days) and lost customers
    (default: the last 12 months), up to today; formulas in crm_tui/services/service_quality.py
    and the README."""
    import os
    from datetime import timedelta

    from crm_tui.services.lost_customers import lost_by_month, lost_customers
    from crm_tui.services.reports import Period
    from crm_tui.services.service_quality import quality_report
    from crm_tui.settings import service_settings_from, settings_from

    staff = staff_member(ctx, Action.RUN_REPORTS if kind == Kind.VISITS else Action.SERVICE_QUALITY)
    today = datetime.combine(now().date(), datetime.min.time())
    last = last or today
    first = first or last - timedelta(days=364 if kind == Kind.LOST else 29)
    if first > last:
        fail(f"--from {first:%Y-%m-%d} is after --to {last:%Y-%m-%d}", 2)
    service = service_settings_from(os.environ)
    utc = {"tzinfo": timezone.utc}
    start, end = first.replace(**utc), last.replace(**utc)
    if kind == Kind.VISITS:
        from crm_tui.services.visits import pages_leading_to_orders, visits_per_day

        until = end + timedelta(days=1)
        if by == "page":
            pages = database(ctx).read(lambda session: pages_leading_to_orders(session, staff, start, until))
            rows = [{"page": p.page, "visits": p.visits, "visits_with_order": p.visits_with_order,
                     "share_with_order": p.share} for p in pages]
        else:
            rows = [vars(d) for d in database(ctx).read(lambda session: visits_per_day(session, staff, start, until))]
    elif kind == Kind.LOST:
        found = database(ctx).read(lambda session: lost_customers(session, staff, start, end, service,
                                                                  details=by == "customer"))
        if by == "customer":
            rows = [{"lapsed_on": f"{c.lapsed_on:%Y-%m-%d}", "customer_number": c.customer_number, "name": c.name,
                     "purchases": c.purchases, "value_lost_cents": c.value_lost_cents, "reason": c.reason or "",
                     "last_case": c.last_case or "", "last_satisfaction": c.last_satisfaction or ""} for c in found]
        else:
            rows = [{"month": m.month, "customers": m.customers, "value_lost_cents": m.value_lost_cents,
                     "reasons": ", ".join(f"{reason} {n}" for reason, n in m.reasons.most_common())}
                    for m in lost_by_month(found)]
    else:
        moment = now()
        report = database(ctx).read(lambda session: quality_report(
            session, staff, start, end, settings_from(os.environ), service, moment))
        rows = quality_rows(report)
    write(rows, kind, Period(first.date(), last.date()), output_format, out_file, tr)


def quality_rows(report) -> list[dict]:
    """One row per index (figure and what it is of), then the weeks, returns and lost months."""
    def row(index: str, figure, basis: str) -> dict:
        return {"index": index, "figure": figure, "basis": basis}

    def share(part: int, whole: int) -> str | None:
        return f"{part / whole:.1%}" if whole else None

    rows = [
        row("satisfaction", round(report.satisfaction, 2) if report.satisfaction is not None else None,
            f"{sum(report.scores.values())} scores: " + " ".join(f"{s}:{report.scores.get(s, 0)}" for s in range(1, 6))),
        row("complaints per 1,000 orders", round(report.complaints_per_1000_orders, 2)
            if report.complaints_per_1000_orders is not None else None,
            f"{report.complaints} complaints, {report.orders} orders"),
        row("cases resolved within target", share(report.cases_within_target, report.cases_resolved),
            f"{report.cases_within_target} of {report.cases_resolved} cases"),
        row("median resolution hours", round(report.median_resolution_hours, 1)
            if report.median_resolution_hours is not None else None, f"{report.cases_resolved} cases"),
        row("first-contact resolution", share(report.first_contact, report.matters_closed),
            f"{report.first_contact} of {report.matters_closed} callbacks and cases"),
        row("callbacks called within target", share(report.callbacks_within_target, report.callbacks_called),
            f"{report.callbacks_within_target} of {report.callbacks_called} callbacks"),
        row("inbox answered within target", share(report.messages_within_target, report.messages_due),
            f"{report.messages_within_target} of {report.messages_due} messages"),
    ]
    rows += [row(f"satisfaction {week}", round(average, 2), f"{n} scores")
             for week, average, n in report.weekly_satisfaction]
    rows += [row(f"return rate {r.sku}", f"{r.rate:.1%}", f"{r.returned} of {r.sold} units: {r.name}") for r in report.returns]
    rows += [row(f"lost customers {m.month}", m.customers,
                 ", ".join(f"{reason} {n}" for reason, n in m.reasons.most_common())) for m in report.lost]
    return rows


# Per kind of report, the columns that add up to a total row (a month's customers do not: the
# same customer buys in several months).
TOTALS = {Kind.MONTHLY: ("orders", "units", "gross_cents", "cancellations_cents", "net_cents"),
          Kind.DISCOUNTS: ("phone_orders", "discounted_orders", "discount_cents", "card_changes"),
          Kind.LOST: ("customers", "value_lost_cents"),
          Kind.VISITS: ("visits", "pages", "orders")}


def write(rows: list[dict], kind: Kind, period, output_format: Format, out_file: Path | None, tr) -> None:
    if output_format == Format.TABLE:
        first = rows[0] if rows else {"": ""}
        table = Table(*[Column(tr(_heading(k)), justify="right" if isinstance(v, (int, float)) and k not in ("month",)
                               else "left") for k, v in first.items()],
                      title=f"{kind} {period.first} – {period.last}")
        for row in rows:
            table.add_row(*[_shown(k, v, tr) for k, v in row.items()])
        summed = TOTALS.get(kind, ())
        if rows and summed and all(k in first for k in summed):
            table.add_section()
            table.add_row(*[_shown(k, sum(r[k] for r in rows), tr) if k in summed else
                            (tr("total") if n == 0 else "") for n, k in enumerate(first)], style="bold")
        if out_file:
            from rich.console import Console

            with private_output(out_file) as handle:
                Console(file=handle, width=200).print(table)
        else:
            print_table(table)
        return
    currency = tr.currency_code
    plain = [{_file_key(k, currency): (_decimal(v) if k in MONEY else v) for k, v in row.items()} for row in rows]
    with (private_output(out_file) if out_file else nullcontext(sys.stdout)) as handle:
        if output_format == Format.JSON:
            json.dump({"report": str(kind), "from": str(period.first), "to": str(period.last), "currency": currency,
                       "rows": plain}, handle, ensure_ascii=False, default=str)
            handle.write("\n")
        else:
            writer = csv_writer(handle)
            if plain:
                writer.writerow(plain[0].keys())
            writer.writerows(row.values() for row in plain)


def _file_key(key: str, currency: str) -> str:
    """A column's name in files: money columns say their currency ("net_gbp")."""
    return f"{key.removesuffix('_cents')}_{currency.lower()}" if key in MONEY else key


def _decimal(cents: int) -> str:
    """Exact decimal amounts for files: 1234.5 is "1234.50"; -0.05 is "-0.05"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _heading(key: str) -> str:
    return key.removesuffix("_cents").replace("_", " ")


def _shown(key: str, value, tr) -> str | Text:
    """A table cell: figures in the locale, names and codes from the data literally."""
    if key in MONEY:
        return tr.money(value)
    if isinstance(value, float):
        return f"{value:.0%}" if "share" in key else f"{value:.2f}"
    if isinstance(value, int):
        return tr.number(value)
    return literal(value)

