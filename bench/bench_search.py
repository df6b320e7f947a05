"""Customer search at 1,000,000 customers: p50 and p95 per kind of query, next to a naive
`LIKE '%q%'` scan over the same table as the anchor. Goals: p95 <= 10 ms for prefix, phone
and number queries; <= 30 ms for typos. The home screen also counts all matches when its list
is full ("50 of 325"): measured as "prefix + count".

The database is built once (customers from the demo generator, plus 300,000 orders for
order-number lookups) and kept in bench/out/ between runs.
"""

import os
import random
import statistics
import time
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

from crm_tui.db import open_database
from crm_tui.services.search import LIMIT, count_matches, search_customers
from crm_tui.shop.demo import build_demo
from crm_tui.shop.models import Order

CUSTOMERS = int(os.environ.get("BENCH_SEARCH_CUSTOMERS", "1000000"))
OUT = Path(__file__).parent / "out"


def database() -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"search-{CUSTOMERS}.db"
    if path.exists():
        return path
    started = time.perf_counter()
    engine = open_database(str(path))
    with engine.begin() as conn:
        build_demo(conn, customers=CUSTOMERS, seed=3, order_history=False)
        rng = random.Random(3)
        conn.execute(insert(Order), [dict(id=i, number=f"WO{i:08d}", customer_id=rng.randint(1, CUSTOMERS),
                                          status="delivered", channel="web", discount_percent=0, subtotal_cents=0,
                                          discount_cents=0, total_cents=0) for i in range(1, 300_001)])
    engine.dispose()
    print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def queries(session: Session, rng: random.Random, customers: int = CUSTOMERS) -> dict[str, list[str]]:
    ids = ", ".join(str(rng.randint(1, customers)) for _ in range(400))
    people = session.execute(text(f"SELECT first_name, last_name, phone FROM customer WHERE id IN ({ids})")).all()
    rng.shuffle(people)
    kinds: dict[str, list[str]] = {"prefix 1-4 letters": [], "full name": [], "phone fragment": [],
                                   "order number": [], "customer number": [], "typo": []}
    for first, last, phone in people[:100]:
        surname = last.split()[0]
        kinds["prefix 1-4 letters"].append(surname[: rng.randint(1, 4)])
        kinds["full name"].append(f"{first} {surname}")
        national = phone[3:] if phone.startswith("+34") else "0" + phone[3:]
        kinds["phone fragment"].append(rng.choice([phone[-4:], phone[-6:], f"{national[:3]} {national[3:6]}", phone]))
        kinds["order number"].append(f"WO{rng.randint(1, 300_000):08d}")
        kinds["customer number"].append(f"CU{rng.randint(1, customers):07d}")
        i = rng.randrange(1, len(surname)) if len(surname) > 2 else 1
        kinds["typo"].append(surname[:i] + rng.choice("xyzq") + surname[i + 1:])
    return kinds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> None:
    engine = open_database(str(database()))
    rng = random.Random(11)
    with Session(engine) as session:
        kinds = queries(session, rng)
        search_customers(session, "warm up")
        print(f"{'query kind':22} {'p50 ms':>8} {'p95 ms':>8} {'hits':>6}")
        for kind, texts in kinds.items():
            times, hits = [], 0
            for q in texts:
                started = time.perf_counter()
                hits += len(search_customers(session, q))
                times.append((time.perf_counter() - started) * 1000)
            goal = {"full name": "", "typo": "  (goal p95 <= 30 ms)"}.get(kind, "  (goal p95 <= 10 ms)")
            print(f"{kind:22} {statistics.median(times):8.2f} {percentile(times, 0.95):8.2f} "
                  f"{hits / len(texts):6.1f}{goal}")
        times, totals = [], 0
        for q in kinds["prefix 1-4 letters"]:
            started = time.perf_counter()
            found = search_customers(session, q)
            totals += count_matches(session, q) if len(found) >= LIMIT else len(found)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{'prefix + count':22} {statistics.median(times):8.2f} {percentile(times, 0.95):8.2f} "
              f"{totals / len(times):6.0f}  (the list's \"50 of N\"; N counted up to 10,000)")
        anchor = []
        for q in kinds["full name"][:10] + kinds["prefix 1-4 letters"][:10]:
            started = time.perf_counter()
            session.execute(text("SELECT id FROM customer WHERE first_name || ' ' || last_name LIKE :q LIMIT 50"),
                            {"q": f"%{q}%"}).all()
            anchor.append((time.perf_counter() - started) * 1000)
        print(f"{'anchor LIKE %q% scan':22} {statistics.median(anchor):8.2f} {percentile(anchor, 0.95):8.2f}")
    engine.dispose()


if __name__ == "__main__":
    main()
