"""The web shop: catalogue, basket and checkout, registration and profile, the callback box and
the contact form, over the same database and shop operations as the console.

Server-rendered (no JavaScript needed anywhere); every form carries a CSRF token; templates
escape everything they are given.
"""

import secrets
from collections.abc import Callable
from datetime import datetime, time
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crm_tui.database_errors import WriteFailed
from crm_tui.db import run_read, run_write
from crm_tui.i18n import Localizer
from crm_tui.services import catalogue
from crm_tui.services.customers import StaleCustomer, load_card, save_own_profile
from crm_tui.services.order_tracking import order_steps
from crm_tui.services.orders import order_history, order_lines
from crm_tui.services.web_accounts import MIN_PASSWORD_LENGTH, log_in, request_privacy, sign_up
from crm_tui.settings import LANGUAGES
from crm_tui.shop.models import ContactKind, Order, ShopSetting, StockLight
from crm_tui.shop.operations import (
    OrderChannel,
    OrderItem,
    OrderRefused,
    OutOfStock,
    order_totals,
    place_order,
    request_callback,
    send_contact_message,
)
from crm_tui.shop.types import utc_now
from crm_tui.shop.validation import InvalidField, InvalidInput
from crm_tui.storefront.guards import RateLimit
from crm_tui.storefront.messages import field_messages
from crm_tui.storefront.web import (
    LANG_COOKIE,
    Shop,
    VisitLog,
    back_to,
    basket,
    checked_form,
    customer_id,
    language,
    redirect,
    remember_csrf,
    render,
    session_id,
    trouble_page,
    visit_logger,
)

MAX_QUANTITY = 99
MAX_LINES = 40  # the basket lives in the signed session cookie, which browsers cap at 4 KB


def _currency(engine: Engine) -> str:
    from crm_tui.services.shop_locale import shop_locale

    return run_read(engine, shop_locale).currency


def _session_key(engine: Engine) -> str:
    """The key that signs the shop's session cookies: made once, kept in the database, so a
    restart logs nobody out and every server process of the shop agrees."""
    def key(session: Session) -> str:
        found = session.get(ShopSetting, "session_key")
        if found is None:
            found = ShopSetting(name="session_key", value=secrets.token_urlsafe(48))
            session.add(found)
        return found.value

    try:
        return run_write(engine, key)
    except IntegrityError:  # another shop process made it at the same moment: use theirs
        return run_write(engine, key)


def make_shop(engine: Engine, log_dir: Path, clock: Callable[[], datetime] = utc_now,
              rate_limit: RateLimit | None = None) -> Starlette:
    shop = Shop(engine, clock, visit_logger(log_dir), rate_limit or RateLimit(clock), _currency(engine))
    routes = [
        Route("/", partial(catalogue_page, shop)),
        Route("/product/{sku:path}", partial(product_page, shop)),
        Route("/basket", partial(basket_page, shop)),
        Route("/basket/add", partial(add_to_basket, shop), methods=["POST"]),
        Route("/basket/update", partial(update_basket, shop), methods=["POST"]),
        Route("/checkout", partial(checkout, shop), methods=["POST"]),
        Route("/orders", partial(orders_page, shop)),
        Route("/orders/{number}", partial(order_page, shop)),
        Route("/login", partial(login_page, shop), methods=["GET", "POST"]),
        Route("/logout", partial(logout, shop), methods=["POST"]),
        Route("/register", partial(register_page, shop), methods=["GET", "POST"]),
        Route("/profile", partial(profile_page, shop), methods=["GET", "POST"]),
        Route("/profile/privacy", partial(privacy_request, shop), methods=["POST"]),
        Route("/callback", partial(callback_box, shop), methods=["POST"]),
        Route("/contact", partial(contact_page, shop), methods=["GET", "POST"]),
        Route("/privacy", partial(static_page, shop, template="privacy.html")),
        Route("/terms", partial(static_page, shop, template="terms.html")),
        Route("/lang/{code}", partial(switch_language, shop)),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    middleware = [Middleware(VisitLog, shop=shop),
                  Middleware(SessionMiddleware, secret_key=_session_key(engine), session_cookie="shop_session",
                             same_site="lax", max_age=14 * 86400)]
    trouble = partial(trouble_page, shop)
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={WriteFailed: trouble, DBAPIError: trouble, Exception: trouble})


def _refused(request: Request) -> Response:
    tr = _tr(request)
    return Response(tr("This form has expired or did not come from this shop: reload the page and send it again.")
                    + "\n", status_code=403, media_type="text/plain; charset=utf-8")


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


# --- catalogue ----------------------------------------------------------------------------


async def catalogue_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    words = request.query_params.get("q", "")[:200]
    category = request.query_params.get("category", "")[:100]
    page = _page_number(request)
    found, total = await shop.read(lambda s: catalogue.browse(s, words, category, page))
    categories = await shop.read(catalogue.categories)
    return render(shop, request, "catalogue.html", products=found, total=total, words=words, category=category,
                  categories=categories, page=page, pages=max(1, -(-total // catalogue.PAGE)))


async def product_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    item = await shop.read(lambda s: catalogue.product(s, request.path_params["sku"]))
    if item is None:
        return render(shop, request, "not_found.html", status_code=404)
    request.state.product_id = item.product_id
    return render(shop, request, "product.html", product=item)


# --- basket and checkout --------------------------------------------------------------------


async def add_to_basket(shop: Shop, request: Request) -> Response:
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    tr = _tr(request)
    sku, raw = fields.get("sku", ""), fields.get("quantity", "1").strip()
    item = await shop.read(lambda s: catalogue.product(s, sku))
    if item is None:
        return redirect(request, "/", tr("That product is not sold here."))
    quantity = int(raw) if raw.isdigit() else 0
    lines = basket(request)
    wanted = lines.get(sku, 0) + quantity
    if not 1 <= quantity <= MAX_QUANTITY:
        return redirect(request, f"/product/{sku}", tr("Choose a quantity from 1 to {n}.").format(n=MAX_QUANTITY))
    if not item.orderable:
        return redirect(request, f"/product/{sku}", tr("{name} is out of stock and cannot be ordered.")
                        .format(name=item.name))
    if item.light != StockLight.UNTRACKED and wanted > item.stock_quantity:
        message = (tr("Only {n} of {name} in stock, and {m} of them are in your basket already.") if lines.get(sku)
                   else tr("Only {n} of {name} in stock."))
        return redirect(request, f"/product/{sku}",
                        message.format(n=item.stock_quantity, name=item.name, m=lines.get(sku, 0)))
    if sku not in lines and len(lines) >= MAX_LINES:
        return redirect(request, "/basket", tr("Your basket is full ({n} products): place this order first.")
                        .format(n=MAX_LINES))
    lines[sku] = wanted
    request.session["basket"] = lines
    return redirect(request, back_to(request, "/basket"), tr("{name} is in your basket.").format(name=item.name))


async def update_basket(shop: Shop, request: Request) -> Response:
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    lines = basket(request)
    for sku in list(lines):
        raw = fields.get(f"quantity:{sku}", str(lines[sku])).strip()
        quantity = int(raw) if raw.isdigit() else lines[sku]
        if quantity <= 0 or fields.get("remove") == sku:
            del lines[sku]
        else:
            lines[sku] = min(quantity, MAX_QUANTITY)
    request.session["basket"] = lines
    return redirect(request, "/basket")


async def _basket_view(shop: Shop, request: Request):
    lines = basket(request)
    who = customer_id(request)
    items = await shop.read(lambda s: catalogue.items(s, list(lines)))
    discount = 0
    if who is not None:
        discount = (await shop.read(lambda s: load_card(s, who))).discount_percent
    rows = [(items[sku], quantity, items[sku].unit_price_cents * quantity) for sku, quantity in lines.items()
            if sku in items]
    subtotal, discount_cents, total = order_totals([r[2] for r in rows], discount)
    return rows, discount, subtotal, discount_cents, total


async def basket_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    rows, discount, subtotal, discount_cents, total = await _basket_view(shop, request)
    return render(shop, request, "basket.html", rows=rows, discount=discount, subtotal=subtotal,
                  discount_cents=discount_cents, total=total)


async def checkout(shop: Shop, request: Request) -> Response:
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    tr = _tr(request)
    who = customer_id(request)
    if who is None:
        request.session["after_login"] = "/basket"
        return redirect(request, "/login", tr("Log in or register to place your order."))
    lines = basket(request)
    if not lines:
        return redirect(request, "/basket", tr("Your basket is empty."))
    order_items = [OrderItem(sku, quantity) for sku, quantity in lines.items()]
    try:
        placed = await shop.write(lambda s: place_order(s, who, order_items, channel=OrderChannel.WEB,
                                                         now=shop.clock()))
    except OutOfStock as exc:
        message = (tr("{name} is out of stock and cannot be ordered.").format(name=exc.name) if exc.available <= 0
                   else tr("Only {n} of {name} in stock.").format(n=exc.available, name=exc.name))
        return redirect(request, "/basket", message)
    except OrderRefused:
        return redirect(request, "/basket", tr("A product in your basket is no longer sold: remove it and try again."))
    request.session["basket"] = {}
    request.state.order_id = placed.order_id
    return redirect(request, f"/orders/{placed.number}",
                    tr("Thank you: order {number} is placed.").format(number=placed.number))


# --- the customer's account -------------------------------------------------------------------


def _tr(request: Request) -> Localizer:
    return Localizer(language(request))


async def login_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    if request.method == "GET":
        return render(shop, request, "login.html", email="", error=None)
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    email, password = fields.get("email", "")[:254], fields.get("password", "")[:200]
    who = await shop.read(lambda s: log_in(s, email, password))
    if who is None:
        tr = _tr(request)
        return render(shop, request, "login.html", status_code=400, email=email,
                      error=tr("That e-mail and password do not match an account."))
    _log_in(request, who, (await shop.read(lambda s: load_card(s, who))).preferred_language)
    target = request.session.pop("after_login", "/")
    return redirect(request, target if isinstance(target, str) and target.startswith("/") else "/")


def to_login(request: Request) -> Response:
    """The login page, coming back here once logged in."""
    request.session["after_login"] = request.url.path
    return redirect(request, "/login")


def _log_in(request: Request, who: int, preferred_language: str) -> None:
    """A new session on login (no fixation): the basket is kept, the visit goes on, the pages
    speak the customer's language."""
    kept = {key: request.session[key] for key in ("basket", "sid", "after_login") if key in request.session}
    request.session.clear()
    request.session.update(kept)
    request.session["customer_id"] = who
    request.session["lang"] = preferred_language


async def logout(shop: Shop, request: Request) -> Response:
    if await checked_form(request) is None:
        return _refused(request)
    sid = request.session.get("sid")
    request.session.clear()
    if isinstance(sid, str):
        request.session["sid"] = sid
    tr = _tr(request)
    return redirect(request, "/", tr("You are logged out."))


REGISTRATION_FIELDS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
                       "preferred_language")
CONSENTS = ("consent_email", "consent_phone", "consent_chat")


async def register_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    lang = language(request)
    if request.method == "GET":
        return render(shop, request, "register.html", values={"country": "ES", "preferred_language": lang},
                      errors={}, min_password=MIN_PASSWORD_LENGTH)
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    # Only the registration's own fields are read: anything else posted (a discount...) is refused.
    unknown = sorted(set(fields) - set(REGISTRATION_FIELDS) - set(CONSENTS) - {"password"})
    form: dict[str, object] = {name: fields.get(name, "") for name in REGISTRATION_FIELDS}
    form.update({name: name in fields for name in CONSENTS})
    form.update({name: fields[name] for name in unknown})
    password = fields.get("password", "")
    try:
        customer = await shop.write(lambda s: sign_up(s, form, password, shop.clock()))
    except InvalidInput as exc:
        values = {name: fields.get(name, "") for name in REGISTRATION_FIELDS} | {n: n in fields for n in CONSENTS}
        return render(shop, request, "register.html", status_code=400, values=values,
                      errors=field_messages(exc.problems(), _tr(request)), min_password=MIN_PASSWORD_LENGTH)
    _log_in(request, customer.id or 0, customer.preferred_language)
    target = request.session.pop("after_login", "/")
    tr = _tr(request)
    return redirect(request, target if isinstance(target, str) and target.startswith("/") else "/",
                    tr("Welcome, {name}: your account is ready.").format(name=customer.first_name))


def _profile_values(card) -> dict[str, object]:
    return {"first_name": card.first_name, "last_name": card.last_name, "email": card.email,
            "phone": card.phone_for_editing, "street": card.street, "postcode": card.postcode, "city": card.city,
            "country": card.country, "preferred_language": card.preferred_language,
            "consent_email": card.consent_email, "consent_phone": card.consent_phone,
            "consent_chat": card.consent_chat}


async def profile_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    who = customer_id(request)
    if who is None:
        return to_login(request)
    card = await shop.read(lambda s: load_card(s, who))
    if request.method == "GET":
        return render(shop, request, "profile.html", values=_profile_values(card), errors={}, card=card)
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    edits: dict[str, object] = {name: fields.get(name, "") for name in REGISTRATION_FIELDS}
    edits.update({name: name in fields for name in CONSENTS})
    edits.update({name: value for name, value in fields.items()
                  if name not in REGISTRATION_FIELDS and name not in CONSENTS and name != "version"})
    version = fields.get("version", "")
    loaded = card if not version.isdigit() else type(card)(**{**vars(card), "version": int(version)})
    tr = _tr(request)
    try:
        saved = await shop.write(lambda s: save_own_profile(s, loaded, edits, now=shop.clock()))
    except InvalidInput as exc:
        return render(shop, request, "profile.html", status_code=400, card=card,
                      values={name: fields.get(name, "") for name in REGISTRATION_FIELDS}
                      | {n: n in fields for n in CONSENTS},
                      errors=field_messages(exc.problems(), tr))
    except StaleCustomer:
        return redirect(request, "/profile", tr("Your details were changed meanwhile (perhaps by our staff on the "
                                                "phone): here they are now; make your change again."))
    request.session["lang"] = saved.preferred_language
    tr = _tr(request)  # now in the language just saved
    return redirect(request, "/profile", tr("Your details are saved."))


async def privacy_request(shop: Shop, request: Request) -> Response:
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    who = customer_id(request)
    if who is None:
        return redirect(request, "/login")
    what = fields.get("request", "")
    try:
        await shop.write(lambda s: request_privacy(s, who, what, shop.clock()))
    except InvalidInput:
        return redirect(request, "/profile")
    tr = _tr(request)
    return redirect(request, "/profile", tr("We have your request and will answer by e-mail within one month."))


async def orders_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    who = customer_id(request)
    if who is None:
        return to_login(request)
    orders = await shop.read(lambda s: order_history(s, who, page=100))
    return render(shop, request, "orders.html", orders=orders)


async def order_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    who = customer_id(request)
    if who is None:
        return to_login(request)
    number = request.path_params["number"]

    def read(s: Session):
        order = s.scalars(select(Order).where(col(Order.number) == number, col(Order.customer_id) == who)).first()
        if order is None:
            return None
        return order, order_lines(s, order.id or 0), order_steps(s, order.id or 0), load_card(s, who).time_zone

    found = await shop.read(read)
    if found is None:  # another customer's order is as unknown as a made-up number
        return render(shop, request, "not_found.html", status_code=404)
    order, lines, steps, zone = found
    return render(shop, request, "order.html", order=order, lines=lines, steps=steps, zone=zone)


# --- the callback box and the contact form --------------------------------------------------------


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _clock_time(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        raise InvalidField("window", f"{raw!r} is not a time of day") from None


async def callback_box(shop: Shop, request: Request) -> Response:
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    tr = _tr(request)
    session_id(request)
    target = back_to(request)
    if not shop.limits.allow(_address(request)):
        return redirect(request, target, tr("You have asked for several calls already: we will call you soon."))
    who = customer_id(request)

    def ask(s: Session):
        start, end = _clock_time(fields.get("window_from", "")), _clock_time(fields.get("window_to", ""))
        if (start is None) != (end is None):
            raise InvalidField("window", "give both times of the window, or neither")
        country = "ES"
        if who is not None:
            country = load_card(s, who).country
        return request_callback(s, fields.get("phone", "")[:40], country=country,
                                window=(start, end) if start and end else None,
                                note=fields.get("note", "")[:1000], source="web", customer_id=who, now=shop.clock())

    try:
        await shop.write(ask)
    except InvalidField as exc:
        request.session["callback_error"] = field_messages({exc.field: (exc.code, exc.message)}, tr)[exc.field]
        request.session["callback_values"] = {k: fields.get(k, "")[:200] for k in ("phone", "window_from",
                                                                                   "window_to", "note")}
        return redirect(request, target + "#callback")
    return redirect(request, target, tr("Thank you: we will call you back as soon as possible."))


async def contact_page(shop: Shop, request: Request) -> Response:
    session_id(request)
    kinds = [k.value for k in ContactKind if k != ContactKind.PRIVACY]
    if request.method == "GET":
        return render(shop, request, "contact.html", values={"kind": "question"}, errors={}, kinds=kinds)
    fields = await checked_form(request)
    if fields is None:
        return _refused(request)
    tr = _tr(request)
    values = {name: fields.get(name, "") for name in ("name", "email", "phone", "kind", "text")}
    if not shop.limits.allow(_address(request)):
        return render(shop, request, "contact.html", status_code=429, values=values, kinds=kinds,
                      errors={"text": tr("You have sent several messages already: we will answer soon.")})
    kind = values["kind"] if values["kind"] in kinds else "not a kind"
    try:
        await shop.write(lambda s: send_contact_message(
            s, name=values["name"], text=values["text"], phone=values["phone"], email=values["email"], kind=kind,
            now=shop.clock()))
    except InvalidInput as exc:
        return render(shop, request, "contact.html", status_code=400, values=values, kinds=kinds,
                      errors=field_messages(exc.problems(), tr))
    return redirect(request, "/", tr("Thank you: we will answer you soon."))


async def static_page(shop: Shop, request: Request, template: str) -> Response:
    session_id(request)
    return render(shop, request, template)


async def switch_language(shop: Shop, request: Request) -> Response:
    code = request.path_params["code"]
    response = RedirectResponse(back_to(request), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return remember_csrf(request, response)
