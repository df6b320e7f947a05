"""`crm-tui callbacks`: the queue as the shop's callback box fills it."""

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Column, Table

from crm_tui.cli.common import JsonOption, country_option, database, fail, now, out, print_table, staff_member
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal

callbacks_app = typer.Typer(help="The callback queue: list it, add a request.")


@callbacks_app.command("list")
def callbacks_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The callbacks waiting, in the order they are offered."""
    staff_member(ctx, Action.LIST_CALLBACKS)
    from crm_tui.services.callback_queue import queue

    entries = database(ctx).read(lambda session: queue(session, now(), limit=500, include_claimed=True))
    if as_json:
        print(json.dumps([asdict(e) | {"requested_at": e.requested_at.isoformat(),
                                       "kept_until": e.kept_until.isoformat() if e.kept_until else None,
                                       "window_from": e.window_from.isoformat() if e.window_from else None,
                                       "window_to": e.window_to.isoformat() if e.window_to else None,
                                       "retry_at": e.retry_at.isoformat() if e.retry_at else None}
                          for e in entries]))
        return

    tr = database(ctx).localizer()
    table = Table("id", tr("Customer"), Column(tr("Phone"), no_wrap=True), tr("Requested (UTC)"), tr("Waiting"),
                  Column(tr("Window (their time)"), no_wrap=True), tr("Attempts"), tr("Priority"), tr("Held by"),
                  tr("Note"))
    for e in entries:
        window = (f"{_local(e.window_from, e.time_zone)}–{_local(e.window_to or e.window_from, e.time_zone)[-5:]} "
                  f"{e.time_zone}" if e.window_from else tr("asap"))
        if e.retry_at is not None:
            window = tr("retry at {time}").format(time=_local(e.retry_at, e.time_zone)[-5:])
        kept = tr("{login} (personal until {time})").format(login=e.kept_for, time=_local(e.kept_until, e.time_zone)[-5:]) \
            if e.kept_for and e.kept_until else ""
        table.add_row(str(e.callback_id), literal(e.customer_name or tr("unknown caller")), literal(e.phone),
                      f"{e.requested_at:%Y-%m-%d %H:%M}", f"{e.age_minutes:.0f} min", window, str(e.attempts),
                      str(e.priority), literal(e.claimed_by or kept), literal(e.note))
    print_table(table)


@callbacks_app.command("add")
def callbacks_add(
    ctx: typer.Context,
    phone: Annotated[str, typer.Argument(help="The number to call back, in any format.")],
    note: Annotated[str, typer.Option(help="What the caller wants.")] = "",
    at: Annotated[Optional[str], typer.Option(
        "--at", help="When, in the customer's own time, for one hour: 18:30, 'tomorrow 10:00', +30m or "
                     "'YYYY-MM-DD 10:00' (as on the call screen); default: as soon as possible.")] = None,
    country: Annotated[Optional[str], typer.Option(
        help="Country of a number written without +code (default: the shop's phone region).")] = None,
) -> None:
    """Add a callback request, as the web shop's callback box does."""
    staff_member(ctx, Action.ADD_CALLBACK)
    from crm_tui.services.callback_claims import CallbackError, call_back_time
    from crm_tui.shop.operations import callback_time_zone, request_callback
    from crm_tui.shop.validation import InvalidField

    moment = now()
    region = country_option(country) if country is not None else database(ctx).locale().phone_region

    def add(session):
        starting = call_back_time(at, moment, callback_time_zone(session, phone, region)) if at else None
        return request_callback(session, phone, country=region, starting_at=starting, note=note, source="crm-tui",
                                now=moment)
    try:
        callback = database(ctx).write(add)
    except (InvalidField, CallbackError) as exc:
        fail(f"--at: {exc}" if isinstance(exc, CallbackError) else str(exc))
    out.print(literal(f"Callback {callback.id} for {callback.phone}"
                      + (f" (customer {callback.customer_id})" if callback.customer_id else " (unknown caller)")
                      + (f", window {_local(callback.window_from, callback.time_zone)}–"
                         f"{_local(callback.window_to, callback.time_zone)[-5:]} ({callback.time_zone})"
                         if callback.window_from else ", as soon as possible")))


def _local(moment: datetime, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"
