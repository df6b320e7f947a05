"""PostgreSQL enforces the roles itself: an agent's own login role, writing SQL directly, cannot
change the staff table, raise a discount above their cap, read the access log or take over a
callback another agent holds; through the console's services the same login does its work."""

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.db import make_engine, run_read, run_write
from crm_tui.services.callback_claims import claim_callback, finish_callback
from crm_tui.services.customers import load_card, save_card
from crm_tui.services.orders import place_phone_order
from crm_tui.services.privacy import record_access
from crm_tui.services.staff import active_staff
from crm_tui.shop.operations import OrderItem, register_customer, request_callback
from tests.conftest import AS_OF, REGISTRATION, add_products

pytestmark = pytest.mark.postgresql_only
runner = CliRunner()


def as_login(url: str, login: str) -> str:
    return make_url(url).set(username=login).render_as_string(hide_password=False)


def connect(url: str, login: str) -> psycopg.Connection:
    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=login, dbname=parsed.database, autocommit=True)


@pytest.fixture
def shop(pg_url, monkeypatch):
    """The owner sets up the roles and adds a supervisor and two agents (login roles made by
    `crm-tui staff add`, run as the owner: PostgreSQL's current_user, not the patched OS login)."""
    monkeypatch.undo()
    for login, role in (("postgres", "supervisor"), ("sue", "supervisor"), ("ana", "agent"), ("bea", "agent")):
        result = runner.invoke(app, ["staff", "add", login, "--role", role, "--db", pg_url])
        assert result.exit_code == 0, result.output
    engine = make_engine(pg_url)
    add_products(engine, dict(sku="MUG", name="Mug", unit_price_cents=450, stock_quantity=5))
    customer = run_write(engine, lambda s: register_customer(s, dict(REGISTRATION), now=AS_OF))
    callback = run_write(engine, lambda s: request_callback(s, phone="+34612345678", now=AS_OF).id)
    engine.dispose()
    return pg_url, customer.id, callback


def refused(conn: psycopg.Connection, sql: str, *params) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(sql, params)
    return str(caught.value)


def test_an_agent_cannot_touch_the_staff_table_or_read_the_access_log(shop):
    url, customer_id, _ = shop
    with connect(url, "ana") as ana:
        assert ana.execute("SELECT current_user").fetchone() == ("ana",)
        refused(ana, "UPDATE staff SET discount_cap_percent = 100 WHERE login = 'ana'")
        refused(ana, "UPDATE staff SET role = 'supervisor' WHERE login = 'ana'")
        refused(ana, "INSERT INTO staff (login, display_name, role, discount_cap_percent, active, created_at) "
                     "VALUES ('eve', 'Eve', 'ops', 100, true, now())")
        refused(ana, "DELETE FROM audit_entry")
        refused(ana, "SELECT * FROM access_entry")
        # What they log names themselves, never someone else.
        refused(ana, "INSERT INTO access_entry (at, staff_login, customer_id, what) VALUES (now(), 'sue', %s, 'card')",
                customer_id)
        ana.execute("INSERT INTO access_entry (at, staff_login, customer_id, what) VALUES (now(), 'ana', %s, 'card')",
                    (customer_id,))
    with connect(url, "sue") as sue:
        assert sue.execute("SELECT staff_login FROM access_entry").fetchall() == [("ana",)]


def test_no_staff_role_reads_the_web_shops_password_hashes_or_cookie_key(shop):
    url, _, _ = shop
    for login in ("ana", "sue"):
        with connect(url, login) as staff:
            refused(staff, "SELECT password_hash FROM shop_account")
            refused(staff, "SELECT value FROM shop_setting")
            refused(staff, "INSERT INTO shop_setting (name, value) VALUES ('session_key', 'known')")


def test_a_discount_above_the_acting_roles_cap_is_refused_by_the_database(shop):
    url, customer_id, _ = shop
    with connect(url, "ana") as ana:
        message = refused(ana, "UPDATE customer SET discount_percent = 25 WHERE id = %s", customer_id)
        assert "above the cap of 10 %" in message and "ana" in message
        ana.execute("UPDATE customer SET discount_percent = 10 WHERE id = %s", (customer_id,))
        refused(ana, "UPDATE customer SET discount_percent = 11 WHERE id = %s", customer_id)
        ana.execute("UPDATE customer SET discount_percent = 5 WHERE id = %s", (customer_id,))  # lowering is fine
    with connect(url, "sue") as sue:
        sue.execute("UPDATE customer SET discount_percent = 30 WHERE id = %s", (customer_id,))
        refused(sue, "UPDATE customer SET discount_percent = 31 WHERE id = %s", customer_id)


def test_an_agent_cannot_take_over_or_hand_on_a_callback_another_holds(shop):
    url, _, callback_id = shop
    with connect(url, "bea") as bea:
        assert bea.execute("UPDATE callback_request SET status = 'claimed', claimed_by = 'bea', "
                           "claimed_until = (now() AT TIME ZONE 'UTC') + interval '10 minutes' WHERE id = %s",
                           (callback_id,)).rowcount == 1
    with connect(url, "ana") as ana:
        assert ana.execute("UPDATE callback_request SET claimed_by = 'ana' WHERE id = %s", (callback_id,)).rowcount == 0
        assert ana.execute("UPDATE callback_request SET status = 'done' WHERE id = %s", (callback_id,)).rowcount == 0
        ana.execute("UPDATE callback_request SET claimed_by = NULL, status = 'pending' WHERE id = %s", (callback_id,))
    with connect(url, "bea") as bea:  # bea's own claim was never touched; she cannot hand it to ana either
        assert bea.execute("SELECT claimed_by FROM callback_request WHERE id = %s", (callback_id,)).fetchone() == ("bea",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bea.execute("UPDATE callback_request SET claimed_by = 'ana' WHERE id = %s", (callback_id,))


def test_an_agent_login_does_the_agents_work_through_the_services(shop):
    """The grants are enough for the console: the identity is current_user, and a claim, a call's
    end, a card saved with a discount at the cap, the access log and a phone order all go through."""
    url, customer_id, callback_id = shop
    engine = make_engine(as_login(url, "ana"))
    try:
        from crm_tui.identity import acting_login

        assert acting_login(engine) == "ana"
        ana = run_read(engine, lambda s: active_staff(s, "ana"))
        now = AS_OF + timedelta(minutes=30)
        assert run_write(engine, lambda s: claim_callback(s, ana, callback_id, now))
        run_write(engine, lambda s: finish_callback(s, ana, callback_id, "resolved", started_at=now, now=now))
        card = run_read(engine, lambda s: load_card(s, customer_id))
        saved = run_write(engine, lambda s: save_card(s, ana, card, {"discount_percent": 10, "city": "Toledo"},
                                                      "loyal customer", now=now))
        assert (saved.discount_percent, saved.city) == (10, "Toledo")
        run_write(engine, lambda s: record_access(s, "ana", [customer_id], "card", now))
        order = run_write(engine, lambda s: place_phone_order(s, ana, customer_id, [OrderItem("MUG", 2)], now=now))
        assert order.total_cents == 2 * 450 * 90 // 100
    finally:
        engine.dispose()


def test_a_supervisor_puts_a_login_the_owner_made_in_the_agents_group(shop):
    url, *_ = shop
    with connect(url, "postgres") as owner:
        owner.execute("DROP ROLE IF EXISTS bob")
        owner.execute("DROP ROLE IF EXISTS carl")
        owner.execute("CREATE ROLE bob LOGIN")
    added = runner.invoke(app, ["staff", "add", "bob", "--role", "agent", "--db", as_login(url, "sue")])
    assert added.exit_code == 0, added.output
    with connect(url, "bob") as bob:
        assert bob.execute("SELECT pg_has_role('bob', 'crm_agent', 'MEMBER'), "
                           "pg_has_role('bob', 'crm_supervisor', 'MEMBER')").fetchone() == (True, False)
    refused_add = runner.invoke(app, ["staff", "add", "carl", "--role", "agent", "--db", as_login(url, "sue")])
    assert refused_add.exit_code != 0 and "CREATE ROLE" in refused_add.output
    assert len(refused_add.output.strip().splitlines()) <= 3  # one sentence, wrapped
    with connect(url, "postgres") as owner:  # nothing half-done: no staff row without its login
        assert owner.execute("SELECT count(*) FROM staff WHERE login = 'carl'").fetchone() == (0,)
