"""The bulk writer: every row an import writes goes through here, never through ORM objects.

One place per dialect: SQLite uses the driver's executemany; PostgreSQL uses executemany
with ON CONFLICT now, and is where COPY (through a staging table) can follow.
"""

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import Connection


def db_datetime(conn: Connection, value: datetime | None):
    """What the driver needs for a UTC timestamp column, matching store.types.UTCDateTime."""
    if value is None:
        return None
    naive = value.astimezone(timezone.utc).replace(tzinfo=None)
    if conn.dialect.name == "sqlite":
        return naive.isoformat(" ", "microseconds")
    return naive


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple],
                *, skip_conflicts: bool = False) -> int:
    """Insert rows (tuples in `columns` order); returns how many were written.

    With skip_conflicts, rows that hit a unique index are skipped and not counted.
    """
    if not rows:
        return 0
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        verb = "INSERT OR IGNORE" if skip_conflicts else "INSERT"
        sql = f"{verb} INTO {table} ({names}) VALUES ({marks})"
    else:
        marks = ", ".join(["%s"] * len(columns))
        conflict = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks}){conflict}"
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
        written = cursor.rowcount
    finally:
        cursor.close()
    return written if written is not None and written >= 0 else len(rows)


def next_id(conn: Connection, table: str) -> int:
    """The first free id. The import holds the write lock (SQLite: BEGIN IMMEDIATE)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def fix_sequences(conn: Connection, tables: Sequence[str]) -> None:
    """PostgreSQL: move each serial past the ids the import set explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")
