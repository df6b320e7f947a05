"""Complaint cases: mine, the team's, the overdue ones, the finished ones; Enter opens one to
work it (waiting, resolve, close, cancel or return its order, a goodwill discount)."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from crm_tui.context import WriteFailed
from crm_tui.screens.base import ConsoleScreen, service_sentence
from crm_tui.screens.inbox import case_kind_labels
from crm_tui.screens.service_form import FormField, FormScreen
from crm_tui.services import cases as desk
from crm_tui.services.errors import ServiceError
from crm_tui.services.order_tracking import AlreadyReversed, IllegalTransition, OrderRefused, order_has_shipped
from crm_tui.services.policy import Action
from crm_tui.services.staff import StaffError
from crm_tui.widgets.literal import cell, filled
from crm_tui.widgets.timeline_rows import timeline_labels

POLL_SECONDS = 2.0


def order_sentence(refusal: OrderRefused, tr) -> str:
    """The shop's refusal of a step on an order, in the agent's language."""
    if isinstance(refusal, AlreadyReversed):
        return tr("Order {order} is already cancelled or returned.").format(order=refusal.number)
    if isinstance(refusal, IllegalTransition):
        labels = timeline_labels(tr)
        return tr("Order {order} is {current}: it cannot be {wanted} now.").format(
            order=refusal.number, current=labels.get(refusal.current, refusal.current),
            wanted=labels.get(refusal.wanted, refusal.wanted))
    return str(refusal)


def case_status_labels(tr) -> dict[str, str]:
    return {"open": tr("open"), "waiting": tr("waiting for customer"), "resolved": tr("resolved"),
            "closed": tr("closed")}


def case_outcome_labels(tr) -> dict[str, str]:
    return {"refund": tr("refund"), "replacement": tr("replacement"), "credit": tr("credit or discount"),
            "explanation": tr("explanation"), "rejected": tr("rejected")}


class CasesScreen(ConsoleScreen):
    POLICY = {"hand_to": Action.SUPERVISE_QUEUE}
    CSS_PATH = "service_desk.tcss"
    wide = True  # the columns' layout, chosen at mount for the terminal's width then
    BINDINGS = [
        # The views' keys are on the status line, not in the footer (which needs the room).
        Binding("1", "view('mine')", "Mine", show=False),
        Binding("2", "view('team')", "Team", show=False),
        Binding("3", "view('overdue')", "Overdue", show=False),
        Binding("4", "view('finished')", "Finished", show=False),
        Binding("w", "waiting", "Waiting"),
        Binding("v", "resolve", "Resolve"),
        Binding("x", "close_case", "Close"),
        Binding("o", "reverse_order", "Cancel/return order"),
        Binding("g", "goodwill", "Goodwill"),
        Binding("h", "hand_to", "Hand to"),
        Binding("f2", "summary", "Customer"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[desk.CaseRow]):
            super().__init__()
            self.rows = rows

    def __init__(self, context, view: str = "mine"):
        super().__init__(context)
        self.view = view
        self._rows: list[desk.CaseRow] = []
        self._version: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="cases-status")
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static("", id="case-detail")
        yield Footer()

    def on_mount(self) -> None:
        tr = self.context.tr
        wide = self.wide = self.app.size.width >= 120  # the wide layout needs 120 columns
        table = self.query_one("#cases", DataTable)
        for label, wide_width, narrow_width in (
                ("#", 4, 4), (tr("Due"), 18, 12), (tr("Type"), 12, 9), (tr("Status"), 12, 9), (tr("Prio"), 7, 0),
                (tr("Owner"), 6, 0), (tr("Customer"), 16, 14), (tr("Order"), 10, 0), (tr("Summary"), 13, 16)):
            if wide or narrow_width:
                table.add_column(label, width=wide_width if wide else narrow_width)
        self.load()
        self.set_interval(POLL_SECONDS, self.poll)

    def action_view(self, view: str) -> None:
        self.view = view
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="cases")
    def load(self) -> None:
        now = self.context.now()

        def read(session):
            return desk.cases_version(session), desk.cases(session, self.context.staff, self.view, now)
        self._version, rows = self.context.read(read)
        self.post_message(self.Loaded(rows))

    @work(thread=True, exclusive=True, exit_on_error=False, group="cases-poll")
    def poll(self) -> None:
        if self.context.read(desk.cases_version) != self._version:
            self.load()

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tr = self.context.tr
        wide = self.wide
        self._rows = message.rows
        statuses, kinds = case_status_labels(tr), case_kind_labels(tr)
        priorities = {1: tr("urgent"), 2: tr("normal"), 3: tr("routine")}
        table = self.query_one("#cases", DataTable)
        row = table.cursor_row
        table.clear()
        zone = self.context.queue.time_zone
        for c in message.rows:
            due = (tr.datetime(c.due_at, zone) if wide else tr.day_time(c.due_at, zone)) + ("!" if c.overdue else "")
            cells = [str(c.case_id), due, cell(kinds.get(c.kind, c.kind)), cell(statuses.get(c.status, c.status))]
            if wide:
                cells += [priorities.get(c.priority, str(c.priority)), cell(c.owner)]
            cells.append(cell(c.customer_name or c.customer_number or tr("no customer")))
            if wide:
                cells.append(cell(c.order_number or ""))
            cells.append(cell(c.summary))
            table.add_row(*cells, key=str(c.case_id))
        if message.rows:
            table.move_cursor(row=min(row, len(message.rows) - 1))
        views = {"mine": tr("My open cases"), "team": tr("The team's open cases"), "overdue": tr("Overdue cases"),
                 "finished": tr("Finished cases")}
        self.query_one("#cases-status", Static).update(filled(
            tr("{view}: {count} · 1 mine · 2 team · 3 overdue · 4 finished"), count=len(message.rows),
            view=views[self.view]))
        self.show_detail()

    @on(DataTable.RowHighlighted, "#cases")
    def show_detail(self) -> None:
        tr = self.context.tr
        c = self.current()
        detail = self.query_one("#case-detail", Static)
        if c is None:
            detail.update(tr("No case here."))
            return
        detail.update(filled(tr("Case {case} · {product}\n{summary}\n{resolution}"), case=c.case_id,
                             product=c.product_name or c.order_number or tr("no order"), summary=c.summary,
                             resolution=c.resolution))

    def current(self) -> desk.CaseRow | None:
        table = self.query_one("#cases", DataTable)
        if not self._rows or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    @property
    def customer_id(self) -> int | None:
        current = self.current()
        return current.customer_id if current else None

    def action_summary(self) -> None:
        from crm_tui.screens.customer_360 import Customer360Screen

        if self.customer_id:
            self.app.push_screen(Customer360Screen(self.context, self.customer_id))

    def workable(self, needs_customer: bool = False) -> desk.CaseRow | None:
        """The highlighted case if the agent may work on it; else say why, open nothing."""
        tr, current = self.context.tr, self.current()
        if current is None:
            return None
        if current.owner != self.context.staff.login and not self.context.may(Action.SUPERVISE_QUEUE):
            self.notify(tr("This case belongs to someone else; a supervisor can hand it to you."),
                        severity="warning", markup=False)
            return None
        if needs_customer and current.customer_id is None:
            self.notify(tr("This case has no customer: link the message to one first."), severity="warning",
                        markup=False)
            return None
        return current

    @work(thread=True, exit_on_error=False, group="case-step")
    def _run(self, fn, current: desk.CaseRow, done: str) -> None:
        try:
            self.context.write(lambda session: fn(session, current))
        except (ServiceError, OrderRefused) as exc:
            sentence = service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else \
                order_sentence(exc, self.context.tr)
            self.app.call_from_thread(self.notify, sentence, severity="warning", markup=False)
            self.load()
            return
        self.app.call_from_thread(self.notify, done, markup=False)
        self.load()

    def _form(self, title: str, fields: list[FormField], check, step, c: desk.CaseRow, done: str) -> None:
        """A form whose step (fn(session, case, values)) runs while it is open: a refusal is shown
        in the form, with what was typed kept; done, it closes and says `done`."""
        loaded = [c]

        def submit(values) -> str | None:
            try:
                self.context.write(lambda session: step(session, loaded[0], values))
            except (ServiceError, OrderRefused, WriteFailed) as exc:
                if isinstance(exc, ServiceError) and exc.code == "case_changed":  # the next try is on the case as it is
                    now = self.context.now()
                    loaded[0] = self.context.read(lambda session: desk.case_detail(
                        session, self.context.staff, c.case_id, now))
                return service_sentence(exc, self.context.tr) if isinstance(exc, ServiceError) else \
                    order_sentence(exc, self.context.tr) if isinstance(exc, OrderRefused) else str(exc)
            return None

        def closed(values) -> None:
            if values:
                self.notify(done, markup=False)
            self.load()
        self.app.push_screen(FormScreen(self.context, title, fields, check, submit), closed)

    def action_waiting(self) -> None:
        c, tr = self.workable(), self.context.tr
        if c is not None:
            now = self.context.now()
            self._run(lambda session, row: desk.set_waiting(session, self.context.staff, row, row.status != "waiting",
                                                            now=now),
                      c, tr("Waiting for the customer.") if c.status != "waiting" else tr("Open again."))

    def action_resolve(self) -> None:
        c, tr = self.workable(), self.context.tr
        if c is None:
            return
        outcomes = case_outcome_labels(tr)

        self._form(tr("Resolve case {case}").format(case=c.case_id), [
            FormField("outcome", tr("Outcome"), [(outcomes[o], o) for o in desk.OUTCOMES]),
            FormField("resolution", tr("How it was resolved"))],
            lambda v: ({} if v["outcome"] else {"outcome": tr("Choose the outcome.")})
            | ({} if v["resolution"] else {"resolution": tr("Say how it was resolved.")}),
            lambda session, row, v: desk.resolve_case(session, self.context.staff, row, v["resolution"], v["outcome"],
                                                      now=self.context.now()), c, tr("Resolved."))

    def action_close_case(self) -> None:
        c = self.workable()
        if c is not None:
            now = self.context.now()
            self._run(lambda session, row: desk.close_case(session, self.context.staff, row, now=now), c,
                      self.context.tr("Closed."))

    def action_reverse_order(self) -> None:
        c, tr = self.workable(), self.context.tr
        if c is None:
            return
        if c.order_number is None or c.order_id is None:
            self.notify(tr("This case is not about an order."), severity="warning", markup=False)
            return
        self.ask_reverse(c, c.order_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="case-question")
    def ask_reverse(self, c: desk.CaseRow, order_id: int) -> None:
        """Reads whether the order shipped (cancel or return) in a worker, then asks."""
        from crm_tui.screens.choice import ChoiceScreen

        tr = self.context.tr
        shipped = self.context.read(lambda session: order_has_shipped(session, order_id))
        question = (tr("Return order {order} in full? It has shipped: the customer sends it back, the stock comes "
                       "back and the sale is taken back.") if shipped else
                    tr("Cancel order {order} in full? It has not shipped: the stock comes back and the sale is taken "
                       "back.")).format(order=c.order_number)

        def answered(answer: str | None) -> None:
            if answer == "yes":
                now = self.context.now()
                self._run(lambda session, row: desk.reverse_case_order(session, self.context.staff, row, now=now), c,
                          tr("Order {order} is returned: the stock is back.").format(order=c.order_number) if shipped
                          else tr("Order {order} is cancelled: the stock is back.").format(order=c.order_number))
        self.app.call_from_thread(lambda: self.app.push_screen(
            ChoiceScreen(self.context, [question, tr("y: yes · n or Esc: no")], {"y": "yes", "s": "yes", "n": "no"},
                         "no"), answered))

    def action_hand_to(self) -> None:
        """Supervisors: give the case to another agent."""
        c, tr = self.current(), self.context.tr
        if c is None:
            return

        def hand(session, row, values) -> None:
            try:
                desk.reassign_case(session, self.context.staff, row, values["login"], now=self.context.now())
            except StaffError as exc:  # not staff, or disabled: said in the form
                raise desk.CaseError("not_staff", str(exc)) from None
        self._form(tr("Hand case {case} to").format(case=c.case_id), [
            FormField("login", tr("Staff login"), value=c.owner)],
            lambda v: {} if v["login"] else {"login": tr("Type a staff login.")}, hand, c,
            tr("Case {case} has a new owner.").format(case=c.case_id))

    def action_goodwill(self) -> None:
        c, tr = self.workable(needs_customer=True), self.context.tr
        if c is None:
            return
        cap = self.context.staff.discount_cap_percent

        def check(values):
            if not values["percent"].isdigit() or int(values["percent"]) > 100:
                return {"percent": tr("A whole percent from 0 to 100.")}
            if int(values["percent"]) > cap:
                return {"percent": tr("Above your cap of {cap} %.").format(cap=cap)}
            return {} if values["reason"] else {"reason": tr("A reason is required when the discount changes.")}

        self._form(tr("Goodwill discount (your cap: {cap} %)").format(cap=cap), [
            FormField("percent", tr("Discount, %")), FormField("reason", tr("Reason"))], check,
            lambda session, row, v: desk.goodwill_discount(session, self.context.staff, row, int(v["percent"]),
                                                           v["reason"], now=self.context.now()), c,
            tr("Discount set."))
