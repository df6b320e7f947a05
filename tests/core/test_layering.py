"""The core never loads the UI: DESIGN.md's one-way arrows, checked two ways."""

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
    assert "Contracts: 2 kept, 0 broken" in result.stdout
