"""A British shop's own export in a fresh database: its currency, time zone and phone region,
and its history analysed as of its last order."""

import csv
import io
import json

from typer.testing import CliRunner

from crm_tui.cli import app
from tests.import_helpers import SAMPLES, query, run_import, scalar, write

RETAIL = str(SAMPLES / "lines" / "online_retail_sample.csv")
runner = CliRunner()


def cli(db: str, *args: str):
    return runner.invoke(app, [*args, "--db", db])


def british(db: str) -> dict:
    code, summary, output = run_import(db, RETAIL, "--currency", "GBP", "--timezone", "Europe/London",
                                       "--phone-region", "GB", "--no-refresh")
    assert code == 0, output
    return summary


def test_the_first_import_states_the_shops_locale_and_later_ones_keep_it(db):
    summary = british(db)
    assert any("GBP, Europe/London, phone region GB" in w for w in summary["warnings"])
    assert "Currency GBP, time zone Europe/London, phone region GB." in cli(db, "shop", "locale").output
    # A later import reads naive times in the shop's zone without being told, and says so.
    code, again, _ = run_import(db, RETAIL, "--no-refresh")
    assert any("read as Europe/London (the shop's time zone)" in w for w in again["warnings"])
    code, _, output = run_import(db, RETAIL, "--currency", "EUR", "--no-refresh")
    assert code == 1 and "the shop's currency is GBP, not EUR" in output


def test_times_are_stored_from_the_shops_zone(db):
    british(db)
    # 8:26 in London in December is 8:26 UTC (Madrid would have stored 7:26).
    assert str(scalar(db, "SELECT placed_at FROM shop_order WHERE number = '536365'")).startswith("2010-12-01 08:26")


def test_reports_and_csv_speak_pounds(db):
    british(db)
    table = cli(db, "report", "monthly", "--from", "2010-12-01", "--to", "2010-12-31")
    assert table.exit_code == 0 and "£" in table.output and "€" not in table.output
    rows = list(csv.reader(io.StringIO(cli(db, "report", "monthly", "--from", "2010-12-01", "--to", "2010-12-31",
                                           "--format", "csv").output)))
    assert "net_gbp" in rows[0] and "gross_gbp" in rows[0]
    data = json.loads(cli(db, "report", "monthly", "--from", "2010-12-01", "--to", "2010-12-31",
                          "--format", "json").output)
    assert data["currency"] == "GBP" and "net_gbp" in data["rows"][0]


def test_a_british_number_without_its_code_is_accepted(db):
    british(db)
    result = cli(db, "callbacks", "add", "07911 123456")
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT phone FROM callback_request") == [("+447911123456",)]


def test_a_bad_locale_is_refused_with_what_was_expected(db):
    result = cli(db, "shop", "locale", "--currency", "POUNDS")
    assert result.exit_code == 2 and "ISO 4217" in result.output
    result = cli(db, "shop", "locale", "--timezone", "London")
    assert result.exit_code == 2 and "not a time zone" in result.output


def test_an_old_history_is_flagged_and_analysed_as_of_its_last_order(db):
    british(db)
    result = cli(db, "marketing", "refresh")
    assert result.exit_code == 0 and "--as-of last-order" in result.output
    counts = {s["segment"]: s["customers"] for s in json.loads(cli(db, "marketing", "segments", "--json").output)["segments"]}
    assert counts.get("lapsed") == 2  # as of today, both buyers (14527 only has a cancellation)
    assert cli(db, "marketing", "refresh", "--as-of", "last-order").exit_code == 0
    counts = {s["segment"]: s["customers"] for s in json.loads(cli(db, "marketing", "segments", "--json").output)["segments"]}
    assert counts.get("lapsed", 0) == 0
    result = cli(db, "marketing", "refresh", "--as-of", "yesterday")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def segments_and_offers(db: str, as_of: str) -> tuple:
    assert cli(db, "marketing", "refresh", "--as-of", as_of).exit_code == 0
    segments = query(db, "SELECT c.customer_number, r.segment, r.r, r.f, r.m, r.recency_days FROM customer_rfm r "
                         "JOIN customer c ON c.id = r.customer_id ORDER BY 1")
    offers = {}
    for number in ("17850", "12583", "14527"):
        found = json.loads(cli(db, "marketing", "offers", number, "--json", "--as-of", as_of).output)
        offers[number] = [(o["sku"], o["rule"]) for o in found["offers"]]
    return segments, offers


def test_as_of_the_last_order_equals_the_same_shop_moved_to_today(db, tmp_path):
    from datetime import date, datetime, timedelta

    british(db)
    old = segments_and_offers(db, "2010-12-16")
    # The same history, every date moved so that its last order is "today" (a fixed day: no
    # test reads the wall clock).
    today = date(2026, 12, 2)
    shift = (today - date(2010, 12, 16)).days
    moved_rows = []
    with open(RETAIL, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for row in reader:
            when = datetime.strptime(row[4], "%m/%d/%Y %H:%M") + timedelta(days=shift)
            moved_rows.append([*row[:4], when.strftime("%Y-%m-%d %H:%M"), *row[5:]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *moved_rows])
    moved = str(tmp_path / "moved.db")
    from tests.import_helpers import add_ops
    add_ops(moved)
    code, _, output = run_import(moved, str(write(tmp_path / "moved.csv", out.getvalue())), "--currency", "GBP",
                                 "--timezone", "Europe/London", "--phone-region", "GB", "--no-refresh")
    assert code == 0, output
    assert segments_and_offers(moved, today.isoformat()) == old


def test_a_lines_export_in_a_fresh_shop_gives_offers_as_of_its_last_order(db, tmp_path):
    """Customers who buy mugs with saucers teach the baskets; a customer who bought only a mug
    is offered the saucer. The history is years old: as of its last order, it still teaches."""
    rows = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"]
    for n in range(8):
        day = f"2011-11-{n + 1:02d} 10:00"
        rows += [f"5800{n},MUG1,BLUE MUG,2,{day},3.50,1400{n},United Kingdom",
                 f"5800{n},SAU1,BLUE SAUCER,2,{day},2.10,1400{n},United Kingdom"]
    rows += ["58100,MUG1,BLUE MUG,1,2011-12-01 10:00,3.50,15000,United Kingdom"]
    code, _, output = run_import(db, str(write(tmp_path / "lines.csv", "\n".join(rows) + "\n")), "--currency", "GBP",
                                 "--timezone", "Europe/London", "--phone-region", "GB", "--as-of", "last-order")
    assert code == 0, output
    found = json.loads(cli(db, "marketing", "offers", "15000", "--json", "--as-of", "last-order").output)
    assert ("SAU1", "together") in [(o["sku"], o["rule"]) for o in found["offers"]]
    assert found["offers"][0]["light"] == "untracked"


def test_customers_of_countries_with_several_zones_are_warned_about(db, tmp_path):
    export = write(tmp_path / "world.csv",
                   "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                   "1,A,Mug,1,12/1/2010 8:26,2.55,100,Canada\n"
                   "2,A,Mug,1,12/1/2010 8:27,2.55,101,Canada\n"
                   "3,A,Mug,1,12/1/2010 8:28,2.55,102,Australia\n"
                   "4,A,Mug,1,12/1/2010 8:29,2.55,103,Germany\n"
                   "5,A,Mug,1,12/1/2010 8:30,2.55,104,Lithuania\n")
    code, summary, output = run_import(db, str(export), "--no-refresh")
    assert code == 0, output
    warned = [w for w in summary["warnings"] if "several time zones" in w]
    assert warned == ["3 new customers live in countries with several time zones and were given the main one: "
                      "CA 2 (America/Toronto), AU 1 (Australia/Sydney); their calling hours may be off by the "
                      "difference"]
    assert dict(query(db, "SELECT customer_number, time_zone FROM customer")) == {
        "100": "America/Toronto", "101": "America/Toronto", "102": "Australia/Sydney", "103": "Europe/Berlin",
        "104": "Europe/Vilnius"}


def test_as_of_refuses_a_day_to_come_and_belongs_after_its_command(db):
    british(db)
    for day in ("9999-12-31", "2999-01-01"):
        result = cli(db, "marketing", "refresh", "--as-of", day)
        assert result.exit_code != 0 and "is after today" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["--as-of", "last-order", "marketing", "refresh", "--db", db])
    assert result.exit_code == 2 and "give it after the command" in result.output


def test_a_postcode_that_settles_the_zone_is_no_guess(db):
    code, summary, output = run_import(db, *sorted(str(f) for f in (SAMPLES / "crm").glob("*.csv")), "--no-refresh")
    assert code == 0, output
    assert not [w for w in summary["warnings"] if "several time zones" in w]
