"""Sales roll-ups: per day, product and customer, kept equal to the raw order lines.

Every writer keeps them: SQLite triggers on shop_order and order_line (the web shop, phone
orders, cancellations), and on a customer's country (their figures move with them). A large
import drops the line triggers inside its own transaction and rebuilds the months it touched
set-based instead (`suspend` / `rebuild`); a crash leaves the triggers as they were.

Definitions: a day or month is UTC; a document whose status is cancelled or returned is a
cancellation, any other an order; gross is the sum of line totals (quantity x unit price) with
a positive quantity, cancellations those with a negative one, net their sum; country is the
customer's ('' for guests).
"""

from sqlalchemy import Connection, text

TABLES = {
    "sales_day": "day TEXT NOT NULL, country TEXT NOT NULL, channel TEXT NOT NULL, orders INTEGER NOT NULL, "
                 "cancellations INTEGER NOT NULL, units INTEGER NOT NULL, gross_cents INTEGER NOT NULL, "
                 "cancel_cents INTEGER NOT NULL, net_cents INTEGER NOT NULL, PRIMARY KEY (day, country, channel)",
    "sales_product_day": "day TEXT NOT NULL, product_id INTEGER NOT NULL, country TEXT NOT NULL, "
                         "units INTEGER NOT NULL, net_cents INTEGER NOT NULL, PRIMARY KEY (day, product_id, country)",
    "sales_product_month": "month TEXT NOT NULL, product_id INTEGER NOT NULL, country TEXT NOT NULL, "
                           "units INTEGER NOT NULL, net_cents INTEGER NOT NULL, "
                           "PRIMARY KEY (month, product_id, country)",
    "sales_customer_day": "day TEXT NOT NULL, customer_id INTEGER NOT NULL, orders INTEGER NOT NULL, "
                          "net_cents INTEGER NOT NULL, PRIMARY KEY (day, customer_id)",
    "sales_customer_month": "month TEXT NOT NULL, customer_id INTEGER NOT NULL, orders INTEGER NOT NULL, "
                            "net_cents INTEGER NOT NULL, PRIMARY KEY (month, customer_id)",
    "customer_first_purchase": "customer_id INTEGER NOT NULL PRIMARY KEY, month TEXT NOT NULL",
}
INDEXES = ["CREATE INDEX ix_customer_first_purchase_month ON customer_first_purchase (month)"]
# Migration 0006: distinct buying customers per month and country, and the customers' roll-up in
# customer order (a top list groups by customer without sorting).
MONTH_CUSTOMERS = ("sales_month_customers", "month TEXT NOT NULL, country TEXT NOT NULL, customers INTEGER NOT NULL, "
                                            "PRIMARY KEY (month, country)")
MONTH_CUSTOMERS_INDEXES = ["CREATE INDEX ix_sales_customer_month_customer ON sales_customer_month "
                           "(customer_id, month, orders, net_cents)"]
_CUSTOMER_COUNTRY = "coalesce((SELECT country FROM customer WHERE id = NEW.customer_id), '')"

IS_ORDER = "(o.status NOT IN ('cancelled', 'returned'))"
COUNTRY = "coalesce(c.country, '')"
DAY = "substr(o.placed_at, 1, 10)"
MONTH = "substr(o.placed_at, 1, 7)"


def _line_upserts(sign: str, line: str) -> list[str]:
    """The statements one order line (NEW or OLD) adds to (+) or takes from (-) the roll-ups."""
    source = (f"FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = {line}.order_id")
    q, total = f"{line}.quantity", f"{line}.line_total_cents"
    return [
        f"INSERT INTO sales_day SELECT {DAY}, {COUNTRY}, o.channel, 0, 0, {sign}max({q}, 0), "
        f"{sign}(CASE WHEN {q} > 0 THEN {total} ELSE 0 END), {sign}(CASE WHEN {q} < 0 THEN {total} ELSE 0 END), "
        f"{sign}{total} {source} ON CONFLICT DO UPDATE SET units = units + excluded.units, "
        "gross_cents = gross_cents + excluded.gross_cents, cancel_cents = cancel_cents + excluded.cancel_cents, "
        "net_cents = net_cents + excluded.net_cents",
        *[f"INSERT INTO sales_product_{grain} SELECT {key}, {line}.product_id, {COUNTRY}, {sign}{q}, {sign}{total} "
          f"{source} ON CONFLICT DO UPDATE SET units = units + excluded.units, "
          "net_cents = net_cents + excluded.net_cents" for grain, key in (("day", DAY), ("month", MONTH))],
        *[f"INSERT INTO sales_customer_{grain} SELECT {key}, o.customer_id, 0, {sign}{total} {source} "
          "AND o.customer_id IS NOT NULL ON CONFLICT DO UPDATE SET net_cents = net_cents + excluded.net_cents"
          for grain, key in (("day", DAY), ("month", MONTH))],
        f"INSERT INTO sales_customer_total SELECT o.customer_id, {sign}max({total}, 0) {source} "
        f"AND o.customer_id IS NOT NULL AND {q} > 0 "
        "ON CONFLICT DO UPDATE SET gross_cents = gross_cents + excluded.gross_cents",
    ]


def _order_upserts() -> list[str]:
    source = "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = NEW.id"
    return [
        f"INSERT INTO sales_day SELECT {DAY}, {COUNTRY}, o.channel, {IS_ORDER}, NOT {IS_ORDER}, 0, 0, 0, 0 {source} "
        "ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, "
        "cancellations = cancellations + excluded.cancellations",
        *[f"INSERT INTO sales_customer_{grain} SELECT {key}, o.customer_id, {IS_ORDER}, 0 {source} "
          "AND o.customer_id IS NOT NULL ON CONFLICT DO UPDATE SET orders = orders + excluded.orders"
          for grain, key in (("day", DAY), ("month", MONTH))],
        f"INSERT INTO customer_first_purchase SELECT o.customer_id, {MONTH} {source} AND o.customer_id IS NOT NULL "
        f"AND {IS_ORDER} ON CONFLICT DO UPDATE SET month = min(month, excluded.month)",
    ]


def _country_moves(sign: str, country: str) -> list[str]:
    """A customer's figures in the country-keyed roll-ups, taken from (-) or added to (+) `country`."""
    lines = ("FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE o.customer_id = NEW.id "
             "GROUP BY 1, 3")
    return [
        f"INSERT INTO sales_day SELECT {DAY}, {country}, o.channel, 0, 0, "
        f"{sign}sum(max(l.quantity, 0)), {sign}sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
        f"{sign}sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), {sign}sum(l.line_total_cents) "
        f"{lines} ON CONFLICT DO UPDATE SET units = units + excluded.units, "
        "gross_cents = gross_cents + excluded.gross_cents, cancel_cents = cancel_cents + excluded.cancel_cents, "
        "net_cents = net_cents + excluded.net_cents",
        f"INSERT INTO sales_day SELECT {DAY}, {country}, o.channel, {sign}sum({IS_ORDER}), {sign}sum(NOT {IS_ORDER}), "
        "0, 0, 0, 0 FROM shop_order o WHERE o.customer_id = NEW.id GROUP BY 1, 3 "
        "ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, "
        "cancellations = cancellations + excluded.cancellations",
        *[f"INSERT INTO sales_product_{grain} SELECT {key}, l.product_id, {country}, {sign}sum(l.quantity), "
          f"{sign}sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id "
          "WHERE o.customer_id = NEW.id GROUP BY 1, 2 ON CONFLICT DO UPDATE SET units = units + excluded.units, "
          "net_cents = net_cents + excluded.net_cents" for grain, key in (("day", DAY), ("month", MONTH))],
    ]


TRIGGERS = {
    "rollup_order_insert": "AFTER INSERT ON shop_order BEGIN {} END".format(
        " ".join(s + ";" for s in _order_upserts())),
    "rollup_line_insert": "AFTER INSERT ON order_line BEGIN {} END".format(
        " ".join(s + ";" for s in _line_upserts("", "NEW"))),
    "rollup_line_delete": "AFTER DELETE ON order_line BEGIN {} END".format(
        " ".join(s + ";" for s in _line_upserts("-", "OLD"))),
    "rollup_customer_country": ("AFTER UPDATE OF country ON customer WHEN OLD.country IS NOT NEW.country BEGIN {} END"
                                .format(" ".join(s + ";" for s in _country_moves("-", "coalesce(OLD.country, '')")
                                                 + _country_moves("", "coalesce(NEW.country, '')")))),
}
SALES_TRIGGERS = tuple(TRIGGERS)  # migration 0005's (0007 redefines the line ones)
# Migration 0007: each customer's gross purchases ever, an upper bound of what they bought in any
# range: a top list reads customers from the biggest down and stops when no one left can enter.
CUSTOMER_TOTAL = ("sales_customer_total", "customer_id INTEGER NOT NULL PRIMARY KEY, gross_cents INTEGER NOT NULL")
CUSTOMER_TOTAL_INDEX = "CREATE INDEX ix_sales_customer_total_gross ON sales_customer_total (gross_cents)"
ALL_TABLES = (*TABLES, MONTH_CUSTOMERS[0], CUSTOMER_TOTAL[0])

MONTH_CUSTOMER_TRIGGERS = {
    "rollup_month_customer_insert": (
        "AFTER INSERT ON sales_customer_month WHEN NEW.orders > 0 BEGIN "
        f"INSERT INTO sales_month_customers VALUES (NEW.month, {_CUSTOMER_COUNTRY}, 1) "
        "ON CONFLICT DO UPDATE SET customers = customers + 1; END"),
    "rollup_month_customer_update": (
        "AFTER UPDATE OF orders ON sales_customer_month WHEN (OLD.orders > 0) <> (NEW.orders > 0) BEGIN "
        f"INSERT INTO sales_month_customers VALUES (NEW.month, {_CUSTOMER_COUNTRY}, "
        "CASE WHEN NEW.orders > 0 THEN 1 ELSE -1 END) ON CONFLICT DO UPDATE SET customers = customers + "
        "excluded.customers; END"),
    "rollup_month_customer_country": (
        "AFTER UPDATE OF country ON customer WHEN OLD.country IS NOT NEW.country BEGIN "
        + " ".join(f"INSERT INTO sales_month_customers SELECT month, coalesce({side}.country, ''), {sign}count(*) "
                   "FROM sales_customer_month WHERE customer_id = NEW.id AND orders > 0 GROUP BY month "
                   "ON CONFLICT DO UPDATE SET customers = customers + excluded.customers;"
                   for side, sign in (("OLD", "-"), ("NEW", "")))
        + " END"),
}
TRIGGERS |= MONTH_CUSTOMER_TRIGGERS

# The import suspends these: it rebuilds what it touched set-based.
BULK_TRIGGERS = ("rollup_order_insert", "rollup_line_insert", "rollup_line_delete")


def create_month_customers(conn: Connection) -> None:
    """Migration 0006: the table, its index, its triggers, and its figures."""
    conn.execute(text(f"CREATE TABLE {MONTH_CUSTOMERS[0]} ({MONTH_CUSTOMERS[1]}) WITHOUT ROWID"))
    for statement in MONTH_CUSTOMERS_INDEXES:
        conn.execute(text(statement))
    _count_month_customers(conn, {"first": "0000-01", "last": "9999-12"})
    create_triggers(conn, tuple(MONTH_CUSTOMER_TRIGGERS))


def _count_month_customers(conn: Connection, params: dict) -> None:
    conn.execute(text("DELETE FROM sales_month_customers WHERE month BETWEEN :first AND :last"), params)
    conn.execute(text(
        "INSERT INTO sales_month_customers SELECT s.month, coalesce(c.country, ''), count(*) "
        "FROM sales_customer_month s LEFT JOIN customer c ON c.id = s.customer_id "
        "WHERE s.month BETWEEN :first AND :last AND s.orders > 0 GROUP BY 1, 2"), params)


def create_tables(conn: Connection) -> None:
    for name, columns in TABLES.items():
        conn.execute(text(f"CREATE TABLE {name} ({columns}) WITHOUT ROWID"))
    for statement in INDEXES:
        conn.execute(text(statement))


def create_triggers(conn: Connection, names=tuple(TRIGGERS)) -> None:
    for name in names:
        conn.execute(text(f"CREATE TRIGGER IF NOT EXISTS {name} {TRIGGERS[name]}"))


def suspend(conn: Connection) -> None:
    """Inside the caller's transaction: rebuild() and resume() before it commits."""
    for name in BULK_TRIGGERS:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


def resume(conn: Connection) -> None:
    create_triggers(conn, BULK_TRIGGERS)


def _month_bounds(first_day: str | None, last_day: str | None) -> dict[str, str]:
    """Whole months: from the first day of first_day's month to the first day after last_day's."""
    if not (first_day and last_day):
        # Not "0000"/"9999": the DATETIME column's numeric affinity would compare those as numbers.
        return {"first": "0000-01", "last": "9999-12", "from": "0000-01-01", "to": "9999-12-31"}
    year, month = int(last_day[:4]), int(last_day[5:7])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"
    return {"first": first_day[:7], "last": last_day[:7], "from": first_day[:7] + "-01", "to": after}


def rebuild(conn: Connection, first_day: str | None = None, last_day: str | None = None) -> None:
    """Recompute the roll-ups of the months from first_day to last_day (all when None) from the
    raw lines, set-based; then every customer's first purchase."""
    params = _month_bounds(first_day, last_day)
    for table, key in (("sales_day", "day"), ("sales_product_day", "day"), ("sales_customer_day", "day"),
                       ("sales_product_month", "month"), ("sales_customer_month", "month")):
        conn.execute(text(f"DELETE FROM {table} WHERE substr({key}, 1, 7) BETWEEN :first AND :last"), params)
    in_range = "o.placed_at >= :from AND o.placed_at < :to"
    orders = f"FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE {in_range}"
    lines = f"FROM shop_order o JOIN order_line l ON l.order_id = o.id LEFT JOIN customer c ON c.id = o.customer_id " \
            f"WHERE {in_range}"
    statements = [
        f"INSERT INTO sales_day SELECT {DAY}, {COUNTRY}, o.channel, sum({IS_ORDER}), sum(NOT {IS_ORDER}), "
        f"0, 0, 0, 0 {orders} GROUP BY 1, 2, 3",
        f"INSERT INTO sales_day SELECT {DAY}, {COUNTRY}, o.channel, 0, 0, sum(max(l.quantity, 0)), "
        "sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
        "sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) "
        f"{lines} GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET units = excluded.units, "
        "gross_cents = excluded.gross_cents, cancel_cents = excluded.cancel_cents, net_cents = excluded.net_cents",
    ]
    statements += [
        f"INSERT INTO sales_product_day SELECT {DAY}, l.product_id, {COUNTRY}, sum(l.quantity), "
        f"sum(l.line_total_cents) {lines} GROUP BY 1, 2, 3",
        f"INSERT INTO sales_customer_day SELECT {DAY}, o.customer_id, sum({IS_ORDER}), 0 {orders} "
        "AND o.customer_id IS NOT NULL GROUP BY 1, 2",
        f"INSERT INTO sales_customer_day SELECT {DAY}, o.customer_id, 0, sum(l.line_total_cents) {lines} "
        "AND o.customer_id IS NOT NULL GROUP BY 1, 2 ON CONFLICT DO UPDATE SET net_cents = excluded.net_cents",
        # The months from the days just written: a pass over fewer rows, with no joins.
        "INSERT INTO sales_product_month SELECT substr(day, 1, 7), product_id, country, sum(units), sum(net_cents) "
        "FROM sales_product_day WHERE day >= :from AND day < :to GROUP BY 1, 2, 3",
        "INSERT INTO sales_customer_month SELECT substr(day, 1, 7), customer_id, sum(orders), sum(net_cents) "
        "FROM sales_customer_day WHERE day >= :from AND day < :to GROUP BY 1, 2",
    ]
    counted = _has_table(conn, MONTH_CUSTOMERS[0])  # from migration 0006 on
    if counted:  # recounted below at once, rather than row by row by its triggers
        for name in ("rollup_month_customer_insert", "rollup_month_customer_update"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    for statement in statements:
        conn.execute(text(statement), params)
    conn.execute(text("DELETE FROM customer_first_purchase"))
    conn.execute(text("INSERT INTO customer_first_purchase SELECT customer_id, min(month) FROM sales_customer_month "
                      "WHERE orders > 0 GROUP BY customer_id"))
    if counted:
        _count_month_customers(conn, params)
        create_triggers(conn, ("rollup_month_customer_insert", "rollup_month_customer_update"))
    if _has_table(conn, CUSTOMER_TOTAL[0]):  # from migration 0007 on
        _total_customers(conn, params)


def _total_customers(conn: Connection, params: dict) -> None:
    """Recompute the lifetime gross of every customer who bought in the months rebuilt."""
    who = ("SELECT DISTINCT customer_id FROM shop_order WHERE placed_at >= :from AND placed_at < :to "
           "AND customer_id IS NOT NULL")
    conn.execute(text(f"DELETE FROM sales_customer_total WHERE customer_id IN ({who})"), params)
    conn.execute(text(
        "INSERT INTO sales_customer_total SELECT o.customer_id, sum(l.line_total_cents) FROM shop_order o "
        f"JOIN order_line l ON l.order_id = o.id WHERE o.customer_id IN ({who}) AND l.quantity > 0 "
        "GROUP BY 1"), params)


def create_customer_total(conn: Connection) -> None:
    """Migration 0007: the table and its index, filled; the line triggers redefined to keep it."""
    conn.execute(text(f"CREATE TABLE {CUSTOMER_TOTAL[0]} ({CUSTOMER_TOTAL[1]})"))
    conn.execute(text(CUSTOMER_TOTAL_INDEX))
    _total_customers(conn, _month_bounds(None, None))
    for name in ("rollup_line_insert", "rollup_line_delete"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    create_triggers(conn, ("rollup_line_insert", "rollup_line_delete"))


def _has_table(conn: Connection, name: str) -> bool:
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).first() \
        is not None
