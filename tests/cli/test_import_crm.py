"""The project's own CSV set: products, customers, orders, order lines."""


from tests.import_helpers import (
    SAMPLES,
    accounted,
    query,
    run_import,
    scalar,
    table_counts,
    write,
)

CRM = SAMPLES / "crm"
FILES = [str(CRM / name) for name in ("order_lines.csv", "orders.csv", "customers.csv", "products.csv")]



def test_the_crm_set_loads_in_dependency_order_whatever_the_argument_order(db):
    code, s, out = run_import(db, *FILES)
    assert code == 0, out
    assert (s["rows_read"], s["imported"], s["rejected"]) == (16, 16, 0)
    assert (s["products_created"], s["customers_created"], s["orders_created"], s["order_lines_created"]) == (4, 3, 4, 5)
    assert query(db, "SELECT phone, email, time_zone FROM customer WHERE customer_number='K1003'") == [
        ("+34628111222", "ana.santana@example.es", "Atlantic/Canary")]
    assert scalar(db, "SELECT consent_email_at IS NOT NULL AND consent_phone_at IS NULL FROM customer "
                      "WHERE customer_number='K1001'") == 1
    assert query(db, "SELECT o.status, c.number FROM shop_order o JOIN shop_order c ON c.id=o.cancels_order_id") == [
        ("returned", "W-5002")]
    assert scalar(db, "SELECT total_cents FROM shop_order WHERE number='W-5001'") == 2 * 450 + 495
    assert scalar(db, "SELECT stock_quantity FROM product WHERE sku='LAMP-ZN'") == 3


def test_reimporting_the_set_is_unchanged_and_a_changed_customer_is_updated_and_audited(db, tmp_path):
    run_import(db, *FILES)
    before = table_counts(db)
    code, s, _ = run_import(db, *FILES)
    assert (s["unchanged"], s["imported"], s["updated"]) == (16, 0, 0) and table_counts(db) == before
    changed = (CRM / "customers.csv").read_text(encoding="utf-8").replace("Calle Mayor 1,", "Calle Mayor 3,")
    code, s, _ = run_import(db, str(write(tmp_path / "customers.csv", changed)))
    assert (s["updated"], s["unchanged"], s["customers_updated"]) == (1, 2, 1)
    assert query(db, "SELECT staff_login, field, old_value, new_value, reason FROM audit_entry "
                     "WHERE record_table='customer'") == [("ops1", "street", "Calle Mayor 1", "Calle Mayor 3",
                                                           "import customers.csv")]
    assert scalar(db, "SELECT version FROM customer WHERE customer_number='K1001'") == 2


def test_invalid_customer_fields_are_rejected_naming_the_column(db, tmp_path):
    path = write(tmp_path / "customers.csv",
                 "customer_number,first_name,last_name,email,phone,country,shoe_size\n"
                 "A1,Ana,Ruiz,ana@example.com,612345678,ES,38\n"
                 "A2,Bad,Mail,not-an-email,612345679,ES,40\n"
                 "A3,Bad,Phone,b@example.com,12,ES,41\n"
                 "A4,Bad,Country,c@example.com,612345670,Spain,42\n")
    code, s, _ = run_import(db, str(path), "--reject-file", str(tmp_path / "r.csv"))
    assert (s["imported"], s["rejected"]) == (1, 3) and accounted(s) == 4
    assert any("shoe_size" in w for w in s["warnings"])
    rejects = (tmp_path / "r.csv").read_text()
    assert "customers.csv,3,email,not-an-email" in rejects
    assert "customers.csv,4,phone,12" in rejects
    assert "customers.csv,5,country,Spain" in rejects


def test_lines_for_unknown_orders_or_products_are_rejected(db, tmp_path):
    run_import(db, *FILES)
    path = write(tmp_path / "order_lines.csv", "order_number,sku,quantity,unit_price\n"
                                               "W-9999,MUG-RED,1,4.50\nW-5001,NOPE,1,1.00\nW-5003,LAMP-ZN,1,39.90\n")
    code, s, _ = run_import(db, str(path))
    assert (s["imported"], s["rejected"]) == (1, 2)
    assert scalar(db, "SELECT total_cents FROM shop_order WHERE number='W-5003'") == 6 * 450 + 3990


def test_lines_added_to_an_existing_discounted_order_keep_its_discount(db, tmp_path):
    run_import(db, *FILES)
    query(db, "UPDATE shop_order SET discount_percent = 10 WHERE number = 'W-5003'")
    path = write(tmp_path / "order_lines.csv", "order_number,sku,quantity,unit_price\nW-5003,LAMP-ZN,1,39.90\n")
    run_import(db, str(path))
    subtotal = 6 * 450 + 3990
    assert query(db, "SELECT subtotal_cents, discount_cents, total_cents FROM shop_order WHERE number='W-5003'") == [
        (subtotal, 669, subtotal - 669)]
