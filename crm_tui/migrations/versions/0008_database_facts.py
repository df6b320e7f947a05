"""facts about the database itself: whether `crm-tui demo` built it (impersonation and
`demo --force` are allowed only there); the access log: who looked at or exported whose data

Revision ID: 0008
Revises: 0007

Frozen: its own DDL, importing nothing from crm_tui.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'database_fact',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'access_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('staff_login', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_access_customer', 'access_entry', ['customer_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_access_customer', table_name='access_entry')
    op.drop_table('access_entry')
    op.drop_table('database_fact')
