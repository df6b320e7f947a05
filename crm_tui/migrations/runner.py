"""Applying the schema's migrations when a database is opened."""

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from crm_tui.database_errors import FAILURES, DatabaseError, SchemaTooNew

MIGRATIONS_DIR = Path(__file__).parent
# The newest revision in versions/. Opening a database that is already there costs one
# query instead of importing alembic (a quarter of a second on every command); a test keeps
# this equal to alembic's own head.
SCHEMA_HEAD = "0019"


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_not_newer(revision: str | None) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise SchemaTooNew(
            f"This database was made by a newer version of crm-tui (schema {revision}; this "
            f"version knows up to {head_revision()}). Upgrade crm-tui to open it; nothing was changed."
        ) from None


def preflight_sqlite(path: Path) -> None:
    """Refuse, before anything writes to it (not even the switch to WAL), a file that is not a
    crm-tui database or that a newer crm-tui made."""
    import sqlite3

    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # unopenable: the engine says why
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
            if "alembic_version" in tables else None
    except sqlite3.DatabaseError:
        raise DatabaseError(f"{path.name} (SQLite): {FAILURES['damaged']}") from None
    finally:
        conn.close()
    if revision is None and "customer" in tables:
        raise _unversioned(path.name)
    if revision not in (None, SCHEMA_HEAD):
        check_not_newer(revision)


def _unversioned(name: str) -> DatabaseError:
    return DatabaseError(
        f"{name} holds shop tables but no crm-tui schema version, so crm-tui cannot tell how to bring it up "
        "to date; nothing was changed. Open a database made by crm-tui (or by `crm-tui demo`), or import "
        "this shop's data with `crm-tui import`.")


def upgrade_to_head(engine: Engine) -> None:
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    if revision is None and inspect(engine).has_table("customer"):
        raise _unversioned(str(engine.url.database))
    from alembic import command

    check_not_newer(revision)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
