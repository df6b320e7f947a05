"""The visit log read back: a customer's visits on the timeline and summary, and the
supervisors' report of visits per day and of the catalogue pages that lead to orders."""

import json

from sqlalchemy import select
from typer.testing import CliRunner

from crm_tui.cli import app as cli
from crm_tui.db import read_session
from crm_tui.services.customer_summary import customer_summary
from crm_tui.services.timeline import customer_timeline
from crm_tui.shop.models import Customer
from tests.web.conftest import register, token


def test_a_customers_visits_show_on_the_timeline_and_summary_and_in_the_report(client, catalogue, clock, db):
    register(client)
    client.get("/product/LAMP")
    clock.advance(minutes=2)
    client.get("/product/LAMP")
    client.get("/product/MUG-RED")
    clock.advance(minutes=3)
    client.post("/basket/add", data={"csrf_token": token(client), "sku": "MUG-RED", "quantity": "1"})
    client.post("/checkout", data={"csrf_token": token(client)})
    anonymous = client.__class__(client.app)
    anonymous.get("/?category=Kitchen")
    anonymous.get("/product/KITE")

    with read_session(catalogue) as session:
        customer_id = session.scalar(select(Customer.id))
        summary = customer_summary(session, customer_id, clock())
        timeline = customer_timeline(session, customer_id)
    assert summary.web_visits.visits == 1
    # Views count visits: the lamp seen twice and the mug shown again after "add to basket", once each.
    assert dict(summary.web_visits.most_viewed) == {"Table lamp, zinc": 1, "Enamel mug, red": 1}
    visit = next(e for e in timeline if e.kind == "visit")
    assert visit.what == "ordered" and visit.duration_seconds == 300
    assert "Table lamp, zinc" in visit.detail and "Enamel mug, red" in visit.detail

    day = CliRunner().invoke(cli, ["report", "visits", "--db", db, "--from", "2026-11-20", "--to", "2026-11-20",
                                   "--format", "json"])
    assert day.exit_code == 0, day.output
    rows = json.loads(day.output)["rows"]
    assert rows == [{"day": "2026-11-20", "visits": 2, "pages": rows[0]["pages"], "customers": 1, "orders": 1}]
    assert rows[0]["pages"] >= 8
    pages = CliRunner().invoke(cli, ["report", "visits", "--by", "page", "--db", db, "--from", "2026-11-20",
                                     "--to", "2026-11-20", "--format", "json"])
    leading = {r["page"]: (r["visits"], r["visits_with_order"]) for r in json.loads(pages.output)["rows"]}
    assert leading["Table lamp, zinc"] == (1, 1) and leading["Kite, rainbow"] == (1, 0)
    assert leading["/?category=Kitchen"] == (1, 0)
