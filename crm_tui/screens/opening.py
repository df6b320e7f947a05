"""The first frame: the console's title and one line while the database opens behind it."""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static


class OpeningScreen(Screen):
    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.message, markup=False, classes="muted")
