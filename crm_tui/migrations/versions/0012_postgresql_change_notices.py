"""PostgreSQL tells the consoles what changed: a notice per statement on the callback queue and
the inbox (LISTEN/NOTIFY), so their screens reload at once instead of polling

Revision ID: 0012
Revises: 0011

Frozen: importing nothing from crm_tui. On SQLite this revision changes nothing (screens poll).
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

FUNCTION = ("CREATE FUNCTION crm_notify() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$")
TRIGGERS = {"crm_notify_queue": ("callback_request", "crm_tui_queue"),
            "crm_notify_inbox": ("contact_message", "crm_tui_inbox")}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for name, (table, channel) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION crm_notify('{channel}')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (table, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION crm_notify()")
