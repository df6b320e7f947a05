"""distinct buying customers per month and country; the customers' roll-up in customer order

Revision ID: 0006
Revises: 0005

Frozen: the table, index, triggers and first count as they were at this revision, importing
nothing from crm_tui.

On PostgreSQL only the tables and indexes are made here: 0010 adds PostgreSQL's own triggers
and fills the roll-ups (no PostgreSQL database ever reached this revision before 0010 existed).
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLE = ("CREATE TABLE sales_month_customers (month TEXT NOT NULL, country TEXT NOT NULL, "
         "customers INTEGER NOT NULL, PRIMARY KEY (month, country)) WITHOUT ROWID")
# The customers' roll-up in customer order: a top list groups by customer without sorting.
INDEX = ("CREATE INDEX ix_sales_customer_month_customer ON sales_customer_month "
         "(customer_id, month, orders, net_cents)")
FILL = ("INSERT INTO sales_month_customers SELECT s.month, coalesce(c.country, ''), count(*) "
        "FROM sales_customer_month s LEFT JOIN customer c ON c.id = s.customer_id WHERE s.orders > 0 GROUP BY 1, 2")

# A customer counts in a month (and their country) while their orders there are more than zero.
TRIGGERS = {
    "rollup_month_customer_insert": (
        "CREATE TRIGGER rollup_month_customer_insert AFTER INSERT ON sales_customer_month WHEN NEW.orders > 0 BEGIN "
        "INSERT INTO sales_month_customers VALUES (NEW.month, coalesce((SELECT country FROM customer WHERE id = "
        "NEW.customer_id), ''), 1) ON CONFLICT DO UPDATE SET customers = customers + 1; "
        "END"
    ),
    "rollup_month_customer_update": (
        "CREATE TRIGGER rollup_month_customer_update AFTER UPDATE OF orders ON sales_customer_month WHEN (OLD.orders "
        "> 0) <> (NEW.orders > 0) BEGIN INSERT INTO sales_month_customers VALUES (NEW.month, coalesce((SELECT country"
        " FROM customer WHERE id = NEW.customer_id), ''), CASE WHEN NEW.orders > 0 THEN 1 ELSE -1 END) ON CONFLICT DO"
        " UPDATE SET customers = customers + excluded.customers; "
        "END"
    ),
    "rollup_month_customer_country": (
        "CREATE TRIGGER rollup_month_customer_country AFTER UPDATE OF country ON customer WHEN OLD.country IS NOT "
        "NEW.country BEGIN INSERT INTO sales_month_customers SELECT month, coalesce(OLD.country, ''), -count(*) FROM "
        "sales_customer_month WHERE customer_id = NEW.id AND orders > 0 GROUP BY month ON CONFLICT DO UPDATE SET "
        "customers = customers + excluded.customers; "
        "INSERT INTO sales_month_customers SELECT month, coalesce(NEW.country, ''), count(*) FROM "
        "sales_customer_month WHERE customer_id = NEW.id AND orders > 0 GROUP BY month ON CONFLICT DO UPDATE SET "
        "customers = customers + excluded.customers; "
        "END"
    ),
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute(TABLE if sqlite else TABLE.replace(" WITHOUT ROWID", ""))
    op.execute(INDEX)
    if not sqlite:
        return
    op.execute(FILL)
    for statement in TRIGGERS.values():
        op.execute(statement)


def downgrade() -> None:
    for name in TRIGGERS if op.get_bind().dialect.name == "sqlite" else ():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_sales_customer_month_customer")
    op.drop_table('sales_month_customers')
