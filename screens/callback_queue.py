"""The callback queue: who is waiting, for how long; one key takes the next; outcome hotkeys."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.services.callbacks import (
    CallbackError,
    QueuedCallback,
    QueueSettings,
    claim_callback,
    claim_next_callback,
    finish_callback,
    match_caller,
    queue,
)
from crm_tui.widgets.translated_bindings import translate_bindings
from store.types import utc_now
from store.validation import national_phone

OUTCOME_KEYS = {"1": "resolved", "2": "ordered", "3": "no_answer", "4": "busy", "5": "voicemail",
                "6": "wrong_number", "8": "declined"}
POLL_SECONDS = 1.0


class CallbackQueueScreen(Screen):
    CSS_PATH = "callback_queue.tcss"
    BINDINGS = [
        Binding("n", "claim_next", "Take next"),
        Binding("enter", "claim_selected", "Take this one", show=False),
        Binding("c", "open_card", "Card"),
        *[Binding(key, f"finish('{outcome}')", outcome.replace("_", " "), show=False)
          for key, outcome in OUTCOME_KEYS.items()],
        Binding("escape", "back", "Back"),
    ]

    class QueueLoaded(Message):
        def __init__(self, entries: list[QueuedCallback]):
            super().__init__()
            self.entries = entries

    class Claimed(Message):
        def __init__(self, entry: QueuedCallback | None, note: str = ""):
            super().__init__()
            self.entry, self.note = entry, note

    def __init__(self, context, settings: QueueSettings = QueueSettings(), clock=utc_now):
        super().__init__()
        self.context, self.settings, self.clock = context, settings, clock
        self.entries: list[QueuedCallback] = []
        self.current: QueuedCallback | None = None
        self.started_at: datetime | None = None
        self._version: tuple | None = None
        translate_bindings(self, context.tr)

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        yield Static(tr("n takes the next callback · Enter takes the selected one"), id="call")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        self.query_one("#queue", DataTable).add_columns(
            tr("Customer"), tr("Phone"), tr("Waiting"), tr("Window"), tr("Attempts"), tr("Priority"), tr("Held by"),
            tr("Note"))
        self.load_queue()
        self.set_interval(POLL_SECONDS, self.poll_changes)

    # --- the queue, live -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def load_queue(self) -> None:
        with Session(self.context.engine) as session:
            entries = queue(session, self.clock(), settings=self.settings, limit=200, include_claimed=True)
        self.post_message(self.QueueLoaded(entries))

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll_changes(self) -> None:
        """Reload when the web shop or another console changed the queue: one aggregate over
        the open callbacks (the status index), every second, in a thread."""
        with Session(self.context.engine) as session:
            version = tuple(session.execute(text(
                "SELECT count(*), coalesce(max(id), 0), coalesce(sum(attempts), 0), "
                "coalesce(sum(status = 'claimed'), 0) FROM callback_request "
                "WHERE status IN ('pending', 'claimed')")).one())
        if version != self._version:
            self._version = version
            self.load_queue()

    @on(QueueLoaded)
    def show_queue(self, message: QueueLoaded) -> None:
        tr = self.context.tr
        self.entries = message.entries
        table = self.query_one("#queue", DataTable)
        row = table.cursor_row
        table.clear()
        now = self.clock()
        target = self.settings.target_minutes
        for e in message.entries:
            minutes = (now - e.requested_at).total_seconds() / 60
            colour = "green" if minutes < target / 2 else "yellow" if minutes < target else "red"
            window = (f"{e.window_from.astimezone(ZoneInfo(e.time_zone)):%H:%M}–"
                      f"{e.window_to.astimezone(ZoneInfo(e.time_zone)):%H:%M}" if e.window_from else tr("asap"))
            if not e.callable_now and not e.window_from:
                window += " (" + tr("outside calling hours") + ")"
            table.add_row(e.customer_name or tr("unknown caller"), national_phone(e.phone),
                          f"[{colour}]{int(minutes)} min[/]", window, str(e.attempts), "★" * e.priority,
                          e.claimed_by or "", e.note, key=str(e.callback_id))
        if message.entries:
            table.move_cursor(row=min(row, len(message.entries) - 1))
        self.query_one("#queue-status", Static).update(
            tr("{count} callbacks waiting").format(count=sum(1 for e in message.entries if not e.claimed_by)))

    # --- claiming -------------------------------------------------------------------------------

    def action_claim_next(self) -> None:
        if self.current is None:
            self.claim(None)

    def action_claim_selected(self) -> None:
        table = self.query_one("#queue", DataTable)
        if self.current is None and self.entries:
            self.claim(self.entries[table.cursor_row].callback_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def claim(self, callback_id: int | None) -> None:
        tr = self.context.tr
        with Session(self.context.engine) as session:
            if callback_id is None:
                entry = claim_next_callback(session, self.context.staff, self.clock(), settings=self.settings)
                note = "" if entry else tr("Nobody to call right now.")
            else:
                taken = claim_callback(session, self.context.staff, callback_id, self.clock(), settings=self.settings)
                entry = next((e for e in self.entries if e.callback_id == callback_id), None) if taken else None
                note = "" if taken else tr("Someone else took that callback.")
            if entry is not None and entry.customer_id is None:
                matched = match_caller(session, entry.callback_id)
                if matched is not None:
                    entry = replace(entry, customer_id=matched)
                    note = tr("The number belongs to a registered customer: linked.")
        self.post_message(self.Claimed(entry, note))

    @on(Claimed)
    def show_call(self, message: Claimed) -> None:
        tr = self.context.tr
        self.current = message.entry
        self.started_at = self.clock() if message.entry else None
        panel = self.query_one("#call", Static)
        if message.entry is None:
            panel.update(message.note)
        else:
            e = message.entry
            panel.update(
                f"[b]{tr('Call')}: {national_phone(e.phone)}[/b]   ({e.phone})   "
                f"{e.customer_name or tr('unknown caller')}   {e.note}  {message.note}\n"
                + tr("1 resolved · 2 order placed · 3 no answer · 4 busy · 5 voicemail · 6 wrong number · "
                     "8 declined · c card"))
        self.load_queue()

    def action_finish(self, outcome: str) -> None:
        if self.current is not None:
            self.finish(self.current, outcome)

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def finish(self, entry: QueuedCallback, outcome: str) -> None:
        tr = self.context.tr
        try:
            with Session(self.context.engine) as session:
                finish_callback(session, self.context.staff, entry.callback_id, outcome, started_at=self.started_at,
                                now=self.clock(), settings=self.settings)
            labels = {"resolved": tr("resolved"), "ordered": tr("order placed"), "no_answer": tr("no answer"),
                      "busy": tr("busy"), "voicemail": tr("voicemail"), "wrong_number": tr("wrong number"),
                      "declined": tr("declined")}
            note = tr("Recorded: {outcome}. n takes the next callback.").format(outcome=labels[outcome])
        except CallbackError as exc:
            note = str(exc)
        self.post_message(self.Claimed(None, note))

    def action_open_card(self) -> None:
        if self.current is not None and self.current.customer_id:
            self.app.open_customer(self.current.customer_id)

    def action_back(self) -> None:
        self.app.pop_screen()

