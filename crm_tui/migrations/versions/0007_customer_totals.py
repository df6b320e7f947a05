"""each customer's gross purchases ever: the bound that lets a top list stop early

Revision ID: 0007
Revises: 0006
"""
from alembic import op

from crm_tui import rollups

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    rollups.create_customer_total(op.get_bind())


def downgrade() -> None:
    op.drop_table(rollups.CUSTOMER_TOTAL[0])
