"""imports derive what history says from all of it: an order's own country, a line's description
as the invoice wrote it, which customers and products take their facts from the orders, and
stock the shop never told us

Revision ID: 0016
Revises: 0015

Frozen: its own DDL, importing nothing from crm_tui.

- shop_order.country: the country the export gives for the invoice (guest orders have no
  customer to carry it).
- line_description + order_line.description_id: each line's description as written, so that
  a product's name (the most frequent description among its valid sales) follows every import,
  in any order, and a corrected invoice replaces its descriptions with its lines.
- customer.facts_from_orders: registration and country come from the customer's orders (a
  customer a transaction-line import created); staff setting the country ends it.
- product.name_from_sales: name and price follow the valid sales (a product a transaction-line
  import created); a products file or the shop's catalogue ends it.
- product.stock_tracked: false when nobody told the shop its stock ("not tracked", orderable).
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('shop_order', sa.Column('country', sa.String(length=2), nullable=True))
    op.create_table(
        'line_description',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('text', name='uq_line_description_text'),
    )
    op.add_column('order_line', sa.Column('description_id', sa.Integer(), nullable=True))
    op.add_column('customer', sa.Column('facts_from_orders', sa.Boolean(), nullable=False,
                                        server_default='0'))
    op.add_column('product', sa.Column('name_from_sales', sa.Boolean(), nullable=False,
                                       server_default='0'))
    op.add_column('product', sa.Column('stock_tracked', sa.Boolean(), nullable=False,
                                       server_default='1'))
    # Customers an earlier transaction-line import created: no name, no contact.
    op.execute("UPDATE customer SET facts_from_orders = true WHERE first_name = '' AND last_name = '' "
               "AND email IS NULL AND phone IS NULL AND street = ''")


def downgrade() -> None:
    for table, column in (('product', 'stock_tracked'), ('product', 'name_from_sales'),
                          ('customer', 'facts_from_orders'), ('order_line', 'description_id'),
                          ('shop_order', 'country')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    op.drop_table('line_description')
