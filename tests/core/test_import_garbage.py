"""Garbage never crashes the importer, and every row read is accounted for."""

import csv
import functools
import io
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_tui.db import open_database
from crm_tui.importing.runner import ImportOptions, run_import

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
# A whole price: garbage full of "2,5" may rightly make the file read as decimal-comma, and a
# valid row must import either way.
VALID = ["700001", "SKU1", "Mug", "2", "2011-01-05 10:00", "3", "12345", "Spain"]

def import_rows(header: list[str], rows: list[list[str]], name: str = "garbage.csv", delimiter: str = ","):
    """Write the rows under the header as a CSV and import it into a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        shutil.copy(empty_database(), Path(tmp) / "shop.db")
        engine = open_database(str(Path(tmp) / "shop.db"))
        try:
            summary = run_import(engine, [path], ImportOptions(reject_file=Path(tmp) / "rejects.csv"), "tester")
        finally:
            engine.dispose()
        reject_rows = None
        if summary.rejected:
            with open(summary.reject_file, encoding="utf-8", newline="") as handle:
                reject_rows = sum(1 for _ in csv.reader(handle)) - 1
        return summary, reject_rows


@functools.cache
def empty_database() -> Path:
    """One migrated database, copied for each example (migrating costs more than importing)."""
    path = Path(tempfile.mkdtemp()) / "template.db"
    engine = open_database(str(path))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "0", "-1", "1e9", "12/31/2011 25:00", "C", "C123", "17850.0", "2,5", "NaN", "€", "\"",
                     "United Kingdom", "Atlantis", "99999999999999", " 3 ", "2011-02-30"]),
    st.integers(-10**6, 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
row = st.one_of(st.lists(cell, min_size=8, max_size=8), st.lists(cell, min_size=0, max_size=11))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=25), valid_copies=st.integers(0, 3), delimiter=st.sampled_from([",", ";", "\t"]))
def test_garbage_rows_never_crash_and_the_accounting_adds_up(rows, valid_copies, delimiter):
    valid = [[f"7000{index}", *VALID[1:]] for index in range(valid_copies)]
    summary, reject_rows = import_rows(HEADER, valid + rows, delimiter=delimiter)
    assert summary.accounted() == summary.rows_read
    assert summary.imported >= valid_copies
    assert reject_rows in (None, summary.rejected)


CUSTOMER_HEADER = ["customer_number", "first_name", "last_name", "email", "phone", "country", "registered_at",
                   "consent_email"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=20))
def test_garbage_in_the_crm_customers_file_never_crashes(rows):
    valid = ["Z1", "Ana", "Ruiz", "ana@example.com", "612345678", "ES", "2024-01-01", "yes"]
    summary, _ = import_rows(CUSTOMER_HEADER, [valid, *rows], name="customers.csv")
    assert summary.accounted() == summary.rows_read
    assert summary.imported >= 1


def test_nul_bytes_below_the_header_reject_only_their_rows():
    valid = ["Z1", "Ana", "Ruiz", "ana@example.com", "612345678", "ES", "2024-01-01", "yes"]
    summary, reject_rows = import_rows(CUSTOMER_HEADER, [valid, ["", "", "", "", "", "", "", "\x00\x00"]],
                                       name="customers.csv")
    assert (summary.imported, summary.rejected, reject_rows) == (1, 1, 1)
