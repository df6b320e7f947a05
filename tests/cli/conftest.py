import pytest

from tests.import_helpers import add_ops


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A fresh shop database with the ops login ops1, the working directory in tmp_path."""
    monkeypatch.setenv("CRM_TUI_LOGIN", "ops1")
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "shop.db")
    add_ops(path)
    return path
