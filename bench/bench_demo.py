"""Demo build speed: 100,000 customers with about 1,000,000 order lines (goal: under 2 minutes).

Anchor: the same number of order-line rows written by sqlite3's executemany into a bare table
in one transaction, the physical floor for getting that many rows into SQLite from Python.
"""

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from crm_tui.db import make_engine
from crm_tui.services.demo_shop import create_demo_database

CUSTOMERS = int(os.environ.get("BENCH_DEMO_CUSTOMERS", "100000"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        started = time.perf_counter()
        engine = make_engine(f"sqlite:///{db}")
        result = create_demo_database(engine, customers=CUSTOMERS, seed=7, login="bench")
        engine.dispose()
        seconds = time.perf_counter() - started
        lines = result.summary.order_lines

        anchor_db = sqlite3.connect(Path(tmp) / "anchor.db")
        anchor_db.execute("PRAGMA journal_mode=WAL")
        anchor_db.execute("CREATE TABLE order_line (id INTEGER PRIMARY KEY, order_id INT, product_id INT, "
                          "quantity INT, unit_price_cents INT, line_total_cents INT)")
        rows = ((i, i // 3, i % 200, 1, 450, 450) for i in range(1, lines + 1))
        anchor_started = time.perf_counter()
        with anchor_db:
            anchor_db.executemany("INSERT INTO order_line VALUES (?,?,?,?,?,?)", rows)
        anchor = time.perf_counter() - anchor_started
        anchor_db.close()

        engine = make_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            orders = conn.execute(text("SELECT count(*) FROM shop_order")).scalar()
        engine.dispose()
    print(f"demo: {result.summary.customers:,} customers, {orders:,} orders, {lines:,} order lines "
          f"in {seconds:.1f} s (goal < 120 s); {lines / seconds:,.0f} lines/s")
    print(f"anchor: sqlite3 executemany of {lines:,} bare rows {anchor:.1f} s; "
          f"demo/anchor = {seconds / anchor:.1f}x (the demo also generates customers, rhythms, "
          f"orders and indexes)")


if __name__ == "__main__":
    main()
