"""When the database fails (locked past its time limit) or the shop has a bug, the visitor gets
one sentence in their language, nothing is half written, and ops find the reason in the log."""

import logging
import sqlite3

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from crm_tui.db import LOCK_TIMEOUT_ENV_VAR, open_database, read_session, sqlite_file
from crm_tui.shop.models import CallbackRequest
from crm_tui.storefront import app as shop_app
from crm_tui.storefront.app import make_shop
from tests.conftest import add_products
from tests.web.conftest import token

pytestmark = pytest.mark.sqlite_only  # holds SQLite's write lock from another connection


@pytest.fixture
def impatient_shop(db_path, tmp_path, clock, monkeypatch):
    monkeypatch.setenv(LOCK_TIMEOUT_ENV_VAR, "0.3")
    engine = open_database(str(db_path))
    add_products(engine, dict(sku="LAMP", name="Table lamp, zinc", unit_price_cents=3990, stock_quantity=1))
    yield engine, make_shop(engine, tmp_path / "logs", clock=clock)
    engine.dispose()


def callbacks(engine) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(CallbackRequest)) or 0


def test_a_locked_database_gives_one_sentence_and_writes_nothing(impatient_shop, caplog):
    engine, shop = impatient_shop
    with TestClient(shop, headers={"accept-language": "es"}) as client:
        csrf = token(client)
        holder = sqlite3.connect(sqlite_file(str(engine.url)), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        try:
            with caplog.at_level(logging.WARNING, logger="crm_tui.shop"):
                page = client.post("/callback", data={"csrf_token": csrf, "phone": "612 345 678", "note": "hola"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert page.status_code == 503 and page.headers["retry-after"] == "60"
        assert ("La tienda no puede acceder a sus datos en este momento: no se ha guardado ni cambiado nada. "
                "Vuelva a intentarlo en unos minutos.") in page.text
        assert "botón Atrás" in page.text  # the form's input is still in the browser
        assert callbacks(engine) == 0
        reasons = [record.getMessage() for record in caplog.records]
        assert any("POST /callback: Another program kept the database locked" in r for r in reasons)
        assert any("kept in the log file only" in r for r in reasons)  # the visit itself

        again = client.post("/callback", data={"csrf_token": csrf, "phone": "612 345 678", "note": "hola"})
        assert again.status_code == 200 and callbacks(engine) == 1  # once the lock is gone


def test_a_bug_shows_one_sentence_not_a_trace(impatient_shop, monkeypatch):
    engine, shop = impatient_shop

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the shop")

    monkeypatch.setattr(shop_app, "request_callback", broken)
    with TestClient(shop, headers={"accept-language": "en"}, raise_server_exceptions=False) as client:
        page = client.post("/callback", data={"csrf_token": token(client), "phone": "612 345 678"})
    assert page.status_code == 500
    assert "Something went wrong on our side: nothing was saved or changed." in page.text
    assert "RuntimeError" not in page.text and "Traceback" not in page.text
    assert callbacks(engine) == 0
