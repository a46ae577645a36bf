"""Family totals and coherent SKU / family / total forecasts.

Three levels: total <- family <- SKU. A method forecasts one level and derives the others:
- bottom_up: forecast SKUs, families and total are their sums;
- top_down: forecast the total, split it to SKUs by historical proportions, families are sums;
- middle_out: forecast families, split each to its SKUs by historical proportions, total is the sum.
Proportions are those of the historical averages over the last `window` periods (Gross &
Sohl's method F), robust to SKUs with zeros. Interval bounds of a derived series are scaled
with its mean; a family keeps the interval width of its own statistical forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("bottom_up", "top_down", "middle_out", "none")
TOTAL = "Total"


def _bounds(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("yhat_lo_") or c.startswith("yhat_hi_")]


def aggregate(history: pd.DataFrame, families: pd.Series) -> pd.DataFrame:
    """Family histories (unique_id = family) from SKU histories; families maps unique_id -> family."""
    fam = history["unique_id"].map(families)
    return (history.assign(unique_id=fam).dropna(subset=["unique_id"])
            .groupby(["unique_id", "ds"], as_index=False)["y"].sum())


def proportions(history: pd.DataFrame, parent: pd.Series, window: int = 12) -> pd.Series:
    """Share of each unique_id in its parent over the last `window` periods of the history."""
    last = history["ds"].max()
    cut = np.sort(history["ds"].unique())[-window:][0] if window else history["ds"].min()
    recent = history[(history["ds"] >= cut) & (history["ds"] <= last)]
    avg = recent.groupby("unique_id")["y"].sum()
    avg = avg.reindex(parent.index, fill_value=0.0)
    par = parent.reindex(avg.index)
    totals = avg.groupby(par).transform("sum")
    counts = avg.groupby(par).transform("size")
    # a parent without recent demand splits evenly
    return pd.Series(np.where(totals > 0, avg / totals.where(totals > 0, 1.0), 1.0 / counts), index=avg.index)


def _scale_bounds(frame: pd.DataFrame, new_mean: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    old = out["yhat"].to_numpy(float)
    ratio = np.where(old > 0, new_mean / np.where(old > 0, old, 1.0), np.nan)
    for c in _bounds(out):
        v = out[c].to_numpy(float)
        # scale with the mean; where the old mean was zero, shift by the change instead
        out[c] = np.where(np.isfinite(ratio), v * np.nan_to_num(ratio, nan=1.0), v + (new_mean - old))
        out[c] = out[c].clip(lower=0)
    out["yhat"] = new_mean
    return out


def _sum_up(sku: pd.DataFrame, parent: pd.Series, own: pd.DataFrame | None) -> pd.DataFrame:
    """Parent forecasts as sums of children; bounds from the parent's own forecast re-centred
    when there is one (children's bounds do not add up), else summed (wide, conservative)."""
    agg = sku.assign(unique_id=sku["unique_id"].map(parent)).groupby(["unique_id", "ds"], as_index=False)
    summed = agg[["yhat", *_bounds(sku)]].sum()
    if own is None or own.empty:
        return summed
    merged = summed[["unique_id", "ds", "yhat"]].merge(own, on=["unique_id", "ds"], how="left",
                                                         suffixes=("", "_own"))
    for c in _bounds(own):
        width = merged[c] - merged["yhat_own"]
        merged[c] = (merged["yhat"] + width).clip(lower=0)
    missing = merged["yhat_own"].isna()
    if missing.any():
        fill = summed.set_index(["unique_id", "ds"])
        for c in _bounds(own):
            merged.loc[missing, c] = fill.loc[list(zip(merged.loc[missing, "unique_id"],
                                                       merged.loc[missing, "ds"])), c].to_numpy()
    return merged[["unique_id", "ds", "yhat", *_bounds(own)]]


def _split(parent_fc: pd.DataFrame, children: pd.DataFrame, parent: pd.Series, share: pd.Series) -> pd.DataFrame:
    p = children["unique_id"].map(parent)
    lookup = parent_fc.set_index(["unique_id", "ds"])["yhat"]
    top = lookup.reindex(list(zip(p, children["ds"]))).to_numpy(float)
    new = np.nan_to_num(top * children["unique_id"].map(share).to_numpy(float), nan=0.0)
    keep = np.isnan(top)  # child of a parent without a forecast keeps its own
    new = np.where(keep, children["yhat"].to_numpy(float), new)
    return _scale_bounds(children, new)


def reconcile(sku: pd.DataFrame, families: pd.Series, history: pd.DataFrame, method: str = "bottom_up", *,
              family_forecast: pd.DataFrame | None = None, total_forecast: pd.DataFrame | None = None,
              window: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coherent (sku, family) forecasts. `families` maps unique_id -> family; the family frame
    includes a row set for the total (unique_id = "Total")."""
    method = (method or "bottom_up").lower()
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation {method!r}; choose one of {', '.join(METHODS)}")
    sku = sku.copy()
    skus = sku["unique_id"].drop_duplicates()
    fam_of = families.reindex(skus.to_numpy()).fillna("(no family)")
    fam_of.index = skus.to_numpy()
    if method == "top_down":
        if total_forecast is None:
            raise ValueError("top_down needs a total forecast")
        to_total = pd.Series(TOTAL, index=fam_of.index)
        share = proportions(history, to_total, window)
        sku = _split(total_forecast.assign(unique_id=TOTAL), sku, to_total, share)
    elif method == "middle_out":
        if family_forecast is None:
            raise ValueError("middle_out needs family forecasts")
        share = proportions(history, fam_of, window)
        sku = _split(family_forecast, sku, fam_of, share)
    fam = _sum_up(sku, fam_of, family_forecast if method != "none" else None)
    if method == "none" and family_forecast is not None:
        fam = family_forecast[["unique_id", "ds", "yhat", *_bounds(family_forecast)]].copy()
    total_own = total_forecast.assign(unique_id=TOTAL) if total_forecast is not None else None
    tot = _sum_up(fam, pd.Series(TOTAL, index=fam["unique_id"].unique()), total_own)
    return sku, pd.concat([fam, tot], ignore_index=True)
