"""How a customer is called on every screen and report: their name, or, for a customer the shop
knows only by number (a transaction-line import creates them), "#" and the number."""


def customer_name(first_name: str | None, last_name: str | None, customer_number: str) -> str:
    return f"{first_name or ''} {last_name or ''}".strip() or f"#{customer_number}"
