"""marketing: RFM segments, product affinity and popularity, offers made

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_rfm',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary_cents', sa.Integer(), nullable=False),
    sa.Column('r', sa.Integer(), nullable=False),
    sa.Column('f', sa.Integer(), nullable=False),
    sa.Column('m', sa.Integer(), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('customer_id')
    )
    op.create_index('ix_customer_rfm_segment', 'customer_rfm', ['segment', 'monetary_cents'], unique=False)
    op.create_table('product_affinity',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('confidence_permille', sa.Integer(), nullable=False),
    sa.Column('baskets', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('product_id', 'other_id')
    )
    op.create_table('product_popularity',
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('buyers', sa.Integer(), nullable=False),
    sa.Column('first_sold_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'product_id')
    )
    op.create_table('offer_made',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('made_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_offer_made_customer', 'offer_made', ['customer_id', 'made_at'], unique=False)
    op.create_index('ix_offer_made_made_at', 'offer_made', ['made_at'], unique=False)


def downgrade() -> None:
    for table in ('offer_made', 'product_popularity', 'product_affinity', 'customer_rfm'):
        op.drop_table(table)
