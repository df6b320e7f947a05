"""distinct buying customers per month and country; the customers' roll-up in customer order

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from crm_tui import rollups

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    rollups.create_month_customers(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    for name in rollups.MONTH_CUSTOMER_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_sales_customer_month_customer")
    op.drop_table(rollups.MONTH_CUSTOMERS[0])
