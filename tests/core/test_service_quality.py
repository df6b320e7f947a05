"""Every service-quality index against independent SQL over a generated shop: the demo with its
service history, plus callbacks called early and late, over several ranges."""

import statistics
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from crm_tui.db import make_engine, write_session
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_callback, finish_callback
from crm_tui.services.demo_shop import create_demo_database
from crm_tui.services.lost_customers import lost_by_month, lost_customers
from crm_tui.services.service_quality import quality_report
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings, ServiceSettings
from crm_tui.shop.operations import request_callback
from tests.conftest import AS_OF

SUE = StaffMember("sue", "Sue", Role.SUPERVISOR, 30, True)
ANA = StaffMember("ana", "Ana", Role.AGENT, 10, True)
QUEUE = QueueSettings(target_minutes=15)
SERVICE = ServiceSettings()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('quality') / 'shop.db'}")
    create_demo_database(engine, customers=600, seed=21, login="sue", as_of=AS_OF)
    # Callbacks of the last weeks, worked through the queue: first called 5 to 40 minutes after
    # they became due, some twice; some resolved, some declined.
    always = QueueSettings(calling_hours=(time(0), time(23, 59)), backoff_minutes=(15,))
    with write_session(engine) as session:
        for n in range(60):
            requested = AS_OF - timedelta(days=n % 30 + 1, hours=n % 7)
            window = (requested + timedelta(hours=2)).time() if n % 5 == 0 else None
            callback = request_callback(session, f"+34600{n:06d}", now=requested, time_zone="UTC",
                                        window=(window, (requested + timedelta(hours=3)).time()) if window else None,
                                        window_date=requested if window else None)
            due = callback.window_from or requested
            tries = 1 + (n % 3 == 0)
            for attempt in range(tries):
                started = due + timedelta(minutes=5 + (n * 7) % 36 + attempt * 30)
                assert claim_callback(session, ANA, callback.id, started, always, before_its_window=True)
                last = attempt + 1 == tries
                outcome = "no_answer" if not last else ("resolved" if n % 2 else "declined")
                finish_callback(session, ANA, callback.id, outcome, started_at=started,
                                now=started + timedelta(minutes=3), settings=always,
                                satisfaction=(n % 5) + 1 if last and n % 2 else None,
                                feedback_kind="complaint" if last and n % 2 and n % 11 == 0 else None,
                                feedback="late" if last and n % 2 and n % 11 == 0 else "",
                                lost_reason="price" if last and not n % 2 else None)
    yield engine
    engine.dispose()


def sql(engine, query: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).all()


def one(engine, query: str, **params):
    return sql(engine, query, **params)[0][0]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


RANGES = [(AS_OF - timedelta(days=29), AS_OF), (AS_OF - timedelta(days=364), AS_OF),
          (AS_OF - timedelta(days=6), AS_OF - timedelta(days=2))]


@pytest.mark.parametrize("first, last", RANGES, ids=["30 days", "a year", "a few days"])
def test_every_index_equals_independent_sql(shop, first, last):
    first = first.replace(hour=0, minute=0, second=0, microsecond=0)
    last = last.replace(hour=0, minute=0, second=0, microsecond=0)
    a, b = stamp(first), stamp(last + timedelta(days=1))
    with Session(shop) as session:
        report = quality_report(session, SUE, first, last, QUEUE, SERVICE)

    scores = sql(shop, "SELECT satisfaction, count(*) FROM (SELECT satisfaction, ended_at FROM callback_attempt "
                       "UNION ALL SELECT satisfaction, ended_at FROM service_contact) WHERE satisfaction IS NOT NULL "
                       "AND ended_at >= :a AND ended_at < :b GROUP BY 1", a=a, b=b)
    assert dict(report.scores) == {score: n for score, n in scores}
    average = one(shop, "SELECT avg(satisfaction) FROM (SELECT satisfaction, ended_at FROM callback_attempt "
                        "UNION ALL SELECT satisfaction, ended_at FROM service_contact) WHERE satisfaction IS NOT NULL "
                        "AND ended_at >= :a AND ended_at < :b", a=a, b=b)
    assert report.satisfaction == pytest.approx(average) if average is not None else report.satisfaction is None

    complaints = one(shop, "SELECT (SELECT count(*) FROM callback_attempt WHERE feedback_kind = 'complaint' AND "
                           "ended_at >= :a AND ended_at < :b) + (SELECT count(*) FROM service_contact WHERE "
                           "feedback_kind = 'complaint' AND ended_at >= :a AND ended_at < :b) + (SELECT count(*) FROM "
                           "contact_message WHERE kind = 'complaint' AND received_at >= :a AND received_at < :b)",
                     a=a, b=b)
    orders = one(shop, "SELECT count(*) FROM shop_order WHERE status NOT IN ('cancelled', 'returned') "
                       "AND placed_at >= :a AND placed_at < :b", a=a, b=b)
    assert (report.complaints, report.orders) == (complaints, orders)

    cases = sql(shop, "SELECT resolved_at <= due_at, (julianday(resolved_at) - julianday(opened_at)) * 24, contacts "
                      "FROM service_case WHERE resolved_at >= :a AND resolved_at < :b", a=a, b=b)
    assert report.cases_resolved == len(cases)
    assert report.cases_within_target == sum(within for within, _, _ in cases)
    if cases:
        assert report.median_resolution_hours == pytest.approx(statistics.median(h for _, h, _ in cases), abs=1e-3)
    first_call_resolved = one(shop, "SELECT count(*) FROM callback_request WHERE outcome IN ('resolved', 'ordered') "
                                    "AND closed_at >= :a AND closed_at < :b AND attempts <= 1", a=a, b=b)
    call_matters = one(shop, "SELECT count(*) FROM callback_request WHERE outcome IN ('resolved', 'ordered') "
                             "AND closed_at >= :a AND closed_at < :b", a=a, b=b)
    assert report.matters_closed == call_matters + len(cases)
    assert report.first_contact == first_call_resolved + sum(contacts <= 1 for _, _, contacts in cases)

    called = sql(shop, "SELECT c.requested_at, c.window_from, min(a.started_at) FROM callback_request c "
                       "JOIN callback_attempt a ON a.callback_id = c.id GROUP BY c.id "
                       "HAVING min(a.started_at) >= :a AND min(a.started_at) < :b", a=a, b=b)
    within = one(shop, "SELECT count(*) FROM (SELECT c.id, CASE WHEN c.window_from > c.requested_at "
                       "THEN c.window_from ELSE c.requested_at END AS due, min(a.started_at) AS first FROM "
                       "callback_request c JOIN callback_attempt a ON a.callback_id = c.id GROUP BY c.id) "
                       "WHERE first >= :a AND first < :b AND strftime('%s', first) - strftime('%s', due) <= :m * 60",
                 a=a, b=b, m=QUEUE.target_minutes)
    assert (report.callbacks_called, report.callbacks_within_target) == (len(called), within)

    due, answered_in_time = sql(shop, """
        SELECT count(*), coalesce(sum(answered_at IS NOT NULL AND julianday(answered_at) - julianday(received_at)
                                      <= :h / 24.0), 0)
        FROM contact_message WHERE received_at >= :a AND received_at < :b
          AND NOT (status = 'closed' AND answered_at IS NULL)
          AND (answered_at IS NOT NULL OR julianday(received_at) + :h / 24.0 <= julianday(:b))""",
                                a=a, b=b, h=SERVICE.inbox_target_hours)[0]
    assert (report.messages_due, report.messages_within_target) == (due, answered_in_time)

    returns = sql(shop, """
        WITH returned AS (SELECT l.product_id, -sum(l.quantity) AS units FROM shop_order o JOIN order_line l
                          ON l.order_id = o.id JOIN product p ON p.id = l.product_id
                          WHERE o.status = 'returned' AND o.cancels_order_id IS NOT NULL AND p.kind = 'product'
                          AND o.placed_at >= :a AND o.placed_at < :b GROUP BY 1),
             sold AS (SELECT l.product_id, sum(l.quantity) AS units FROM shop_order o JOIN order_line l
                      ON l.order_id = o.id WHERE l.quantity > 0 AND o.placed_at >= :a AND o.placed_at < :b GROUP BY 1)
        SELECT p.sku, r.units, coalesce(s.units, 0) FROM returned r JOIN product p ON p.id = r.product_id
        LEFT JOIN sold s ON s.product_id = r.product_id""", a=a, b=b)
    expected = sorted(((sku, returned, sold) for sku, returned, sold in returns),
                      key=lambda r: (-(r[1] / r[2] if r[2] else 0), -r[1], r[0]))[:10]
    assert [(r.sku, r.returned, r.sold) for r in report.returns] == expected


def test_lost_customers_per_month_equal_independent_sql(shop):
    first, last = AS_OF - timedelta(days=364), AS_OF
    with Session(shop) as session:
        months = lost_by_month(lost_customers(session, SUE, first, last, SERVICE))
    # Lapsed on: the segments' computation time, less the whole days since the last purchase,
    # plus the lapse (a customer lapses on a day, counted as the recency is).
    rows = sql(shop, """
        SELECT strftime('%Y-%m', lapsed_on), count(*) FROM (
            SELECT julianday(:now) - CAST(julianday(:now) - julianday(max(placed_at)) AS INTEGER) + :lapse
                   AS lapsed_on
            FROM shop_order WHERE customer_id IS NOT NULL AND total_cents > 0 AND placed_at < :now
            GROUP BY customer_id HAVING count(*) >= :regular
               AND julianday(:now) - julianday(max(placed_at)) >= :lapse)
        WHERE lapsed_on >= julianday(:first) AND lapsed_on < julianday(:last) + 1
        GROUP BY 1""", lapse=SERVICE.lapse_days, regular=SERVICE.regular_purchases, now=stamp(AS_OF),
               first=stamp(first), last=stamp(last))
    assert {m.month: m.customers for m in months} == dict(rows)
    assert sum(m.customers for m in months) > 0
    reasons = sum(n for m in months for reason, n in m.reasons.items() if reason != "unknown")
    assert reasons > 0  # the demo called most of them and they said why
