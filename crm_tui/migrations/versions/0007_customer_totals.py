"""each customer's gross purchases ever: the bound that lets a top list stop early

Revision ID: 0007
Revises: 0006

Frozen: the table, its index and first fill, and the order line triggers of 0005 redefined to
keep it too (their whole new text is here, as is 0005's for the downgrade), importing nothing
from crm_tui.

On PostgreSQL only the tables and indexes are made here: 0010 adds PostgreSQL's own triggers
and fills the roll-ups (no PostgreSQL database ever reached this revision before 0010 existed).
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Each customer's gross purchases ever, an upper bound of what they bought in any range: a top
# list reads customers from the biggest down and stops when no one left can enter.
TABLE = "CREATE TABLE sales_customer_total (customer_id INTEGER NOT NULL PRIMARY KEY, gross_cents INTEGER NOT NULL)"
INDEX = "CREATE INDEX ix_sales_customer_total_gross ON sales_customer_total (gross_cents)"
FILL = ("INSERT INTO sales_customer_total SELECT o.customer_id, sum(l.line_total_cents) FROM shop_order o "
        "JOIN order_line l ON l.order_id = o.id WHERE o.customer_id IS NOT NULL AND l.quantity > 0 GROUP BY 1")

# 0005's line triggers with one more statement each, the last: sales_customer_total.
LINE_TRIGGERS = {
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
        "INSERT INTO sales_customer_total SELECT o.customer_id, max(NEW.line_total_cents, 0) FROM shop_order o LEFT "
        "JOIN customer c ON c.id = o.customer_id WHERE o.id = NEW.order_id AND o.customer_id IS NOT NULL AND "
        "NEW.quantity > 0 ON CONFLICT DO UPDATE SET gross_cents = gross_cents + excluded.gross_cents; "
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
        "INSERT INTO sales_customer_total SELECT o.customer_id, -max(OLD.line_total_cents, 0) FROM shop_order o LEFT "
        "JOIN customer c ON c.id = o.customer_id WHERE o.id = OLD.order_id AND o.customer_id IS NOT NULL AND "
        "OLD.quantity > 0 ON CONFLICT DO UPDATE SET gross_cents = gross_cents + excluded.gross_cents; "
        "END"
    ),
}

# 0005's own, put back by the downgrade.
LINE_TRIGGERS_0005 = {
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
}


def upgrade() -> None:
    op.execute(TABLE)
    op.execute(INDEX)
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(FILL)
    for name, statement in LINE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)


def downgrade() -> None:
    for name, statement in LINE_TRIGGERS_0005.items() if op.get_bind().dialect.name == "sqlite" else ():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)
    op.drop_table('sales_customer_total')
