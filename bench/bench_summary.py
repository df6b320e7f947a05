"""The customer summary for a customer with 5,000 order lines in a database of 10,000,000
lines, next to a naive computation over the same customer's rows loaded into Python.
Goal: at most 50 ms.

The database (1,000,000 orders of 10 lines; the measured customer has 500 of them) is built
once with the driver's executemany and kept in bench/out/.
"""

import os
import random
import sqlite3
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session

from crm_tui.db import open_database
from crm_tui.services.customer_summary import customer_summary

LINES = int(os.environ.get("BENCH_SUMMARY_LINES", "10000000"))
OUT = Path(__file__).parent / "out"
HEAVY = 1  # the customer with 5,000 lines
CUSTOMERS = 100_000


def database() -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"summary-{LINES}.db"
    if path.exists():
        return path
    started = time.perf_counter()
    open_database(str(path)).dispose()
    rng = random.Random(5)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO product (id, sku, name, description, category, unit_price_cents, stock_quantity, "
                     "low_stock_threshold, active, kind, created_at) VALUES (?,?,?,'','',?,100,5,1,?,?)",
                     [(p, f"S{p}", f"Product {p}", 100 + p, "postage" if p == 1 else "product",
                       "2024-01-01 00:00:00.000000") for p in range(1, 2001)])
    conn.executemany("INSERT INTO customer (id, customer_number, first_name, last_name, street, postcode, city, "
                     "country, time_zone, preferred_language, registered_at, discount_percent, version, created_at, "
                     "updated_at) VALUES (?,?,?,?,'','','','ES','Europe/Madrid','es',?,0,1,?,?)",
                     [(c, f"CU{c:07d}", "Name", f"Surname{c}", "2024-01-01 00:00:00.000000",
                       "2024-01-01 00:00:00.000000", "2024-01-01 00:00:00.000000") for c in range(1, CUSTOMERS + 1)])
    orders = LINES // 10
    start = datetime(2024, 1, 1)
    for chunk in range(0, orders, 100_000):
        order_rows, line_rows = [], []
        for oid in range(chunk + 1, min(orders, chunk + 100_000) + 1):
            customer = HEAVY if oid % (orders // 500) == 0 else rng.randint(2, CUSTOMERS)
            when = (start + timedelta(minutes=oid)).isoformat(" ", "microseconds")
            total = 0
            for pid in rng.sample(range(1, 2001), 10):
                quantity = rng.randint(1, 4)
                line_rows.append((oid, pid, quantity, 100 + pid, quantity * (100 + pid)))
                total += quantity * (100 + pid)
            order_rows.append((oid, f"WO{oid:08d}", customer, when, total, total))
        conn.executemany("INSERT INTO shop_order (id, number, customer_id, placed_at, status, channel, "
                         "discount_percent, subtotal_cents, discount_cents, total_cents) "
                         "VALUES (?,?,?,?,'delivered','web',0,?,0,?)", order_rows)
        conn.executemany("INSERT INTO order_line VALUES (?,?,?,?,?)", line_rows)
    conn.execute("COMMIT")
    conn.close()
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def naive(path: Path, customer_id: int) -> tuple:
    """What a report script would do: load the customer's lines, compute in Python."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT o.id, o.placed_at, l.product_id, p.kind, l.quantity, l.line_total_cents "
                        "FROM shop_order o JOIN order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id "
                        "WHERE o.customer_id = ?", (customer_id,)).fetchall()
    conn.close()
    totals: Counter = Counter()
    quantities: Counter = Counter()
    for order_id, _when, product_id, kind, quantity, line_total in rows:
        totals[order_id] += line_total
        if kind == "product":
            quantities[product_id] += quantity
    dates = sorted({r[1] for r in rows})
    return sum(totals.values()), quantities.most_common(5), dates[-1], len(rows)


def main() -> None:
    path = database()
    engine = open_database(str(path))
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    fast, slow = [], []
    with Session(engine) as session:
        customer_summary(session, HEAVY, now=now)
        for _ in range(10):
            started = time.perf_counter()
            summary = customer_summary(session, HEAVY, now=now)
            fast.append((time.perf_counter() - started) * 1000)
    for _ in range(5):
        started = time.perf_counter()
        value, _favourites, _last, lines = naive(path, HEAVY)
        slow.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    assert value == summary.lifetime_value_cents
    print(f"customer with {lines:,} lines, {summary.purchases} orders, in {LINES:,} lines")
    print(f"summary (SQL):            median {statistics.median(fast):7.1f} ms  max {max(fast):7.1f} ms (goal <= 50 ms)")
    print(f"naive (rows into Python): median {statistics.median(slow):7.1f} ms  "
          f"ratio naive/summary = {statistics.median(slow) / statistics.median(fast):.1f}x")


if __name__ == "__main__":
    main()
