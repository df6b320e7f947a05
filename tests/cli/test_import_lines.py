"""Transaction-line exports, each dirty case of real shop data."""

import csv

import pytest

from tests.conftest import act_as
from tests.import_helpers import (
    SAMPLES,
    accounted,
    query,
    run_import,
    scalar,
    table_counts,
    write,
)

RETAIL = str(SAMPLES / "lines" / "online_retail_sample.csv")



def test_every_row_of_a_retail_export_is_accounted_for(db, tmp_path):
    code, s, _ = run_import(db, RETAIL, "--reject-file", str(tmp_path / "rej.csv"))
    assert code == 0
    assert s["rows_read"] == 15 and accounted(s) == 15
    assert (s["imported"], s["duplicates"], s["rejected"], s["unchanged"], s["updated"]) == (12, 1, 2, 0, 0)
    assert s["orders_created"] == 8 and s["order_lines_created"] == 12
    assert s["customers_created"] == 3 and s["products_created"] == 8
    assert set(s) >= {"rows_read", "imported", "updated", "unchanged", "duplicates", "rejected",
                      "customers_created", "customers_updated", "products_created", "orders_created",
                      "order_lines_created", "reject_file", "seconds"}


def test_cancellations_are_kept_negative_and_linked_to_the_customer(db):
    run_import(db, RETAIL)
    rows = query(db, "SELECT o.status, c.customer_number, l.quantity, l.line_total_cents FROM shop_order o "
                     "JOIN order_line l ON l.order_id=o.id LEFT JOIN customer c ON c.id=o.customer_id "
                     "WHERE o.number='C536379'")
    assert rows == [("cancelled", "17850", -2, -678)]
    # Net sales: the sum of quantity x price over all accepted lines, cancellations negative.
    assert scalar(db, "SELECT sum(line_total_cents) FROM order_line") == (
        1530 + 2034 + 1110 + 1800 + 510 + 765 + 85 + 3060 + 1500 + 1667 - 678 - 2750)
    assert scalar(db, "SELECT sum(total_cents) FROM shop_order") == scalar(db, "SELECT sum(line_total_cents) FROM order_line")


def test_rows_without_a_customer_are_guest_purchases(db):
    run_import(db, RETAIL)
    assert query(db, "SELECT customer_id, subtotal_cents FROM shop_order WHERE number='536367'") == [(None, 1275)]


def test_customer_17850_0_is_customer_17850(db):
    run_import(db, RETAIL)
    assert query(db, "SELECT customer_number FROM customer ORDER BY customer_number") == [
        ("12583",), ("14527",), ("17850",)]
    assert scalar(db, "SELECT count(*) FROM shop_order o JOIN customer c ON c.id=o.customer_id "
                      "WHERE c.customer_number='17850'") == 3


def test_non_product_codes_are_imported_with_their_kind(db):
    run_import(db, RETAIL)
    kinds = dict(query(db, "SELECT sku, kind FROM product"))
    assert kinds == {"85123A": "product", "71053": "product", "22633": "product", "POST": "postage",
                     "M": "adjustment", "BANK CHARGES": "fee", "gift_0001_20": "voucher", "D": "discount"}


def test_a_code_with_several_descriptions_takes_the_most_frequent(db):
    run_import(db, RETAIL)
    # WHITE... once, CREAM... three times: the most frequent wins.
    assert scalar(db, "SELECT name FROM product WHERE sku='85123A'") == "CREAM HANGING HEART T-LIGHT HOLDER"


def test_a_customer_seen_under_two_countries_keeps_the_first(db):
    code, s, _ = run_import(db, RETAIL)
    assert scalar(db, "SELECT country FROM customer WHERE customer_number='12583'") == "FR"
    assert any("several countries" in w for w in s["warnings"])


def test_the_reject_file_names_file_line_column_value_and_reason(db, tmp_path):
    reject = tmp_path / "rejects.csv"
    code, s, _ = run_import(db, RETAIL, "--reject-file", str(reject))
    assert s["reject_file"] == str(reject)
    rows = list(csv.DictReader(reject.open(encoding="utf-8")))
    assert [(r["file"], r["line"], r["column"], r["value"]) for r in rows] == [
        ("online_retail_sample.csv", "15", "Quantity", "abc"),
        ("online_retail_sample.csv", "16", "Quantity", "-4")]
    assert "not a whole quantity" in rows[0]["reason"]
    assert "not a cancellation" in rows[1]["reason"]
    # Into a shop that has the file's invoices and customers (looked up a chunk ahead on
    # PostgreSQL), the same rows at the same lines.
    again = tmp_path / "again.csv"
    run_import(db, RETAIL, "--reject-file", str(again))
    assert list(csv.DictReader(again.open(encoding="utf-8"))) == rows


def test_importing_the_same_file_again_writes_nothing(db):
    run_import(db, RETAIL)
    before = table_counts(db)
    code, s, _ = run_import(db, RETAIL)
    assert code == 0 and table_counts(db) == before
    assert s["unchanged"] == 13 and s["rejected"] == 2 and s["imported"] == 0 and accounted(s) == 15
    assert s["orders_created"] == s["customers_created"] == s["products_created"] == 0


def test_an_overlapping_newer_export_adds_only_what_is_new(db, tmp_path):
    lines = (SAMPLES / "lines" / "online_retail_sample.csv").read_text().splitlines()
    first = write(tmp_path / "first.csv", "\n".join(lines[:8]) + "\n")
    # An export holds whole invoices: the newer one starts at 536367, the last invoice of the first.
    newer = write(tmp_path / "newer.csv", "\n".join([lines[0], *lines[6:13]]) + "\n")
    run_import(db, str(first))
    code, s, _ = run_import(db, str(newer))
    assert (s["unchanged"], s["imported"], s["orders_created"], s["updated"]) == (2, 5, 4, 0)
    assert scalar(db, "SELECT count(*) FROM order_line") == 6 + 5
    assert scalar(db, "SELECT count(*) FROM shop_order WHERE number='536367'") == 1


def test_strict_aborts_on_any_reject_and_writes_nothing(db):
    before = table_counts(db)
    code, s, output = run_import(db, RETAIL, "--strict")
    assert code == 1 and s["rejected"] == 2
    assert table_counts(db) == before


def test_dry_run_counts_everything_and_writes_nothing(db):
    before = table_counts(db)
    code, s, _ = run_import(db, RETAIL, "--dry-run")
    assert code == 0 and s["imported"] == 12 and s["orders_created"] == 8
    assert table_counts(db) == before


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1252", False),
                                          ("latin-1", False)])
def test_encodings_are_detected(db, tmp_path, encoding, bom):
    text = ("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            "900001,ES-1,Muñeca de trapo «clásica»,1,2025-01-13 10:00,9.95,555,España\n")
    data = text.encode(encoding)
    path = tmp_path / "enc.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    code, s, _ = run_import(db, str(path))
    assert code == 0 and s["imported"] == 1, s
    assert scalar(db, "SELECT name FROM product WHERE sku='ES-1'") == "Muñeca de trapo «clásica»"
    assert scalar(db, "SELECT country FROM customer WHERE customer_number='555'") == "ES"


def test_semicolons_decimal_commas_day_first_dates_and_spanish_headers(db):
    code, s, output = run_import(db, str(SAMPLES / "lines" / "ventas_es_cp1252.csv"))
    assert code == 0 and s["imported"] == 4 and s["rejected"] == 0
    assert any("decimal comma" in w for w in s["warnings"])
    assert query(db, "SELECT sku, name, unit_price_cents FROM product ORDER BY sku") == [
        ("A100", "Taza esmaltada, roja", 450), ("A200", "Farolillo de zinc", 1295)]
    # 13/01/2025 10:15 in Madrid (UTC+1) is 09:15 UTC.
    assert scalar(db, "SELECT placed_at FROM shop_order WHERE number='1001'").startswith("2025-01-13 09:15")
    assert scalar(db, "SELECT status FROM shop_order WHERE number='C1001'") == "cancelled"


def test_tab_separated_with_other_header_spellings(db, tmp_path):
    path = write(tmp_path / "tab.tsv", "Invoice\tStockCode\tDescription\tQuantity\tInvoiceDate\tPrice\tCustomer ID\tCountry\n"
                                         "489434\t85048\tCREAM CUPID HEARTS COAT HANGER\t12\t2009-12-01 07:45:00\t6.95\t13085.0\tUnited Kingdom\n")
    code, s, _ = run_import(db, str(path))
    assert code == 0 and s["imported"] == 1
    assert query(db, "SELECT customer_number, country FROM customer") == [("13085", "GB")]


def test_map_overrides_unknown_headers(db, tmp_path):
    path = write(tmp_path / "till.csv", "ticket,article,qty,when,each,client,extra\n"
                                        "T1,SKU9,2,2025-03-01 12:00,1.50,77,x\n")
    code, s, out = run_import(db, str(path), "--format", "lines", "--map", "ticket=order_number",
                              "--map", "article=sku", "--map", "qty=quantity", "--map", "when=placed_at",
                              "--map", "each=unit_price", "--map", "client=customer_id")
    assert code == 0 and s["imported"] == 1, out
    assert any("extra" in w for w in s["warnings"])
    assert scalar(db, "SELECT line_total_cents FROM order_line") == 300


def test_decimal_comma_in_a_comma_file_is_rejected_with_a_hint(db, tmp_path):
    path = write(tmp_path / "x.csv", 'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice\n1,A,1,2025-01-01,"2,55"\n'
                                     "2,A,1,2025-01-01,2.55\n3,A,1,2025-01-01,2.56\n")
    code, s, _ = run_import(db, str(path), "--decimal-point")
    assert s["rejected"] == 1 and s["imported"] == 2


def test_unknown_format_and_unreadable_files_exit_1_saying_what_was_expected(db, tmp_path):
    weird = write(tmp_path / "weird.csv", "colour,size\nred,XL\n")
    code, _, output = run_import(db, str(weird))
    assert code == 1 and "unknown format" in output and "transaction-line export" in output
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\x00\x00\x01")
    code, _, output = run_import(db, str(binary))
    assert code == 1 and "binary" in output
    code, _, output = run_import(db, str(tmp_path / "missing.csv"))
    assert code == 1 and "no such file" in output
    assert table_counts(db)["order_line"] == 0


def test_usage_errors_exit_2(db):
    assert run_import(db, RETAIL, "--format", "xml")[0] == 2
    assert run_import(db, RETAIL, "--map", "nonsense")[0] == 2
    assert run_import(db)[0] == 2


def test_agents_may_not_import(db, monkeypatch):
    from crm_tui.cli import app
    from tests.import_helpers import runner

    runner.invoke(app, ["staff", "add", "ana", "--role", "agent", "--discount-cap", "0", "--db", db])
    act_as(monkeypatch, "ana")
    code, _, output = run_import(db, RETAIL)
    assert code == 1 and "agent" in output
