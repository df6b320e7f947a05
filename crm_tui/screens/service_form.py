"""A small form over a screen: a few inputs and choices, checked by the caller's `check`
(which returns field -> problem, or nothing), dismissed with the values or None (Esc)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from crm_tui.screens.base import ConsoleModal
from crm_tui.widgets.literal import literal


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, value); empty: a text input
    value: str = ""
    placeholder: str = ""


class FormScreen(ConsoleModal[dict | None]):
    """`submit(values)`, when given, does the work while the form is still open (in a worker):
    it returns None when done (the form closes with the values) or the sentence that refused
    it, shown in the form with everything as typed."""

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
        #form { width: 76; max-width: 100%; height: auto; max-height: 100%; padding: 0 2;
                border: thick $accent; background: $surface; }
        .field { height: auto; }
        .error { color: $error; display: none; }
        .error.-shown { display: block; }
        .hint { color: $text-muted; }
    }
    """
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")]

    def __init__(self, context, title: str, fields: list[FormField],
                 check: Callable[[dict], dict[str, str]] | None = None,
                 submit: Callable[[dict], str | None] | None = None):
        super().__init__(context)
        self.title_text, self.fields, self.check, self.submit = title, fields, check, submit

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        with VerticalScroll(id="form"):
            yield Static(literal(self.title_text, "b"))
            for spec in self.fields:
                with Vertical(classes="field"):
                    yield Label(literal(spec.label))
                    if spec.choices:
                        chosen = {"value": spec.value} if spec.value else {}
                        yield Select([(literal(label), value) for label, value in spec.choices], id=spec.name,
                                     prompt=tr("choose…"), **chosen)
                    else:
                        yield Input(value=spec.value, placeholder=spec.placeholder, id=spec.name)
                    yield Static("", id=f"error-{spec.name}", classes="error")
            yield Static("", id="form-refused", classes="error")
            yield Static(tr("Enter or ctrl+s saves · Esc cancels"), classes="hint")

    def on_mount(self) -> None:
        first = self.query("Input, Select").first()
        first.focus()

    def values(self) -> dict:
        values: dict = {}
        for spec in self.fields:
            widget = self.query_one(f"#{spec.name}")
            if isinstance(widget, Select):
                values[spec.name] = None if widget.is_blank() else widget.value
            else:
                values[spec.name] = widget.value.strip()  # type: ignore[attr-defined]
        return values

    @on(Input.Submitted)
    def action_save(self) -> None:
        values = self.values()
        problems = self.check(values) if self.check else {}
        for error in self.query(".error"):
            problem = problems.get((error.id or "").removeprefix("error-"), "")
            error.update(literal(problem))
            error.set_class(bool(problem), "-shown")
        if problems:
            self.query_one(f"#{next(iter(problems))}").focus()
        elif self.submit is None:
            self.dismiss(values)
        else:
            self.submitting(values)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form-submit")
    def submitting(self, values: dict) -> None:
        assert self.submit is not None
        refused = self.submit(values)
        if refused is None:
            self.app.call_from_thread(self.dismiss, values)
        else:
            self.app.call_from_thread(self.refused, refused)

    def refused(self, sentence: str) -> None:
        shown = self.query_one("#form-refused", Static)
        shown.update(literal(sentence))
        shown.set_class(True, "-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
