"""Alembic's environment: always run on the connection `bot.store.migrations.migrate` hands over."""

from alembic import context

import bot.store  # noqa: F401 - every table module registers on Base
from bot.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot migrate`, which supplies the database connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
