"""A transaction-line export shaped like a real online retailer's (the UCI "Online Retail" file:
541,909 lines, 25,900 invoices, 4,372 customers, 13 months), deterministic for a seed.

- about 21 lines per invoice, spread over 13 months (or `minutes_between` invoices);
- heavy repeat customers: a customer's share of the invoices is log-normal (a few thousand
  customers, many with dozens of invoices, the best with hundreds), and each customer mostly buys
  their own favourites, so what they bought predicts what they buy;
- a quarter of the lines without a customer (guests), customer ids written "17850.0" half the
  time, a few customers seen under a second country;
- about 2 % of the lines are cancellations (C-invoices of recent lines, negative quantities),
  about 1 % exact duplicate lines, postage, fees, vouchers and manual lines, zero-price stock
  adjustments without a customer ("damaged", "?"), codes with a second description.

Same column names as the lines format (InvoiceNo, StockCode, Description, Quantity,
InvoiceDate, UnitPrice, CustomerID, Country).
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
ADJUSTMENTS = ["damaged", "wet damaged", "?", "check", "missing", "found", "sold as set on dotcom"]
LINES_PER_INVOICE = 21
MONTHS = 13
FAVOURITES = 0.7  # the share of a customer's lines that are one of their favourites


def write_export(path: Path, lines: int, seed: int = 1, customers: int | None = None,
                 start: datetime = datetime(2010, 12, 1, 8, 0),
                 minutes_between: tuple[int, int] | None = None) -> Path:
    """`lines` lines (and a few more: an invoice is never cut). With `customers` and
    `minutes_between` given, a longer export of the same seed starts with the shorter one."""
    rng = random.Random(seed)
    customers = customers or max(20, lines // 200)
    if minutes_between is None:  # invoices evenly over 13 months on average
        mean = MONTHS * 30.4 * 24 * 60 / max(1, lines / (LINES_PER_INVOICE + 1))
        minutes_between = (max(1, round(mean * 0.3)), max(2, round(mean * 1.7)))
    products = [(f"{20000 + i}{rng.choice(['', '', '', 'A', 'B'])}",
                 " ".join(rng.sample(WORDS, k=rng.randint(2, 5))), round(rng.uniform(0.29, 14.95), 2))
                for i in range(max(60, min(3800, lines // 130)))]
    alt_names = {p[0]: p[1].replace("WHITE", "CREAM") for p in products[::25]}
    popularity = list(itertools.accumulate(1 / (1 + i) ** 0.8 for i in range(len(products))))
    ids = list(range(12346, 12346 + customers))
    home = {c: rng.choice(COUNTRIES) for c in ids}
    activity = list(itertools.accumulate(rng.lognormvariate(0, 1.1) for _ in ids))
    favourites = {c: rng.choices(products, cum_weights=popularity, k=rng.randint(8, 40)) for c in ids}
    invoice, adjustment = 536365, 0
    when = start
    written = 0
    bought: dict[int, list[list[str]]] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)

        def write(row: list[str]) -> None:
            nonlocal written
            out.writerow(row)
            written += 1

        while written < lines:
            invoice += 1
            when += timedelta(minutes=rng.randint(*minutes_between))
            stamp = f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"
            guest = rng.random() < 0.25
            cust = 0 if guest else rng.choices(ids, cum_weights=activity)[0]
            country = home[cust] if cust else "United Kingdom"
            if cust and rng.random() < 0.01:
                country = rng.choice(COUNTRIES)  # the same customer seen under another country
            cust_text = "" if guest else (f"{cust}.0" if rng.random() < 0.5 else str(cust))
            rows, in_invoice = [], set()
            wanted = max(1, int(rng.expovariate(1 / LINES_PER_INVOICE)))
            for _ in range(3 * wanted):
                if len(rows) == wanted:
                    break
                if cust and rng.random() < FAVOURITES:
                    sku, name, price = rng.choice(favourites[cust])
                else:
                    sku, name, price = rng.choices(products, cum_weights=popularity)[0]
                if sku in in_invoice:
                    continue  # one line per product (duplicates are written below, on purpose)
                in_invoice.add(sku)
                if sku in alt_names and rng.random() < 0.3:
                    name = alt_names[sku]
                rows.append([str(invoice), sku, name, str(rng.choice([1, 2, 3, 4, 6, 12, 24])), stamp,
                             f"{price:.2f}", cust_text, country])
            if rng.random() < 0.15:
                sku, name, price = rng.choice(FEES)
                rows.append([str(invoice), sku, name, "1", stamp, f"{price:.2f}", cust_text, country])
            for row in rows:
                write(row)
                if rng.random() < 0.01:
                    write(row)  # an exact duplicate line
            if cust:
                bought[cust] = (bought.get(cust, []) + rows)[-60:]
                if rng.random() < 0.28:  # a cancellation of some of what they bought lately
                    invoice += 1
                    for original in rng.sample(bought[cust], k=min(len(bought[cust]), rng.randint(1, 3))):
                        write(["C" + str(invoice), original[1], original[2], "-" + original[3], stamp, original[5],
                               original[6], original[7]])
            if rng.random() < 0.05:  # the warehouse writes a stock adjustment: no customer, no price
                invoice += 1
                adjustment += 1
                sku = rng.choices(products, cum_weights=popularity)[0][0]
                write([str(invoice), sku, rng.choice(ADJUSTMENTS), str(-rng.randint(1, 40)), stamp, "0.00", "",
                       "United Kingdom"])
    return path
