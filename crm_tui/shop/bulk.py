"""The bulk writer for many rows at once (the import, the demo), never through ORM objects.

One place per dialect: SQLite uses the driver's executemany (INSERT OR IGNORE where a row may
already be there); PostgreSQL streams rows with COPY, straight into the table, or, where a row
may already be there, into a staging table first and then one set-based INSERT ... ON CONFLICT
DO NOTHING (COPY itself cannot skip a conflict).
"""

import gc
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

# Index pages of a large load stay in memory instead of being re-read.
BULK_CACHE_KIB = 96 * 1024


def driver_connection(conn: Connection) -> Any:
    """The driver's own connection (sqlite3 or psycopg) under an open SQLAlchemy connection."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the import's database connection is closed")
    return driver


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple],
                *, skip_conflicts: bool = False) -> int:
    """Insert rows (tuples in `columns` order); returns how many were written.

    With skip_conflicts, rows that hit a unique index are skipped and not counted.
    """
    if not rows:
        return 0
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, names, rows, skip_conflicts)
    marks = ", ".join("?" * len(columns))
    verb = "INSERT OR IGNORE" if skip_conflicts else "INSERT"
    cursor = driver_connection(conn).cursor()
    try:
        cursor.executemany(f"{verb} INTO {table} ({names}) VALUES ({marks})", rows)
        written = cursor.rowcount
    finally:
        cursor.close()
    return written if written is not None and written >= 0 else len(rows)


def _copy(conn: Connection, table: str, names: str, rows: list[tuple], skip_conflicts: bool) -> int:
    driver = driver_connection(conn)
    target = table
    if skip_conflicts:
        target = f"crm_stage_{table}"
        # Column types as the table's, no constraints; emptied at commit, kept for the next batch.
        driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS "
                       f"SELECT {names} FROM {table} WITH NO DATA")
        driver.execute(f"TRUNCATE {target}")
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if not skip_conflicts:
            return len(rows)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} ON CONFLICT DO NOTHING")
        return cursor.rowcount


@contextmanager
def bulk_loading(conn: Connection) -> Iterator[None]:
    """SQLite settings for loading many rows, around (not inside) the load's transaction, then
    back to the connection's usual ones. Foreign keys are not checked: every id a bulk load
    writes into a reference is one it has just inserted or looked up under the write lock, and
    checking each of a million of them again costs a third of the load. The GROUP BYs after a
    load sort in memory instead of in temporary files."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = driver_connection(conn)
    (cache,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute("PRAGMA foreign_keys=OFF")
    driver.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    driver.execute("PRAGMA temp_store=MEMORY")

    def restore() -> None:
        driver.execute("PRAGMA foreign_keys=ON")
        driver.execute(f"PRAGMA cache_size={int(cache)}")
        driver.execute("PRAGMA temp_store=DEFAULT")

    try:
        yield
    except BaseException:
        try:
            restore()
        except sqlite3.Error:  # a statement of the failed load still open: the load's error is the one to tell
            conn.invalidate()
        raise
    restore()


@contextmanager
def collector_paused() -> Iterator[None]:
    """A million short-lived tuples make the cyclic collector scan a load's caches again and
    again; nothing a bulk load builds is cyclic, so the collector waits until it ends."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
