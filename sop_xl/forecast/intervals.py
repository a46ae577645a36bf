"""Prediction intervals calibrated on backtest errors, the same way for every method.

For each pool of similar series (smooth / seasonal / sparse) the backtest errors of the
chosen methods are divided by each series' own backtest MAE and by k^p, where k is the
step ahead and p (0..1) is fitted to how the median error grows with k. The half-width at
level L for a series is then  q_L * MAE_series * k^p,  with q_L the L-quantile of those
normalised errors. Lower bounds stop at zero (demand).

Empirical coverage is measured honestly by two-fold cross-validation over the backtest
cells (series x window): quantiles from one half, coverage counted on the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_MIN_POINTS = 30  # fewer normalised errors than this in a pool: use all pools together


@dataclass(frozen=True)
class Band:
    power: float                 # growth exponent p of the error with the step ahead
    quantiles: dict[int, float]  # level -> q


def series_scale(actual: np.ndarray | None, fitted: np.ndarray | None, fallback: float) -> float:
    if actual is None or fitted is None:
        return fallback
    e = np.abs(np.asarray(fitted) - np.asarray(actual))
    e = e[np.isfinite(e)]
    s = float(e.mean()) if len(e) >= 3 else 0.0
    return s if s > 0 else fallback


def _points(errors: list[np.ndarray], scales: np.ndarray):
    """(normalised |error|, step k, series number, window number) of every backtest cell."""
    z, k, sid, wid = [], [], [], []
    for i, e in enumerate(errors):
        if e is None:
            continue
        e = np.abs(np.atleast_2d(e)) / scales[i]
        w, hb = e.shape
        z.append(e.ravel())
        k.append(np.tile(np.arange(1, hb + 1), w))
        sid.append(np.full(e.size, i))
        wid.append(np.repeat(np.arange(w), hb))
    if not z:
        return (np.zeros(0),) * 4
    z, k, sid, wid = (np.concatenate(a) for a in (z, k, sid, wid))
    ok = np.isfinite(z)
    return z[ok], k[ok], sid[ok], wid[ok]


def fit_band(z: np.ndarray, k: np.ndarray, levels) -> Band:
    power = 0.5
    steps = np.unique(k)
    if len(steps) >= 3:
        med = np.array([np.median(z[k == s]) for s in steps])
        ok = med > 0
        if ok.sum() >= 3:
            power = float(np.clip(np.polyfit(np.log(steps[ok]), np.log(med[ok]), 1)[0], 0.0, 1.0))
    u = z / k ** power
    q = {int(lv): float(np.quantile(u, lv / 100)) if len(u) else np.nan for lv in levels}
    return Band(power, q)


def calibrate(errors: list, scales: np.ndarray, pools: list[str], levels) -> tuple[dict[str, Band], pd.DataFrame]:
    """Bands per pool, and the cross-validated empirical coverage per pool and level."""
    z, k, sid, wid = _points(errors, scales)
    pools = np.asarray(pools, dtype=object)
    everyone = fit_band(z, k, levels) if len(z) else Band(0.5, {int(lv): _normal_q(lv) for lv in levels})
    bands, rows = {}, []
    for pool in sorted(set(pools.tolist())):
        mask = pools[sid] == pool if len(z) else np.zeros(0, bool)
        zp, kp = z[mask], k[mask]
        bands[pool] = fit_band(zp, kp, levels) if len(zp) >= _MIN_POINTS else everyone
        fold = (sid[mask] + wid[mask]) % 2
        for lv in levels:
            hits, total = 0, 0
            for f in (0, 1):
                train, test = fold != f, fold == f
                if train.sum() < _MIN_POINTS or not test.any():
                    continue
                band = fit_band(zp[train], kp[train], (lv,))
                hits += int((zp[test] <= band.quantiles[int(lv)] * kp[test] ** band.power).sum())
                total += int(test.sum())
            rows.append({"pool": pool, "level": int(lv), "coverage": 100 * hits / total if total else np.nan,
                         "points": int(len(zp))})
    return bands, pd.DataFrame(rows, columns=["pool", "level", "coverage", "points"])


def _normal_q(level) -> float:
    from statistics import NormalDist
    return NormalDist().inv_cdf(0.5 + level / 200) * 1.25  # MAE -> sd (sqrt(pi/2))


def bounds(mean: np.ndarray, scale: float, band: Band, level: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(1, len(mean) + 1)
    half = band.quantiles[int(level)] * scale * k ** band.power
    if not np.all(np.isfinite(half)):
        half = _normal_q(level) * scale * np.sqrt(k)
    return np.maximum(mean - half, 0.0), mean + half
