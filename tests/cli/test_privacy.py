"""The privacy commands on a demo shop: everything about a person, their erasure (the accounts
unchanged, the person unfindable), and the log of who accessed their data."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.db import open_database, run_read
from crm_tui.services.search import search_customers
from tests.conftest import act_as

runner = CliRunner()
AS_OF = "2026-11-01T10:00"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def shop(tmp_path, monkeypatch) -> str:
    act_as(monkeypatch, "boss")
    path = str(tmp_path / "demo.db")
    assert run("demo", "--db", path, "--customers", "80", "--as-of", AS_OF).exit_code == 0
    return path


def busiest_customer(db: str) -> tuple[int, str, str, str, str]:
    """A customer with orders, a callback and a contact message, if the demo has one."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT c.id, c.customer_number, c.first_name || ' ' || c.last_name, c.email, c.phone FROM customer c "
            "WHERE EXISTS (SELECT 1 FROM shop_order o WHERE o.customer_id = c.id) ORDER BY "
            "(SELECT count(*) FROM callback_request r WHERE r.customer_id = c.id) + "
            "(SELECT count(*) FROM contact_message m WHERE m.customer_id = c.id) DESC, c.id LIMIT 1").fetchone()


def test_an_export_holds_every_row_about_the_person(shop, tmp_path):
    customer_id, number, *_ = busiest_customer(shop)
    out = tmp_path / "person.json"
    done = run("--db", shop, "privacy", "export", number, "--out", out)
    assert done.exit_code == 0, done.output
    assert out.stat().st_mode & 0o777 == 0o600
    data = json.loads(out.read_text())
    with sqlite3.connect(shop) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if "customer_id" in {c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')}]
        for table in tables:
            expected = conn.execute(f'SELECT count(*) FROM "{table}" WHERE customer_id = ?', (customer_id,)).fetchone()[0]
            if table == "access_entry":
                expected -= 1  # this export, logged after it was read
            assert len(data[table]) == expected, table
        assert len(data["order_line"]) == conn.execute(
            "SELECT count(*) FROM order_line WHERE order_id IN (SELECT id FROM shop_order WHERE customer_id = ?)",
            (customer_id,)).fetchone()[0] > 0
        assert data["customer"][0]["customer_number"] == number
    assert {"shop_order", "callback_request", "contact_message", "offer_made", "audit_entry"} <= set(data)


def test_an_erasure_keeps_the_accounts_and_forgets_the_person(shop):
    customer_id, number, name, email, phone = busiest_customer(shop)
    reports = [("report", "monthly", "--format", "csv"), ("report", "top-products", "--format", "csv")]
    before = [run("--db", shop, *args).output for args in reports]
    totals = run("--db", shop, "report", "top-customers", "--format", "json", "--limit", "1000").stdout
    refused = run("--db", shop, "privacy", "erase", number, "--reason", " ")
    assert refused.exit_code == 1 and "needs a reason" in refused.output
    done = run("--db", shop, "privacy", "erase", number, "--reason", "asked by e-mail on 2026-11-02")
    assert done.exit_code == 0, done.output
    again = run("--db", shop, "privacy", "erase", number, "--reason", "twice")
    assert again.exit_code == 1 and "already erased" in again.output
    for leftover in (Path(shop), Path(shop + "-wal")):  # zeroed, not just unlinked from the tables
        assert not leftover.exists() or email.encode() not in leftover.read_bytes(), leftover
    assert [run("--db", shop, *args).output for args in reports] == before
    figures = {(c["customer_id"], c["orders"], c["net_eur"]) for c in json.loads(totals)["rows"]}
    after = json.loads(run("--db", shop, "report", "top-customers", "--format", "json", "--limit", "1000").stdout)
    assert {(c["customer_id"], c["orders"], c["net_eur"]) for c in after["rows"]} == figures  # only the name changed
    assert {c["name"] for c in after["rows"] if c["customer_id"] == customer_id} <= {"Erased"}
    engine = open_database(shop)
    try:
        for query in (name, email, phone[-6:]):
            hits = run_read(engine, lambda session: search_customers(session, query))
            assert customer_id not in {h.customer_id for h in hits}, query
    finally:
        engine.dispose()
    with sqlite3.connect(shop) as conn:
        row = conn.execute("SELECT first_name, last_name, email, phone, street, consent_email_at, consent_phone_at, "
                           "consent_chat_at FROM customer WHERE id = ?", (customer_id,)).fetchone()
        assert row == ("Erased", "", None, None, "", None, None, None)
        assert conn.execute("SELECT count(*) FROM callback_request WHERE customer_id = ? AND status != 'done'",
                            (customer_id,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM contact_message WHERE customer_id = ? AND (text != '' OR email "
                            "IS NOT NULL)", (customer_id,)).fetchone()[0] == 0
        values = " ".join(str(v) for (v,) in conn.execute(
            "SELECT coalesce(old_value, '') || ' ' || coalesce(new_value, '') FROM audit_entry "
            "WHERE record_table = 'customer' AND record_id = ?", (customer_id,)))
        assert email not in values
        assert conn.execute("SELECT staff_login, reason FROM audit_entry WHERE record_id = ? AND field = 'erased'",
                            (customer_id,)).fetchone() == ("boss", "asked by e-mail on 2026-11-02")


def test_the_access_log_says_who_exported_and_only_managers_see_it(shop):
    _, number, *_ = busiest_customer(shop)
    run("--db", shop, "privacy", "export", number)
    listed = json.loads(run("--db", shop, "privacy", "access", number, "--json").output)
    assert [(e["staff_login"], e["what"]) for e in listed] == [("boss", "privacy export")]
    for command in (("privacy", "access", number), ("privacy", "export", number),
                    ("privacy", "erase", number, "--reason", "x")):
        refused = run("--as", "ana", "--db", shop, *command)
        assert refused.exit_code == 1 and "not for your role" in refused.output
    missing = run("--db", shop, "privacy", "export", "CU9999999")
    assert missing.exit_code == 1 and "no customer" in missing.output


def test_what_they_sent_before_registering_is_exported_and_erased_too(shop):
    customer_id, number, _, email, phone = busiest_customer(shop)
    with sqlite3.connect(shop) as conn:
        conn.execute("INSERT INTO contact_message (name, phone, email, text, kind, received_at, customer_id) "
                     "VALUES ('Before Signup', NULL, ?, 'my old address is Calle Falsa 1', 'question', "
                     "'2026-01-01 10:00:00', NULL)", (email,))
        conn.execute("INSERT INTO callback_request (phone, requested_at, time_zone, note, source, status, attempts) "
                     "VALUES (?, '2026-10-31 10:00:00', 'Europe/Madrid', 'call me about Calle Falsa', 'web', "
                     "'pending', 0)", (phone,))
    exported = json.loads(run("--db", shop, "privacy", "export", number).stdout)
    assert any(m["name"] == "Before Signup" for m in exported["contact_message"])
    assert any(c["note"] == "call me about Calle Falsa" for c in exported["callback_request"])
    assert run("--db", shop, "privacy", "erase", number, "--reason", "request").exit_code == 0
    with sqlite3.connect(shop) as conn:
        left = conn.execute("SELECT count(*) FROM contact_message WHERE text LIKE '%Calle Falsa%' OR email = ?",
                            (email,)).fetchone()[0]
        left += conn.execute("SELECT count(*) FROM callback_request WHERE note LIKE '%Calle Falsa%' OR phone = ?",
                             (phone,)).fetchone()[0]
    assert left == 0
    assert b"Calle Falsa" not in Path(shop).read_bytes()


def test_an_erasure_forgets_what_they_said_to_the_service_desk(shop):
    from datetime import datetime, timezone

    from crm_tui.db import write_session
    from crm_tui.models import Role
    from crm_tui.services.cases import open_case
    from crm_tui.services.contacts import log_contact
    from crm_tui.services.inbox import answer_message, take_message
    from crm_tui.services.staff import StaffMember
    from crm_tui.shop.operations import send_contact_message

    customer_id, number, _name, email, _phone = busiest_customer(shop)
    ana = StaffMember("ana", "Ana", Role.AGENT, 10, True)
    now = datetime(2026, 11, 2, 10, tzinfo=timezone.utc)
    engine = open_database(shop)
    try:
        with write_session(engine) as session:
            log_contact(session, ana, customer_id, channel="phone", direction="inbound", outcome="follow_up",
                        started_at=now, now=now, note="Lives at Calle Secreta 9", feedback_kind="complaint",
                        feedback="My neighbour Juan got my parcel")
            open_case(session, ana, customer_id=customer_id, kind="delivery", summary="Parcel left at Calle Secreta 9",
                      source="card", now=now)
            message = send_contact_message(session, name="Anon", email=email, text="Call me at home", now=now)
            take_message(session, ana, message.id)
            answer_message(session, ana, message.id, "We will call you at Calle Secreta 9", now=now)
    finally:
        engine.dispose()
    assert run("--db", shop, "privacy", "erase", number, "--reason", "asked on the phone").exit_code == 0
    with sqlite3.connect(shop) as conn:
        said = " ".join(str(v) for row in conn.execute(
            "SELECT note, feedback FROM service_contact WHERE customer_id = ? UNION ALL SELECT summary, resolution "
            "FROM service_case WHERE customer_id = ? UNION ALL SELECT text, answer FROM contact_message "
            "WHERE customer_id = ?", (customer_id, customer_id, customer_id)) for v in row)
    assert "Secreta" not in said and "Juan" not in said
