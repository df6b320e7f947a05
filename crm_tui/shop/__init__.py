"""The shop: its database tables and what customers do in the web shop.

No textual, rich or typer here: this package is imported by the CRM core and by tests.
"""
