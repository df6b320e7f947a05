"""Everything the supervisors' dashboard shows for one filter, read in one go, and one product's
figures for its product window."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from crm_tui.services import reports
from crm_tui.shop.models import Product, StockLight, stock_light


@dataclass(frozen=True)
class DashboardData:
    period: reports.Period
    year_on_year: list[reports.YearOnYearMonth]
    trend: list[reports.TrendPoint]
    by_country: list[reports.SalesShare]
    by_channel: list[reports.SalesShare]
    top_revenue: list[reports.TopProduct]
    top_quantity: list[reports.TopProduct]
    top_customers: list[reports.TopCustomer]
    discounts: list[reports.AgentDiscounts]
    callback_days: list[reports.CallbackDay]
    callback_hours: list[int]
    first_sale: date | None = None  # the earliest day with sales: a year earlier may hold no data

    @property
    def year_earlier_complete(self) -> bool:
        """Whether the shop has sales data for the whole year-earlier span of the range."""
        earlier_start = self.period.first.replace(year=self.period.first.year - 1, day=min(self.period.first.day, 28)) \
            if self.period.first.month == 2 else self.period.first.replace(year=self.period.first.year - 1)
        return self.first_sale is not None and self.first_sale <= earlier_start

    @property
    def weekly(self) -> bool:
        return _weekly(self.period)


def _weekly(period: reports.Period) -> bool:
    """Over two months the trend is drawn per week, shorter ranges per day."""
    return (period.last - period.first).days > 62


def load_dashboard(session: Session, period: reports.Period, country: str | None, category: str | None,
                   target_minutes: int, zone: str) -> DashboardData:
    days, hours = reports.callbacks(session, period, target_minutes, zone)
    grain = "week" if _weekly(period) else "day"
    return DashboardData(
        period, reports.year_on_year(session, period, country), reports.trend(session, period, grain, country),
        reports.sales_by(session, period, "country", country), reports.sales_by(session, period, "channel", country),
        reports.top_products(session, period, "revenue", country, category, 10),
        reports.top_products(session, period, "quantity", country, category, 10),
        reports.top_customers(session, period, country, 10), reports.discounts(session, period), days, hours,
        known.first if (known := reports.period_of_data(session)) else None)


@dataclass(frozen=True)
class ProductFigures:
    name: str
    sku: str
    category: str
    unit_price_cents: int
    stock_quantity: int
    sold: reports.TopProduct | None  # its units and net sales in the period, None without sales
    light: StockLight = StockLight.GREEN


def product_figures(session: Session, product_id: int, period: reports.Period) -> ProductFigures | None:
    product = session.get(Product, product_id)
    if product is None:
        return None
    sold = next(iter(reports.top_products(session, period, product_id=product_id)), None)
    return ProductFigures(product.name, product.sku, product.category, product.unit_price_cents,
                          product.stock_quantity, sold, stock_light(product.stock_quantity, product.low_stock_threshold,
                                                                  product.stock_tracked))
