"""`crm-tui report KIND`: the supervisors' reports as rich tables, CSV or JSON."""

import json
import sys
from contextlib import nullcontext
from dataclasses import fields
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Group
from rich.table import Column, Table
from rich.text import Text
from sqlmodel import Session

from crm_tui.cli.common import country_option, database, fail, now, print_table, private_output, staff_member
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


# The reports a country narrows (sales by the customer's country, or a guest order's own).
BY_COUNTRY = (Kind.MONTHLY, Kind.TOP_PRODUCTS, Kind.TOP_CUSTOMERS)


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
                                                      help="First day (default: the first sale; discounts and "
                                                           "callbacks: 29 days before --to).")] = None,
    last: Annotated[Optional[datetime], typer.Option("--to", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                                                     help="Last day, included (default: the last sale; "
                                                          "discounts and callbacks: today).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.TABLE,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file.")] = None,
    country: Annotated[Optional[str], typer.Option(
        help="Monthly and top lists: only this country (an ISO code or a name in English or Spanish, as the import "
             "reads them; guest orders count in the country their order gives).")] = None,
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
    if country is not None and kind not in BY_COUNTRY:
        fail(f"--country applies to {', '.join(BY_COUNTRY)}, not to {kind}", 2)
    if kind in (Kind.QUALITY, Kind.LOST, Kind.VISITS):
        service_report(ctx, kind, first, last, output_format, out_file, database(ctx).localizer(lang), by)
        return
    staff_member(ctx, Action.RUN_REPORTS)
    country = country_option(country) if country is not None else None
    with Session(database(ctx).engine()) as session:
        period = _sales_period(session, kind, first, last)
        if kind == Kind.MONTHLY:
            columns, rows = _rows(reports.MonthRow, reports.monthly(session, period, country))
        elif kind == Kind.TOP_PRODUCTS:
            columns, rows = _rows(reports.TopProduct, reports.top_products(session, period, by, country, category, limit))
        elif kind == Kind.TOP_CUSTOMERS:
            columns, rows = _rows(reports.TopCustomer, reports.top_customers(session, period, country, limit))
        elif kind == Kind.DISCOUNTS:
            columns, rows = _rows(reports.AgentDiscounts, reports.discounts(session, period))
        else:
            days, hours = reports.callbacks(session, period)
            columns, rows = _rows(reports.CallbackDay, days)
            columns.append("share_within_target")
            rows = [row | {"share_within_target": day.share_within_target} for row, day in zip(rows, days)]
    write(rows, kind, period, output_format, out_file, database(ctx).localizer(lang), columns, country)


# Activity (discounts granted, callbacks answered) is about the recent past, not the sales history.
ACTIVITY_DAYS = 30


def _sales_period(session: Session, kind: Kind, first: datetime | None, last: datetime | None):
    """The days asked for; by default the whole sales history, or the last 30 days to today for
    the activity reports."""
    from datetime import timedelta

    from crm_tui.services import reports

    if kind in (Kind.DISCOUNTS, Kind.CALLBACKS):
        end = last.date() if last else now().date()
        period = reports.Period(first.date() if first else end - timedelta(days=ACTIVITY_DAYS - 1), end)
    else:
        known = reports.period_of_data(session)
        if known is None and (first is None or last is None):
            fail("there are no sales yet: import some with `crm-tui import`, or give --from and --to")
        period = reports.Period(first.date() if first else known.first, last.date() if last else known.last)
    if period.first > period.last:
        fail(f"--from {period.first} is after --to {period.last}", 2)
    return period


def _rows(kind_of_row, found) -> tuple[list[str], list[dict]]:
    """A report's columns (its row type's fields, so an empty report has them too) and rows."""
    return [f.name for f in fields(kind_of_row)], [vars(r) for r in found]


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
    first = first or last - timedelta(days=364 if kind == Kind.LOST else ACTIVITY_DAYS - 1)
    if first > last:
        fail(f"--from {first:%Y-%m-%d} is after --to {last:%Y-%m-%d}", 2)
    service = service_settings_from(os.environ)
    utc = {"tzinfo": timezone.utc}
    start, end = first.replace(**utc), last.replace(**utc)
    if kind == Kind.VISITS:
        from crm_tui.services.visits import VisitDay, pages_leading_to_orders, visits_per_day

        until = end + timedelta(days=1)
        if by == "page":
            pages = database(ctx).read(lambda session: pages_leading_to_orders(session, staff, start, until))
            columns = ["page", "visits", "visits_with_order", "share_with_order"]
            rows = [dict(zip(columns, (p.page, p.visits, p.visits_with_order, p.share))) for p in pages]
        else:
            columns, rows = _rows(VisitDay, database(ctx).read(
                lambda session: visits_per_day(session, staff, start, until)))
    elif kind == Kind.LOST:
        found = database(ctx).read(lambda session: lost_customers(session, staff, start, end, service,
                                                                  details=by == "customer"))
        if by == "customer":
            columns = ["lapsed_on", "customer_number", "name", "purchases", "value_lost_cents", "reason", "last_case",
                       "last_satisfaction"]
            rows = [dict(zip(columns, (f"{c.lapsed_on:%Y-%m-%d}", c.customer_number, c.name, c.purchases,
                                       c.value_lost_cents, c.reason or "", c.last_case or "",
                                       c.last_satisfaction or ""))) for c in found]
        else:
            columns = ["month", "customers", "value_lost_cents", "reasons"]
            rows = [dict(zip(columns, (m.month, m.customers, m.value_lost_cents,
                                       ", ".join(f"{reason} {n}" for reason, n in m.reasons.most_common()))))
                    for m in lost_by_month(found)]
    else:
        moment = now()
        report = database(ctx).read(lambda session: quality_report(
            session, staff, start, end, settings_from(os.environ), service, moment))
        columns, rows = ["index", "figure", "basis"], quality_rows(report)
    write(rows, kind, Period(first.date(), last.date()), output_format, out_file, tr, columns)


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


def write(rows: list[dict], kind: Kind, period, output_format: Format, out_file: Path | None, tr,
          columns: list[str], country: str | None = None) -> None:
    """The rows as a table, CSV or JSON; with no rows, the table says so and the files still
    have their header (CSV) and shape (JSON)."""
    if output_format == Format.TABLE:
        table = Table(*[Column(tr(_heading(k)), justify="right" if _is_figure(rows, k) else "left") for k in columns],
                      title=f"{kind} {period.first} – {period.last}" + (f" · {country}" if country else ""))
        for row in rows:
            table.add_row(*[_shown(k, row[k], tr) for k in columns])
        summed = TOTALS.get(kind, ())
        if rows and summed and all(k in columns for k in summed):
            table.add_section()
            table.add_row(*[_shown(k, sum(r[k] for r in rows), tr) if k in summed else
                            (tr("total") if n == 0 else "") for n, k in enumerate(columns)], style="bold")
        shown: Table | Group = table
        if not rows:  # the sentence under the table, unwrapped
            shown = Group(table, literal(tr("No data for {report} from {first} to {last}{country}.").format(
                report=kind, first=period.first, last=period.last,
                country=tr(" in {country}").format(country=country) if country else "")))
        if out_file:
            from rich.console import Console

            with private_output(out_file) as handle:
                Console(file=handle, width=200).print(shown)
        else:
            print_table(shown)
        return
    currency = tr.currency_code
    header = [_file_key(k, currency) for k in columns]
    plain = [{_file_key(k, currency): (_decimal(row[k]) if k in MONEY and row[k] is not None else row[k])
              for k in columns} for row in rows]
    with (private_output(out_file) if out_file else nullcontext(sys.stdout)) as handle:
        if output_format == Format.JSON:
            json.dump({"report": str(kind), "from": str(period.first), "to": str(period.last), "currency": currency,
                       "country": country, "columns": header, "rows": plain}, handle, ensure_ascii=False, default=str)
            handle.write("\n")
        else:
            writer = csv_writer(handle)
            writer.writerow(header)
            writer.writerows(row.values() for row in plain)


def _is_figure(rows: list[dict], key: str) -> bool:
    """Right-aligned: counts and amounts."""
    return bool(rows) and isinstance(rows[0][key], (int, float)) and key != "month"


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

