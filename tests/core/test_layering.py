"""The core never loads the UI: DESIGN.md's one-way arrows, checked two ways."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ["crm_tui.shop", "crm_tui.shop.models", "crm_tui.shop.operations", "crm_tui.shop.demo", "crm_tui.db", "crm_tui.models",
        "crm_tui.migrations.runner", "crm_tui.services.staff", "crm_tui.services.audit",
        "crm_tui.services.demo_shop", "crm_tui.services.overview", "crm_tui.importing"]


def test_importing_the_core_loads_no_ui_library():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'typer', 'textual_plotext') or m.startswith('crm_tui.screens'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == ""


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    result = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def test_screens_and_widgets_open_no_session_and_write_no_sql():
    """Screens call services through the context's gateway: no session, no SQL text of their own."""
    opened = re.compile(r"(?<![\w.])(Session|text)\(")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for folder in ("crm_tui/screens", "crm_tui/widgets") for path in sorted((ROOT / folder).glob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if opened.search(line)]
    assert found == []
