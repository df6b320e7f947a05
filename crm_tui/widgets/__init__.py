"""Reusable Textual widgets, each with its DEFAULT_CSS."""
