"""Claim latency with 1,000,000 finished callbacks in the table and 100,000 waiting (of every
priority, due and not yet due), next to the anchor of one bare conditional UPDATE by primary key
through the sqlite3 driver. The claim ranks every waiting callback: the head of the whole queue.
"""

import os
import sqlite3
import statistics
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

from crm_tui.db import open_database, run_write
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_next_callback, finish_callback
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings
from crm_tui.shop.types import utc_now

FINISHED = int(os.environ.get("BENCH_CLAIM_FINISHED", "1000000"))
WAITING = int(os.environ.get("BENCH_CLAIM_WAITING", "100000"))
OUT = Path(__file__).parent / "out"
ALWAYS = QueueSettings(calling_hours=(clock_time.min, clock_time.max))


def database() -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"claim-{FINISHED}.db"
    if path.exists():
        path.unlink()
    open_database(str(path)).dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    start = datetime(2025, 1, 1)
    conn.executemany(
        "INSERT INTO callback_request (phone, requested_at, time_zone, note, source, status, attempts, outcome, "
        "closed_at) VALUES (?, ?, 'Europe/Madrid', '', 'web', 'done', 1, 'resolved', ?)",
        ((f"+3469{i % 10_000_000:07d}", (start + timedelta(seconds=i * 20)).isoformat(" ", "microseconds"),
          (start + timedelta(seconds=i * 20 + 600)).isoformat(" ", "microseconds")) for i in range(FINISHED)))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    conn.executemany(
        "INSERT INTO callback_request (phone, requested_at, time_zone, note, source, status, attempts, priority) "
        "VALUES (?, ?, 'Europe/Madrid', '', 'web', 'pending', 0, ?)",
        ((f"+3461{i:07d}", (now - timedelta(minutes=(i * 7) % 600, seconds=-i % 60)).isoformat(" ", "microseconds"),
          i % 4) for i in range(WAITING)))
    conn.execute("COMMIT")
    conn.close()
    return path


def main() -> None:
    started = time.perf_counter()
    path = database()
    print(f"built {FINISHED:,} finished + {WAITING:,} waiting callbacks in {time.perf_counter() - started:.0f} s")
    engine = open_database(str(path))
    staff = StaffMember("bench", "Bench", Role.AGENT, 10, True)
    claims, finishes = [], []
    for _ in range(500):  # each claim and finish in its own committed transaction, as the console runs them
        t0 = time.perf_counter()
        claimed = run_write(engine, lambda session: claim_next_callback(session, staff, utc_now(), settings=ALWAYS))
        t1 = time.perf_counter()
        now = utc_now()
        run_write(engine, lambda session: finish_callback(session, staff, claimed.callback_id, "resolved",
                                                          started_at=now, now=now, settings=ALWAYS))
        claims.append((t1 - t0) * 1000)
        finishes.append((time.perf_counter() - t1) * 1000)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    anchor = []
    ids = [row[0] for row in conn.execute("SELECT id FROM callback_request WHERE status='pending' LIMIT 500")]
    for callback_id in ids:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE callback_request SET status='claimed', claimed_by='x' WHERE id=? AND status='pending'",
                     (callback_id,))
        conn.execute("COMMIT")
        anchor.append((time.perf_counter() - t0) * 1000)
    conn.close()
    q = lambda v, p: sorted(v)[int(p * (len(v) - 1))]  # noqa: E731
    print(f"claim next:  p50 {statistics.median(claims):.2f} ms  p95 {q(claims, .95):.2f} ms")
    print(f"finish:      p50 {statistics.median(finishes):.2f} ms  p95 {q(finishes, .95):.2f} ms")
    print(f"anchor (bare conditional UPDATE by id): p50 {statistics.median(anchor):.2f} ms; "
          f"claim/anchor = {statistics.median(claims) / statistics.median(anchor):.1f}x")


if __name__ == "__main__":
    main()
