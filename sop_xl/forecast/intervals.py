"""Prediction intervals calibrated on nested backtest errors, the same way for every method.

Nested: the errors that calibrate come from windows that did not choose the method. For every
backtest window the selection is redone on the other windows, and the error of what that
selection picks on the left-out window is kept (`select.select_block`, `Outcome.nested`). So the
intervals price in the chance of picking the wrong method, as the final forecast does.

For each pool of similar series (plain / seasonal / sparse / sparse seasonal) the signed errors
(actual - forecast) are divided by the series' own nested MAE measured on its OTHER windows, over
periods the window does not forecast itself (so the scale is as uncertain as it will be on new
data). Each side (actual below / above the forecast) gets its own growth with the step ahead k,
and the (1-L)/2 and (1+L)/2 quantiles of the errors divided by that growth give each bound a
power law, q(k) = c * k^b. The band at level L for a series is then

    forecast + q_lo(k) * MAE_series  ..  forecast + q_hi(k) * MAE_series

asymmetric when the errors are (positive, skewed demand), and the lower bound never below zero.

Empirical coverage is measured by two-fold cross-validation over SERIES (quantiles from one half
of the series, coverage counted on the other half), never over cells of the same series.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

_MIN_POINTS = 30  # fewer normalised errors than this in a pool: use all pools together


@dataclass(frozen=True)
class Band:
    """Per level, the lower and upper bound in units of a series' error scale as power laws of the
    step ahead k: q(k) = c * k^b, one (c, b) per bound (the two sides grow differently)."""
    quantiles: dict[int, tuple[tuple[float, float], tuple[float, float]]]  # level -> ((c_lo, b_lo), (c_hi, b_hi))

    def limits(self, level, k) -> tuple[np.ndarray, np.ndarray]:
        (c_lo, b_lo), (c_hi, b_hi) = self.quantiles[int(level)]
        k = np.asarray(k, float)
        return c_lo * k ** b_lo, c_hi * k ** b_hi


def series_scale(errors: np.ndarray | None, fallback: float) -> float:
    """Mean absolute nested backtest error of one series; `fallback` (the MASE scale) when unknown or 0."""
    if errors is None:
        return fallback
    e = np.abs(np.asarray(errors, float))
    e = e[np.isfinite(e)]
    s = float(e.mean()) if len(e) >= 3 else 0.0
    return s if s > 0 else fallback


def window_scales(e: np.ndarray, origins, fallback: float) -> np.ndarray:
    """The scale each backtest window's errors are divided by: the MAE of the series' OTHER windows,
    over the periods window j does not forecast (windows overlap by half a horizon; a period both
    forecast shares its surprise, so counting it would make the scale follow the error it scales
    and the normalised errors look tighter than new data will be). `fallback` (the series' scale over
    all windows) when fewer than 3 such cells or a mean below 1 % of it: other windows forecast
    perfectly (zeros on zeros, to rounding dust) would turn one window's ordinary error into a
    million-sigma event. Without origins, periods are not known and every other cell counts."""
    a = np.abs(e)
    w, hb = e.shape
    periods = (np.asarray(origins, float)[:w, None] + np.arange(hb)) if origins is not None and len(origins) >= w \
        else None
    out = np.full(w, float(fallback))
    for j in range(w):
        keep = np.ones((w, hb), bool)
        keep[j] = False
        if periods is not None:   # window j forecasts the periods origin_j .. origin_j + hb - 1
            keep &= (periods < periods[j, 0]) | (periods > periods[j, -1])
        others = a[keep]
        others = others[np.isfinite(others)]
        if others.size >= 3 and others.mean() > 0.01 * fallback:
            out[j] = float(others.mean())
    return out


def _points(errors: list, scales: np.ndarray, origins: list | None = None):
    """(normalised signed error, step k, series number) of every backtest cell, each window's errors
    divided by its `window_scales`."""
    z, k, sid = [], [], []
    for i, e in enumerate(errors):
        if e is None:
            continue
        e = np.atleast_2d(np.asarray(e, float))
        w, hb = e.shape
        s = window_scales(e, origins[i] if origins is not None else None, scales[i])
        z.append((e / s[:, None]).ravel())
        k.append(np.tile(np.arange(1, hb + 1), w))
        sid.append(np.full(w * hb, i))
    if not z:
        return (np.zeros(0),) * 3
    z, k, sid = (np.concatenate(x) for x in (z, k, sid))
    ok = np.isfinite(z)
    return z[ok], k[ok], sid[ok]


def _growth(v: np.ndarray, k: np.ndarray) -> float:
    """How the typical size of positive values v grows with the step ahead k: the slope of
    log(median v at step k) on log k, in 0..1 (0.5, random-walk growth, when it cannot be measured)."""
    steps = np.unique(k)
    if len(steps) < 3:
        return 0.5
    med = np.array([np.median(v[k == s]) if np.any(k == s) else 0.0 for s in steps])
    ok = med > 0
    if ok.sum() < 3:
        return 0.5
    return float(np.clip(np.polyfit(np.log(steps[ok]), np.log(med[ok]), 1)[0], 0.0, 1.0))


def fit_band(z: np.ndarray, k: np.ndarray, levels) -> Band:
    """Each side of the errors (actual below / above the forecast) gets its own growth with the step
    ahead, b = `_growth` of its absolute errors; the bound is then the pooled quantile of z / k^b over
    all steps (stable with few series), q(k) = c * k^b. One growth for both sides made the first
    steps' lower bound 20-35 % too narrow on M1 and aus_retail training windows."""
    q = {}
    if not len(z):
        return default_band(levels)
    below, above = z < 0, z > 0
    b_lo = _growth(-z[below], k[below]) if below.sum() >= 3 else 0.5
    b_hi = _growth(z[above], k[above]) if above.sum() >= 3 else 0.5
    for lv in levels:
        c_lo = float(np.quantile(z / k ** b_lo, 0.5 - lv / 200))
        c_hi = float(np.quantile(z / k ** b_hi, 0.5 + lv / 200))
        q[int(lv)] = ((min(c_lo, 0.0), b_lo), (max(c_hi, 0.0), b_hi))
    return Band(q)


def _flat(lo_hi: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    return (lo_hi[0], 0.5), (lo_hi[1], 0.5)


def calibrate(errors: list, scales: np.ndarray, pools: list[str], levels,
              origins: list | None = None) -> tuple[dict[str, Band], pd.DataFrame]:
    """Bands per pool from signed nested errors (actual - forecast), and the coverage per pool and
    level cross-validated over series. origins: per series, the backtest windows' start periods."""
    z, k, sid = _points(errors, scales, origins)
    pools = np.asarray(pools, dtype=object)
    everyone = fit_band(z, k, levels) if len(z) else default_band(levels)
    bands, rows = {}, []
    for pool in sorted(set(pools.tolist())):
        mask = pools[sid] == pool if len(z) else np.zeros(0, bool)
        zp, kp = z[mask], k[mask]
        bands[pool] = fit_band(zp, kp, levels) if len(zp) >= _MIN_POINTS else everyone
        fold = np.unique(sid[mask], return_inverse=True)[1] % 2 if mask.any() else np.zeros(0, int)
        for lv in levels:
            hits, total = 0, 0
            for f in (0, 1):
                train, test = fold != f, fold == f
                if train.sum() < _MIN_POINTS or not test.any():
                    continue
                lo, hi = fit_band(zp[train], kp[train], (lv,)).limits(lv, kp[test])
                hits += int(((zp[test] >= lo) & (zp[test] <= hi)).sum())
                total += int(test.sum())
            rows.append({"pool": pool, "level": int(lv), "coverage": 100 * hits / total if total else np.nan,
                         "points": int(len(zp))})
    return bands, pd.DataFrame(rows, columns=["pool", "level", "coverage", "points"])


def normal_quantiles(level) -> tuple[float, float]:
    q = NormalDist().inv_cdf(0.5 + level / 200) * 1.25  # MAE -> sd (sqrt(pi/2))
    return -q, q


def default_band(levels) -> Band:
    return Band({int(lv): _flat(normal_quantiles(lv)) for lv in levels})


def bounds(mean: np.ndarray, scale: float, band: Band, level: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of the band around `mean` (lower never below zero, never above the mean)."""
    k = np.arange(1, len(mean) + 1)
    q_lo, q_hi = band.limits(level, k)
    lo, hi = mean + q_lo * scale, mean + q_hi * scale
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        q_lo, q_hi = normal_quantiles(level)
        lo, hi = mean + q_lo * scale * np.sqrt(k), mean + q_hi * scale * np.sqrt(k)
    return np.clip(lo, 0.0, np.maximum(mean, 0.0)), np.maximum(hi, mean)


# ---------------------------------------------------------------- forecast error over a lead time

SAFETY_STOCK_FORMULA = (
    "safety stock = z(service level) x sigma_LT, sigma_LT = root mean square of the forecast error summed over "
    "the 1 + lead time periods after an origin, measured on the nested backtest windows (pooled per kind of "
    "series, in units of the SKU's own backtest error); source: Silver, Pyke & Thomas, Inventory and "
    "Production Management in Supply Chains (4th ed., 2017): size safety stock by the standard deviation of "
    "forecast errors over the replenishment lead time, not of demand")


def lead_error_profile(errors: list, scales: np.ndarray, pools: list[str], h: int,
                       origins: list | None = None) -> dict[str, np.ndarray]:
    """Per pool, (2, h): row 0 the RMS of the k-step error, row 1 the RMS of the error summed over
    steps 1..k, both in units of a series' nested MAE: sqrt(sum of squared errors / sum of squared
    scales) over the pool, the scale of a window being its `window_scales` (a ratio
    of sums, so a series with a tiny scale cannot blow the pool up). Steps beyond the backtest are
    extrapolated with the growth fitted on the steps measured."""
    rows: dict[str, list[tuple[np.ndarray, float]]] = {}
    for i, e in enumerate(errors):
        if e is None:
            continue
        e = np.atleast_2d(np.asarray(e, float))
        for row, s in zip(e, window_scales(e, origins[i] if origins is not None else None, scales[i])):
            rows.setdefault(pools[i], []).append((row, s))
    everyone = [r for rs in rows.values() for r in rs]
    out = {}
    for pool in set(pools) | {"*"}:
        rs = rows.get(pool, []) if pool != "*" else everyone
        if sum(len(r) for r, _ in rs) < _MIN_POINTS:
            rs = everyone
        out[pool] = _profile(rs, h)
    return out


def _profile(rs: list[tuple[np.ndarray, float]], h: int) -> np.ndarray:
    k = np.arange(1, h + 1)
    if not rs:
        return np.vstack([1.25 * k ** 0.0, 1.25 * np.sqrt(k)])  # MAE -> sd, random-walk growth
    width = max(len(r) for r, _ in rs)
    z = np.full((len(rs), width), np.nan)
    s2 = np.array([s * s for _, s in rs])
    for n, (r, _) in enumerate(rs):
        z[n, :len(r)] = r
    prof = []
    for mat in (z, np.cumsum(z, axis=1)):
        ok = np.isfinite(mat)
        rms = np.sqrt(np.where(ok, mat ** 2, 0).sum(axis=0) / np.maximum((ok * s2[:, None]).sum(axis=0), 1e-300))
        rms[~ok.any(axis=0)] = np.nan
        known = np.isfinite(rms) & (rms > 0)
        full = np.full(h, np.nan)
        m = min(h, width)
        full[:m] = rms[:m]
        kk = np.arange(1, width + 1)[known]
        if known.sum() >= 2:
            slope = float(np.clip(np.polyfit(np.log(kk), np.log(rms[known]), 1)[0], 0.0, 1.5))
        else:
            slope = 0.5
        last = kk[-1] if len(kk) else 1
        base = rms[last - 1] if len(kk) else 1.25
        fill = ~np.isfinite(full) | (k > last)
        full[fill] = base * (k[fill] / last) ** slope
        prof.append(full)
    return np.vstack(prof)


def lead_time_sigma(errors: pd.DataFrame, lead_time: pd.Series) -> pd.Series:
    """Per SKU, sigma_LT: the `lead_error_std` at step 1 + lead time (periods), i.e. the RMS of the
    forecast error summed over the lead time plus one review period (see SAFETY_STOCK_FORMULA).

    errors: sku, step, lead_error_std (one row per SKU and step, any extra columns ignored);
    lead_time: periods per SKU (index sku; missing -> 0). A lead time beyond the steps written
    takes the last step's value grown like the square root of time."""
    e = errors.dropna(subset=["sku", "step", "lead_error_std"]).astype({"step": int})
    e = e.drop_duplicates(["sku", "step"]).set_index(["sku", "step"])["lead_error_std"]
    out = {}
    for sku, by_step in e.groupby(level=0):
        by_step = by_step.droplevel(0).sort_index()
        want = 1 + int(max(0, lead_time.get(sku, 0) if pd.notna(lead_time.get(sku, 0)) else 0))
        if want in by_step.index:
            out[sku] = float(by_step[want])
        else:
            last = int(by_step.index.max())
            out[sku] = float(by_step[last] * np.sqrt(want / last))
    return pd.Series(out, dtype=float)
