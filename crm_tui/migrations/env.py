"""Alembic environment: always run from crm_tui.migrations.runner with a live connection."""

from alembic import context
from sqlmodel import SQLModel

import crm_tui.models  # noqa: F401  (registers the CRM tables)
import crm_tui.shop.models  # noqa: F401  (registers the shop tables)
from crm_tui.shop.types import UTCDateTime

connection = context.config.attributes["connection"]


def include_object(obj, name, type_, reflected, compare_to):
    # Tables only in the database (the FTS5 search indexes of 0002 and their shadow tables)
    # are written by hand in their migration; autogenerate must not propose to drop them.
    return not (type_ == "table" and reflected and compare_to is None)


def render_item(type_, obj, autogen_context):
    # A migration imports nothing from crm_tui (it must not change when the live code does):
    # the live UTCDateTime is written as the plain type it stores, the same DDL on every dialect.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
