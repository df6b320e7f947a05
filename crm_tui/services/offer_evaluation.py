"""Offline evaluation of the offers: learn from the orders before a cut-off, predict what each
customer buys in the following days, compare with offering everyone the most popular products.

Nothing after the cut-off is read while learning or offering: the affinity is learnt with
as_of=cut and the customer's history is read with now=cut."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from crm_tui.db import row_tuples
from crm_tui.services.affinity import learn
from crm_tui.services.offers import offers_for
from crm_tui.shop.models import Order, OrderLine, Product, ProductKind


@dataclass(frozen=True)
class Evaluation:
    customers: int
    recall: float
    hit_rate: float
    baseline_recall: float
    baseline_hit_rate: float

    @property
    def ratio(self) -> float | None:
        return self.recall / self.baseline_recall if self.baseline_recall else None


def bought_after(session: Session, cut: datetime, horizon_days: int) -> dict[int, set[int]]:
    """Merchandise each customer bought in (cut, cut + horizon]."""
    merchandise = select(col(Product.id)).where(col(Product.kind) == ProductKind.PRODUCT)
    truth: dict[int, set[int]] = {}
    for customer_id, product_id in row_tuples(session.execute(
            select(col(Order.customer_id), col(OrderLine.product_id))
            .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
            .where(col(Order.placed_at) >= cut, col(Order.placed_at) < cut + timedelta(days=horizon_days),
                   col(Order.customer_id).is_not(None), col(Order.total_cents) > 0, col(OrderLine.quantity) > 0,
                   col(OrderLine.product_id).in_(merchandise)))):
        truth.setdefault(customer_id, set()).add(product_id)
    return truth


def evaluate(session: Session, cut: datetime, horizon_days: int = 90, k: int = 10,
             max_customers: int | None = None) -> Evaluation:
    """Customers who bought before the cut and after it. recall@k: the share of what they
    bought that was offered, averaged over customers; hit-rate@k: the share of customers who
    bought at least one offered product."""
    affinity = learn(session, cut)
    truth = bought_after(session, cut, horizon_days)
    known = set(session.scalars(select(col(Order.customer_id))
                                .where(col(Order.placed_at) < cut, col(Order.total_cents) > 0).distinct()))
    customers = sorted(c for c in truth if c in known)[:max_customers]
    popular = [pid for pid, _ in affinity.popular.get("", [])[:k]]
    recall = hits = base_recall = base_hits = 0.0
    for customer_id in customers:
        bought = truth[customer_id]
        offered = {o.product_id for o in offers_for(session, customer_id, affinity, now=cut, limit=k,
                                                    in_stock_only=False)}
        recall += len(offered & bought) / len(bought)
        hits += bool(offered & bought)
        base_recall += len(set(popular) & bought) / len(bought)
        base_hits += bool(set(popular) & bought)
    n = len(customers) or 1
    return Evaluation(len(customers), recall / n, hits / n, base_recall / n, base_hits / n)
