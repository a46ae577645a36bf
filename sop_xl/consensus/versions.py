"""Plans of record: snapshots of closed cycles, what changed since the last one, and whether the
consensus beat the statistical forecast and seasonal naive once actuals arrived (FVA).

Pure: long frames in, tables of the Versions, ChangeReport and ForecastValueAdded sheets out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import periods
from ..contract.consensus import CHANGE_REPORT, FORECAST_VALUE_ADDED, VERSIONS


def snapshot(cycle: str, closed_at: str, consensus: pd.DataFrame, supply: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """Versions rows of one cycle. consensus: sku, family, period, statistical, final;
    supply (optional): sku, period, value."""
    parts = []
    for plan, column in (("consensus", "final"), ("statistical", "statistical")):
        part = consensus[["sku", "family", "period", column]].rename(columns={column: "value"})
        part.insert(0, "plan", plan)
        parts.append(part)
    if supply is not None and not supply.empty:
        family = consensus.drop_duplicates("sku").set_index("sku")["family"]
        part = supply[["sku", "period", "value"]].copy()
        part["family"] = part["sku"].map(family).fillna("")
        part.insert(0, "plan", "supply")
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "closed_at", closed_at)
    out.insert(0, "cycle", cycle)
    out["period"] = pd.to_datetime(out["period"])
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    return out[VERSIONS.column_names()]


def add_snapshot(versions: pd.DataFrame, snap: pd.DataFrame) -> pd.DataFrame:
    """Append a cycle's snapshot; closing the same cycle again replaces its rows."""
    cycles = set(snap["cycle"])
    kept = versions[~versions["cycle"].isin(cycles)] if not versions.empty else versions
    frames = [f for f in (kept.reset_index(drop=True), snap) if not f.empty]
    out = pd.concat(frames, ignore_index=True) if frames else snap
    out["period"] = pd.to_datetime(out["period"])
    return out[VERSIONS.column_names()].reset_index(drop=True)


def cycles(versions: pd.DataFrame) -> list[str]:
    """Closed cycles in the order they were closed."""
    if versions.empty:
        return []
    return list(dict.fromkeys(str(c) for c in versions["cycle"].dropna()))


def previous_cycle(versions: pd.DataFrame, cycle: str) -> str | None:
    earlier = [c for c in cycles(versions) if c != cycle]
    return earlier[-1] if earlier else None


def plan_of(versions: pd.DataFrame, cycle: str, plan: str = "consensus") -> pd.DataFrame:
    """sku, family, ds, value of one plan of one closed cycle."""
    rows = versions[(versions["cycle"] == cycle) & (versions["plan"] == plan)]
    return rows[["sku", "family", "period", "value"]].rename(columns={"period": "ds"}).reset_index(drop=True)


def change_report(current: pd.DataFrame, versions: pd.DataFrame, cycle: str, *, period_type: str,
                  top: int = 10) -> pd.DataFrame:
    """This cycle's consensus (sku, family, period, final) against the last closed cycle's."""
    before = previous_cycle(versions, cycle)
    if before is None:
        return pd.DataFrame(columns=CHANGE_REPORT.column_names())
    old = plan_of(versions, before)
    now = current[["sku", "family", "period", "final"]].rename(columns={"period": "ds", "final": "current"})
    both = now.merge(old.rename(columns={"value": "previous"})[["sku", "ds", "previous"]], on=["sku", "ds"],
                     how="inner")
    if both.empty:
        return pd.DataFrame(columns=CHANGE_REPORT.column_names())
    fam = both.groupby(["family", "ds"], as_index=False)[["previous", "current"]].sum()
    fam["section"], fam["sku"] = "family", ""
    fam["period"] = periods.labels(fam["ds"], period_type)
    movers = both.groupby(["sku", "family"], as_index=False)[["previous", "current"]].sum()
    movers["change"] = movers["current"] - movers["previous"]
    movers = movers.reindex(movers["change"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    movers["section"], movers["period"] = "mover", ""
    out = pd.concat([fam, movers], ignore_index=True)
    out["change"] = out["current"] - out["previous"]
    out["change_pct"] = np.where(out["previous"] != 0, out["change"] / out["previous"].where(out["previous"] != 0),
                                 np.nan)
    out["compared_with"] = before
    return out[CHANGE_REPORT.column_names()].reset_index(drop=True)


def seasonal_naive(actuals: pd.DataFrame, origin: pd.Timestamp, targets: pd.DataFrame, *, season_length: int,
                   period_type: str) -> pd.Series:
    """What seasonal naive would have said at `origin` for each (sku, ds) of `targets`: the last
    actual of the same season before the origin."""
    y = actuals.dropna(subset=["y"]).set_index(["sku", "ds"])["y"]
    values = []
    for sku, ds in zip(targets["sku"], targets["ds"]):
        ahead = periods.periods_between(origin, ds, period_type)
        back = season_length * (ahead // season_length + 1)
        values.append(y.get((sku, periods.shift(ds, -back, period_type)), math.nan))
    return pd.Series(values, index=targets.index, dtype="float64")


def _wape(forecast: pd.Series, actual: pd.Series) -> float:
    mask = forecast.notna() & actual.notna()
    total = float(actual[mask].sum())
    if not mask.any() or total <= 0:
        return math.nan
    return float((forecast[mask] - actual[mask]).abs().sum()) / total


def forecast_value_added(versions: pd.DataFrame, actuals: pd.DataFrame, *, season_length: int,
                         period_type: str) -> pd.DataFrame:
    """Per closed cycle (and family): WAPE of seasonal naive, statistical and consensus on the
    periods that have actuals now, and the consensus' value added over both.

    actuals: long sku, ds, y (DemandHistory)."""
    rows = []
    known = actuals.dropna(subset=["y"])
    for cycle in cycles(versions):
        cons = plan_of(versions, cycle, "consensus").rename(columns={"value": "consensus"})
        stat = plan_of(versions, cycle, "statistical").rename(columns={"value": "statistical"})
        if cons.empty:
            continue
        origin = cons["ds"].min()
        data = cons.merge(stat[["sku", "ds", "statistical"]], on=["sku", "ds"], how="left")
        data = data.merge(known[["sku", "ds", "y"]], on=["sku", "ds"], how="inner")
        if data.empty:
            continue
        data["naive"] = seasonal_naive(actuals, origin, data, season_length=season_length,
                                       period_type=period_type)
        for family, part in [("All", data), *sorted(data.groupby("family"))]:
            w_naive, w_stat, w_cons = (_wape(part[c], part["y"]) for c in ("naive", "statistical", "consensus"))
            rows.append(dict(cycle=cycle, family=family, points=len(part), actual=float(part["y"].sum()),
                             wape_naive=w_naive, wape_statistical=w_stat, wape_consensus=w_cons,
                             fva_vs_statistical=w_stat - w_cons, fva_vs_naive=w_naive - w_cons))
    frame = pd.DataFrame(rows, columns=FORECAST_VALUE_ADDED.column_names())
    frame["points"] = frame["points"].astype("Int64")
    return frame
