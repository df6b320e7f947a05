"""sales roll-ups by day, product and customer, kept by triggers

Revision ID: 0005
Revises: 0004
"""
from alembic import op

from crm_tui import rollups

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    rollups.create_tables(conn)
    op.create_index('ix_shop_order_taken_by', 'shop_order', ['taken_by'], unique=False)
    rollups.rebuild(conn)
    rollups.create_triggers(conn, rollups.SALES_TRIGGERS)


def downgrade() -> None:
    conn = op.get_bind()
    for name in rollups.SALES_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_shop_order_taken_by', table_name='shop_order')
    for name in rollups.TABLES:
        op.drop_table(name)
