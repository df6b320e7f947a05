"""What the shop's baskets teach: which products go together, which sell now, which are new.

Learnt from every customer's purchases before a moment (`as_of`): the live console stores
what was learnt (product_affinity, product_popularity; after an import and on demand), the
offline evaluation learns in memory at its cut-off date. Merchandise only, purchases only
(orders with a positive total), lines with a positive quantity.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.models import ProductAffinity, ProductPopularity
from crm_tui.shop.models import Order, OrderLine, Product, ProductKind

BASKET_DAYS = 365  # baskets this recent teach what goes together
POPULAR_DAYS = 90  # buyers this recent make a product popular
NEW_DAYS = 60  # first sold this recently: new
MAX_BASKET = 40  # bigger baskets are wholesale restocks: they say little about taste
MIN_BASKETS = 2  # a pair seen together fewer times is chance
PER_PRODUCT = 20  # strongest partners kept per product
PER_CATEGORY = 20  # most popular kept per category


@dataclass
class Affinity:
    together: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # product -> [(other, confidence)]
    popular: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # category -> [(product, buyers)]
    first_sold: dict[int, datetime] = field(default_factory=dict)
    category: dict[int, str] = field(default_factory=dict)

    def partners(self, product_ids) -> dict[int, list[tuple[int, float]]]:
        return {pid: self.together.get(pid, []) for pid in product_ids}

    def popular_in(self, categories) -> dict[str, list[tuple[int, int]]]:
        return {c: self.popular.get(c, []) for c in categories}


def _merchandise(session: Session) -> dict[int, str]:
    return {pid: category for pid, category in row_tuples(session.execute(
        select(col(Product.id), col(Product.category)).where(col(Product.kind) == ProductKind.PRODUCT)))}


def learn(session: Session, as_of: datetime) -> Affinity:
    """One pass over the lines of the last BASKET_DAYS before as_of, in order-line order."""
    category = _merchandise(session)
    rows = session.execute(
        select(col(OrderLine.order_id), col(OrderLine.product_id), col(Order.customer_id), col(Order.placed_at))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.placed_at) < as_of, col(Order.placed_at) >= as_of - timedelta(days=BASKET_DAYS),
               col(Order.total_cents) > 0, col(OrderLine.quantity) > 0)
        .order_by(col(OrderLine.order_id)))
    baskets_with: Counter[int] = Counter()
    pairs: Counter[tuple[int, int]] = Counter()
    buyers: dict[int, set] = defaultdict(set)
    popular_since = as_of - timedelta(days=POPULAR_DAYS)

    def close(basket: set[int]) -> None:
        baskets_with.update(basket)
        if 1 < len(basket) <= MAX_BASKET:
            pairs.update(combinations(sorted(basket), 2))

    current: int | None = None
    basket: set[int] = set()
    for order_id, product_id, customer_id, placed_at in row_tuples(rows):
        if product_id not in category:
            continue
        if order_id != current:
            close(basket)
            current, basket = order_id, set()
        basket.add(product_id)
        if placed_at >= popular_since:
            buyers[product_id].add(customer_id if customer_id is not None else ("guest", order_id))
    close(basket)

    together: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), n in pairs.items():
        if n >= MIN_BASKETS:
            together[a].append((b, n / baskets_with[a]))
            together[b].append((a, n / baskets_with[b]))
    for pid, partners in together.items():
        partners.sort(key=lambda p: (-p[1], p[0]))
        del partners[PER_PRODUCT:]

    first_sold = {pid: first for pid, first in row_tuples(session.execute(
        select(col(OrderLine.product_id), func.min(col(Order.placed_at)))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.placed_at) < as_of, col(Order.total_cents) > 0).group_by(col(OrderLine.product_id))))}
    new_since = as_of - timedelta(days=NEW_DAYS)
    popular: dict[str, list[tuple[int, int]]] = defaultdict(list)
    new_count: Counter[str] = Counter()
    ranked = sorted(((pid, len(who)) for pid, who in buyers.items()), key=lambda p: (-p[1], p[0]))
    for pid, count in ranked:
        is_new = first_sold.get(pid, as_of) >= new_since
        for key in {category.get(pid, ""), ""}:
            if len(popular[key]) < PER_CATEGORY:
                popular[key].append((pid, count))
            elif is_new and new_count[key] < PER_CATEGORY // 2:  # new products get a place of their own
                popular[key].append((pid, count))
                new_count[key] += 1
    kept = {pid for ranked_products in popular.values() for pid, _ in ranked_products}
    return Affinity(dict(together), dict(popular), {p: first_sold[p] for p in kept if p in first_sold}, category)


def save(session: Session, affinity: Affinity) -> None:
    """Replace what the console offers from; the caller commits."""
    session.execute(delete(ProductAffinity))
    session.execute(delete(ProductPopularity))
    rows = [dict(product_id=a, other_id=b, confidence_permille=round(conf * 1000), baskets=0)
            for a, partners in affinity.together.items() for b, conf in partners]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(ProductAffinity), rows[start:start + 10_000])
    popular_rows = [dict(category=c, product_id=p, buyers=n, first_sold_at=affinity.first_sold[p])
                    for c, ranked in affinity.popular.items() for p, n in ranked]
    if popular_rows:
        session.execute(insert(ProductPopularity), popular_rows)


def relearn(session: Session, now: datetime) -> Affinity:
    affinity = learn(session, now)
    save(session, affinity)
    return affinity


class StoredAffinity:
    """The saved Affinity, read a product or category at a time (what one customer needs)."""

    def __init__(self, session: Session):
        self.session = session
        self.first_sold: dict[int, datetime] = {}

    def partners(self, product_ids) -> dict[int, list[tuple[int, float]]]:
        found: dict[int, list[tuple[int, float]]] = {pid: [] for pid in product_ids}
        for pid, other, permille in row_tuples(self.session.execute(
                select(col(ProductAffinity.product_id), col(ProductAffinity.other_id),
                       col(ProductAffinity.confidence_permille))
                .where(col(ProductAffinity.product_id).in_(list(product_ids))))):
            found[pid].append((other, permille / 1000))
        return found

    def popular_in(self, categories) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = {c: [] for c in categories}
        for category, pid, buyers, first_sold in row_tuples(self.session.execute(
                select(col(ProductPopularity.category), col(ProductPopularity.product_id),
                       col(ProductPopularity.buyers), col(ProductPopularity.first_sold_at))
                .where(col(ProductPopularity.category).in_(list(categories)))
                .order_by(col(ProductPopularity.category), col(ProductPopularity.buyers).desc()))):
            found[category].append((pid, buyers))
            self.first_sold[pid] = first_sold
        return found
