"""Data shown literally: whatever a customer, an import or a colleague typed reaches the screen
as the characters it is, never as Rich or Textual markup and never as terminal control.

`visible` turns control characters (C0, DEL, C1 — so ESC and every ANSI CSI/OSC sequence — and
the bidi overrides and isolates) into visible escapes such as ``\\x1b`` and ``\\u202e``;
`literal` and `cell` make a Rich Text of it (never markup-parsed), for the CLI's tables and lines
and for DataTable cells; `filled` puts data into the console's own markup template, for Statics
and Labels."""

from string import Formatter

from rich.text import Text
from textual.content import Content, Span

_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_VISIBLE = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    code: f"\\u{code:04x}" for code in _BIDI}

# Where a template's {field} stands while the template's markup is parsed: a character from
# Supplementary Private Use Area-B, which no template of ours holds.
_FIELD = 0xF0000


def visible(value: object) -> str:
    """The value as text with every control character written out (None is "")."""
    return "" if value is None else str(value).translate(_VISIBLE)


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows the value literally: its brackets are brackets, its ESC is `\\x1b`."""
    return Text(visible(value), style=style)


def cell(value: object) -> Text:
    """A DataTable cell that shows the value literally; cut to its column, it ends with "…" (the
    full text is in the screen's detail line or one key away)."""
    return Text(visible(value), no_wrap=True, end="", overflow="ellipsis")


def filled(template: str, **values: object) -> Content:
    """The console markup `template` (ours: a tr() string or a literal in the code) with its
    `{field}`s filled in with data shown literally, styled by the tags around each field."""
    markup: list[str] = []
    data: list[str] = []
    for text, field, spec, conversion in Formatter().parse(template):
        markup.append(text)
        if field is not None:
            value = values[field]
            if conversion == "r":
                value = repr(value)
            data.append(visible(format(value, spec) if spec else value))
            markup.append(chr(_FIELD + len(data) - 1))
    content = Content.from_markup("".join(markup))
    if not data:
        return content
    # Each field's character becomes its value; a span that held the character holds the value.
    text: list[str] = []
    shift = [0] * (len(content.plain) + 1)  # how much longer the text before each position got
    for position, character in enumerate(content.plain):
        index = ord(character) - _FIELD
        shift[position + 1] = shift[position]
        if 0 <= index < len(data):
            text.append(data[index])
            shift[position + 1] += len(data[index]) - 1
        else:
            text.append(character)
    spans = [Span(span.start + shift[span.start], span.end + shift[span.end], span.style) for span in content.spans]
    return Content("".join(text), [span for span in spans if span.end > span.start])
