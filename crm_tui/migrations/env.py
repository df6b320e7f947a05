"""Alembic environment: always run from crm_tui.migrations.runner with a live connection."""

from alembic import context
from sqlmodel import SQLModel

import crm_tui.models  # noqa: F401  (registers the CRM tables)
import crm_tui.shop.models  # noqa: F401  (registers the shop tables)

connection = context.config.attributes["connection"]


def include_object(obj, name, type_, reflected, compare_to):
    # Tables only in the database (the FTS5 search indexes of 0002 and their shadow tables)
    # are written by hand in their migration; autogenerate must not propose to drop them.
    return not (type_ == "table" and reflected and compare_to is None)


context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
