"""A customer's timeline, newest first and paged: calls, contacts, messages, cases, orders and
their status changes, offers. From here the agent logs a contact or opens a case."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.context import WriteFailed
from crm_tui.screens.base import ConsoleScreen, CustomerNavigation, service_sentence
from crm_tui.screens.call_wrap_up import lost_reason_label
from crm_tui.screens.inbox import case_kind_labels
from crm_tui.screens.service_form import FormField, FormScreen
from crm_tui.services.cases import open_case, open_cases_of
from crm_tui.services.contacts import CHANNELS, CONTACT_OUTCOMES, DIRECTIONS, NEEDS_REASON, log_contact
from crm_tui.services.customers import load_card
from crm_tui.services.errors import ServiceError
from crm_tui.services.orders import order_history, order_lines
from crm_tui.services.timeline import PAGE, TimelineEntry, customer_timeline
from crm_tui.settings import CASE_KINDS
from crm_tui.widgets.call_outcomes import outcome_labels
from crm_tui.widgets.literal import filled
from crm_tui.widgets.timeline_rows import timeline_rows


class TimelineScreen(CustomerNavigation, ConsoleScreen):
    CSS_PATH = "service_desk.tcss"
    wide = True  # the columns' layout, chosen at mount for the terminal's width then
    BINDINGS = [
        Binding("l", "log_contact", "Log contact"),
        Binding("k", "new_case", "New case"),
        Binding("pagedown", "page(1)", "Older", show=False, priority=True),
        Binding("pageup", "page(-1)", "Newer", show=False, priority=True),
        Binding("f2", "summary", "Summary & orders"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, entries: list[TimelineEntry], name: str, zone: str):
            super().__init__()
            self.entries, self.name, self.zone = entries, name, zone

    def __init__(self, context, customer_id: int):
        super().__init__(context)
        self.customer_id = customer_id
        self.page = 0
        self.zone = context.queue.time_zone

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="timeline-status")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static("", id="timeline-detail")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        wide = self.wide = self.app.size.width >= 120  # the wide layout needs 120 columns
        table = self.query_one("#timeline", DataTable)
        for label, wide_width, narrow_width in ((tr("When"), 17, 14), (tr("What"), 12, 10), (tr("Who"), 6, 0),
                                                (tr("Outcome"), 14, 11), (tr("Length"), 9, 0),
                                                (tr("Detail"), 44, 31)):
            if wide or narrow_width:
                table.add_column(label, width=wide_width if wide else narrow_width)
        self.load()

    def customer_changed(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="timeline")
    def load(self) -> None:
        def read(session):
            card = load_card(session, self.customer_id)
            entries = customer_timeline(session, self.customer_id, PAGE, self.page * PAGE)
            return entries, card.name, card.time_zone
        self.post_message(self.Loaded(*self.context.read(read)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr = self.context.tr
        wide = self.wide
        self.zone = message.zone
        self._entries = message.entries
        table = self.query_one("#timeline", DataTable)
        table.clear()
        for entry, row in zip(message.entries, timeline_rows(message.entries, tr, message.zone)):
            table.add_row(*(row if wide else (tr.compact(entry.at, message.zone), row[1], row[3], row[5])))
        self.query_one("#timeline-status", Static).update(filled(
            tr("{name} · page {page} · newest first · PgDn older · l logs a contact · k opens a case"),
            name=message.name, page=self.page + 1))
        self.show_detail()

    @on(DataTable.RowHighlighted, "#timeline")
    def show_detail(self) -> None:
        table = self.query_one("#timeline", DataTable)
        entries = getattr(self, "_entries", [])
        detail = self.query_one("#timeline-detail", Static)
        if entries and table.cursor_row < len(entries):
            detail.update(filled("{detail}", detail=entries[table.cursor_row].detail))
        else:
            detail.update(self.context.tr("Nothing on the timeline yet."))

    def action_page(self, step: int) -> None:
        if self.page + step < 0 or (step > 0 and len(getattr(self, "_entries", [])) < PAGE):
            return
        self.page += step
        self.load()

    # --- a contact and a case from here --------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="timeline-form")
    def action_log_contact(self) -> None:
        """Reads the customer's open cases in a worker, then opens the form."""
        tr = self.context.tr
        started = self.context.now()
        outcomes = outcome_labels(tr) | {"information": tr("information"), "follow_up": tr("follow-up"),
                                         "lost": tr("lost")}
        now = self.context.now()
        open_cases = self.context.read(lambda session: open_cases_of(session, self.context.staff, self.customer_id,
                                                                     now))
        kinds = case_kind_labels(tr)
        channels = {"phone": tr("phone"), "email": tr("e-mail"), "chat": tr("chat")}
        directions = {"inbound": tr("inbound: they contacted us"), "outbound": tr("outbound: we contacted them")}
        fields = [
            FormField("channel", tr("Channel"), [(channels[c], c) for c in CHANNELS], "phone"),
            FormField("direction", tr("Direction"), [(directions[d], d) for d in DIRECTIONS], "inbound"),
            FormField("outcome", tr("Outcome"), [(outcomes.get(o, o), o) for o in CONTACT_OUTCOMES]),
            FormField("lost_reason", tr("Why declined or lost"),
                      [(lost_reason_label(r, tr), r) for r in self.context.service.lost_reasons]),
            FormField("satisfaction", tr("Satisfaction, 1 (bad) to 5 (very good)"), placeholder="1–5"),
            FormField("feedback_kind", tr("Complaint or suggestion"),
                      [(tr("complaint"), "complaint"), (tr("suggestion"), "suggestion")]),
            FormField("feedback", tr("What they said")),
            FormField("note", tr("Note for the timeline")),
            FormField("case", tr("About an open case (if one)"),
                      [(f"#{c.case_id} · {kinds.get(c.kind, c.kind)} · {c.summary[:40]}", str(c.case_id))
                       for c in open_cases]),
        ]

        def check(v):
            problems = {}
            if not v["outcome"]:
                problems["outcome"] = tr("Choose the outcome.")
            if v["outcome"] in NEEDS_REASON and not v["lost_reason"]:
                problems["lost_reason"] = tr("Choose why the customer declined or was lost.")
            if v["satisfaction"] and v["satisfaction"] not in ("1", "2", "3", "4", "5"):
                problems["satisfaction"] = tr("A whole number from 1 to 5, or nothing.")
            if v["feedback"] and not v["feedback_kind"]:
                problems["feedback_kind"] = tr("Choose whether it is a complaint or a suggestion.")
            return problems

        def save(v) -> str | None:
            now = self.context.now()
            return self.attempt(lambda session: log_contact(
                session, self.context.staff, self.customer_id, channel=v["channel"], direction=v["direction"],
                outcome=v["outcome"], started_at=started, now=now, note=v["note"],
                satisfaction=int(v["satisfaction"]) if v["satisfaction"] else None,
                feedback_kind=v["feedback_kind"] if v["feedback"] else None, feedback=v["feedback"],
                lost_reason=v["lost_reason"] if v["outcome"] in NEEDS_REASON else None,
                case_id=int(v["case"]) if v["case"] else None, settings=self.context.service))

        def logged(v):
            if v:
                self.notify(tr("Contact logged."), markup=False)
                self.load()
        self.app.call_from_thread(lambda: self.app.push_screen(
            FormScreen(self.context, tr("Log a contact"), fields, check, save), logged))

    def attempt(self, step) -> str | None:
        """One write while the form is open: None when done, else the refusal, in one sentence."""
        try:
            self.context.write(step)
        except (ServiceError, WriteFailed) as exc:
            return service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else str(exc)
        return None

    @work(thread=True, exclusive=True, exit_on_error=False, group="timeline-form")
    def action_new_case(self) -> None:
        """Reads the customer's orders in a worker (case_fields), then opens the form."""
        tr = self.context.tr
        fields = case_fields(self.context, self.customer_id)

        def check(v):
            return ({} if v["kind"] else {"kind": tr("Choose the type.")}) | (
                {} if v["summary"] else {"summary": tr("Say what the complaint is about.")})

        def save(v) -> str | None:
            now = self.context.now()
            return self.attempt(lambda session: open_case(
                session, self.context.staff, customer_id=self.customer_id, kind=v["kind"], summary=v["summary"],
                source="card", **order_and_line(v["order"]), priority=int(v["priority"] or 2),
                now=now, settings=self.context.service))

        def opened(v):
            if v:
                self.notify(tr("The case is open."), markup=False)
                self.load()
        self.app.call_from_thread(lambda: self.app.push_screen(
            FormScreen(self.context, tr("Open a case"), fields, check, save), opened))


def case_fields(context, customer_id: int, summary: str = "") -> list[FormField]:
    """The form that opens a case for a customer: type, the order (their latest 20), priority,
    what it is about. Reads the database: call it from a worker."""
    tr = context.tr
    kinds = case_kind_labels(tr)
    def read(session):
        orders = [o for o in order_history(session, customer_id, page=20) if o.total_cents > 0 and not o.cancelled_by]
        return [(o, order_lines(session, o.order_id)) for o in orders]
    choices = []
    for order, lines in context.read(read):
        choices.append((f"{order.number} · {tr.date(order.placed_at)} · {tr.money(order.total_cents)}",
                        str(order.order_id)))
        choices += [(f"   {order.number} · {line.quantity} × {line.name}", f"{order.order_id}:{line.product_id}")
                    for line in lines if line.quantity > 0]
    return [
        FormField("kind", tr("Type"), [(kinds[k], k) for k in CASE_KINDS]),
        FormField("order", tr("The order, or the line, it is about (if one)"), choices),
        FormField("priority", tr("Priority"), [(tr("urgent"), "1"), (tr("normal"), "2"), (tr("routine"), "3")], "2"),
        FormField("summary", tr("What the complaint is about"), value=summary),
    ]


def order_and_line(chosen: str | None) -> dict[str, int | None]:
    """The case form's choice ("order id" or "order id:product id") as open_case's arguments."""
    order, _, product = (chosen or "").partition(":")
    return {"order_id": int(order) if order else None, "product_id": int(product) if product else None}
