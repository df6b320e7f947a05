"""The first frame: the console's title and one line while the database opens behind it. Keys
typed meanwhile (an agent starts typing the caller's name at once) are kept and replayed on
the home screen."""

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static


class OpeningScreen(Screen):
    def __init__(self, message: str):
        super().__init__()
        self.message = message
        self.typed: list[tuple[str, str | None]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.message, markup=False, classes="muted")

    def on_key(self, event: events.Key) -> None:
        self.typed.append((event.key, event.character))
        event.stop()
        event.prevent_default()
