"""The long frame `unique_id, ds, y` is checked once here, then series become arrays.

Dates anywhere inside a period count for that period (a 15th of March is March), duplicate
rows of a period are added up, and every series spans its periods without holes (NaN
where a period is missing; cleansing decides what that means).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# period type -> pandas Period frequency (weeks start on Monday, as in sop_xl.periods)
PERIOD_FREQ = {"month": "M", "week": "W-SUN", "quarter": "Q", "day": "D"}
_ALIASES = {"MS": "month", "M": "month", "ME": "month", "month": "month", "W": "week", "W-MON": "week",
            "week": "week", "QS": "quarter", "Q": "quarter", "quarter": "quarter", "D": "day", "day": "day"}


@dataclass
class Panel:
    period_type: str
    ids: list                # unique_id per series
    starts: list[pd.Period]  # first period of each series
    values: list[np.ndarray]  # one array per series, NaN for missing periods


def period_type_of(freq: str | None, ds: pd.Series) -> str:
    if freq:
        key = _ALIASES.get(freq) or _ALIASES.get(str(freq).upper())
        if key is None:
            raise ValueError(f"unknown freq {freq!r}; use one of month/MS, week/W, quarter/QS, day/D")
        return key
    d = pd.Series(pd.to_datetime(ds).unique()).sort_values().diff().dt.days.dropna()
    if d.empty:
        return "month"
    step = d.median()
    if step <= 1.5:
        return "day"
    if step <= 10:
        return "week"
    if step <= 45:
        return "month"
    return "quarter"


def check(history: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(history, pd.DataFrame):
        raise TypeError("history must be a pandas DataFrame with columns unique_id, ds, y")
    missing = [c for c in ("unique_id", "ds", "y") if c not in history.columns]
    if missing:
        raise ValueError(f"history needs the columns unique_id, ds, y; missing: {', '.join(missing)}")
    frame = history[["unique_id", "ds", "y"]].copy()
    frame["ds"] = pd.to_datetime(frame["ds"], errors="coerce")
    bad = frame["ds"].isna()
    if bad.any():
        raise ValueError(f"{int(bad.sum())} row(s) of history have a ds that is not a date "
                         f"(first: unique_id {frame.loc[bad, 'unique_id'].iloc[0]!r})")
    frame["y"] = pd.to_numeric(frame["y"], errors="coerce").astype(float)
    frame["y"] = frame["y"].where(np.isfinite(frame["y"]))
    return frame


def to_panel(history: pd.DataFrame, freq: str | None = None) -> Panel:
    frame = check(history)
    ptype = period_type_of(freq, frame["ds"])
    frame["period"] = frame["ds"].dt.to_period(PERIOD_FREQ[ptype])
    # a period where every value is blank stays NaN (missing), not 0
    agg = frame.groupby(["unique_id", "period"], sort=True, observed=True)["y"].sum(min_count=1).reset_index()
    ids, starts, values = [], [], []
    for uid, g in agg.groupby("unique_id", sort=True):
        ords = g["period"].array.asi8 if hasattr(g["period"].array, "asi8") else \
            np.array([p.ordinal for p in g["period"]])
        lo = int(ords.min())
        arr = np.full(int(ords.max()) - lo + 1, np.nan)
        arr[ords - lo] = g["y"].to_numpy()
        ids.append(uid)
        starts.append(g["period"].iloc[0])
        values.append(arr)
    return Panel(ptype, ids, starts, values)


def period_starts(start: pd.Period, n: int) -> pd.DatetimeIndex:
    """Timestamps of the period starts (the `ds` convention) of n periods from `start`."""
    return pd.period_range(start, periods=n).to_timestamp(how="start")
