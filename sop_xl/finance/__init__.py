"""Financial plan: the demand and supply plans in money, against the budget (pandas only)."""

from .core import COLUMNS, financials, horizon_totals, item_prices, shipped, sku_prices, unconstrained

__all__ = ["COLUMNS", "financials", "horizon_totals", "item_prices", "shipped", "sku_prices", "unconstrained"]
