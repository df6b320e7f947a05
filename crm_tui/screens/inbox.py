"""The inbox: every contact-form message that needs an answer, live. An agent takes one (no
one else can), links or registers the sender, answers, or turns it into a callback or a case."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.context import WriteFailed
from crm_tui.screens.base import ConsoleScreen, service_sentence
from crm_tui.screens.service_form import FormField, FormScreen
from crm_tui.services import inbox as desk
from crm_tui.services.cases import open_case
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action
from crm_tui.services.search import search_customers
from crm_tui.settings import CASE_KINDS
from crm_tui.shop.validation import InvalidField
from crm_tui.widgets.literal import cell, filled

POLL_SECONDS = 1.0


def status_labels(tr) -> dict[str, str]:
    return {"new": tr("new"), "in_progress": tr("in progress"), "answered": tr("answered"), "closed": tr("closed")}


def case_kind_labels(tr) -> dict[str, str]:
    return {"delivery": tr("delivery"), "product_defect": tr("product defect"), "billing": tr("billing"),
            "service": tr("service"), "other": tr("other")}


class InboxScreen(ConsoleScreen):
    CSS_PATH = "service_desk.tcss"
    wide = True  # the columns' layout, chosen at mount for the terminal's width then
    BINDINGS = [
        Binding("enter", "take", "Take"),
        Binding("a", "answer", "Answer"),
        Binding("l", "link", "Link customer"),
        Binding("r", "register", "Register sender"),
        Binding("b", "to_callback", "Callback"),
        Binding("k", "to_case", "Case"),
        Binding("x", "close", "Close"),
        Binding("u", "give_back", "Give back"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, messages: list[desk.InboxMessage]):
            super().__init__()
            self.messages = messages

    def __init__(self, context):
        super().__init__(context)
        self._version: tuple | None = None
        self._messages: list[desk.InboxMessage] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="inbox-status")
        yield DataTable(id="inbox", cursor_type="row", zebra_stripes=True)
        yield Static("", id="inbox-detail")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        wide = self.wide = self.app.size.width >= 120  # the wide layout needs 120 columns
        table = self.query_one("#inbox", DataTable)
        for label, wide_width, narrow_width in (
                (tr("Received"), 17, 12), (tr("Age"), 6, 5), (tr("Kind"), 9, 9), (tr("From"), 20, 14),
                (tr("Customer"), 10, 0), (tr("Status"), 11, 11), (tr("Owner"), 6, 0), (tr("Text"), 23, 14)):
            if wide or narrow_width:
                table.add_column(label, width=wide_width if wide else narrow_width)
        self.load()
        self.keep_live("inbox", self.load, self.poll, POLL_SECONDS)

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox")
    def load(self) -> None:
        now = self.context.now()

        def read(session):
            return desk.inbox_version(session), desk.inbox(session, self.context.staff, now, self.context.service)
        self._version, messages = self.context.read(read)
        self.post_message(self.Loaded(messages))

    @work(thread=True, exclusive=True, exit_on_error=False, group="inbox-poll")
    def poll(self) -> None:
        if self.context.read(desk.inbox_version) != self._version:
            self.load()

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr = self.context.tr
        wide = self.wide
        self._messages = message.messages
        table = self.query_one("#inbox", DataTable)
        row = table.cursor_row
        table.clear()
        statuses, kinds = status_labels(tr), {"question": tr("question"), "complaint": tr("complaint"),
                                              "suggestion": tr("suggestion"), "privacy": tr("privacy request")}
        for m in message.messages:
            age = f"{m.age_hours:.0f}h" + ("!" if m.overdue else "")
            sender = m.name or m.email or m.phone or ""
            zone = self.context.queue.time_zone
            received = tr.datetime(m.received_at, zone) if wide else tr.day_time(m.received_at, zone)
            cells = [received, age, cell(kinds.get(m.kind, m.kind)),
                     cell(sender)]
            if wide:
                cells.append(cell(m.customer_number or tr("visitor")))
            cells.append(cell(statuses.get(m.status, m.status)))
            if wide:
                cells.append(cell(m.owner or ""))
            cells.append(cell(m.text))
            table.add_row(*cells, key=str(m.message_id))
        if message.messages:
            table.move_cursor(row=min(row, len(message.messages) - 1))
        overdue = sum(m.overdue for m in message.messages)
        self.query_one("#inbox-status", Static).update(filled(
            tr("{count} open messages · {overdue} past the {hours} h target · Enter takes one"),
            count=len(message.messages), overdue=overdue, hours=self.context.service.inbox_target_hours))
        self.show_detail()

    @on(DataTable.RowHighlighted, "#inbox")
    def show_detail(self) -> None:
        tr = self.context.tr
        current = self.current()
        detail = self.query_one("#inbox-detail", Static)
        if current is None:
            detail.update(tr("Nothing waiting for an answer."))
            return
        sender = " · ".join(part for part in (current.name, current.email or "", current.phone or "") if part)
        owner = (" · " + tr("taken by {login}").format(login=current.owner)) if current.owner else ""
        detail.update(filled(tr("From {sender} ({customer}):\n{text}") + "{owner}", sender=sender,
                             customer=current.customer_number or tr("not a customer yet"), text=current.text,
                             owner=owner))

    def current(self) -> desk.InboxMessage | None:
        table = self.query_one("#inbox", DataTable)
        if not self._messages or table.cursor_row >= len(self._messages):
            return None
        return self._messages[table.cursor_row]

    # --- steps on the highlighted message ---------------------------------------------------

    def _step(self, fn, done: str) -> None:
        """Run fn(session, message) as one write; say `done`, or the refusal, in one sentence."""
        current = self.current()
        if current is None:
            return
        self._run(fn, current, done)

    @work(thread=True, exit_on_error=False, group="inbox-step")
    def _run(self, fn, current: desk.InboxMessage, done: str) -> None:
        try:
            self.context.write(lambda session: fn(session, current))
        except (ServiceError, InvalidField) as exc:
            sentence = service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else str(exc)
            self.app.call_from_thread(self.notify, sentence, severity="warning", markup=False)
            return
        self.app.call_from_thread(self.notify, done, markup=False)
        self.load()

    @on(DataTable.RowSelected, "#inbox")
    def action_take(self) -> None:
        tr = self.context.tr

        def take(session, m):
            if not desk.take_message(session, self.context.staff, m.message_id):
                raise desk.InboxError("message_taken", "someone else has taken this message")
        self._step(take, tr("The message is yours: answer it (a), or turn it into a callback (b) or a case (k)."))

    def held(self) -> desk.InboxMessage | None:
        """The highlighted message if it is the agent's to work on; else say so, open nothing."""
        current = self.current()
        if current is not None and (current.status != "in_progress" or current.owner != self.context.staff.login):
            self.notify(self.context.tr("Take the message first (Enter): it is not yours."), severity="warning",
                        markup=False)
            return None
        return current

    def action_answer(self) -> None:
        tr, current = self.context.tr, self.held()
        if current is None:
            return

        mailed: list[bool] = []

        def send(values) -> str | None:
            """In the form's worker: e-mail and record; a refusal keeps the answer in the form."""
            return self.attempt(lambda: mailed.append(desk.answer(
                self.context.read, self.context.write, self.context.staff, current.message_id, values["answer"],
                now=self.context.now(), settings=self.context.service)))

        def answered(values):
            if values:
                self.notify(tr("Answered and e-mailed.") if any(mailed) else tr("Answered."), markup=False)
                self.load()
        self.app.push_screen(FormScreen(self.context, tr("Answer the message"), [
            FormField("answer", tr("Your answer (sent by e-mail when the centre has a mail server)"))],
            lambda v: {} if v["answer"] else {"answer": tr("Write the answer first.")}, send), answered)

    def attempt(self, step) -> str | None:
        """Run a step (its own transactions); None when done, else the sentence that refused it."""
        try:
            step()
        except (ServiceError, InvalidField, WriteFailed) as exc:
            return service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else str(exc)
        return None

    def action_link(self) -> None:
        tr, current = self.context.tr, self.held()
        if current is None:
            return

        def check(values):
            return {} if values["who"] else {"who": tr("Type a customer number, e-mail or phone.")}

        def link(values) -> str | None:
            """In the form's worker: find exactly one customer, then link."""
            hits = self.context.read(lambda session: search_customers(session, values["who"]))
            if len(hits) != 1:
                return tr("Type a customer number, e-mail or phone that finds exactly one customer.")
            return self.attempt(lambda: self.context.write(lambda session: desk.link_sender(
                session, self.context.staff, current.message_id, hits[0].customer_id)))

        def linked(values):
            if values:
                self.notify(tr("Linked."), markup=False)
                self.load()
        self.app.push_screen(FormScreen(self.context, tr("Link the sender to a customer"), [
            FormField("who", tr("Customer number, e-mail or phone"), value=current.email or current.phone or "")],
            check, link), linked)

    def action_register(self) -> None:
        from crm_tui.screens.register_caller import RegisterPersonScreen, prefilled_from_phone

        tr, current = self.context.tr, self.held()
        if current is None:
            return
        if current.customer_id is not None:
            self.notify(tr("The sender is already customer {number}: nothing to register.").format(
                number=current.customer_number), severity="warning", markup=False)
            return
        staff = self.context.staff
        first, _, last = current.name.partition(" ")
        prefilled = prefilled_from_phone(current.phone, current.email, self.context.locale.phone_region) | {
            "first_name": first, "last_name": last}
        self.app.push_screen(RegisterPersonScreen(
            self.context, prefilled,
            lambda session, form, now: desk.register_sender(session, staff, current.message_id, form, now),
            tr("[b]Register the sender[/b] — take the message first; the e-mail is required by the shop"),
            tr("Enter or ctrl+s saves · Esc cancels")), lambda _id: self.load())

    def action_to_callback(self) -> None:
        now = self.context.now()
        self._step(lambda session, m: desk.message_to_callback(session, self.context.staff, m.message_id, now=now),
                   self.context.tr("A callback is in the queue; the message is closed."))

    def action_to_case(self) -> None:
        tr, current = self.context.tr, self.held()
        if current is None:
            return
        kinds = case_kind_labels(tr)

        def open_it(values) -> str | None:
            now, staff = self.context.now(), self.context.staff

            def write(session) -> None:
                case_id = open_case(session, staff, customer_id=current.customer_id, kind=values["kind"],
                                    summary=current.text, source="message", source_id=current.message_id, now=now,
                                    settings=self.context.service)
                desk.after_case_opened(session, staff, current.message_id, case_id, now=now)
            return self.attempt(lambda: self.context.write(write))

        def opened(values):
            if values:
                self.notify(tr("A case is open; the message is closed."), markup=False)
                self.load()
        self.app.push_screen(FormScreen(self.context, tr("Open a case from the message"), [
            FormField("kind", tr("Type"), [(kinds[k], k) for k in CASE_KINDS])],
            lambda v: {} if v["kind"] else {"kind": tr("Choose the type.")}, open_it), opened)

    def action_give_back(self) -> None:
        """The agent's message back to the inbox; a supervisor may give back anyone's."""
        current = self.current()
        if current is None or current.status != "in_progress":
            return
        if current.owner != self.context.staff.login and not self.context.may(Action.SUPERVISE_QUEUE):
            self.notify(self.context.tr("Someone else has taken this message."), severity="warning", markup=False)
            return
        self._step(lambda session, m: desk.release_message(session, self.context.staff, m.message_id),
                   self.context.tr("The message is back in the inbox for anyone to take."))

    def action_close(self) -> None:
        now = self.context.now()
        self._step(lambda session, m: desk.close_message(session, self.context.staff, m.message_id, now=now),
                   self.context.tr("Closed."))

