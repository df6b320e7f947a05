"""The web shop's catalogue: merchandise by category and by words, each with its stock light."""

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from crm_tui.shop.models import Product, ProductKind, StockLight, stock_light

PAGE = 24


@dataclass(frozen=True)
class CatalogueItem:
    product_id: int
    sku: str
    name: str
    description: str
    category: str
    unit_price_cents: int
    stock_quantity: int
    light: StockLight

    @property
    def orderable(self) -> bool:
        return self.light != StockLight.RED


_COLUMNS = (col(Product.id), col(Product.sku), col(Product.name), col(Product.description), col(Product.category),
            col(Product.unit_price_cents), col(Product.stock_quantity), col(Product.low_stock_threshold),
            col(Product.stock_tracked))
_FOR_SALE = and_(col(Product.active), col(Product.kind) == ProductKind.PRODUCT)


def _item(row) -> CatalogueItem:
    return CatalogueItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6], stock_light(row[6], row[7], row[8]))


def categories(session: Session) -> list[str]:
    return list(session.scalars(select(col(Product.category)).where(_FOR_SALE, col(Product.category) != "")
                                .group_by(col(Product.category)).order_by(col(Product.category))))


def contains_text(column, typed: str):
    """column contains `typed`, case aside, with %, _ and \\ typed taken literally (not wildcards)."""
    escaped = typed.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def browse(session: Session, words: str = "", category: str = "", page: int = 1) -> tuple[list[CatalogueItem], int]:
    """One page of the catalogue (names A-Z) and how many products match: every word of
    `words` in the name, SKU or description, in any order and any case."""
    where = [_FOR_SALE]
    if category:
        where.append(col(Product.category) == category)
    for word in words.lower().split()[:8]:
        where.append(or_(*(contains_text(c, word)
                           for c in (col(Product.name), col(Product.sku), col(Product.description)))))
    total = session.scalar(select(func.count()).select_from(Product).where(*where)) or 0
    rows = session.execute(select(*_COLUMNS).where(*where).order_by(col(Product.name), col(Product.id))
                           .limit(PAGE).offset(PAGE * (max(page, 1) - 1))).all()
    return [_item(r) for r in rows], total


def product(session: Session, sku: str) -> CatalogueItem | None:
    row = session.execute(select(*_COLUMNS).where(_FOR_SALE, col(Product.sku) == sku)).first()
    return _item(row) if row else None


def items(session: Session, skus: list[str]) -> dict[str, CatalogueItem]:
    if not skus:
        return {}
    return {r[1]: _item(r) for r in session.execute(select(*_COLUMNS).where(_FOR_SALE, col(Product.sku).in_(skus)))}
