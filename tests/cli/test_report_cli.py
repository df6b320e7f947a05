"""`crm-tui report`: formats, files, ranges, and who may run it."""

import csv
import io
import json

from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import act_as
from tests.import_helpers import SAMPLES, query, run_import

runner = CliRunner()
SAMPLE = str(SAMPLES / "lines" / "online_retail_sample.csv")


def report(db, *args):
    return runner.invoke(app, ["report", *args, "--db", db])


def test_monthly_as_json_csv_and_a_table(db, tmp_path):
    assert run_import(db, SAMPLE)[0] == 0
    data = json.loads(report(db, "monthly", "--format", "json").stdout)
    expected = query(db, "SELECT substr(CAST(o.placed_at AS TEXT), 1, 7), sum(l.quantity * l.unit_price_cents) FROM order_line l "
                         "JOIN shop_order o ON o.id = l.order_id GROUP BY 1 ORDER BY 1")
    assert [(r["month"], r["net_eur"]) for r in data["rows"]] == [(m, f"{n // 100}.{n % 100:02d}") for m, n in expected]
    out = tmp_path / "monthly.csv"
    assert report(db, "monthly", "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["month", "orders", "units", "gross_eur", "cancellations_eur", "net_eur", "customers",
                             "new_customers"]
    assert [r["net_eur"] for r in rows] == [r["net_eur"] for r in data["rows"]]
    table = report(db, "monthly", "--lang", "es")
    assert table.exit_code == 0 and "€" in table.output and "month" in table.output


def test_top_lists_discounts_and_callbacks_run(db):
    assert run_import(db, SAMPLE)[0] == 0
    top = json.loads(report(db, "top-products", "--format", "json", "--by", "quantity", "--limit", "3").stdout)
    assert len(top["rows"]) == 3 and top["rows"][0]["units"] >= top["rows"][1]["units"]
    customers = json.loads(report(db, "top-customers", "--format", "json", "--from", "2010-12-01",
                                  "--to", "2010-12-31").stdout)
    assert customers["from"] == "2010-12-01" and customers["rows"]
    for kind in ("discounts", "callbacks"):
        assert report(db, kind, "--format", "json").exit_code == 0


def test_usage_errors_and_refusals(db, monkeypatch):
    empty = report(db, "monthly")
    assert empty.exit_code == 1 and "no sales yet" in empty.output
    assert run_import(db, SAMPLE)[0] == 0
    assert report(db, "top-products", "--by", "colour").exit_code == 2
    backwards = report(db, "monthly", "--from", "2011-01-01", "--to", "2010-01-01")
    assert backwards.exit_code == 2 and "is after" in backwards.output
    assert report(db, "weekly").exit_code == 2
    assert runner.invoke(app, ["staff", "add", "ana", "--role", "agent", "--discount-cap", "0", "--db", db]).exit_code == 0
    act_as(monkeypatch, "ana")
    refused = report(db, "monthly")
    assert refused.exit_code == 1 and "not for your role" in refused.output
