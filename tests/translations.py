"""Every string the console and the web shop show, found in the source: tr("...") calls,
binding labels, and tr("...") in the shop's templates."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_SOURCES = [*sorted((ROOT / "crm_tui" / "screens").glob("*.py")), ROOT / "crm_tui" / "app.py",
              *sorted((ROOT / "crm_tui" / "widgets").glob("*.py")),
              *sorted((ROOT / "crm_tui" / "storefront").glob("*.py"))]
TEMPLATES = sorted((ROOT / "crm_tui" / "storefront" / "templates").glob("*.html"))
TEMPLATE_STRING = re.compile(r"""tr\((["'])(.+?)\1\)""")


def ui_strings() -> set[str]:
    found: set[str] = set()
    for path in UI_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "tr" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
            if name == "Binding":
                args = list(node.args) + [k.value for k in node.keywords if k.arg == "description"]
                if len(args) >= 3 and isinstance(args[2], ast.Constant) and args[2].value:
                    found.add(args[2].value)
    for template in TEMPLATES:
        found.update(text for _, text in TEMPLATE_STRING.findall(template.read_text(encoding="utf-8")))
    return found
