"""The one CSV writer: what a spreadsheet would run gets a leading ', numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from crm_tui.services.safe_csv import csv_writer, neutralised


@pytest.mark.parametrize("cell, written", [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-", "'-"),
    ("-12.50", "-12.50"),
    ("-3", "-3"),
    ("+34611223344", "+34611223344"),
    ("-.5", "-.5"),
    ("1e5", "1e5"),
    ("Crash [/oops]", "Crash [/oops]"),
    (" =1", " =1"),
    ("", ""),
    (-1250, -1250),
    (Decimal("-1.5"), Decimal("-1.5")),
    (None, None),
])
def test_cells_a_spreadsheet_would_run_get_a_quote(cell, written):
    assert neutralised(cell) == written


def test_the_writer_neutralises_every_cell_and_writes_csv():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["name", "amount"])
    writer.writerows([['=HYPERLINK("http://x")', "-12.50"], ["a,b", -3]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "amount"], ['\'=HYPERLINK("http://x")', "-12.50"], ["a,b", "-3"]]
