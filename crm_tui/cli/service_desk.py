"""`crm-tui inbox`, `crm-tui cases`, `crm-tui orders`: the service desk from the shell."""

import json
import os
from dataclasses import asdict
from typing import Annotated, Optional

import typer
from rich.table import Table

from crm_tui.cli.common import JsonOption, database, fail, now, out, print_table, staff_member
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal

inbox_app = typer.Typer(help="The inbox: contact messages from customers and visitors.")
cases_app = typer.Typer(help="Complaint cases.")
orders_app = typer.Typer(help="Orders: where one is, and moving them along (back office).")


def _service_settings():
    from crm_tui.settings import service_settings_from

    return service_settings_from(os.environ)


def _json(rows: list) -> None:
    print(json.dumps([asdict(r) for r in rows], default=str, ensure_ascii=False))


@inbox_app.command("list")
def inbox_list(ctx: typer.Context, as_json: JsonOption = False,
               status: Annotated[Optional[str], typer.Option(
                   help="new, in_progress, answered or closed (default: the open ones, new and in progress).")]
               = None) -> None:
    """Messages that need an answer, oldest first, with their age against the target."""
    staff = staff_member(ctx, Action.WORK_INBOX)
    from crm_tui.services.inbox import inbox

    settings = _service_settings()
    try:
        rows = database(ctx).read(lambda session: inbox(session, staff, now(), settings, status))
    except ServiceError as exc:
        fail(str(exc), 2)
    if as_json:
        _json(rows)
        return
    table = Table("id", "received (UTC)", "age h", "kind", "from", "customer", "status", "owner", "text",
                  title=f"inbox · target {settings.inbox_target_hours} h")
    for m in rows:
        sender = " ".join(part for part in (m.name, m.email or "", m.phone or "") if part)
        table.add_row(str(m.message_id), f"{m.received_at:%Y-%m-%d %H:%M}",
                      f"{m.age_hours:.1f}" + (" overdue" if m.overdue else ""), literal(m.kind), literal(sender),
                      literal(m.customer_number or "not a customer"), literal(m.status), literal(m.owner or ""),
                      literal(m.text))
    print_table(table)


@cases_app.command("list")
def cases_list(ctx: typer.Context, as_json: JsonOption = False,
               view: Annotated[str, typer.Option(help="mine, team, overdue or finished.")] = "team") -> None:
    """Complaint cases: yours, the team's open ones, the overdue ones, or the finished ones."""
    staff = staff_member(ctx, Action.WORK_CASES)
    from crm_tui.services.cases import cases

    try:
        rows = database(ctx).read(lambda session: cases(session, staff, view, now()))
    except ServiceError as exc:
        fail(str(exc), 2)
    if as_json:
        _json(rows)
        return
    table = Table("case", "opened (UTC)", "due (UTC)", "type", "status", "prio", "owner", "customer", "order",
                  "summary", title=f"cases · {view}")
    for c in rows:
        table.add_row(str(c.case_id), f"{c.opened_at:%Y-%m-%d %H:%M}",
                      f"{c.due_at:%Y-%m-%d %H:%M}" + (" overdue" if c.overdue else ""), literal(c.kind),
                      literal(c.status), str(c.priority), literal(c.owner), literal(c.customer_number or ""),
                      literal(c.order_number or ""), literal(c.summary))
    print_table(table)


@orders_app.command("show")
def orders_show(ctx: typer.Context, order: Annotated[str, typer.Argument(help="The order number, e.g. WO00000012.")],
                as_json: JsonOption = False) -> None:
    """An order's lines and its status history: placed, paid, shipped (carrier, tracking), delivered..."""
    staff = staff_member(ctx, Action.TRACK_ORDERS)
    from crm_tui.services.order_tracking import find_order, track_order

    try:
        tracked = database(ctx).read(lambda session: track_order(session, staff, find_order(session, order)))
    except ServiceError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(asdict(tracked), default=str, ensure_ascii=False))
        return

    tr = database(ctx).localizer()
    out_table = Table("when (UTC)", "status", "carrier", "tracking", "by",
                      title=literal(f"{tracked.number} · {tracked.status} · {tr.money(tracked.total_cents)}"))
    for step in tracked.steps:
        out_table.add_row(f"{step.at:%Y-%m-%d %H:%M}", literal(step.status), literal(step.carrier),
                          literal(step.tracking_number), literal(step.changed_by))
    print_table(out_table)
    lines = Table("sku", "product", "quantity", "unit price", "total")
    for line in tracked.lines:
        lines.add_row(literal(line.sku), literal(line.name), str(line.quantity), tr.money(line.unit_price_cents),
                      tr.money(line.line_total_cents))
    print_table(lines)


@orders_app.command("move")
def orders_move(ctx: typer.Context, order: Annotated[str, typer.Argument(help="The order number.")],
                status: Annotated[str, typer.Argument(help="paid, shipped, delivered, cancelled or returned.")],
                carrier: Annotated[str, typer.Option(help="Shipped: the carrier.")] = "",
                tracking: Annotated[str, typer.Option(help="Shipped: the tracking number.")] = "") -> None:
    """The back office moves an order along (ops and supervisors)."""
    staff = staff_member(ctx, Action.MOVE_ORDERS)
    from crm_tui.services.order_tracking import OrderRefused, find_order, move_order_along

    moment = now()
    try:
        database(ctx).write(lambda session: move_order_along(session, staff, find_order(session, order), status,
                                                             carrier=carrier, tracking_number=tracking, now=moment))
    except (ServiceError, OrderRefused) as exc:
        fail(str(exc))
    out.print(literal(f"{order.strip().upper()} is now {status.strip().lower()}."))
