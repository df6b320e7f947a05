"""Offers one customer will answer, ranked, each with its reason ("Show outputs").

Rules, strongest first (README, "Offers"):
- reorder: bought on 2+ different days at least a week apart (median), and 0.8 to 3 times
  that usual interval has passed since the last time;
- win-back: no purchase for LAPSED_DAYS: their own favourites, to bring them back;
- together: often in the same basket as what they buy (item-to-item, all customers' baskets);
- new / popular: first sold lately, or bought by the most customers lately, in their favourite
  categories.
Never a non-product code, never an inactive or out-of-stock product, never an item bought in
the last JUST_BOUGHT_DAYS unless it is a repeat purchase they are due for.
"""

import statistics
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import OfferMade
from crm_tui.services.affinity import NEW_DAYS
from crm_tui.services.names import customer_name
from crm_tui.services.offer_hold import OfferHold, offer_hold
from crm_tui.shop.models import Customer, Order, OrderLine, Product, ProductKind, StockLight, stock_light, stored_id
from crm_tui.shop.types import db_datetime

JUST_BOUGHT_DAYS = 30
LAPSED_DAYS = 180
DUE_RATIO = 0.8  # of the usual interval: close enough to offer the reorder
OVERDUE_RATIO = 3  # past this they have stopped buying it: not a reorder any more
MIN_INTERVAL = 7  # days; two purchases closer than this are one shopping spree, not a rhythm
SEEDS = 10  # the customer's products whose basket partners are looked at
TEMPLATES: Traversable = files("crm_tui") / "data" / "marketing" / "templates.toml"
CHANNELS = ("email", "phone", "chat")
ACCEPTANCE_DAYS = 14


@dataclass(frozen=True)
class Offer:
    product_id: int
    sku: str
    name: str
    category: str
    unit_price_cents: int
    stock: int
    rule: str
    score: float
    reason: dict = field(default_factory=dict)  # what the reason's template needs
    light: StockLight = StockLight.GREEN


@dataclass
class _History:
    days: set = field(default_factory=set)
    quantity: int = 0
    last: datetime | None = None


def _history(session: Session, customer_id: int, now: datetime) -> dict[int, _History]:
    history: dict[int, _History] = defaultdict(_History)
    for product_id, placed_at, quantity, total in row_tuples(session.execute(
            select(col(OrderLine.product_id), col(Order.placed_at), col(OrderLine.quantity), col(Order.total_cents))
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(col(Order.customer_id) == customer_id, col(Order.placed_at) < now))):
        h = history[product_id]
        h.quantity += quantity
        if total > 0 and quantity > 0:
            h.days.add(placed_at.date())
            h.last = max(h.last or placed_at, placed_at)
    return history


def offers_for(session: Session, customer_id: int, source, now: datetime, limit: int = 10,
               in_stock_only: bool = True) -> list[Offer]:
    """`source` is what the baskets taught: a StoredAffinity (the console) or an Affinity
    learnt at a cut-off date (the evaluation). With in_stock_only False the stock of today is
    ignored (an evaluation of the past cannot know the stock of then)."""
    bought = _history(session, customer_id, now)
    last_bought = {pid: h.last for pid, h in bought.items() if h.last is not None}
    history = {pid: bought[pid] for pid in last_bought}
    candidates: dict[int, tuple[float, str, dict]] = {}

    def propose(pid: int, score: float, rule: str, reason: dict) -> None:
        if pid not in candidates or candidates[pid][0] < score:
            candidates[pid] = (score, rule, reason)

    just_bought = {pid for pid, last in last_bought.items() if (now - last).days < JUST_BOUGHT_DAYS}
    last_purchase = max(last_bought.values(), default=None)
    for pid, h in history.items():
        if len(h.days) >= 2:
            days = sorted(h.days)
            interval = statistics.median((b - a).days for a, b in zip(days, days[1:]))
            since = (now - last_bought[pid]).days
            if interval >= MIN_INTERVAL and DUE_RATIO * interval <= since <= OVERDUE_RATIO * interval:
                propose(pid, 4 + min(since / interval, 2) / 4 + min(len(days), 10) / 40, "reorder",
                        {"interval": round(interval), "since": since, "times": len(days)})
    if last_purchase is not None and (now - last_purchase).days >= LAPSED_DAYS:
        favourites = sorted(history.items(), key=lambda item: (-len(item[1].days), -item[1].quantity, item[0]))[:3]
        for pid, h in favourites:
            propose(pid, 3.5 + min(len(h.days), 10) / 40, "winback", {"since": (now - last_purchase).days})
    seeds = sorted(history, key=lambda pid: (-len(history[pid].days), -last_bought[pid].timestamp(), pid))[:SEEDS]
    for seed, partners in source.partners(seeds).items():
        for other, confidence in partners:
            if other not in history or len(history[other].days) < 2:
                propose(other, 2 + confidence, "together", {"seed_id": seed, "confidence": confidence})
    categories: Counter[str] = Counter()
    products = _products(session, set(history) | set(candidates))
    for pid, h in history.items():
        if pid in products:
            categories[products[pid].category] += len(h.days)
    favourite_categories = [c for c, _ in categories.most_common(3)] or [""]
    for category, ranked in source.popular_in(favourite_categories).items():
        top = ranked[0][1] if ranked else 1
        for pid, buyers in ranked:
            first_sold = source.first_sold.get(pid)
            if first_sold is not None and first_sold >= now - timedelta(days=NEW_DAYS):
                propose(pid, 1.5 + buyers / top / 2, "new", {"category": category})
            else:
                propose(pid, 1 + buyers / top / 2, "popular", {"category": category, "buyers": buyers})

    products |= _products(session, set(candidates) - set(products))
    offers = []
    for pid, (score, rule, reason) in sorted(candidates.items(), key=lambda c: (-c[1][0], c[0])):
        p = products.get(pid)
        if p is None or p.kind != ProductKind.PRODUCT or (in_stock_only and (not p.active or (p.stock_tracked and p.stock_quantity <= 0))):
            continue
        if pid in just_bought and rule != "reorder":
            continue
        if rule == "together":
            seed = products.get(reason["seed_id"])
            reason = reason | {"seed": seed.name if seed else ""}
        offers.append(Offer(pid, p.sku, p.name, p.category, p.unit_price_cents, p.stock_quantity, rule, score,
                            reason, stock_light(p.stock_quantity, p.low_stock_threshold, p.stock_tracked)))
        if len(offers) == limit:
            break
    return offers


def _products(session: Session, ids: set[int]) -> dict[int, Product]:
    if not ids:
        return {}
    return {stored_id(p): p for p in session.scalars(select(Product).where(col(Product.id).in_(list(ids))))}


# --- channels and messages -----------------------------------------------------------------


def consented_channels(customer: Customer) -> dict[str, bool]:
    """Marketing needs consent on that channel and a way to reach them there."""
    return {"email": customer.consent_email_at is not None and bool(customer.email),
            "phone": customer.consent_phone_at is not None and bool(customer.phone),
            "chat": customer.consent_chat_at is not None and bool(customer.phone)}


def suggested_channel(customer: Customer) -> str | None:
    allowed = consented_channels(customer)
    return next((channel for channel in CHANNELS if allowed[channel]), None)


class TemplateError(ValueError):
    pass


def load_templates(path: Path | Traversable = TEMPLATES) -> dict[str, dict[str, str]]:
    try:
        with path.open("rb") as handle:
            templates = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: {exc}") from None
    for language, rules in templates.items():
        missing = {"reorder", "winback", "together", "new", "popular"} - set(rules)
        if missing:
            raise TemplateError(f"{path}: [{language}] has no template for {', '.join(sorted(missing))}")
    return templates


def message_for(offer: Offer, first_name: str, language: str, templates: dict[str, dict[str, str]],
                price: str = "") -> str:
    """The ready message in the customer's language (English when theirs has no templates)."""
    texts = templates.get(language, templates.get("en", {}))
    template = texts.get(offer.rule, "")
    if not first_name.strip():  # a customer known only by number: "Hello, ..." rather than "Hello , ..."
        template = template.replace(" {first_name}", "").replace("{first_name} ", "")
    values = {"first_name": first_name, "product": offer.name, "price": price, **offer.reason}
    values["category"] = values.get("category") or offer.category or texts.get("shop", "")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"the {language} template for {offer.rule} uses {exc}, which it cannot have; "
                            f"known: {', '.join(sorted(values))}") from None


# --- offers made and accepted ----------------------------------------------------------------


def record_offer(session: Session, customer_id: int, offer: Offer, channel: str, made_by: str,
                 now: datetime) -> None:
    session.execute(insert(OfferMade).values(customer_id=customer_id, product_id=offer.product_id, rule=offer.rule,
                                             channel=channel, made_by=made_by, made_at=now))


@dataclass(frozen=True)
class Acceptance:
    made: int
    accepted: int
    by_rule: dict[str, tuple[int, int]]

    @property
    def rate(self) -> float | None:
        return self.accepted / self.made if self.made else None


def acceptance(session: Session, since: datetime, days: int = ACCEPTANCE_DAYS) -> Acceptance:
    """Offers made since `since`; accepted when the customer ordered the product (an order
    with a positive total) within `days` after the offer."""
    conn = session.connection()
    until = ("datetime(m.made_at, '+' || :days || ' days')" if conn.dialect.name == "sqlite"
             else "m.made_at + make_interval(days => :days)")
    rows = session.execute(text(f"""
        SELECT m.rule, count(*), sum(CASE WHEN EXISTS (
            SELECT 1 FROM shop_order o JOIN order_line l ON l.order_id = o.id
            WHERE o.customer_id = m.customer_id AND l.product_id = m.product_id AND o.total_cents > 0
              AND o.placed_at > m.made_at AND o.placed_at <= {until}) THEN 1 ELSE 0 END)
        FROM offer_made m WHERE m.made_at >= :since GROUP BY m.rule"""),
        {"since": db_datetime(conn, since), "days": int(days)}).all()
    by_rule = {rule: (made, accepted or 0) for rule, made, accepted in row_tuples(rows)}
    return Acceptance(sum(m for m, _ in by_rule.values()), sum(a for _, a in by_rule.values()), by_rule)


# --- one customer, ready to use --------------------------------------------------------------


@dataclass(frozen=True)
class CustomerOffers:
    customer_id: int
    customer_number: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    language: str
    consents: dict[str, bool]
    channel: str | None  # the suggested one; None: no marketing consent at all
    offers: list[Offer]
    messages: list[str]  # one per offer, in the customer's language
    withheld: "OfferHold | None" = None  # why no offer is made now (an open case, an unhappy score)

    @property
    def name(self) -> str:
        return customer_name(self.first_name, self.last_name, self.customer_number)


def customer_offers(session: Session, customer_id: int, templates: dict[str, dict[str, str]],
                    now: datetime, limit: int = 10, unhappy_days: int = 30) -> CustomerOffers:
    from crm_tui.i18n import Localizer
    from crm_tui.services.affinity import StoredAffinity
    from crm_tui.services.shop_locale import shop_locale

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"customer {customer_id} does not exist")
    hold = offer_hold(session, customer_id, now, unhappy_days)
    offers = [] if hold else offers_for(session, customer_id, StoredAffinity(session), now=now, limit=limit)
    money = Localizer(customer.preferred_language if customer.preferred_language in ("en", "es") else "en",
                      shop_locale(session).currency).money
    messages = [message_for(o, customer.first_name, customer.preferred_language, templates, money(o.unit_price_cents))
                for o in offers]
    return CustomerOffers(stored_id(customer), customer.customer_number, customer.first_name, customer.last_name,
                          customer.email, customer.phone, customer.preferred_language, consented_channels(customer),
                          suggested_channel(customer), offers, messages, hold)


def find_customer(session: Session, reference: str) -> int | None:
    """A customer number (CU0000123), an id, an e-mail or a phone in E.164."""
    reference = reference.strip()
    for column in (col(Customer.customer_number), col(Customer.email), col(Customer.phone)):
        found = session.scalar(select(col(Customer.id)).where(column == reference))
        if found is not None:
            return found
    if reference.isdigit():
        return session.scalar(select(col(Customer.id)).where(col(Customer.id) == int(reference)))
    return None
