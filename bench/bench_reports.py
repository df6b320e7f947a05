"""Every report and every dashboard query on 10,000,000 order lines, next to the same figures
computed from the raw lines (the anchor). Goal: each at most 200 ms.

Uses the 10,000,000-line database of bench/summary (built there if missing); opening it
brings the schema up to date, which builds the roll-ups once.
"""

import statistics
import time
from datetime import date

from sqlalchemy import text
from sqlmodel import Session

from bench.bench_summary import database
from crm_tui.db import open_database
from crm_tui.services import reports

RAW = {
    "monthly": "SELECT substr(o.placed_at, 1, 7), count(DISTINCT o.id), sum(l.line_total_cents) "
               "FROM shop_order o JOIN order_line l ON l.order_id = o.id "
               "WHERE o.placed_at >= :a AND o.placed_at < :b GROUP BY 1",
    "top products": "SELECT l.product_id, sum(l.line_total_cents) FROM shop_order o JOIN order_line l "
                    "ON l.order_id = o.id WHERE o.placed_at >= :a AND o.placed_at < :b GROUP BY 1 ORDER BY 2 DESC "
                    "LIMIT 10",
    "top customers": "SELECT o.customer_id, sum(l.line_total_cents) FROM shop_order o JOIN order_line l "
                     "ON l.order_id = o.id WHERE o.placed_at >= :a AND o.placed_at < :b GROUP BY 1 ORDER BY 2 DESC "
                     "LIMIT 10",
    "by country": "SELECT c.country, sum(l.line_total_cents) FROM shop_order o JOIN order_line l "
                  "ON l.order_id = o.id LEFT JOIN customer c ON c.id = o.customer_id "
                  "WHERE o.placed_at >= :a AND o.placed_at < :b GROUP BY 1",
}


def timed(run, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    path = database()
    started = time.perf_counter()
    engine = open_database(str(path))
    print(f"opened {path.name} in {time.perf_counter() - started:.0f} s (roll-ups built on the first open)", flush=True)
    with Session(engine) as session:
        lines = session.execute(text("SELECT count(*) FROM order_line")).scalar()
        whole = reports.period_of_data(session)
        year = reports.Period(date(whole.last.year - 1, whole.last.month, 1), whole.last)
        odd = reports.Period(date(whole.first.year, whole.first.month, 17), date(whole.last.year, whole.last.month, 9))
        quarter = reports.Period(date(whole.last.year, 4, 1), date(whole.last.year, 6, 30))
        bounds = {"a": odd.first.isoformat(), "b": odd.last.isoformat()}
        measured = {
            "monthly (whole range)": lambda: reports.monthly(session, whole),
            "monthly, one country": lambda: reports.monthly(session, whole, "ES"),
            "top products by revenue (odd range)": lambda: reports.top_products(session, odd),
            "top products by quantity, category": lambda: reports.top_products(session, odd, "quantity",
                                                                               category=""),
            "top customers (odd range)": lambda: reports.top_customers(session, odd),
            "top customers, one country": lambda: reports.top_customers(session, odd, "ES"),
            "top customers (last 12 months)": lambda: reports.top_customers(session, year),
            "top customers (one quarter)": lambda: reports.top_customers(session, quarter),
            "by country": lambda: reports.sales_by(session, odd, "country"),
            "by channel": lambda: reports.sales_by(session, odd, "channel"),
            "trend by week": lambda: reports.trend(session, odd, "week"),
            "year on year (12 months)": lambda: reports.year_on_year(session, year),
            "discounts per agent": lambda: reports.discounts(session, odd),
            "callbacks": lambda: reports.callbacks(session, odd),
        }
        print(f"{lines:,} order lines, {whole.first} to {whole.last}; odd range {odd.first} to {odd.last}")
        worst = 0.0
        for name, run in measured.items():
            ms = timed(run)
            worst = max(worst, ms)
            print(f"  {name:<40} {ms:8.1f} ms")
        print(f"  worst: {worst:.1f} ms (goal <= 200 ms)")
        print("anchors, the same figures from the raw lines:")
        for name, sql in RAW.items():
            ms = timed(lambda: session.execute(text(sql), bounds).all(), repeat=1)
            print(f"  {name:<40} {ms:8.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
