"""sales roll-ups by day, product and customer, kept by triggers

Revision ID: 0005
Revises: 0004

Frozen: the tables, triggers and first fill as they were at this revision, written out here and
importing nothing from crm_tui (the live code changes; what this revision did must not). The
roll-ups are SQLite's (WITHOUT ROWID tables, SQLite triggers).

On PostgreSQL only the tables and indexes are made here: 0010 adds PostgreSQL's own triggers
and fills the roll-ups (no PostgreSQL database ever reached this revision before 0010 existed).
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = {
    "sales_day": (
        "CREATE TABLE sales_day (day TEXT NOT NULL, country TEXT NOT NULL, channel TEXT NOT NULL, "
        "orders INTEGER NOT NULL, cancellations INTEGER NOT NULL, units INTEGER NOT NULL, "
        "gross_cents INTEGER NOT NULL, cancel_cents INTEGER NOT NULL, net_cents INTEGER NOT NULL, "
        "PRIMARY KEY (day, country, channel)) WITHOUT ROWID"
    ),
    "sales_product_day": (
        "CREATE TABLE sales_product_day (day TEXT NOT NULL, product_id INTEGER NOT NULL, country TEXT NOT NULL, "
        "units INTEGER NOT NULL, net_cents INTEGER NOT NULL, PRIMARY KEY (day, product_id, country)) WITHOUT ROWID"
    ),
    "sales_product_month": (
        "CREATE TABLE sales_product_month (month TEXT NOT NULL, product_id INTEGER NOT NULL, "
        "country TEXT NOT NULL, units INTEGER NOT NULL, net_cents INTEGER NOT NULL, "
        "PRIMARY KEY (month, product_id, country)) WITHOUT ROWID"
    ),
    "sales_customer_day": (
        "CREATE TABLE sales_customer_day (day TEXT NOT NULL, customer_id INTEGER NOT NULL, "
        "orders INTEGER NOT NULL, net_cents INTEGER NOT NULL, PRIMARY KEY (day, customer_id)) WITHOUT ROWID"
    ),
    "sales_customer_month": (
        "CREATE TABLE sales_customer_month (month TEXT NOT NULL, customer_id INTEGER NOT NULL, "
        "orders INTEGER NOT NULL, net_cents INTEGER NOT NULL, PRIMARY KEY (month, customer_id)) WITHOUT ROWID"
    ),
    "customer_first_purchase": (
        "CREATE TABLE customer_first_purchase (customer_id INTEGER NOT NULL PRIMARY KEY, month TEXT NOT NULL) "
        "WITHOUT ROWID"
    ),
}
INDEXES = ["CREATE INDEX ix_customer_first_purchase_month ON customer_first_purchase (month)"]

# The roll-ups of the orders already in the database: a document whose status is cancelled or
# returned is a cancellation, any other an order; a day or month is the UTC one of placed_at.
FILL = [
    "INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(c.country, ''), o.channel, "
    "sum((o.status NOT IN ('cancelled', 'returned'))), sum(NOT (o.status NOT IN ('cancelled', 'returned'))), "
    "0, 0, 0, 0 FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id GROUP BY 1, 2, 3",
    "INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(c.country, ''), o.channel, 0, 0, "
    "sum(max(l.quantity, 0)), sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
    "sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) "
    "FROM shop_order o JOIN order_line l ON l.order_id = o.id LEFT JOIN customer c ON c.id = o.customer_id "
    "GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET units = excluded.units, gross_cents = excluded.gross_cents, "
    "cancel_cents = excluded.cancel_cents, net_cents = excluded.net_cents",
    "INSERT INTO sales_product_day SELECT substr(o.placed_at, 1, 10), l.product_id, coalesce(c.country, ''), "
    "sum(l.quantity), sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id "
    "LEFT JOIN customer c ON c.id = o.customer_id GROUP BY 1, 2, 3",
    "INSERT INTO sales_customer_day SELECT substr(o.placed_at, 1, 10), o.customer_id, "
    "sum((o.status NOT IN ('cancelled', 'returned'))), 0 FROM shop_order o WHERE o.customer_id IS NOT NULL "
    "GROUP BY 1, 2",
    "INSERT INTO sales_customer_day SELECT substr(o.placed_at, 1, 10), o.customer_id, 0, sum(l.line_total_cents) "
    "FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE o.customer_id IS NOT NULL GROUP BY 1, 2 "
    "ON CONFLICT DO UPDATE SET net_cents = excluded.net_cents",
    "INSERT INTO sales_product_month SELECT substr(day, 1, 7), product_id, country, sum(units), sum(net_cents) "
    "FROM sales_product_day GROUP BY 1, 2, 3",
    "INSERT INTO sales_customer_month SELECT substr(day, 1, 7), customer_id, sum(orders), sum(net_cents) "
    "FROM sales_customer_day GROUP BY 1, 2",
    "INSERT INTO customer_first_purchase SELECT customer_id, min(month) FROM sales_customer_month "
    "WHERE orders > 0 GROUP BY customer_id",
]

# Every writer keeps the roll-ups: an order, each of its lines (a line's delete takes it back),
# and a customer's change of country (their figures move with them).
TRIGGERS = {
    "rollup_order_insert": (
        "CREATE TRIGGER rollup_order_insert AFTER INSERT ON shop_order BEGIN INSERT INTO sales_day SELECT "
        "substr(o.placed_at, 1, 10), coalesce(c.country, ''), o.channel, (o.status NOT IN ('cancelled', 'returned')),"
        " NOT (o.status NOT IN ('cancelled', 'returned')), 0, 0, 0, 0 FROM shop_order o LEFT JOIN customer c ON c.id "
        "= o.customer_id WHERE o.id = NEW.id ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, "
        "cancellations = cancellations + excluded.cancellations; "
        "INSERT INTO sales_customer_day SELECT substr(o.placed_at, 1, 10), o.customer_id, (o.status NOT IN "
        "('cancelled', 'returned')), 0 FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = "
        "NEW.id AND o.customer_id IS NOT NULL ON CONFLICT DO UPDATE SET orders = orders + excluded.orders; "
        "INSERT INTO sales_customer_month SELECT substr(o.placed_at, 1, 7), o.customer_id, (o.status NOT IN "
        "('cancelled', 'returned')), 0 FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = "
        "NEW.id AND o.customer_id IS NOT NULL ON CONFLICT DO UPDATE SET orders = orders + excluded.orders; "
        "INSERT INTO customer_first_purchase SELECT o.customer_id, substr(o.placed_at, 1, 7) FROM shop_order o LEFT "
        "JOIN customer c ON c.id = o.customer_id WHERE o.id = NEW.id AND o.customer_id IS NOT NULL AND (o.status NOT "
        "IN ('cancelled', 'returned')) ON CONFLICT DO UPDATE SET month = min(month, excluded.month); "
        "END"
    ),
    "rollup_line_insert": (
        "CREATE TRIGGER rollup_line_insert AFTER INSERT ON order_line BEGIN INSERT INTO sales_day SELECT "
        "substr(o.placed_at, 1, 10), coalesce(c.country, ''), o.channel, 0, 0, max(NEW.quantity, 0), (CASE WHEN "
        "NEW.quantity > 0 THEN NEW.line_total_cents ELSE 0 END), (CASE WHEN NEW.quantity < 0 THEN "
        "NEW.line_total_cents ELSE 0 END), NEW.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = "
        "o.customer_id WHERE o.id = NEW.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, "
        "gross_cents = gross_cents + excluded.gross_cents, cancel_cents = cancel_cents + excluded.cancel_cents, "
        "net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_product_day SELECT substr(o.placed_at, 1, 10), NEW.product_id, coalesce(c.country, ''), "
        "NEW.quantity, NEW.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id"
        " = NEW.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = net_cents + "
        "excluded.net_cents; "
        "INSERT INTO sales_product_month SELECT substr(o.placed_at, 1, 7), NEW.product_id, coalesce(c.country, ''), "
        "NEW.quantity, NEW.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id"
        " = NEW.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = net_cents + "
        "excluded.net_cents; "
        "INSERT INTO sales_customer_day SELECT substr(o.placed_at, 1, 10), o.customer_id, 0, NEW.line_total_cents "
        "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = NEW.order_id AND o.customer_id "
        "IS NOT NULL ON CONFLICT DO UPDATE SET net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_customer_month SELECT substr(o.placed_at, 1, 7), o.customer_id, 0, NEW.line_total_cents "
        "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = NEW.order_id AND o.customer_id "
        "IS NOT NULL ON CONFLICT DO UPDATE SET net_cents = net_cents + excluded.net_cents; "
        "END"
    ),
    "rollup_line_delete": (
        "CREATE TRIGGER rollup_line_delete AFTER DELETE ON order_line BEGIN INSERT INTO sales_day SELECT "
        "substr(o.placed_at, 1, 10), coalesce(c.country, ''), o.channel, 0, 0, -max(OLD.quantity, 0), -(CASE WHEN "
        "OLD.quantity > 0 THEN OLD.line_total_cents ELSE 0 END), -(CASE WHEN OLD.quantity < 0 THEN "
        "OLD.line_total_cents ELSE 0 END), -OLD.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = "
        "o.customer_id WHERE o.id = OLD.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, "
        "gross_cents = gross_cents + excluded.gross_cents, cancel_cents = cancel_cents + excluded.cancel_cents, "
        "net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_product_day SELECT substr(o.placed_at, 1, 10), OLD.product_id, coalesce(c.country, ''), "
        "-OLD.quantity, -OLD.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE "
        "o.id = OLD.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = net_cents + "
        "excluded.net_cents; "
        "INSERT INTO sales_product_month SELECT substr(o.placed_at, 1, 7), OLD.product_id, coalesce(c.country, ''), "
        "-OLD.quantity, -OLD.line_total_cents FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE "
        "o.id = OLD.order_id ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = net_cents + "
        "excluded.net_cents; "
        "INSERT INTO sales_customer_day SELECT substr(o.placed_at, 1, 10), o.customer_id, 0, -OLD.line_total_cents "
        "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = OLD.order_id AND o.customer_id "
        "IS NOT NULL ON CONFLICT DO UPDATE SET net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_customer_month SELECT substr(o.placed_at, 1, 7), o.customer_id, 0, -OLD.line_total_cents "
        "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = OLD.order_id AND o.customer_id "
        "IS NOT NULL ON CONFLICT DO UPDATE SET net_cents = net_cents + excluded.net_cents; "
        "END"
    ),
    "rollup_customer_country": (
        "CREATE TRIGGER rollup_customer_country AFTER UPDATE OF country ON customer WHEN OLD.country IS NOT "
        "NEW.country BEGIN INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(OLD.country, ''), "
        "o.channel, 0, 0, -sum(max(l.quantity, 0)), -sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 "
        "END), -sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), -sum(l.line_total_cents) FROM "
        "shop_order o JOIN order_line l ON l.order_id = o.id WHERE o.customer_id = NEW.id GROUP BY 1, 3 ON CONFLICT "
        "DO UPDATE SET units = units + excluded.units, gross_cents = gross_cents + excluded.gross_cents, cancel_cents"
        " = cancel_cents + excluded.cancel_cents, net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(OLD.country, ''), o.channel, "
        "-sum((o.status NOT IN ('cancelled', 'returned'))), -sum(NOT (o.status NOT IN ('cancelled', 'returned'))), 0,"
        " 0, 0, 0 FROM shop_order o WHERE o.customer_id = NEW.id GROUP BY 1, 3 ON CONFLICT DO UPDATE SET orders = "
        "orders + excluded.orders, cancellations = cancellations + excluded.cancellations; "
        "INSERT INTO sales_product_day SELECT substr(o.placed_at, 1, 10), l.product_id, coalesce(OLD.country, ''), "
        "-sum(l.quantity), -sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE "
        "o.customer_id = NEW.id GROUP BY 1, 2 ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = "
        "net_cents + excluded.net_cents; "
        "INSERT INTO sales_product_month SELECT substr(o.placed_at, 1, 7), l.product_id, coalesce(OLD.country, ''), "
        "-sum(l.quantity), -sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE "
        "o.customer_id = NEW.id GROUP BY 1, 2 ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = "
        "net_cents + excluded.net_cents; "
        "INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(NEW.country, ''), o.channel, 0, 0, "
        "sum(max(l.quantity, 0)), sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), sum(CASE WHEN "
        "l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) FROM shop_order o JOIN "
        "order_line l ON l.order_id = o.id WHERE o.customer_id = NEW.id GROUP BY 1, 3 ON CONFLICT DO UPDATE SET units"
        " = units + excluded.units, gross_cents = gross_cents + excluded.gross_cents, cancel_cents = cancel_cents + "
        "excluded.cancel_cents, net_cents = net_cents + excluded.net_cents; "
        "INSERT INTO sales_day SELECT substr(o.placed_at, 1, 10), coalesce(NEW.country, ''), o.channel, sum((o.status"
        " NOT IN ('cancelled', 'returned'))), sum(NOT (o.status NOT IN ('cancelled', 'returned'))), 0, 0, 0, 0 FROM "
        "shop_order o WHERE o.customer_id = NEW.id GROUP BY 1, 3 ON CONFLICT DO UPDATE SET orders = orders + "
        "excluded.orders, cancellations = cancellations + excluded.cancellations; "
        "INSERT INTO sales_product_day SELECT substr(o.placed_at, 1, 10), l.product_id, coalesce(NEW.country, ''), "
        "sum(l.quantity), sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE "
        "o.customer_id = NEW.id GROUP BY 1, 2 ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = "
        "net_cents + excluded.net_cents; "
        "INSERT INTO sales_product_month SELECT substr(o.placed_at, 1, 7), l.product_id, coalesce(NEW.country, ''), "
        "sum(l.quantity), sum(l.line_total_cents) FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE "
        "o.customer_id = NEW.id GROUP BY 1, 2 ON CONFLICT DO UPDATE SET units = units + excluded.units, net_cents = "
        "net_cents + excluded.net_cents; "
        "END"
    ),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in TABLES.values():
        op.execute(statement if sqlite else statement.replace(" WITHOUT ROWID", ""))
    for statement in INDEXES:
        op.execute(statement)
    op.create_index('ix_shop_order_taken_by', 'shop_order', ['taken_by'], unique=False)
    if not sqlite:
        return
    for statement in FILL:
        op.execute(statement)
    for statement in TRIGGERS.values():
        op.execute(statement)


def downgrade() -> None:
    for name in TRIGGERS if op.get_bind().dialect.name == "sqlite" else ():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_shop_order_taken_by', table_name='shop_order')
    for name in TABLES:
        op.drop_table(name)
