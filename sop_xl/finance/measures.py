"""The figures the meeting sees on more than one sheet, computed in one place.

Financials, ScenarioComparison, Dashboard and ActionPlan all take revenue, gross margin, cost of
goods, fill rate, inventory and utilisation from `plan_measures`, so a figure shown on two sheets
is the same number under the same name. Fractions stay fractions here (0.987); a sheet that shows
percent numbers multiplies by 100 when it writes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import days_per_period, periods_per_year


# the one name each shared figure has on every sheet
NAMES = {
    "revenue": "Revenue",
    "cogs": "Cost of goods",
    "gross_margin": "Gross margin",
    "gross_margin_pct": "Gross margin %",
    "unconstrained_revenue": "Revenue (unconstrained)",
    "lost_revenue": "Revenue lost",
    "fill_rate": "Fill rate",
    "service_level": "Service level",
    "average_inventory_value": "Average inventory value",
    "ending_inventory": "Ending inventory",
    "ending_inventory_value": "Ending inventory value",
    "days_of_supply": "Days of supply",
    "utilisation": "Capacity utilisation",
    "peak_utilisation": "Peak utilisation",
    "plan_cost": "Total plan cost",
    "contribution": "Contribution after plan costs",
}


def on_time(supply_plan: pd.DataFrame) -> pd.Series:
    """Units of each row's demand shipped in its own period: a backlog at a period end is that period's
    newest demand (first in, first out)."""
    demand = supply_plan["demand"].astype(float)
    return np.minimum((demand - supply_plan["backlog"] - supply_plan["lost_sales"]).clip(lower=0.0), demand)


def service_measures(supply_plan: pd.DataFrame | None) -> dict:
    """fill_rate (units on time / demand), service_level (share of item-periods with demand served in full
    and on time), short_items (items short at least once)."""
    if supply_plan is None or supply_plan.empty:
        return dict(fill_rate=np.nan, service_level=np.nan, short_items=0)
    demand = supply_plan["demand"].astype(float)
    shipped = on_time(supply_plan)
    with_demand = demand > 1e-9
    total = float(demand.sum())
    short = supply_plan.loc[(supply_plan["backlog"] + supply_plan["lost_sales"]) > 1e-6, "item"].nunique()
    return dict(fill_rate=float(shipped.sum() / total) if total > 0 else np.nan,
                service_level=float((shipped[with_demand] >= demand[with_demand] - 1e-6).mean())
                if with_demand.any() else np.nan,
                short_items=int(short))


def money_measures(financials: pd.DataFrame | None, period_type: str = "month") -> dict:
    """Horizon totals of the constrained plan from a Financials table (period column `period` or `ds`),
    plus average / ending inventory, days of supply and turns."""
    out = dict(revenue=np.nan, cogs=np.nan, gross_margin=np.nan, gross_margin_pct=np.nan, lost_revenue=np.nan,
               unconstrained_revenue=np.nan, average_inventory_value=np.nan, ending_inventory=np.nan,
               ending_inventory_value=np.nan, days_of_supply=np.nan, turns=np.nan)
    if financials is None or financials.empty:
        return out
    if "unconstrained_revenue" in financials:
        out["unconstrained_revenue"] = float(financials["unconstrained_revenue"].sum())
    if "revenue" not in financials or not financials["revenue"].notna().any():
        return out
    period = "period" if "period" in financials else "ds"
    revenue, cogs = float(financials["revenue"].sum()), float(financials["cogs"].sum())
    columns = [c for c in ("inventory_units", "inventory_value", "cogs") if c in financials]
    by_period = financials.groupby(period)[columns].sum().reindex(columns=["inventory_units", "inventory_value",
                                                                           "cogs"])
    avg_inv = float(by_period["inventory_value"].mean())
    cogs_per_period = float(by_period["cogs"].mean())
    out.update(revenue=revenue, cogs=cogs, gross_margin=revenue - cogs,
               gross_margin_pct=(revenue - cogs) / revenue if revenue else np.nan,
               lost_revenue=float(financials["lost_revenue"].sum()) if "lost_revenue" in financials else np.nan,
               average_inventory_value=avg_inv,
               ending_inventory=float(by_period["inventory_units"].iloc[-1]),
               ending_inventory_value=float(by_period["inventory_value"].iloc[-1]),
               days_of_supply=days_of_supply(avg_inv, cogs_per_period, period_type),
               turns=cogs_per_period * periods_per_year(period_type) / avg_inv if avg_inv > 0 else np.nan)
    return out


def days_of_supply(inventory_value: float, cogs_per_period: float, period_type: str = "month") -> float:
    """Inventory value / cost of goods per day."""
    if not cogs_per_period or cogs_per_period <= 0:
        return np.nan
    return inventory_value / (cogs_per_period / days_per_period(period_type))


def family_days_of_supply(financials: pd.DataFrame | None, period_type: str = "month") -> pd.Series:
    """Days of supply per family (average inventory value / cost of goods per day), the same rule as the total."""
    if financials is None or financials.empty or not financials["revenue"].notna().any():
        return pd.Series(dtype=float)
    g = financials.groupby("family")
    return pd.Series({f: days_of_supply(rows["inventory_value"].mean(), rows["cogs"].mean(), period_type)
                      for f, rows in g})


def capacity_measures(capacity: pd.DataFrame | None) -> dict:
    """utilisation (used / regular hours over all resources and periods), peak_utilisation (the highest
    used / regular hours of any resource-period), where the peak is, and overtime hours."""
    out = dict(utilisation=np.nan, peak_utilisation=np.nan, peak_resource="", peak_period=None,
               overtime_hours=0.0)
    if capacity is None or capacity.empty:
        return out
    used, regular = float(capacity["used_hours"].sum()), float(capacity["regular_capacity"].sum())
    # rounded: solver noise must not decide which of several full periods is named
    rounded = capacity["utilisation"].astype(float).round(4)
    out["utilisation"] = used / regular if regular > 0 else np.nan
    out["overtime_hours"] = float(capacity["overtime_hours"].sum())
    if rounded.notna().any():
        at = rounded.idxmax()
        out["peak_utilisation"] = float(capacity.at[at, "utilisation"])
        out["peak_resource"] = str(capacity.at[at, "resource"])
        out["peak_period"] = capacity.at[at, "period" if "period" in capacity else "ds"]
    return out


def plan_measures(*, financials: pd.DataFrame | None, supply_plan: pd.DataFrame | None = None,
                  capacity: pd.DataFrame | None = None, period_type: str = "month") -> dict:
    """Every shared figure of one plan: `money_measures` + `service_measures` + `capacity_measures`."""
    return {**money_measures(financials, period_type), **service_measures(supply_plan),
            **capacity_measures(capacity)}
