"""When production must start for the demand of a horizon: one rule for the plan model, the rough-cut
stage and the SOP_ROUGHCUT_LOAD worksheet function (no pulp here, so the function stays light)."""

from __future__ import annotations

import numpy as np


def post_horizon_demand(demand: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Items x periods: the demand that production started in period t serves when t + lead falls beyond
    the horizon (0 elsewhere). Demand after the horizon is taken as the last `lead` periods repeated, so
    the last periods keep starting what the periods after the horizon will need (no end-of-horizon
    collapse); the rough-cut uses the same figure."""
    n, periods = demand.shape
    out = np.zeros_like(demand, dtype=float)
    for i in range(n):
        k = int(lead[i])
        if k > 0:
            start = max(periods - k, 0)
            out[i, start:] = demand[i, start:]
    return out


def production_starts(demand: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Items x periods: the quantity whose production starts in each period. Each item's demand moves
    `lead` periods earlier (demand due inside the lead time is late already and starts nothing), and the
    last `lead` periods start what the periods after the horizon need (`post_horizon_demand`)."""
    demand = np.asarray(demand, dtype=float)
    lead = np.asarray(lead).astype(int)
    n = demand.shape[1]
    idx = np.arange(n)
    shifted = np.array([np.roll(row, -k) * (idx < n - k) if k else row for row, k in zip(demand, lead)],
                       dtype=float).reshape(demand.shape)
    return shifted + post_horizon_demand(demand, lead)
