"""The customer's registration fields as staff edit them: on the card and when registering a
caller. One place for the fields, their labels, the hints for wrong values and the consents."""

from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static

from crm_tui.widgets.literal import literal

TEXT_FIELDS = ("first_name", "last_name", "email", "phone", "street", "postcode", "city", "country",
               "preferred_language")
CONSENTS = ("consent_email", "consent_phone", "consent_chat")


def field_labels(tr) -> dict[str, str]:
    return {"first_name": tr("First name"), "last_name": tr("Last name"), "email": tr("E-mail"),
            "phone": tr("Phone"), "street": tr("Street"), "postcode": tr("Postcode"), "city": tr("City"),
            "country": tr("Country (ISO)"), "preferred_language": tr("Language (es/en)"),
            "consent_email": tr("E-mail marketing"), "consent_phone": tr("Phone marketing"),
            "consent_chat": tr("Chat marketing"), "discount_percent": tr("Discount %"), "reason": tr("Reason")}


def field_hints(tr) -> dict[str, str]:
    """What to type instead, in the agent's language (the services' messages are English)."""
    return {"first_name": tr("Required."), "last_name": tr("Required."),
            "email": tr("Not a valid e-mail address, e.g. ana@example.com."),
            "phone": tr("Not a valid phone number for the customer's country."),
            "country": tr("A two-letter ISO code, e.g. ES or GB."), "preferred_language": tr("es or en."),
            "discount_percent": tr("A whole percent from 0 to 100.")}


def field_problems(problems: dict[str, tuple[str, str]], tr) -> dict[str, str]:
    """The shop's refusals, {field: (code, English message)}, as sentences for the agent."""
    hints = field_hints(tr)
    taken = {"email": tr("This e-mail is already registered: search for that customer instead.")}
    return {name: taken.get(name, message) if code == "taken" else hints.get(name, message)
            for name, (code, message) in problems.items()}


class CustomerFields(Vertical):
    """Inputs `#field-NAME` with their errors `#error-NAME`, and the consent checkboxes."""

    DEFAULT_CSS = """
    CustomerFields {
        height: auto;
        .field { height: auto; }
        .field Label { color: $text-muted; }
        .field Input { border: none; height: 1; padding: 0 1; background: $boost; }
        .field Input:focus { background: $primary 30%; }
        .error { color: $error; height: auto; display: none; }
        .error.-shown { display: block; }
        #consents { height: auto; margin-top: 1; }
        #consents Checkbox { border: none; padding: 0 2 0 0; height: 1; background: transparent; }
    }
    """

    def __init__(self, tr, values: dict[str, str] | None = None, grid_id: str = "fields"):
        super().__init__()
        self.tr, self.initial, self.grid_id = tr, values or {}, grid_id

    def compose(self) -> ComposeResult:
        labels = field_labels(self.tr)
        with Grid(id=self.grid_id):
            for name in TEXT_FIELDS:
                with Vertical(classes="field"):
                    yield Label(labels[name])
                    yield Input(self.initial.get(name, ""), id=f"field-{name}")
                    yield Static("", id=f"error-{name}", classes="error")
        with Horizontal(id="consents"):
            for name in CONSENTS:
                yield Checkbox(labels[name], id=f"field-{name}")

    def values(self) -> dict[str, object]:
        form: dict[str, object] = {name: self.query_one(f"#field-{name}", Input).value for name in TEXT_FIELDS}
        return form | {name: self.query_one(f"#field-{name}", Checkbox).value for name in CONSENTS}

    def fill(self, values: dict[str, object]) -> None:
        for name, value in values.items():
            widget = self.query_one(f"#field-{name}")
            widget.value = value  # an Input or a Checkbox

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in TEXT_FIELDS:
            error = self.query_one(f"#error-{name}", Static)
            error.update(literal(errors.get(name, "")))
            error.set_class(name in errors, "-shown")
        first = next((name for name in TEXT_FIELDS if name in errors), None)
        if first:
            self.query_one(f"#field-{first}").focus()
