"""For supervisors: how the queue is doing today and this week, per agent; release or
reassign a callback someone holds."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from crm_tui.context import ConsoleContext
from crm_tui.screens.base import ConsoleModal, ConsoleScreen
from crm_tui.services.callback_claims import release_callback
from crm_tui.services.callback_queue import QueuedCallback, queue
from crm_tui.services.queue_figures import QueueFigures, queue_figures
from crm_tui.services.staff import NotStaff
from crm_tui.shop.validation import national_phone
from crm_tui.widgets.literal import cell, filled

REFRESH_SECONDS = 2.0


def period_starts(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """Midnight today and on Monday of this week in the call centre's zone."""
    local = now.astimezone(ZoneInfo(zone))
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today - timedelta(days=today.weekday())


class QueueSupervisionScreen(ConsoleScreen):
    CSS_PATH = "queue_supervision.tcss"
    BINDINGS = [
        Binding("r", "release", "Release"),
        Binding("a", "reassign", "Reassign"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, today: QueueFigures, week: QueueFigures, held: list[QueuedCallback]):
            super().__init__()
            self.today, self.week, self.held = today, week, held

    class Done(Message):
        def __init__(self, note: Content):
            super().__init__()
            self.note = note

    def __init__(self, context: ConsoleContext):
        super().__init__(context)
        self.settings, self.clock = context.queue, context.now
        self.held: list[QueuedCallback] = []

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        with Horizontal(id="periods"):
            yield Static("", id="today", classes="period")
            yield Static("", id="week", classes="period")
        yield Static(tr("Agents"), classes="section")
        yield DataTable(id="agents", cursor_type="none", zebra_stripes=True)
        yield Static(tr("Held callbacks — r releases to the queue, a reassigns"), classes="section")
        yield DataTable(id="held", cursor_type="row", zebra_stripes=True)
        yield Static("", id="supervision-message")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        agents = self.query_one("#agents", DataTable)
        # Fixed widths: a reload every few seconds never makes the columns jump.
        wide = self.app.size.width >= 100
        agents.add_column(tr("Agent"), width=16 if wide else 12)
        labels = ((tr("Handled today"), tr("Average call today"), tr("Handled this week"), tr("Average call this week"))
                  if wide else (tr("Today"), tr("Avg. call"), tr("This week"), tr("Avg. call")))
        for label in labels:
            agents.add_column(label, width=len(label))
        self.query_one("#held", DataTable).add_columns(tr("Customer"), tr("Phone"), tr("Waiting"), tr("Held by"),
                                                       tr("Attempts"), tr("Note"))
        self.load()
        # The figures move with the clock too (waiting times): reloaded every few seconds, and at
        # once when the database pushes a change to the queue.
        self.set_interval(REFRESH_SECONDS, self.load)
        self.keep_live("queue", self.load)
        self.query_one("#held").focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="figures")
    def load(self) -> None:
        now = self.clock()
        today, week = period_starts(now, self.settings.time_zone)

        def read(session):
            figures = (queue_figures(session, today, now, self.settings), queue_figures(session, week, now, self.settings))
            held = [e for e in queue(session, now, self.settings, limit=500, include_claimed=True)
                    if e.claimed_by or e.kept_for]  # held now, or kept as someone's personal callback
            return (*figures, held)
        self.post_message(self.Loaded(*self.context.read(read)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr = self.context.tr

        def minutes(seconds: float) -> str:
            return f"{int(seconds // 60)}:{int(seconds % 60):02d}"

        for widget_id, title, f in (("#today", tr("Today"), message.today), ("#week", tr("This week"), message.week)):
            share = f"{f.share_within_target:.0%}" if f.share_within_target is not None else "—"
            satisfaction = f"{tr.number(round(f.satisfaction_average, 1))} / 5" \
                if f.satisfaction_average is not None else "—"
            self.query_one(widget_id, Static).update("\n".join([
                f"[b]{title}[/b]",
                f"{tr('Waiting now')}: {f.waiting}  ·  {tr('Oldest waiting')}: "
                + (f"{int(f.oldest_waiting_minutes)} min" if f.oldest_waiting_minutes is not None else "—"),
                f"{tr('Called within {minutes} min').format(minutes=self.settings.target_minutes)}: {share}",
                f"{tr('Satisfaction')}: {satisfaction}  ·  {tr('Calls')}: {sum(a.handled for a in f.agents)}",
            ]))
        week = {a.login: a for a in message.week.agents}
        today = {a.login: a for a in message.today.agents}
        agents = self.query_one("#agents", DataTable)
        agents.clear()
        for login, w in week.items():
            t = today.get(login)
            agents.add_row(cell(login), str(t.handled) if t else "0", minutes(t.average_handling_seconds) if t else "—",
                           str(w.handled), minutes(w.average_handling_seconds))
        self.held = message.held
        table = self.query_one("#held", DataTable)
        row = table.cursor_row
        table.clear()
        for e in message.held:
            table.add_row(cell(e.customer_name or tr("unknown caller")), cell(national_phone(e.phone)),
                          f"{int(e.age_minutes)} min",
                          cell(e.claimed_by or tr("{login} (personal)").format(login=e.kept_for)), str(e.attempts),
                          cell(e.note),
                          key=str(e.callback_id))
        if message.held:
            table.move_cursor(row=min(row, len(message.held) - 1))

    def _selected(self) -> QueuedCallback | None:
        table = self.query_one("#held", DataTable)
        return self.held[table.cursor_row] if self.held and table.cursor_row < len(self.held) else None

    def action_release(self) -> None:
        if (entry := self._selected()) is not None:
            self.change(entry, None)

    def action_reassign(self) -> None:
        if (entry := self._selected()) is not None:
            self.app.push_screen(ReassignScreen(self.context, entry),
                                 lambda login: login and self.change(entry, login))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change")
    def change(self, entry: QueuedCallback, to_login: str | None) -> None:
        tr = self.context.tr
        try:
            now = self.clock()
            self.context.write(lambda session: release_callback(session, self.context.staff, entry.callback_id,
                                                                to_login, self.settings, now=now))
        except NotStaff:
            self.post_message(self.Done(filled(tr("{login} is not active staff."), login=to_login)))
            return
        self.post_message(self.Done(
            filled(tr("Released to the queue: {phone}"), phone=national_phone(entry.phone)) if to_login is None
            else filled(tr("Handed to {login}: {phone}"), login=to_login, phone=national_phone(entry.phone))))

    @on(Done)
    def done(self, message: Done) -> None:
        self.query_one("#supervision-message", Static).update(message.note)
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)


class ReassignScreen(ConsoleModal[str | None]):
    CSS_PATH = "queue_supervision.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, context, entry: QueuedCallback):
        super().__init__(context)
        self.entry = entry

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        with Vertical(id="reassign"):
            yield Label(filled(tr("Hand {phone} to which agent (login)?"), phone=national_phone(self.entry.phone)))
            yield Input(id="login")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
