"""One claimed callback: the number large, the customer's card and summary, their timeline,
and the outcome keys that end the call."""

from dataclasses import replace
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Digits, Footer, Header, Static

from crm_tui.context import ConsoleContext, DatabaseError, WriteFailed
from crm_tui.screens.base import CustomerNavigation, ReportsFailures, failure_sentence, service_sentence
from crm_tui.services.callback_claims import CallbackError, finish_callback, renew_claim
from crm_tui.services.callback_queue import QueuedCallback
from crm_tui.services.customer_summary import CustomerSummary, customer_summary
from crm_tui.services.customers import CustomerCard, load_card
from crm_tui.services.dialling import dial
from crm_tui.services.errors import ServiceError
from crm_tui.services.timeline import TimelineEntry, customer_timeline
from crm_tui.shop.validation import national_phone
from crm_tui.widgets.call_outcomes import OUTCOME_KEYS, REACHED, outcome_labels
from crm_tui.widgets.literal import filled
from crm_tui.widgets.summary_panel import SummaryPanel
from crm_tui.widgets.timeline_rows import timeline_rows
from crm_tui.widgets.translated_bindings import translate_bindings


class CallScreen(CustomerNavigation, ReportsFailures, Screen[str]):
    """Dismissed with what was recorded, for the queue screen to show."""

    CSS_PATH = "call.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        *[Binding(key, f"outcome('{outcome}')", outcome, show=False) for key, outcome in OUTCOME_KEYS.items()],
        Binding("c", "card", "Edit card"),
        Binding("f2", "summary", "Summary & orders"),
        Binding("f3", "phone_order", "New phone order"),
        Binding("f5", "offers", "Offers"),
        Binding("f8", "timeline", "Timeline"),
        Binding("r", "register", "Register caller"),
        Binding("d", "dial", "Dial again"),
        Binding("escape", "must_end", "Back", show=False),
    ]

    class Loaded(Message):
        def __init__(self, card: CustomerCard | None, summary: CustomerSummary | None,
                     timeline: list[TimelineEntry]):
            super().__init__()
            self.card, self.summary, self.timeline = card, summary, timeline

    class Dialled(Message):
        def __init__(self, note: Content):
            super().__init__()
            self.note = note

    class Finished(Message):
        def __init__(self, note: str, error: str = ""):
            super().__init__()
            self.note, self.error = note, error

    def __init__(self, context: ConsoleContext, entry: QueuedCallback, note: str = ""):
        super().__init__()
        self.context, self.entry, self.settings, self.clock = context, entry, context.queue, context.now
        self.customer_id = entry.customer_id
        self.started_at: datetime = self.clock()
        self._note = note
        self._dial_note = Content("")
        self._finishing = False
        self._lost = False  # the callback was taken from us: nothing can be recorded, Esc leaves
        self._complaint = ""  # what the customer complained of, to open as a case after the wrap-up
        self._logged: set[int] = set()
        translate_bindings(self, context.tr)

    def compose(self) -> ComposeResult:
        tr, e = self.context.tr, self.entry
        yield Header()
        with Horizontal(id="dial") as dial_box:
            dial_box.border_title = tr("Call in progress")
            yield Digits(national_phone(e.phone), id="number")
            yield Static(self._call_facts(), id="call-facts")
        yield Static(tr("End with: 1 resolved · 2 ordered · 3 no answer · 4 busy · 5 voicemail · 6 wrong number · "
                        "7 later · 8 declined"), id="outcome-keys")
        yield SummaryPanel(tr("Loading…") if self.customer_id else self._unknown_caller(), id="summary")
        with Horizontal(id="details"):
            yield Static("", id="card-facts")
            with Vertical(id="timeline-box"):
                yield Static(tr("Timeline"), classes="section")
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _call_facts(self, warning: Content | None = None) -> Content:
        tr, e = self.context.tr, self.entry
        lines = [filled("[b]{phone}[/b]  ·  {name}", phone=e.phone, name=e.customer_name or tr("unknown caller")),
                 filled(tr("Requested {when} (their time) · attempt {n}"),
                        when=self.context.tr.datetime(e.requested_at, e.time_zone), n=e.attempts + 1)]
        if e.note:
            lines.append(filled("“{note}”", note=e.note))
        if self._note:
            lines.append(filled("{note}", note=self._note))
        lines += [line for line in (self._dial_note, warning) if line]
        return Content("\n").join(lines)

    def _unknown_caller(self) -> str:
        return self.context.tr("Unknown caller: no customer has this number. r registers them from the call.")

    def on_mount(self) -> None:
        tr = self.context.tr
        table = self.query_one("#timeline", DataTable)
        # Fixed widths that fit beside the card (F8 opens the whole timeline, each line in full).
        for label, width in ((tr("When"), 14), (tr("What"), 10), (tr("Who"), 5), (tr("Outcome"), 11),
                             (tr("Duration"), 8), (tr("Note"), 13)):
            table.add_column(label, width=width)
        if self.settings.dial_command:
            self.run_dial()
        self.load()
        self.query_one("#timeline").focus()
        # Renew the claim well before it runs out, for as long as the call is open.
        self.set_interval(max(5.0, self.settings.claim_minutes * 60 / 3), self.keep_claim)

    @work(thread=True, exclusive=True, exit_on_error=False, group="keep-claim")
    def keep_claim(self) -> None:
        if self._lost or self._finishing:
            return
        now = self.clock()
        held = self.context.write(lambda session: renew_claim(session, self.context.staff, self.entry.callback_id,
                                                              now, self.settings))
        if not held:
            self.app.call_from_thread(self._callback_lost, self.context.tr(
                "This callback is no longer yours: its claim expired or a supervisor gave it to someone else."))

    def _callback_lost(self, sentence: str) -> None:
        """Nothing can be recorded for a callback someone else holds: say so, and let Esc leave."""
        self._lost = True
        self.query_one("#call-facts", Static).update(self._call_facts(filled(
            "[red]{sentence}[/] " + self.context.tr("Esc returns to the queue."), sentence=sentence)))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The customer's keys once they are known; registering only while they are not."""
        if action in ("card", "summary", "phone_order", "offers", "timeline"):
            return self.customer_id is not None
        if action == "register":
            return self.customer_id is None
        return True

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load(self) -> None:
        if self.customer_id is None:
            self.post_message(self.Loaded(None, None, []))
            return
        now = self.clock()
        if self.customer_id not in self._logged:  # one entry in the customer's access log per call
            self._logged.add(self.customer_id)
            self.context.log_access(self.customer_id, "call")
        self.post_message(self.Loaded(*self.context.read(lambda session: (
            load_card(session, self.customer_id), customer_summary(session, self.customer_id, now),
            customer_timeline(session, self.customer_id, limit=50)))))

    @on(Loaded)
    def show_customer(self, message: Loaded) -> None:
        tr = self.context.tr
        if message.summary is not None:
            self.query_one("#summary", SummaryPanel).show(message.summary, tr)
        card = message.card
        if card is not None:
            yes_no = {True: tr("yes"), False: tr("no")}
            self.entry = replace(self.entry, customer_id=card.customer_id, customer_name=card.name)
            self.query_one("#call-facts", Static).update(self._call_facts())
            place = " ".join(part for part in (card.postcode, card.city) if part)
            facts = [filled("[b]{name}[/b]", name=card.name)] + [
                filled("{line}", line=line) for line in [
                    card.email, card.street, f"{place} ({card.country})" if place else card.country,
                    f"{tr('Language')}: {card.preferred_language}  ·  {card.time_zone}",
                    f"{tr('Discount')}: {card.discount_percent} %",
                    f"{tr('E-mail marketing')}: {yes_no[card.consent_email]}",
                    f"{tr('Phone marketing')}: {yes_no[card.consent_phone]}",
                    f"{tr('Chat marketing')}: {yes_no[card.consent_chat]}",
                ] if line]
            self.query_one("#card-facts", Static).update(Content("\n").join(facts))
        zone = card.time_zone if card is not None else self.entry.time_zone  # one clock on the screen: theirs
        table = self.query_one("#timeline", DataTable)
        table.clear()
        for entry, row in zip(message.timeline, timeline_rows(message.timeline, tr, zone)):
            table.add_row(tr.compact(entry.at, zone), *row[1:])

    # --- dialling -----------------------------------------------------------------------------

    def action_dial(self) -> None:
        if self.settings.dial_command:
            self.run_dial()
        else:
            self.query_one("#call-facts", Static).update(self._call_facts(Content(
                self.context.tr("No dial command is configured (CRM_TUI_DIAL): dial the number yourself."))))

    @work(thread=True, exclusive=True, exit_on_error=False, group="dial")
    def run_dial(self) -> None:
        tr = self.context.tr
        dialled = dial(self.settings.dial_command, self.entry.phone)
        self.post_message(self.Dialled(
            filled("[red]{failed}: {error}[/]", failed=tr("Dialling failed"), error=dialled.error) if dialled.error
            else filled(tr("Dialling with {command}"), command=dialled.command[0])))

    @on(Dialled)
    def show_dialled(self, message: Dialled) -> None:
        self._dial_note = message.note
        self.query_one("#call-facts", Static).update(self._call_facts())

    # --- the customer -------------------------------------------------------------------------

    def action_card(self) -> None:
        if self.customer_id:
            self.app.open_customer(self.customer_id)

    offers_channel = "phone"  # offers made while on the call are logged as made on the phone

    def customer_changed(self) -> None:
        self.load()

    def action_register(self) -> None:
        if self.customer_id is None:
            from crm_tui.screens.register_caller import RegisterCallerScreen

            self.app.push_screen(RegisterCallerScreen(self.context, self.entry), self._registered)

    def _registered(self, customer_id: int | None) -> None:
        if customer_id is not None:
            self.customer_id = customer_id
            self.refresh_bindings()
            self.load()

    # --- ending the call ----------------------------------------------------------------------

    def action_outcome(self, outcome: str) -> None:
        if self._finishing or self._lost:
            return
        if outcome in REACHED or outcome in ("call_later", "declined"):
            from crm_tui.screens.call_wrap_up import WrapUpScreen

            self.app.push_screen(WrapUpScreen(self.context, self.entry.time_zone, outcome),
                                 lambda details: self._wrapped_up(outcome, details))
        else:
            self._finishing = True
            self.finish(outcome, {})

    def _wrapped_up(self, outcome: str, details: dict | None) -> None:
        if details is not None:  # None: Esc, back to the call
            self._finishing = True
            self._complaint = details.get("feedback", "") if details.get("feedback_kind") == "complaint" else ""
            self.finish(outcome, details)

    def action_must_end(self) -> None:
        if self._lost:
            self.dismiss(self.context.tr("Nothing was recorded: the callback was no longer yours."))
            return
        self.query_one("#call-facts", Static).update(self._call_facts(Content.from_markup(
            "[b $warning]" + self.context.tr("End the call with an outcome, 1 to 8.") + "[/]")))

    @work(thread=True, exclusive=True, exit_on_error=False, group="finish")
    def finish(self, outcome: str, details: dict) -> None:
        tr = self.context.tr
        try:
            now = self.clock()
            finished = self.context.write(lambda session: finish_callback(
                session, self.context.staff, self.entry.callback_id, outcome, started_at=self.started_at, now=now,
                settings=self.settings, **details))
        except CallbackError as exc:
            if exc.code == "not_held":
                self._finishing = False
                self.app.call_from_thread(self._callback_lost, service_sentence(exc, tr))
                return
            self.post_message(self.Finished("", service_sentence(exc, tr)))
            return
        labels = outcome_labels(tr)
        note = tr("Recorded: {outcome}. n takes the next callback.").format(outcome=labels[outcome])
        if finished.retried:
            note += " " + tr("It will be tried again later.")
        elif finished.unreachable:
            note += " " + tr("No more attempts: closed as unreachable.")
        self.post_message(self.Finished(note))

    def worker_failed(self, worker, sentence: str) -> None:
        """A write that could not happen (a lock held too long, a full disk): said on the call,
        and the outcome keys work again so the agent can retry."""
        self._finishing = False
        self.query_one("#call-facts", Static).update(self._call_facts(filled("[red]{error}[/]", error=sentence)))

    @on(Finished)
    def finished(self, message: Finished) -> None:
        self._finishing = False
        if message.error:
            self.query_one("#call-facts", Static).update(self._call_facts(filled("[red]{error}[/]",
                                                                                 error=message.error)))
        elif self._complaint and self.customer_id:
            self._offer_case(message.note)
        else:
            self.dismiss(message.note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="offer-case")
    def _offer_case(self, note: str) -> None:
        """A complaint was recorded: open it as a case now (Esc: no case, the call ends). A worker:
        the form lists the customer's orders."""
        from crm_tui.screens.service_form import FormScreen
        from crm_tui.screens.timeline import case_fields

        tr = self.context.tr
        try:
            fields = case_fields(self.context, self.customer_id, self._complaint)
        except DatabaseError as exc:  # the call is recorded: it ends, saying why no case form came
            self.app.call_from_thread(self.dismiss, note + " " + tr(
                "The case could not be opened ({reason}): open it from the customer's timeline (F8).").format(
                reason=failure_sentence(exc, tr)))
            return

        def opened(values: dict | None) -> None:
            if values:
                self.open_case(values, note)
            else:
                self.dismiss(note)
        self.app.call_from_thread(lambda: self.app.push_screen(FormScreen(self.context, tr("The customer complained: open a case? (Esc: no)"), fields,
                                        lambda v: ({} if v["kind"] else {"kind": tr("Choose the type.")})
                                        | ({} if v["summary"] else {"summary": tr("Say what the complaint is about.")})),
                             opened))

    @work(thread=True, exclusive=True, exit_on_error=False, group="finish")
    def open_case(self, values: dict, note: str) -> None:
        from crm_tui.screens.timeline import order_and_line
        from crm_tui.services.cases import open_case

        now = self.clock()
        try:
            case_id = self.context.write(lambda session: open_case(
                session, self.context.staff, customer_id=self.customer_id, kind=values["kind"],
                summary=values["summary"], source="call", source_id=self.entry.callback_id,
                **order_and_line(values["order"]), priority=int(values["priority"] or 2),
                now=now, settings=self.context.service))
        except (ServiceError, WriteFailed) as exc:
            # The call itself is recorded: it ends, and says the case was not opened and why.
            sentence = service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else str(exc)
            self.app.call_from_thread(self.dismiss, note + " " + self.context.tr(
                "The case could not be opened ({reason}): open it from the customer's timeline (F8).").format(
                reason=sentence))
            return
        self.app.call_from_thread(self.dismiss, note + " " + self.context.tr("Case {case} is open.").format(
            case=case_id))
