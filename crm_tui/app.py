"""The Textual App: modes, global bindings, nothing else. This module imports Textual alone: the
database layer and the screens are imported while the first frame is already on screen."""

import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from crm_tui.i18n import Localizer
from crm_tui.settings import QueueSettings, Settings, SettingsError, settings_from
from crm_tui.widgets.translated_bindings import translate_bindings

if TYPE_CHECKING:
    from crm_tui.context import ConsoleContext


def _customer_commands():
    from crm_tui.screens.commands import CustomerCommands

    return CustomerCommands


def _screen_commands():
    from crm_tui.screens.commands import ScreenCommands

    return ScreenCommands


class ConsoleRefused(RuntimeError):
    """The console does not start; the message says why and what to do."""


class CrmApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "crm-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]
    COMMANDS = App.COMMANDS | {_customer_commands, _screen_commands}
    context: "ConsoleContext"  # set once the console is open

    def __init__(self, context: "ConsoleContext | None" = None,
                 opening: "Callable[[], Opened] | None" = None, lang: str = "en"):
        """Either an open `context` (the tests), or `opening`, run in a thread after the first frame."""
        super().__init__()
        self.opening = opening
        self.refusal: str | None = None  # why the console did not open (said once it has closed)
        self.startup_warning: str | None = None  # e.g. other users of the machine can read the database file
        self._opening_tr = context.tr if context is not None else Localizer(lang)
        translate_bindings(self, self._opening_tr)
        if context is not None:
            self._set_context(context)

    def _set_context(self, context: "ConsoleContext") -> None:
        from crm_tui.models import Role
        from crm_tui.widgets.literal import visible

        self.context = context
        tr = context.tr
        roles = {Role.AGENT: tr("agent"), Role.SUPERVISOR: tr("supervisor"), Role.OPS: tr("ops")}
        self.sub_title = f"{visible(context.staff.display_name)} ({roles[context.staff.role]})"
        if context.locale.stated:  # a shop that stated its own: its currency, zone and phone region
            self.sub_title += f" · {visible(context.locale.describe())}"
        if context.analysis_at is not None:
            self.sub_title += " · " + tr("as of {day}").format(day=tr.date(context.analysis_at - timedelta(seconds=1),
                                                                           context.locale.time_zone))

    def on_mount(self) -> None:
        if self.opening is None:
            self._show_home()
            return
        from crm_tui.screens.opening import OpeningScreen

        self.push_screen(OpeningScreen(self._opening_tr("Opening the database…")))
        self.run_worker(self._open, thread=True, name="opening")

    def _open(self) -> None:
        assert self.opening is not None
        try:
            opened = self.opening()
        except ConsoleRefused as exc:
            self.call_from_thread(self._refuse, str(exc))
        except Exception as exc:  # anything unforeseen: one sentence after the screen closes, not a traceback
            from crm_tui.screens.base import failure_sentence

            self.call_from_thread(self._refuse, failure_sentence(exc, self._opening_tr))
        else:
            self.call_from_thread(self._opened, opened)

    def _opened(self, opened: "Opened") -> None:
        self._set_context(opened.context)
        self.startup_warning = opened.warning
        typed = getattr(self.screen, "typed", [])
        self.pop_screen()
        self._show_home()
        self.call_after_refresh(self._replay, typed)

    def _replay(self, typed: list[tuple[str, str | None]]) -> None:
        """The keys pressed while the database opened, to the home screen as if pressed now."""
        from textual import events

        for key, character in typed:
            self.post_message(events.Key(key, character))

    def _refuse(self, reason: str) -> None:
        self.refusal = reason
        self.exit(return_code=1)

    def _show_home(self) -> None:
        from crm_tui.screens.home import HomeScreen

        self.push_screen(HomeScreen(self.context))
        if self.startup_warning:
            self.notify(self.startup_warning, severity="warning", timeout=20, markup=False)

    def on_unmount(self) -> None:
        context = getattr(self, "context", None)  # None when the console was refused
        if context is not None and context.changes is not None:
            context.changes.close()

    def action_go_home(self) -> None:
        """Back to the search box, whatever is open (the stack is: default, home, ...)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.screen.query_one("#search").focus()

    def home_may(self, action: str) -> bool:
        """Whether the home screen's action (a screen to open) is one this role may use."""
        from crm_tui.screens.home import HomeScreen

        needed = HomeScreen.POLICY.get(action)
        return needed is None or self.context.may(needed)

    def from_home(self, action: str) -> None:
        """Open one of the home screen's screens from wherever the agent is."""
        self.action_go_home()
        getattr(self.screen, f"action_{action}")()

    def open_customer(self, customer_id: int) -> None:
        from crm_tui.screens.customer_card import CustomerCardScreen

        self.push_screen(CustomerCardScreen(self.context, customer_id))


class Opened:
    """An open console: its context and what to warn about (e.g. a database file others can read)."""

    def __init__(self, context: "ConsoleContext", warning: str | None):
        self.context, self.warning = context, warning


def open_console(settings: Settings, environ: Mapping[str, str] | None = None,
                 clock: "Callable[[], datetime] | None" = None, queue: QueueSettings | None = None,
                 impersonate: str | None = None) -> Opened:
    """Settings -> engine -> who is logged in -> the console's context; ConsoleRefused says why not.
    `impersonate` (--as) is honoured on a demo database only."""
    from sqlmodel import Session

    from crm_tui.context import ConsoleContext
    from crm_tui.db import (
        DatabaseError,
        describe_database,
        missing_file,
        open_database,
        readable_by_others,
        resolve_url,
    )
    from crm_tui.identity import console_login
    from crm_tui.screens.home import HomeScreen  # noqa: F401  (imported here, off the first frame's thread)
    from crm_tui.services.change_feed import ChangeFeed
    from crm_tui.services.database_facts import is_demo
    from crm_tui.services.policy import Action, NotAllowed, require
    from crm_tui.services.shop_locale import shop_locale
    from crm_tui.services.staff import NotStaff, active_staff
    from crm_tui.settings import service_settings_from
    from crm_tui.shop.types import utc_now

    tr = Localizer(settings.lang)
    try:
        queue = queue or settings_from(os.environ if environ is None else environ)
        service = service_settings_from(os.environ if environ is None else environ)
        if (missing := missing_file(resolve_url(settings.db))) is not None:  # refuse_missing_file, translated
            raise ConsoleRefused(tr("There is no database at {path}: nothing was created. Check --db, or build a "
                                    "demo with `crm-tui demo --db {path}`.").format(path=missing))
        engine = open_database(settings.db)
    except (SettingsError, DatabaseError) as exc:
        raise ConsoleRefused(str(exc)) from None
    try:
        with Session(engine) as session:
            if impersonate is not None and not is_demo(session):
                raise ConsoleRefused(f"--as works only on a demo database (one `crm-tui demo` built); "
                                     f"{describe_database(str(engine.url))} is not one")
            staff = active_staff(session, impersonate or console_login(settings, engine))
            require(staff, Action.OPEN_CONSOLE)
            locale = shop_locale(session)
            analysis_at, stale = analysis_moment(session, settings.as_of, (clock or utc_now)(), locale.time_zone, tr)
    except NotStaff as exc:
        engine.dispose()
        raise ConsoleRefused(exc.sentence(tr, settings.db)) from None
    except (NotAllowed, ConsoleRefused, DatabaseError) as exc:
        engine.dispose()
        raise ConsoleRefused(str(exc)) from None
    context = ConsoleContext(engine, staff, Localizer(settings.lang, locale.currency),
                             describe_database(str(engine.url)), queue, service, clock or utc_now, ChangeFeed(engine),
                             locale, analysis_at)
    warnings = [w for w in (readable_by_others(str(engine.url)), stale) if w]
    return Opened(context, " ".join(warnings) or None)


def analysis_moment(session, as_of_text: str | None, now: "datetime", zone: str, tr: Localizer
                    ) -> "tuple[datetime | None, str | None]":
    """The moment --as-of names (None: now), and a sentence when the history analysed as of now
    ends more than 90 days before it."""
    from crm_tui.services.analysis_date import LAST_ORDER, BadAsOf, as_of, stale_days

    if as_of_text is not None:
        try:
            return as_of(session, as_of_text, now, zone), None
        except BadAsOf as exc:
            raise ConsoleRefused(str(exc)) from None
    stale = stale_days(session, now)
    if stale is None:
        return None, None
    latest, days = stale
    return None, tr("The latest order is from {day}, {days} days ago: segments and offers count from today, so "
                    "every customer looks lapsed. Open the console with --as-of {last_order} to analyse as of "
                    "it.").format(day=tr.date(latest, zone), days=tr.number(days), last_order=LAST_ORDER)


def make_app(settings: Settings, environ: Mapping[str, str] | None = None,
             clock: "Callable[[], datetime] | None" = None, queue: QueueSettings | None = None,
             impersonate: str | None = None) -> CrmApp:
    """The console opened before it starts (the tests, which give the clock, the login and may give
    the queue's settings instead of the environment's)."""
    opened = open_console(settings, environ, clock, queue, impersonate)
    app = CrmApp(opened.context)
    app.startup_warning = opened.warning
    return app


def console_app(settings: Settings, environ: Mapping[str, str] | None = None,
                impersonate: str | None = None) -> CrmApp:
    """The console as `crm-tui` starts it: the first frame at once, the database opened behind it.
    The queue's settings are checked first, so a mistake in them is said before any screen."""
    try:
        settings_from(os.environ if environ is None else environ)
    except SettingsError as exc:
        raise ConsoleRefused(str(exc)) from None
    return CrmApp(opening=lambda: open_console(settings, environ, impersonate=impersonate), lang=settings.lang)
