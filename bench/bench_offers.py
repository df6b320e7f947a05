"""Offers, measured two ways.

Quality: learn from the orders before a cut-off (90 days before the last order), offer 10
products to every customer who bought before and after it, and count what they bought in the
90 days after: recall@10 and hit-rate@10, next to offering everyone the 10 most popular
products (the baseline). Goal: recall at least 1.5x the baseline. On the demo shop (5,000
customers), and on any database: `python -m bench.bench_offers --db URL`.

Speed: on the demo shop with 100,000 customers (about 1,000,000 order lines): offers for one
customer (goal <= 50 ms), next to the naive way (learning from all baskets at request time);
segments for all 100,000 customers (goal <= 10 s). Databases are built once into bench/out/.
"""

import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from crm_tui.db import make_engine, open_database
from crm_tui.services.affinity import learn, relearn
from crm_tui.services.demo_shop import create_demo_database
from crm_tui.services.offer_evaluation import evaluate
from crm_tui.services.offers import customer_offers, load_templates, offers_for
from crm_tui.services.segments import recompute_segments
from crm_tui.shop.models import Customer, Order, OrderLine

OUT = Path(__file__).parent / "out"
AS_OF = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


def demo(customers: int) -> str:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"offers-{customers}.db"
    if not path.exists():
        started = time.perf_counter()
        engine = make_engine(f"sqlite:///{path}")
        create_demo_database(engine, customers=customers, seed=11, login="bench", as_of=AS_OF)
        engine.dispose()
        print(f"built {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return str(path)


def quality(db: str, max_customers: int | None = None) -> None:
    engine = open_database(db)
    with Session(engine) as session:
        last = session.scalar(select(func.max(Order.placed_at)))
        lines = session.scalar(select(func.count()).select_from(Order))
        cut = last - timedelta(days=90)
        started = time.perf_counter()
        result = evaluate(session, cut, horizon_days=90, k=10, max_customers=max_customers)
        seconds = time.perf_counter() - started
    engine.dispose()
    ratio = f"{result.ratio:.2f}x" if result.ratio else "n/a"
    print(f"{Path(db).name}: {lines:,} orders, cut {cut:%Y-%m-%d}, {result.customers:,} customers evaluated "
          f"({seconds:.0f} s)\n"
          f"  offers:       recall@10 {result.recall:.3f}  hit-rate@10 {result.hit_rate:.3f}\n"
          f"  most popular: recall@10 {result.baseline_recall:.3f}  hit-rate@10 {result.baseline_hit_rate:.3f}\n"
          f"  recall ratio offers/baseline = {ratio} (goal >= 1.5x); hit-rate ratio = "
          f"{result.hit_rate / result.baseline_hit_rate if result.baseline_hit_rate else float('nan'):.2f}x",
          flush=True)


def speed(db: str) -> None:
    engine = open_database(db)
    templates = load_templates()
    with Session(engine) as session:
        lines = session.scalar(select(func.count()).select_from(OrderLine))
        ids = session.scalars(select(Customer.id)).all()
        started = time.perf_counter()
        scored = recompute_segments(session, AS_OF)
        segments_seconds = time.perf_counter() - started
        session.rollback()
        started = time.perf_counter()
        relearn(session, AS_OF)
        session.commit()
        learn_seconds = time.perf_counter() - started
        sample = random.Random(3).sample(ids, 300)
        times = []
        for customer_id in sample:
            started = time.perf_counter()
            customer_offers(session, customer_id, templates, now=AS_OF)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
        naive = []
        for customer_id in sample[:2]:
            started = time.perf_counter()
            offers_for(session, customer_id, learn(session, AS_OF), now=AS_OF)
            naive.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95)]
    print(f"{Path(db).name}: {len(ids):,} customers, {lines:,} order lines\n"
          f"  segments for {scored:,} customers: {segments_seconds:.2f} s (goal <= 10 s)\n"
          f"  learning the baskets (after an import, on demand): {learn_seconds:.1f} s\n"
          f"  offers for one customer, 300 customers: p50 {p50:.1f} ms  p95 {p95:.1f} ms  max {times[-1]:.1f} ms "
          f"(goal <= 50 ms)\n"
          f"  anchor, naive (learn from all baskets at request time): {statistics.median(naive):.0f} ms; "
          f"naive/stored = {statistics.median(naive) / p50:.0f}x", flush=True)


def main() -> None:
    args = sys.argv[1:]
    if "--db" in args:
        quality(args[args.index("--db") + 1], max_customers=5000)
        return
    quality(demo(5_000))
    big = demo(100_000)
    speed(big)
    quality(big, max_customers=5000)


if __name__ == "__main__":
    main()
