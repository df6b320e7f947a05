"""The import's writes: every row an import writes goes through here (and the shop's bulk
writer, crm_tui.shop.bulk), never through ORM objects."""

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from sqlalchemy import Connection, text

from crm_tui.shop.bulk import bulk_insert, driver_connection

LINE_COLUMNS = ("order_id", "product_id", "quantity", "unit_price_cents", "line_total_cents", "description_id")
# Temporary tables of one import: the lines and heads its files give for invoices the shop
# already had, compared with what is stored once every row is in (crm_tui.importing.history).
INVOICE_LINE_STAGE = "import_invoice_line"
INVOICE_HEAD_STAGE = "import_invoice_head"
_STAGES = {
    INVOICE_LINE_STAGE: "order_id INTEGER, product_id INTEGER, quantity INTEGER, unit_price_cents INTEGER, "
                        "line_total_cents INTEGER, description_id INTEGER",
    INVOICE_HEAD_STAGE: "order_id INTEGER, customer_id INTEGER, placed_at {timestamp}, country VARCHAR(2)",
}


def temporary_table(conn: Connection, name: str, columns: str) -> None:
    """An empty table of this connection's import, gone when it ends (PostgreSQL: at commit;
    SQLite: with the connection, and emptied by the next import). `{timestamp}` in columns is
    the dialect's type for a moment."""
    timestamp = "TIMESTAMP" if conn.dialect.name == "postgresql" else "DATETIME"
    on_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns.format(timestamp=timestamp)}){on_commit}")
    conn.exec_driver_sql(f"DELETE FROM {name}")


def next_id(conn: Connection, table: str) -> int:
    """The first free id. The import holds the write lock (SQLite: BEGIN IMMEDIATE)."""
    cursor = driver_connection(conn).cursor()
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


class ShopWrites(Protocol):
    """Where ShopWriter sends what it writes: Writes below, or the pipe from a reader process
    to the writing one (crm_tui.importing.parallel)."""

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None: ...

    def execute(self, sql: str, params: dict | list[dict] | None = None) -> None: ...

    def lines(self, new_order_lines: Sequence[int], older_order_lines: Sequence[int], replace: bool) -> None: ...

    def touch_order(self, order_id: int) -> None: ...


class Writes:
    """The import's writes, applied on its one connection, in its one transaction.

    ShopWriter reads through its own connection and writes only through this, so that the
    reading and resolving can run in another process (see crm_tui.importing.parallel)."""

    def __init__(self, conn: Connection, on_lines: Callable[[int, int, int, int], None]):
        self.conn = conn
        self.on_lines = on_lines  # (lines of new orders, written), (lines of older orders, written)
        self._days: list[str] = []  # the first and last day of the orders written (roll-ups)
        self._older_orders: set[int] = set()  # orders already there whose lines or status changed
        for table, columns in _STAGES.items():
            temporary_table(conn, table, columns)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        bulk_insert(self.conn, table, columns, rows)
        if table == "shop_order" and rows:
            at = columns.index("placed_at")
            days = [str(row[at])[:10] for row in rows]
            self._days = [min(days + self._days[:1]), max(days + self._days[1:])]

    def execute(self, sql: str, params: dict | list[dict] | None = None) -> None:
        self.conn.execute(text(sql), params if params is not None else {})

    def lines(self, new_order_lines: Sequence[int], older_order_lines: Sequence[int], replace: bool) -> None:
        """Lines come as flat sequences of LINE_COLUMNS values. Lines of new orders that hit the
        line identity were duplicates within the import. Lines of orders already there are
        staged, to replace the order's lines if they differ (replace), or added where new."""
        new_rows, old_rows = _rows(new_order_lines), _rows(older_order_lines)
        written_new = bulk_insert(self.conn, "order_line", LINE_COLUMNS, new_rows, skip_conflicts=True)
        if replace:
            bulk_insert(self.conn, INVOICE_LINE_STAGE, LINE_COLUMNS, old_rows)
            self.on_lines(len(new_rows), written_new, 0, 0)
            return
        self._older_orders.update(row[0] for row in old_rows)
        written_old = bulk_insert(self.conn, "order_line", LINE_COLUMNS, old_rows, skip_conflicts=True)
        self.on_lines(len(new_rows), written_new, len(old_rows), written_old)

    def older_orders_changed(self, order_ids: Iterable[int], days: Iterable[str]) -> None:
        """Orders already there that an import changed, and the days they were on before."""
        self._older_orders.update(order_ids)
        days = [str(day)[:10] for day in days]
        if days:
            self._days = [min(days + self._days[:1]), max(days + self._days[1:])]

    @property
    def older_orders(self) -> set[int]:
        return self._older_orders

    def touch_order(self, order_id: int) -> None:
        """An existing order changed in a way the roll-ups count (its status)."""
        self._older_orders.add(order_id)

    def touched_days(self) -> tuple[str, str] | None:
        """The first and last day of every order this import wrote or added lines to."""
        days = list(self._days)
        for batch in _batches(sorted(self._older_orders)):
            first, last = self.conn.execute(text(
                "SELECT min(placed_at), max(placed_at) FROM shop_order WHERE id IN ({})".format(
                    ", ".join(map(str, batch))))).one()
            days += [str(first)[:10], str(last)[:10]]
        return (min(days), max(days)) if days else None


def _batches(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _rows(flat: Sequence[int]) -> list[tuple]:
    values = iter(flat)
    return list(zip(*[values] * len(LINE_COLUMNS)))
