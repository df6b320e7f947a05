"""guest orders count in their own country's sales figures

Revision ID: 0017
Revises: 0016

Frozen: importing nothing from crm_tui.

Until now a guest order (no customer) counted under country '' even when the export gave its
country (shop_order.country, 0016). The roll-up triggers now take a guest order's own country:
a customer's orders still count under the customer's country (customer.country is never null,
so the customer's wins whenever there is one). The triggers are rewritten from their stored
definitions (SQLite's trigger SQL, PostgreSQL's function source), and the roll-up rows of guest
orders that name a country are moved.
"""
from alembic import op
from sqlalchemy import text

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (old, new) in the trigger definitions; downgrade swaps them.
SQLITE_SWAP = ("coalesce(c.country, '')", "coalesce(c.country, o.country, '')")
POSTGRES_SWAPS = (SQLITE_SWAP, ("v_country := coalesce(v_country, '');", "v_country := coalesce(v_country, NEW.country, '');"))
POSTGRES_FUNCTIONS = ("rollup_order_insert", "rollup_line_insert", "rollup_line_delete")


def _rewrite_triggers(swaps: tuple[tuple[str, str], ...]) -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for name in POSTGRES_FUNCTIONS:
            source = conn.execute(text("SELECT pg_get_functiondef(CAST(:name AS regproc))"), {"name": name}).scalar_one()
            rewritten = source
            for old, new in swaps:
                rewritten = rewritten.replace(old, new)
            if rewritten == source:
                raise RuntimeError(f"0017: {name}() is not the function this revision rewrites")
            conn.exec_driver_sql(rewritten)
        return
    for name, sql in conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rollup_%'")).all():
        rewritten = sql
        for old, new in swaps:
            rewritten = rewritten.replace(old, new)
        if rewritten != sql:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.exec_driver_sql(rewritten)


def _move_guest_figures(country: str) -> None:
    """Recount, from the raw lines, the country roll-ups of the days and months that have a guest
    order naming a country, with guests under `country` (an SQL expression over o)."""
    conn = op.get_bind()
    day = "to_char(o.placed_at, 'YYYY-MM-DD')" if conn.dialect.name == "postgresql" else "substr(o.placed_at, 1, 10)"
    if conn.execute(text("SELECT 1 FROM shop_order WHERE customer_id IS NULL AND country IS NOT NULL LIMIT 1")
                    ).first() is None:
        return
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE guest_day AS SELECT DISTINCT {day} AS day_ FROM shop_order o "
                         "WHERE o.customer_id IS NULL AND o.country IS NOT NULL")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE guest_month AS SELECT DISTINCT substr(day_, 1, 7) AS month_ FROM guest_day")
    in_days = f"{day} IN (SELECT day_ FROM guest_day)"
    country_of = f"coalesce(c.country, {country}, '')"
    is_order = "CASE WHEN o.status IN ('cancelled', 'returned') THEN 0 ELSE 1 END"
    lines = "FROM shop_order o JOIN order_line l ON l.order_id = o.id LEFT JOIN customer c ON c.id = o.customer_id"
    conn.exec_driver_sql("DELETE FROM sales_day WHERE day IN (SELECT day_ FROM guest_day)")
    conn.exec_driver_sql("DELETE FROM sales_product_day WHERE day IN (SELECT day_ FROM guest_day)")
    conn.exec_driver_sql("DELETE FROM sales_product_month WHERE month IN (SELECT month_ FROM guest_month)")
    conn.exec_driver_sql(
        f"INSERT INTO sales_day SELECT {day}, {country_of}, o.channel, sum({is_order}), sum(1 - {is_order}), "
        f"0, 0, 0, 0 FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE {in_days} GROUP BY 1, 2, 3")
    conn.exec_driver_sql(
        f"INSERT INTO sales_day SELECT {day}, {country_of}, o.channel, 0, 0, "
        "sum(CASE WHEN l.quantity > 0 THEN l.quantity ELSE 0 END), "
        "sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
        "sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) "
        f"{lines} WHERE {in_days} GROUP BY 1, 2, 3 ON CONFLICT (day, country, channel) DO UPDATE SET "
        "units = excluded.units, gross_cents = excluded.gross_cents, cancel_cents = excluded.cancel_cents, "
        "net_cents = excluded.net_cents")
    conn.exec_driver_sql(
        f"INSERT INTO sales_product_day SELECT {day}, l.product_id, {country_of}, sum(l.quantity), "
        f"sum(l.line_total_cents) {lines} WHERE {in_days} GROUP BY 1, 2, 3")
    conn.exec_driver_sql(
        "INSERT INTO sales_product_month SELECT substr(day, 1, 7), product_id, country, sum(units), sum(net_cents) "
        "FROM sales_product_day WHERE substr(day, 1, 7) IN (SELECT month_ FROM guest_month) GROUP BY 1, 2, 3")
    conn.exec_driver_sql("DROP TABLE guest_day")
    conn.exec_driver_sql("DROP TABLE guest_month")


def upgrade() -> None:
    _rewrite_triggers(POSTGRES_SWAPS if op.get_bind().dialect.name == "postgresql" else (SQLITE_SWAP,))
    _move_guest_figures("o.country")


def downgrade() -> None:
    swaps = POSTGRES_SWAPS if op.get_bind().dialect.name == "postgresql" else (SQLITE_SWAP,)
    _rewrite_triggers(tuple((new, old) for old, new in swaps))
    _move_guest_figures("''")
