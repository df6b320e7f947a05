"""Building the demo database: the shop's demo data plus the staff to work it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, SQLModel

from crm_tui import rollups
from crm_tui.db import (
    database_exists,
    make_engine,
    open_database,
    resolve_url,
    run_write,
    sqlite_file,
)
from crm_tui.models import Role
from crm_tui.services.marketing import refresh_marketing
from crm_tui.services.staff import add_staff
from crm_tui.shop.demo import DEMO_AGENTS, DemoSummary, build_demo
from crm_tui.shop.types import utc_now


class DatabaseExists(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoResult:
    url: str
    summary: DemoSummary
    supervisor_login: str


def _wipe(url: str) -> None:
    path = sqlite_file(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    import crm_tui.models  # noqa: F401
    import crm_tui.shop.models  # noqa: F401

    engine = make_engine(url)
    with engine.begin() as conn:
        SQLModel.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def create_demo_database(db: str | None, *, customers: int, seed: int, force: bool, login: str,
                         as_of: datetime | None = None,
                         progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo shop as of `as_of` (default: this minute); segments and offers are
    computed at that same time."""
    as_of = (as_of or utc_now()).replace(second=0, microsecond=0)
    url = resolve_url(db)
    path = sqlite_file(url)
    exists = database_exists(url) or (path is not None and path.exists() and path.stat().st_size > 0)
    if exists and not force:
        raise DatabaseExists(f"{url} already holds a database; nothing was changed. "
                             "Use --force to replace it with the demo shop.")
    if exists:
        _wipe(url)
    engine = open_database(url)
    try:
        with engine.begin() as conn:
            rollups.suspend(conn)  # set-based once at the end instead of row by row
            summary = build_demo(conn, customers=customers, seed=seed, as_of=as_of, progress=progress)
            rollups.rebuild(conn)
            rollups.resume(conn)
        with Session(engine) as session:
            add_staff(session, login, Role.SUPERVISOR, display_name=login, acting_login=login)
            for agent_login, name in DEMO_AGENTS:
                if agent_login != login:
                    add_staff(session, agent_login, Role.AGENT, display_name=name, acting_login=login)
            if login != "ops":
                add_staff(session, "ops", Role.OPS, display_name="Operations", acting_login=login)
            session.commit()
        if progress:
            progress("segments and offers")
        run_write(engine, lambda session: refresh_marketing(session, as_of))
    finally:
        engine.dispose()
    return DemoResult(url, summary, login)
