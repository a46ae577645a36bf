"""Rough-cut capacity check: the load demand puts on each resource, before any optimisation.

Load = demand x hours per unit (plus nothing for setups: lots are not known yet), in the
period production must start: the demand's period less the item's lead time. Labour
pools offer their opening headcount's hours. A period is ``ok`` when the load fits regular
hours, ``overtime`` when it needs overtime, and ``overload`` when even overtime is not enough.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import PlanData
from .horizon import production_starts


def rough_cut(data: PlanData) -> pd.DataFrame:
    periods = list(data.periods)
    demand = data.demand.reindex(columns=periods).fillna(0.0)
    if data.receipts is not None:  # units already in production or on order need no more hours
        demand = (demand - data.receipts.reindex(index=demand.index, columns=periods).fillna(0.0)).clip(lower=0.0)
    lead = data.items["lead_time"].fillna(0).astype(int).reindex(demand.index).fillna(0).astype(int)
    if (lead > 0).any():  # production starts `lead` periods before the demand (the plan's own rule)
        demand = pd.DataFrame(production_starts(demand.to_numpy(float), lead.to_numpy()),
                              index=demand.index, columns=periods)
    hours = data.routing.pivot_table(index="item", columns="resource", values="hours_per_unit", aggfunc="sum")
    hours = hours.reindex(index=demand.index, columns=data.resources.index).fillna(0.0)
    load = hours.T.to_numpy() @ demand.to_numpy()  # resources x periods
    rows = []
    for r, (resource, res) in enumerate(data.resources.iterrows()):
        for t, lab in enumerate(data.labels):
            if bool(res["is_labour"]):
                w = data.workforce.loc[resource]
                regular = float(w["initial_headcount"] * w["hours_per_worker"])
                overtime = float(w["initial_headcount"] * w["overtime_hours_per_worker"])
            else:
                cap = data.capacity.loc[(resource, periods[t])]
                regular, overtime = float(cap["regular"]), float(cap["overtime"])
            rows.append((resource, res["kind"], lab, float(load[r, t]), regular, overtime))
    frame = pd.DataFrame(rows, columns=["resource", "kind", "period", "load_hours", "regular_capacity",
                                        "overtime_capacity"])
    regular = frame["regular_capacity"].where(frame["regular_capacity"] > 0)
    frame["utilisation"] = frame["load_hours"] / regular
    over = frame["load_hours"] - frame["regular_capacity"]
    beyond = over - frame["overtime_capacity"]
    tol = 1e-9 * np.maximum(frame["regular_capacity"], 1.0)
    frame["overtime_needed"] = over.clip(lower=0.0)
    frame["shortfall_hours"] = beyond.clip(lower=0.0).where(beyond > tol, 0.0)
    frame["status"] = np.select([beyond > tol, over > tol], ["overload", "overtime"], "ok")
    return frame
