"""the queue ranks every waiting callback: the customer's priority stored on the callback and
kept by the database, with an index in the queue's order (status, priority descending, age)

Revision ID: 0014
Revises: 0013

Frozen: its own DDL, importing nothing from crm_tui.

Priority 0 to 3 from the customer's lifetime gross purchases (sales_customer_total): nothing or
unknown, some, from 250.00, from 1,000.00. It is set when a callback is requested or linked to a
customer, and follows the customer when their total crosses a step (a phone order, a
cancellation). A bulk import suspends the totals' trigger with the roll-ups' and sets the
priority of the customers it touched when it rebuilds their totals.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _priority(value: str) -> str:
    return (f"(CASE WHEN coalesce({value}, 0) >= 100000 THEN 3 WHEN coalesce({value}, 0) >= 25000 THEN 2 "
            f"WHEN coalesce({value}, 0) > 0 THEN 1 ELSE 0 END)")


OPEN = "status IN ('pending', 'claimed')"
OF_CUSTOMER = "(SELECT gross_cents FROM sales_customer_total WHERE customer_id = NEW.customer_id)"
INDEX = "CREATE INDEX ix_callback_rank ON callback_request (status, priority DESC, requested_at)"
FILL = (f"UPDATE callback_request SET priority = {_priority('t.gross_cents')} FROM sales_customer_total t "
        f"WHERE t.customer_id = callback_request.customer_id AND callback_request.{OPEN}")

SQLITE_TRIGGERS = {
    "callback_priority_insert": (
        "CREATE TRIGGER callback_priority_insert AFTER INSERT ON callback_request WHEN NEW.customer_id IS NOT NULL "
        f"BEGIN UPDATE callback_request SET priority = {_priority(OF_CUSTOMER)} WHERE id = NEW.id; END"),
    "callback_priority_link": (
        "CREATE TRIGGER callback_priority_link AFTER UPDATE OF customer_id ON callback_request "
        f"BEGIN UPDATE callback_request SET priority = {_priority(OF_CUSTOMER)} WHERE id = NEW.id; END"),
    # Named in crm_tui.rollups.BULK_TRIGGERS: an import suspends them with the line triggers.
    "callback_priority_total_insert": (
        "CREATE TRIGGER callback_priority_total_insert AFTER INSERT ON sales_customer_total "
        f"WHEN {_priority('NEW.gross_cents')} > 0 BEGIN UPDATE callback_request SET priority = "
        f"{_priority('NEW.gross_cents')} WHERE customer_id = NEW.customer_id AND {OPEN}; END"),
    "callback_priority_total_update": (
        "CREATE TRIGGER callback_priority_total_update AFTER UPDATE OF gross_cents ON sales_customer_total "
        f"WHEN {_priority('NEW.gross_cents')} <> {_priority('OLD.gross_cents')} BEGIN UPDATE callback_request "
        f"SET priority = {_priority('NEW.gross_cents')} WHERE customer_id = NEW.customer_id AND {OPEN}; END"),
}

# PostgreSQL: the callback's own row set before it is written; the customer's open callbacks
# updated as the table's owner (an agent's phone order moves a total, and row security would
# hide callbacks held by other agents from the agent's own UPDATE).
PG_FUNCTIONS = {
    "crm_callback_priority()": (
        "CREATE FUNCTION crm_callback_priority() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        f"NEW.priority := {_priority(OF_CUSTOMER)}; RETURN NEW; END $$"),
    "crm_callback_priority_follows()": (
        "CREATE FUNCTION crm_callback_priority_follows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        "SET search_path = public, pg_temp AS $$ BEGIN "
        "IF crm_setting_on('crm_tui.rollups_suspended') THEN RETURN NULL; END IF; "
        f"IF TG_OP = 'INSERT' OR {_priority('NEW.gross_cents')} <> {_priority('OLD.gross_cents')} THEN "
        f"UPDATE callback_request SET priority = {_priority('NEW.gross_cents')} "
        f"WHERE customer_id = NEW.customer_id AND {OPEN} AND priority <> {_priority('NEW.gross_cents')}; "
        "END IF; RETURN NULL; END $$"),
}
PG_TRIGGERS = {
    "callback_priority": ("BEFORE INSERT OR UPDATE OF customer_id ON callback_request FOR EACH ROW "
                          "EXECUTE FUNCTION crm_callback_priority()", "callback_request"),
    "callback_priority_follows": ("AFTER INSERT OR UPDATE OF gross_cents ON sales_customer_total FOR EACH ROW "
                                  "EXECUTE FUNCTION crm_callback_priority_follows()", "sales_customer_total"),
}


def upgrade() -> None:
    op.add_column("callback_request", sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"))
    op.execute(INDEX)
    op.execute(FILL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_FUNCTIONS.values():
            op.execute(statement)
        for name, (definition, _) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {definition}")
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (_, table) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for signature in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {signature}")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP INDEX ix_callback_rank")
    op.execute("ALTER TABLE callback_request DROP COLUMN priority")  # SQLite 3.35+: the table's SQL edited in place
