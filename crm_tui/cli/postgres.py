"""`crm-tui pg`: PostgreSQL's own enforcement of the roles."""

import typer

from crm_tui.cli.common import database, fail, out
from crm_tui.widgets.literal import literal

pg_app = typer.Typer(help="PostgreSQL: let the database server enforce the staff roles.")


@pg_app.command("setup")
def pg_setup(ctx: typer.Context) -> None:
    """Run by the database's owner: create the group roles crm_agent, crm_supervisor and crm_ops,
    grant each what its staff may do (per table and column), turn on row-level security, and
    install the trigger that refuses a discount above the acting role's cap. Safe to run again
    (after every upgrade)."""
    from crm_tui import postgres_roles
    from crm_tui.db import describe_database, is_sqlite

    command = database(ctx)
    if is_sqlite(command.url):
        fail("pg setup is for PostgreSQL databases; a SQLite file is guarded by its file permissions (see README)")

    def set_up(session):
        conn = session.connection()
        if not postgres_roles.owns_database(conn):
            fail(f"only the owner of {describe_database(command.url)} (or a superuser) can run pg setup; "
                 "nothing was changed")
        return postgres_roles.setup(conn)

    made = command.write(set_up)
    out.print(literal(f"Roles set up on {describe_database(command.url)}"
                      + (f" (new group roles: {', '.join(made)})" if made else "") + ". Add staff with "
                      "`crm-tui staff add LOGIN --role agent|supervisor|ops`: each becomes a PostgreSQL login role "
                      "in its group."))
