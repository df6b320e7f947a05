"""What an import adds to the shop: products, customers, orders and lines, buffered and
written in bulk, with the lookups that tell new from already present.

Documented rules (README, "Importing"):
- a product code seen with several descriptions is named by its most frequent description in
  the import (ties: the first seen); products that already existed keep their name;
- a customer seen under several countries keeps the first known country; customers that
  already existed keep theirs;
- a customer created by an import is registered at their first order in it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, text

from crm_tui.db import row_tuples
from crm_tui.importing.bulk import LINE_COLUMNS, ShopWrites, driver_connection, next_id
from crm_tui.importing.product_codes import product_kind
from crm_tui.shop.models import ProductKind
from crm_tui.shop.types import db_datetime, utc_now
from crm_tui.shop.validation import time_zone_for

_SPANISH_SPEAKING = {"ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY",
                     "SV", "NI", "CR", "PA", "UY", "PR"}
_LOOKUP_BATCH = 900


@dataclass
class WriterCounts:
    customers_created: int = 0
    customers_updated: int = 0
    products_created: int = 0
    orders_created: int = 0
    customers_with_several_countries: int = 0
    adjustment_lines: int = 0  # lines of adjustment documents (A…) and negative-price adjustment codes
    adjustment_cents: int = 0
    unknown_countries: dict[str, int] = field(default_factory=dict)  # value as written -> rows


@dataclass
class _NewCustomer:
    id: int
    number: str
    country: str | None
    first_order_at: datetime
    countries_seen: set[str] = field(default_factory=set)


STATISTICS = "ANALYZE shop_order, order_line, customer, product"


def _batches(values: list, size: int = _LOOKUP_BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class ShopWriter:
    def __init__(self, conn: Connection, writes: ShopWrites, shop_zone: str, ids: dict[str, int] | None = None):
        self.conn = conn  # for reading what the shop had before the import
        self.writes = writes
        self.shop_zone = shop_zone
        self.counts = WriterCounts()
        self.products: dict[str, tuple[int, ProductKind]] = {}
        self.customers: dict[str, int] = {}
        self.orders: dict[str, int] = {}
        self.preexisting_orders: set[int] = set()
        self.touched_orders: set[int] = set()
        self._new_products: list[tuple] = []
        self._new_customers: dict[str, _NewCustomer] = {}
        self._unwritten_customers: list[_NewCustomer] = []
        self._new_orders: list[tuple] = []
        self.new_product_names: dict[int, dict[str, int]] = {}  # product id -> description -> times
        self._first_name: dict[int, str] = {}
        self._ids = ids or {t: next_id(conn, t) for t in ("product", "customer", "shop_order")}
        self.first_new_order_id = self._ids["shop_order"]
        # The catalogue is small: all of it in memory. Customers and orders are looked up one
        # by one as they first appear, and only if the shop had any before this import.
        for sku, pid, kind in row_tuples(conn.execute(text("SELECT sku, id, kind FROM product"))):
            self.products[sku] = (pid, ProductKind(kind))
        self._had_customers = self._ids["customer"] > 1
        self._had_orders = self._ids["shop_order"] > 1
        self._cursor = driver_connection(conn).cursor()
        self._mark = "?" if conn.dialect.name == "sqlite" else "%s"

    # --- lookups, one query per batch of unknown keys -------------------------------------

    def prefetch(self, skus: set[str], customer_numbers: set[str], order_numbers: set[str]) -> None:
        self._lookup("SELECT sku, id, kind FROM product WHERE sku IN :keys", skus - self.products.keys(),
                     lambda row: self.products.__setitem__(row[0], (row[1], ProductKind(row[2]))))
        self._lookup("SELECT customer_number, id FROM customer WHERE customer_number IN :keys",
                     customer_numbers - self.customers.keys(),
                     lambda row: self.customers.__setitem__(row[0], row[1]))

        def known_order(row):
            self.orders[row[0]] = row[1]
            self.preexisting_orders.add(row[1])
        self._lookup("SELECT number, id FROM shop_order WHERE number IN :keys", order_numbers - self.orders.keys(),
                     known_order)

    def _lookup(self, sql: str, keys: set[str], store) -> None:
        if not keys:
            return
        statement = text(sql).bindparams(bindparam("keys", expanding=True))
        for batch in _batches(sorted(keys)):
            for row in self.conn.execute(statement, {"keys": batch}):
                store(row)

    # --- what a row needs ------------------------------------------------------------------

    def product_id(self, sku: str, description: str, unit_price_cents: int) -> int:
        """The product's id, creating it (named by this description) if the import is its first."""
        known = self.products.get(sku)
        if known is not None:
            return known[0]
        description = description.strip()
        pid = self._take_id("product")
        kind = product_kind(sku, description)
        self.products[sku] = (pid, kind)
        self.new_product_names[pid] = {}
        self._first_name[pid] = description or sku
        self._new_products.append((pid, sku, description or sku, "", "", max(unit_price_cents, 0), 0, 5,
                                   True, kind.value, db_datetime(self.conn, utc_now())))
        self.counts.products_created += 1
        return pid

    def customer(self, number: str, country: str | None, at: datetime) -> int:
        new = self._new_customers.get(number)
        if new is not None:
            if country:
                new.countries_seen.add(country)
                if new.country is None:
                    new.country = country
            if at < new.first_order_at:
                new.first_order_at = at
            return new.id
        known = self.customers.get(number)
        if known is None and self._had_customers:
            known = self._find("SELECT id FROM customer WHERE customer_number = {}", number)
            if known is not None:
                self.customers[number] = known
        if known is not None:
            return known
        cid = self._take_id("customer")
        self.customers[number] = cid
        self._new_customers[number] = new = _NewCustomer(cid, number, country, at, {country} if country else set())
        self._unwritten_customers.append(new)
        self.counts.customers_created += 1
        return cid

    def order(self, number: str, customer_id: int | None, placed_at: datetime, cancellation: bool) -> int:
        known = self.orders.get(number)
        if known is None and self._had_orders:
            known = self._find("SELECT id FROM shop_order WHERE number = {}", number)
            if known is not None:
                self.orders[number] = known
                self.preexisting_orders.add(known)
        if known is not None:
            return known
        oid = self._take_id("shop_order")
        self.orders[number] = oid
        status = "cancelled" if cancellation else "delivered"
        self._new_orders.append((oid, number, customer_id, db_datetime(self.conn, placed_at), status, "web", 0,
                                 0, 0, 0))
        self.counts.orders_created += 1
        return oid

    # --- single records from the crm CSV set (written at once: a later row may update them) ---

    def new_product(self, sku: str, values: dict) -> int:
        pid = self._take_id("product")
        self.writes.insert("product", ("id", "sku", *values, "created_at"),
                    [(pid, sku, *values.values(), db_datetime(self.conn, utc_now()))])
        self.products[sku] = (pid, ProductKind(values["kind"]))
        self.counts.products_created += 1
        return pid

    def new_customer(self, number: str, values: dict, registered_at: datetime) -> int:
        cid = self._take_id("customer")
        values = {k: db_datetime(self.conn, v) if isinstance(v, datetime) else v for k, v in values.items()}
        when = db_datetime(self.conn, registered_at)
        self.writes.insert("customer",
                    ("id", "customer_number", *values, "time_zone", "registered_at", "created_at", "updated_at",
                     "discount_percent", "version"),
                    [(cid, number, *values.values(), time_zone_for(values["country"], values["postcode"]),
                      when, when, when, 0, 1)])
        self.customers[number] = cid
        self.counts.customers_created += 1
        return cid

    def new_order(self, number: str, customer_id: int | None, placed_at: datetime, status: str, channel: str,
                  cancels_id: int | None) -> int:
        oid = self._take_id("shop_order")
        self.writes.insert("shop_order",
                    ("id", "number", "customer_id", "placed_at", "status", "channel", "discount_percent",
                     "cancels_order_id", "subtotal_cents", "discount_cents", "total_cents"),
                    [(oid, number, customer_id, db_datetime(self.conn, placed_at), status, channel, 0, cancels_id,
                      0, 0, 0)])
        self.orders[number] = oid
        self.counts.orders_created += 1
        return oid

    def _find(self, sql: str, key: str) -> int | None:
        self._cursor.execute(sql.format(self._mark), (key,))
        row = self._cursor.fetchone()
        return row[0] if row else None

    def _take_id(self, table: str) -> int:
        value = self._ids[table]
        self._ids[table] = value + 1
        return value

    # --- writing -----------------------------------------------------------------------------

    def write_lines(self, new_order_lines: Sequence[int], preexisting_order_lines: Sequence[int]) -> None:
        """Write what the lines need, then the lines: flat sequences of LINE_COLUMNS values."""
        self._write_entities(*self._take_entity_rows())
        self.touched_orders.update(preexisting_order_lines[0::len(LINE_COLUMNS)])
        self.writes.lines(new_order_lines, preexisting_order_lines)

    def _take_entity_rows(self) -> tuple[list, list, list]:
        products, self._new_products = self._new_products, []
        orders, self._new_orders = self._new_orders, []
        customers = []
        for c in self._unwritten_customers:
            country = c.country or ""
            when = db_datetime(self.conn, c.first_order_at)
            customers.append((c.id, c.number, "", "", "", "", "", country,
                              time_zone_for(country) if country else self.shop_zone,
                              "es" if country in _SPANISH_SPEAKING else "en", when, when, when, 0, 1))
        self._unwritten_customers = []
        return products, customers, orders

    def _write_entities(self, products: list, customers: list, orders: list) -> None:
        self.writes.insert("product",
                    ("id", "sku", "name", "description", "category", "unit_price_cents", "stock_quantity",
                     "low_stock_threshold", "active", "kind", "created_at"), products)
        self.writes.insert("customer",
                    ("id", "customer_number", "first_name", "last_name", "street", "postcode", "city", "country",
                     "time_zone", "preferred_language", "registered_at", "created_at", "updated_at",
                     "discount_percent", "version"), customers)
        self.writes.insert("shop_order",
                    ("id", "number", "customer_id", "placed_at", "status", "channel", "discount_percent",
                     "subtotal_cents", "discount_cents", "total_cents"), orders)

    def finish(self) -> None:
        """Set-based fix-ups once every row is in: totals, names, countries, registration."""
        self._write_entities(*self._take_entity_rows())
        if self.conn.dialect.name == "postgresql":
            # The planner's figures for tables this transaction just filled (ANALYZE sees its own
            # rows): without them it may take a nested loop over every line, for minutes.
            self.writes.execute(STATISTICS)
        # Totals from the lines, with the order's discount rounded half away from zero (imported
        # orders have none; an existing order that gained lines keeps its). One aggregate pass
        # over the line index (UPDATE ... FROM: SQLite 3.33+, PostgreSQL).
        discount = ("(CASE WHEN t.total >= 0 THEN (t.total * discount_percent + 50) / 100 "
                    "ELSE -((-t.total * discount_percent + 50) / 100) END)")
        totals = (f"UPDATE shop_order SET subtotal_cents = t.total, discount_cents = {discount}, "
                  f"total_cents = t.total - {discount} "
                  "FROM (SELECT order_id, SUM(line_total_cents) AS total FROM order_line WHERE {} "
                  "GROUP BY order_id) AS t WHERE shop_order.id = t.order_id")
        self.writes.execute(totals.format("order_id >= :first"), {"first": self.first_new_order_id})
        touched = sorted(i for i in self.touched_orders if i < self.first_new_order_id)
        for batch in _batches(touched):
            self.writes.execute(totals.format("order_id IN ({})".format(", ".join(map(str, batch)))))
        renames = []
        for pid, names in self.new_product_names.items():
            times_named: dict[str, int] = {}
            for description, times in names.items():  # in the order first seen
                description = description.strip()
                if description:
                    times_named[description] = times_named.get(description, 0) + times
            if times_named:
                best = max(times_named, key=times_named.__getitem__)  # max() keeps the first of equals
                if best != self._first_name[pid]:
                    renames.append({"id": pid, "name": best})
        if renames:
            self.writes.execute("UPDATE product SET name = :name WHERE id = :id", renames)
        fixes = [{"id": c.id, "country": c.country, "tz": time_zone_for(c.country),
                  "lang": "es" if c.country in _SPANISH_SPEAKING else "en",
                  "at": db_datetime(self.conn, c.first_order_at)}
                 for c in self._new_customers.values() if c.country]
        if fixes:
            self.writes.execute(("UPDATE customer SET country = :country, time_zone = :tz, "
                                   "preferred_language = :lang, registered_at = :at, created_at = :at "
                                   "WHERE id = :id"), fixes)
        self.counts.customers_with_several_countries = sum(
            1 for c in self._new_customers.values() if len(c.countries_seen) > 1)
