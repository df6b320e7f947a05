"""A realistic demo shop: customers with favourites and rhythms, two years of orders, visits
to the web shop.

Deterministic: the same seed and the same `as_of` give the same database. It goes through the
shop's own rules: every registration is checked by registration_values, every order's totals by
order_totals and its steps by planned_steps, callbacks and contact messages are made by
request_callback and send_contact_message; the many rows are then written with SQLAlchemy Core
in bulk (explicit ids, lists of dicts).
"""

import itertools
import math
import operator
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import Connection, text
from sqlmodel import Session, SQLModel

from crm_tui.shop.bulk import bulk_insert
from crm_tui.shop.demo_pools import (
    BRITISH_CITIES,
    BRITISH_STREETS,
    CALLBACK_NOTES,
    CATALOGUE,
    CONTACT_TEXTS,
    EMAIL_DOMAINS,
    NON_PRODUCT_CODES,
    SPANISH_CITIES,
    SPANISH_STREETS,
)
from crm_tui.shop.models import (
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
    ShopVisit,
)
from crm_tui.shop.operations import (
    FULFILMENT,
    OrderChannel,
    customer_number_for,
    order_number_for,
    order_totals,
    planned_steps,
    registration_values,
    request_callback,
    send_contact_message,
)
from crm_tui.shop.validation import InvalidInput, time_zone_for

HISTORY_DAYS = 730
CHUNK = 50_000
# Relative weight of each month for order dates: a December peak and a quiet August.
MONTH_WEIGHT = {1: 0.8, 2: 0.75, 3: 0.85, 4: 0.9, 5: 0.95, 6: 0.9, 7: 0.8, 8: 0.65,
                9: 1.0, 10: 1.1, 11: 1.45, 12: 1.6}
QUANTITIES, QUANTITY_SUM = [1, 2, 3, 4, 6, 12], list(itertools.accumulate([50, 22, 10, 6, 7, 5]))
DEMO_AGENTS = [("ana", "Ana Ruiz"), ("luis", "Luis Ortega"), ("emma", "Emma Clarke")]


@dataclass
class DemoSummary:
    customers: int = 0
    products: int = 0
    orders: int = 0
    order_lines: int = 0
    callbacks: int = 0
    contact_messages: int = 0
    visits: int = 0


@dataclass
class _Shopper:
    id: int
    favourites: list[int]
    categories: list[str]
    discount: int
    start: float  # days before as_of
    end: float
    orders: int
    country: str
    phone: str
    lang: str
    name: str


@dataclass
class _Catalogue:
    ids: list[int] = field(default_factory=list)
    price: dict[int, int] = field(default_factory=dict)
    category: dict[str, list[int]] = field(default_factory=dict)
    popularity: list[float] = field(default_factory=list)
    popularity_sum: list[float] = field(default_factory=list)  # cumulative, for rng.choices
    postage: int = 0
    sku: dict[int, str] = field(default_factory=dict)


class NamePools:
    """First and last names drawn once from Faker (slow per call), then combined."""

    def __init__(self, seed: int, size: int = 300):
        from faker import Faker

        self.first: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        for lang, locale in (("es", "es_ES"), ("en", "en_GB")):
            fake = Faker(locale)
            fake.seed_instance(seed)
            self.first[lang] = sorted({fake.first_name() for _ in range(size)})
            self.last[lang] = sorted({fake.last_name() for _ in range(size)})


def build_demo(conn: Connection, *, customers: int = 2_000, seed: int = 7,
               as_of: datetime | None = None, progress: Callable[[str], None] | None = None,
               order_history: bool = True) -> DemoSummary:
    """Fill an empty, migrated shop database. About ten order lines per customer
    (none, and no web visits, with order_history=False: customers only, for search benchmarks)."""
    as_of = (as_of or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    say = progress or (lambda _msg: None)
    summary = DemoSummary()

    catalogue = _write_catalogue(conn, rng, summary, as_of)
    say(f"catalogue: {summary.products} products")
    names = NamePools(seed)
    shoppers = _write_customers(conn, rng, names, customers, catalogue, summary, as_of)
    say(f"customers: {summary.customers}")
    if order_history:
        _write_orders(conn, rng, shoppers, catalogue, summary, as_of)
    say(f"orders: {summary.orders}, lines: {summary.order_lines}")
    _write_callbacks_and_messages(conn, rng, shoppers, names, summary, as_of)
    say(f"callbacks: {summary.callbacks}, contact messages: {summary.contact_messages}")
    if order_history:
        _write_visits(conn, rng, shoppers, catalogue, summary, as_of)
        say(f"web shop visits: {summary.visits}")
    if conn.dialect.name == "postgresql":
        for table in ("product", "customer", "shop_order", "callback_request", "contact_message"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    return summary


def _bulk(conn: Connection, model: type[SQLModel], rows: list[dict]) -> None:
    """Write rows that all have the same keys through the bulk writer, each value first through
    its column's own bind processing (so UTC times are stored as the ORM stores them)."""
    if not rows:
        return
    table = SQLModel.metadata.tables[str(model.__tablename__)]
    keys = list(rows[0])
    defaulted = [column.name for column in table.c if column.default is not None and column.name not in keys]
    if defaulted:  # the ORM would fill them in; the rows must say them
        raise ValueError(f"{table.name} rows lack {', '.join(defaulted)}")
    converted = [(index, process) for index, key in enumerate(keys)
                 if (process := table.c[key].type.bind_processor(conn.dialect)) is not None]
    values = operator.itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    for start in range(0, len(rows), CHUNK):
        tuples = [values(row) for row in rows[start:start + CHUNK]]
        if converted:
            tuples = [_converted(list(row), converted) for row in tuples]
        bulk_insert(conn, table.name, keys, tuples)


def _converted(row: list, converted: list[tuple[int, Callable]]) -> tuple:
    for index, process in converted:
        row[index] = process(row[index])
    return tuple(row)


def _write_catalogue(conn: Connection, rng: random.Random, summary: DemoSummary, as_of: datetime) -> _Catalogue:
    cat = _Catalogue()
    rows: list[dict] = []
    sku_number = 10000
    for category, (nouns, variants, (low, high)) in CATALOGUE.items():
        for noun in nouns:
            for variant in rng.sample(variants, k=rng.randint(2, len(variants))):
                sku_number += rng.randint(1, 40)
                pid = len(rows) + 1
                price = int(round(math.exp(rng.uniform(math.log(low), math.log(high))) / 5) * 5)
                threshold = rng.choice([5, 10, 20])
                roll = rng.random()
                stock = 0 if roll < 0.06 else rng.randint(1, threshold) if roll < 0.16 else rng.randint(threshold + 1, 400)
                rows.append(dict(id=pid, sku=str(sku_number), name=f"{noun}, {variant}",
                                 description=f"{noun} in {variant}, from our {category.lower()} range",
                                 category=category, unit_price_cents=price, stock_quantity=stock,
                                 low_stock_threshold=threshold, active=True, kind="product",
                                 name_from_sales=False, stock_tracked=True, created_at=as_of - timedelta(days=HISTORY_DAYS + 30)))
                cat.ids.append(pid)
                cat.price[pid] = price
                cat.sku[pid] = str(sku_number)
                cat.category.setdefault(category, []).append(pid)
                # Zipf-like popularity: a few best sellers, a long tail.
                cat.popularity.append(1.0 / (1 + rng.random() * 40))
    for code, (kind, name, price) in NON_PRODUCT_CODES.items():
        pid = len(rows) + 1
        rows.append(dict(id=pid, sku=code, name=name, description="", category="", unit_price_cents=price,
                         stock_quantity=0, low_stock_threshold=0, active=True, kind=kind,
                         name_from_sales=False, stock_tracked=True, created_at=as_of - timedelta(days=HISTORY_DAYS + 30)))
        cat.price[pid] = price
        if code == "POST":
            cat.postage = pid
    cat.popularity_sum = list(itertools.accumulate(cat.popularity))
    _bulk(conn, Product, rows)
    summary.products = len(rows)
    return cat


def _mobile_number(rng: random.Random, country: str) -> str:
    """A number in the country's mobile ranges; a few of them are not valid numbers."""
    if country == "ES":
        return f"+34{rng.choice('67')}{rng.randrange(10**8):08d}"
    return f"+447{rng.choice('45789')}{rng.randrange(10**8):08d}"


def _valid_phone(rng: random.Random, country: str) -> str:
    while True:
        raw = _mobile_number(rng, country)
        if phonenumbers.is_valid_number(phonenumbers.parse(raw)):
            return raw


def _registered(form: dict[str, str], rng: random.Random) -> dict:
    """The registration form as the shop checks it; a phone the shop refuses is drawn again,
    as a person would type another number."""
    while True:
        try:
            return registration_values(form)[1]
        except InvalidInput as refused:
            if set(refused.by_field()) != {"phone"}:
                raise
            form = {**form, "phone": _mobile_number(rng, form["country"])}


def _ascii(name: str) -> str:
    table = str.maketrans("áéíóúüñçàèÁÉÍÓÚÑ' ", "aeiouuncaeAEIOUN..")
    return name.translate(table).lower()


def _write_customers(conn, rng, names: NamePools, count, cat: _Catalogue, summary, as_of) -> list[_Shopper]:
    rows, shoppers = [], []
    categories = list(cat.category)
    spanish_cities = list(itertools.accumulate(city[2] for city in SPANISH_CITIES))
    british_cities = list(itertools.accumulate(city[2] for city in BRITISH_CITIES))
    for cid in range(1, count + 1):
        spanish = rng.random() < 0.62
        lang, country = ("es", "ES") if spanish else ("en", "GB")
        first, last = rng.choice(names.first[lang]), rng.choice(names.last[lang])
        if spanish:
            last = f"{last} {rng.choice(names.last[lang])}"
            city, prefix, _ = rng.choices(SPANISH_CITIES, cum_weights=spanish_cities)[0]
            postcode = f"{prefix}{rng.randint(1, 99):02d}"
            street = f"{rng.choice(SPANISH_STREETS)} {rng.randint(1, 180)}"
        else:
            city, prefix, _ = rng.choices(BRITISH_CITIES, cum_weights=british_cities)[0]
            postcode = f"{prefix} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            street = f"{rng.randint(1, 220)} {rng.choice(BRITISH_STREETS)}"
        # Registered up to 2.5 years ago, more of them recently (the shop grows).
        registered_days = HISTORY_DAYS * 1.25 * (rng.random() ** 1.4)
        registered = as_of - timedelta(days=registered_days, minutes=rng.randrange(1440))
        consent_at = registered + timedelta(minutes=rng.randint(0, 5))
        discount = rng.choices([0, 5, 10, 15], weights=[88, 6, 5, 1])[0]
        checked = _registered(dict(
            first_name=first, last_name=last, phone=_mobile_number(rng, country), country=country,
            preferred_language=lang, email=f"{_ascii(first)}.{_ascii(last.split()[0])}{cid}@{rng.choice(EMAIL_DOMAINS)}"),
            rng)
        rows.append(dict(
            id=cid, customer_number=customer_number_for(cid), **checked,
            street=street, postcode=postcode, city=city,
            time_zone=time_zone_for(country, postcode), registered_at=registered,
            consent_email_at=consent_at if rng.random() < 0.6 else None,
            consent_phone_at=consent_at if rng.random() < 0.4 else None,
            consent_chat_at=consent_at if rng.random() < 0.2 else None,
            discount_percent=discount, version=1, created_at=registered, updated_at=registered,
            facts_from_orders=False,
        ))
        favourite_categories = rng.sample(categories, k=rng.choice([1, 1, 2]))
        pool = [p for c in favourite_categories for p in cat.category[c]]
        favourites = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
        start = min(registered_days, HISTORY_DAYS)
        lapsed = rng.random() < 0.22
        end = rng.uniform(120, max(121.0, start)) if lapsed and start > 150 else rng.uniform(0, 10)
        orders = max(1, min(80, int(rng.paretovariate(1.6) * 2.1)))
        if rng.random() < 0.07:
            orders = 0  # registered, never bought
        shoppers.append(_Shopper(cid, favourites, favourite_categories, discount, start, end, orders,
                                 country, checked["phone"], lang, f"{first} {last}"))
    _bulk(conn, Customer, rows)
    summary.customers = len(rows)
    return shoppers


def _season_ok(rng: random.Random, when: datetime) -> bool:
    return rng.random() < MONTH_WEIGHT[when.month] / 1.6


def _order_dates(rng: random.Random, shopper: _Shopper, as_of: datetime) -> Iterator[datetime]:
    """The shopper's rhythm: evenly spaced orders with jitter, thinned by the season."""
    span = max(shopper.start - shopper.end, 1.0)
    interval = span / max(shopper.orders, 1)
    for k in range(shopper.orders):
        days_ago = shopper.start - interval * (k + rng.uniform(0.15, 0.85))
        when = as_of - timedelta(days=max(days_ago, 0.01), minutes=rng.randrange(600))
        if _season_ok(rng, when) or rng.random() < 0.5:
            yield when


def _pick_products(rng: random.Random, shopper: _Shopper | None, cat: _Catalogue) -> dict[int, int]:
    lines: dict[int, int] = {}
    for _ in range(1 + min(int(rng.expovariate(0.45)), 11)):
        roll = rng.random()
        if shopper and roll < 0.6:
            pid = rng.choice(shopper.favourites)
        elif shopper and roll < 0.8:
            pid = rng.choice(cat.category[rng.choice(shopper.categories)])
        else:
            pid = rng.choices(cat.ids, cum_weights=cat.popularity_sum)[0]
        lines[pid] = lines.get(pid, 0) + rng.choices(QUANTITIES, cum_weights=QUANTITY_SUM)[0]
    return lines


CARRIERS = ("Correos", "SEUR", "DHL", "Royal Mail")


def _steps_for(rng: random.Random, placed_at: datetime, as_of: datetime) -> list[tuple]:
    """An order's way as the shop moves it: paid within the day, shipped a day or two later,
    delivered three to six days after it was placed; only the steps before `as_of`. One in ten
    of the newest orders is still unpaid."""
    if as_of - placed_at < timedelta(days=4) and rng.random() < 0.1:
        return []
    carrier = rng.choice(CARRIERS)
    steps = [(OrderStatus.PAID, placed_at + timedelta(hours=rng.uniform(0.1, 20)), "", ""),
             (OrderStatus.SHIPPED, placed_at + timedelta(days=rng.uniform(1, 2)), carrier,
              f"{carrier[:2].upper()}{rng.randint(10**8, 10**9 - 1)}"),
             (OrderStatus.DELIVERED, placed_at + timedelta(days=rng.uniform(3, 6)), "", "")]
    return [step for step in steps if step[1] < as_of]


def _write_orders(conn, rng, shoppers: list[_Shopper], cat: _Catalogue, summary, as_of) -> None:
    orders: list[dict] = []
    lines: list[dict] = []
    buyers: list[_Shopper | None] = []
    dates: list[datetime] = []
    for registered in shoppers:
        for when in _order_dates(rng, registered, as_of):
            buyers.append(registered)
            dates.append(when)
    guest_orders = len(dates) // 18
    for _ in range(guest_orders):
        when = as_of - timedelta(days=rng.uniform(0, HISTORY_DAYS))
        if _season_ok(rng, when):
            buyers.append(None)
            dates.append(when)
    order_ids = sorted(range(len(dates)), key=dates.__getitem__)  # ids follow time, as in a real shop

    agents = [login for login, _ in DEMO_AGENTS]
    steps: dict[int, list[tuple]] = {}
    for index in order_ids:
        shopper, when = buyers[index], dates[index]
        oid = len(orders) + 1
        products = _pick_products(rng, shopper, cat)
        phone_order = shopper is not None and rng.random() < 0.1
        subtotal_lines = []
        for pid, qty in products.items():
            total = cat.price[pid] * qty
            subtotal_lines.append(total)
            lines.append(dict(order_id=oid, product_id=pid, quantity=qty,
                              unit_price_cents=cat.price[pid], line_total_cents=total))
        if sum(subtotal_lines) < 3000:
            subtotal_lines.append(cat.price[cat.postage])
            lines.append(dict(order_id=oid, product_id=cat.postage, quantity=1,
                              unit_price_cents=cat.price[cat.postage], line_total_cents=cat.price[cat.postage]))
        discount = shopper.discount if shopper else 0
        subtotal, discount_cents, total = order_totals(subtotal_lines, discount)
        steps[oid] = _steps_for(rng, when, as_of)
        orders.append(dict(
            id=oid, number=order_number_for(oid, OrderChannel.PHONE if phone_order else OrderChannel.WEB),
            customer_id=shopper.id if shopper else None,
            placed_at=when, status=OrderStatus.PLACED, channel="phone" if phone_order else "web",
            discount_percent=discount, taken_by=rng.choice(agents) if phone_order else None, cancels_order_id=None,
            subtotal_cents=subtotal, discount_cents=discount_cents, total_cents=total,
        ))
    _add_cancellations(rng, orders, lines, steps, as_of)
    # The shop's own rules for every step (planned_steps), written in bulk: the row keeps how
    # far the order got, the history every step with its time.
    history = []
    for order in orders[:len(order_ids)]:
        order_steps = steps[order["id"]]
        planned_steps(order["number"], OrderStatus.PLACED, order_steps)
        reached = [status for status, *_ in order_steps if status in FULFILMENT]
        order["status"] = reached[-1] if reached else OrderStatus.PLACED
        history += [dict(order_id=order["id"], at=at, status=status, carrier=carrier, tracking_number=tracking,
                         changed_by="shop") for status, at, carrier, tracking in order_steps]
    _bulk(conn, Order, orders)
    _bulk(conn, OrderLine, lines)
    _bulk(conn, OrderStatusChange, history)
    summary.orders, summary.order_lines = len(orders), len(lines)


def _add_cancellations(rng: random.Random, orders: list[dict], lines: list[dict], steps: dict[int, list[tuple]],
                       as_of: datetime) -> None:
    """About 3 % of orders are cancelled (before they ship) or returned (after they arrive): a
    document of negative lines linked to them, and the step on the order's way."""
    lines_of: dict[int, list[dict]] = {}
    for line in lines:
        lines_of.setdefault(line["order_id"], []).append(line)
    originals = [o for o in orders if rng.random() < 0.03]
    for original in originals:
        delivered = [at for status, at, *_ in steps[original["id"]] if status == OrderStatus.DELIVERED]
        returned = bool(delivered) and rng.random() < 0.5
        when = (delivered[0] + timedelta(days=rng.uniform(1, 14)) if returned
                else original["placed_at"] + timedelta(hours=rng.uniform(0.01, 0.9)))
        if when >= as_of:
            continue
        before = [step for step in steps[original["id"]] if step[1] < when]
        status = OrderStatus.RETURNED if returned else OrderStatus.CANCELLED
        steps[original["id"]] = before + [(status, when, "", "")]
        oid = len(orders) + 1
        taken = lines_of[original["id"]] if not returned else rng.sample(lines_of[original["id"]], k=1)
        for line in taken:
            lines.append(dict(order_id=oid, product_id=line["product_id"],
                              quantity=-line["quantity"], unit_price_cents=line["unit_price_cents"],
                              line_total_cents=-line["line_total_cents"]))
        subtotal, discount_cents, total = order_totals([-line["line_total_cents"] for line in taken],
                                                       original["discount_percent"])
        orders.append(dict(
            id=oid, number=f"RX{oid:08d}", customer_id=original["customer_id"], placed_at=when, status=status,
            channel=original["channel"], discount_percent=original["discount_percent"], taken_by=None,
            cancels_order_id=original["id"], subtotal_cents=subtotal, discount_cents=discount_cents,
            total_cents=total,
        ))


def _write_callbacks_and_messages(conn, rng, shoppers: list[_Shopper], names: NamePools, summary, as_of) -> None:
    """Through the callback box and the contact form (request_callback, send_contact_message)."""
    session = Session(bind=conn)
    pending = max(12, min(60, len(shoppers) // 50))
    for k in range(pending):
        shopper = rng.choice(shoppers) if rng.random() < 0.75 else None
        country = shopper.country if shopper else "ES"
        zone = time_zone_for(country)
        requested = as_of - timedelta(minutes=rng.randint(1, 120))
        window = window_date = None
        if k % 4 == 3:  # scheduled for later today or tomorrow, in the customer's zone
            local_day = (as_of + timedelta(days=rng.choice([0, 1]))).astimezone(ZoneInfo(zone))
            hour = rng.randint(9, 19)
            window = (time(hour), time(hour + 1))
            if datetime.combine(local_day.date(), time(hour), ZoneInfo(zone)) <= as_of:
                local_day += timedelta(days=1)  # a window chosen now lies ahead: never one already missed
            window_date = local_day
        lang = shopper.lang if shopper else rng.choice(["es", "en"])
        request_callback(session, shopper.phone if shopper else _valid_phone(rng, country), country=country,
                         window=window, window_date=window_date, time_zone=zone,
                         note=rng.choice(CALLBACK_NOTES[lang]), source="web",
                         customer_id=shopper.id if shopper else None, now=requested)
    messages = max(20, min(800, len(shoppers) // 20))
    for k in range(messages):
        shopper = rng.choice(shoppers) if rng.random() < 0.7 else None
        kind = rng.choices(list(CONTACT_TEXTS), weights=[6, 3, 1])[0]
        send_contact_message(
            session, name=shopper.name if shopper else f"{rng.choice(names.first['es'])} {rng.choice(names.last['es'])}",
            phone=shopper.phone if shopper else "", email="" if shopper else f"visitor{k + 1}@example.org",
            country=shopper.country if shopper else "ES", text=rng.choice(CONTACT_TEXTS[kind]), kind=kind,
            # two in five from the last five days: the inbox has work waiting, the rest is history
            now=as_of - timedelta(days=rng.uniform(0, 5) if k % 5 < 2 else rng.uniform(5, 60)))
    session.flush()
    summary.callbacks, summary.contact_messages = pending, messages


def _write_visits(conn, rng, shoppers: list[_Shopper], cat: _Catalogue, summary, as_of) -> None:
    """The web shop's visit log of the last two weeks: customers browsing their categories and
    favourites (some of them logged in), and anonymous visitors."""
    categories = list(cat.category)
    pages: list[dict] = []
    visitors = max(20, len(shoppers) // 10)
    for n in range(visitors):
        shopper = rng.choice(shoppers) if rng.random() < 0.6 else None
        logged_in = shopper is not None and rng.random() < 0.7
        session_id = f"demo{n:08d}"
        at = as_of - timedelta(days=rng.uniform(0, 14))
        category = rng.choice(shopper.categories if shopper else categories)
        viewed = shopper.favourites if shopper else rng.sample(cat.category[category],
                                                               k=min(3, len(cat.category[category])))
        path: list[tuple[str, int | None]] = [("/", None), (f"/?category={quote(category)}", None)]
        path += [(f"/product/{cat.sku[pid]}", pid) for pid in rng.sample(viewed, k=rng.randint(1, len(viewed)))]
        referrer = ""
        for page, product in path:
            pages.append(dict(at=at, session_id=session_id, customer_id=shopper.id if logged_in and shopper else None,
                              path=page, referrer=referrer, product_id=product, order_id=None))
            referrer = f"http://shop.example{page}"
            at += timedelta(seconds=rng.randint(10, 240))
    _bulk(conn, ShopVisit, pages)
    summary.visits = visitors
