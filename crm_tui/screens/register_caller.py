"""Register an unknown caller from the call, with the shop's own registration rules."""

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from crm_tui.screens.base import ReportsFailures
from crm_tui.screens.customer_card import CONSENTS, TEXT_FIELDS, _field_hints, _labels
from crm_tui.services.callback_queue import QueuedCallback
from crm_tui.services.callers import register_caller
from crm_tui.shop.validation import InvalidInput, national_phone, phone_region
from crm_tui.widgets.translated_bindings import translate_bindings


class RegisterCallerScreen(ReportsFailures, ModalScreen[int | None]):
    """Dismissed with the new customer's id, or None (Esc)."""

    CSS_PATH = "call.tcss"
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Back to the call")]

    class Refused(Message):
        def __init__(self, errors: dict[str, str]):
            super().__init__()
            self.errors = errors

    def __init__(self, context, entry: QueuedCallback):
        super().__init__()
        self.context, self.entry = context, entry
        translate_bindings(self, context.tr)

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        labels = _labels(tr)
        country = phone_region(self.entry.phone) or "ES"
        prefilled = {"phone": national_phone(self.entry.phone), "country": country,
                     "preferred_language": "es" if country == "ES" else "en"}
        with Vertical(id="register"):
            yield Static(tr("[b]Register the caller[/b] — ask for each field; the e-mail is required by the shop"))
            with Grid(id="register-fields"):
                for name in TEXT_FIELDS:
                    with Vertical(classes="field"):
                        yield Label(labels[name])
                        yield Input(prefilled.get(name, ""), id=f"field-{name}")
                        yield Static("", id=f"error-{name}", classes="error")
            with Horizontal(id="consents"):
                for name in CONSENTS:
                    yield Checkbox(labels[name], id=f"field-{name}")
            yield Static(tr("Enter or ctrl+s saves · Esc goes back to the call"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#field-first_name").focus()

    @on(Input.Submitted)
    def action_save(self) -> None:
        form = {name: self.query_one(f"#field-{name}", Input).value for name in TEXT_FIELDS}
        form |= {name: self.query_one(f"#field-{name}", Checkbox).value for name in CONSENTS}
        self.save(form)

    @work(thread=True, exclusive=True, exit_on_error=False, group="register")
    def save(self, form: dict) -> None:
        try:
            customer_id = self.context.write(lambda session: register_caller(session, self.entry.callback_id, form))
        except InvalidInput as exc:
            self.post_message(self.Refused(exc.by_field()))
            return
        self.app.call_from_thread(self.dismiss, customer_id)

    @on(Refused)
    def show_errors(self, message: Refused) -> None:
        hints = _field_hints(self.context.tr)
        for name in TEXT_FIELDS:
            problem = message.errors.get(name)
            error = self.query_one(f"#error-{name}", Static)
            error.update("" if problem is None else hints.get(name, problem) if "already registered" not in problem
                         else self.context.tr("This e-mail is already registered: search for that customer instead."))
            error.set_class(problem is not None, "-shown")
        first = next((name for name in TEXT_FIELDS if name in message.errors), None)
        if first:
            self.query_one(f"#field-{first}").focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
