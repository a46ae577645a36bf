"""The KPIs of the executive S&OP meeting, as one compact table (pandas only).

Each KPI row: area, kpi, value, unit, target, status (on track / watch / off track / n/a),
comment. A KPI whose inputs are missing is listed with status n/a and a comment naming the
stage to run, so the table always has the same rows in the same order.

Definitions:
- forecast accuracy = 100 - WAPE (%), bias = sum(forecast - actual) / sum(actual) (%);
- fill rate = units shipped on time / demand (a backlog at a period end is that period's
  newest demand, first in first out);
- days of supply = average inventory value / cost of goods per day; turns = cost of goods per
  year / average inventory value;
- utilisation = used / regular hours (Capacity sheet), average over resources and periods, and
  the peak;
- revenue and gross margin of the constrained plan against the Budget sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import label

COLUMNS = ["area", "kpi", "value", "unit", "target", "status", "comment"]
DAYS_PER_PERIOD = {"month": 365.0 / 12.0, "week": 7.0}
PERIODS_PER_YEAR = {"month": 12.0, "week": 52.0}


@dataclass(frozen=True)
class Targets:
    """What "on track" means; watch is a band beyond it, off track beyond that."""

    accuracy: float = 75.0          # % (100 - WAPE)
    accuracy_watch: float = 65.0
    bias: float = 5.0               # |%|
    bias_watch: float = 10.0
    fill_rate: float = 98.0         # %
    fill_rate_watch: float = 95.0
    days_of_supply: float = 60.0    # at most
    days_of_supply_watch: float = 90.0
    turns: float = 6.0              # at least, per year
    turns_watch: float = 4.0
    utilisation: float = 85.0       # average %, at most
    utilisation_watch: float = 95.0
    peak_utilisation: float = 100.0  # % of regular hours: above means overtime
    peak_utilisation_watch: float = 115.0
    budget_gap: float = -2.0        # % revenue vs budget, at least
    budget_gap_watch: float = -5.0
    margin_gap: float = -1.0        # margin % points vs budget margin %
    margin_gap_watch: float = -3.0


def _status_high(value: float, good: float, watch: float) -> str:
    """Higher is better. Judged on the value as shown (one decimal), so 100.0 % is never over 100 %."""
    if value is None or np.isnan(value):
        return "n/a"
    value = round(float(value), 1)
    return "on track" if value >= good else "watch" if value >= watch else "off track"


def _status_low(value: float, good: float, watch: float) -> str:
    """Lower is better (judged on the value as shown)."""
    if value is None or np.isnan(value):
        return "n/a"
    value = round(float(value), 1)
    return "on track" if value <= good else "watch" if value <= watch else "off track"


def _row(area, kpi, value, unit, target, status, comment) -> dict:
    value = np.nan if value is None else float(value)
    target = np.nan if target is None else float(target)
    return dict(area=area, kpi=kpi, value=value, unit=unit, target=target, status=status, comment=comment)


def forecast_accuracy(versions: pd.DataFrame | None, actuals: pd.DataFrame | None) -> dict | None:
    """Accuracy and bias of the last closed cycle's plan of record against the actuals that came in.

    versions: cycle, plan, sku, period (Timestamp), value (the Versions sheet); actuals: sku, ds, y.
    The consensus plan is measured when the cycle has one, else the statistical forecast.
    """
    if versions is None or actuals is None or versions.empty or actuals.empty:
        return None
    v = versions.dropna(subset=["sku", "period", "value"])
    a = actuals.dropna(subset=["y"]).rename(columns={"ds": "period"})[["sku", "period", "y"]]
    for cycle in sorted(v["cycle"].dropna().unique(), reverse=True):
        of_cycle = v[v["cycle"] == cycle]
        for plan in ("consensus", "statistical"):
            joined = of_cycle[of_cycle["plan"] == plan].merge(a, on=["sku", "period"])
            total = joined["y"].sum()
            if len(joined) and total > 0:
                wape = (joined["value"] - joined["y"]).abs().sum() / total * 100.0
                bias = (joined["value"] - joined["y"]).sum() / total * 100.0
                return dict(accuracy=100.0 - wape, bias=bias,
                            source=f"{plan} plan of cycle {cycle} vs {len(joined)} actual SKU-periods")
    return None


def _bias_text(bias) -> str:
    if bias is None or np.isnan(bias):
        return "No bias measured by the source."
    if abs(bias) < 0.05:
        return "The forecast was neither above nor below the actuals on balance."
    return f"The forecast was {abs(bias):.1f}% {'above' if bias > 0 else 'below'} the actuals on balance."


def dashboard_kpis(*, financials: pd.DataFrame | None = None, supply_plan: pd.DataFrame | None = None,
                   capacity: pd.DataFrame | None = None, accuracy: dict | None = None,
                   comparison: pd.DataFrame | None = None, has_budget: bool = False,
                   period_type: str = "month", currency: str = "EUR", targets: Targets = Targets()
                   ) -> pd.DataFrame:
    """The Dashboard table. ``supply_plan`` needs item, demand, backlog, lost_sales, inventory;
    ``financials`` is the Financials table; ``comparison`` the ScenarioComparison table."""
    t = targets
    rows: list[dict] = []
    missing_plan = "Run the plan first (sop-xl plan)."
    missing_fin = "Run the financials first (sop-xl financials)."

    # demand
    if accuracy:
        rows.append(_row("Demand", "Forecast accuracy", accuracy["accuracy"], "%", t.accuracy,
                         _status_high(accuracy["accuracy"], t.accuracy, t.accuracy_watch),
                         f"100 - WAPE; {accuracy['source']}"))
        bias = accuracy.get("bias", np.nan)
        rows.append(_row("Demand", "Forecast bias", bias, "%", 0.0,
                         _status_low(abs(bias) if bias is not None else np.nan, t.bias, t.bias_watch),
                         _bias_text(bias)))
    else:
        text = "No actuals to measure against yet: close a cycle (sop-xl close-cycle) or run the forecast."
        rows.append(_row("Demand", "Forecast accuracy", None, "%", t.accuracy, "n/a", text))
        rows.append(_row("Demand", "Forecast bias", None, "%", 0.0, "n/a", text))

    # supply
    if supply_plan is not None and not supply_plan.empty:
        demand = supply_plan["demand"]
        on_time = np.minimum((demand - supply_plan["backlog"] - supply_plan["lost_sales"]).clip(lower=0.0), demand)
        fill = on_time.sum() / demand.sum() * 100.0 if demand.sum() > 0 else np.nan
        short_items = supply_plan.loc[(supply_plan["backlog"] + supply_plan["lost_sales"]) > 1e-6, "item"].nunique()
        rows.append(_row("Supply", "Fill rate", fill, "%", t.fill_rate, _status_high(fill, t.fill_rate,
                         t.fill_rate_watch), f"{short_items} item(s) short at least once."))
    else:
        rows.append(_row("Supply", "Fill rate", None, "%", t.fill_rate, "n/a", missing_plan))
    if capacity is not None and not capacity.empty:
        used, regular = capacity["used_hours"].sum(), capacity["regular_capacity"].sum()
        avg = used / regular * 100.0 if regular > 0 else np.nan
        # rounded: solver noise must not decide which of several full periods is named
        rounded = capacity["utilisation"].astype(float).round(4)
        peak_idx = rounded.idxmax() if rounded.notna().any() else None
        peak = float(capacity.at[peak_idx, "utilisation"]) * 100.0 if peak_idx is not None else np.nan
        when = capacity.at[peak_idx, "period" if "period" in capacity else "ds"] if peak_idx is not None else ""
        when = label(when, period_type) if isinstance(when, pd.Timestamp) else when
        where = f"{capacity.at[peak_idx, 'resource']} in {when}" if peak_idx is not None else ""
        overtime = capacity["overtime_hours"].sum()
        rows.append(_row("Supply", "Capacity utilisation", avg, "%", t.utilisation,
                         _status_low(avg, t.utilisation, t.utilisation_watch),
                         f"Used / regular hours over all resources; {overtime:,.0f} overtime hours planned."))
        rows.append(_row("Supply", "Peak utilisation", peak, "%", t.peak_utilisation,
                         _status_low(peak, t.peak_utilisation, t.peak_utilisation_watch), f"Peak: {where}."))
    else:
        rows.append(_row("Supply", "Capacity utilisation", None, "%", t.utilisation, "n/a", missing_plan))
        rows.append(_row("Supply", "Peak utilisation", None, "%", t.peak_utilisation, "n/a", missing_plan))

    # inventory
    has_fin_plan = financials is not None and not financials.empty and financials["revenue"].notna().any()
    if has_fin_plan:
        by_period = financials.groupby("period")[["inventory_value", "cogs"]].sum()
        avg_inv = by_period["inventory_value"].mean()
        cogs_per_period = by_period["cogs"].mean()
        dos = avg_inv / (cogs_per_period / DAYS_PER_PERIOD.get(period_type, 30.4)) if cogs_per_period > 0 else np.nan
        turns = cogs_per_period * PERIODS_PER_YEAR.get(period_type, 12.0) / avg_inv if avg_inv > 0 else np.nan
        rows.append(_row("Inventory", "Days of supply", dos, "days", t.days_of_supply,
                         _status_low(dos, t.days_of_supply, t.days_of_supply_watch),
                         f"Average inventory {avg_inv:,.0f} {currency} at cost."))
        rows.append(_row("Inventory", "Inventory turns", turns, "per year", t.turns,
                         _status_high(turns, t.turns, t.turns_watch), "Cost of goods per year / average inventory."))
    else:
        text = missing_fin if financials is None or financials.empty else missing_plan
        rows.append(_row("Inventory", "Days of supply", None, "days", t.days_of_supply, "n/a", text))
        rows.append(_row("Inventory", "Inventory turns", None, "per year", t.turns, "n/a", text))

    # finance
    if has_fin_plan:
        revenue = financials["revenue"].sum()
        margin = financials["gross_margin"].sum()
        lost = financials["lost_revenue"].sum()
        margin_pct = margin / revenue * 100.0 if revenue else np.nan
        budget = financials["budget_revenue"].sum(min_count=1)
        if has_budget and budget and not np.isnan(budget):
            gap_pct = (revenue - budget) / budget * 100.0
            rows.append(_row("Finance", f"Revenue ({currency})", revenue, currency, budget,
                             _status_high(gap_pct, t.budget_gap, t.budget_gap_watch),
                             f"{gap_pct:+.1f}% vs budget ({revenue - budget:+,.0f} {currency})."))
            mask = financials["margin_gap"].notna()
            b_margin = (financials.loc[mask, "gross_margin"] - financials.loc[mask, "margin_gap"]).sum()
            b_revenue = financials.loc[mask, "budget_revenue"].sum()
            if mask.any() and b_revenue > 0:
                b_pct = b_margin / b_revenue * 100.0
                rows.append(_row("Finance", "Gross margin", margin_pct, "%", b_pct,
                                 _status_high(margin_pct - b_pct, t.margin_gap, t.margin_gap_watch),
                                 f"{margin:,.0f} {currency}; budget margin {b_pct:.1f}%."))
            else:
                rows.append(_row("Finance", "Gross margin", margin_pct, "%", None, "n/a",
                                 f"{margin:,.0f} {currency}; the Budget sheet has no margin to compare."))
        else:
            rows.append(_row("Finance", f"Revenue ({currency})", revenue, currency, None, "n/a",
                             "No budget to compare: fill the Budget sheet."))
            rows.append(_row("Finance", "Gross margin", margin_pct, "%", None, "n/a",
                             "No budget to compare: fill the Budget sheet."))
        rows.append(_row("Finance", f"Revenue lost ({currency})", lost, currency, 0.0,
                         "on track" if lost <= 0.005 * max(revenue, 1.0) else "watch" if lost <= 0.02 * revenue
                         else "off track", "Lost sales x price over the horizon."))
    else:
        text = missing_fin if financials is None or financials.empty else missing_plan
        for kpi, unit in ((f"Revenue ({currency})", currency), ("Gross margin", "%"),
                          (f"Revenue lost ({currency})", currency)):
            rows.append(_row("Finance", kpi, None, unit, None, "n/a", text))

    # scenarios
    if comparison is not None and not comparison.empty:
        ok = comparison[comparison["margin"].notna()]
        record = comparison[comparison["plan_of_record"].fillna(False).astype(bool)]
        name = record["scenario"].iloc[0] if len(record) else "Base"
        if len(ok):
            best = ok.loc[ok["margin"].astype(float).idxmax()]
            rows.append(_row("Scenarios", "Best scenario margin vs base", best["margin_vs_base"], currency, 0.0,
                             "on track" if best["scenario"] == name else "watch",
                             f"Best margin: {best['scenario']}; plan of record: {name}; "
                             f"{len(comparison) - 1} scenario(s) compared."))
    else:
        rows.append(_row("Scenarios", "Best scenario margin vs base", None, currency, 0.0, "n/a",
                         "No scenarios compared: fill the Scenarios sheet and run sop-xl scenarios."))
    return pd.DataFrame(rows, columns=COLUMNS)
