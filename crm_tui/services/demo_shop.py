"""Building the demo database: the shop's demo data plus the staff to work it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel

from crm_tui import rollups
from crm_tui.db import run_write, sqlite_file
from crm_tui.migrations.runner import upgrade_to_head
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


def holds_a_database(engine: Engine) -> bool:
    """Whether the engine's database already holds something the demo would replace."""
    path = sqlite_file(str(engine.url))
    if path is not None:  # any bytes at all: even a file that is not a database is not ours to overwrite
        return path.exists() and path.stat().st_size > 0
    return inspect(engine).has_table("customer") or inspect(engine).has_table("alembic_version")


def _wipe(engine: Engine) -> None:
    path = sqlite_file(str(engine.url))
    if path is not None:
        engine.dispose()  # the pool reconnects to the new, empty file
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    import crm_tui.models  # noqa: F401
    import crm_tui.shop.models  # noqa: F401

    with engine.begin() as conn:
        SQLModel.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def create_demo_database(engine: Engine, *, customers: int, seed: int, force: bool, login: str,
                         as_of: datetime | None = None,
                         progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo shop in the engine's database as of `as_of` (default: this minute);
    segments and offers are computed at that same time. The engine is the process's own (not
    yet migrated); it stays open for the caller."""
    as_of = (as_of or utc_now()).replace(second=0, microsecond=0)
    url = engine.url.render_as_string(hide_password=True)
    if holds_a_database(engine):
        if not force:
            raise DatabaseExists(f"{url} already holds a database; nothing was changed. "
                                 "Use --force to replace it with the demo shop.")
        _wipe(engine)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        rollups.suspend(conn)  # set-based once at the end instead of row by row
        summary = build_demo(conn, customers=customers, seed=seed, as_of=as_of, progress=progress)
        rollups.rebuild(conn)
        rollups.resume(conn)

    def register_staff(session: Session) -> None:
        add_staff(session, login, Role.SUPERVISOR, display_name=login, acting_login=login)
        for agent_login, name in DEMO_AGENTS:
            if agent_login != login:
                add_staff(session, agent_login, Role.AGENT, display_name=name, acting_login=login)
        if login != "ops":
            add_staff(session, "ops", Role.OPS, display_name="Operations", acting_login=login)
    run_write(engine, register_staff)
    if progress:
        progress("segments and offers")
    run_write(engine, lambda session: refresh_marketing(session, as_of))
    return DemoResult(url, summary, login)
