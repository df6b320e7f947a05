"""Opening a shop database: URL resolution, the engine factory, migrations, sessions.

One engine per process, made by make_engine() and passed in; nothing here runs at import.
"""

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, Unpack, overload

from sqlalchemy import Engine, Row, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session

# The failures live one layer down, where the migration runner raises them too; callers keep
# knowing them as crm_tui.db's.
from crm_tui.database_errors import (  # noqa: F401  (re-exported)
    FAILURES,
    DatabaseError,
    SchemaTooNew,
    WriteFailed,
    explain,
    failure_kind,
    is_lock_error,
)
from crm_tui.migrations.runner import preflight_sqlite, upgrade_to_head

DB_ENV_VAR = "CRM_TUI_DB"
LOCK_TIMEOUT_ENV_VAR = "CRM_TUI_LOCK_TIMEOUT"
SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_MMAP_BYTES = 1 << 30
WRITE_RETRIES = 3
T = TypeVar("T")


def lock_timeout_ms(environ=None) -> int:
    """How long a writer waits for another's write lock: CRM_TUI_LOCK_TIMEOUT seconds, else 15."""
    value = (os.environ if environ is None else environ).get(LOCK_TIMEOUT_ENV_VAR, "").strip()
    if not value:
        return SQLITE_BUSY_TIMEOUT_MS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 3600:
        raise DatabaseError(f"{LOCK_TIMEOUT_ENV_VAR}={value!r}: expected a number of seconds from 0 to 3600.")
    return int(seconds * 1000)


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


# The busy timeout each SQLite engine was made with (other engines wait the default).
_BUSY_TIMEOUT_MS: "weakref.WeakKeyDictionary[Engine, int]" = weakref.WeakKeyDictionary()


def make_engine(url: str, busy_timeout_ms: int | None = None) -> Engine:
    """The one engine of a process. SQLite: WAL, foreign keys, busy timeout. PostgreSQL: the
    same wait for another's lock (lock_timeout)."""
    timeout_ms = lock_timeout_ms() if busy_timeout_ms is None else busy_timeout_ms
    if not is_sqlite(url):
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": f"-c lock_timeout={timeout_ms}"})
        _BUSY_TIMEOUT_MS[engine] = timeout_ms
        return engine
    path = sqlite_file(url)
    if path is not None:
        create_private_file(path)
    engine = create_engine(
        url,
        connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False,
                      "isolation_level": None},
    )
    _configure_sqlite(engine, timeout_ms)
    _BUSY_TIMEOUT_MS[engine] = timeout_ms
    return engine


def create_private_file(path: Path) -> None:
    """A new SQLite file is readable by its owner only (0600; SQLite gives its -wal and -shm the
    same mode), in a folder of its own made 0700 if it did not exist. An existing file keeps its
    mode: a call centre shares one through a group (chgrp, then chmod 660; see README)."""
    if path.exists():
        return
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another process made it first


def missing_file(url: str) -> Path | None:
    """The SQLite file the URL names, when it is not there."""
    path = sqlite_file(url)
    return path if path is not None and not path.exists() else None


def refuse_missing_file(url: str) -> None:
    """A SQLite database that is not there is not made by a mistyped --db: only `crm-tui demo`
    and the first `crm-tui staff add` make one."""
    if (path := missing_file(url)) is not None:
        raise DatabaseError(f"There is no database at {path}; nothing was created. Check --db, or make one: "
                            f"`crm-tui demo --db {path}` for a demo, `crm-tui staff add LOGIN --role supervisor "
                            f"--db {path}` for a shop's own.")


def owned_by_this_user(url: str) -> bool:
    """Whether this process's user owns the SQLite file (root owns everything; a file not made
    yet will be theirs). A database server decides by its own roles: True."""
    path = sqlite_file(url)
    if path is None or not path.exists():
        return True
    return os.geteuid() == 0 or path.stat().st_uid == os.geteuid()


def readable_by_others(url: str) -> str | None:
    """A warning when other local users may read the SQLite file (or write its folder), else None."""
    path = sqlite_file(url)
    if path is None or not path.exists():
        return None
    if path.stat().st_mode & 0o007:
        return (f"warning: {path} can be read by every user of this machine (mode "
                f"{path.stat().st_mode & 0o777:o}); run: chmod 600 {path} (or 660 with a staff group, see README)")
    return None


def busy_timeout_seconds(engine: Engine) -> float:
    return _BUSY_TIMEOUT_MS.get(engine, SQLITE_BUSY_TIMEOUT_MS) / 1000


def _configure_sqlite(engine: Engine, timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
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
    """A session for one write transaction: commits on success, rolls back on error.

    On SQLite the transaction begins IMMEDIATE (it waits up to the busy timeout for the write
    lock); a lock or disk failure becomes WriteFailed with one sentence."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            session.connection(execution_options={"sqlite_immediate": True})
            yield session
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            kind = failure_kind(exc)
            if kind is None:
                raise
            raise WriteFailed(FAILURES[kind], kind) from exc
        except BaseException:
            session.rollback()
            raise


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write (IMMEDIATE on SQLite) unless one is open."""
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_immediate": True})


@overload
def row_tuples(rows: Sequence[Row[Unpack[tuple[Any, ...]]]]) -> Sequence[tuple[Any, ...]]: ...
@overload
def row_tuples(rows: Iterable[Row[Unpack[tuple[Any, ...]]]]) -> Iterable[tuple[Any, ...]]: ...
def row_tuples(rows: Iterable[Row[Unpack[tuple[Any, ...]]]]) -> Iterable[tuple[Any, ...]]:
    """The same rows, typed for unpacking. Rows of raw SQL and of SQLModel's Session.execute
    carry no column types, and mypy unpacks such a Row as `object` where a plain tuple gives
    Any; SQLAlchemy 2.1 deprecated Result.tuples(), which covered this. No work at run time."""
    return rows


def row_tuple(row: Row[Unpack[tuple[Any, ...]]]) -> tuple[Any, ...]:
    """One row, typed for unpacking (see row_tuples)."""
    return row


def run_write(engine: Engine, fn: Callable[[Session], T], retries: int = WRITE_RETRIES) -> T:
    """fn(session) in one write transaction, committed; retried a few times when the write lock
    could not be had (SQLite can report "locked" without waiting, e.g. behind a checkpoint).

    fn must be safe to run again: it reads what it needs inside the transaction."""
    started = time.monotonic()
    limit = busy_timeout_seconds(engine)
    for attempt in range(retries + 1):
        try:
            with write_session(engine) as session:
                return fn(session)
        except WriteFailed as exc:
            if attempt == retries or exc.kind != "locked" or time.monotonic() - started >= limit:
                raise
            # An Event's timed wait, not time.sleep: libfaketime (the year-ahead test run) breaks
            # the absolute clock_nanosleep that time.sleep uses.
            threading.Event().wait(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def run_read(engine: Engine, fn: Callable[[Session], T]) -> T:
    with read_session(engine) as session:
        return fn(session)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def open_database(db: str | None = None, *, migrate: bool = True) -> Engine:
    """Resolve, connect, and bring the schema to this version (refusing a newer one)."""
    url = resolve_url(db)
    if migrate and (path := sqlite_file(url)) is not None:
        preflight_sqlite(path)
    engine = make_engine(url)
    if migrate:
        try:
            upgrade_to_head(engine)
        except DBAPIError as exc:
            engine.dispose()
            where = describe_database(url)
            raise DatabaseError(f"{where}: {explain(exc) or str(exc.orig).strip()}") from None
        except DatabaseError:
            engine.dispose()
            raise
    return engine
