"""`crm-tui marketing ...` and the refresh an import does by itself, on real files."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.db import make_engine
from crm_tui.services.demo_shop import create_demo_database
from tests.conftest import AS_OF, act_as
from tests.import_helpers import SAMPLES, query, run_import, scalar

runner = CliRunner()


@pytest.fixture(autouse=True)
def as_the_demos_supervisor(monkeypatch):
    act_as(monkeypatch, "ops1")  # demo() makes ops1 the supervisor


def test_an_import_recomputes_segments_and_what_baskets_teach(db):
    code, summary, _ = run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"))
    assert code == 0 and "marketing_refresh_seconds" in summary
    assert scalar(db, "SELECT count(*) FROM customer_rfm") == scalar(db, "SELECT count(*) FROM customer") == 3
    code, summary, _ = run_import(db, str(SAMPLES / "lines" / "online_retail_sample.csv"), "--no-refresh")
    assert code == 0 and "marketing_refresh_seconds" not in summary


def demo(tmp_path) -> str:
    path = str(tmp_path / "demo.db")
    engine = make_engine(f"sqlite:///{path}")
    create_demo_database(engine, customers=200, seed=3, login="ops1", as_of=AS_OF)
    engine.dispose()
    return path


def test_offers_for_one_customer_as_json_and_as_a_table(tmp_path):
    db = demo(tmp_path)
    number = query(db, "SELECT c.customer_number FROM customer_rfm r JOIN customer c ON c.id = r.customer_id "
                       "WHERE r.segment = 'champion' ORDER BY r.monetary_cents DESC LIMIT 1")[0][0]
    result = runner.invoke(app, ["marketing", "offers", number, "--json", "--db", db])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["customer_number"] == number and 0 < len(found["offers"]) <= 10
    assert all(o["message"] and o["rule"] in ("reorder", "winback", "together", "new", "popular")
               for o in found["offers"])
    kinds = dict(query(db, "SELECT id, kind FROM product"))
    assert {kinds[o["product_id"]] for o in found["offers"]} == {"product"}
    table = runner.invoke(app, ["marketing", "offers", number, "--db", db, "--limit", "2"])
    flat = " ".join(table.output.split())
    assert table.exit_code == 0
    assert (f"suggested channel: {found['channel']}" if found["channel"] else "no marketing consent") in flat
    missing = runner.invoke(app, ["marketing", "offers", "CU9999999", "--db", db])
    assert missing.exit_code == 1 and "no customer 'CU9999999'" in missing.output


def test_an_export_never_holds_a_customer_without_consent(tmp_path):
    db = demo(tmp_path)
    for channel, consent, contact in (("email", "consent_email_at", "email"), ("phone", "consent_phone_at", "phone"),
                                      ("chat", "consent_chat_at", "phone")):
        out = tmp_path / f"{channel}.csv"
        result = runner.invoke(app, ["marketing", "export", "--segment", "at risk", "--channel", channel,
                                     "--out", str(out), "--db", db])
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        allowed = {n for (n,) in query(db, f"SELECT customer_number FROM customer WHERE {consent} IS NOT NULL "
                                           f"AND {contact} IS NOT NULL AND {contact} != ''")}
        in_segment = {n for (n,) in query(db, "SELECT c.customer_number FROM customer c JOIN customer_rfm r "
                                              "ON r.customer_id = c.id WHERE r.segment = 'at risk'")}
        exported = {r["customer_number"] for r in rows}
        assert exported and exported <= allowed & in_segment
        assert len(allowed & in_segment) - len(exported) == int(result.output.split("; ")[1].split()[0])
    bad = runner.invoke(app, ["marketing", "export", "--segment", "vip", "--channel", "email", "--db", db])
    assert bad.exit_code == 2 and "unknown segment 'vip'" in bad.output


def test_segments_and_acceptance(tmp_path):
    db = demo(tmp_path)
    listed = json.loads(runner.invoke(app, ["marketing", "segments", "--json", "--db", db]).stdout)
    assert sum(s["customers"] for s in listed["segments"]) == 200
    accepted = json.loads(runner.invoke(app, ["marketing", "acceptance", "--json", "--db", db]).stdout)
    assert accepted == {"made": 0, "accepted": 0, "rate": None, "by_rule": {}}
