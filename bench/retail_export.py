"""A realistic transaction-line export, as an online retailer's system writes it.

Cancellations (C-invoices with negative quantities), guest rows, postage/fees/adjustments/
vouchers, customer ids written "17850.0", codes with several descriptions, a few customers
under two countries, and exact duplicate lines. Deterministic for a seed.
"""

import csv
import itertools
import random
from datetime import datetime, timedelta
from pathlib import Path

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
WORDS = ["WHITE", "RED", "HEART", "VINTAGE", "LANTERN", "METAL", "JUMBO", "BAG", "RETROSPOT", "CAKE", "TIN",
         "PINK", "BLUE", "SET", "OF", "3", "6", "PAPER", "CHAIN", "KIT", "CHRISTMAS", "GLASS", "CANDLE", "HOLDER",
         "WOODEN", "FRAME", "REGENCY", "TEACUP", "LUNCH", "BOX", "ALARM", "CLOCK", "BAKELIKE", "DOORMAT"]
COUNTRIES = ["United Kingdom"] * 20 + ["France", "Germany", "EIRE", "Spain", "Netherlands", "Belgium",
                                      "Switzerland", "Portugal", "Australia", "Norway"]
FEES = [("POST", "POSTAGE", 18.0), ("M", "Manual", 2.55), ("BANK CHARGES", "Bank Charges", 15.0),
        ("AMAZONFEE", "AMAZON FEE", 6.19), ("D", "Discount", 8.5), ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 16.67),
        ("DOT", "DOTCOM POSTAGE", 45.0), ("C2", "CARRIAGE", 50.0)]


def write_export(path: Path, lines: int, seed: int = 1, customers: int | None = None,
                 start: datetime = datetime(2010, 12, 1, 8, 0), minutes_between: tuple[int, int] = (1, 25)) -> Path:
    rng = random.Random(seed)
    customers = customers or max(20, lines // 250)
    products = [(f"{20000 + i}{rng.choice(['', '', '', 'A', 'B'])}",
                 " ".join(rng.sample(WORDS, k=rng.randint(2, 5))), round(rng.uniform(0.29, 14.95), 2))
                for i in range(max(30, min(3800, lines // 200)))]
    alt_names = {p[0]: p[1].replace("WHITE", "CREAM") for p in products[::25]}
    popularity = [1 / (1 + i) ** 0.8 for i in range(len(products))]
    cumulative = list(itertools.accumulate(popularity))
    home = {c: rng.choice(COUNTRIES) for c in range(12346, 12346 + customers)}
    ids = list(home)
    invoice = 536365
    when = start
    written = 0
    recent: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        while written < lines:
            invoice += 1
            when += timedelta(minutes=rng.randint(*minutes_between))
            stamp = f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"
            guest = rng.random() < 0.25
            cust = "" if guest else rng.choice(ids)
            country = home.get(cust, "United Kingdom") if cust else "United Kingdom"
            if cust and rng.random() < 0.01:
                country = rng.choice(COUNTRIES)  # the same customer seen under another country
            cust_text = "" if guest else (f"{cust}.0" if rng.random() < 0.5 else str(cust))
            rows = []
            for _ in range(max(1, int(rng.expovariate(1 / 20)))):
                sku, name, price = rng.choices(products, cum_weights=cumulative)[0]
                if sku in alt_names and rng.random() < 0.3:
                    name = alt_names[sku]
                rows.append([str(invoice), sku, name, str(rng.choice([1, 2, 3, 4, 6, 12, 24])), stamp,
                             f"{price:.2f}", cust_text, country])
            if rng.random() < 0.15:
                sku, name, price = rng.choice(FEES)
                rows.append([str(invoice), sku, name, "1", stamp, f"{price:.2f}", cust_text, country])
            for row in rows:
                out.writerow(row)
                recent.append(row)
                written += 1
                if rng.random() < 0.004:
                    out.writerow(row)  # an exact duplicate line
                    written += 1
            if cust and rng.random() < 0.04 and recent:
                original = rng.choice(recent[-200:])
                if original[6]:
                    cancel = ["C" + original[0], original[1], original[2], "-" + original[3], stamp, original[5],
                              original[6], original[7]]
                    out.writerow(cancel)
                    written += 1
            recent = recent[-400:]
    return path
