"""Applying the schema's migrations when a database is opened."""

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from crm_tui.db import SchemaTooNew

MIGRATIONS_DIR = Path(__file__).parent
# The newest revision in versions/. Opening a database that is already there costs one
# query instead of importing alembic (a quarter of a second on every command); a test keeps
# this equal to alembic's own head.
SCHEMA_HEAD = "0007"


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


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_not_newer(engine: Engine, revision: str | None) -> None:
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


def upgrade_to_head(engine: Engine) -> None:
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    from alembic import command

    check_not_newer(engine, revision)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
