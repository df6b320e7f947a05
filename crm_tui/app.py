"""The Textual App: modes, global bindings, nothing else."""

import os
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlmodel import Session
from textual.app import App
from textual.binding import Binding

from crm_tui.context import ConsoleContext
from crm_tui.db import describe_database, open_database, readable_by_others, refuse_missing_file, resolve_url
from crm_tui.i18n import Localizer
from crm_tui.identity import console_login
from crm_tui.models import Role
from crm_tui.services.change_feed import ChangeFeed
from crm_tui.services.database_facts import is_demo
from crm_tui.services.policy import Action, NotAllowed, require
from crm_tui.services.staff import NotStaff, active_staff
from crm_tui.settings import QueueSettings, Settings, SettingsError, service_settings_from, settings_from
from crm_tui.shop.types import utc_now
from crm_tui.widgets.literal import visible
from crm_tui.widgets.translated_bindings import translate_bindings


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

    def __init__(self, context: ConsoleContext):
        super().__init__()
        self.context = context
        tr = context.tr
        roles = {Role.AGENT: tr("agent"), Role.SUPERVISOR: tr("supervisor"), Role.OPS: tr("ops")}
        self.sub_title = f"{visible(context.staff.display_name)} ({roles[context.staff.role]})"
        translate_bindings(self, tr)

    startup_warning: str | None = None  # e.g. other users of the machine can read the database file

    def on_mount(self) -> None:
        from crm_tui.screens.home import HomeScreen

        self.push_screen(HomeScreen(self.context))
        if self.startup_warning:
            self.notify(self.startup_warning, severity="warning", timeout=20, markup=False)

    def on_unmount(self) -> None:
        if self.context.changes is not None:
            self.context.changes.close()

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


def make_app(settings: Settings, environ: Mapping[str, str] | None = None,
             clock: Callable[[], datetime] = utc_now, queue: QueueSettings | None = None,
             impersonate: str | None = None) -> CrmApp:
    """Settings -> engine -> who is logged in -> the App. Used by the CLI and the tests (which
    give the clock, the login and may give the queue's settings instead of the environment's).
    `impersonate` (--as) is honoured on a demo database only."""
    try:
        queue = queue or settings_from(os.environ if environ is None else environ)
        service = service_settings_from(os.environ if environ is None else environ)
    except SettingsError as exc:
        raise ConsoleRefused(str(exc)) from None
    refuse_missing_file(resolve_url(settings.db))
    engine = open_database(settings.db)
    try:
        with Session(engine) as session:
            if impersonate is not None and not is_demo(session):
                raise ConsoleRefused(f"--as works only on a demo database (one `crm-tui demo` built); "
                                     f"{describe_database(str(engine.url))} is not one")
            staff = active_staff(session, impersonate or console_login(settings, engine))
            require(staff, Action.OPEN_CONSOLE)
    except (NotStaff, NotAllowed, ConsoleRefused) as exc:
        engine.dispose()
        raise ConsoleRefused(str(exc)) from None
    app = CrmApp(ConsoleContext(engine, staff, Localizer(settings.lang), describe_database(str(engine.url)), queue,
                                service, clock, ChangeFeed(engine)))
    app.startup_warning = readable_by_others(str(engine.url))
    return app
