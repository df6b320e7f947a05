"""the web shop's own tables: customers' logins, the visit log, the shop's settings

Revision ID: 0013
Revises: 0012

Frozen: its own DDL, importing nothing from crm_tui.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shop_account',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
        sa.PrimaryKeyConstraint('customer_id'),
    )
    op.create_table(
        'shop_visit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('session_id', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('referrer', sa.String(length=500), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shop_visit_at', 'shop_visit', ['at'])
    op.create_index('ix_shop_visit_session', 'shop_visit', ['session_id', 'at'])
    op.create_index('ix_shop_visit_customer', 'shop_visit', ['customer_id', 'at'])
    op.create_table(
        'shop_setting',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('shop_setting')
    op.drop_index('ix_shop_visit_customer', 'shop_visit')
    op.drop_index('ix_shop_visit_session', 'shop_visit')
    op.drop_index('ix_shop_visit_at', 'shop_visit')
    op.drop_table('shop_visit')
    op.drop_table('shop_account')
