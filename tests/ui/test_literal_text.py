"""The one helper for data on screen: any string at all comes out as its characters, with control
characters written out, through Rich (the CLI) and through Textual's content (the console)."""

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from crm_tui.widgets.literal import cell, filled, literal, visible

FRAGMENTS = ["[/x]", "[/]", "[bold]", "[/bold]", "[b red]", "[link=https://x]", "[/link]", "[@click=app.quit]",
             "[$accent]", "[ b]", "\\", "\\[", ":smile:", "{", "}", "$name", "\x1b[2J", "\x1b[31m", "\x1b]0;title\x07",
             "\x1b]8;;https://evil\x1b\\", "\x9b2J", "\x00", "\x07", "\x08", "\r", "\n", "\t", "\x7f", "\u202e",
             "\u202a", "\u2066", "\u2069", "é", "漢字", "👍🏽", "a\u0301"]
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25).map("".join)
long = st.builds(lambda part, times: part * times, hostile.filter(bool), st.integers(50, 400))
anything = st.one_of(hostile, st.text(), long)


def is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


ESCAPE = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})")


@settings(max_examples=200, deadline=None)
@given(anything)
def test_visible_writes_out_every_control_character_and_keeps_the_rest(value):
    shown = visible(value)
    assert not any(is_control(c) for c in shown)
    if "\\" not in value:  # then the escapes read back to the value
        assert ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), shown) == value
    rest = iter(shown)
    assert all(c in rest for c in value if not is_control(c))  # every other character, in order


@settings(max_examples=200, deadline=None)
@given(anything)
def test_rich_prints_the_text_literally_and_nothing_that_controls_the_terminal(value):
    console = Console(file=io.StringIO(), record=True, force_terminal=False, width=80, color_system=None)
    console.print(literal(value, "bold"), soft_wrap=True)
    table = Table("name", "note")
    table.add_row(literal(value), cell(value))
    console.print(table)
    written = console.file.getvalue()
    assert not any(is_control(c) and c != "\n" for c in written)
    assert written.startswith(visible(value) + "\n")
    assert console.export_text().startswith(visible(value) + "\n")


@settings(max_examples=200, deadline=None)
@given(anything, anything)
def test_filled_puts_data_into_console_markup_literally(first, second):
    content = filled("[b]{first}[/b] · {second} [b $warning]!{{x}}[/]", first=first, second=second)
    assert content.plain == f"{visible(first)} · {visible(second)} !{{x}}"
    bold = [span for span in content.spans if span.style == "b"]
    assert [(s.start, s.end) for s in bold] == ([(0, len(visible(first)))] if first else [])
    assert not any(is_control(c) for c in content.plain)
    assert cell(first).plain == literal(first).plain == visible(first)
