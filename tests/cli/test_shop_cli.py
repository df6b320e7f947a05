"""`crm-tui shop restock` and `shop serve`: the web shop's back office, for ops and supervisors."""

from typer.testing import CliRunner

from crm_tui.cli import app
from tests.conftest import act_as, add_products
from tests.import_helpers import query

runner = CliRunner()


def test_ops_restock_a_product_and_the_change_is_audited(db, engine, monkeypatch):
    add_products(engine, dict(sku="LAMP", name="Table lamp", unit_price_cents=3990, stock_quantity=0))
    done = runner.invoke(app, ["shop", "restock", "LAMP", "12", "--reason", "delivery 4711", "--db", db])
    assert done.exit_code == 0, done.output
    assert "LAMP: stock 0 -> 12." in done.output
    assert query(db, "SELECT stock_quantity FROM product WHERE sku = 'LAMP'") == [(12,)]
    assert query(db, "SELECT staff_login, field, old_value, new_value, reason FROM audit_entry "
                     "WHERE record_table = 'product'") == [("ops1", "stock_quantity", "0", "12", "delivery 4711")]


def test_a_bad_restock_names_what_is_wrong_and_changes_nothing(db, engine):
    add_products(engine, dict(sku="LAMP", name="Table lamp", unit_price_cents=3990, stock_quantity=3))
    unknown = runner.invoke(app, ["shop", "restock", "NOPE", "5", "--db", db])
    assert unknown.exit_code == 2 and "no product 'NOPE'" in unknown.output
    zero = runner.invoke(app, ["shop", "restock", "LAMP", "0", "--db", db])
    assert zero.exit_code == 2 and "quantity" in zero.output
    assert query(db, "SELECT stock_quantity FROM product WHERE sku = 'LAMP'") == [(3,)]


def test_an_agent_may_neither_restock_nor_run_the_shop(db, engine, monkeypatch):
    add_products(engine, dict(sku="LAMP", name="Table lamp", unit_price_cents=3990, stock_quantity=3))
    assert runner.invoke(app, ["staff", "add", "amy", "--role", "agent", "--discount-cap", "0", "--db", db]).exit_code == 0
    act_as(monkeypatch, "amy")
    restock = runner.invoke(app, ["shop", "restock", "LAMP", "5", "--db", db])
    assert restock.exit_code == 1 and "restock products" in restock.output
    serve = runner.invoke(app, ["shop", "serve", "--db", db, "--port", "1"])
    assert serve.exit_code == 1 and "run the web shop's server" in serve.output
    assert query(db, "SELECT stock_quantity FROM product WHERE sku = 'LAMP'") == [(3,)]


def test_the_demo_prints_a_web_login_that_works(tmp_path, monkeypatch):
    import re

    from crm_tui.db import open_database, read_session
    from crm_tui.services.web_accounts import log_in
    from tests.conftest import AS_OF

    act_as(monkeypatch, "boss")
    built = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "demo.db"), "--customers", "30",
                                     "--as-of", AS_OF.isoformat()])
    assert built.exit_code == 0, built.output
    found = re.search(r"log in as (\S+) with the password (\S+)\.", " ".join(built.output.split()))
    assert found, built.output
    engine = open_database(str(tmp_path / "demo.db"))
    with read_session(engine) as session:
        assert log_in(session, found.group(1), found.group(2)) is not None
    engine.dispose()
