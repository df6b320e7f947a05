"""What an import settles from the whole history once its rows are in, so that the result is
the same whatever the order of the files, and a corrected invoice replaces the old one.

Documented rules (README, "Importing"):
- an invoice in a transaction-line file is the truth for that invoice: if the shop already has
  it and its lines differ (a quantity or price, a line added or removed), the stored lines are
  replaced (counted as updated, audited); its date, customer and country follow the file;
- a product a transaction-line import created is named by the most frequent description among
  its valid sales (accepted lines of orders that are not cancelled, quantity and price above
  zero; ties: the alphabetically first), or among all its lines when it has no valid sale; its
  price is the unit price of its latest valid sale (ties: the highest order number, then the
  highest price); merchandise that never sold at a price is inactive. A products file sets
  both for good;
- a customer a transaction-line import created is registered at their first order and lives in
  the country of their earliest order that names one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from crm_tui.importing.bulk import INVOICE_HEAD_STAGE, INVOICE_LINE_STAGE, LINE_COLUMNS, Writes, temporary_table
from crm_tui.importing.shop_writer import STATISTICS, language_for
from crm_tui.services.audit import FieldChange, record_many_changes
from crm_tui.shop.validation import time_zone_for

_IDENTITY = "order_id, product_id, quantity, unit_price_cents, line_total_cents"
_STORED_OF_STAGED = f"SELECT {_IDENTITY} FROM order_line WHERE order_id IN (SELECT order_id FROM {INVOICE_LINE_STAGE})"
_CHANGED = "import_changed_order"
_TOUCHED_PRODUCTS = "import_touched_product"
_TOUCHED_CUSTOMERS = "import_touched_customer"
_PRODUCT_SALES = "import_product_sales"


@dataclass
class Corrections:
    invoices: int = 0  # invoices already there that the files changed
    updated: int = 0  # their distinct lines, as the files give them
    unchanged: int = 0  # rows of invoices already there, as stored
    duplicates: int = 0  # repeated rows within changed invoices


def settle(conn: Connection, writes: Writes, first_new_order_id: int, acting_login: str) -> Corrections:
    """After every row is written, inside the import's transaction."""
    for table in (_CHANGED, _TOUCHED_PRODUCTS, _TOUCHED_CUSTOMERS):
        temporary_table(conn, table, "id INTEGER")
    if conn.dialect.name == "postgresql":
        # The planner's figures for tables this transaction just filled (ANALYZE sees its own
        # rows): without them it may take a nested loop over every line, for minutes. They
        # serve the roll-ups' GROUP BYs after this too.
        conn.exec_driver_sql(STATISTICS)
    corrections = _replace_changed_invoices(conn, writes, acting_login)
    _order_totals(conn, first_new_order_id, writes.older_orders)
    conn.execute(text(f"INSERT INTO {_TOUCHED_PRODUCTS} SELECT DISTINCT product_id FROM order_line "
                      f"WHERE order_id >= :first"), {"first": first_new_order_id})
    conn.execute(text(f"INSERT INTO {_TOUCHED_CUSTOMERS} SELECT DISTINCT customer_id FROM shop_order "
                      f"WHERE id >= :first AND customer_id IS NOT NULL"), {"first": first_new_order_id})
    _catalogue_from_sales(conn)
    _customers_from_orders(conn, writes)
    return corrections


def _all(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.exec_driver_sql(sql)]


def _lines_differ(conn: Connection) -> str:
    """A query: the staged invoices with a line the shop does not have, or the shop with a line
    they do not have. PostgreSQL: one hash full join (3.4 s on a million lines, the two EXCEPTs
    5.9 s); SQLite's full join finds no index to use there and takes far longer: EXCEPT."""
    if conn.dialect.name == "postgresql":
        same = " AND ".join(f"s.{column} = l.{column}" for column in _IDENTITY.split(", "))
        return (f"SELECT coalesce(s.order_id, l.order_id) FROM {INVOICE_LINE_STAGE} s FULL JOIN ({_STORED_OF_STAGED}) l "
                f"ON {same} WHERE s.order_id IS NULL OR l.order_id IS NULL")
    return (f"SELECT order_id FROM (SELECT {_IDENTITY} FROM {INVOICE_LINE_STAGE} EXCEPT {_STORED_OF_STAGED}) AS added "
            f"UNION SELECT order_id FROM ({_STORED_OF_STAGED} EXCEPT SELECT {_IDENTITY} FROM {INVOICE_LINE_STAGE}) "
            "AS removed")


def _replace_changed_invoices(conn: Connection, writes: Writes, acting_login: str) -> Corrections:
    same_head = ("o.placed_at = h.placed_at AND coalesce(o.customer_id, 0) = coalesce(h.customer_id, 0) "
                 "AND coalesce(o.country, '') = coalesce(h.country, '')")
    conn.exec_driver_sql(
        f"INSERT INTO {_CHANGED} {_lines_differ(conn)} "
        f"UNION SELECT h.order_id FROM {INVOICE_HEAD_STAGE} h JOIN shop_order o ON o.id = h.order_id "
        f"WHERE NOT ({same_head})")
    counts = Corrections()
    of_changed = f"FROM {INVOICE_LINE_STAGE} WHERE order_id IN (SELECT id FROM {_CHANGED})"
    rows: int = conn.exec_driver_sql(f"SELECT count(*) {of_changed}").scalar_one()
    distinct: int = conn.exec_driver_sql(f"SELECT count(*) FROM (SELECT DISTINCT {_IDENTITY} {of_changed}) AS d").scalar_one()
    counts.updated, counts.duplicates = distinct, rows - distinct
    counts.unchanged = conn.exec_driver_sql(
        f"SELECT count(*) FROM {INVOICE_LINE_STAGE} WHERE order_id NOT IN (SELECT id FROM {_CHANGED})").scalar_one()
    # Descriptions of lines that did not change follow the file too (they name products): the
    # products whose lines get another description are settled again, and those of changed
    # invoices (below, those the replaced lines leave); an invoice re-exported as it was
    # settles nothing.
    redescribed = (f"FROM {INVOICE_LINE_STAGE} s WHERE order_line.order_id = s.order_id "
                   "AND order_line.product_id = s.product_id AND order_line.quantity = s.quantity "
                   "AND order_line.unit_price_cents = s.unit_price_cents "
                   "AND coalesce(order_line.description_id, -1) <> s.description_id")
    conn.exec_driver_sql(f"INSERT INTO {_TOUCHED_PRODUCTS} SELECT DISTINCT order_line.product_id FROM order_line, "
                         f"{redescribed.removeprefix('FROM ')}")
    conn.exec_driver_sql(f"UPDATE order_line SET description_id = s.description_id {redescribed}")
    conn.exec_driver_sql(f"INSERT INTO {_TOUCHED_PRODUCTS} SELECT DISTINCT product_id FROM {INVOICE_LINE_STAGE} "
                         f"WHERE order_id IN (SELECT id FROM {_CHANGED})")
    changed = [row[0] for row in _all(conn, f"SELECT id FROM {_CHANGED} ORDER BY id")]
    counts.invoices = len(changed)
    if not changed:
        return counts
    before = _changed_orders(conn)
    writes.older_orders_changed(changed, (placed_at for placed_at, *_ in before.values()))
    conn.exec_driver_sql(f"INSERT INTO {_TOUCHED_PRODUCTS} SELECT DISTINCT product_id FROM order_line "
                         f"WHERE order_id IN (SELECT id FROM {_CHANGED})")
    touch_customers = (f"INSERT INTO {_TOUCHED_CUSTOMERS} SELECT customer_id FROM shop_order "
                       f"WHERE id IN (SELECT id FROM {_CHANGED}) AND customer_id IS NOT NULL")
    conn.exec_driver_sql(touch_customers)  # the customers the invoices had, and below the ones they have now
    conn.exec_driver_sql(f"DELETE FROM order_line WHERE order_id IN (SELECT id FROM {_CHANGED})")
    columns = ", ".join(LINE_COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO order_line ({columns}) SELECT {_IDENTITY}, min(description_id) FROM {INVOICE_LINE_STAGE} "
        f"WHERE order_id IN (SELECT id FROM {_CHANGED}) GROUP BY {_IDENTITY}")
    conn.exec_driver_sql(
        f"UPDATE shop_order SET placed_at = h.placed_at, customer_id = h.customer_id, country = h.country "
        f"FROM {INVOICE_HEAD_STAGE} h WHERE shop_order.id = h.order_id AND shop_order.id IN (SELECT id FROM {_CHANGED})")
    after = _changed_orders(conn)
    record_many_changes(conn, acting_login, "shop_order", {
        order_id: [FieldChange(name, old, new) for name, old, new in zip(_AUDITED, before[order_id], after[order_id])
                   if old != new] or [FieldChange("lines", before[order_id][3], after[order_id][3])]
        for order_id in changed}, reason="import: the file's invoice replaces the stored one")
    conn.exec_driver_sql(touch_customers)
    return counts


_AUDITED = ("placed_at", "customer_id", "country", "lines", "lines_total_cents")


def _changed_orders(conn: Connection) -> dict[int, tuple]:
    """Each changed order's _AUDITED facts, as they stand."""
    return {row[0]: tuple(row[1:]) for row in _all(
        conn, "SELECT o.id, o.placed_at, o.customer_id, o.country, count(l.order_id), "
              "coalesce(sum(l.line_total_cents), 0) FROM shop_order o LEFT JOIN order_line l ON l.order_id = o.id "
              f"WHERE o.id IN (SELECT id FROM {_CHANGED}) GROUP BY o.id, o.placed_at, o.customer_id, o.country")}


def _order_totals(conn: Connection, first_new_order_id: int, older_orders: Iterable[int]) -> None:
    """Totals from the lines, with the order's discount rounded half away from zero (imported
    orders have none; an older order keeps its). One aggregate pass over the line index."""
    discount = ("(CASE WHEN t.total >= 0 THEN (t.total * discount_percent + 50) / 100 "
                "ELSE -((-t.total * discount_percent + 50) / 100) END)")
    totals = (f"UPDATE shop_order SET subtotal_cents = t.total, discount_cents = {discount}, "
              f"total_cents = t.total - {discount} "
              "FROM (SELECT o.id AS order_id, coalesce(sum(l.line_total_cents), 0) AS total FROM shop_order o "
              "LEFT JOIN order_line l ON l.order_id = o.id WHERE {} GROUP BY o.id) AS t "
              "WHERE shop_order.id = t.order_id")
    conn.execute(text(totals.format("o.id >= :first")), {"first": first_new_order_id})
    older = sorted(i for i in older_orders if i < first_new_order_id)
    for start in range(0, len(older), 500):
        conn.exec_driver_sql(totals.format("o.id IN ({})".format(", ".join(map(str, older[start:start + 500])))))


_VALID_SALE = "o.status <> 'cancelled' AND l.quantity > 0 AND l.unit_price_cents > 0"


def _catalogue_from_sales(conn: Connection) -> None:
    touched = (f"l.product_id IN (SELECT id FROM {_TOUCHED_PRODUCTS}) AND l.product_id IN "
               "(SELECT id FROM product WHERE name_from_sales)")
    # One pass over the touched products' lines: per product, description and kind of line (a
    # valid sale or not), how many and the latest valid sale's moment.
    temporary_table(conn, _PRODUCT_SALES, "product_id INTEGER, description_id INTEGER, sale INTEGER, "
                                          "times INTEGER, last_sale {timestamp}")
    conn.exec_driver_sql(
        f"INSERT INTO {_PRODUCT_SALES} SELECT l.product_id, l.description_id, "
        f"CASE WHEN {_VALID_SALE} THEN 1 ELSE 0 END, count(*), max(CASE WHEN {_VALID_SALE} THEN o.placed_at END) "
        f"FROM order_line l JOIN shop_order o ON o.id = l.order_id WHERE {touched} GROUP BY 1, 2, 3")
    named = dict(_all(
        conn,
        "SELECT product_id, text FROM (SELECT g.product_id, d.text, row_number() OVER (PARTITION BY g.product_id "
        f"ORDER BY g.sale DESC, g.times DESC, d.text) AS rank FROM {_PRODUCT_SALES} g "
        "JOIN line_description d ON d.id = g.description_id AND d.text <> '') AS ranked WHERE rank = 1"))
    # Only the lines of the latest valid sale's moment are ranked.
    prices = dict(_all(
        conn,
        "SELECT product_id, unit_price_cents FROM (SELECT x.product_id, l.unit_price_cents, row_number() OVER "
        "(PARTITION BY x.product_id ORDER BY o.number DESC, l.unit_price_cents DESC) AS rank "
        f"FROM (SELECT product_id, max(last_sale) AS at FROM {_PRODUCT_SALES} WHERE sale = 1 GROUP BY product_id) AS x "
        "JOIN shop_order o ON o.placed_at = x.at JOIN order_line l ON l.order_id = o.id AND l.product_id = x.product_id "
        f"WHERE {_VALID_SALE}) AS ranked WHERE rank = 1"))
    current = {row[0]: row[1:] for row in _all(
        conn,
        "SELECT id, name, unit_price_cents, active, kind FROM product WHERE name_from_sales AND id IN "
        f"(SELECT id FROM {_TOUCHED_PRODUCTS})")}
    updates = []
    for pid, (name, price, active, kind) in current.items():
        new_name = named.get(pid, name)[:200]
        new_price = prices.get(pid, 0)
        new_active = bool(new_price > 0) if kind == "product" else bool(active)
        if (new_name, new_price, new_active) != (name, price, bool(active)):
            updates.append({"id": pid, "name": new_name, "price": new_price, "active": new_active})
    if updates:
        conn.execute(text("UPDATE product SET name = :name, unit_price_cents = :price, active = :active "
                          "WHERE id = :id"), updates)


def _customers_from_orders(conn: Connection, writes: Writes) -> None:
    """Customers an import created take registration and country from their orders. Anyone
    else is registered no later than their first order (staff who set a customer's country
    keep it; a registration in the shop precedes its orders anyway)."""
    earliest = _all(
        conn,
        "SELECT c.id, c.facts_from_orders, c.registered_at, c.country, c.time_zone, f.first_at, (SELECT o.country "
        "FROM shop_order o WHERE o.customer_id = c.id AND o.country IS NOT NULL ORDER BY o.placed_at, o.number "
        "LIMIT 1) FROM customer c JOIN (SELECT customer_id, min(placed_at) AS first_at FROM shop_order "
        f"WHERE customer_id IN (SELECT id FROM {_TOUCHED_CUSTOMERS}) GROUP BY customer_id) f ON f.customer_id = c.id")
    derived, earlier, moved = [], [], []
    for cid, from_orders, registered_at, country, zone, first_at, first_country in earliest:
        if not from_orders:
            if first_at < registered_at:
                earlier.append({"id": cid, "at": first_at})
            continue
        new_country = first_country or country
        if registered_at != first_at or new_country != country:
            derived.append({"id": cid, "at": first_at, "country": new_country,
                            "tz": time_zone_for(new_country) if new_country else zone,
                            "lang": language_for(new_country)})
            if new_country != country:
                moved.append(cid)
    if derived:
        conn.execute(text("UPDATE customer SET registered_at = :at, created_at = :at, country = :country, "
                          "time_zone = :tz, preferred_language = :lang WHERE id = :id"), derived)
    if earlier:
        conn.execute(text("UPDATE customer SET registered_at = :at WHERE id = :id"), earlier)
    for start in range(0, len(moved), 500):
        # Their sales by country, in every month, follow them.
        ids = ", ".join(map(str, moved[start:start + 500]))
        first, last = _all(conn, f"SELECT min(placed_at), max(placed_at) FROM shop_order WHERE customer_id IN ({ids})")[0]
        writes.older_orders_changed((), (first, last))
