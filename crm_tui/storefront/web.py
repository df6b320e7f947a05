"""What every page of the web shop shares: the request's language, the logged-in customer, the
basket in the session, the CSRF cookie, rendering, and the visit log."""

import json
import logging
import logging.handlers
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_tui.database_errors import FAILURES, WriteFailed, failure_kind
from crm_tui.db import run_read, run_write
from crm_tui.i18n import Localizer
from crm_tui.services.visits import PageServed, record_pages
from crm_tui.settings import LANGUAGES
from crm_tui.storefront.guards import CSRF_COOKIE, CSRF_FIELD, RateLimit, csrf_ok, new_csrf_token

TEMPLATES = Path(__file__).parent / "templates"
SERVER_LOG = logging.getLogger("crm_tui.shop")
LANG_COOKIE = "shop_lang"


@dataclass
class Shop:
    """The shop's server: its database, clock, pages and visit log."""

    engine: Engine
    clock: Callable[[], datetime]
    visit_log: logging.Logger
    limits: RateLimit
    currency: str = "EUR"  # the shop's (crm_tui.services.shop_locale), read when the server starts
    templates: Environment = field(default_factory=lambda: Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True)))

    def read(self, fn):
        return run_in_threadpool(run_read, self.engine, fn)

    def write(self, fn):
        return run_in_threadpool(run_write, self.engine, fn)


def visit_logger(log_dir: Path) -> logging.Logger:
    """The visit log file: one JSON object per line (no request text can forge a line or carry
    a terminal escape), rotated at 10 MB, ten files kept."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"crm_tui.shop.visits.{log_dir}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.handlers.RotatingFileHandler(log_dir / "shop-visits.log", maxBytes=10_000_000,
                                                       backupCount=10, encoding="utf-8")
        logger.addHandler(handler)
    return logger


def language(request: Request) -> str:
    """The visitor's choice (the switch's cookie), else the logged-in customer's preferred
    language, else the first language of Accept-Language the shop speaks, else English."""
    for chosen in (request.cookies.get(LANG_COOKIE), request.session.get("lang")):
        if isinstance(chosen, str) and chosen in LANGUAGES:
            return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def customer_id(request: Request) -> int | None:
    value = request.session.get("customer_id")
    return value if isinstance(value, int) else None


def basket(request: Request) -> dict[str, int]:
    raw = request.session.get("basket")
    if not isinstance(raw, dict):
        return {}
    return {str(sku): int(n) for sku, n in raw.items() if isinstance(n, int) and n > 0}


def session_id(request: Request) -> str:
    """The browser session's id in the visit log."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        sid = request.session["sid"] = secrets.token_hex(16)
    return sid


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = request.state.new_csrf = new_csrf_token()
    return token


async def checked_form(request: Request) -> dict[str, str] | None:
    """The posted form's fields, or None when its CSRF token does not match this browser's."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
        return None
    fields.pop(CSRF_FIELD)
    return fields


def render(shop: Shop, request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    lang = language(request)
    tr = Localizer(lang, shop.currency)
    flash = request.session.pop("flash", None)
    callback_values = request.session.pop("callback_values", None)
    callback_error = request.session.pop("callback_error", None)
    page = shop.templates.get_template(template).render(
        request=request, tr=tr, lang=lang, csrf_field=CSRF_FIELD, csrf_token=csrf_token(request),
        logged_in=customer_id(request) is not None, basket_count=sum(basket(request).values()),
        flash=flash if isinstance(flash, str) else None,
        cb=callback_values if isinstance(callback_values, dict) else {},
        cb_error=callback_error if isinstance(callback_error, str) else None, **context)
    response = HTMLResponse(page, status_code=status_code)
    return remember_csrf(request, response)


async def trouble_page(shop: Shop, request: Request, exc: Exception) -> Response:
    """A database failure (busy past its time limit, disk full, server gone) or a bug: one
    sentence in the visitor's language, and nothing half done, since each of the shop's writes
    is one transaction. The reason goes to the server's log for ops; a bug's trace is logged
    by the server itself (the exception goes on up)."""
    kind = exc.kind if isinstance(exc, WriteFailed) else failure_kind(exc) if isinstance(exc, DBAPIError) else None
    tr = Localizer(language(request))
    if kind is None:
        status, message = 500, tr("Something went wrong on our side: nothing was saved or changed. "
                                  "Please try again, or write to us.")
    else:
        SERVER_LOG.warning("%s %s: %s", request.method, request.url.path, FAILURES[kind])
        status, message = 503, tr("The shop cannot reach its records just now: nothing was saved or changed. "
                                  "Please try again in a few minutes.")
    response = render(shop, request, "trouble.html", status_code=status, message=message,
                      posted=request.method == "POST")
    if status == 503:
        response.headers["Retry-After"] = "60"
    return response


def remember_csrf(request: Request, response: Response) -> Response:
    token = getattr(request.state, "new_csrf", None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", max_age=86400 * 30)
    return response


def back_to(request: Request, fallback: str = "/") -> str:
    """Where a form sends the visitor back to: the page it was on, if it is one of ours."""
    target = request.headers.get("referer", "")
    base = str(request.base_url)
    return "/" + target[len(base):] if target.startswith(base) else fallback


def redirect(request: Request, to: str, flash: str | None = None) -> RedirectResponse:
    if flash:
        request.session["flash"] = flash
    return RedirectResponse(to, status_code=303)


class VisitLog:
    """Every page served (not the style sheet) goes to the visit table and the log file, after
    the response: the time, the browser session, the customer if logged in, the path, the
    referrer, and the product viewed or the order placed."""

    def __init__(self, app: ASGIApp, shop: Shop):
        self.app, self.shop = app, shop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static"):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            await self._record(scope, status, time.monotonic() - started)

    async def _record(self, scope: Scope, status: int, seconds: float) -> None:
        request = Request(scope)
        state = scope.get("state", {})
        session = scope.get("session", {})
        sid, who = session.get("sid"), session.get("customer_id")
        if not isinstance(sid, str):
            return  # a request that never reached a page (e.g. refused before its session)
        headers = dict(request.headers)
        page = PageServed(self.shop.clock(), sid, who if isinstance(who, int) else None,
                          (scope["path"] + ("?" + request.url.query if request.url.query else ""))[:500],
                          headers.get("referer", "")[:500], state.get("product_id"), state.get("order_id"))
        self.shop.visit_log.info(json.dumps({
            "at": page.at.isoformat(), "session": sid, "customer_id": page.customer_id, "method": scope["method"],
            "path": page.path, "status": status, "ms": round(seconds * 1000), "referrer": page.referrer,
            "product_id": page.product_id, "order_id": page.order_id}, ensure_ascii=True))
        try:
            await self.shop.write(lambda s: record_pages(s, [page]))
        except (WriteFailed, DBAPIError) as exc:  # the line above is in the log file; ops are told why
            kind = exc.kind if isinstance(exc, WriteFailed) else failure_kind(exc)
            if kind is None:
                raise
            SERVER_LOG.warning("visit to %s kept in the log file only: %s", page.path, FAILURES[kind])
