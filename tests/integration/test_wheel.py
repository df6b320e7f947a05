"""The built wheel, installed into a fresh environment outside the source tree, is the whole
product: one top-level package, with its Spanish catalogue and offer templates inside."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.sqlite_only  # packaging: the same whatever the engine
AS_OF = "2026-11-01T10:00"


def run(*args, cwd, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the wheel installed; the test venv's site-packages only lends it the
    dependencies (a .pth there is not followed, so the editable source tree stays out)."""
    place = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", place / "dist", ROOT,
        cwd=place)
    [wheel] = (place / "dist").glob("crm_tui-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", place / "venv", cwd=place)
    python = place / "venv" / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=place).stdout.strip())
    (site / "lent_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=place)
    return place


def test_the_wheel_installs_one_top_level_package_with_its_data(installed):
    [wheel] = (installed / "dist").glob("crm_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"crm_tui", f"{wheel.name.split('-py')[0]}.dist-info"}
    assert "crm_tui/data/locale/es/LC_MESSAGES/crm_tui.po" in names
    assert "crm_tui/data/marketing/templates.toml" in names


def test_the_installed_console_speaks_spanish_and_offers_spanish_messages(installed):
    env = {**os.environ, "PYTHONPATH": ""}
    bin_dir = installed / "venv" / "bin"
    where = run(bin_dir / "python", "-c", "import crm_tui; print(crm_tui.__file__)", cwd=installed, env=env)
    assert where.stdout.strip().startswith(str(installed / "venv"))
    db = installed / "shop.db"
    run(bin_dir / "crm-tui", "demo", "--db", db, "--customers", "60", "--as-of", AS_OF, cwd=installed, env=env)
    spanish = run(sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
                  "\"SELECT customer_number FROM customer WHERE preferred_language = 'es' AND id IN "
                  "(SELECT customer_id FROM shop_order) ORDER BY id\").fetchone()[0])", db, cwd=installed).stdout.strip()
    offers = json.loads(run(bin_dir / "crm-tui", "--db", db, "marketing", "offers", spanish, "--json",
                            cwd=installed, env=env).stdout)
    messages = [o["message"] for o in offers["offers"]]
    assert messages and all(messages)
    assert all(message.startswith("Hola ") for message in messages), messages
    table = run(bin_dir / "crm-tui", "--lang", "es", "--db", db, "marketing", "offers", spanish,
                cwd=installed, env={**env, "COLUMNS": "200"}).stdout
    # The rule names come from the Spanish catalogue, so it was found inside the installed package.
    assert any(label in table for label in ("toca reponer", "recuperación", "se compran juntos", "nuevo")), table
