"""Imports that real shops run: corrected invoices re-exported, histories loaded in parts and in
any order, catalogues built from dirty lines."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.import_helpers import accounted, query, run_import, scalar, write

HEADER = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country")


def export(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def business_content(db: str) -> dict:
    """The shop as its users see it, by natural keys (ids depend on the order rows arrived in)."""
    sku = "(SELECT sku FROM product p WHERE p.id = {})"
    number = "(SELECT customer_number FROM customer c WHERE c.id = {})"
    return {
        "customers": query(db, "SELECT customer_number, country, registered_at, time_zone, preferred_language "
                               "FROM customer ORDER BY 1"),
        "products": query(db, "SELECT sku, name, unit_price_cents, kind, active, stock_tracked FROM product ORDER BY 1"),
        "orders": query(db, f"SELECT number, {number.format('o.customer_id')}, placed_at, status, subtotal_cents, "
                            "total_cents, country FROM shop_order o ORDER BY 1"),
        "lines": query(db, f"SELECT o.number, {sku.format('l.product_id')}, l.quantity, l.unit_price_cents, "
                           "l.line_total_cents, d.text FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                           "LEFT JOIN line_description d ON d.id = l.description_id ORDER BY 1, 2, 3, 4"),
        "sales_day": query(db, "SELECT * FROM sales_day ORDER BY 1, 2, 3"),
        "sales_product_month": query(db, f"SELECT month, {sku.format('product_id')}, country, units, net_cents "
                                         "FROM sales_product_month ORDER BY 1, 2, 3"),
        "sales_customer_month": query(db, f"SELECT month, {number.format('customer_id')}, orders, net_cents "
                                          "FROM sales_customer_month ORDER BY 1, 2"),
        "first_purchase": query(db, f"SELECT {number.format('customer_id')}, month FROM customer_first_purchase "
                                    "ORDER BY 1"),
        "month_customers": query(db, "SELECT * FROM sales_month_customers ORDER BY 1, 2"),
        "customer_totals": query(db, f"SELECT {number.format('customer_id')}, gross_cents FROM sales_customer_total "
                                     "ORDER BY 1"),
    }


def load(db: str, path: Path) -> dict:
    code, summary, output = run_import(db, str(path), "--no-refresh")
    assert code == 0, output
    assert accounted(summary) == summary["rows_read"]
    return summary


# --- corrections --------------------------------------------------------------------------

ORIGINAL = [
    ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6", "2010-12-01 08:26", "2.55", "17850", "United Kingdom"),
    ("536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26", "3.39", "17850", "United Kingdom"),
    ("536365", "22633", "HAND WARMER UNION JACK", "6", "2010-12-01 08:26", "1.85", "17850", "United Kingdom"),
    ("536366", "22633", "HAND WARMER UNION JACK", "2", "2010-12-01 08:28", "1.85", "17850", "United Kingdom"),
    ("536367", "71053", "WHITE METAL LANTERN", "1", "2010-12-05 10:00", "3.39", "12583", "France"),
]


def test_a_corrected_invoice_replaces_the_stored_one(db, tmp_path):
    load(db, write(tmp_path / "november.csv", export(ORIGINAL)))
    december = "SELECT sum(gross_cents) FROM sales_day WHERE day LIKE '2010-12-%'"
    gross_before = scalar(db, december)
    corrected = [
        ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "8", "2010-12-01 08:26", "2.55", "17850",
         "United Kingdom"),  # 6 -> 8
        # 71053 removed
        ("536365", "22633", "HAND WARMER UNION JACK", "6", "2010-12-01 08:26", "1.85", "17850", "United Kingdom"),
        ("536365", "21730", "GLASS STAR FROSTED T-LIGHT HOLDER", "4", "2010-12-01 08:26", "4.25", "17850",
         "United Kingdom"),  # added
        *ORIGINAL[3:],
    ]
    summary = load(db, write(tmp_path / "november-corrected.csv", export(corrected)))
    assert (summary["updated"], summary["unchanged"], summary["imported"]) == (3, 2, 0)
    assert query(db, "SELECT p.sku, l.quantity FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                     "JOIN product p ON p.id = l.product_id WHERE o.number = '536365' ORDER BY 1") == [
        ("21730", 4), ("22633", 6), ("85123A", 8)]
    difference = 2 * 255 - 6 * 339 + 4 * 425
    assert scalar(db, december) == gross_before + difference
    assert scalar(db, "SELECT total_cents FROM shop_order WHERE number = '536365'") == 8 * 255 + 6 * 185 + 4 * 425
    audit = query(db, "SELECT staff_login, field, old_value, new_value FROM audit_entry "
                      "WHERE record_table = 'shop_order' ORDER BY field")
    assert ("lines_total_cents", str(6 * 255 + 6 * 339 + 6 * 185), str(8 * 255 + 6 * 185 + 4 * 425)) in [
        row[1:] for row in audit]
    # The roll-ups equal a rebuild from the lines.
    content = business_content(db)
    code, _, output = run_import(db, str(tmp_path / "november-corrected.csv"), "--no-refresh")
    assert code == 0 and business_content(db) == content
    from crm_tui import rollups
    from crm_tui.db import make_engine
    from tests.import_helpers import database_url
    with make_engine(database_url(db)).begin() as conn:
        rollups.rebuild(conn)
    assert business_content(db) == content


def test_a_product_first_seen_in_a_corrected_invoice_is_settled_too(db, tmp_path):
    load(db, write(tmp_path / "a.csv", export(ORIGINAL)))
    corrected = [*ORIGINAL, ("536367", "90001", "wet damaged", "1", "2010-12-05 10:00", "0", "12583", "France")]
    assert load(db, write(tmp_path / "b.csv", export(corrected)))["updated"] == 2
    # Its only line is in an invoice the shop had: never sold at a price, so inactive.
    assert query(db, "SELECT name, unit_price_cents, active FROM product WHERE sku = '90001'") == [
        ("wet damaged", 0, 0)]


def test_importing_the_correction_again_changes_nothing(db, tmp_path):
    load(db, write(tmp_path / "a.csv", export(ORIGINAL)))
    changed = [(*row[:3], "9", *row[4:]) if row[0] == "536367" else row for row in ORIGINAL]
    path = write(tmp_path / "b.csv", export(changed))
    assert load(db, path)["updated"] == 1
    again = load(db, path)
    assert (again["updated"], again["unchanged"]) == (0, len(ORIGINAL))


def test_an_invoice_whose_rows_disagree_takes_its_first_row_and_importing_again_changes_nothing(db, tmp_path):
    """Exports repeat the invoice's head on every row and some disagree with themselves (the
    customer's country, the minute). The first row gives the head, on the first import and on
    every later one: the same file again is unchanged, with nothing audited."""
    rows = [("536370", "22728", "ALARM CLOCK BAKELIKE PINK", "24", "2010-12-01 08:45", "3.75", "12583", "France"),
            ("536370", "22727", "ALARM CLOCK BAKELIKE RED", "24", "2010-12-01 08:46", "3.75", "12583", "EIRE"),
            ("536370", "22726", "ALARM CLOCK BAKELIKE GREEN", "12", "2010-12-01 08:45", "3.75", "13047", "France")]
    path = write(tmp_path / "a.csv", export(rows))
    load(db, path)
    head = query(db, "SELECT o.placed_at, c.customer_number, o.country FROM shop_order o "
                     "JOIN customer c ON c.id = o.customer_id")
    audited = scalar(db, "SELECT count(*) FROM audit_entry")
    for _ in range(2):
        again = load(db, path)
        assert (again["updated"], again["unchanged"]) == (0, 3)
    assert query(db, "SELECT o.placed_at, c.customer_number, o.country FROM shop_order o "
                     "JOIN customer c ON c.id = o.customer_id") == head
    assert str(head[0][0]).startswith("2010-12-01 07:45")  # the shop's 08:45 in Madrid, in UTC
    assert head[0][1:] == ("12583", "FR")
    assert scalar(db, "SELECT count(*) FROM audit_entry") == audited


# --- order independence ---------------------------------------------------------------------

CUSTOMERS = {"17850": ("United Kingdom", "France"), "12583": ("France",), "13047": ("Germany", "United Kingdom"),
             "14527": ("Spain",), "": ("United Kingdom", "Germany", "Unspecified")}
CATALOGUE = {"85123A": ("WHITE HANGING HEART T-LIGHT HOLDER", "CREAM HANGING HEART T-LIGHT HOLDER", "?"),
             "85123a": ("WHITE HANGING HEART T-LIGHT HOLDER",),
             "71053": ("WHITE METAL LANTERN", "Damaged"), "22633": ("HAND WARMER UNION JACK",),
             "POST": ("POSTAGE",), "21730": ("GLASS STAR FROSTED T-LIGHT HOLDER", "")}
PRICES = ("0", "1.25", "2.55", "3.39", "0.85")


@st.composite
def invoices(draw):
    count = draw(st.integers(2, 9))
    result = []
    for n in range(count):
        customer = draw(st.sampled_from(sorted(CUSTOMERS)))
        country = draw(st.sampled_from(CUSTOMERS[customer]))
        cancellation = draw(st.integers(0, 6)) == 0
        number = f"{'C' if cancellation else ''}{540000 + n}"
        day, minute = draw(st.integers(0, 420)), draw(st.integers(0, 600))
        when = f"2010-12-{1 + day % 28:02d} 08:00" if day < 28 else (
            f"{2011 + (day - 28) // 365}-{1 + (day // 31) % 12:02d}-{1 + day % 28:02d} {8 + minute // 60:02d}:{minute % 60:02d}")
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            sku = draw(st.sampled_from(sorted(CATALOGUE)))
            quantity = draw(st.integers(1, 12)) * (-1 if cancellation else 1)
            row = (number, sku, draw(st.sampled_from(CATALOGUE[sku])), str(quantity), when,
                   draw(st.sampled_from(PRICES)), customer, country)
            rows.append(row)
            if draw(st.integers(0, 9)) == 0:
                rows.append(row)  # an exact duplicate
            if draw(st.integers(0, 9)) == 0:
                rows.append((number, sku, "bad row", "abc", when, "1.00", customer, country))  # rejected
        result.append(rows)
    return result


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(history=invoices(), data=st.data())
def test_importing_in_parts_in_any_order_equals_importing_at_once(db, tmp_path_factory, history, data):
    from tests.import_helpers import add_ops

    folder = tmp_path_factory.mktemp("history")  # `db` made the acting login ops1
    cuts = sorted(data.draw(st.sets(st.integers(1, len(history) - 1), max_size=3)))
    parts = [history[a:b] for a, b in zip([0, *cuts], [*cuts, len(history)])]
    order = data.draw(st.permutations(range(len(parts))))
    whole_db, parts_db = str(folder / "whole.db"), str(folder / "parts.db")
    for each in (whole_db, parts_db):
        add_ops(each)
    load(whole_db, write(folder / "whole.csv", export(row for invoice in history for row in invoice)))
    for i in order:
        load(parts_db, write(folder / f"part{i}.csv", export(row for invoice in parts[i] for row in invoice)))
    assert business_content(parts_db) == business_content(whole_db)


# --- the catalogue ----------------------------------------------------------------------------

def test_a_rejected_row_creates_nothing(db, tmp_path):
    path = write(tmp_path / "bad.csv", export([
        ("536365", "NEW1", "Damaged", "-3", "2010-12-01 08:26", "0", "", "United Kingdom"),
        ("536366", "NEW2", "A PRODUCT", "abc", "2010-12-01 08:26", "1.00", "17850", "United Kingdom")]))
    code, summary, _ = run_import(db, str(path), "--no-refresh")
    assert code == 0 and summary["rejected"] == 2
    assert scalar(db, "SELECT count(*) FROM product") == 0
    assert scalar(db, "SELECT count(*) FROM customer") == 0
    assert scalar(db, "SELECT count(*) FROM shop_order") == 0


@pytest.mark.parametrize("reverse", [False, True])
def test_name_and_price_follow_the_valid_sales_whatever_the_file_order(db, tmp_path, reverse):
    rows = [
        ("536360", "84879", "Damaged", "5", "2010-12-01 08:00", "0", "", "United Kingdom"),
        ("536361", "84879", "ASSORTED COLOUR BIRD ORNAMENT", "8", "2010-12-02 08:00", "1.69", "17850", "United Kingdom"),
        ("536362", "84879", "ASSORTED COLOUR BIRD ORNAMENT", "8", "2011-03-02 08:00", "1.45", "17850", "United Kingdom"),
        ("536363", "84879", "BIRD ORNAMENT", "2", "2011-02-02 08:00", "1.69", "12583", "France"),
        ("C536364", "84879", "BIRD ORNAMENT", "-2", "2011-04-02 08:00", "2.10", "12583", "France"),
        ("536365", "84879", "wet damaged", "1", "2011-05-02 08:00", "0", "", "United Kingdom"),
        ("536366", "84879", "wet damaged", "1", "2011-05-03 08:00", "0", "", "United Kingdom"),
        ("536367", "84879", "wet damaged", "1", "2011-05-04 08:00", "0", "", "United Kingdom"),
    ]
    load(db, write(tmp_path / "lines.csv", export(reversed(rows) if reverse else rows)))
    # The most frequent description among valid sales (not "wet damaged", a zero-price line);
    # the price of the latest valid sale (March, not the later cancellation or the zero-price lines).
    assert query(db, "SELECT name, unit_price_cents, active FROM product WHERE sku = '84879'") == [
        ("ASSORTED COLOUR BIRD ORNAMENT", 145, 1)]


def test_a_product_never_sold_at_a_price_is_named_but_inactive(db, tmp_path):
    load(db, write(tmp_path / "lines.csv", export([
        ("536365", "90000", "wet damaged", "3", "2010-12-01 08:00", "0", "", "United Kingdom")])))
    assert query(db, "SELECT name, unit_price_cents, active FROM product") == [("wet damaged", 0, 0)]


def test_codes_differing_by_letter_case_are_one_product_unless_told_otherwise(db, tmp_path):
    rows = [("536365", "abc1a", "HEART", "1", "2010-12-01 08:00", "2.55", "17850", "United Kingdom"),
            ("536366", "ABC1A", "HEART", "2", "2010-12-02 08:00", "2.55", "17850", "United Kingdom")]
    load(db, write(tmp_path / "lines.csv", export(rows)))
    assert query(db, "SELECT sku FROM product") == [("ABC1A",)]
    assert scalar(db, "SELECT count(*) FROM order_line") == 2


def test_exact_letter_case_keeps_two_products(db, tmp_path):
    rows = [("536365", "abc1a", "HEART", "1", "2010-12-01 08:00", "6.77", "17850", "United Kingdom"),
            ("536366", "ABC1A", "HEART", "2", "2010-12-02 08:00", "2.55", "17850", "United Kingdom")]
    code, summary, output = run_import(db, str(write(tmp_path / "lines.csv", export(rows))), "--no-refresh",
                                       "--sku-case", "exact")
    assert code == 0, output
    assert query(db, "SELECT sku, unit_price_cents FROM product ORDER BY 1") == [("ABC1A", 255), ("abc1a", 677)]


def test_a_customer_takes_registration_and_country_from_the_earliest_order(db, tmp_path):
    newer = [("540001", "22633", "HAND WARMER", "1", "2011-06-01 08:00", "1.85", "13047", "United Kingdom")]
    older = [("530001", "22633", "HAND WARMER", "1", "2010-06-01 08:00", "1.85", "13047", "Germany")]
    load(db, write(tmp_path / "newer.csv", export(newer)))
    assert query(db, "SELECT country, time_zone FROM customer") == [("GB", "Europe/London")]
    load(db, write(tmp_path / "older.csv", export(older)))
    assert query(db, "SELECT country, time_zone, substr(CAST(registered_at AS TEXT), 1, 10) FROM customer") == [
        ("DE", "Europe/Berlin", "2010-06-01")]
    # Both orders keep the country their invoice gave.
    assert query(db, "SELECT number, country FROM shop_order ORDER BY 1") == [("530001", "DE"), ("540001", "GB")]


def test_a_country_staff_set_is_not_moved_by_a_later_import(db, tmp_path):
    from sqlmodel import Session

    from crm_tui.db import open_database, write_session
    from crm_tui.models import Role
    from crm_tui.services.customers import load_card, save_card
    from crm_tui.services.staff import StaffMember
    from tests.conftest import AS_OF

    newer = [("540001", "22633", "HAND WARMER", "1", "2011-06-01 08:00", "1.85", "13047", "United Kingdom")]
    older = [("530001", "22633", "HAND WARMER", "1", "2010-06-01 08:00", "1.85", "13047", "Germany")]
    load(db, write(tmp_path / "newer.csv", export(newer)))
    cid = scalar(db, "SELECT id FROM customer")
    engine = open_database(db)
    with Session(engine) as session:
        loaded = load_card(session, cid)
    with write_session(engine) as session:
        save_card(session, StaffMember("ana", "Ana", Role.AGENT, 10, True), loaded, {"country": "IE"},
                  "moved to Dublin", now=AS_OF)
    engine.dispose()
    load(db, write(tmp_path / "older.csv", export(older)))
    # Registration still follows the orders; the country is the one staff set.
    assert query(db, "SELECT country, time_zone, substr(CAST(registered_at AS TEXT), 1, 10) FROM customer") == [
        ("IE", "Europe/Dublin", "2010-06-01")]
