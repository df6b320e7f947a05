"""`crm-tui inbox`, `cases`, `orders`, `report quality|lost-customers`, and offers withheld from
unhappy customers, on a demo shop with its service history."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import AS_OF
from tests.import_helpers import query, scalar

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> str:
    """A demo shop whose supervisor is the login running the tests (it owns the file)."""
    path = str(tmp_path_factory.mktemp("desk") / "desk.db")
    built = runner.invoke(app, ["demo", "--db", path, "--customers", "200", "--seed", "8",
                                "--as-of", AS_OF.strftime("%Y-%m-%dT%H:%M:%S")])
    assert built.exit_code == 0, built.output
    return path


def run(db: str, *args: str, who: str | None = None):
    return runner.invoke(app, [*(["--as", who] if who else []), *args, "--db", db])


def test_the_inbox_lists_every_open_message_customers_and_visitors_alike(shop):
    listed = run(shop, "inbox", "list", "--json", who="ana")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == scalar(shop, "SELECT count(*) FROM contact_message WHERE status IN ('new', 'in_progress')")
    assert any(r["customer_id"] is None for r in rows) and any(r["customer_id"] for r in rows)
    answered = json.loads(run(shop, "inbox", "list", "--json", "--status", "answered", who="ana").stdout)
    assert answered and all(r["status"] == "answered" and r["answer"] for r in answered)
    table = run(shop, "inbox", "list", who="ana")
    assert table.exit_code == 0 and "not a customer" in table.output
    wrong = run(shop, "inbox", "list", "--status", "lost", who="ana")
    assert wrong.exit_code == 2 and "not a message status" in wrong.output


def test_cases_list_their_views(shop):
    team = json.loads(run(shop, "cases", "list", "--json", who="ana").stdout)
    assert len(team) == scalar(shop, "SELECT count(*) FROM service_case WHERE status IN ('open', 'waiting')")
    finished = json.loads(run(shop, "cases", "list", "--json", "--view", "finished", who="ana").stdout)
    assert finished and {c["status"] for c in finished} <= {"resolved", "closed"}
    assert run(shop, "cases", "list", "--view", "someone", who="ana").exit_code == 2


def test_orders_show_their_way_and_only_the_back_office_moves_them(shop):
    number = query(shop, "SELECT o.number FROM shop_order o WHERE o.status = 'placed' AND o.cancels_order_id IS NULL "
                         "AND o.total_cents > 0 AND NOT EXISTS (SELECT 1 FROM shop_order c WHERE c.cancels_order_id "
                         "= o.id) ORDER BY o.id DESC LIMIT 1")[0][0]
    shown = json.loads(run(shop, "orders", "show", number.lower(), "--json", who="ana").stdout)
    assert shown["number"] == number and [s["status"] for s in shown["steps"]] == ["placed"] and shown["lines"]
    refused = run(shop, "orders", "move", number, "paid", who="ana")
    assert refused.exit_code == 1 and "may not" in refused.output
    assert run(shop, "orders", "move", number, "paid").exit_code == 0
    illegal = run(shop, "orders", "move", number, "delivered")
    assert illegal.exit_code == 1 and "cannot become delivered" in illegal.output
    no_tracking = run(shop, "orders", "move", number, "shipped", "--carrier", "SEUR")
    assert no_tracking.exit_code == 1 and "tracking number" in no_tracking.output
    assert run(shop, "orders", "move", number, "shipped", "--carrier", "SEUR", "--tracking", "SE1").exit_code == 0
    steps = json.loads(run(shop, "orders", "show", number, "--json").stdout)["steps"]
    assert [(s["status"], s["tracking_number"]) for s in steps][-2:] == [("paid", ""), ("shipped", "SE1")]
    missing = run(shop, "orders", "show", "WO99999999", who="ana")
    assert missing.exit_code == 1 and "no order numbered" in missing.output


def test_the_quality_report_in_three_formats_for_supervisors_only(shop, tmp_path):
    period = ["--from", "2026-06-01", "--to", "2026-11-20"]
    data = json.loads(run(shop, "report", "quality", *period, "--format", "json").stdout)
    indices = {row["index"]: row for row in data["rows"]}
    for name in ("satisfaction", "complaints per 1,000 orders", "cases resolved within target",
                 "median resolution hours", "first-contact resolution", "callbacks called within target",
                 "inbox answered within target"):
        assert name in indices
    assert any(name.startswith("lost customers 2026-") for name in indices)
    out = tmp_path / "quality.csv"
    assert run(shop, "report", "quality", *period, "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["index", "figure", "basis"] and len(rows) == len(data["rows"])
    assert run(shop, "report", "quality", *period).exit_code == 0
    refused = run(shop, "report", "quality", *period, who="ana")
    assert refused.exit_code == 1 and "may not" in refused.output
    lost = run(shop, "report", "lost-customers", "--from", "2025-12-01", "--to", "2026-11-20", "--format", "csv")
    assert lost.exit_code == 0 and lost.stdout.splitlines()[0] == "month,customers,value_lost_eur,reasons"
    each = json.loads(run(shop, "report", "lost-customers", "--from", "2025-12-01", "--to", "2026-11-20",
                          "--by", "customer", "--format", "json").stdout)["rows"]
    months = list(csv.DictReader(io.StringIO(lost.stdout)))
    assert len(each) == sum(int(m["customers"]) for m in months) > 0
    assert all(row["customer_number"].startswith("CU") for row in each)
    assert any(row["reason"] for row in each)


def test_offers_are_withheld_while_a_case_is_open(shop):
    number = query(shop, "SELECT c.customer_number FROM service_case s JOIN customer c ON c.id = s.customer_id "
                         "WHERE s.status IN ('open', 'waiting') ORDER BY s.id LIMIT 1")[0][0]
    data = json.loads(run(shop, "marketing", "offers", number, "--json", who="ana").stdout)
    assert data["offers"] == [] and data["withheld"]["reason"] == "open_case"
    shown = run(shop, "marketing", "offers", number, who="ana")
    assert "Offers withheld" in shown.output and "is open" in shown.output


def test_the_campaign_export_leaves_unhappy_customers_out_and_says_how_many(shop, tmp_path):
    segments = [s for (s,) in query(shop, "SELECT DISTINCT segment FROM customer_rfm")]
    said = {}
    for segment, channel in [(s, c) for s in segments for c in ("email", "phone", "chat")]:
        out = tmp_path / f"{segment}-{channel}.csv"
        result = run(shop, "marketing", "export", "--segment", segment, "--channel", channel, "--out", str(out))
        assert result.exit_code == 0, result.output
        said[segment, channel] = int(result.output.split("; ")[2].split()[0])
        exported = {row["customer_number"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
        unhappy = {n for (n,) in query(shop, "SELECT c.customer_number FROM service_case s JOIN customer c ON "
                                             "c.id = s.customer_id WHERE s.status IN ('open', 'waiting')")}
        assert not exported & unhappy
    assert sum(said.values()) > 0
