"""Building the demo database: the shop's demo data plus the staff to work it."""

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col

from crm_tui import postgres_roles, rollups, search_index
from crm_tui.db import create_private_file, lock_timeout_ms, make_engine, run_read, run_write, sqlite_file
from crm_tui.migrations.runner import upgrade_to_head
from crm_tui.models import DatabaseFact, Role
from crm_tui.services.database_facts import DEMO_FACT, is_demo, sqlite_file_is_demo
from crm_tui.services.demo_service_history import build_service_history
from crm_tui.services.marketing import refresh_marketing
from crm_tui.services.staff import active_staff, add_staff
from crm_tui.services.web_accounts import add_account
from crm_tui.shop.bulk import bulk_loading, collector_paused
from crm_tui.shop.demo import DEMO_AGENTS, DemoSummary, build_demo
from crm_tui.shop.models import Customer, stored_id
from crm_tui.shop.types import utc_now


class DatabaseExists(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoResult:
    url: str
    summary: DemoSummary
    supervisor_login: str
    web_login: tuple[str, str] = ("", "")  # a demo customer's e-mail and password for the web shop


# The demo's web shop login: a demo database only, printed when it is built.
DEMO_WEB_PASSWORD = "demo-shop-password"


def make_demo_shop(url: str, *, customers: int, seed: int, force: bool, login: str, owns_target: bool,
                   as_of: datetime | None = None, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo shop at `url`. An existing database is replaced only with `force`, only if
    it is itself a demo and only by whoever owns its file; a shop's own database never.

    SQLite: the demo is built in a file beside the target and copied over it with SQLite's
    backup API in one transaction, so consoles that have the old demo open see the new one at
    their next read, and nothing is unlinked under them."""
    path = sqlite_file(url)
    if path is None:
        return _make_demo_in_place(url, customers=customers, seed=seed, force=force, login=login, as_of=as_of,
                                   progress=progress)
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        _may_replace(url, force, sqlite_file_is_demo(path), owns_target)
    create_private_file(path)
    beside = path.with_name(f".{path.name}.demo-{os.getpid()}")
    engine = make_engine(f"sqlite:///{beside}")
    try:
        result = create_demo_database(engine, customers=customers, seed=seed, login=login, as_of=as_of,
                                      progress=progress)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        source, target = sqlite3.connect(beside), sqlite3.connect(path, timeout=lock_timeout_ms() / 1000)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            beside.with_name(beside.name + suffix).unlink(missing_ok=True)
    return DemoResult(url, result.summary, login, result.web_login)


def _may_replace(url: str, force: bool, demo: bool, owns_target: bool) -> None:
    where = make_url(url).render_as_string(hide_password=True)
    if not force:
        raise DatabaseExists(f"{where} already holds a database; nothing was changed. "
                             "Use --force to replace it with the demo shop (only a demo can be replaced).")
    if not demo:
        raise DatabaseExists(f"{where} is not a demo database: `demo --force` replaces only a demo, never a shop's "
                             "own data; nothing was changed. Give --db a new file for the demo.")
    if not owns_target:
        raise DatabaseExists(f"{where} belongs to another user: only its owner (or root) may replace it; "
                             "nothing was changed.")


def _make_demo_in_place(url: str, *, customers: int, seed: int, force: bool, login: str, as_of: datetime | None,
                        progress: Callable[[str], None] | None) -> DemoResult:
    """A database server: an existing demo is emptied first (not atomic, unlike a file)."""
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        if inspector.has_table("customer") or inspector.has_table("alembic_version"):
            demo = inspector.has_table("database_fact") and run_read(engine, is_demo)
            _may_replace(url, force, demo, owns_target=True)
            _wipe(engine)
        return create_demo_database(engine, customers=customers, seed=seed, login=login, as_of=as_of,
                                    progress=progress)
    finally:
        engine.dispose()


def _wipe(engine: Engine) -> None:
    import crm_tui.models  # noqa: F401
    import crm_tui.shop.models  # noqa: F401

    with engine.begin() as conn:
        SQLModel.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def create_demo_database(engine: Engine, *, customers: int, seed: int, login: str,
                         as_of: datetime | None = None,
                         progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo shop in the engine's empty database as of `as_of` (default: this
    minute), marked as a demo; segments and offers are computed at that same time. `login`
    becomes its supervisor. The engine stays open for the caller."""
    as_of = (as_of or utc_now()).replace(second=0, microsecond=0)
    url = engine.url.render_as_string(hide_password=True)
    upgrade_to_head(engine)
    with collector_paused(), engine.connect() as conn, bulk_loading(conn), conn.begin():
        rollups.suspend(conn)  # set-based once at the end instead of row by row
        search_index.suspend(conn)
        summary = build_demo(conn, customers=customers, seed=seed, as_of=as_of, progress=progress)
        search_index.resume(conn)
        rollups.rebuild(conn)
        rollups.resume(conn)

    if engine.dialect.name == "postgresql":  # the demo's builder owns it: its roles are enforced at once
        with engine.begin() as conn:
            postgres_roles.setup(conn)

    def register_staff(session: Session) -> None:
        session.merge(DatabaseFact(name=DEMO_FACT, value="yes"))
        boss = add_staff(session, login, Role.SUPERVISOR, display_name=login, acting=None, acting_login=login,
                         owns_database=True)
        for agent_login, name in DEMO_AGENTS:
            if agent_login != login:
                add_staff(session, agent_login, Role.AGENT, display_name=name, acting=boss, acting_login=login)
        if login != "ops":
            add_staff(session, "ops", Role.OPS, display_name="Operations", acting=boss, acting_login=login)
    run_write(engine, register_staff)
    if progress:
        progress("service history")

    def service_history(session: Session) -> None:
        agents = [active_staff(session, agent) for agent, _ in DEMO_AGENTS if agent != login]
        build_service_history(session, agents, active_staff(session, login), as_of, seed)
    run_write(engine, service_history)
    if progress:
        progress("segments and offers")
    run_write(engine, lambda session: refresh_marketing(session, as_of))
    return DemoResult(url, summary, login, run_write(engine, lambda session: demo_web_login(session, as_of)))


def demo_web_login(session: Session, now: datetime) -> tuple[str, str]:
    """The first demo customer with an e-mail gets a web shop login, for trying the shop."""
    customer = session.scalars(select(Customer).where(col(Customer.email).is_not(None))
                               .order_by(col(Customer.id)).limit(1)).first()
    if customer is None:
        return "", ""
    add_account(session, stored_id(customer), DEMO_WEB_PASSWORD, now)
    return customer.email or "", DEMO_WEB_PASSWORD
