"""On PostgreSQL an order line's order and product are checked per statement (migration 0019),
not by foreign keys row by row: what a foreign key refused is still refused, with its error,
and the orders and products a transaction's lines name stay locked against deletion."""

import psycopg
import pytest
from sqlalchemy.engine import make_url

from crm_tui.db import run_write
from crm_tui.shop.operations import OrderItem, place_order, register_customer
from tests.conftest import AS_OF, REGISTRATION

pytestmark = pytest.mark.postgresql_only


def connect(engine, **options) -> psycopg.Connection:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    return psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database, **options)


@pytest.fixture
def order(catalogue):
    """An order of two mugs and a lamp; its id, and the mug's and lamp's product ids."""
    def place(session):
        customer = register_customer(session, dict(REGISTRATION), now=AS_OF)
        return place_order(session, customer.id, [OrderItem("MUG-RED", 2), OrderItem("LAMP", 1)], now=AS_OF).order_id
    order_id = run_write(catalogue, place)
    with connect(catalogue) as conn:
        products = dict(conn.execute("SELECT sku, id FROM product").fetchall())
    return order_id, products["MUG-RED"], products["LAMP"]


def lines_of(engine, order_id: int) -> list[tuple]:
    with connect(engine) as conn:
        return conn.execute("SELECT product_id, quantity FROM order_line WHERE order_id = %s ORDER BY 1",
                            (order_id,)).fetchall()


def test_lines_naming_an_order_or_product_that_does_not_exist_are_refused_whole(catalogue, order):
    order_id, mug, lamp = order
    before = lines_of(catalogue, order_id)
    for bad, constraint, detail in (
            ((order_id + 1000, mug), "order_line_order_id_fkey", f"Key (order_id)=({order_id + 1000})"),
            ((order_id, 99999), "order_line_product_id_fkey", "Key (product_id)=(99999)")):
        with connect(catalogue) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation) as caught:
            # One good line and one bad in one statement: neither is written.
            conn.execute("INSERT INTO order_line (order_id, product_id, quantity, unit_price_cents, line_total_cents) "
                         "VALUES (%s, %s, 5, 450, 2250), (%s, %s, 1, 100, 100)", (order_id, lamp, *bad))
        assert constraint in str(caught.value) and detail in caught.value.diag.message_detail
    with connect(catalogue) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("UPDATE order_line SET product_id = 99999 WHERE order_id = %s", (order_id,))
    assert lines_of(catalogue, order_id) == before


def test_an_order_or_product_that_lines_name_is_neither_deleted_nor_renumbered(catalogue, order):
    order_id, mug, _ = order
    for sql, params, table in (("DELETE FROM shop_order WHERE id = %s", (order_id,), "shop_order"),
                               ("UPDATE shop_order SET id = id + 1000 WHERE id = %s", (order_id,), "shop_order"),
                               ("DELETE FROM product WHERE id = %s", (mug,), "product"),
                               ("UPDATE product SET id = id + 1000 WHERE id = %s", (mug,), "product")):
        with connect(catalogue) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation) as caught:
            conn.execute("DELETE FROM order_status_change")
            conn.execute(sql, params)
        assert f'update or delete on table "{table}"' in str(caught.value) and 'table "order_line"' in str(caught.value)
    with connect(catalogue) as conn:
        # A product no line names goes, as it always could.
        assert conn.execute("DELETE FROM product WHERE sku = 'KITE'").rowcount == 1
    assert len(lines_of(catalogue, order_id)) == 2


def test_an_order_named_by_lines_not_yet_committed_cannot_be_deleted_meanwhile(catalogue, order):
    """As with a foreign key: the writer of the lines locks the order (FOR KEY SHARE) until it
    commits; a delete waits for it, then is refused."""
    order_id, _, lamp = order
    with connect(catalogue) as writer, connect(catalogue) as deleter:
        for conn in (writer, deleter):  # the roll-ups' rows would make one wait on the other first
            conn.execute("SET crm_tui.rollups_suspended = 'on'")
        writer.execute("INSERT INTO order_line (order_id, product_id, quantity, unit_price_cents, line_total_cents) "
                       "VALUES (%s, %s, 3, 3990, 11970)", (order_id, lamp))
        deleter.execute("SET lock_timeout = '300ms'")
        deleter.execute("DELETE FROM order_status_change WHERE order_id = %s", (order_id,))
        deleter.execute("DELETE FROM order_line WHERE order_id = %s", (order_id,))
        with pytest.raises(psycopg.errors.LockNotAvailable):
            deleter.execute("DELETE FROM shop_order WHERE id = %s", (order_id,))
        deleter.rollback()
        writer.commit()
    assert (lamp, 3) in lines_of(catalogue, order_id)
