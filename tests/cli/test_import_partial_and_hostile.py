"""Partial crm files change only what they name; hostile retail exports lose rows, never files."""

import pytest
from sqlmodel import Session

from crm_tui.db import open_database
from crm_tui.services import reports
from tests.import_helpers import SAMPLES, accounted, query, run_import, scalar, write

CRM = SAMPLES / "crm"
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
CUSTOMER_COLUMNS = ("first_name, last_name, email, phone, street, postcode, city, country, preferred_language, "
                    "time_zone, consent_email_at, consent_phone_at, discount_percent")
PRODUCT_COLUMNS = "name, description, category, unit_price_cents, stock_quantity, low_stock_threshold, active, kind"


def load_sample_set(db):
    code, _, out = run_import(db, *(str(CRM / name) for name in
                                    ("products.csv", "customers.csv", "orders.csv", "order_lines.csv")))
    assert code == 0, out


def customer(db, number):
    return query(db, f"SELECT {CUSTOMER_COLUMNS} FROM customer WHERE customer_number = ?", number)[0]


def product(db, sku):
    return query(db, f"SELECT {PRODUCT_COLUMNS} FROM product WHERE sku = ?", sku)[0]


def test_a_customers_file_with_one_column_changes_that_field_only_and_audits_it(db, tmp_path):
    load_sample_set(db)
    before = customer(db, "K1001")
    code, s, out = run_import(db, str(write(tmp_path / "customers.csv", "customer_number,city\nK1001,Toledo\n")))
    assert code == 0 and (s["updated"], s["rejected"]) == (1, 0), out
    after = customer(db, "K1001")
    changed = [i for i, (old, new) in enumerate(zip(before, after)) if old != new]
    assert changed == [CUSTOMER_COLUMNS.split(", ").index("city")] and after[6] == "Toledo"
    assert query(db, "SELECT field, old_value, new_value FROM audit_entry WHERE record_table = 'customer'") == [
        ("city", "Madrid", "Toledo")]


def test_empty_cells_leave_fields_unless_empty_clears(db, tmp_path):
    load_sample_set(db)
    before = customer(db, "K1001")
    path = write(tmp_path / "customers.csv", "customer_number,first_name,email,street,city\nK1001,,,,Toledo\n")
    run_import(db, str(path))
    assert customer(db, "K1001")[:5] == before[:5]
    code, s, out = run_import(db, str(path), "--empty-clears")
    assert code == 0 and s["rejected"] == 1, out  # a name cannot be cleared: the row says which field
    path = write(tmp_path / "customers.csv", "customer_number,email,street\nK1001,,\n")
    code, s, out = run_import(db, str(path), "--empty-clears")
    assert code == 0 and s["updated"] == 1, out
    assert customer(db, "K1001")[2] is None and customer(db, "K1001")[4] == ""


def test_a_country_change_moves_the_time_zone_and_keeps_the_language(db, tmp_path):
    load_sample_set(db)
    run_import(db, str(write(tmp_path / "customers.csv", "customer_number,postcode\nK1001,35001\n")))
    assert customer(db, "K1001")[5:10] == ("35001", "Madrid", "ES", "es", "Atlantic/Canary")


def test_a_new_customer_still_needs_a_name_and_the_reject_says_which(db, tmp_path):
    code, s, out = run_import(db, str(write(tmp_path / "customers.csv", "customer_number,city\nK9,Lugo\n")),
                              "--reject-file", str(tmp_path / "rejects.csv"))
    assert code == 0 and (s["imported"], s["rejected"]) == (0, 1), out
    assert "first_name,,a new customer needs a first name" in (tmp_path / "rejects.csv").read_text()


def test_a_products_file_without_stock_keeps_stock_description_and_category(db, tmp_path):
    load_sample_set(db)
    before = product(db, "LAMP-ZN")
    code, s, out = run_import(db, str(write(tmp_path / "products.csv",
                                            'sku,name,unit_price\nLAMP-ZN,"Table lamp, zinc",42.00\n')))
    assert code == 0 and s["updated"] == 1, out
    after = product(db, "LAMP-ZN")
    assert after[3] == 4200 and after[:3] == before[:3] and after[4:] == before[4:]
    code, s, out = run_import(db, str(write(tmp_path / "products.csv", "sku,name,unit_price\nNEW-1,,1.00\n")))
    assert (s["imported"], s["rejected"]) == (0, 1), out


def export(tmp_path, rows: list[str], name="export.csv"):
    return str(write(tmp_path / name, HEADER + "".join(row + "\n" for row in rows)))


def sale(n: int, country="United Kingdom", quantity="2", price="1.50", customer="17850") -> str:
    return f"5{n:05d},SKU{n % 7},Thing {n % 7},{quantity},12/1/2010 8:{n % 60:02d},{price},{customer},{country}"


def test_a_5_mb_field_rejects_its_row_only(db, tmp_path):
    rows = [sale(n) for n in range(6_000)] + [sale(6_000).replace("Thing 1", "x" * 5_000_000)]
    rows += [sale(n) for n in range(6_001, 6_101)]
    reject_file = tmp_path / "rejects.csv"
    code, s, out = run_import(db, export(tmp_path, rows), "--reject-file", str(reject_file), "--no-refresh")
    assert code == 0, out
    assert (s["rejected"], s["imported"], accounted(s)) == (1, 6_100, 6_101)
    rejects = reject_file.read_text()
    assert ",6002,Description," in rejects and "5,000,000 characters" in rejects and len(rejects) < 10_000


COUNTRIES = {"Hong Kong": "HK", "EIRE": "IE", "RSA": "ZA", "USA": "US", "UK": "GB", "Channel Islands": "JE",
             "European Community": None, "Unspecified": None, "España": "ES", "Alemania": "DE", "Japón": "JP",
             "Reino Unido": "GB", "United Arab Emirates": "AE", "Czech Republic": "CZ", "fr": "FR", "PT": "PT",
             "Países Bajos": "NL", "Saudi Arabia": "SA"}


def test_country_names_in_english_spanish_iso_and_export_aliases_are_recognised(db, tmp_path):
    rows = [sale(n, country=name, customer=str(20_000 + n)) for n, name in enumerate(COUNTRIES)]
    code, s, out = run_import(db, export(tmp_path, rows), "--no-refresh")
    assert code == 0 and (s["imported"], s["rejected"], s["unknown_country_rows"]) == (len(COUNTRIES), 0, 0), out
    stored = dict(query(db, "SELECT customer_number, country FROM customer"))
    for n, code_ in enumerate(COUNTRIES.values()):
        assert stored[str(20_000 + n)] == (code_ or ""), list(COUNTRIES)[n]


def test_an_unknown_country_keeps_the_sale_with_a_warning(db, tmp_path):
    rows = [sale(1, country="Atlantis"), sale(2, country="Atlantis", customer="")]
    code, s, out = run_import(db, export(tmp_path, rows), "--no-refresh")
    assert code == 0 and (s["imported"], s["rejected"], s["unknown_country_rows"]) == (2, 0, 2), out
    assert any("'Atlantis' (2)" in w and "country unknown" in w for w in s["warnings"])
    assert scalar(db, "SELECT country FROM customer WHERE customer_number = '17850'") == ""


@pytest.mark.parametrize("options", [[], ["--decimal-comma"]])
def test_a_thousands_dot_in_a_decimal_comma_file_is_a_thousands_separator(db, tmp_path, options):
    path = write(tmp_path / "ventas.csv", "Factura;Código;Cantidad;Fecha;Precio\n"
                                          "1001;A100;1.200;13/01/2025 10:15;4,50\n"
                                          "1002;A100;3;14/01/2025 10:15;1.004,50\n")
    code, s, out = run_import(db, str(path), *options, "--no-refresh")
    assert code == 0 and (s["imported"], s["rejected"]) == (2, 0), out
    assert query(db, "SELECT quantity, unit_price_cents FROM order_line ORDER BY quantity DESC") == [(1200, 450), (3, 100450)]


BAD_DEBT = ["A563185,B,Adjust bad debt,1,8/12/2011 14:50,11062.06,,United Kingdom",
            "A563186,B,Adjust bad debt,1,8/12/2011 14:51,-11062.06,,United Kingdom",
            "A563187,B,Adjust bad debt,1,8/12/2011 14:52,-11062.06,,United Kingdom"]


def test_an_adjustment_pair_is_imported_on_both_sides_and_reported_apart(db, tmp_path):
    rows = [sale(n, customer="12346") for n in range(5)] + BAD_DEBT
    code, s, out = run_import(db, export(tmp_path, rows), "--no-refresh")
    assert code == 0 and (s["imported"], s["rejected"]) == (8, 0), out
    assert s["adjustments"] == {"lines": 3, "amount": "-11062.06"}
    assert scalar(db, "SELECT kind FROM product WHERE sku = 'B'") == "adjustment"
    lines = scalar(db, "SELECT sum(line_total_cents) FROM order_line")
    assert lines == 5 * 300 - 1_106_206
    engine = open_database(db)
    with Session(engine) as session:
        months = reports.monthly(session, reports.period_of_data(session))
    engine.dispose()
    assert sum(m.net_cents for m in months) == lines


def test_a_negative_price_on_merchandise_outside_an_adjustment_document_is_rejected(db, tmp_path):
    code, s, out = run_import(db, export(tmp_path, [sale(1, price="-1.50")]), "--no-refresh")
    assert code == 0 and s["rejected"] == 1 and s["imported"] == 0, out
