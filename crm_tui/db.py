"""Opening a shop database: URL resolution, the engine factory, migrations, sessions.

One engine per process, made by make_engine() and passed in; nothing here runs at import.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

DB_ENV_VAR = "CRM_TUI_DB"
SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_MMAP_BYTES = 1 << 30


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says why and what to do."""


class SchemaTooNew(DatabaseError):
    pass


def default_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("crm-tui", appauthor=False) / "shop.db"


def resolve_url(db: str | None) -> str:
    """`--db` or CRM_TUI_DB: a SQLAlchemy URL or a file path; else the user's data dir."""
    value = db or os.environ.get(DB_ENV_VAR) or str(default_database_path())
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise DatabaseError(f"{value!r} is not a database URL: {exc}") from None
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def describe_database(url: str) -> str:
    """A short name for people: the SQLite file's name, or host/database with no password."""
    parsed = make_url(url)
    path = sqlite_file(url)
    if path is not None:
        return f"{path.name} (SQLite)"
    if parsed.get_backend_name() == "sqlite":
        return "in memory (SQLite)"
    return f"{parsed.database} on {parsed.host or 'localhost'} ({parsed.get_backend_name()})"


def make_engine(url: str) -> Engine:
    """The one engine of a process. SQLite: WAL, foreign keys, busy timeout."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False,
                      "isolation_level": None},
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Reads (search, cards, reports) come straight from the OS page cache through a
        # memory map instead of being copied into each connection's small page cache.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute("PRAGMA cache_size=-16000")
        cursor.close()

    # The driver's own transaction handling is off (isolation_level=None above), so we
    # emit BEGIN ourselves. A write transaction starts IMMEDIATE: it takes the write lock
    # up front and waits for it, instead of failing with SQLITE_BUSY when it upgrades a
    # read snapshot that another writer made stale.
    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction: commits on success, rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def open_database(db: str | None = None, *, migrate: bool = True) -> Engine:
    """Resolve, connect, and bring the schema to this version (refusing a newer one)."""
    from crm_tui.migrations.runner import upgrade_to_head

    url = resolve_url(db)
    engine = make_engine(url)
    if migrate:
        upgrade_to_head(engine)
    return engine


def database_exists(db: str | None) -> bool:
    """True when the database already holds the shop's tables."""
    url = resolve_url(db)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return False
    engine = make_engine(url)
    try:
        return inspect(engine).has_table("customer")
    finally:
        engine.dispose()
