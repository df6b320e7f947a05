"""Every command's --help reads as a person would write it: flags show no type. The console's
own path starts without the database layer (its modules load when a command needs them)."""

import subprocess
import sys

import typer
from typer.testing import CliRunner

from crm_tui.cli import app


def command_paths(command, path=()):
    yield path
    if hasattr(command, "list_commands"):  # a group (typer carries its own copy of click)
        context = typer.Context(command)
        for name in command.list_commands(context):
            yield from command_paths(command.get_command(context, name), (*path, name))


def test_no_help_page_shows_a_type_beside_a_flag():
    paths = list(command_paths(typer.main.get_command(app)))
    assert len(paths) > 20
    for path in paths:
        page = CliRunner().invoke(app, [*path, "--help"], terminal_width=120)
        assert page.exit_code == 0, (path, page.output)
        assert "<bool>" not in page.output, path
        assert "--help" in page.output


def test_every_command_is_listed_in_the_root_help_in_its_order():
    page = CliRunner().invoke(app, ["--help"], terminal_width=120).output
    names = ["demo", "backup", "staff", "import", "callbacks", "inbox", "cases", "orders", "marketing", "report",
             "privacy", "pg", "shop"]
    listed = [line.split()[1] for line in page.splitlines() if line.startswith("│ ") and len(line.split()) > 2]
    assert [name for name in listed if name in names] == names


def test_a_misspelt_command_is_refused_with_a_suggestion():
    result = CliRunner().invoke(app, ["callback", "list"])
    assert result.exit_code == 2 and "callbacks" in result.output


def test_the_console_draws_its_first_frame_without_the_database_layer():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, typer, crm_tui.cli, crm_tui.app, crm_tui.screens.opening; "
                               "root = typer.main.get_command(crm_tui.cli.app); "
                               "context = root.make_context('crm-tui', ['--db', 'x.db', '--lang', 'es', '--as', 'ana']); "
                               "assert context.params == {'db': 'x.db', 'lang': 'es', 'impersonate': 'ana', 'as_of': None}, context.params; "
                               "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'crm_tui.db', "
                               "'crm_tui.models') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
