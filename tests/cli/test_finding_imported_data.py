"""What an export wrote is what the agent types: order numbers in any case, customer numbers as
a spreadsheet wrote them, guests' orders by their number; a cancellation is never a purchase; a
customer known only by number is shown by it (on both engines)."""

import json
from datetime import date

from sqlmodel import Session
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.db import make_engine
from crm_tui.services.orders import guest_orders
from crm_tui.services.search import count_matches, search_customers
from tests.import_helpers import SAMPLES, database_url, run_import

SAMPLE = str(SAMPLES / "lines" / "online_retail_sample.csv")


def test_search_finds_what_the_export_wrote(db):
    assert run_import(db, SAMPLE, "--timezone", "Europe/London")[0] == 0
    engine = make_engine(database_url(db))
    with Session(engine) as session:
        for typed in ("C536379", "c536379", " c536379 "):
            hits = search_customers(session, typed)
            assert [(h.customer_number, h.via_order) for h in hits] == [("17850", "C536379")], typed
        for typed in ("17850.0", "17850.00", "17850"):
            assert [h.customer_number for h in search_customers(session, typed)] == ["17850"], typed
        assert count_matches(session, "17850.0") == 1
        assert search_customers(session, "536367") == []  # nobody's: not a customer
        assert [(o.number, o.total_cents, o.items) for o in guest_orders(session, "536367")] == [("536367", 1275, 2)]
        assert guest_orders(session, "536365") == []  # a customer's order is found through the customer
        assert guest_orders(session, "") == [] and guest_orders(session, "%") == []
        hit = search_customers(session, "17850")[0]
        assert hit.name == "#17850"  # known only by number
        assert hit.last_purchase.date() == date(2010, 12, 1)  # not the cancellation of the 16th
        assert search_customers(session, "14527")[0].last_purchase is None  # only ever cancelled
    engine.dispose()


def test_customers_known_only_by_number_are_shown_by_it_in_reports(db):
    assert run_import(db, SAMPLE)[0] == 0
    result = CliRunner().invoke(app, ["report", "top-customers", "--format", "json", "--db", db])
    assert result.exit_code == 0, result.output
    assert {r["name"] for r in json.loads(result.stdout)["rows"]} == {"#17850", "#12583", "#14527"}
