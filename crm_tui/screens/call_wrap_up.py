"""The end of a call: a note; for a reached customer their satisfaction and any complaint or
suggestion; for "call back later" the time, typed in the customer's own time."""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, Label, Select, Static

from crm_tui.screens.base import ConsoleModal
from crm_tui.services.callback_claims import CallbackError, call_back_time
from crm_tui.widgets.literal import filled

FEEDBACK_KINDS = ("complaint", "suggestion")


def lost_reason_label(reason: str, tr) -> str:
    return {"price": tr("price"), "delivery": tr("delivery"), "quality": tr("quality"), "service": tr("service"),
            "competitor": tr("competitor"), "no_longer_needed": tr("no longer needed"),
            "other": tr("other")}.get(reason, reason)


class WrapUpScreen(ConsoleModal[dict | None]):
    """Dismissed with finish_callback's keyword arguments, or None (Esc: back to the call)."""

    CSS_PATH = "call.tcss"
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Back to the call")]

    def __init__(self, context, zone: str, outcome: str):
        super().__init__(context)
        self.zone, self.outcome, self.clock = zone, outcome, context.now

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        with Vertical(id="wrap-up"):
            if self.outcome == "declined":
                yield Static(tr("[b]Declined[/b] — why? (the lost-customer report counts the reasons)"))
                with Vertical(classes="field"):
                    yield Label(tr("Why declined or lost"))
                    yield Select([(lost_reason_label(r, tr), r) for r in self.context.service.lost_reasons],
                                 prompt=tr("choose…"), id="lost-reason")
                    yield Static("", id="error-lost-reason", classes="error")
            elif self.outcome == "call_later":
                yield Static(tr("[b]Call back later[/b] — when would the customer like the call?"))
                yield from self._field("call-back-at", filled(tr("Time in the customer's zone ({zone})"),
                                                              zone=self.zone),
                                       tr("18:30 · tomorrow 10:00 · +30m · YYYY-MM-DD 10:00"))
                yield Checkbox(tr("Keep it for me: others get it {minutes} min after the time").format(
                    minutes=self.context.queue.personal_grace_minutes), value=True, id="keep")
            else:
                yield Static(tr("[b]Call reached[/b] — the customer's view, if they gave it (all optional)"))
                yield from self._field("satisfaction", tr("Satisfaction, 1 (bad) to 5 (very good)"), "1–5")
                with Vertical(classes="field"):
                    yield Label(tr("Complaint or suggestion"))
                    yield Select([(tr("complaint"), "complaint"), (tr("suggestion"), "suggestion")],
                                 prompt=tr("neither"), id="feedback-kind")
                yield from self._field("feedback", tr("What they said"), "")
            yield from self._field("note", tr("Note for the timeline"), "")
            yield Static(tr("Enter or ctrl+s saves · Esc goes back to the call"), classes="hint")

    def _field(self, name: str, label: str | Content, placeholder: str) -> ComposeResult:
        with Vertical(classes="field"):
            yield Label(label)
            yield Input(placeholder=placeholder, id=name)
            yield Static("", id=f"error-{name}", classes="error")

    def on_mount(self) -> None:
        self.query("Input, Select").first().focus()

    @on(Input.Submitted)
    def action_save(self) -> None:
        tr = self.context.tr
        errors: dict[str, str] = {}
        values = {"note": self.query_one("#note", Input).value}
        if self.outcome == "declined":
            chosen = self.query_one("#lost-reason", Select)
            if chosen.is_blank():
                errors["lost-reason"] = tr("Choose why the customer declined or was lost.")
            else:
                values["lost_reason"] = chosen.value
        elif self.outcome == "call_later":
            try:
                values["call_back_at"] = call_back_time(self.query_one("#call-back-at", Input).value, self.clock(),
                                                        self.zone)
                values["keep"] = self.query_one("#keep", Checkbox).value
            except CallbackError:
                errors["call-back-at"] = tr("Type a time to come: 18:30, tomorrow 10:00, +30m or YYYY-MM-DD 10:00.")
        else:
            satisfaction = self.query_one("#satisfaction", Input).value.strip()
            if satisfaction:
                if satisfaction in ("1", "2", "3", "4", "5"):
                    values["satisfaction"] = int(satisfaction)
                else:
                    errors["satisfaction"] = tr("A whole number from 1 to 5, or nothing.")
            kind = self.query_one("#feedback-kind", Select).value
            feedback = self.query_one("#feedback", Input).value.strip()
            if feedback and kind not in FEEDBACK_KINDS:
                errors["feedback"] = tr("Choose whether it is a complaint or a suggestion.")
            elif kind in FEEDBACK_KINDS and not feedback:
                errors["feedback"] = tr("Write down what they said.")
            elif feedback:
                values |= {"feedback_kind": kind, "feedback": feedback}
        for error in self.query(".error"):
            problem = errors.get(error.id.removeprefix("error-"), "")
            error.update(problem)
            error.set_class(bool(problem), "-shown")
        if errors:
            self.query_one(f"#{next(iter(errors))}").focus()
        else:
            self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
