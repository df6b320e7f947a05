"""`crm-tui shop`: the web shop's server and its back office (restocking, the shop's locale)."""

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from crm_tui.cli.common import database, fail, now, out, staff_member
from crm_tui.services.policy import Action
from crm_tui.widgets.literal import literal

shop_app = typer.Typer(help="The web shop over the same database: its server and its back office.")


@shop_app.command("serve")
def shop_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port.")] = 8000,
    log_dir: Annotated[Optional[Path], typer.Option(
        "--log-dir", help="Where the visit log files go (default: var/shop-logs beside the working directory).")] = None,
    form_limit: Annotated[int, typer.Option(
        "--form-limit", min=1, max=100_000,
        help="Callback and contact forms accepted per address per 10 minutes.")] = 5,
) -> None:
    """Serve the web shop (catalogue, basket, registration, callback box, contact form) until
    ctrl+c. For ops and supervisors; the customers' own actions are the shop's rules."""
    import uvicorn

    from crm_tui.shop.types import utc_now
    from crm_tui.storefront.app import make_shop
    from crm_tui.storefront.guards import RateLimit

    started = time.perf_counter()
    staff_member(ctx, Action.RUN_SHOP)
    engine = database(ctx).engine()
    app = make_shop(engine, log_dir or Path("var/shop-logs"), rate_limit=RateLimit(utc_now, limit=form_limit))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            proxy_headers=False, server_header=False)
    server = uvicorn.Server(config)
    out.print(literal(f"The shop is open at http://{host}:{port}/ (ready in {time.perf_counter() - started:.1f} s; "
                      "ctrl+c closes it)."))
    server.run()


@shop_app.command("restock")
def shop_restock(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The product's SKU.")],
    quantity: Annotated[int, typer.Argument(help="How many units arrived.")],
    reason: Annotated[str, typer.Option(help="Why, for the audit log (default: goods received).")] = "",
) -> None:
    """Goods arrived: add them to the product's stock (audited; ops and supervisors)."""
    from crm_tui.services.stock import restock_product
    from crm_tui.shop.validation import InvalidField

    staff = staff_member(ctx, Action.RESTOCK)
    moment = now()
    try:
        done = database(ctx).write(lambda session: restock_product(session, staff, sku, quantity, reason, moment))
    except InvalidField as exc:
        fail(str(exc), 2)
    out.print(literal(f"{done.sku}: stock {done.before} -> {done.after}."))


@shop_app.command("locale")
def shop_locale_command(
    ctx: typer.Context,
    currency: Annotated[Optional[str], typer.Option(help="ISO 4217 code the shop sells in, e.g. GBP.")] = None,
    time_zone: Annotated[Optional[str], typer.Option(
        "--timezone", help="Where the shop's exports write times without a zone, e.g. Europe/London.")] = None,
    phone_region: Annotated[Optional[str], typer.Option(
        "--phone-region", help="Country of phone numbers written without +code, e.g. GB.")] = None,
) -> None:
    """Show the shop's currency, time zone and phone region, or set them (ops and supervisors)."""
    from crm_tui.services.shop_locale import set_shop_locale, shop_locale
    from crm_tui.shop.validation import InvalidField

    if currency is None and time_zone is None and phone_region is None:
        staff_member(ctx, Action.SEE_SHOP_LOCALE)
        locale = database(ctx).read(shop_locale)
        stated = "" if locale.stated else " (not stated yet: the defaults)"
        out.print(literal(f"Currency {locale.currency}, time zone {locale.time_zone}, phone region "
                          f"{locale.phone_region}{stated}."))
        return
    staff = staff_member(ctx, Action.SET_SHOP_LOCALE)
    try:
        locale = database(ctx).write(lambda session: set_shop_locale(session, staff, currency, time_zone, phone_region))
    except InvalidField as exc:
        fail(str(exc), 2)
    out.print(literal(f"The shop's locale: currency {locale.currency}, time zone {locale.time_zone}, phone region "
                      f"{locale.phone_region}."))
