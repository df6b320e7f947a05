"""Every command's --help reads as a person would write it: flags show no type."""

import typer
from typer.testing import CliRunner

from crm_tui.cli import app


def command_paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_no_help_page_shows_a_type_beside_a_flag():
    paths = list(command_paths(typer.main.get_command(app)))
    assert len(paths) > 20
    for path in paths:
        page = CliRunner().invoke(app, [*path, "--help"], terminal_width=120)
        assert page.exit_code == 0, (path, page.output)
        assert "<bool>" not in page.output, path
        assert "--help" in page.output
