"""Every report and every dashboard query on 10,000,000 order lines, next to the same figures
computed from the raw lines (the anchor). Goal: each at most 200 ms.

Uses the 10,000,000-line database of bench/summary (built there if missing); opening it
brings the schema up to date, which builds the roll-ups once. The service-quality report runs
on a service history added once at a call centre's scale: 100,000 callbacks (150,000 calls),
60,000 logged contacts, 100,000 contact messages, 20,000 cases and 20,000 returns.
"""

import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlmodel import Session

from bench.bench_summary import database
from crm_tui.db import open_database
from crm_tui.models import Role
from crm_tui.services import reports
from crm_tui.services.segments import recompute_segments
from crm_tui.services.service_quality import quality_report
from crm_tui.services.staff import StaffMember

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


def with_service_history(engine) -> None:
    """Callbacks and their calls, contacts, messages, cases and returns over the data's last
    year, once (kept in the database); then the segments, which the lost-customer figures read."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM service_case")).scalar():
            return
        started = time.perf_counter()
        rng = random.Random(15)
        last = conn.execute(text("SELECT max(placed_at) FROM shop_order")).scalar()
        end = datetime.fromisoformat(str(last))
        customers = conn.execute(text("SELECT max(id) FROM customer")).scalar()

        def moment(days: float) -> str:
            return (end - timedelta(days=rng.uniform(0, days))).isoformat(" ", "microseconds")

        def later(at: str, minutes: float) -> str:
            return (datetime.fromisoformat(at) + timedelta(minutes=minutes)).isoformat(" ", "microseconds")

        callbacks, attempts = [], []
        for cid in range(1, 100_001):
            requested = moment(365)
            tries = rng.choice([1, 1, 1, 2, 3])
            outcome = rng.choice(["resolved", "ordered", "declined", "unreachable"])
            wait = rng.uniform(2, 40)  # minutes to the first call, as finish_callback records it
            callbacks.append((cid, rng.randint(1, customers), f"+3460{cid:07d}", requested, tries, outcome,
                              later(requested, 90), later(requested, wait), int(wait * 60)))
            for n in range(tries):
                start = later(requested, wait + 60 * n)
                attempts.append((cid, callbacks[-1][1], start, later(start, 4), outcome if n + 1 == tries else
                                 "no_answer", rng.choice([None, 3, 4, 5, 5, 1, 2]) if n + 1 == tries else None,
                                 "complaint" if rng.random() < 0.03 else None))
        conn.exec_driver_sql(
            "INSERT INTO callback_request (id, customer_id, phone, requested_at, time_zone, note, source, status, "
            "attempts, outcome, closed_at, first_called_at, first_call_seconds) "
            "VALUES (?,?,?,?,'Europe/Madrid','','web','done',?,?,?,?,?)", callbacks)
        conn.exec_driver_sql(
            "INSERT INTO callback_attempt (callback_id, customer_id, staff_login, started_at, ended_at, outcome, note, "
            "satisfaction, feedback_kind, feedback) VALUES (?,?,'agent',?,?,?,'',?,?,'')", attempts)
        contacts = []
        for _ in range(60_000):
            ended = moment(365)
            contacts.append((rng.randint(1, customers), later(ended, -5), ended, rng.choice([None, 2, 4, 5, 5]),
                             "complaint" if rng.random() < 0.05 else None))
        conn.exec_driver_sql(
            "INSERT INTO service_contact (customer_id, staff_login, channel, direction, started_at, ended_at, outcome, "
            "note, satisfaction, feedback_kind, feedback) VALUES (?,'agent','phone','inbound',?,?,'resolved','',?,?,'')",
            contacts)
        messages = []
        for _ in range(100_000):
            received = moment(365)
            answered = later(received, rng.uniform(10, 3000)) if rng.random() < 0.9 else None
            messages.append((received, rng.choice(["question", "question", "complaint", "suggestion"]),
                             "answered" if answered else "new", answered))
        conn.exec_driver_sql(
            "INSERT INTO contact_message (name, email, text, kind, received_at, status, answer, answered_at) "
            "VALUES ('Visitor', 'v@example.org', 'Hello', ?, ?, ?, 'Answered', ?)",
            [(kind, received, status, answered) for received, kind, status, answered in messages])
        cases = []
        for _ in range(20_000):
            opened = moment(365)
            resolved = later(opened, rng.uniform(60, 6000)) if rng.random() < 0.8 else None
            cases.append((rng.randint(1, customers), rng.choice(["delivery", "billing", "service"]), "resolved"
                          if resolved else "open", opened, later(opened, 48 * 60), rng.randint(1, 3), resolved,
                          "refund" if resolved else None))
        conn.exec_driver_sql(
            "INSERT INTO service_case (customer_id, kind, status, priority, owner, opened_by, opened_at, due_at, "
            "source, summary, contacts, resolution, outcome, resolved_at, version) "
            "VALUES (?,?,?,2,'agent','agent',?,?,'contact','Complaint',?,'',?,?,1)",
            [(c, k, st, o, d, n, out, r) for c, k, st, o, d, n, r, out in cases])
        returned = conn.execute(text(
            "SELECT id, customer_id, number FROM shop_order WHERE placed_at >= :a ORDER BY id LIMIT 20000"),
            {"a": (end - timedelta(days=365)).isoformat(" ")}).all()
        first_id = conn.execute(text("SELECT max(id) FROM shop_order")).scalar() + 1
        for n, (order_id, customer_id, number) in enumerate(returned):
            # A return of one line of the order, as the shop writes one: a negative document.
            rid = first_id + n
            product_id, quantity, price = conn.execute(text(
                "SELECT product_id, quantity, unit_price_cents FROM order_line WHERE order_id = :o LIMIT 1"),
                {"o": order_id}).one()
            total = -quantity * price
            conn.execute(text(
                "INSERT INTO shop_order (id, number, customer_id, placed_at, status, channel, discount_percent, "
                "cancels_order_id, subtotal_cents, discount_cents, total_cents) VALUES (:id, :number, :c, :at, "
                "'returned', 'web', 0, :o, :t, 0, :t)"),
                {"id": rid, "number": f"R{number}", "c": customer_id, "at": moment(365), "o": order_id, "t": total})
            conn.execute(text("INSERT INTO order_line VALUES (:id, :p, :q, :u, :t)"),
                         {"id": rid, "p": product_id, "q": -quantity, "u": price, "t": total})
    with Session(engine) as session:
        recompute_segments(session, end.replace(tzinfo=timezone.utc))
        session.commit()
    print(f"added the service history in {time.perf_counter() - started:.0f} s", flush=True)


def quality(engine) -> None:
    """The service-quality report for the data's last 30 days, last year and whole span; the
    anchor computes its order count and returns per product from the raw lines."""
    staff = StaffMember("bench", "bench", Role.SUPERVISOR, 30, True)
    with Session(engine) as session:
        last = datetime.fromisoformat(str(session.execute(text("SELECT max(placed_at) FROM shop_order")).scalar()))
        last = last.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=timezone.utc)
        first = datetime.fromisoformat(str(session.execute(text("SELECT min(placed_at) FROM shop_order")).scalar()))
        first = first.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=timezone.utc)
        ranges = {"30 days": last - timedelta(days=29), "a year": last - timedelta(days=364), "whole span": first}
        print("service-quality report (every index, lost customers included):")
        worst = 0.0
        for name, start in ranges.items():
            ms = timed(lambda: quality_report(session, staff, start, last))
            worst = max(worst, ms)
            print(f"  quality, {name:<32} {ms:8.1f} ms")
        print(f"  worst: {worst:.1f} ms (goal <= 200 ms)")
        bounds = {"a": (last - timedelta(days=364)).isoformat(" "), "b": (last + timedelta(days=1)).isoformat(" ")}
        anchor = timed(lambda: session.execute(text(
            "SELECT (SELECT count(*) FROM shop_order WHERE placed_at >= :a AND placed_at < :b), l.product_id, "
            "sum(CASE WHEN l.quantity > 0 THEN l.quantity END), sum(CASE WHEN o.status = 'returned' "
            "THEN -l.quantity END) FROM shop_order o JOIN order_line l ON l.order_id = o.id "
            "WHERE o.placed_at >= :a AND o.placed_at < :b GROUP BY l.product_id"), bounds).all(), repeat=1)
        print(f"  anchor, orders and returns per product from the raw lines (a year): {anchor:.1f} ms")


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
    with_service_history(engine)
    quality(engine)
    engine.dispose()


if __name__ == "__main__":
    main()
