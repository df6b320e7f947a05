"""What every console screen shares: the typed context, translated bindings, going back, the
customer navigation (summary, phone order, offers), and a worker that fails told to the agent
in one sentence, in their language, never swallowed."""

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.message import Message
from textual.screen import ModalScreen, Screen, ScreenResultType
from textual.worker import Worker, WorkerState

from crm_tui.context import ConsoleContext, DatabaseError, WriteFailed, failure_kind
from crm_tui.services.errors import ServiceError
from crm_tui.services.policy import Action
from crm_tui.services.staff import StaffError
from crm_tui.widgets.literal import visible
from crm_tui.widgets.translated_bindings import translate_bindings


def failure_sentence(error: BaseException | None, tr) -> str:
    kind = error.kind if isinstance(error, WriteFailed) else failure_kind(error) if error else None
    sentences = {
        "locked": tr("Another program kept the database locked for writing past the time limit: "
                     "nothing was written; try again in a moment."),
        "disk": tr("The disk holding the database is full (or failing): nothing was written; "
                   "free space and try again."),
        "readonly": tr("The database file is read-only for you: nothing was written; ask ops for write access."),
        "damaged": tr("The database file is damaged or is not a crm-tui database: nothing was read or written."),
        "unopenable": tr("The database file cannot be opened: check its path and permissions."),
    }
    if kind in sentences:
        return sentences[kind]
    if isinstance(error, (DatabaseError, StaffError)):
        return str(error)
    return tr("Something went wrong ({error}): nothing was lost; try again, and tell support if it persists."
              ).format(error=f"{type(error).__name__}: {error}")


def service_sentence(error: ServiceError, tr) -> str:
    """A service's refusal in the agent's language, chosen by its code (never by its English)."""
    sentences = {
        "not_held": tr("This callback is no longer yours: its claim expired or a supervisor gave it to someone "
                       "else."),
        "satisfaction_range": tr("A whole number from 1 to 5, or nothing."),
        "call_later_needs_time": tr("Type a time to come: 18:30, tomorrow 10:00, +30m or YYYY-MM-DD 10:00."),
        "not_a_time": tr("Type a time to come: 18:30, tomorrow 10:00, +30m or YYYY-MM-DD 10:00."),
        "time_passed": tr("That time has already passed."),
        "no_such_callback": tr("This callback no longer exists."),
        "not_allowed": tr("That is not for your role."),
        "message_not_held": tr("Take the message first (Enter): it is not yours."),
        "message_taken": tr("Someone else has taken this message."),
        "no_phone": tr("The sender gave no phone number to call back."),
        "answer_empty": tr("Write the answer first."),
        "mail_not_sent": tr("The answer could not be e-mailed: nothing was recorded; try again later."),
        "case_not_yours": tr("This case belongs to someone else; a supervisor can hand it to you."),
        "case_changed": tr("The case was changed meanwhile: it has been loaded again; try once more."),
        "case_finished": tr("This case is already resolved or closed."),
        "resolve_first": tr("Resolve the case before closing it."),
        "case_has_no_order": tr("This case is not about an order."),
        "lost_reason_needed": tr("Choose why the customer declined or was lost."),
        "summary_empty": tr("Say what the complaint is about."),
        "case_has_no_customer": tr("This case has no customer: link the message to one first."),
        "already_linked": tr("The sender is already a customer: nothing to register."),
        "order_not_theirs": tr("That order is not this customer's."),
        "answer_too_long": tr("The answer is longer than 5000 characters."),
        "no_customer": tr("That customer no longer exists."),
        "no_message": tr("That message no longer exists."),
        "line_not_in_order": tr("That product is not a line of the chosen order."),
        "case_not_theirs": tr("That case is not an open case of this customer."),
    }
    return sentences.get(error.code, str(error))


class ReportsFailures:
    """Mixin for every screen and dialog: a failed worker ends in one sentence on screen."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failed(event.worker, failure_sentence(event.worker.error, self.app.context.tr))

    def worker_failed(self, worker: Worker, sentence: str) -> None:
        """Override to show the sentence in place; the default is a notification."""
        self.notify(visible(sentence), severity="error", timeout=15, markup=False)


class ConsoleScreen(ReportsFailures, Screen):
    """A full screen of the console: it holds the context and speaks the agent's language.
    `POLICY` names the actions a role needs the policy's leave for: their keys are hidden from
    everyone else (and do nothing)."""

    POLICY: ClassVar[dict[str, Action]] = {}

    def __init__(self, context: ConsoleContext):
        super().__init__()
        self.context = context
        translate_bindings(self, context.tr)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        needed = self.POLICY.get(action)
        return needed is None or self.context.may(needed)

    def action_back(self) -> None:
        self.app.pop_screen()

    class Changed(Message):
        """The database pushed a change to what this screen shows."""

    def keep_live(self, topic: str, on_change: Callable[[], object], poll: Callable[[], object] | None = None,
                  seconds: float = 1.0) -> None:
        """Reload when `topic` changes: pushed by the database where it can (PostgreSQL's
        LISTEN/NOTIFY: on_change runs at once), else `poll` every `seconds` (SQLite)."""
        self._on_change = on_change
        unwatch = self.context.watch(topic, lambda: self.post_message(self.Changed()))
        if unwatch is None:
            if poll is not None:
                self.set_interval(seconds, poll)
        else:
            self._unwatch = unwatch

    _unwatch: Callable[[], None] | None = None
    _on_change: Callable[[], object] | None = None

    @on(Changed)
    def _pushed_change(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def on_unmount(self) -> None:
        if self._unwatch is not None:
            self._unwatch()


class ConsoleModal(ReportsFailures, ModalScreen[ScreenResultType]):
    """A dialog over a console screen, with the same context and language."""

    def __init__(self, context: ConsoleContext):
        super().__init__()
        self.context = context
        translate_bindings(self, context.tr)


class CustomerNavigation:
    """F2 summary, F3 phone order, F5 offers, F8 timeline (contacts, cases) for the screen's customer (none: the key does nothing).
    `customer_changed` runs when a phone order comes back, so the screen can show it."""

    context: ConsoleContext
    customer_id: int | None
    offers_channel: str | None = None  # "phone" during a call: offers made are logged as made on the phone

    def customer_changed(self) -> None:
        pass

    def action_summary(self) -> None:
        from crm_tui.screens.customer_360 import Customer360Screen

        if self.customer_id:
            self.app.push_screen(Customer360Screen(self.context, self.customer_id))

    def action_phone_order(self) -> None:
        from crm_tui.screens.phone_order import PhoneOrderScreen

        if self.customer_id:
            self.app.push_screen(PhoneOrderScreen(self.context, self.customer_id),
                                 lambda _placed: self.customer_changed())

    def action_timeline(self) -> None:
        from crm_tui.screens.timeline import TimelineScreen

        if self.customer_id:
            self.app.push_screen(TimelineScreen(self.context, self.customer_id))

    def action_offers(self) -> None:
        from crm_tui.screens.offers import OffersScreen

        if self.customer_id:
            self.app.push_screen(OffersScreen(
                self.context, self.customer_id, channel_in_use=self.offers_channel))
