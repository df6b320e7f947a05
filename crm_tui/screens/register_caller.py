"""Register an unknown caller from the call, with the shop's own registration rules."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from crm_tui.screens.base import ConsoleModal, service_sentence
from crm_tui.services.callback_queue import QueuedCallback
from crm_tui.services.callers import register_caller
from crm_tui.services.errors import ServiceError
from crm_tui.shop.validation import InvalidInput, national_phone, phone_region
from crm_tui.widgets.customer_form import CustomerFields, field_problems


class RegisterPersonScreen(ConsoleModal[int | None]):
    """Register someone with the shop's registration rules: `register(session, form, now)`
    writes and returns the new customer's id. Dismissed with it, or None (Esc)."""

    CSS_PATH = "call.tcss"
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Back to the call")]

    class Refused(Message):
        def __init__(self, errors: dict[str, str]):
            super().__init__()
            self.errors = errors

    def __init__(self, context, prefilled: dict[str, str], register, title: str, hint: str):
        super().__init__(context)
        self.prefilled, self.register, self.title_text, self.hint = prefilled, register, title, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="register"):
            yield Static(self.title_text)
            yield CustomerFields(self.context.tr, self.prefilled, grid_id="register-fields")
            yield Static(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#field-first_name").focus()

    @on(Input.Submitted)
    def action_save(self) -> None:
        self.save(self.query_one(CustomerFields).values())

    @work(thread=True, exclusive=True, exit_on_error=False, group="register")
    def save(self, form: dict) -> None:
        try:
            now = self.context.now()
            customer_id = self.context.write(lambda session: self.register(session, form, now))
        except InvalidInput as exc:
            self.post_message(self.Refused(field_problems(exc.problems(), self.context.tr)))
            return
        except ServiceError as exc:  # e.g. the message is no longer the agent's: the form stays, as typed
            self.app.call_from_thread(self.notify, service_sentence(exc, self.context.tr), severity="warning",
                                      markup=False)
            return
        self.app.call_from_thread(self.dismiss, customer_id)

    @on(Refused)
    def show_errors(self, message: Refused) -> None:
        self.query_one(CustomerFields).show_errors(message.errors)

    def action_cancel(self) -> None:
        self.dismiss(None)


def prefilled_from_phone(phone: str | None, email: str | None, region: str) -> dict[str, str]:
    """`region`: the shop's phone region, for a number that does not tell its country."""
    country = phone_region(phone) if phone else None
    country = country or region
    values = {"country": country, "preferred_language": "es" if country == "ES" else "en"}
    if phone:
        values["phone"] = national_phone(phone)
    if email:
        values["email"] = email
    return values


class RegisterCallerScreen(RegisterPersonScreen):
    """The unknown caller of a callback, registered from the call."""

    def __init__(self, context, entry: QueuedCallback):
        tr = context.tr
        super().__init__(context, prefilled_from_phone(entry.phone, None, context.locale.phone_region),
                         lambda session, form, now: register_caller(session, entry.callback_id, form, now),
                         tr("[b]Register the caller[/b] — ask for each field; the e-mail is required by the shop"),
                         tr("Enter or ctrl+s saves · Esc goes back to the call"))
