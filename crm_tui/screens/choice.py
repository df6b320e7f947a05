"""A question with a few keys to answer it (save / discard / stay; call anyway / not now)."""

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from crm_tui.screens.base import ConsoleModal
from crm_tui.widgets.literal import literal


class ChoiceScreen(ConsoleModal[str]):
    """Dismissed with the chosen answer; Esc answers `escape_answer`."""

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
        #choice { width: 64; height: auto; padding: 1 2; border: thick $warning; background: $surface; }
    }
    """

    def __init__(self, context, lines: list[str], keys: dict[str, str], escape_answer: str):
        """`lines`: what to say (already in the agent's language); `keys`: key -> answer."""
        super().__init__(context)
        self.lines = lines
        for key, answer in keys.items():
            self._bindings.bind(key, f"choose('{answer}')", show=False)
        self._bindings.bind("escape", f"choose('{escape_answer}')", show=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="choice"):
            for line in self.lines:
                yield Static(literal(line))

    def action_choose(self, answer: str) -> None:
        self.dismiss(answer)
