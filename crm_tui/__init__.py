"""crm-tui: the CRM console over the shop database."""

__version__ = "0.1.0"
