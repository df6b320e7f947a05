"""PostgreSQL 15, in one run on a private server this benchmark starts (and stops):

1. Claims: 32 agent processes claiming and finishing callbacks on PostgreSQL, against 8 on SQLite
   (the most SQLite's one writer serves well); p50/p95 of a claim and of a finish.
2. Search at 1,000,000 customers: p50/p95 per kind of query (goal p95 <= 10 ms), against a naive
   `LIKE '%q%'` scan on the same server.
3. Import of the 1,000,000-line export (refresh included) against `psql \\copy` of the same raw
   file into one table of text columns (goal <= 3x).

Sizes can be lowered for a quick look: BENCH_PG_CALLBACKS, BENCH_PG_CUSTOMERS, BENCH_PG_LINES.
"""

import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

from bench.bench_search import percentile, queries
from bench.retail_export import write_export
from crm_tui import postgres_roles, rollups
from crm_tui.db import make_engine, open_database, run_write, write_session
from crm_tui.models import Role
from crm_tui.services.callback_claims import claim_next_callback, finish_callback
from crm_tui.services.search import search_customers
from crm_tui.services.staff import StaffMember
from crm_tui.settings import QueueSettings
from crm_tui.shop.demo import build_demo
from crm_tui.shop.models import CallbackRequest, Order
from crm_tui.shop.types import utc_now
from tests.postgres_server import Server, server_bin

CALLBACKS = int(os.environ.get("BENCH_PG_CALLBACKS", "20000"))
CUSTOMERS = int(os.environ.get("BENCH_PG_CUSTOMERS", "1000000"))
LINES = int(os.environ.get("BENCH_PG_LINES", "1000000"))
ALWAYS = QueueSettings(calling_hours=(clock_time.min, clock_time.max))


# --- 1. claims ---------------------------------------------------------------------------------

def _fill_queue(url: str, count: int) -> None:
    """A backlog of one request a second up to now; the planner's figures as autovacuum would
    have them on a real server (the bench's server runs without it)."""
    engine = open_database(url)
    now = datetime.now(timezone.utc)
    with write_session(engine) as session:
        session.execute(insert(CallbackRequest), [
            dict(phone=f"+3469{i:07d}", requested_at=now - timedelta(seconds=count - i), time_zone="Europe/Madrid",
                 note="", source="web", status="pending", attempts=0) for i in range(count)])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE callback_request")
    engine.dispose()


def _agent(url: str, login: str, barrier, results) -> None:
    engine = make_engine(url)
    staff = StaffMember(login, login, Role.AGENT, 10, True)
    claims, finishes = [], []
    barrier.wait(timeout=120)
    while True:
        t0 = time.perf_counter()
        claimed = run_write(engine, lambda s: claim_next_callback(s, staff, utc_now(), settings=ALWAYS))
        t1 = time.perf_counter()
        if claimed is None:
            break
        now = utc_now()
        run_write(engine, lambda s: finish_callback(s, staff, claimed.callback_id, "resolved", started_at=now,
                                                    now=now, settings=ALWAYS))
        claims.append((t1 - t0) * 1000)
        finishes.append((time.perf_counter() - t1) * 1000)
        time.sleep(0.002)  # the call itself, outside any transaction
    results.put((claims, finishes))
    engine.dispose()


def _work_queue(url: str, agents: int) -> tuple[list[float], list[float], float]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(agents + 1), ctx.Queue()
    procs = [ctx.Process(target=_agent, args=(url, f"agent{n}", barrier, results)) for n in range(agents)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    outcomes = [results.get(timeout=1800) for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return [c for claims, _ in outcomes for c in claims], [f for _, fs in outcomes for f in fs], elapsed


def bench_claims(server: Server, tmp: Path) -> None:
    print(f"claims: {CALLBACKS:,} callbacks, each claimed and finished in its own transaction")
    for engine_name, url, agents in (("SQLite", f"sqlite:///{tmp / 'claims.db'}", 8),
                                     ("PostgreSQL", server.url(_database(server, "claims")), 32)):
        _fill_queue(url, CALLBACKS)
        claims, finishes, elapsed = _work_queue(url, agents)
        print(f"  {engine_name:10} {agents:2} agents: claim p50 {statistics.median(claims):6.2f} ms  p95 "
              f"{percentile(claims, .95):6.2f} ms · finish p50 {statistics.median(finishes):6.2f} ms  p95 "
              f"{percentile(finishes, .95):6.2f} ms · {len(claims) / elapsed:5.0f} callbacks/s")


# --- 2. search ---------------------------------------------------------------------------------

def bench_search(server: Server) -> None:
    url = server.url(_database(server, "search"))
    engine = open_database(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        rollups.suspend(conn)  # the orders below are numbers to find, not sales to add up
        build_demo(conn, customers=CUSTOMERS, seed=3, order_history=False)
        rng = random.Random(3)
        conn.execute(insert(Order), [dict(id=i, number=f"WO{i:08d}", customer_id=rng.randint(1, CUSTOMERS),
                                          status="delivered", channel="web", discount_percent=0, subtotal_cents=0,
                                          discount_cents=0, total_cents=0) for i in range(1, 300_001)])
        rollups.rebuild(conn)
        rollups.resume(conn)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    print(f"search: {CUSTOMERS:,} customers (built in {time.perf_counter() - started:.0f} s)")
    with Session(engine) as session:
        kinds = queries(session, random.Random(11), CUSTOMERS)
        search_customers(session, "warm up")
        print(f"  {'query kind':22} {'p50 ms':>8} {'p95 ms':>8} {'hits':>6}")
        for kind, texts in kinds.items():
            times, hits = [], 0
            for q in texts:
                t0 = time.perf_counter()
                hits += len(search_customers(session, q))
                times.append((time.perf_counter() - t0) * 1000)
            print(f"  {kind:22} {statistics.median(times):8.2f} {percentile(times, .95):8.2f} {hits / len(texts):6.1f}")
        anchor = []
        for q in kinds["full name"][:10] + kinds["prefix 1-4 letters"][:10]:
            t0 = time.perf_counter()
            session.execute(text("SELECT id FROM customer WHERE first_name || ' ' || last_name ILIKE :q LIMIT 50"),
                            {"q": f"%{q}%"}).all()
            anchor.append((time.perf_counter() - t0) * 1000)
        print(f"  {'anchor ILIKE %q% scan':22} {statistics.median(anchor):8.2f} {percentile(anchor, .95):8.2f}")
    engine.dispose()


# --- 3. import ---------------------------------------------------------------------------------

def bench_import(server: Server, tmp: Path) -> None:
    export = write_export(tmp / "export.csv", LINES, seed=1)
    header = export.open(encoding="utf-8").readline().strip().split(",")
    raw = _database(server, "raw")
    columns = ", ".join(f'"{name}" text' for name in header)
    psql = [server_bin("psql"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-d", raw, "-q", "-c"]
    subprocess.run([*psql, f"CREATE TABLE raw ({columns})"], check=True)
    t0 = time.perf_counter()
    subprocess.run([*psql, f"\\copy raw FROM '{export}' WITH (FORMAT csv, HEADER true)"], check=True)
    anchor = time.perf_counter() - t0

    url = server.url(_database(server, "shop"))
    crm = [str(Path(sys.executable).parent / "crm-tui")]
    subprocess.run([*crm, "staff", "add", "postgres", "--role", "supervisor", "--db", url], check=True,
                   capture_output=True)
    t0 = time.perf_counter()
    first = subprocess.run([*crm, "import", str(export), "--db", url, "--json"], check=True, capture_output=True)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([*crm, "import", str(export), "--db", url, "--json"], check=True, capture_output=True)
    again = time.perf_counter() - t0
    print(f"import: {LINES:,} lines ({export.stat().st_size / 1e6:.0f} MB)")
    print(f"  psql \\copy into one text table: {anchor:6.1f} s")
    print(f"  crm-tui import (refresh included): {ours:6.1f} s = {ours / anchor:.2f}x the anchor (goal <= 3x)")
    print(f"  the same file again (nothing new): {again:6.1f} s")
    phases = json.loads(first.stdout).get("phases", {})
    print("  split of the first import: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()))


def _database(server: Server, name: str) -> str:
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    engine = open_database(server.url(name))
    with engine.begin() as conn:
        postgres_roles.setup(conn)
    engine.dispose()
    return name


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crm-tui-bench-pg-") as folder:
        tmp = Path(folder)
        server_root = Path(tempfile.mkdtemp(prefix="crm-tui-bench-server-"))
        server = Server(server_root).start()
        try:
            only = os.environ.get("BENCH_PG_ONLY", "claims,search,import").split(",")
            if "import" in only:
                bench_import(server, tmp)
            if "claims" in only:
                bench_claims(server, tmp)
            if "search" in only:
                bench_search(server)
        finally:
            server.stop()
            shutil.rmtree(server_root, ignore_errors=True)


if __name__ == "__main__":
    main()
