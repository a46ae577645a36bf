"""The action plan: findings seeded from the plan, owned and tracked by the team.

`seed_actions` turns the plan's tables into one action per finding (overtime, hiring,
shortage, overload, excess inventory, budget gap), each with a stable key
``category|subject`` — the same problem on the same resource or family keeps its key from
one run to the next even when its periods move. `merge_actions` lays the seeds over the
ActionPlan the team edited: their Owner, Due, Status and Comment win; a finding that is no
longer flagged stays when someone edited it (marked Still flagged = no) and goes otherwise;
rows the team added themselves always stay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import label
from .kpis import definitions, excess_families

COLUMNS = ["key", "category", "subject", "period", "finding", "suggested_action", "impact", "owner", "due",
           "status", "comment", "still_flagged"]
EDITABLE = ("owner", "due", "status", "comment")
OWNERS = {"overtime": "Operations", "hiring": "Operations", "layoffs": "Operations", "overload": "Operations",
          "shortage": "Sales", "excess_inventory": "Demand planning", "budget_gap": "Finance"}


def _action(category: str, subject: str, first: pd.Timestamp | None, finding: str, action: str, impact: float,
            period_type: str) -> dict:
    return dict(key=f"{category}|{subject}", category=category, subject=subject,
                period=label(first, period_type) if first is not None else "", finding=finding,
                suggested_action=action, impact=round(float(impact), 2), owner=OWNERS[category],
                due=first, status="open", comment=None, still_flagged=True)


def _periods(ds: pd.Series, period_type: str, limit: int = 4) -> str:
    labels = [label(d, period_type) for d in sorted(set(ds))]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def seed_actions(*, capacity: pd.DataFrame | None = None, workforce: pd.DataFrame | None = None,
                 roughcut: pd.DataFrame | None = None, supply_plan: pd.DataFrame | None = None,
                 financials: pd.DataFrame | None = None, overtime_cost: dict | None = None,
                 hire_cost: dict | None = None, period_type: str = "month", currency: str = "EUR") -> pd.DataFrame:
    """Findings of the plan as ActionPlan rows. Frames carry ``ds`` (period start) instead of labels.

    The due date is the first day of the first period concerned: the decision must be taken before.
    """
    rows: list[dict] = []
    overtime_cost = overtime_cost or {}
    hire_cost = hire_cost or {}
    _capacity_actions(rows, capacity, overtime_cost, period_type)
    _roughcut_actions(rows, roughcut, period_type)
    _workforce_actions(rows, workforce, hire_cost, period_type)
    _finance_actions(rows, financials, period_type, currency)
    rows.extend(_excess_inventory(financials, period_type))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.drop_duplicates("key").reset_index(drop=True)


def _capacity_actions(rows: list[dict], capacity, overtime_cost: dict, period_type: str) -> None:
    if capacity is not None and not capacity.empty:
        for resource, g in capacity[capacity["overtime_hours"] > 1e-6].groupby("resource", sort=False):
            hours = g["overtime_hours"].sum()
            rows.append(_action("overtime", resource, g["ds"].min(),
                                f"{resource} needs {hours:,.0f} overtime hours in {_periods(g['ds'], period_type)}.",
                                "Approve the overtime, or move load to another resource or subcontract.",
                                hours * overtime_cost.get(resource, 0.0), period_type))
        limit = capacity["regular_capacity"] + capacity["overtime_capacity"]
        full = capacity[(capacity["used_hours"] >= 0.999 * limit) & (capacity["used_hours"] > 0)]
        for resource, g in full.groupby("resource", sort=False):
            rows.append(_action("overload", resource, g["ds"].min(),
                                f"{resource} is fully loaded (regular + overtime) in {_periods(g['ds'], period_type)}; "
                                "the plan cannot absorb more demand there.",
                                "Add a shift, subcontract, or agree which demand to delay.", 0.0, period_type))


def _roughcut_actions(rows: list[dict], roughcut, period_type: str) -> None:
    if roughcut is not None and not roughcut.empty:
        over = roughcut[roughcut["status"] == "overload"]
        have = {r["key"] for r in rows}
        for resource, g in over.groupby("resource", sort=False):
            if f"overload|{resource}" in have:
                continue
            rows.append(_action("overload", resource, g["ds"].min(),
                                f"Demand loads {resource} beyond regular + overtime by "
                                f"{g['shortfall_hours'].sum():,.0f} hours in {_periods(g['ds'], period_type)} (rough cut).",
                                "Level the load (build ahead), add capacity, or agree which demand to delay.",
                                0.0, period_type))


def _workforce_actions(rows: list[dict], workforce, hire_cost: dict, period_type: str) -> None:
    if workforce is not None and not workforce.empty:
        for pool, g in workforce.groupby("pool", sort=False):
            hires = g[g["hires"] > 1e-6]
            if len(hires):
                n = hires["hires"].sum()
                rows.append(_action("hiring", pool, hires["ds"].min(),
                                    f"Hire {n:,.1f} people for {pool} ({_periods(hires['ds'], period_type)}).",
                                    "Start recruiting now: hires must be on board by the first period.",
                                    n * hire_cost.get(pool, 0.0), period_type))
            fires = g[g["layoffs"] > 1e-6]
            if len(fires):
                rows.append(_action("layoffs", pool, fires["ds"].min(),
                                    f"The plan reduces {pool} by {fires['layoffs'].sum():,.1f} people "
                                    f"({_periods(fires['ds'], period_type)}).",
                                    "Confirm with HR, or keep the people and build stock.", 0.0, period_type))


def _finance_actions(rows: list[dict], financials, period_type: str, currency: str) -> None:
    if financials is not None and not financials.empty and financials["revenue"].notna().any():
        short = financials[(financials["lost_units"].fillna(0) + financials["backlog_units"].fillna(0)) > 1e-6]
        for family, g in short.groupby("family", sort=False):
            lost, delayed = g["lost_revenue"].sum(), g["delayed_revenue"].max()
            rows.append(_action("shortage", family, g["period"].min(),
                                f"{family} is short in {_periods(g['period'], period_type)}: "
                                f"{g['lost_units'].sum():,.0f} units lost ({lost:,.0f} {currency}), up to "
                                f"{g['backlog_units'].max():,.0f} units backordered.",
                                "Agree allocation with key customers, or add capacity.",
                                lost + delayed, period_type))
        revenue_kpi = definitions()["revenue"]  # a family off track against budget, as the KPI judges it
        budget = financials.groupby("family").agg(revenue=("revenue", "sum"), budget=("budget_revenue", "sum"),
                                                  first=("period", "min"))
        budget = budget[budget["budget"] > 0]
        for family, b in budget.iterrows():
            gap = (b["revenue"] - b["budget"]) / b["budget"]
            if revenue_kpi.status(b["revenue"], b["budget"]) == "off track":
                rows.append(_action("budget_gap", family, b["first"],
                                    f"{family} revenue is {gap:+.1%} vs budget "
                                    f"({b['revenue'] - b['budget']:+,.0f} {currency}) over the horizon.",
                                    "Close the gap (promotion, price, capacity) or re-forecast the budget.",
                                    b["budget"] - b["revenue"], period_type))


def _excess_inventory(financials: pd.DataFrame | None, period_type: str) -> list[dict]:
    """A family whose days of supply miss the Days-of-supply KPI's target (the KPI's own rule)."""
    excess = excess_families(financials, period_type)
    kpi = definitions()["days_of_supply"]
    rows = []
    for family, days in excess.items():
        g = financials[financials["family"] == family]
        peak = g.loc[g["inventory_value"].idxmax()]
        rows.append(_action("excess_inventory", family, g["period"].min(),
                            f"{family} holds {days:,.0f} days of supply on average (target at most "
                            f"{kpi.target:,.0f}); peak inventory {peak['inventory_units']:,.0f} units in "
                            f"{label(peak['period'], period_type)}.",
                            "Check the build-ahead; slow production or push sales.",
                            float(g["inventory_value"].mean()), period_type))
    return rows


def merge_actions(seeded: pd.DataFrame, existing: pd.DataFrame | None) -> pd.DataFrame:
    """The new ActionPlan: seeds with the team's edits laid over, plus edited and hand-made rows."""
    seeded = seeded.reindex(columns=COLUMNS).copy()
    if existing is None or existing.empty:
        return seeded
    old = existing.reindex(columns=COLUMNS).copy()
    old["key"] = old["key"].map(lambda k: None if k is None or (isinstance(k, float) and np.isnan(k))
                                else str(k).strip())
    old = old[old["key"].notna() & (old["key"] != "")].drop_duplicates("key")
    by_key = old.set_index("key")
    seeded_keys = set(seeded["key"])
    for i, row in seeded.iterrows():
        if row["key"] in by_key.index:
            prev = by_key.loc[row["key"]]
            for col in EDITABLE:
                value = prev[col]
                if not _blank(value):
                    seeded.at[i, col] = value
    kept = []
    for key, prev in by_key.iterrows():
        if key in seeded_keys:
            continue
        category = str(prev["category"]) if not _blank(prev["category"]) else ""
        hand_made = category not in OWNERS
        if hand_made or _edited(prev, category):
            row = prev.to_dict()
            row["key"] = key
            row["still_flagged"] = None if hand_made else False
            kept.append(row)
    if kept:
        extra = pd.DataFrame(kept, columns=COLUMNS)
        seeded = extra if seeded.empty else pd.concat([seeded.astype(object), extra.astype(object)],
                                                      ignore_index=True)
        seeded["impact"] = pd.to_numeric(seeded["impact"], errors="coerce")
    return seeded


def _edited(row: pd.Series, category: str) -> bool:
    """True when the team changed a row away from how it was seeded."""
    if not _blank(row["comment"]):
        return True
    if not _blank(row["status"]) and str(row["status"]).strip().lower() != "open":
        return True
    if not _blank(row["owner"]) and str(row["owner"]) != OWNERS.get(category):
        return True
    period = row.get("period")
    if not _blank(row["due"]) and not _blank(period):
        from ..periods import parse_period, type_of_label
        seeded_due = parse_period(period, type_of_label(period))
        if seeded_due is not None and pd.Timestamp(row["due"]).normalize() != seeded_due:
            return True
    return False


def _blank(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
