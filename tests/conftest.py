"""Shared fixtures: real SQLite files in tmp_path, migrated the way the product opens them."""

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert

from crm_tui.db import open_database, write_session
from crm_tui.shop.models import Product

AS_OF = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


def act_as(monkeypatch, login: str) -> None:
    """In-process commands run as `login`: the operating-system identity, replaced for the test
    (the product never reads it from the environment)."""
    monkeypatch.setattr("crm_tui.settings.os_login", lambda: login)
    monkeypatch.setattr("crm_tui.identity.database_login", lambda engine: login)


@pytest.fixture
def db_path(tmp_path, request):
    """Where the test's shop database is: a SQLite file in tmp_path, or with --engine postgresql
    the URL of a fresh database on the session's server."""
    if request.config.getoption("--engine") == "postgresql":
        return request.getfixturevalue("pg_url")
    return tmp_path / "shop.db"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file at the head revision, made once per test process: copying it is cheaper
    than migrating a new file for every test (as PostgreSQL's tests copy a template database)."""
    path = tmp_path_factory.mktemp("template") / "shop.db"
    engine = open_database(str(path))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def fresh_sqlite(db_path, request) -> None:
    """The test's SQLite file, a copy of the template (PostgreSQL's db_path is already fresh)."""
    if isinstance(db_path, Path) and not db_path.exists():
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db_path)
        db_path.chmod(0o600)


@pytest.fixture
def db(db_path, tmp_path, monkeypatch, request):
    """A fresh shop database with the ops login ops1, the working directory in tmp_path."""
    from tests.import_helpers import add_ops

    act_as(monkeypatch, "ops1")
    monkeypatch.chdir(tmp_path)
    fresh_sqlite(db_path, request)
    add_ops(str(db_path))
    return str(db_path)


@pytest.fixture
def engine(db_path, request):
    fresh_sqlite(db_path, request)
    engine = open_database(str(db_path))
    yield engine
    engine.dispose()


def add_products(engine, *rows: dict) -> None:
    defaults = dict(description="", category="Kitchen", low_stock_threshold=5, active=True, kind="product")
    with write_session(engine) as session:
        session.execute(insert(Product), [defaults | row for row in rows])


@pytest.fixture
def catalogue(engine):
    add_products(
        engine,
        dict(sku="MUG-RED", name="Enamel mug, red", unit_price_cents=450, stock_quantity=20),
        dict(sku="LAMP", name="Table lamp, zinc", unit_price_cents=3990, stock_quantity=1),
        dict(sku="KITE", name="Kite, rainbow", unit_price_cents=1250, stock_quantity=0),
        dict(sku="POST", name="Postage", unit_price_cents=495, stock_quantity=0, kind="postage"),
    )
    return engine


REGISTRATION = dict(first_name="José", last_name="García López", email="Jose.Garcia@Example.com",
                    phone="612 34 56 78", street="Calle Mayor 1", postcode="28013", city="Madrid",
                    country="ES", preferred_language="es", consent_email=True)


# --- the engine under test -------------------------------------------------------------------
# `pytest --engine postgresql` runs the same tests on a private PostgreSQL server (tests that
# are about SQLite files carry the sqlite_only mark and are skipped there).

def pytest_addoption(parser):
    parser.addoption("--engine", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the database engine the tests run on")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about SQLite files; skipped on --engine postgresql")
    config.addinivalue_line("markers", "postgresql_only: needs a PostgreSQL server (started by the session)")
    config.addinivalue_line("markers", "volume: a load test of minutes on two cores (make test-volume)")


def pytest_collection_modifyitems(config, items):
    engine = config.getoption("--engine")
    for item in items:
        if engine == "postgresql" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="about SQLite files"))
        if engine == "sqlite" and item.get_closest_marker("postgresql_only"):
            item.add_marker(pytest.mark.skip(reason="runs with --engine postgresql"))


@pytest.fixture(scope="session")
def engine_name(pytestconfig) -> str:
    return pytestconfig.getoption("--engine")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A private PostgreSQL server for this test process, with a migrated template database."""
    import tempfile
    from pathlib import Path

    from tests.postgres_server import Server

    server = Server(Path(tempfile.mkdtemp(prefix="crm-tui-pg-"))).start()
    try:
        server.make_template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh database at the head revision on the session's server."""
    return pg_server.fresh_database()
