"""Small plans built from the contract's frames: one item, one resource unless a test says more."""

from __future__ import annotations

import pandas as pd

from sop_xl.plan import PlanSettings, build_plan_data, solve_plan

START = pd.Timestamp("2027-01-01")


def demand_frame(per_item: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for sku, values in per_item.items():
        for t, q in enumerate(values):
            rows.append({"sku": sku, "ds": START + pd.DateOffset(months=t), "demand": q})
    return pd.DataFrame(rows)


def case(demand: dict[str, list[float]] | list[float], *, items: list[dict] | None = None,
         resources: list[dict] | None = None, routing: list[dict] | None = None, workforce: list[dict] | None = None,
         inventory: list[dict] | None = None, calendar: list[dict] | None = None, **settings) -> dict:
    """Keyword arguments for build_plan_data; defaults: SKU A, machine M (100 h, 1 h/unit), unit cost 10."""
    if isinstance(demand, list):
        demand = {"A": demand}
    horizon = max(len(v) for v in demand.values())
    items = items or [dict(sku=s, family="F", unit_cost=10.0, holding_cost=0.0, backorder_cost=1.0,
                           safety_stock_rule="none") for s in demand]
    resources = resources if resources is not None else [dict(resource="M", regular_capacity=100.0)]
    routing = routing if routing is not None else [dict(item=i["sku"], resource="M", hours_per_unit=1.0)
                                                   for i in items]
    plan_settings = PlanSettings(first_period=START, horizon=horizon).with_(**settings)
    return dict(items=pd.DataFrame(items), resources=pd.DataFrame(resources), routing=pd.DataFrame(routing),
                demand=demand_frame(demand), settings=plan_settings,
                workforce=pd.DataFrame(workforce) if workforce else None,
                inventory=pd.DataFrame(inventory) if inventory else None,
                calendar=pd.DataFrame(calendar) if calendar else None)


def data_of(**kwargs):
    data, issues = build_plan_data(**kwargs)
    assert data is not None, [str(i) for i in issues]
    return data


def solved(solver: str = "highs", **kwargs):
    return solve_plan(data_of(**kwargs), solver=solver)


def column(result, table: str, name: str, key: str | None = None) -> list[float]:
    frame = getattr(result, table)
    if key is not None:
        frame = frame[frame.iloc[:, 0] == key]
    return [round(float(x), 4) + 0.0 for x in frame[name]]


__all__ = ["case", "data_of", "solved", "column", "START"]
