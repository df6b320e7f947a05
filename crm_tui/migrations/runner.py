"""Applying the schema's migrations when a database is opened."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from crm_tui.db import SchemaTooNew

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_not_newer(engine: Engine) -> None:
    revision = current_revision(engine)
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
    check_not_newer(engine)
    if current_revision(engine) == head_revision():
        return
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
