"""Leaving a form with edits not saved: save, discard, or stay."""

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from crm_tui.screens.base import ConsoleModal


class UnsavedChangesScreen(ConsoleModal[str]):
    """Dismissed with "save", "discard" or "stay"."""

    DEFAULT_CSS = """
    UnsavedChangesScreen {
        align: center middle;
        #unsaved { width: 60; height: auto; padding: 1 2; border: thick $warning; background: $surface; }
    }
    """
    BINDINGS = [
        Binding("s", "choose('save')", "Save"),
        Binding("d", "choose('discard')", "Discard"),
        Binding("escape", "choose('stay')", "Stay"),
    ]

    def compose(self) -> ComposeResult:
        tr = self.context.tr
        with Vertical(id="unsaved"):
            yield Static(tr("This card has changes that are not saved."))
            yield Static(tr("s saves them · d discards them and leaves · Esc stays on the card"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
