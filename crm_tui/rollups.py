"""Sales roll-ups: per day, product and customer, kept equal to the raw order lines.

Every writer keeps them: triggers on shop_order and order_line (the web shop, phone orders,
cancellations), and on a customer's country (their figures move with them). The tables and
triggers are the schema's: migrations 0005-0007 define SQLite's, 0010 PostgreSQL's, and this
module holds no DDL (the database is at the head revision whenever it runs: open_database
migrates). A large import suspends the line triggers inside its own transaction and rebuilds the
months it touched set-based instead (`suspend`, `rebuild`, `resume`). On SQLite suspending drops
them: their own SQL, read from sqlite_master before they are dropped, creates them again, so they
come back exactly as they were; on PostgreSQL it sets a transaction-local setting the trigger
functions obey. Either way a crash (a rolled back transaction) leaves them as they were.

Definitions: a day or month is UTC; a document whose status is cancelled or returned is a
cancellation, any other an order; gross is the sum of line totals (quantity x unit price) with
a positive quantity, cancellations those with a negative one, net their sum; country is the
customer's ('' for guests).
"""

from sqlalchemy import Connection, text

from crm_tui.sql_dialect import day_of

ALL_TABLES = ("sales_day", "sales_product_day", "sales_product_month", "sales_customer_day", "sales_customer_month",
              "customer_first_purchase", "sales_month_customers", "sales_customer_total")
# The import suspends these: it rebuilds what it touched set-based.
BULK_TRIGGERS = ("rollup_order_insert", "rollup_line_insert", "rollup_line_delete",
                 "callback_priority_total_insert", "callback_priority_total_update")
# rebuild() recounts the buying customers per month at once instead of through these.
MONTH_CUSTOMER_TRIGGERS = ("rollup_month_customer_insert", "rollup_month_customer_update")
# Where suspend() keeps the SQL of the triggers it dropped until resume(): the connection's info.
_SUSPENDED = "crm_tui.rollups.suspended"

# The callback queue's priority from a customer's lifetime gross (as migration 0014 sets it).
CALLBACK_PRIORITY = ("coalesce((SELECT CASE WHEN t.gross_cents >= 100000 THEN 3 WHEN t.gross_cents >= 25000 "
                     "THEN 2 WHEN t.gross_cents > 0 THEN 1 ELSE 0 END FROM sales_customer_total t "
                     "WHERE t.customer_id = callback_request.customer_id), 0)")
IS_ORDER = "(CASE WHEN o.status IN ('cancelled', 'returned') THEN 0 ELSE 1 END)"
COUNTRY = "coalesce(c.country, o.country, '')"
# rebuild()'s working tables: the orders rebuilt, and their lines summed.
_ORDER_FACTS = {"rollup_order": "id INTEGER PRIMARY KEY, day TEXT NOT NULL, country TEXT NOT NULL, "
                                "channel TEXT NOT NULL, customer_id INTEGER, is_order INTEGER NOT NULL",
                "rollup_order_lines": "id INTEGER PRIMARY KEY, units BIGINT NOT NULL, gross BIGINT NOT NULL, "
                                      "cancel BIGINT NOT NULL, net BIGINT NOT NULL"}
# PostgreSQL's trigger functions obey these settings (migration 0010), local to a transaction.
_PG_SETTINGS = {BULK_TRIGGERS: "crm_tui.rollups_suspended", MONTH_CUSTOMER_TRIGGERS: "crm_tui.month_customers_suspended"}


def _trigger_sql(conn: Connection, name: str) -> str | None:
    return conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                        {"name": name}).scalar()


def _drop_triggers(conn: Connection, names: tuple[str, ...]) -> dict[str, str]:
    """Drop the triggers; what creates each again, as the schema holds it. PostgreSQL: switch
    them off for the rest of the transaction instead."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT set_config(:name, 'on', true)"), {"name": _PG_SETTINGS[names]})
        return {_PG_SETTINGS[names]: ""}
    dropped = {}
    for name in names:
        if (sql := _trigger_sql(conn, name)) is not None:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
            dropped[name] = sql
    return dropped


def _create_triggers(conn: Connection, triggers: dict[str, str]) -> None:
    if conn.dialect.name == "postgresql":
        for setting in triggers:
            conn.execute(text("SELECT set_config(:name, 'off', true)"), {"name": setting})
        return
    for name, sql in triggers.items():
        if _trigger_sql(conn, name) is None:
            conn.exec_driver_sql(sql)


def suspend(conn: Connection) -> None:
    """Inside the caller's transaction: rebuild() and resume() before it commits."""
    conn.info.setdefault(_SUSPENDED, {}).update(_drop_triggers(conn, BULK_TRIGGERS))


def resume(conn: Connection) -> None:
    """The triggers suspend() dropped on this connection, back as they were."""
    _create_triggers(conn, conn.info.pop(_SUSPENDED, {}))


def _count_month_customers(conn: Connection, params: dict) -> None:
    conn.execute(text("DELETE FROM sales_month_customers WHERE month BETWEEN :first AND :last"), params)
    conn.execute(text(
        "INSERT INTO sales_month_customers SELECT s.month, coalesce(c.country, ''), count(*) "
        "FROM sales_customer_month s LEFT JOIN customer c ON c.id = s.customer_id "
        "WHERE s.month BETWEEN :first AND :last AND s.orders > 0 GROUP BY 1, 2"), params)


def _month_bounds(first_day: str | None, last_day: str | None) -> dict[str, str]:
    """Whole months: from the first day of first_day's month to the first day after last_day's."""
    if not (first_day and last_day):
        # Not "0000"/"9999": the DATETIME column's numeric affinity would compare those as numbers.
        return {"first": "0001-01", "last": "9999-12", "from": "0001-01-01", "to": "9999-12-31"}
    year, month = int(last_day[:4]), int(last_day[5:7])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}-01"
    return {"first": first_day[:7], "last": last_day[:7], "from": first_day[:7] + "-01", "to": after}


def rebuild(conn: Connection, first_day: str | None = None, last_day: str | None = None) -> None:
    """Recompute the roll-ups of the months from first_day to last_day (all when None) from the
    raw lines, set-based; then every customer's first purchase, the months' buying customers and
    the lifetime totals of those who bought in them."""
    params = _month_bounds(first_day, last_day)
    day = day_of(conn, "o.placed_at")
    for table, key in (("sales_day", "day"), ("sales_product_day", "day"), ("sales_customer_day", "day"),
                       ("sales_product_month", "month"), ("sales_customer_month", "month")):
        conn.execute(text(f"DELETE FROM {table} WHERE substr({key}, 1, 7) BETWEEN :first AND :last"), params)
    # Each order's day, country, channel and customer once, and its lines summed once (a pass
    # along the lines' primary key): the roll-ups group these instead of joining every line.
    for table, columns in _ORDER_FACTS.items():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {table} ({columns})")
    conn.execute(text(
        f"INSERT INTO rollup_order SELECT o.id, {day}, {COUNTRY}, o.channel, o.customer_id, {IS_ORDER} "
        "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id "
        "WHERE o.placed_at >= :from AND o.placed_at < :to"), params)
    conn.exec_driver_sql(
        "INSERT INTO rollup_order_lines SELECT l.order_id, sum(CASE WHEN l.quantity > 0 THEN l.quantity ELSE 0 END), "
        "sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
        "sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) "
        "FROM order_line l WHERE l.order_id IN (SELECT id FROM rollup_order) GROUP BY l.order_id")
    summed = "FROM rollup_order_lines t JOIN rollup_order o ON o.id = t.id"
    # The largest roll-up (a row per product, day and country) is written in its key's order: a
    # third faster on PostgreSQL, whose index then grows at its right edge.
    statements = [
        "INSERT INTO sales_day SELECT day, country, channel, sum(is_order), sum(1 - is_order), 0, 0, 0, 0 "
        "FROM rollup_order GROUP BY 1, 2, 3",
        f"INSERT INTO sales_day SELECT o.day, o.country, o.channel, 0, 0, sum(t.units), sum(t.gross), sum(t.cancel), "
        f"sum(t.net) {summed} GROUP BY 1, 2, 3 ON CONFLICT (day, country, channel) DO UPDATE SET "
        "units = excluded.units, gross_cents = excluded.gross_cents, cancel_cents = excluded.cancel_cents, "
        "net_cents = excluded.net_cents",
        "INSERT INTO sales_product_day SELECT o.day, l.product_id, o.country, sum(l.quantity), sum(l.line_total_cents) "
        "FROM rollup_order o JOIN order_line l ON l.order_id = o.id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "INSERT INTO sales_customer_day SELECT day, customer_id, sum(is_order), 0 FROM rollup_order "
        "WHERE customer_id IS NOT NULL GROUP BY 1, 2",
        f"INSERT INTO sales_customer_day SELECT o.day, o.customer_id, 0, sum(t.net) {summed} "
        "WHERE o.customer_id IS NOT NULL GROUP BY 1, 2 ON CONFLICT (day, customer_id) DO UPDATE SET "
        "net_cents = excluded.net_cents",
        # The months from the days just written: a pass over fewer rows, with no joins.
        "INSERT INTO sales_product_month SELECT substr(day, 1, 7), product_id, country, sum(units), sum(net_cents) "
        "FROM sales_product_day WHERE day >= :from AND day < :to GROUP BY 1, 2, 3",
        "INSERT INTO sales_customer_month SELECT substr(day, 1, 7), customer_id, sum(orders), sum(net_cents) "
        "FROM sales_customer_day WHERE day >= :from AND day < :to GROUP BY 1, 2",
    ]
    # The buying customers are recounted below at once, rather than row by row by their triggers.
    counters = _drop_triggers(conn, MONTH_CUSTOMER_TRIGGERS)
    for statement in statements:
        conn.execute(text(statement), params)
    for table in _ORDER_FACTS:
        conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.execute(text("DELETE FROM customer_first_purchase"))
    conn.execute(text("INSERT INTO customer_first_purchase SELECT customer_id, min(month) FROM sales_customer_month "
                      "WHERE orders > 0 GROUP BY customer_id"))
    _count_month_customers(conn, params)
    _create_triggers(conn, counters)
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
    # Their open callbacks' priority follows (migration 0014's triggers do it row by row).
    conn.execute(text(
        f"UPDATE callback_request SET priority = {CALLBACK_PRIORITY} WHERE status IN ('pending', 'claimed') "
        f"AND customer_id IN ({who})"), params)
