"""On PostgreSQL too, a database brought up one revision at a time ends with the schema a fresh
one gets, and the revisions made for PostgreSQL go down and up again to the same schema."""

import psycopg
import pytest
from sqlalchemy.engine import make_url

from crm_tui.db import open_database
from tests.core.test_migration_chain import migrate, revisions_in_order

pytestmark = pytest.mark.postgresql_only


def empty_database(pg_server, name: str) -> str:
    with pg_server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.url(name)


def schema(url: str) -> dict:
    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database) as conn:
        def rows(sql: str) -> list:
            return sorted(tuple(r) for r in conn.execute(sql).fetchall())
        return {
            "columns": rows("SELECT table_name, column_name, data_type, is_nullable, column_default, "
                            "character_maximum_length FROM information_schema.columns WHERE table_schema = 'public'"),
            "indexes": rows("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"),
            "triggers": rows("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"),
            "functions": rows("SELECT proname, prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                              "WHERE n.nspname = 'public' AND proname LIKE 'crm_%' OR proname LIKE 'rollup_%'"),
            "constraints": rows("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                "WHERE connamespace = 'public'::regnamespace"),
        }


def test_one_revision_at_a_time_ends_where_a_fresh_database_starts(pg_server):
    stepped = empty_database(pg_server, "stepped")
    for revision in revisions_in_order():
        migrate(stepped, "upgrade", revision)
    fresh = empty_database(pg_server, "fresh")
    open_database(fresh).dispose()
    assert schema(stepped) == schema(fresh)


def test_the_postgresql_revisions_go_down_and_up_again(pg_server):
    url = empty_database(pg_server, "downup")
    open_database(url).dispose()
    at_head = schema(url)
    for revision in ("0011", "0010", "0009", "0004"):
        migrate(url, "downgrade", revision)
    migrate(url, "upgrade", "head")
    assert schema(url) == at_head
