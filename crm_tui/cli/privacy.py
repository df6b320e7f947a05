"""`crm-tui privacy`: the privacy statement kept."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from crm_tui.cli.common import JsonOption, database, fail, now, out, private_output, staff_member
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal

privacy_app = typer.Typer(help="The privacy statement kept: a person's data, its erasure, who accessed it.")
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
    with private_output(out_file) as handle:
        handle.write(document + "\n")
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
    database(ctx).checkpoint()  # the old pages leave the write-ahead log too
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
