"""The summary's figures, against direct SQL over an imported file."""

from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from crm_tui.db import open_database
from crm_tui.services.customer_summary import customer_summary, segment_for
from crm_tui.services.orders import order_history, order_lines
from tests.import_helpers import SAMPLES, query, run_import, scalar

NOW = datetime(2011, 1, 20, tzinfo=timezone.utc)


@pytest.fixture
def imported(db):
    code, summary, _ = run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"))
    assert code == 0
    return db


def summary_of(db, number):
    cid = scalar(db, "SELECT id FROM customer WHERE customer_number = ?", number)
    engine = open_database(db)
    with Session(engine) as session:
        result = customer_summary(session, cid, now=NOW)
    engine.dispose()
    return cid, result


def test_figures_equal_direct_sql_over_the_imported_lines(imported):
    cid, s = summary_of(imported, "17850")
    value = scalar(imported, "SELECT sum(l.quantity * l.unit_price_cents) FROM order_line l "
                             "JOIN shop_order o ON o.id = l.order_id WHERE o.customer_id = ?", cid)
    assert s.lifetime_value_cents == value == 1530 + 2034 + 1110 + 1800 - 678
    purchases = query(imported, "SELECT o.placed_at FROM shop_order o WHERE o.customer_id = ? AND "
                                "(SELECT sum(line_total_cents) FROM order_line WHERE order_id = o.id) > 0 "
                                "ORDER BY placed_at", cid)
    assert s.purchases == len(purchases) == 2
    assert s.last_purchase.replace(tzinfo=None).isoformat(" ").startswith(purchases[-1][0][:16])
    assert s.days_since_last == (NOW - s.last_purchase).days


def test_favourites_exclude_postage_and_net_cancellations(imported):
    _, s = summary_of(imported, "17850")
    by_quantity = [(f.sku, f.quantity) for f in s.favourites_by_quantity]
    # 71053: 6 bought (the duplicate line skipped), 2 cancelled -> 4; POST never appears.
    assert by_quantity == [("85123A", 6), ("22633", 6), ("71053", 4)]
    assert "POST" not in [f.sku for f in s.favourites_by_orders]


def test_a_customer_without_purchases_is_a_prospect_and_fees_never_favourites(imported):
    _, s = summary_of(imported, "12583")
    assert [f.sku for f in s.favourites_by_quantity] == ["85123A"]
    assert s.purchases == 3


@pytest.mark.parametrize("args,segment", [
    ((0, None, 0, False, None), "prospect"), ((5, 400, 90000, False, 900), "lapsed"),
    ((1, 10, 2000, False, 10), "new"), ((8, 20, 60000, False, 500), "champion"),
    ((5, 120, 30000, True, 600), "at risk"), ((5, 20, 30000, False, 600), "loyal"),
    ((2, 100, 3000, False, 300), "occasional"),
])
def test_segments(args, segment):
    assert segment_for(*args) == segment


def test_history_is_newest_first_paged_and_links_cancellations(imported):
    cid = scalar(imported, "SELECT id FROM customer WHERE customer_number='17850'")
    engine = open_database(imported)
    with Session(engine) as session:
        first = order_history(session, cid, page=2)
        rest = order_history(session, cid, after=(first[-1].placed_at, first[-1].order_id), page=2)
        lines = order_lines(session, first[0].order_id)
    engine.dispose()
    assert [o.number for o in first + rest] == ["C536379", "536366", "536365"]
    assert first[0].total_cents == -678 and first[0].items == 1
    assert [(line.sku, line.quantity) for line in lines] == [("71053", -2)]


def test_the_rhythm_counts_gaps_between_purchase_days_not_orders(db, tmp_path):
    rows = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    rows += [f"5{n:05d},22633,HAND WARMER,1,2010-12-0{1 if n < 17 else 8} {8 + n // 10:02d}:{n % 60:02d},1.85,17850,"
             "United Kingdom" for n in range(34)]
    (tmp_path / "two-days.csv").write_text("\n".join(rows) + "\n")
    code, _, output = run_import(db, str(tmp_path / "two-days.csv"), "--no-refresh")
    assert code == 0, output
    _, s = summary_of(db, "17850")
    assert s.purchases == 34
    assert s.usual_interval_days == 7  # 1 Dec to 8 Dec; not 0 from the orders within one day
