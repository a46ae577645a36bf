"""The forecasting run: check, cleanse, classify, fan blocks of series out, calibrate, tabulate.

Blocks of equally long, similar series go to joblib: in-process for n_jobs=1, across
processes (loky) otherwise, or to a cluster when the caller configured a joblib backend
(e.g. `with joblib.parallel_config(backend="dask"): ...` next to a dask.distributed Client,
or `backend="dask"` here). One bad series never stops a batch: every failure inside a
block falls back to a flagged simple forecast.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..fanout import fan_out, workers as n_workers
from ..periods import PERIODS_PER_YEAR
from ..progress import SILENT, Progress
from . import accuracy, cleanse as cl, classify, frames, intervals
from .seasonality import CANDIDATE_SEASONS
from .select import (
    ANCHORS, FACTORIES, LABELS, SEASONAL_ONLY, Outcome, _fallback, auto_candidates, forecast_block, kind_of, select_block, zero_outcome,
)


# auto-selection averages this many best candidates per kind of series (1: the single best), plus
# the kind's fixed anchors (`select.ANCHORS`: plain and seasonal series).
# Chosen by `python bench/forecast_bench.py --tune` / `--validate` on validation hold-outs cut from the
# TRAINING part of M1, Tourism, PBS and aus_retail; the test periods the README reports were not looked
# at. Runs of 2026-12-02: without anchors (mean MASE, k 1..5) plain 1.378 / 1.349 / 1.349 / 1.345 / 1.361,
# seasonal 1.622 / 1.577 / 1.572 / 1.568 / 1.569, sparse 5.98 / 5.99 / 5.93 / 7.77 / 9.35, sparse seasonal
# 0.113 / 0.111 / 0.121 / 0.127 / 0.206. With the anchors (MASE / sMAPE on the validation sets): M1 plain
# k=1 1.185 / 17.14, k=2 1.199 / 17.31, k=3 1.210 / 17.56 (one anchor, theta_ds; both anchors at k=1:
# 1.166 / 16.83, k=2 1.177 / 17.00); seasonal k=2 against 3: Tourism 1.810 / 23.81 against 1.818 / 23.90,
# aus_retail 1.477 / 8.41 against 1.474 / 8.38.
# Seasonal, with three anchors (2026-12-02 evening): the validation hold-out and the h periods before it
# (--window 2) on M1, Tourism and aus_retail, MASE, rule: lowest mean log ratio to the one-anchor k=2
# engine, no set and window more than 1 % worse. One anchor, k=2: 1.166 1.811 1.477 | 1.302 1.939 1.866;
# three anchors, k=1: 1.160 1.799 1.419 | 1.305 1.930 1.812 (-1.4 %, worst +0.2 %; sMAPE lower on all
# but M1 window 2, 14.01 against 13.94). The alternatives, measured with a first diff_ar (intercept
# form, orders fitted on their own samples; three anchors, k=1: -1.4 %): k=2 -1.1 %; diff_ar alone beside theta_ds_log, k=1: -1.3 % but Tourism window 2 +0.7 %;
# diff_ar on the log scale instead: -1.5 % but Tourism window 2 +2.4 %; a fourth anchor (diff_ar on
# the log scale): Tourism window 2 +2.6 %; diff_ar for plain series too: M1 window 2 +1.3 %.
COMBINE = {"plain": 1, "seasonal": 1, "sparse": 3, "sparse_seasonal": 2}


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame   # unique_id, ds, yhat, yhat_lo_<L>, yhat_hi_<L>..., method
    series: pd.DataFrame      # one row per unique_id: class, seasonality, method (+ ensemble members), reason, flags
    accuracy: pd.DataFrame    # one row per unique_id and backtested method (chosen flagged), with FVA
    cleansing: pd.DataFrame   # every changed history value with the original
    backtest: pd.DataFrame    # backtest forecasts of the chosen method: unique_id, cutoff, ds, step, y, yhat
    coverage: pd.DataFrame    # empirical interval coverage per pool and level (cross-validated)
    errors: pd.DataFrame = field(default=None, repr=False)
    # ^ unique_id, ds, step, error_std (RMS k-step error), lead_error_std (RMS error summed over steps 1..k):
    #   from the nested backtest; safety stock over a lead time L is z x lead_error_std at step 1 + L
    period_type: str = "month"
    levels: tuple = (80, 95)
    history: pd.DataFrame = field(default=None, repr=False)  # cleansed history (unique_id, ds, y)


@dataclass
class _Series:
    uid: object
    start: pd.Period
    values: np.ndarray
    profile: classify.Profile | None
    flags: list
    outcome: Outcome | None = None
    end: pd.Period | None = None  # first forecast period of this series


# series whose lengths differ by at most this share share a block, fitted on their common
# latest periods: a few of the oldest periods matter little to the forecast, while one
# block per distinct length would lose the speed of fitting many series at once
LENGTH_TOLERANCE = 0.1


def _blocks(items: list[tuple[int, _Series]], max_size: int, tolerance: float = LENGTH_TOLERANCE):
    groups: dict[tuple, list[int]] = {}
    for i, s in items:
        p = s.profile
        groups.setdefault((p.season_length, kind_of(p)), []).append(i)
    lengths = {i: len(s.values) for i, s in items}
    for (m, kind), idx in groups.items():
        idx = sorted(idx, key=lambda i: (-lengths[i], i))
        buckets: list[list[int]] = []
        for i in idx:
            if not buckets or lengths[i] < (1 - tolerance) * lengths[buckets[-1][0]]:
                buckets.append([])
            buckets[-1].append(i)
        # chunks for the workers after bucketing, so the forecasts do not depend on n_jobs
        for bucket in buckets:
            t = lengths[bucket[-1]]
            for a in range(0, len(bucket), max_size):
                yield bucket[a:a + max_size], t, m, kind


def _run_block(y: np.ndarray, m: int, names: tuple, method: str, h: int, metric: str, n_windows: int,
               combine: int = 1, anchors: tuple = (), anchor_m: int | None = None):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            if method == "auto":
                return select_block(y, m, names, h, metric=metric, n_windows=n_windows, combine=combine,
                                    anchors=anchors, anchor_m=anchor_m)
            return forecast_block(y, m, method, h, metric=metric, n_windows=n_windows)
        except Exception as exc:  # noqa: BLE001 - one bad block must not stop the batch
            why = f"{method} failed ({type(exc).__name__})"
            return [_fallback(row, h, why) for row in y]


def run(history: pd.DataFrame, h: int, *, season_length: int | None = None, level=(80, 95), method: str = "auto",
        metric: str = "mase", n_windows: int = 3, freq: str | None = None, n_jobs: int | None = 1,
        progress: Progress = SILENT, start=None, discontinued=(), outlier_threshold: float | None = 4.0,
        candidates: dict | None = None, backend: str | None = None, block_size: int | None = None,
        combine: int | dict = COMBINE) -> ForecastResult:
    h = int(h)
    if h < 1:
        raise ValueError("h must be at least 1")
    metric = metric.lower()
    if metric not in accuracy.METRICS or metric == "bias":
        raise ValueError(f"unknown metric {metric!r}; choose one of mase, wape, smape, mape, rmse, mae")
    method = (method or "auto").lower()
    if method != "auto" and method not in FACTORIES:
        raise ValueError(f"unknown method {method!r}; choose auto or one of {', '.join(FACTORIES)}")
    levels = tuple(sorted({int(lv) for lv in (level or ())}))
    if any(not 0 < lv < 100 for lv in levels):
        raise ValueError("interval levels must be between 0 and 100 (e.g. 80, 95)")

    panel = frames.to_panel(history, freq)
    ptype = panel.period_type
    first = pd.Timestamp(start).to_period(frames.PERIOD_FREQ[ptype]) if start is not None else None
    series, log_rows = prepare(panel, first, h, season_length=season_length, discontinued=discontinued,
                               outlier_threshold=outlier_threshold)

    todo = [(i, s) for i, s in enumerate(series) if s.outcome is None and s.profile is not None]
    workers = n_workers(n_jobs, backend)
    size = block_size or max(64, math.ceil(len(todo) / max(1, workers * 4)))
    jobs = []
    for idx, t, m, kind in _blocks(todo, size):
        y = np.vstack([series[i].values[-t:] for i in idx])
        names = auto_candidates(series[idx[0]].profile, candidates) if method == "auto" else (method,)
        k = combine.get(kind, 1) if isinstance(combine, dict) else combine
        if m == 1 and method in SEASONAL_ONLY | {"seasonal_naive"}:
            # a seasonal method asked for by name uses the usual cycle even where the test found none
            m = season_length or CANDIDATE_SEASONS.get(ptype, (1,))[0]
        anchors = ANCHORS.get(kind, ()) if method == "auto" and candidates is None and k > 0 else ()
        anchor_m = m if m > 1 else (season_length or CANDIDATE_SEASONS.get(ptype, (1,))[0])
        jobs.append((idx, (y, m, names, method, h, metric, n_windows, k, anchors, anchor_m)))

    progress.start("Forecasting", len(todo))
    try:
        for (idx, args), outs in zip(jobs, fan_out(_run_block, [a for _, a in jobs], workers, backend)):
            t = args[0].shape[1]
            for i, o in zip(idx, outs):
                # backtest origins count from the start of the series' own (untruncated) history
                cut = len(series[i].values) - t
                o.origins = [x + cut for x in o.origins]
                series[i].outcome = o
            progress.advance(len(idx))
    finally:
        progress.finish()

    return _tabulate(series, h, levels, ptype, log_rows)


def prepare(panel: frames.Panel, first: pd.Period | None, h: int, *, season_length=None, discontinued=(),
            outlier_threshold: float | None = 4.0) -> tuple[list[_Series], list[tuple]]:
    """Cleanse and classify every series of the panel; series that need no fitting get their outcome.

    With `first` (the first forecast period) every series is cut or extended (missing periods) to
    end just before it; without, each series is forecast from its own last period.
    """
    ptype = panel.period_type
    dropped = {str(x) for x in discontinued}
    log_rows: list[tuple] = []
    series: list[_Series] = []
    for uid, p0, raw in zip(panel.ids, panel.starts, panel.values):
        gap = (first.ordinal - p0.ordinal) - len(raw) if first is not None else 0
        if gap > 0:
            raw = np.concatenate([raw, np.full(gap, np.nan)])
        elif gap < 0:
            raw = raw[:max(0, len(raw) + gap)]
        if str(uid) in dropped:
            series.append(_Series(uid, p0, np.zeros(0), None, [cl.DISCONTINUED], end=p0 + len(raw)))
            continue
        c = cl.basic(raw, PERIODS_PER_YEAR[ptype])
        for pos, orig, new, action, why in c.log:
            log_rows.append((uid, p0 + pos, orig, new, action, why))
        if cl.NO_HISTORY in c.flags:
            s = _Series(uid, p0, c.values, None, c.flags + [cl.FALLBACK], end=p0 + len(raw))
            s.outcome = zero_outcome(h, "no history values: zero forecast")
            series.append(s)
            continue
        prof = classify.profile(c.values, ptype, season_length)
        before = len(c.log)
        c = cl.outliers(c, prof.season_length, outlier_threshold, prof.sparse)
        for pos, orig, new, action, why in c.log[before:]:
            log_rows.append((uid, p0 + pos, orig, new, action, why))
        flags = list(c.flags) + ([cl.SHORT] if prof.short else [])
        s = _Series(uid, p0 + c.start, c.values, prof, flags, end=p0 + len(raw))
        if prof.demand_class == classify.NO_DEMAND:
            s.outcome = zero_outcome(h, "no demand in the history: zero forecast")
        series.append(s)
    return series, log_rows


def _tabulate(series: list[_Series], h, levels, ptype, log_rows) -> ForecastResult:
    """Every series' outcome as the result's frames. Longer than 60 lines on purpose: the per-series
    loop fills the forecast, interval, error and history columns in lockstep from shared locals
    (offset, scale, band) and appends arrays that are concatenated once at the end (cheap for
    100,000 series); the parts that read on their own are helpers."""
    # one calendar for every series: ds of a period = calendar[ordinal - base]
    freq = frames.PERIOD_FREQ[ptype]
    base = min((s.start.ordinal for s in series), default=0)
    top = max((s.end.ordinal for s in series), default=0)
    calendar = frames.period_starts(pd.Period(ordinal=base, freq=freq), top - base + h).to_numpy()
    bands, coverage, profiles, scale_of = _calibrate(series, h, levels)
    default_band = next(iter(bands.values()), intervals.default_band(levels))

    fc = {k: [] for k in ("unique_id", "ds", "yhat", "method", *[f"yhat_{b}_{lv}" for lv in levels for b in ("lo", "hi")])}
    bt = {k: [] for k in ("unique_id", "cutoff", "ds", "step", "y", "yhat", "method", "scale")}
    hist = {k: [] for k in ("unique_id", "ds", "y")}
    err = {k: [] for k in ("unique_id", "ds", "step", "error_std", "lead_error_std")}
    series_rows, acc_rows = [], []
    for s in series:
        p, o = s.profile, s.outcome
        series_rows.append(_series_row(s))
        if o is None:  # discontinued
            continue
        off = s.start.ordinal - base
        if len(s.values):
            hist["unique_id"].append(np.full(len(s.values), s.uid, dtype=object))
            hist["ds"].append(calendar[off:off + len(s.values)])
            hist["y"].append(s.values)
        band = bands.get(kind_of(p) if p else "plain", default_band)
        if id(s) in scale_of:
            scale = scale_of[id(s)]
        elif len(s.values) and np.any(s.values):
            scale = accuracy.seasonal_naive_scale(s.values, 1)
        else:
            scale = 0.0
        fc["unique_id"].append(np.full(h, s.uid, dtype=object))
        fc["ds"].append(calendar[s.end.ordinal - base:s.end.ordinal - base + h])
        fc["yhat"].append(o.forecast)
        fc["method"].append(np.full(h, o.method, dtype=object))
        prof = profiles.get(kind_of(p) if p else "plain", profiles["*"])
        err["unique_id"].append(fc["unique_id"][-1])
        err["ds"].append(fc["ds"][-1])
        err["step"].append(np.arange(1, h + 1))
        err["error_std"].append(scale * prof[0])
        err["lead_error_std"].append(scale * prof[1])
        for lv in levels:
            lo, hi = intervals.bounds(o.forecast, scale, band, lv)
            fc[f"yhat_lo_{lv}"].append(lo)
            fc[f"yhat_hi_{lv}"].append(hi)
        if o.actual is not None:
            _add_backtest(s, off, calendar, bt, acc_rows)

    def frame(parts: dict, order: list[str]) -> pd.DataFrame:
        data = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in parts.items()}
        return pd.DataFrame(data)[order]

    cols = ["unique_id", "ds", "yhat", *[f"yhat_{b}_{lv}" for lv in levels for b in ("lo", "hi")], "method"]
    acc_cols = ["unique_id", "method", "chosen", "mape", "wape", "smape", "mase", "bias", "fva"]
    log = pd.DataFrame(log_rows, columns=cl.LOG_COLUMNS)
    log["ds"] = pd.to_datetime(log["ds"].map(lambda q: q.to_timestamp(how="start")))
    return ForecastResult(
        forecasts=frame(fc, cols),
        series=pd.DataFrame(series_rows),
        accuracy=pd.DataFrame(acc_rows, columns=acc_cols),
        cleansing=log,
        backtest=frame(bt, ["unique_id", "cutoff", "ds", "step", "y", "yhat", "method", "scale"]),
        coverage=coverage,
        errors=frame(err, ["unique_id", "ds", "step", "error_std", "lead_error_std"]),
        period_type=ptype,
        levels=levels,
        history=frame(hist, ["unique_id", "ds", "y"]),
    )


def _calibrate(series: list[_Series], h: int, levels):
    """Interval calibration pools (one per kind of series) from the backtest errors:
    (bands, coverage, lead error profiles, each backtested series' error scale by id)."""
    with_bt = [s for s in series if s.outcome is not None and s.outcome.actual is not None]
    errors = [s.outcome.actual - (s.outcome.nested if s.outcome.nested is not None else s.outcome.fitted)
              for s in with_bt]
    scales = np.array([intervals.series_scale(e, s.outcome.scale) for e, s in zip(errors, with_bt)])
    pools = [kind_of(s.profile) for s in with_bt]
    origins = [s.outcome.origins for s in with_bt]
    with np.errstate(over="ignore", invalid="ignore"):  # astronomically large series stay finite where they can
        bands, coverage = intervals.calibrate(errors, scales, pools, levels, origins)
        profiles = intervals.lead_error_profile(errors, scales, pools, h, origins)
    return bands, coverage, profiles, {id(s): sc for s, sc in zip(with_bt, scales)}


def _series_row(s: _Series) -> dict:
    """One row of the series table: the demand profile and what was chosen, and why."""
    p, o = s.profile, s.outcome
    row = {"unique_id": s.uid, "demand_class": p.demand_class if p else "",
           "adi": p.adi if p else np.nan, "cv2": p.cv2 if p else np.nan,
           "seasonal": bool(p.seasonal) if p else False, "season_length": p.season_length if p else 1,
           "history_periods": len(s.values), "method": "", "members": "", "reason": "", "flags": ""}
    if o is None:  # discontinued
        row.update(reason="discontinued: no forecast", flags=", ".join(s.flags))
    else:
        row.update(method=o.method, members=", ".join(o.members) if len(o.members) > 1 else "", reason=o.reason,
                   flags=", ".join(dict.fromkeys(s.flags + o.flags)))
    return row


def _add_backtest(s: _Series, off: int, calendar: np.ndarray, bt: dict, acc_rows: list) -> None:
    """Append a backtested series' accuracy rows and backtest columns."""
    o = s.outcome
    bench = o.scores.get("seasonal_naive", {}).get("wape", np.nan)
    for name, sc in o.scores.items():
        acc_rows.append({"unique_id": s.uid, "method": name, "chosen": name == o.method, **sc,
                         "fva": bench - sc["wape"] if np.isfinite(bench) else np.nan})
    w, hb = o.actual.shape
    cut = np.repeat(o.origins, hb) + off
    step = np.tile(np.arange(1, hb + 1), w)
    bt["unique_id"].append(np.full(w * hb, s.uid, dtype=object))
    bt["cutoff"].append(calendar[cut - 1])
    bt["ds"].append(calendar[cut + step - 1])
    bt["step"].append(step)
    bt["y"].append(o.actual.ravel())
    bt["yhat"].append(o.fitted.ravel())
    bt["method"].append(np.full(w * hb, o.method, dtype=object))
    bt["scale"].append(np.full(w * hb, o.scale))


def method_label(name: str) -> str:
    return LABELS.get(name, name)
