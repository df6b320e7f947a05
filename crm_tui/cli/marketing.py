"""`crm-tui marketing`: offers for one customer, segments, campaign exports, acceptance."""

import json
import os
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from crm_tui.cli.common import (
    AsOfOption,
    JsonOption,
    analysis_time,
    database,
    err,
    fail,
    now,
    out,
    private_output,
    staff_member,
)
from crm_tui.db import run_write
from crm_tui.services.policy import Action
from crm_tui.settings import service_settings_from
from crm_tui.widgets.literal import literal

marketing_app = typer.Typer(help="Direct marketing: offers, segments, campaign lists.")


def _templates():
    from crm_tui.services.offers import TemplateError, load_templates

    try:
        return load_templates()
    except TemplateError as exc:
        fail(str(exc))


@marketing_app.command("offers")
def offers_command(ctx: typer.Context,
                   customer: Annotated[str, typer.Argument(help="Customer number (CU0000123), id, e-mail or phone.")],
                   as_json: JsonOption = False,
                   limit: Annotated[int, typer.Option(min=1, max=50, help="How many offers.")] = 10,
                   as_of: AsOfOption = None) -> None:
    """Ranked offers for one customer, with the reason, the channel they consented to, and the message."""
    staff_member(ctx, Action.MARKETING_OFFERS)
    at = analysis_time(ctx, as_of)
    from crm_tui.services.offers import customer_offers, find_customer

    templates = _templates()
    with Session(database(ctx).engine()) as session:
        customer_id = find_customer(session, customer)
        if customer_id is None:
            fail(f"no customer {customer!r} (give a customer number like CU0000123, an id, an e-mail or a phone)")
        found = customer_offers(session, customer_id, templates, at, limit=limit,
                                unhappy_days=service_settings_from(os.environ).unhappy_days)
    if as_json:
        print(json.dumps({"customer_number": found.customer_number, "channel": found.channel,
                          "consents": found.consents, "withheld": asdict(found.withheld) if found.withheld else None,
                          "offers": [asdict(o) | {"message": m} for o, m in zip(found.offers, found.messages)]},
                         default=str, ensure_ascii=False))
        return
    consents = ", ".join(f"{c}: {'yes' if ok else 'no'}" for c, ok in found.consents.items())
    out.print(Text.assemble(literal(found.name, "b"), " ",
                            literal(found.customer_number), f" · consents {consents} · ",
                            Text.assemble("suggested channel: ", literal(found.channel, "b")) if found.channel
                            else ("no marketing consent: do not send offers", "b red")))
    from crm_tui.widgets.offer_reason import reason_text, rule_label

    tr = database(ctx).localizer()
    if found.withheld:
        from crm_tui.widgets.offer_reason import withheld_text

        out.print(literal(withheld_text(found.withheld, tr), "b yellow"))
        return
    table = Table("#", "sku", "product", "offer", "why", "message", show_lines=True)
    for n, (offer, message) in enumerate(zip(found.offers, found.messages), 1):
        table.add_row(str(n), literal(offer.sku), literal(offer.name), literal(rule_label(offer.rule, tr)),
                      literal(reason_text(offer, tr)), literal(message))
    out.print(table)


@marketing_app.command("refresh")
def refresh_command(ctx: typer.Context, as_of: AsOfOption = None) -> None:
    """Recompute every customer's segment and relearn the baskets (import does it by itself)."""
    staff_member(ctx, Action.MARKETING_REFRESH)
    from crm_tui.services.marketing import refresh_marketing

    at = analysis_time(ctx, as_of)
    done = run_write(database(ctx).engine(), lambda session: refresh_marketing(session, at))
    out.print(f"Segments for {done.customers:,} customers, basket partners for {done.products_with_partners:,} "
              f"products ({done.seconds:.1f} s).")


@marketing_app.command("segments")
def segments_command(ctx: typer.Context, as_json: JsonOption = False,
                     refresh: Annotated[bool, typer.Option("--refresh", help="Recompute first.")] = False,
                     as_of: AsOfOption = None) -> None:
    """How many customers each segment holds."""
    staff_member(ctx, Action.MARKETING_REFRESH if refresh else Action.MARKETING_SEGMENTS)
    from crm_tui.services.marketing import refresh_marketing
    from crm_tui.services.segments import computed_at, segment_counts

    engine = database(ctx).engine()
    if refresh:
        at = analysis_time(ctx, as_of)
        run_write(engine, lambda session: refresh_marketing(session, at))
    with Session(engine) as session:
        counts, when = segment_counts(session), computed_at(session)
    if as_json:
        print(json.dumps({"computed_at": str(when) if when else None, "segments": [asdict(c) for c in counts]}))
        return
    if when is None:
        err.print("Segments were never computed: run `crm-tui marketing refresh`.")
    from rich.table import Column


    tr = database(ctx).localizer()
    table = Table("segment", Column("customers", justify="right"), Column("average value", justify="right"),
                  title=f"computed {when:%Y-%m-%d %H:%M} UTC" if when else None)
    for c in counts:
        table.add_row(literal(c.segment), tr.number(c.customers), tr.money(c.average_value_cents))
    out.print(table)


@marketing_app.command("export")
def export_command(ctx: typer.Context,
                   segment: Annotated[str, typer.Option("--segment", help="e.g. champion, at risk, lapsed.")],
                   channel: Annotated[str, typer.Option("--channel", help="email, phone or chat.")],
                   out_file: Annotated[Optional[Path], typer.Option("--out", help="CSV file (default: stdout).")] = None,
                   as_of: AsOfOption = None) -> None:
    """A CSV of the segment's customers who consented to the channel, with their best offer and message."""
    staff_member(ctx, Action.MARKETING_EXPORT)
    at = analysis_time(ctx, as_of)
    from crm_tui.services.campaigns import CampaignCounts, CampaignError, campaign, write_campaign

    templates = _templates()
    counts = CampaignCounts()
    with Session(database(ctx).engine()) as session:
        try:
            rows = campaign(session, segment, channel, templates, at, counts=counts,
                            unhappy_days=service_settings_from(os.environ).unhappy_days)
            if out_file is None:
                write_campaign(rows, sys.stdout)
            else:
                with private_output(out_file) as handle:
                    write_campaign(rows, handle)
        except CampaignError as exc:
            fail(str(exc), 2)
    err.print(literal(f"{counts.exported:,} customers exported ({counts.in_segment_with_consent:,} in {segment} "
                      f"consented to {channel}; {counts.without_offer:,} had no offer to make; "
                      f"{counts.withheld:,} left out: an open case or an unhappy score)."
                      + (f" Written to {out_file}." if out_file else "")))


@marketing_app.command("acceptance")
def acceptance_command(ctx: typer.Context, as_json: JsonOption = False,
                       days: Annotated[int, typer.Option(help="Offers made in the last DAYS days.")] = 90,
                       window: Annotated[int, typer.Option(help="Accepted if ordered within WINDOW days.")] = 14
                       ) -> None:
    """How many offers made were accepted (the customer ordered the product within the window)."""
    staff_member(ctx, Action.SEE_OFFER_ACCEPTANCE)
    from crm_tui.services.offers import acceptance

    with Session(database(ctx).engine()) as session:
        result = acceptance(session, now() - timedelta(days=days), window)
    if as_json:
        print(json.dumps({"made": result.made, "accepted": result.accepted, "rate": result.rate,
                          "by_rule": result.by_rule}))
        return
    table = Table("rule", "made", "accepted", "rate")
    for rule, (made, accepted) in sorted(result.by_rule.items()):
        table.add_row(literal(rule), str(made), str(accepted), f"{accepted / made:.0%}")
    table.add_row("all", str(result.made), str(result.accepted), f"{result.rate:.0%}" if result.rate is not None
                  else "—")
    out.print(table)
