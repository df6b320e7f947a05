"""The stock light by shape and word too, not only colour: readable on a monochrome terminal
and for colour-blind agents. The same on every product view."""

from rich.text import Text

from crm_tui.services.orders import StockLight

LIGHTS = {StockLight.GREEN: ("●", "ok", "green"), StockLight.YELLOW: ("◐", "low", "yellow"),
          StockLight.RED: ("✕", "out", "red"), StockLight.UNTRACKED: ("?", "not tracked", "cyan")}


def stock_light(light: StockLight, tr) -> Text:
    shape, word, colour = LIGHTS[light]
    return Text(f"{shape} {tr(word)}", style=colour, no_wrap=True)


def stock_with_light(light: StockLight, quantity: int, tr) -> Text:
    """"● 120" style: the light's shape, then the units, coloured; the word when it is low or out."""
    shape, word, colour = LIGHTS[light]
    if light == StockLight.UNTRACKED:
        return Text(f"{shape} {tr(word)}", style=colour, no_wrap=True, overflow="ellipsis")
    shown = tr.number(quantity) if light == StockLight.GREEN else f"{tr.number(quantity)} {tr(word)}"
    return Text(f"{shape} {shown}", style=colour, no_wrap=True, overflow="ellipsis")
