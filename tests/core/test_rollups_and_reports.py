"""The sales roll-ups always equal the raw lines (after imports, phone orders, cancellations,
a customer moving country), and every report equals independent SQL over the raw lines."""

from datetime import timedelta

import pytest
from sqlalchemy import Connection, Integer, inspect, text
from sqlmodel import Session

from bench.retail_export import write_export
from crm_tui import rollups
from crm_tui.db import make_engine, write_session
from crm_tui.models import Role
from crm_tui.services import reports
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.orders import place_phone_order
from crm_tui.services.staff import StaffMember
from crm_tui.shop.operations import OrderItem, cancel_order, place_order
from tests.conftest import AS_OF
from tests.import_helpers import SAMPLES, database_url, query, run_import

SPREAD = (400, 1400)  # minutes between orders: four months or so, so ranges cut months and days
ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
SUPERVISOR = StaffMember("sue", "Sue", Role.SUPERVISOR, 30, True)


def rollup_rows(conn: Connection) -> dict[str, list]:
    rows = {}
    for table in rollups.ALL_TABLES:
        columns = inspect(conn).get_columns(table)
        key = inspect(conn).get_pk_constraint(table)["constrained_columns"]
        # Rows the triggers took back to zero are the same as no row.
        zero = " AND ".join(f"{c['name']} = 0" for c in columns
                            if isinstance(c["type"], Integer) and c["name"] not in key) or "1 = 0"
        order = ", ".join(str(n) for n in range(1, len(columns) + 1))
        rows[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} WHERE NOT ({zero}) ORDER BY {order}"))]
    return rows


def assert_rollups_equal_raw(db: str) -> None:
    """What the roll-ups hold, against a rebuild from the raw lines in a transaction that is
    rolled back."""
    engine = make_engine(database_url(db))
    with engine.connect() as conn:
        kept = rollup_rows(conn)
        conn.commit()
        transaction = conn.begin()
        rollups.rebuild(conn)
        rebuilt = rollup_rows(conn)
        transaction.rollback()
    engine.dispose()
    for table in rollups.ALL_TABLES:
        assert kept[table] == rebuilt[table], table


def raw(db: str, sql: str, *params):
    return query(db, sql, *params)


@pytest.fixture
def imported(db, tmp_path):
    export = tmp_path / "export.csv"
    write_export(export, 4000, seed=4, customers=60, minutes_between=SPREAD)
    code, summary, output = run_import(db, str(export), "--no-refresh")
    assert code == 0, output
    return db


def test_an_import_leaves_the_rollups_equal_to_the_lines(imported):
    assert raw(imported, "SELECT count(*) FROM order_line")[0][0] > 3000
    assert_rollups_equal_raw(imported)


def triggers(db: str) -> list:
    return raw(db, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")


@pytest.mark.sqlite_only
def test_the_import_and_a_rebuild_put_back_the_triggers_the_schema_defined(db):
    """suspend() keeps each trigger's own SQL and resume() runs it again: no second definition."""
    at_head = triggers(db)
    assert {name for name, _, _ in at_head} >= set(rollups.BULK_TRIGGERS + rollups.MONTH_CUSTOMER_TRIGGERS)
    assert run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"))[0] == 0
    assert triggers(db) == at_head
    engine = make_engine(database_url(db))
    with engine.connect() as conn:
        with conn.begin():
            rollups.suspend(conn)
            rollups.rebuild(conn)
        assert {name for name, _, _ in triggers(db)} == {name for name, _, _ in at_head} - set(rollups.BULK_TRIGGERS)
        with conn.begin():
            rollups.resume(conn)
        assert triggers(db) == at_head
        transaction = conn.begin()
        rollups.suspend(conn)
        transaction.rollback()  # a failed import: the triggers were never gone
        assert triggers(db) == at_head
        with conn.begin():
            rollups.resume(conn)  # what the failed one kept creates nothing twice
        assert triggers(db) == at_head
    engine.dispose()


def test_a_second_overlapping_import_keeps_them_equal(imported, tmp_path):
    newer = tmp_path / "newer.csv"
    write_export(newer, 5000, seed=4, customers=60, minutes_between=SPREAD)  # the same start, more lines
    assert run_import(imported, str(newer))[0] == 0
    assert_rollups_equal_raw(imported)


def test_phone_orders_cancellations_and_a_move_keep_them_equal(imported):
    engine = make_engine(database_url(imported))
    with write_session(engine) as session:
        sku = session.execute(__import__("sqlalchemy").text(
            "SELECT sku FROM product WHERE kind = 'product' ORDER BY id LIMIT 1")).scalar()
        session.execute(__import__("sqlalchemy").text("UPDATE product SET stock_quantity = 100"))
        customer_id = session.execute(__import__("sqlalchemy").text("SELECT min(id) FROM customer")).scalar()
    with write_session(engine) as session:
        placed = place_phone_order(session, ANA, customer_id, [OrderItem(sku, 3)], discount_percent=5,
                                   reason="loyal customer", now=AS_OF)
    with write_session(engine) as session:
        web = place_order(session, None, [OrderItem(sku, 2)])  # a guest in the web shop
    with write_session(engine) as session:
        cancel_order(session, placed.order_id, taken_by="ana")
        cancel_order(session, web.order_id)
    assert_rollups_equal_raw(imported)
    with write_session(engine) as session:
        card = load_card(session, customer_id)
        save_card(session, SUPERVISOR, card, {"country": "FR" if card.country != "FR" else "DE",
                                              "phone": "+33612345678" if card.country != "FR" else "+4915112345678"},
                  reason="moved", now=AS_OF)
    assert_rollups_equal_raw(imported)
    engine.dispose()


def test_monthly_net_sales_equal_the_lines_of_each_month(imported):
    with Session(make_engine(database_url(imported))) as session:
        period = reports.period_of_data(session)
        rows = reports.monthly(session, period)
    expected = raw(imported, "SELECT substr(CAST(o.placed_at AS TEXT), 1, 7), sum(l.quantity * l.unit_price_cents), "
                             "sum(CASE WHEN l.quantity > 0 THEN l.quantity * l.unit_price_cents ELSE 0 END), "
                             "sum(CASE WHEN l.quantity < 0 THEN l.quantity * l.unit_price_cents ELSE 0 END), "
                             "sum(CASE WHEN l.quantity > 0 THEN l.quantity ELSE 0 END) FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                             "GROUP BY 1 ORDER BY 1")
    assert [(r.month, r.net_cents, r.gross_cents, r.cancellations_cents, r.units) for r in rows] == expected
    assert any(r.cancellations_cents < 0 for r in rows)
    orders = raw(imported, "SELECT substr(CAST(placed_at AS TEXT), 1, 7), "
                           "sum(CASE WHEN status NOT IN ('cancelled', 'returned') THEN 1 ELSE 0 END), "
                           "count(DISTINCT CASE WHEN status NOT IN ('cancelled', 'returned') THEN customer_id END) "
                           "FROM shop_order GROUP BY 1 ORDER BY 1")
    assert [(r.month, r.orders, r.customers) for r in rows] == orders
    first = raw(imported, "SELECT m, count(*) FROM (SELECT customer_id, min(substr(CAST(placed_at AS TEXT), 1, 7)) AS m "
                          "FROM shop_order WHERE customer_id IS NOT NULL AND status NOT IN ('cancelled', 'returned') "
                          "GROUP BY 1) AS firsts GROUP BY 1 ORDER BY 1")
    assert [(r.month, r.new_customers) for r in rows if r.new_customers] == first


@pytest.mark.parametrize("cut", [(0, 0), (9, 20), (17, "one day"), (20, "25 days")])
@pytest.mark.parametrize("country", [None, "GB"])
def test_monthly_over_ranges_that_cut_months_equals_the_lines(imported, cut, country):
    """Every figure, new customers too, for the days asked and no others, with guests counted
    in the country their order gives."""
    with Session(make_engine(database_url(imported))) as session:
        whole = reports.period_of_data(session)
        first = whole.first + timedelta(days=cut[0])
        last = {"one day": first, "25 days": first + timedelta(days=25)}.get(cut[1])  # 25 days: two cut months
        period = reports.Period(first, last or whole.last - timedelta(days=cut[1]))
        rows = reports.monthly(session, period, country)
    a, b = period.first.isoformat(), (period.last + timedelta(days=1)).isoformat()
    in_country = "AND coalesce(c.country, o.country, '') = ?" if country else ""
    extra = (country,) if country else ()
    month = "substr(CAST(o.placed_at AS TEXT), 1, 7)"
    orders = "FROM shop_order o LEFT JOIN customer c ON c.id = o.customer_id WHERE o.placed_at >= ? AND o.placed_at < ?"
    is_order = "o.status NOT IN ('cancelled', 'returned')"
    sales = raw(imported, f"SELECT {month}, sum(l.line_total_cents) "
                          f"FROM order_line l JOIN shop_order o ON o.id = l.order_id LEFT JOIN customer c "
                          f"ON c.id = o.customer_id WHERE o.placed_at >= ? AND o.placed_at < ? {in_country} "
                          "GROUP BY 1 ORDER BY 1", a, b, *extra)
    assert [(r.month, r.net_cents) for r in rows] == sales
    counts = raw(imported, f"SELECT {month}, sum(CASE WHEN {is_order} THEN 1 ELSE 0 END), "
                           f"count(DISTINCT CASE WHEN {is_order} THEN o.customer_id END) {orders} {in_country} "
                           "GROUP BY 1 ORDER BY 1", a, b, *extra)
    assert [(r.month, r.orders, r.customers) for r in rows] == counts
    new = raw(imported, "SELECT substr(f, 1, 7), count(*) FROM (SELECT o.customer_id, min(CAST(o.placed_at AS TEXT)) "
                        f"AS f FROM shop_order o JOIN customer c ON c.id = o.customer_id WHERE {is_order} "
                        f"{'AND c.country = ?' if country else ''} GROUP BY 1) "
                        "AS firsts WHERE f >= ? AND f < ? GROUP BY 1 ORDER BY 1", *extra, a, b)
    assert [(r.month, r.new_customers) for r in rows if r.new_customers] == new
    if cut == (0, 0) and country is None:
        assert sum(r.new_customers for r in rows) > 20


@pytest.mark.parametrize("bounded", [False, True], ids=["adding-up", "lifetime-bound"])
@pytest.mark.parametrize("cut", [(0, 0), (9, 20), (40, 3)])
def test_top_lists_over_any_range_equal_the_lines(imported, cut, bounded, monkeypatch):
    if bounded:  # the search that stops at the lifetime bound, used for long ranges
        monkeypatch.setattr(reports, "SHORT_RANGE_DAYS", -1)
    with Session(make_engine(database_url(imported))) as session:
        whole = reports.period_of_data(session)
        period = reports.Period(whole.first + timedelta(days=cut[0]), whole.last - timedelta(days=cut[1]))
        assert (period.last - period.first).days > 60 and period.split()[1] is not None
        products = reports.top_products(session, period, limit=5)
        by_quantity = reports.top_products(session, period, by="quantity", limit=5)
        customers = reports.top_customers(session, period, limit=5, batch=7)
        countries = reports.sales_by(session, period, "country")
        one = reports.top_products(session, period, product_id=by_quantity[-1].product_id)
    a, b = period.first.isoformat(), (period.last + timedelta(days=1)).isoformat()
    lines = ("FROM order_line l JOIN shop_order o ON o.id = l.order_id JOIN product p ON p.id = l.product_id "
             "WHERE o.placed_at >= ? AND o.placed_at < ?")
    assert [(p.sku, p.net_cents) for p in products] == raw(
        imported, f"SELECT p.sku, sum(l.line_total_cents) {lines} AND p.kind = 'product' GROUP BY p.id "
                  "ORDER BY 2 DESC, p.id LIMIT 5", a, b)
    assert [(p.sku, p.units) for p in by_quantity] == raw(
        imported, f"SELECT p.sku, sum(l.quantity) {lines} AND p.kind = 'product' GROUP BY p.id "
                  "ORDER BY 2 DESC, p.id LIMIT 5", a, b)
    assert len(products) == len(by_quantity) == len(customers) == 5
    assert one == [by_quantity[-1]]  # one product's figures, as the dashboard's product window asks
    assert [(c.customer_id, c.net_cents) for c in customers] == raw(
        imported, "SELECT o.customer_id, sum(l.line_total_cents) FROM order_line l JOIN shop_order o "
                  "ON o.id = l.order_id WHERE o.placed_at >= ? AND o.placed_at < ? AND o.customer_id IS NOT NULL "
                  "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5", a, b)
    assert sorted(countries) == sorted(raw(
        imported, "SELECT coalesce(c.country, o.country, ''), sum(l.line_total_cents) FROM order_line l JOIN shop_order o "
                  "ON o.id = l.order_id LEFT JOIN customer c ON c.id = o.customer_id "
                  "WHERE o.placed_at >= ? AND o.placed_at < ? GROUP BY 1", a, b))


def test_discounts_per_agent_and_callbacks(engine):
    from datetime import datetime

    from crm_tui.services.callback_claims import claim_callback, finish_callback
    from crm_tui.services.customers import load_card as card_of
    from crm_tui.settings import QueueSettings
    from crm_tui.shop.operations import register_customer, request_callback
    from tests.conftest import REGISTRATION, add_products

    add_products(engine, dict(sku="MUG", name="Mug", unit_price_cents=1000, stock_quantity=50))
    with write_session(engine) as session:
        customer = register_customer(session, REGISTRATION)
    with write_session(engine) as session:
        place_phone_order(session, ANA, customer.id, [OrderItem("MUG", 2)], discount_percent=10, reason="promo",
                          now=AS_OF)
        place_phone_order(session, ANA, customer.id, [OrderItem("MUG", 1)], now=AS_OF)
        save_card(session, SUPERVISOR, card_of(session, customer.id), {"discount_percent": 20}, reason="vip",
                  now=AS_OF)
    now = AS_OF
    with write_session(engine) as session:
        quick = request_callback(session, "611 00 00 01", now=now - timedelta(minutes=30)).id
        slow = request_callback(session, "611 00 00 02", now=now - timedelta(minutes=30)).id
        request_callback(session, "611 00 00 03", now=now - timedelta(minutes=30))
    with Session(engine) as session:
        always = QueueSettings(calling_hours=(datetime.min.time(), datetime.max.time()))
        for callback_id, after in ((quick, 25), (slow, 0)):
            started = now - timedelta(minutes=after)
            claim_callback(session, ANA, callback_id, now=started, settings=always)
            finish_callback(session, ANA, callback_id, "resolved", started_at=started, now=started, settings=always)
        today = reports.Period(AS_OF.date() - timedelta(days=1), AS_OF.date() + timedelta(days=1))
        per_agent = {d.login: d for d in reports.discounts(session, today)}
        days, hours = reports.callbacks(session, today, target_minutes=15)
    assert (per_agent["ana"].phone_orders, per_agent["ana"].discounted_orders, per_agent["ana"].discount_cents) == (
        2, 2, 300)  # the 10 % agreed on the first order became the customer's discount
    assert per_agent["sue"].card_changes == 1
    assert sum(d.requests for d in days) == 3 and sum(d.called for d in days) == 2
    assert sum(d.within_target for d in days) == 1 and sum(hours) == 3


def test_the_demo_and_the_sample_start_with_equal_rollups(db):
    assert run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"))[0] == 0
    assert_rollups_equal_raw(db)


def test_the_dashboard_compares_with_a_year_earlier_only_when_it_holds_data_throughout():
    from datetime import date

    from crm_tui.services.dashboard import DashboardData
    from crm_tui.services.reports import Period

    def data(first_sale):
        return DashboardData(Period(date(2026, 1, 1), date(2026, 11, 30)), [], [], [], [], [], [], [], [], [], [],
                             first_sale)
    assert data(date(2024, 12, 1)).year_earlier_complete
    assert data(date(2025, 1, 1)).year_earlier_complete
    assert not data(date(2025, 11, 20)).year_earlier_complete  # nine days of a year earlier: no growth figure
    assert not data(None).year_earlier_complete
