"""PostgreSQL's roll-up triggers: the same tables kept as SQLite's triggers keep them

Revision ID: 0010
Revises: 0009

Frozen: the functions, triggers and first fill as they are at this revision, importing nothing
from crm_tui. On SQLite this revision changes nothing (0005-0009 made SQLite's triggers).

One trigger function per table event, row by row, with the same definitions as SQLite's: a day
or month is the UTC one of placed_at; a document whose status is cancelled or returned is a
cancellation; country is the customer's ('' for guests). A bulk writer sets
`crm_tui.rollups_suspended` (SET LOCAL, its transaction only) and rebuilds what it touched;
`crm_tui.month_customers_suspended` likewise lets a rebuild recount the buying customers at once.
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SETTING = """
CREATE FUNCTION crm_setting_on(name text) RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting(name, true), '') = 'on' $$
"""

ORDER_INSERT = """
CREATE FUNCTION rollup_order_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_is_order integer := CASE WHEN NEW.status IN ('cancelled', 'returned') THEN 0 ELSE 1 END;
    v_day text := to_char(NEW.placed_at, 'YYYY-MM-DD');
    v_country text;
BEGIN
    IF crm_setting_on('crm_tui.rollups_suspended') THEN RETURN NULL; END IF;
    SELECT country INTO v_country FROM customer WHERE id = NEW.customer_id;
    v_country := coalesce(v_country, '');
    INSERT INTO sales_day AS t VALUES (v_day, v_country, NEW.channel, v_is_order, 1 - v_is_order, 0, 0, 0, 0)
        ON CONFLICT (day, country, channel) DO UPDATE SET orders = t.orders + excluded.orders,
        cancellations = t.cancellations + excluded.cancellations;
    IF NEW.customer_id IS NOT NULL THEN
        INSERT INTO sales_customer_day AS t VALUES (v_day, NEW.customer_id, v_is_order, 0)
            ON CONFLICT (day, customer_id) DO UPDATE SET orders = t.orders + excluded.orders;
        INSERT INTO sales_customer_month AS t VALUES (left(v_day, 7), NEW.customer_id, v_is_order, 0)
            ON CONFLICT (month, customer_id) DO UPDATE SET orders = t.orders + excluded.orders;
        IF v_is_order = 1 THEN
            INSERT INTO customer_first_purchase AS t VALUES (NEW.customer_id, left(v_day, 7))
                ON CONFLICT (customer_id) DO UPDATE SET month = least(t.month, excluded.month);
        END IF;
    END IF;
    RETURN NULL;
END $$
"""


def _line_change(name: str, row: str, sign: str) -> str:
    """The trigger function adding (sign '') or taking back (sign '-') one order line."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_day text;
    v_country text;
    v_customer integer;
    v_quantity integer := {sign}{row}.quantity;
    v_total bigint := {sign}{row}.line_total_cents;
BEGIN
    IF crm_setting_on('crm_tui.rollups_suspended') THEN RETURN NULL; END IF;
    SELECT to_char(o.placed_at, 'YYYY-MM-DD'), coalesce(c.country, ''), o.customer_id
        INTO v_day, v_country, v_customer
        FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.id = {row}.order_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    INSERT INTO sales_day AS t SELECT v_day, v_country, o.channel, 0, 0,
            {sign}greatest({row}.quantity, 0),
            CASE WHEN {row}.quantity > 0 THEN v_total ELSE 0 END,
            CASE WHEN {row}.quantity < 0 THEN v_total ELSE 0 END, v_total
        FROM shop_order o WHERE o.id = {row}.order_id
        ON CONFLICT (day, country, channel) DO UPDATE SET units = t.units + excluded.units,
        gross_cents = t.gross_cents + excluded.gross_cents, cancel_cents = t.cancel_cents + excluded.cancel_cents,
        net_cents = t.net_cents + excluded.net_cents;
    INSERT INTO sales_product_day AS t VALUES (v_day, {row}.product_id, v_country, v_quantity, v_total)
        ON CONFLICT (day, product_id, country) DO UPDATE SET units = t.units + excluded.units,
        net_cents = t.net_cents + excluded.net_cents;
    INSERT INTO sales_product_month AS t VALUES (left(v_day, 7), {row}.product_id, v_country, v_quantity, v_total)
        ON CONFLICT (month, product_id, country) DO UPDATE SET units = t.units + excluded.units,
        net_cents = t.net_cents + excluded.net_cents;
    IF v_customer IS NOT NULL THEN
        INSERT INTO sales_customer_day AS t VALUES (v_day, v_customer, 0, v_total)
            ON CONFLICT (day, customer_id) DO UPDATE SET net_cents = t.net_cents + excluded.net_cents;
        INSERT INTO sales_customer_month AS t VALUES (left(v_day, 7), v_customer, 0, v_total)
            ON CONFLICT (month, customer_id) DO UPDATE SET net_cents = t.net_cents + excluded.net_cents;
        IF {row}.quantity > 0 THEN
            INSERT INTO sales_customer_total AS t VALUES (v_customer, {sign}greatest({row}.line_total_cents, 0))
                ON CONFLICT (customer_id) DO UPDATE SET gross_cents = t.gross_cents + excluded.gross_cents;
        END IF;
    END IF;
    RETURN NULL;
END $$
"""


def _country_share(country: str, sign: str) -> str:
    """Statements adding (sign '') or taking away (sign '-') all of NEW.id's figures under `country`."""
    lines = "FROM shop_order o JOIN order_line l ON l.order_id = o.id WHERE o.customer_id = NEW.id"
    return f"""
    INSERT INTO sales_day AS t SELECT to_char(o.placed_at, 'YYYY-MM-DD'), coalesce({country}, ''), o.channel, 0, 0,
            {sign}sum(greatest(l.quantity, 0)), {sign}sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END),
            {sign}sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), {sign}sum(l.line_total_cents)
        {lines} GROUP BY 1, 3
        ON CONFLICT (day, country, channel) DO UPDATE SET units = t.units + excluded.units,
        gross_cents = t.gross_cents + excluded.gross_cents, cancel_cents = t.cancel_cents + excluded.cancel_cents,
        net_cents = t.net_cents + excluded.net_cents;
    INSERT INTO sales_day AS t SELECT to_char(o.placed_at, 'YYYY-MM-DD'), coalesce({country}, ''), o.channel,
            {sign}sum(CASE WHEN o.status IN ('cancelled', 'returned') THEN 0 ELSE 1 END),
            {sign}sum(CASE WHEN o.status IN ('cancelled', 'returned') THEN 1 ELSE 0 END), 0, 0, 0, 0
        FROM shop_order o WHERE o.customer_id = NEW.id GROUP BY 1, 3
        ON CONFLICT (day, country, channel) DO UPDATE SET orders = t.orders + excluded.orders,
        cancellations = t.cancellations + excluded.cancellations;
    INSERT INTO sales_product_day AS t SELECT to_char(o.placed_at, 'YYYY-MM-DD'), l.product_id,
            coalesce({country}, ''), {sign}sum(l.quantity), {sign}sum(l.line_total_cents) {lines} GROUP BY 1, 2
        ON CONFLICT (day, product_id, country) DO UPDATE SET units = t.units + excluded.units,
        net_cents = t.net_cents + excluded.net_cents;
    INSERT INTO sales_product_month AS t SELECT to_char(o.placed_at, 'YYYY-MM'), l.product_id,
            coalesce({country}, ''), {sign}sum(l.quantity), {sign}sum(l.line_total_cents) {lines} GROUP BY 1, 2
        ON CONFLICT (month, product_id, country) DO UPDATE SET units = t.units + excluded.units,
        net_cents = t.net_cents + excluded.net_cents;
    INSERT INTO sales_month_customers AS t SELECT month, coalesce({country}, ''), {sign}count(*)
        FROM sales_customer_month WHERE customer_id = NEW.id AND orders > 0 GROUP BY month
        ON CONFLICT (month, country) DO UPDATE SET customers = t.customers + excluded.customers;"""


CUSTOMER_COUNTRY = f"""
CREATE FUNCTION rollup_customer_country() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_country_share('OLD.country', '-')}
    {_country_share('NEW.country', '')}
    RETURN NULL;
END $$
"""

MONTH_CUSTOMER = """
CREATE FUNCTION rollup_month_customer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_change integer;
BEGIN
    IF crm_setting_on('crm_tui.month_customers_suspended') THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        v_change := 1;
    ELSE
        v_change := CASE WHEN NEW.orders > 0 THEN 1 ELSE -1 END;
    END IF;
    INSERT INTO sales_month_customers AS t
        VALUES (NEW.month, coalesce((SELECT country FROM customer WHERE id = NEW.customer_id), ''), v_change)
        ON CONFLICT (month, country) DO UPDATE SET customers = t.customers + excluded.customers;
    RETURN NULL;
END $$
"""

SERVICE_DAY = """
CREATE FUNCTION rollup_service_day() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_day AS t VALUES (to_char(NEW.ended_at, 'YYYY-MM-DD'), coalesce(NEW.satisfaction, 0), 1,
            CASE WHEN NEW.feedback_kind = 'complaint' THEN 1 ELSE 0 END)
        ON CONFLICT (day, score) DO UPDATE SET said = t.said + 1, complaints = t.complaints + excluded.complaints;
    RETURN NULL;
END $$
"""

FUNCTIONS = {
    "crm_setting_on(text)": SETTING,
    "rollup_order_insert()": ORDER_INSERT,
    "rollup_line_insert()": _line_change("rollup_line_insert", "NEW", ""),
    "rollup_line_delete()": _line_change("rollup_line_delete", "OLD", "-"),
    "rollup_customer_country()": CUSTOMER_COUNTRY,
    "rollup_month_customer()": MONTH_CUSTOMER,
    "rollup_service_day()": SERVICE_DAY,
}

TRIGGERS = {
    ("rollup_order_insert", "shop_order"): "AFTER INSERT ON shop_order FOR EACH ROW EXECUTE FUNCTION rollup_order_insert()",
    ("rollup_line_insert", "order_line"): "AFTER INSERT ON order_line FOR EACH ROW EXECUTE FUNCTION rollup_line_insert()",
    ("rollup_line_delete", "order_line"): "AFTER DELETE ON order_line FOR EACH ROW EXECUTE FUNCTION rollup_line_delete()",
    ("rollup_customer_country", "customer"): (
        "AFTER UPDATE OF country ON customer FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country) "
        "EXECUTE FUNCTION rollup_customer_country()"),
    ("rollup_month_customer_insert", "sales_customer_month"): (
        "AFTER INSERT ON sales_customer_month FOR EACH ROW WHEN (NEW.orders > 0) "
        "EXECUTE FUNCTION rollup_month_customer()"),
    ("rollup_month_customer_update", "sales_customer_month"): (
        "AFTER UPDATE OF orders ON sales_customer_month FOR EACH ROW WHEN ((OLD.orders > 0) <> (NEW.orders > 0)) "
        "EXECUTE FUNCTION rollup_month_customer()"),
    ("service_day_callback_attempt", "callback_attempt"): (
        "AFTER INSERT ON callback_attempt FOR EACH ROW "
        "WHEN (NEW.satisfaction IS NOT NULL OR NEW.feedback_kind = 'complaint') EXECUTE FUNCTION rollup_service_day()"),
    ("service_day_service_contact", "service_contact"): (
        "AFTER INSERT ON service_contact FOR EACH ROW "
        "WHEN (NEW.satisfaction IS NOT NULL OR NEW.feedback_kind = 'complaint') EXECUTE FUNCTION rollup_service_day()"),
}

IS_ORDER = "CASE WHEN o.status IN ('cancelled', 'returned') THEN 0 ELSE 1 END"
DAY = "to_char(o.placed_at, 'YYYY-MM-DD')"
ORDERS = "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id"
LINES = "FROM shop_order o JOIN order_line l ON l.order_id = o.id LEFT JOIN customer c ON c.id = o.customer_id"
# The roll-ups of what the database holds already (tables empty: 0005-0009 filled none here).
FILL = [
    f"INSERT INTO sales_day SELECT {DAY}, coalesce(c.country, ''), o.channel, sum({IS_ORDER}), sum(1 - {IS_ORDER}), "
    f"0, 0, 0, 0 {ORDERS} GROUP BY 1, 2, 3",
    f"INSERT INTO sales_day AS t SELECT {DAY}, coalesce(c.country, ''), o.channel, 0, 0, sum(greatest(l.quantity, 0)),"
    " sum(CASE WHEN l.quantity > 0 THEN l.line_total_cents ELSE 0 END), "
    f"sum(CASE WHEN l.quantity < 0 THEN l.line_total_cents ELSE 0 END), sum(l.line_total_cents) {LINES} "
    "GROUP BY 1, 2, 3 ON CONFLICT (day, country, channel) DO UPDATE SET units = excluded.units, "
    "gross_cents = excluded.gross_cents, cancel_cents = excluded.cancel_cents, net_cents = excluded.net_cents",
    f"INSERT INTO sales_product_day SELECT {DAY}, l.product_id, coalesce(c.country, ''), sum(l.quantity), "
    f"sum(l.line_total_cents) {LINES} GROUP BY 1, 2, 3",
    f"INSERT INTO sales_customer_day SELECT {DAY}, o.customer_id, sum({IS_ORDER}), 0 {ORDERS} "
    "WHERE o.customer_id IS NOT NULL GROUP BY 1, 2",
    f"INSERT INTO sales_customer_day AS t SELECT {DAY}, o.customer_id, 0, sum(l.line_total_cents) {LINES} "
    "WHERE o.customer_id IS NOT NULL GROUP BY 1, 2 ON CONFLICT (day, customer_id) DO UPDATE "
    "SET net_cents = excluded.net_cents",
    "INSERT INTO sales_product_month SELECT left(day, 7), product_id, country, sum(units), sum(net_cents) "
    "FROM sales_product_day GROUP BY 1, 2, 3",
    "INSERT INTO sales_customer_month SELECT left(day, 7), customer_id, sum(orders), sum(net_cents) "
    "FROM sales_customer_day GROUP BY 1, 2",
    "INSERT INTO customer_first_purchase SELECT customer_id, min(month) FROM sales_customer_month "
    "WHERE orders > 0 GROUP BY customer_id",
    "INSERT INTO sales_month_customers SELECT s.month, coalesce(c.country, ''), count(*) "
    "FROM sales_customer_month s LEFT JOIN customer c ON c.id = s.customer_id WHERE s.orders > 0 GROUP BY 1, 2",
    "INSERT INTO sales_customer_total SELECT o.customer_id, sum(l.line_total_cents) FROM shop_order o "
    "JOIN order_line l ON l.order_id = o.id WHERE o.customer_id IS NOT NULL AND l.quantity > 0 GROUP BY 1",
]
FILL += [
    f"INSERT INTO service_day AS t SELECT to_char(ended_at, 'YYYY-MM-DD'), coalesce(satisfaction, 0), count(*), "
    f"sum(CASE WHEN feedback_kind = 'complaint' THEN 1 ELSE 0 END) FROM {table} WHERE satisfaction IS NOT NULL "
    f"OR feedback_kind = 'complaint' GROUP BY 1, 2 ON CONFLICT (day, score) DO UPDATE SET "
    f"said = t.said + excluded.said, complaints = t.complaints + excluded.complaints"
    for table in ("callback_attempt", "service_contact")
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in FILL:
        op.execute(statement)
    for statement in FUNCTIONS.values():
        op.execute(statement)
    for (name, _table), definition in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for signature in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
