"""What an import adds to the shop: products, customers, orders and lines, buffered and
written in bulk, with the lookups that tell new from already present.

What depends on the whole history (a product's name and price, a customer's registration and
country) is settled after the rows are in, from every order, by crm_tui.importing.history:
an import's result does not depend on the order of the files. Product codes that differ only
by letter case are one product unless the import says otherwise (ImportOptions.sku_case).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, text

from crm_tui.db import row_tuples
from crm_tui.importing.bulk import INVOICE_HEAD_STAGE, ShopWrites, driver_connection, next_id
from crm_tui.importing.product_codes import product_kind
from crm_tui.shop.models import ProductKind
from crm_tui.shop.types import db_datetime, utc_now
from crm_tui.shop.validation import ZONE_FROM_POSTCODE, time_zone_for, zone_is_a_guess

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
    guessed_zones: dict[str, int] = field(default_factory=dict)  # country of several zones -> new customers


STATISTICS = "ANALYZE shop_order, order_line, customer, product"
INVOICE_HEAD_COLUMNS = ("order_id", "customer_id", "placed_at", "country")


def _batches(values: list, size: int = _LOOKUP_BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def sku_key(case: str) -> Callable[[str], str]:
    """How product codes are matched: "merge" (the default) ignores letter case, "exact" does not."""
    return str.upper if case == "merge" else str


class ShopWriter:
    def __init__(self, conn: Connection, writes: ShopWrites, shop_zone: str, ids: dict[str, int] | None = None,
                 sku_case: str = "merge"):
        self.conn = conn  # for reading what the shop had before the import
        self.writes = writes
        self.shop_zone = shop_zone
        self.key = sku_key(sku_case)
        self.counts = WriterCounts()
        self.products: dict[str, tuple[int, ProductKind]] = {}  # by self.key(sku)
        self.customers: dict[str, int] = {}
        self.orders: dict[str, int] = {}
        self.preexisting_orders: set[int] = set()
        self._new_products: list[tuple] = []
        self._spellings: dict[int, str] = {}  # product id -> the smallest spelling of its code seen
        self._respelled: set[int] = set()  # products whose stored code a smaller spelling replaces
        self._new_customers: dict[str, set[str]] = {}  # number -> countries seen
        self._unwritten_customers: list[tuple] = []
        self._new_orders: list[tuple] = []
        self._invoice_heads: list[tuple] = []  # orders already there, as this import's files give them
        # Orders already there whose head is staged: an invoice's first row gives it, as its first
        # row gives a new order's (a later row naming another country or minute changes neither).
        self._headed: set[int] = set()
        self.descriptions: dict[str, int] = {}  # a line's description as written -> line_description id
        self._new_descriptions: list[tuple[int, str]] = []
        self._ids = dict(ids) if ids else first_ids(conn)
        self.first_new_order_id = self._ids["shop_order"]
        # The catalogue and the descriptions are small: all in memory. Customers and orders are
        # looked up as they first appear (a batch at a time where the reader prefetches), and
        # only if the shop had any before.
        for sku, pid, kind in row_tuples(conn.execute(text("SELECT sku, id, kind FROM product ORDER BY id"))):
            self.products.setdefault(self.key(sku), (pid, ProductKind(kind)))
            self._spellings.setdefault(pid, sku)
        for description, did in row_tuples(conn.execute(text("SELECT text, id FROM line_description"))):
            self.descriptions[description] = did
        self._had_customers = self._ids["customer"] > 1
        self._had_orders = self._ids["shop_order"] > 1
        # A client-server database answers each lookup in a round trip: the reader batches them.
        self.lookups_are_round_trips = conn.dialect.name != "sqlite" and (self._had_customers or self._had_orders)
        self._absent_customers: set[str] = set()  # numbers the last prefetch looked up and did not find
        self._absent_orders: set[str] = set()
        self._cursor = driver_connection(conn).cursor()
        self._mark = "?" if conn.dialect.name == "sqlite" else "%s"

    # --- lookups, one query per batch of unknown keys -------------------------------------

    def product(self, sku: str) -> tuple[int, ProductKind] | None:
        return self.products.get(self.key(sku))

    def prefetch(self, skus: set[str], customer_numbers: set[str], order_numbers: set[str]) -> None:
        """Products are all in memory already; customers and orders by batches of numbers. Until
        the next prefetch, a number it did not find is not looked up again."""
        customer_numbers = customer_numbers - self.customers.keys() if self._had_customers else set()
        self._lookup("SELECT customer_number, id FROM customer WHERE customer_number IN :keys", customer_numbers,
                     lambda row: self.customers.__setitem__(row[0], row[1]))
        self._absent_customers = customer_numbers - self.customers.keys()

        def known_order(row):
            self.orders[row[0]] = row[1]
            self.preexisting_orders.add(row[1])
        order_numbers = order_numbers - self.orders.keys() if self._had_orders else set()
        self._lookup("SELECT number, id FROM shop_order WHERE number IN :keys", order_numbers, known_order)
        self._absent_orders = order_numbers - self.orders.keys()

    def _lookup(self, sql: str, keys: set[str], store) -> None:
        if not keys:
            return
        statement = text(sql).bindparams(bindparam("keys", expanding=True))
        for batch in _batches(sorted(keys)):
            for row in self.conn.execute(statement, {"keys": batch}):
                store(row)

    # --- what an accepted row needs ---------------------------------------------------------

    def product_id(self, sku: str, description: str, unit_price_cents: int) -> int:
        """The product's id, creating it if this accepted line is its first. Its name and price
        are provisional until crm_tui.importing.history settles them from every valid sale."""
        known = self.products.get(self.key(sku))
        if known is not None:
            pid = known[0]
            if sku < self._spellings.get(pid, sku):
                self._spellings[pid] = sku
                self._respelled.add(pid)
            return pid
        description = description.strip()
        pid = self._take_id("product")
        kind = product_kind(sku, description)
        self.products[self.key(sku)] = (pid, kind)
        self._spellings[pid] = sku
        self._new_products.append((pid, sku, description or sku, "", "", max(unit_price_cents, 0), 0, 5,
                                   True, kind.value, True, False, db_datetime(self.conn, utc_now())))
        self.counts.products_created += 1
        return pid

    def description_id(self, description: str) -> int:
        did = self.descriptions.get(description)
        if did is None:
            did = self.descriptions[description] = self._take_id("line_description")
            self._new_descriptions.append((did, description))
        return did

    def customer(self, number: str, country: str | None, at: datetime) -> int:
        """A customer a transaction-line import creates takes registration and country from
        their orders (settled after the import, from all of them)."""
        seen = self._new_customers.get(number)
        if seen is not None:
            if country:
                seen.add(country)
            return self.customers[number]
        known = self.customers.get(number)
        if known is None and self._had_customers and number not in self._absent_customers:
            known = self._find("SELECT id FROM customer WHERE customer_number = {}", number)
            if known is not None:
                self.customers[number] = known
        if known is not None:
            return known
        cid = self._take_id("customer")
        self.customers[number] = cid
        self._new_customers[number] = {country} if country else set()
        when = db_datetime(self.conn, at)
        self._unwritten_customers.append((cid, number, "", "", "", "", "", country or "",
                                          self._zone(country) if country else self.shop_zone,
                                          language_for(country), when, when, when, 0, 1, True))
        self.counts.customers_created += 1
        return cid

    def order(self, number: str, customer_id: int | None, placed_at: datetime, cancellation: bool,
              country: str | None = None) -> int:
        known = self.orders.get(number)
        if known is None and self._had_orders and number not in self._absent_orders:
            known = self._find("SELECT id FROM shop_order WHERE number = {}", number)
            if known is not None:
                self.orders[number] = known
                self.preexisting_orders.add(known)
        if known is not None:
            if known in self.preexisting_orders and known not in self._headed:
                self._headed.add(known)
                self._invoice_heads.append((known, customer_id, db_datetime(self.conn, placed_at), country))
            return known
        oid = self._take_id("shop_order")
        self.orders[number] = oid
        status = "cancelled" if cancellation else "delivered"
        self._new_orders.append((oid, number, customer_id, db_datetime(self.conn, placed_at), status, "web", 0,
                                 0, 0, 0, country))
        self.counts.orders_created += 1
        return oid

    # --- single records from the crm CSV set (written at once: a later row may update them) ---

    def new_product(self, sku: str, values: dict) -> int:
        pid = self._take_id("product")
        self.writes.insert("product", ("id", "sku", *values, "created_at"),
                    [(pid, sku, *values.values(), db_datetime(self.conn, utc_now()))])
        self.products[self.key(sku)] = (pid, ProductKind(values["kind"]))
        self._spellings[pid] = sku
        self.counts.products_created += 1
        return pid

    def _zone(self, country: str, postcode: str = "") -> str:
        """A new customer's time zone from their address, counting those whose country has
        several zones and no postcode rule (the import warns: their calling hours may be off)."""
        zone = time_zone_for(country, postcode)
        if zone_is_a_guess(country) and not (postcode.strip() and country.upper() in ZONE_FROM_POSTCODE):
            self.counts.guessed_zones[country] = self.counts.guessed_zones.get(country, 0) + 1
        return zone

    def new_customer(self, number: str, values: dict, registered_at: datetime) -> int:
        cid = self._take_id("customer")
        values = {k: db_datetime(self.conn, v) if isinstance(v, datetime) else v for k, v in values.items()}
        when = db_datetime(self.conn, registered_at)
        self.writes.insert("customer",
                    ("id", "customer_number", *values, "time_zone", "registered_at", "created_at", "updated_at",
                     "discount_percent", "version"),
                    [(cid, number, *values.values(), self._zone(values["country"], values["postcode"]),
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

    def write_lines(self, new_order_lines: Sequence[int], preexisting_order_lines: Sequence[int],
                    replace: bool = False) -> None:
        """Write what the lines need, then the lines: flat sequences of LINE_COLUMNS values.
        With replace (transaction-line files), the lines of orders already there are the
        invoice's new truth, settled after the import; otherwise they are added."""
        self._write_entities()
        self.writes.lines(new_order_lines, preexisting_order_lines, replace)

    def _write_entities(self) -> None:
        descriptions, self._new_descriptions = self._new_descriptions, []
        products, self._new_products = self._new_products, []
        customers, self._unwritten_customers = self._unwritten_customers, []
        orders, self._new_orders = self._new_orders, []
        heads, self._invoice_heads = self._invoice_heads, []
        self.writes.insert("line_description", ("id", "text"), descriptions)
        self.writes.insert("product",
                    ("id", "sku", "name", "description", "category", "unit_price_cents", "stock_quantity",
                     "low_stock_threshold", "active", "kind", "name_from_sales", "stock_tracked", "created_at"),
                    products)
        self.writes.insert("customer",
                    ("id", "customer_number", "first_name", "last_name", "street", "postcode", "city", "country",
                     "time_zone", "preferred_language", "registered_at", "created_at", "updated_at",
                     "discount_percent", "version", "facts_from_orders"), customers)
        self.writes.insert("shop_order",
                    ("id", "number", "customer_id", "placed_at", "status", "channel", "discount_percent",
                     "subtotal_cents", "discount_cents", "total_cents", "country"), orders)
        self.writes.insert(INVOICE_HEAD_STAGE, INVOICE_HEAD_COLUMNS, heads)

    def finish(self) -> None:
        """Write what is still buffered, and the smallest spelling of each product code seen
        (deterministic whatever the order of files)."""
        self._write_entities()
        renames = [{"id": pid, "sku": self._spellings[pid]} for pid in sorted(self._respelled)]
        if renames:
            self.writes.execute(
                "UPDATE product SET sku = :sku WHERE id = :id AND sku > :sku "
                "AND NOT EXISTS (SELECT 1 FROM product p WHERE p.sku = :sku)", renames)
        self.counts.customers_with_several_countries = sum(
            1 for countries in self._new_customers.values() if len(countries) > 1)


def first_ids(conn: Connection) -> dict[str, int]:
    return {t: next_id(conn, t) for t in ("product", "customer", "shop_order", "line_description")}


def language_for(country: str | None) -> str:
    return "es" if country in _SPANISH_SPEAKING else "en"


_SPANISH_SPEAKING = {"ES", "MX", "AR", "CO", "CL", "PE", "VE", "EC", "GT", "CU", "BO", "DO", "HN", "PY",
                     "SV", "NI", "CR", "PA", "UY", "PR"}
