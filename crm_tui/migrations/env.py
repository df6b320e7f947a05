"""Alembic environment: always run from crm_tui.migrations.runner with a live connection."""

from alembic import context
from sqlmodel import SQLModel

import crm_tui.models  # noqa: F401  (registers the CRM tables)
import store.models  # noqa: F401  (registers the shop tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
