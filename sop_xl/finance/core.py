"""The plan in money: revenue, cost of goods, margin, inventory and working capital per family and period.

Two views side by side, as finance reads them in the S&OP meeting:
- unconstrained: every unit of demand (consensus, else forecast, else the Demand sheet) sold;
- constrained: what the supply plan actually ships, with the revenue shortages lose for good
  (lost sales) and the revenue they push to later periods (backlog).

Shipped units come from the plan's own stock balance: shipped[t] = demand[t] + backlog[t-1]
- backlog[t] - lost[t], with backlog[-1] the opening backlog. The opening backlog is demand of
the horizon: it is part of the first period's unconstrained demand, so the plan can never ship
more revenue than the unconstrained view sells. Cost of goods is at standard
unit cost (Items.unit_cost); the plan's labour and penalty costs are on PlanCost.

Spend is when supply arrives or starts, not when it ships: scheduled receipts (ScheduledReceipts, units
already in production or on order) are committed spend at unit cost in the period they arrive, and
material spend adds the units the plan starts (production x unit cost, PlanCost's material line). A
received unit is in cost of goods only when it ships, like a made one, so nothing is counted twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import MONTH, days_per_period

# receivables and payables outstanding: a month of revenue and of cost of goods, in whatever period
MONTH_DAYS = days_per_period(MONTH)

COLUMNS = ["family", "period", "demand_source", "demand_units", "unconstrained_revenue", "unconstrained_margin",
           "shipped_units", "revenue", "cogs", "gross_margin", "gross_margin_pct", "lost_units", "lost_revenue",
           "backlog_units", "delayed_revenue", "inventory_units", "inventory_value", "receipts_units",
           "committed_spend", "material_spend", "working_capital",
           "budget_volume", "budget_revenue", "revenue_gap", "revenue_gap_pct", "volume_gap", "margin_gap"]


def sku_prices(items: pd.DataFrame, demand: pd.DataFrame, prices: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long ``sku, ds, price, unit_cost`` for every demand row: a planned price (``prices``: sku, ds,
    price, e.g. the Consensus sheet's Price) where given, else the Items list price."""
    table = demand[["sku", "ds"]].drop_duplicates().merge(
        items[["sku", "family", "price", "unit_cost"]].drop_duplicates("sku"), on="sku", how="left")
    if prices is not None and not prices.empty:
        planned = prices.dropna(subset=["price"]).drop_duplicates(["sku", "ds"])[["sku", "ds", "price"]]
        table = table.merge(planned.rename(columns={"price": "planned"}), on=["sku", "ds"], how="left")
        table["price"] = table["planned"].where(table["planned"].notna(), table["price"])
        table = table.drop(columns="planned")
    table["price"] = table["price"].astype(float).fillna(0.0)
    table["unit_cost"] = table["unit_cost"].astype(float).fillna(0.0)
    return table


def unconstrained(demand: pd.DataFrame, priced: pd.DataFrame) -> pd.DataFrame:
    """Per SKU and period: demand, revenue and standard cost if every unit of demand ships."""
    frame = demand[["sku", "ds", "demand"]].groupby(["sku", "ds"], as_index=False)["demand"].sum()
    frame = frame.merge(priced, on=["sku", "ds"], how="left")
    frame["demand"] = frame["demand"].fillna(0.0)
    frame["revenue"] = frame["demand"] * frame["price"]
    frame["cogs"] = frame["demand"] * frame["unit_cost"]
    return frame


def with_opening_backlog(demand: pd.DataFrame, items: pd.DataFrame, opening: pd.Series | None) -> pd.DataFrame:
    """``demand`` (sku, ds, demand) with the opening backlog added to each SKU's first period: orders
    already taken are demand of the horizon. A backlog given per family (a family plan) is spread over the
    family's SKUs in proportion to their first-period demand (evenly where that is 0)."""
    if opening is None or demand.empty:
        return demand
    opening = opening.astype(float).fillna(0.0)
    opening = opening[opening > 0]
    if opening.empty:
        return demand
    first = demand["ds"].min()
    head = demand[demand["ds"] == first].groupby("sku")["demand"].sum()
    family_of = dict(zip(items["sku"], items["family"]))
    rows = []
    for key, units in opening.items():
        if key in family_of or key in head.index:
            rows.append((key, units))
            continue
        members = [s for s, f in family_of.items() if f == key]
        if not members:
            continue
        weights = head.reindex(members).fillna(0.0)
        weights = weights / weights.sum() if weights.sum() > 0 else pd.Series(1.0 / len(members), index=members)
        rows.extend((sku, units * w) for sku, w in weights.items())
    extra = pd.DataFrame(rows, columns=["sku", "demand"]).assign(ds=first)
    return pd.concat([demand[["sku", "ds", "demand"]], extra[["sku", "ds", "demand"]]], ignore_index=True)


def shipped(supply_plan: pd.DataFrame, opening_backlog: pd.Series | None = None) -> pd.DataFrame:
    """SupplyPlan (item, family, ds, demand, backlog, lost_sales, inventory) with ``shipped`` added."""
    plan = supply_plan.sort_values(["item", "ds"], kind="stable").reset_index(drop=True)
    opening = (opening_backlog if opening_backlog is not None else pd.Series(dtype=float))
    before = plan.groupby("item", sort=False)["backlog"].shift(1)
    first = plan["item"].map(opening).astype(float).fillna(0.0)
    before = before.where(before.notna(), first)
    plan["shipped"] = (plan["demand"] + before - plan["backlog"] - plan["lost_sales"]).clip(lower=0.0)
    return plan


def item_prices(plan: pd.DataFrame, base: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Price and unit cost of each plan item and period. An SKU item has its own; a family item (plan
    level family) the demand-weighted average of its SKUs (the list average where demand is 0). A period
    without a demand row (stock or a scheduled receipt but no demand) takes the `items` list price and
    cost (a family's list average): a unit is worth its cost whether or not it sells that period."""
    sku = base[["sku", "ds", "price", "unit_cost"]].rename(columns={"sku": "item"})
    grouped = base.groupby(["family", "ds"])
    weighted = pd.DataFrame({
        "w_price": grouped.apply(lambda g: _weighted(g["price"], g["demand"]), include_groups=False),
        "w_cost": grouped.apply(lambda g: _weighted(g["unit_cost"], g["demand"]), include_groups=False),
    }).reset_index().rename(columns={"family": "item"})
    out = plan.merge(sku, on=["item", "ds"], how="left").merge(weighted, on=["item", "ds"], how="left")
    out["price"] = out["price"].where(out["price"].notna(), out["w_price"])
    out["unit_cost"] = out["unit_cost"].where(out["unit_cost"].notna(), out["w_cost"])
    if items is not None:
        listed = items.drop_duplicates("sku").set_index("sku")[["family", "price", "unit_cost"]]
        by_family = listed.groupby("family")[["price", "unit_cost"]].mean()
        for col in ("price", "unit_cost"):
            fallback = out["item"].map(listed[col]).fillna(out["item"].map(by_family[col]))
            out[col] = out[col].where(out[col].notna(), pd.to_numeric(fallback, errors="coerce"))
    out["price"] = out["price"].astype(float).fillna(0.0)
    out["unit_cost"] = out["unit_cost"].astype(float).fillna(0.0)
    return out.drop(columns=["w_price", "w_cost"])


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    w = weights.fillna(0.0)
    return float((values * w).sum() / w.sum()) if w.sum() > 0 else float(values.mean())


def financials(*, demand: pd.DataFrame, items: pd.DataFrame, supply_plan: pd.DataFrame | None = None,
               budget: pd.DataFrame | None = None, opening_backlog: pd.Series | None = None,
               prices: pd.DataFrame | None = None, demand_source: str = "Consensus", period_type: str = MONTH,
               receivable_days: float = MONTH_DAYS, payable_days: float = MONTH_DAYS) -> pd.DataFrame:
    """The Financials table (columns `COLUMNS`) per family and period.

    demand: sku, ds, demand. items: sku, family, price, unit_cost. supply_plan: the SupplyPlan
    table with ``ds`` (period start) instead of the label. budget: family, ds, volume, revenue,
    margin. opening_backlog: units per plan item (SKU, or family for family plans).
    Constrained columns are NaN without a supply plan; the gap to budget then uses the
    unconstrained revenue. Working capital counts `receivable_days` of revenue outstanding and
    `payable_days` of cost of goods unpaid, converted to the workbook's periods (a month is one
    period of a monthly plan, a third of a quarter's).
    """
    receivable_periods = receivable_days / days_per_period(period_type)
    payable_periods = payable_days / days_per_period(period_type)
    demand = with_opening_backlog(demand, items, opening_backlog)
    base = unconstrained(demand, sku_prices(items, demand, prices))
    base["family"] = base["family"].fillna("(no family)")
    out = base.groupby(["family", "ds"], as_index=False).agg(
        demand_units=("demand", "sum"), unconstrained_revenue=("revenue", "sum"), _ucogs=("cogs", "sum"))
    out["unconstrained_margin"] = out["unconstrained_revenue"] - out.pop("_ucogs")

    if supply_plan is not None and not supply_plan.empty:
        plan = item_prices(shipped(supply_plan, opening_backlog), base, items)
        plan["revenue"] = plan["shipped"] * plan["price"]
        plan["cogs"] = plan["shipped"] * plan["unit_cost"]
        plan["lost_revenue"] = plan["lost_sales"] * plan["price"]
        plan["delayed_revenue"] = plan["backlog"] * plan["price"]
        plan["inventory_value"] = plan["inventory"] * plan["unit_cost"]
        receipts = plan["scheduled_receipts"] if "scheduled_receipts" in plan else pd.Series(0.0, index=plan.index)
        plan["receipts_units"] = receipts.astype(float).fillna(0.0)
        plan["committed_spend"] = plan["receipts_units"] * plan["unit_cost"]
        production = plan["production"].astype(float).fillna(0.0) if "production" in plan else 0.0
        plan["material_spend"] = plan["committed_spend"] + production * plan["unit_cost"]
        con = plan.groupby(["family", "ds"], as_index=False).agg(
            shipped_units=("shipped", "sum"), revenue=("revenue", "sum"), cogs=("cogs", "sum"),
            lost_units=("lost_sales", "sum"), lost_revenue=("lost_revenue", "sum"),
            backlog_units=("backlog", "sum"), delayed_revenue=("delayed_revenue", "sum"),
            inventory_units=("inventory", "sum"), inventory_value=("inventory_value", "sum"),
            receipts_units=("receipts_units", "sum"), committed_spend=("committed_spend", "sum"),
            material_spend=("material_spend", "sum"))
        out = out.merge(con, on=["family", "ds"], how="outer")
        for col in ("demand_units", "unconstrained_revenue", "unconstrained_margin"):
            out[col] = out[col].fillna(0.0)
        out["gross_margin"] = out["revenue"] - out["cogs"]
        out["gross_margin_pct"] = _ratio(out["gross_margin"], out["revenue"])
        out["working_capital"] = (out["inventory_value"] + receivable_periods * out["revenue"]
                                  - payable_periods * out["cogs"])
    else:
        for col in ("shipped_units", "revenue", "cogs", "gross_margin", "gross_margin_pct", "lost_units",
                    "lost_revenue", "backlog_units", "delayed_revenue", "inventory_units", "inventory_value",
                    "receipts_units", "committed_spend", "material_spend", "working_capital"):
            out[col] = np.nan

    out = _with_budget(out, budget)
    out["demand_source"] = demand_source
    out = out.sort_values(["family", "ds"], kind="stable").reset_index(drop=True)
    return out.rename(columns={"ds": "period"})[COLUMNS]


def _with_budget(out: pd.DataFrame, budget: pd.DataFrame | None) -> pd.DataFrame:
    if budget is None or budget.empty:
        for col in ("budget_volume", "budget_revenue", "revenue_gap", "revenue_gap_pct", "volume_gap", "margin_gap"):
            out[col] = np.nan
        return out
    b = budget.rename(columns={"volume": "budget_volume", "revenue": "budget_revenue", "margin": "_bmargin"})
    if "_bmargin" not in b:
        b["_bmargin"] = np.nan
    b = b.groupby(["family", "ds"], as_index=False)[["budget_volume", "budget_revenue", "_bmargin"]].sum(min_count=1)
    # only the plan's periods: a budget for the whole year is fine, the gap is where both exist
    periods = set(out["ds"])
    out = out.merge(b[b["ds"].isin(periods)], on=["family", "ds"], how="outer")
    has_plan = out["revenue"].notna().any()
    revenue = out["revenue"] if has_plan else out["unconstrained_revenue"]
    volume = out["shipped_units"] if has_plan else out["demand_units"]
    margin = out["gross_margin"] if has_plan else out["unconstrained_margin"]
    out["revenue_gap"] = revenue.fillna(0.0) - out["budget_revenue"]
    out["revenue_gap_pct"] = _ratio(out["revenue_gap"], out["budget_revenue"])
    out["volume_gap"] = volume.fillna(0.0) - out["budget_volume"]
    out["margin_gap"] = margin.fillna(0.0) - out.pop("_bmargin")
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.where(den.abs() > 1e-9)
    return num / den


def horizon_totals(fin: pd.DataFrame) -> pd.Series:
    """Sums over every family and period of the money and unit columns of a Financials table."""
    sums = fin.drop(columns=["family", "period", "demand_source", "gross_margin_pct", "revenue_gap_pct"]
                    ).sum(min_count=1)
    sums["gross_margin_pct"] = sums["gross_margin"] / sums["revenue"] if sums.get("revenue") else np.nan
    budget = sums.get("budget_revenue")
    sums["revenue_gap_pct"] = sums["revenue_gap"] / budget if budget and not np.isnan(budget) else np.nan
    return sums
