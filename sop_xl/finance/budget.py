"""The demo company's Budget sheet (finance's numbers per family and month)."""

from __future__ import annotations

import pandas as pd


def budget_frame(company) -> pd.DataFrame:
    """Budget rows ``family, period, volume, revenue, margin`` from a `DemoCompany`.

    The demo budget has volume and revenue; the margin budget applies each family's list
    margin (price - unit cost over price, weighted by price) to the budget revenue.
    """
    items = company.items
    ratio = ((items["price"] - items["unit_cost"]).groupby(items["family"]).sum()
             / items["price"].groupby(items["family"]).sum())
    budget = company.budget.rename(columns={"ds": "period"}).copy()
    budget["margin"] = (budget["revenue"] * budget["family"].map(ratio)).round(-2)
    return budget[["family", "period", "volume", "revenue", "margin"]]

