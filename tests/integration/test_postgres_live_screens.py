"""On PostgreSQL the screens are told of changes (LISTEN/NOTIFY) instead of asking every second."""

import time
from datetime import time as clock_time

import pytest
from textual.widgets import DataTable
from typer.testing import CliRunner

from crm_tui.app import make_app
from crm_tui.cli import app as cli
from crm_tui.db import make_engine, run_write
from crm_tui.screens.callback_queue import CallbackQueueScreen
from crm_tui.settings import QueueSettings, Settings
from crm_tui.shop.operations import request_callback
from tests.conftest import AS_OF, act_as

pytestmark = pytest.mark.postgresql_only


async def test_a_callback_added_by_another_connection_appears_within_a_second(pg_url, monkeypatch):
    act_as(monkeypatch, "sue")
    assert CliRunner().invoke(cli, ["staff", "add", "sue", "--role", "supervisor", "--db", pg_url]).exit_code == 0
    console = make_app(Settings(db=pg_url, lang="en", login="sue"), clock=lambda: AS_OF,
                       queue=QueueSettings(calling_hours=(clock_time.min, clock_time.max)))
    web_shop = make_engine(pg_url)  # another process's connection, as the storefront's would be
    try:
        async with console.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            console.push_screen(CallbackQueueScreen(console.context))
            await pilot.pause()
            screen = console.screen
            assert screen._unwatch is not None  # pushed by the database, not polled
            assert console.context.changes.wait_listening(5)
            table = screen.query_one("#queue", DataTable)
            assert table.row_count == 0
            run_write(web_shop, lambda s: request_callback(s, "+34612345678", note="from the web", now=AS_OF))
            sent = time.monotonic()
            while table.row_count == 0 and time.monotonic() - sent < 3:
                await pilot.pause(0.02)
            waited = time.monotonic() - sent
            assert table.row_count == 1 and waited < 1.0, waited
            print(f"shown {waited * 1000:.0f} ms after the other connection committed")
    finally:
        web_shop.dispose()
