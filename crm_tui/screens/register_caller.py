"""Register an unknown caller from the call, with the shop's own registration rules."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from crm_tui.screens.base import ConsoleModal
from crm_tui.services.callback_queue import QueuedCallback
from crm_tui.services.callers import register_caller
from crm_tui.shop.validation import InvalidInput, national_phone, phone_region
from crm_tui.widgets.customer_form import CustomerFields, field_problems


class RegisterCallerScreen(ConsoleModal[int | None]):
    """Dismissed with the new customer's id, or None (Esc)."""

    CSS_PATH = "call.tcss"
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Back to the call")]

    class Refused(Message):
        def __init__(self, errors: dict[str, str]):
            super().__init__()
            self.errors = errors

    def __init__(self, context, entry: QueuedCallback):
        super().__init__(context)
        self.entry = entry

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        country = phone_region(self.entry.phone) or "ES"
        prefilled = {"phone": national_phone(self.entry.phone), "country": country,
                     "preferred_language": "es" if country == "ES" else "en"}
        with Vertical(id="register"):
            yield Static(tr("[b]Register the caller[/b] — ask for each field; the e-mail is required by the shop"))
            yield CustomerFields(tr, prefilled, grid_id="register-fields")
            yield Static(tr("Enter or ctrl+s saves · Esc goes back to the call"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#field-first_name").focus()

    @on(Input.Submitted)
    def action_save(self) -> None:
        self.save(self.query_one(CustomerFields).values())

    @work(thread=True, exclusive=True, exit_on_error=False, group="register")
    def save(self, form: dict) -> None:
        try:
            now = self.context.now()
            customer_id = self.context.write(lambda session: register_caller(session, self.entry.callback_id, form,
                                                                             now))
        except InvalidInput as exc:
            self.post_message(self.Refused(field_problems(exc.problems(), self.context.tr)))
            return
        self.app.call_from_thread(self.dismiss, customer_id)

    @on(Refused)
    def show_errors(self, message: Refused) -> None:
        self.query_one(CustomerFields).show_errors(message.errors)

    def action_cancel(self) -> None:
        self.dismiss(None)
