"""The callback queue: who is waiting, for how long; one key takes the next; outcome hotkeys."""

from dataclasses import replace
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.context import ConsoleContext
from crm_tui.screens.base import ConsoleScreen
from crm_tui.services.callback_claims import claim_callback, claim_next_callback
from crm_tui.services.callback_queue import QueuedCallback, callable_from, callable_now, queue, queue_version
from crm_tui.services.callers import match_caller
from crm_tui.services.policy import Action
from crm_tui.shop.validation import national_phone
from crm_tui.widgets.literal import cell, literal, visible

POLL_SECONDS = 1.0


class CallbackQueueScreen(ConsoleScreen):
    POLICY = {"supervise": Action.SUPERVISE_QUEUE}
    CSS_PATH = "callback_queue.tcss"
    BINDINGS = [
        Binding("n", "claim_next", "Take next"),
        Binding("s", "supervise", "Supervise"),
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

    def __init__(self, context: ConsoleContext):
        super().__init__(context)
        self.settings, self.clock = context.queue, context.now
        self.entries: list[QueuedCallback] = []
        self.calling = False
        self.wide = True  # the columns' layout, chosen at mount for the terminal's width then
        self._version: tuple | None = None

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        yield Header()
        start, end = self.settings.calling_hours
        yield Static(tr("n takes the next callback · Enter takes the selected one · calling hours {start}–{end}, "
                        "each customer's time").format(start=f"{start:%H:%M}", end=f"{end:%H:%M}"), id="call")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        table = self.query_one("#queue", DataTable)
        # Fixed widths: the list is refilled every time the queue changes, and auto widths would
        # jump while it is.
        # At 80 columns: who, the number, how long, when, how valuable, whose; the attempts and the
        # note move to the line under the list (the highlighted callback's).
        # Wide, the note takes what the others leave of the screen (cut with "…", whole below);
        # the attempts get a column from 140 columns on.
        width = self.app.size.width
        self.wide, self.attempts_shown = width >= 100, width >= 140
        columns = [(tr("Customer"), 22, 16), (tr("Phone"), 13, 13), (tr("Waiting"), 8, 7), (tr("Window"), 19, 14),
                   (tr("Attempts"), 8 if self.attempts_shown else 0, 0), (tr("Priority"), 9, 3),
                   (tr("Held by"), 12, 10)]
        taken = sum(wide + 2 for _, wide, _ in columns if wide) + 2 + 6  # cell padding, the note's, the frame
        columns.append((tr("Note"), max(10, width - taken), 0))
        for label, wide, narrow in columns:
            if self.wide and wide or not self.wide and narrow:
                short = "★" if narrow == 3 and not self.wide else label  # the stars' own column at 80
                table.add_column(short, width=wide if self.wide else narrow)
        self.load_queue()
        self.keep_live("queue", self.load_queue, self.poll_changes, POLL_SECONDS)

    # --- the queue, live -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def load_queue(self) -> None:
        now = self.clock()

        def read(session):
            return queue_version(session), queue(session, now, settings=self.settings, limit=200,
                                                       include_claimed=True)
        self._version, entries = self.context.read(read)  # the version this load shows: no reload for it
        self.post_message(self.QueueLoaded(entries))

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll_changes(self) -> None:
        """Reload when the web shop or another console changed the queue: one aggregate over
        the open callbacks (the status index), every second, in a thread."""
        version = self.context.read(queue_version)
        if version != self._version:
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
            window = (self._window(e, now) if e.window_from else tr("asap"))
            if e.retry_at is not None:
                window = tr("retry at {time}").format(time=f"{e.retry_at.astimezone(ZoneInfo(e.time_zone)):%H:%M}")
            missed = e.window_to is not None and e.window_to <= now
            if missed:
                window += " " + tr("missed")
            if not e.callable_now and (missed or not e.window_from):
                # At 80 columns the part that matters first: not now.
                window = window + " (" + tr("outside calling hours") + ")" if self.wide else tr("outside hours")
            held = cell(e.claimed_by or (tr("{login} (personal)").format(login=e.kept_for) if e.kept_for else ""))
            cells = [cell(e.customer_name or tr("unknown caller")), cell(national_phone(e.phone)),
                     f"[{colour}]{int(minutes)} min[/]", cell(window)]
            if self.attempts_shown:
                cells.append(str(e.attempts))
            cells += ["★" * e.priority, held, cell(e.note)] if self.wide else ["★" * e.priority, held]
            table.add_row(*cells, key=str(e.callback_id))
        if message.entries:
            table.move_cursor(row=min(row, len(message.entries) - 1))
        self.waiting_count = sum(1 for e in message.entries if not e.claimed_by)
        self.show_detail()

    @on(DataTable.RowHighlighted, "#queue")
    def show_detail(self) -> None:
        """How many wait, and the highlighted callback's attempts and note in full."""
        tr = self.context.tr
        status = tr("{count} callbacks waiting").format(count=getattr(self, "waiting_count", 0))
        row = self.query_one("#queue", DataTable).cursor_row
        if self.entries and 0 <= row < len(self.entries):
            e = self.entries[row]
            status += " · " + tr("attempts: {n}").format(n=e.attempts) + (f" · {visible(e.note)}" if e.note else "")
        self.query_one("#queue-status", Static).update(literal(status))

    # --- claiming -------------------------------------------------------------------------------

    def action_claim_next(self) -> None:
        if not self.calling:
            self.calling = True  # until the claim comes back: one key press, one claim
            self.claim(None)

    @on(DataTable.RowSelected, "#queue")
    def claim_selected(self, event: DataTable.RowSelected) -> None:
        if self.calling:
            return
        callback_id = int(event.row_key.value)
        entry = next((e for e in self.entries if e.callback_id == callback_id), None)
        if entry is not None and not entry.offered_to(self.context.staff.login):
            self.query_one("#call", Static).update(literal(self._kept_note(entry)))
            return
        if entry is None or self._callable(entry, self.clock()):
            self.calling = True
            self.claim(callback_id)
            return
        from crm_tui.screens.choice import ChoiceScreen

        tr, now = self.context.tr, self.clock()
        start, end = self.settings.calling_hours
        why = (tr("before the window they chose ({window})").format(
            window=tr.datetime(entry.window_from, entry.time_zone)) if entry.window_from and now < entry.window_from
            else tr("outside calling hours ({start}–{end})").format(start=f"{start:%H:%M}", end=f"{end:%H:%M}"))
        lines = [tr("It is {time} for {name} ({zone}): {why}.").format(
            time=tr.datetime(now, entry.time_zone), name=entry.customer_name or tr("unknown caller"),
            zone=entry.time_zone, why=why), tr("y calls them anyway · Esc does not")]

        def chosen(answer: str | None) -> None:
            if answer == "call" and not self.calling:
                self.calling = True
                self.claim(callback_id, before_its_window=True)
        self.app.push_screen(ChoiceScreen(self.context, lines, {"y": "call"}, escape_answer="wait"), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="claim")
    def claim(self, callback_id: int | None, before_its_window: bool = False) -> None:
        tr = self.context.tr
        now = self.clock()

        # `n` takes the top row the agent sees that can be called now; only if someone else took
        # it meanwhile does the queue decide again.
        login = self.context.staff.login
        top = next((e for e in self.entries if e.offered_now(now) and e.offered_to(login) and self._callable(e, now)),
                   None)

        def take(session):
            if callback_id is None:
                taken = top is not None and claim_callback(session, self.context.staff, top.callback_id, now,
                                                            settings=self.settings)
                entry = top if taken else claim_next_callback(session, self.context.staff, now, settings=self.settings)
                note = "" if entry else self._nobody_callable(now)
            else:
                taken = claim_callback(session, self.context.staff, callback_id, now, settings=self.settings,
                                       before_its_window=before_its_window)
                entry = next((e for e in self.entries if e.callback_id == callback_id), None)
                kept = entry is not None and not entry.offered_to(login) and entry.kept_until is not None
                if not taken:
                    note = self._kept_note(entry) if kept and entry is not None \
                        else tr("Someone else took that callback.")
                    entry = None
                else:
                    note = ""
            if entry is not None and entry.customer_id is None:
                matched = match_caller(session, entry.callback_id)
                if matched is not None:
                    entry = replace(entry, customer_id=matched)
                    note = tr("The number belongs to a registered customer: linked.")
            return entry, note
        self.post_message(self.Claimed(*self.context.write(take)))

    def _kept_note(self, entry: QueuedCallback) -> str:
        tr = self.context.tr
        return tr("{login} keeps that callback until {time}: it is theirs to call.").format(
            login=entry.kept_for, time=tr.datetime(entry.kept_until, self.settings.time_zone))

    def _callable(self, e: QueuedCallback, now) -> bool:
        """Callable at this moment (the list may have been loaded a while ago)."""
        return callable_now(e.window_from, e.window_to, e.time_zone, now, self.settings)

    def _window(self, e: QueuedCallback, now) -> str:
        """The window in the customer's time; its day too when it is not their today."""
        zone = ZoneInfo(e.time_zone)
        start, end = e.window_from.astimezone(zone), (e.window_to or e.window_from).astimezone(zone)
        day = "" if start.date() == now.astimezone(zone).date() else f"{self.context.tr.short_day(start)} "
        return f"{day}{start:%H:%M}–{end:%H:%M}"

    def _nobody_callable(self, now) -> str:
        """Why `n` found nobody, and when somebody can be called."""
        tr = self.context.tr
        waiting = [e for e in self.entries if not e.claimed_by]
        if not waiting:
            return tr("Nobody to call right now.")
        first = min(max(callable_from(e, now, self.settings), e.retry_at or now) for e in waiting)
        return tr("Nobody to call right now: the {count} waiting callbacks are outside calling hours or before their "
                  "windows; the next can be called at {time} ({zone}).").format(
            count=len(waiting), time=tr.datetime(first, self.settings.time_zone), zone=self.settings.time_zone)

    @on(Claimed)
    def show_call(self, message: Claimed) -> None:
        self.load_queue()
        if message.entry is None:
            self.calling = False
            self.query_one("#call", Static).update(literal(message.note))
        else:
            from crm_tui.screens.call import CallScreen

            self.app.push_screen(CallScreen(self.context, message.entry, message.note),
                                 self.call_ended)

    def call_ended(self, note: str | None) -> None:
        self.calling = False
        self.query_one("#call", Static).update(literal(note))
        self.load_queue()

    def action_supervise(self) -> None:
        from crm_tui.screens.queue_supervision import QueueSupervisionScreen

        self.app.push_screen(QueueSupervisionScreen(self.context), lambda _: self.load_queue())
