"""A terminal chart with its own plotext figure, drawn in the console's theme and the agent's
number format: bars or lines, "no data" instead of an empty axis."""

from textual.color import Color
from textual_plotext import PlotextPlot

# Series told apart by their marks as well as their colours (a monochrome terminal), named in the
# line under the chart rather than in a legend box drawn over the data.
MARKERS = ("braille", "•")
LEGEND = ("⠒⠒", "••")


def nice_step(raw: float) -> float:
    magnitude = 10 ** max(0, len(str(int(raw))) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


class Chart(PlotextPlot):
    def __init__(self, tr, *, id: str | None = None):
        super().__init__(id=id)
        self.tr = tr

    def bars(self, title: str, labels: list, series: list[list[float]], horizontal: bool = False,
             unit: str = "") -> None:
        """`unit`: what the values are counted in, shown with the title ("€", "orders")."""
        plt = self._blank(f"{title} ({unit})" if unit else title)
        if horizontal:  # plotext stacks bars from the bottom: the first (the biggest) goes on top
            labels, series = labels[::-1], [values[::-1] for values in series]
        if labels and any(any(s) for s in series):
            plt.bar(labels, series[0], orientation="horizontal" if horizontal else "vertical", width=0.6,
                    color=self._colours()[0])
            if not horizontal:  # every label, where plotext would pick some by the chart's width
                plt.xticks(list(range(1, len(labels) + 1)), [str(label) for label in labels])
            top = max(max(s) for s in series)
            (plt.xlim if horizontal else plt.ylim)(0, top * 1.05)
            self._ticks(top, "x" if horizontal else "y")
        else:
            self._no_data()
        self.refresh()

    def lines(self, title: str, labels: list[str], series: list[list[float]], names: list[str] | None = None,
              percent: bool = False, scale: tuple[int, int] | None = None, unit: str = "") -> None:
        """`scale`: a fixed range of whole numbers for the y axis (a 1-5 score), every one a tick.
        A single point is no line: it is drawn as a bar."""
        if len(labels) == 1 and len(series) == 1:
            self.bars(title, labels, series, unit="%" if percent and not unit else unit)
            return
        plt = self._blank(f"{title} ({unit})" if unit else title)
        if names:
            plt.xlabel("  ".join(f"{LEGEND[n]} {name}" for n, name in enumerate(names)))
        if labels and any(any(values) for values in series):
            for n, values in enumerate(series):
                plt.plot(list(range(len(values))), values, marker=MARKERS[n], color=self._colours()[n])
            step = max(1, len(labels) // 4)
            plt.xticks(list(range(0, len(labels), step)), labels[::step])
            if percent:
                plt.ylim(0, 100)
            elif scale:
                plt.ylim(*scale)
                plt.yticks(list(range(scale[0], scale[1] + 1)), [str(n) for n in range(scale[0], scale[1] + 1)])
            else:
                self._ticks(max(max(values) for values in series), "y")
        else:
            self._no_data()
        self.refresh()

    def _blank(self, title: str):
        self.plt.clear_data()
        self.plt.clear_figure()
        self.plt.title(title)
        return self.plt

    def _colours(self) -> list[tuple[int, int, int]]:
        """The theme's own colours for the series, fixed: plotext would otherwise cycle its
        palette from one drawing to the next."""
        theme = self.app.current_theme
        return [Color.parse(theme.primary).rgb, Color.parse(theme.warning or theme.accent or theme.primary).rgb]

    def _no_data(self) -> None:
        self.plt.xticks([])
        self.plt.yticks([])
        self.plt.text(self.tr("no data"), 0, 0, alignment="center")

    def _ticks(self, top: float, axis: str) -> None:
        """Round ticks in the agent's number format: 120k rather than 123456.7."""
        if top <= 0:
            return
        step = nice_step(top / 4)
        ticks = [step * n for n in range(int(top // step) + 1)]
        labels = [f"{self.tr.number(round(t / 1000))}k" if step >= 1000 else self.tr.number(round(t)) for t in ticks]
        (self.plt.yticks if axis == "y" else self.plt.xticks)(ticks, labels)
