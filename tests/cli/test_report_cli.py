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


def test_country_is_a_code_or_a_name_and_guests_count_in_their_orders_country(db):
    assert run_import(db, SAMPLE)[0] == 0
    expected = query(db, "SELECT sum(l.line_total_cents) FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                         "LEFT JOIN customer c ON c.id = o.customer_id WHERE coalesce(c.country, o.country) = 'GB'")[0][0]
    guests = query(db, "SELECT sum(l.line_total_cents) FROM order_line l JOIN shop_order o ON o.id = l.order_id "
                       "WHERE o.customer_id IS NULL AND o.country = 'GB'")[0][0]
    assert guests == 1275  # the guest invoice 536367
    for name in ("GB", "gb", "United Kingdom", "Reino Unido"):
        data = json.loads(report(db, "monthly", "--country", name, "--format", "json").stdout)
        assert data["country"] == "GB"
        assert sum(int(r["net_eur"].replace(".", "")) for r in data["rows"]) == expected, name
    countries = {r["country"] for r in json.loads(report(db, "top-customers", "--format", "json").stdout)["rows"]}
    assert countries <= {"GB", "FR", "DE"}
    for unknown in ("Atlantis", "XX", "Unspecified", "ZZ", "EU", ""):
        refused = report(db, "monthly", "--country", unknown)
        assert refused.exit_code == 1 and "is not a country code or name" in refused.output, unknown
        assert refused.output.count("\n") == 1
    assert json.loads(report(db, "monthly", "--country", "NA", "--format", "json").stdout)["country"] == "NA"  # Namibia
    assert json.loads(report(db, "monthly", "--country", "Côte d'Ivoire", "--format", "json").stdout)["country"] == "CI"
    for kind in ("discounts", "callbacks", "quality", "lost-customers", "visits"):
        refused = report(db, kind, "--country", "GB")
        assert refused.exit_code == 2 and "--country applies to monthly, top-products, top-customers" in refused.output


def test_an_empty_report_says_so_and_files_keep_their_shape(db):
    assert run_import(db, SAMPLE)[0] == 0
    days = ("--from", "2001-01-01", "--to", "2001-01-31")
    table = report(db, "monthly", *days)
    assert table.exit_code == 0 and "No data for monthly from 2001-01-01 to 2001-01-31." in table.output
    assert "new customers" in table.output  # the columns are still there
    assert "No data for top-products from 2001-01-01 to 2001-01-31 in GB." in report(
        db, "top-products", "--country", "United Kingdom", *days).output
    for kind in ("monthly", "top-products", "top-customers", "discounts", "callbacks", "lost-customers", "visits"):
        csv_out = report(db, kind, *days, "--format", "csv")
        assert csv_out.exit_code == 0, csv_out.output
        header = next(csv.reader(io.StringIO(csv_out.stdout)))
        assert len(header) >= 3 and csv_out.stdout.count("\n") == 1, kind
        data = json.loads(report(db, kind, *days, "--format", "json").stdout)
        assert data["rows"] == [] and data["columns"] == header and data["from"] == "2001-01-01", kind
    assert next(csv.reader(io.StringIO(report(db, "monthly", *days, "--format", "csv").stdout)))[:3] == [
        "month", "orders", "units"]


def test_activity_reports_cover_the_last_30_days_by_default(db, engine):
    from datetime import timedelta

    from sqlmodel import Session

    from crm_tui.db import write_session
    from crm_tui.models import Role
    from crm_tui.services.customers import load_card, save_card
    from crm_tui.services.staff import StaffMember
    from crm_tui.shop.types import utc_now

    assert run_import(db, SAMPLE)[0] == 0  # sales of 2010: the activity is today's, not theirs
    today = utc_now()
    with Session(engine) as session:
        customer_id = session.exec(__import__("sqlmodel").text("SELECT min(id) FROM customer")).scalar()
    with write_session(engine) as session:
        save_card(session, StaffMember("sue", "Sue", Role.SUPERVISOR, 30, True), load_card(session, customer_id),
                  {"discount_percent": 5}, reason="loyal", now=today)
    for kind in ("discounts", "callbacks"):
        data = json.loads(report(db, kind, "--format", "json").stdout)
        assert (data["from"], data["to"]) == ((today - timedelta(days=29)).date().isoformat(), today.date().isoformat())
    rows = json.loads(report(db, "discounts", "--format", "json").stdout)["rows"]
    assert [(r["login"], r["card_changes"]) for r in rows] == [("sue", 1)]
    older = json.loads(report(db, "discounts", "--to", (today - timedelta(days=31)).date().isoformat(),
                              "--format", "json").stdout)
    assert older["rows"] == [] and older["from"] == (today - timedelta(days=60)).date().isoformat()
