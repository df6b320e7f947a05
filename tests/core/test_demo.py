import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from crm_tui.db import open_database
from crm_tui.shop.demo import build_demo
from tests.conftest import AS_OF

TABLES = ["customer", "product", "shop_order", "order_line", "callback_request", "contact_message"]


def build(path, seed, customers=600):
    engine = open_database(str(path))
    with engine.begin() as conn:
        build_demo(conn, customers=customers, seed=seed, as_of=AS_OF)
    return engine


def fingerprint(engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in TABLES:
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    engine = build(tmp_path_factory.mktemp("demo") / "demo.db", seed=11)
    yield engine
    engine.dispose()


def q(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def q_all(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_the_same_seed_gives_the_same_database(demo, tmp_path):
    again = build(tmp_path / "again.db", seed=11)
    other = build(tmp_path / "other.db", seed=12)
    assert fingerprint(again) == fingerprint(demo)
    assert fingerprint(other) != fingerprint(demo)


def test_spanish_and_english_customers_including_the_canaries(demo):
    assert q(demo, "SELECT count(*) FROM customer WHERE country='ES' AND preferred_language='es'") > 250
    assert q(demo, "SELECT count(*) FROM customer WHERE country='GB' AND preferred_language='en'") > 150
    assert q(demo, "SELECT count(*) FROM customer WHERE time_zone='Atlantic/Canary'") > 0
    assert q(demo, "SELECT count(*) FROM customer WHERE phone NOT LIKE '+%'") == 0


def test_catalogue_has_categories_out_of_stock_items_and_non_product_codes(demo):
    assert q(demo, "SELECT count(DISTINCT category) FROM product WHERE kind='product'") >= 8
    assert q(demo, "SELECT count(*) FROM product WHERE kind='product' AND stock_quantity=0") > 0
    assert q(demo, "SELECT count(*) FROM product WHERE kind='product' "
                   "AND stock_quantity BETWEEN 1 AND low_stock_threshold") > 0
    assert q(demo, "SELECT count(*) FROM product WHERE kind<>'product'") >= 4


def test_two_years_of_orders_with_a_december_peak(demo):
    first = q(demo, "SELECT min(placed_at) FROM shop_order")
    assert datetime.fromisoformat(first) < (AS_OF - timedelta(days=600)).replace(tzinfo=None)
    dec = q(demo, "SELECT count(*) FROM shop_order WHERE placed_at >= '2025-12-01' AND placed_at < '2026-01-01'")
    aug = q(demo, "SELECT count(*) FROM shop_order WHERE placed_at >= '2025-08-01' AND placed_at < '2025-09-01'")
    assert dec > aug * 1.3
    assert q(demo, "SELECT count(*) FROM order_line") > 5 * 600


def test_guest_orders_phone_orders_and_linked_cancellations(demo):
    assert q(demo, "SELECT count(*) FROM shop_order WHERE customer_id IS NULL") > 0
    assert q(demo, "SELECT count(*) FROM shop_order WHERE channel='phone' AND taken_by IS NOT NULL") > 0
    cancels = q(demo, "SELECT count(*) FROM shop_order WHERE cancels_order_id IS NOT NULL")
    assert cancels > 0
    # Every cancellation has only negative lines; the original stays an order (the sales figures
    # count the cancellation document) and its way ends with the step, as the cancellation's kind.
    assert q(demo, "SELECT count(*) FROM order_line l JOIN shop_order o ON o.id=l.order_id "
                   "WHERE o.cancels_order_id IS NOT NULL AND l.quantity >= 0") == 0
    assert q(demo, "SELECT count(*) FROM shop_order c JOIN shop_order o ON o.id=c.cancels_order_id "
                   "WHERE o.status IN ('cancelled','returned')") == 0
    assert q(demo, "SELECT count(*) FROM shop_order c JOIN shop_order o ON o.id = c.cancels_order_id "
                   "WHERE c.status != (SELECT h.status FROM order_status_change h WHERE h.order_id = o.id "
                   "ORDER BY h.at DESC, h.id DESC LIMIT 1)") == 0


def test_orders_move_along_legal_steps_with_tracking(demo):
    from crm_tui.shop.models import OrderStatus
    from crm_tui.shop.operations import NEXT_STATUS

    rows = q_all(demo, "SELECT o.id, h.status, h.carrier, h.tracking_number FROM shop_order o "
                       "JOIN order_status_change h ON h.order_id = o.id ORDER BY o.id, h.at, h.id")
    current: dict[int, OrderStatus] = {}
    for order_id, status, carrier, tracking in rows:
        assert OrderStatus(status) in NEXT_STATUS[current.get(order_id, OrderStatus.PLACED)]
        current[order_id] = OrderStatus(status)
        if status == "shipped":
            assert carrier and tracking
    assert sum(1 for s in current.values() if s == OrderStatus.DELIVERED) > len(current) / 2


def test_customers_have_clear_favourites_and_some_have_lapsed(demo):
    # The top product of a frequent buyer accounts for a clear share of what they buy.
    share = q(demo, """
        WITH per AS (SELECT o.customer_id c, l.product_id p, sum(l.quantity) n FROM order_line l
                     JOIN shop_order o ON o.id=l.order_id JOIN product pr ON pr.id=l.product_id
                     WHERE o.customer_id IS NOT NULL AND pr.kind='product' GROUP BY 1, 2),
             tot AS (SELECT c, max(n) top, sum(n) total FROM per GROUP BY c HAVING total >= 20)
        SELECT avg(1.0 * top / total) FROM tot""")
    assert share > 0.2
    lapsed = q(demo, f"""SELECT count(*) FROM (SELECT customer_id, max(placed_at) last FROM shop_order
                         WHERE customer_id IS NOT NULL GROUP BY customer_id HAVING count(*) >= 3
                         AND last < '{(AS_OF - timedelta(days=150)).strftime('%Y-%m-%d')}')""")
    assert lapsed > 10


def test_pending_callbacks_some_overdue_some_scheduled_and_contact_messages(demo):
    overdue_before = (AS_OF - timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M:%S")
    assert q(demo, "SELECT count(*) FROM callback_request WHERE status='pending' AND window_from IS NULL "
                   f"AND requested_at < '{overdue_before}'") > 0
    assert q(demo, f"SELECT count(*) FROM callback_request WHERE window_from > '{AS_OF:%Y-%m-%d %H:%M:%S}'") > 0
    assert q(demo, "SELECT count(*) FROM callback_request WHERE customer_id IS NULL") > 0
    assert q(demo, "SELECT count(*) FROM contact_message") > 0
    assert q(demo, "SELECT count(DISTINCT kind) FROM contact_message") == 3


def test_demo_numbers_follow_the_storefronts_rules(demo):
    assert q(demo, "SELECT count(*) FROM shop_order WHERE total_cents <> subtotal_cents - discount_cents") == 0
    assert q(demo, "SELECT count(*) FROM shop_order o WHERE subtotal_cents <> "
                   "(SELECT sum(line_total_cents) FROM order_line l WHERE l.order_id=o.id)") == 0
    assert q(demo, "SELECT count(*) FROM order_line WHERE line_total_cents <> quantity*unit_price_cents") == 0
    assert q(demo, "SELECT count(*) FROM shop_order WHERE placed_at > "
                   f"'{AS_OF.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S}'") == 0
