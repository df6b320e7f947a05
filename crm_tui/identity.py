"""Who is acting: the identity the database engine vouches for, never an environment variable.

SQLite: the operating-system account that runs this process (the file's permissions decide who
may open it). PostgreSQL: the role the server authenticated this connection as (`current_user`;
peer, password or certificate authentication is the server's business, see README).
"""

from sqlalchemy import Engine, text

from crm_tui import settings
from crm_tui.db import is_sqlite
from crm_tui.settings import Settings


def database_login(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_user")).scalar_one())


def acting_login(engine: Engine) -> str:
    return settings.os_login() if is_sqlite(engine) else database_login(engine)


def console_login(console: Settings, engine: Engine) -> str:
    """The console's user: the OS login its settings were made with, or PostgreSQL's role."""
    return console.login if is_sqlite(engine) else database_login(engine)
