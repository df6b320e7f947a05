"""The SQLite search index filled in bulk (a demo build) holds what its triggers would have put
there row by row, and the triggers are back afterwards."""

import pytest
from sqlalchemy import text

from crm_tui.db import open_database, read_session, write_session
from crm_tui.services.demo_shop import create_demo_database
from crm_tui.services.search import search_customers
from crm_tui.shop.operations import register_customer
from tests.conftest import AS_OF, REGISTRATION

pytestmark = pytest.mark.sqlite_only


def index_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT n.rowid, n.name, c.contact, c.phones FROM customer_name n "
            "JOIN customer_contact c ON c.rowid = n.rowid ORDER BY n.rowid"))]


def test_a_bulk_built_index_equals_the_one_its_triggers_keep(tmp_path):
    engine = open_database(str(tmp_path / "demo.db"))
    create_demo_database(engine, customers=300, seed=3, login="boss", as_of=AS_OF)
    built = index_rows(engine)
    with engine.begin() as conn:
        customers = conn.execute(text("SELECT count(*) FROM customer")).scalar()
        # Every customer again through the update trigger: delete and insert, row by row.
        conn.execute(text("UPDATE customer SET first_name = first_name"))
    assert len(built) == customers == 300
    assert index_rows(engine) == built

    with write_session(engine) as session:  # the insert trigger is back
        new = register_customer(session, REGISTRATION | {"email": "late@example.com", "last_name": "Zyxwvut"},
                                now=AS_OF)
    with read_session(engine) as session:
        found = search_customers(session, "Zyxwvut")
    assert [hit.customer_id for hit in found] == [new.id]
    engine.dispose()
