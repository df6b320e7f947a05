"""Footer labels in the session's language: binding descriptions go through the catalogue."""

from dataclasses import replace

from textual.dom import DOMNode


def translate_bindings(node: DOMNode, tr) -> None:
    """Replace each binding's description on `node` (an App or a Screen) by its translation."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=tr(b.description)) if b.description else b for b in bindings]
