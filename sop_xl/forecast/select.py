"""Rolling-origin backtest and per-series auto-selection, for a block of equally long series.

Series that share a length, a season length and a demand class share their backtest
windows and candidate methods, so each candidate is fitted once per window for the whole
block (the models are vectorised). The winner per series is the candidate with the lowest
backtest metric; ties go to the candidate listed first (the more robust one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import accuracy
from .classify import Profile
from .models import (
    Arima, Combination, Croston, Deseasonalised, DifferencedAR, HistoricAverage, Holt, HoltWinters, Model, MovingAverage,
    LogScale, Naive, SeasonalNaive, SimpleExponentialSmoothing, StatsmodelsHoltWinters, Theta, TSB,
)

# ---------------------------------------------------------------- the method catalogue


def _combo(m: int) -> Model:
    members = [SimpleExponentialSmoothing(), Holt(damped=True), Theta()]
    if m > 1:
        return Combination([Deseasonalised(x, m) for x in members], m, name="combo")
    return Combination(members, 1, name="combo")


FACTORIES = {
    "naive": lambda m: Naive(),
    "seasonal_naive": lambda m: SeasonalNaive(m) if m > 1 else Naive(),
    "mean": lambda m: HistoricAverage(),
    "moving_average": lambda m: MovingAverage(),
    "ses": lambda m: SimpleExponentialSmoothing(),
    "holt": lambda m: Holt(),
    "holt_damped": lambda m: Holt(damped=True),
    "theta": lambda m: Theta(),
    "croston": lambda m: Croston(),
    "sba": lambda m: Croston(variant="sba"),
    "tsb": lambda m: TSB(),
    "hw_add": lambda m: HoltWinters(m, "add", "add"),
    "hw_add_damped": lambda m: HoltWinters(m, "add", "damped"),
    "hw_mul": lambda m: HoltWinters(m, "mul", "add"),
    "hw_mul_damped": lambda m: HoltWinters(m, "mul", "damped"),
    "ses_ds": lambda m: Deseasonalised(SimpleExponentialSmoothing(), m),
    "holt_damped_ds": lambda m: Deseasonalised(Holt(damped=True), m),
    "theta_ds": lambda m: Deseasonalised(Theta(), m),
    "combo": _combo,
    "arima": lambda m: Arima(),
    "hw_statsmodels": lambda m: StatsmodelsHoltWinters(m, "add" if m > 1 else None),
    "theta_log": lambda m: LogScale(Theta()),
    "theta_ds_log": lambda m: LogScale(Deseasonalised(Theta(), m), m),
    "hw_add_damped_log": lambda m: LogScale(HoltWinters(m, "add", "damped"), m),
    "diff_ar": lambda m: DifferencedAR(m),
}
SEASONAL_ONLY = {"hw_add", "hw_add_damped", "hw_mul", "hw_mul_damped", "ses_ds", "holt_damped_ds", "theta_ds",
                 "theta_ds_log", "hw_add_damped_log"}
METHODS = tuple(FACTORIES)

LABELS = {
    "naive": "Naive", "seasonal_naive": "Seasonal naive", "mean": "Average", "moving_average": "Moving average",
    "ses": "Simple exp. smoothing", "holt": "Holt", "holt_damped": "Holt damped", "theta": "Theta",
    "croston": "Croston", "sba": "Croston SBA", "tsb": "TSB", "hw_add": "Holt-Winters additive",
    "hw_add_damped": "Holt-Winters additive damped", "hw_mul": "Holt-Winters multiplicative",
    "hw_mul_damped": "Holt-Winters multiplicative damped", "ses_ds": "SES seasonally adjusted",
    "holt_damped_ds": "Holt damped seasonally adjusted", "theta_ds": "Theta seasonally adjusted",
    "combo": "Combination (SES, Holt damped, Theta)", "arima": "ARIMA", "hw_statsmodels": "Holt-Winters (statsmodels)",
    "theta_log": "Theta on the log scale", "theta_ds_log": "Theta seasonally adjusted, log scale",
    "hw_add_damped_log": "Holt-Winters additive damped, log scale",
    "diff_ar": "Autoregression on seasonal differences", "zero": "Zero (no demand)",
}

# candidates of the auto-selection by kind of series, robust ones first (they win ties)
AUTO = {
    "seasonal": ("combo", "theta_ds", "holt_damped_ds", "ses_ds", "hw_add_damped", "hw_mul_damped",
                 "seasonal_naive", "hw_mul", "hw_add"),
    "plain": ("combo", "theta", "holt_damped", "ses", "holt", "moving_average", "naive"),
    "sparse": ("tsb", "sba", "croston", "ses", "moving_average"),
    "sparse_seasonal": ("ses_ds", "tsb", "sba", "hw_add_damped", "seasonal_naive", "theta_ds", "ses"),
}


# methods kept in every auto ensemble of a kind, beside its best candidates by backtest: a robust
# anchor steadies the mean where a few backtest windows pick noisily. Plain series get Theta on the
# series adjusted by the period type's usual cycle (seasonal indices near 1 when there is no season),
# on the original and on the log scale; seasonal ones get three models of different families: Theta
# on the log scale, seasonally adjusted (multiplicative season and growth), an autoregression on the
# seasonal differences (the ARIMA family: year-on-year change that persists) and damped Holt-Winters
# on the log scale (ETS with a multiplicative season and damped growth). A history too short for an
# anchor's season (two cycles; diff_ar two cycles and 9 periods) gets the anchor without it. Chosen on
# validation hold-outs cut from the training part (bench/forecast_bench.py --validate, --window 1 and 2),
# see engine.COMBINE.
ANCHORS = {"plain": ("theta_ds", "theta_ds_log"), "seasonal": ("theta_ds_log", "diff_ar", "hw_add_damped_log")}


def make(name: str, m: int) -> Model:
    return FACTORIES[name](m)


def kind_of(p: Profile) -> str:
    return kind_of_flags(p.demand_class, p.seasonal)


def kind_of_flags(demand_class: str, seasonal: bool) -> str:
    """plain, seasonal, sparse or sparse_seasonal: the pool a series is selected and calibrated in."""
    if demand_class in ("intermittent", "lumpy"):
        return "sparse_seasonal" if seasonal else "sparse"
    return "seasonal" if seasonal else "plain"


def auto_candidates(p: Profile, candidates: dict | None = None) -> tuple[str, ...]:
    table = {**AUTO, **(candidates or {})}
    return tuple(table[kind_of(p)])


# ---------------------------------------------------------------- backtest windows

def windows(t: int, h: int, n_windows: int, min_train: int) -> tuple[int, list[int]]:
    """Backtest horizon and origins (training lengths), most recent first.

    The horizon is the forecast horizon, shortened so that at least a third of a short history
    stays for training; windows step back by half a horizon; windows whose training would be
    shorter than `min_train` are dropped.
    """
    hb = max(1, min(h, t // 3))
    step = max(1, hb // 2)
    origins = [t - hb - i * step for i in range(max(1, n_windows))]
    return hb, [o for o in origins if o >= max(1, min_train)]


# ---------------------------------------------------------------- one block of series

@dataclass
class Outcome:
    """What the selection found for one series (plain arrays: cheap to send between processes)."""

    method: str
    reason: str
    forecast: np.ndarray                 # (h,)
    origins: list[int] = field(default_factory=list)  # training lengths of the backtest windows
    actual: np.ndarray | None = None     # (w, hb) backtest actuals
    fitted: np.ndarray | None = None     # (w, hb) backtest forecasts of the chosen method
    scale: float = 1.0                   # MASE scale
    scores: dict = field(default_factory=dict)  # method -> {metric: value} over the backtest
    flags: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # methods averaged by an ensemble
    nested: np.ndarray | None = None     # (w, hb) backtest forecasts of a selection that did not see the window


def _safe_forecast(name: str, m: int, y: np.ndarray, h: int, adjusted: dict | None = None) -> np.ndarray:
    """Forecast with a candidate; rows that come out non-finite get the naive forecast.

    Demand is never negative, and a forecast far above anything ever sold is a model gone wrong:
    values are clipped to [0, CAP x the historical maximum]. With `adjusted` (a dict), the rows
    touched are recorded under "non_finite", "negative" and "capped" (boolean arrays).
    """
    try:
        f = make(name, m).forecast(y, h)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        f = np.full((y.shape[0], h), np.nan)
    bad = ~np.isfinite(f).all(axis=1)
    if bad.any():
        f[bad] = np.repeat(y[bad, -1:], h, axis=1)
    cap = CAP * np.abs(y).max(axis=1, keepdims=True)
    if adjusted is not None:
        adjusted["non_finite"] = bad
        adjusted["negative"] = (f < 0).any(axis=1)
        adjusted["capped"] = (f > cap).any(axis=1)
    return np.clip(f, 0.0, cap)


# a forecast below a millionth of the series' mean level is numerical residue (a probability of
# demand decayed over a long run of zeros, a rounding error: 1e-30 scripts), not a forecast: it is
# written as 0, so a planner reads 0 and a zero week is not scored as a miss (sMAPE 200)
RESIDUE = 1e-6

# flags (and the reason shown beside them) for what the engine changed in a model's forecast
CAP = 3.0
ADJUSTMENTS = {
    "non_finite": ("model_failed_naive_used", "the model gave no finite forecast: the last value is repeated"),
    "negative": ("negative_set_to_zero", "the model forecast below zero in some period(s): set to 0 (demand "
                 "cannot be negative)"),
    "capped": ("capped_at_3x_history_max", "the model forecast above 3x the largest value in the history in some "
               "period(s): capped there"),
}


ENSEMBLE = "ensemble"


def select_block(y: np.ndarray, m: int, names: tuple[str, ...], h: int, *, metric: str = "mase",
                 n_windows: int = 3, combine: int = 1, anchors: tuple[str, ...] = (),
                 anchor_m: int | None = None) -> list[Outcome]:
    """Backtest `names` on every series of `y` (n, t); forecast each with its winner, or with the
    mean of its `combine` best candidates when combine > 1 (method "ensemble"). `anchors` (fitted
    with season length `anchor_m`, default m) join every series' ensemble whatever their backtest."""
    n, t = y.shape
    am = anchor_m or m
    level = np.abs(y).mean(axis=1)
    level = np.where(level > 0, level, 1.0)
    ys = y / level[:, None]  # fitted on a common scale: no overflow, same grid for all
    bench = "seasonal_naive"
    names = tuple(x for x in names if make(x, m).min_length <= t) or ("naive",)
    min_train = max(make(x, m).min_length for x in names)
    hb, origins = windows(t, h, n_windows, min_train)
    flags = []
    if not origins:
        # too short to backtest every candidate: keep the ones the longest window can fit
        flags = ["fallback_method"]
        hb, origins = windows(t, h, 1, 1)
        origins = [o for o in origins if o >= 1]
        names = tuple(x for x in names if origins and make(x, m).min_length <= origins[0]) or ("naive",)
    if not origins:
        return [_fallback(y[i], h, "history too short to backtest") for i in range(n)]

    anchors = tuple(a for a in anchors if a not in names and make(a, 1).min_length <= origins[-1])

    def anchor_m_for(name, length):  # a history shorter than two cycles: the anchor without its season
        return am if make(name, am).min_length <= length else 1

    scale = np.array([accuracy.seasonal_naive_scale(y[i, :origins[-1]], m) for i in range(n)])
    actual = np.stack([y[:, o:o + hb] for o in origins], axis=1)  # (n, w, hb)
    every = names if bench in names or make(bench, m).min_length > origins[-1] else (*names, bench)
    fc = {}
    for name in every:
        fc[name] = np.stack([_safe_forecast(name, m, ys[:, :o], hb) * level[:, None] for o in origins], axis=1)
    for name in anchors:
        fc[name] = np.stack([_safe_forecast(name, anchor_m_for(name, o), ys[:, :o], hb) * level[:, None]
                             for o in origins], axis=1)
    score = np.vstack([accuracy.metric(metric, actual, fc[x], scale) for x in names]).T  # (n, c)
    score = np.where(np.isfinite(score), score, np.inf)
    order = np.argsort(score, axis=1, kind="stable")
    k = max(1, min(int(combine or 1), len(names)))
    top = order[:, :k]
    finite = np.take_along_axis(np.isfinite(score), top, axis=1)

    final, adjusted = _final_forecasts(names, top, m, ys, level, h)
    for name in anchors:
        record: dict = {}
        final[name] = _safe_forecast(name, anchor_m_for(name, t), ys, h, record) * level[:, None]
        adjusted[name] = {key: dict(enumerate(mask.tolist())) for key, mask in record.items()}
    nested = _nested(actual, fc, names, metric, scale, k)
    if anchors:
        nested = (k * nested + sum(fc[a] for a in anchors)) / (k + len(anchors))

    kpis = {x: accuracy.all_metrics(actual, fc[x], scale) for x in (*every, *anchors)}
    out = []
    for i in range(n):
        members = [names[j] for j, ok in zip(top[i], finite[i]) if ok] or [names[top[i, 0]]]
        members += list(anchors)
        scores = {x: {key: float(v[i]) for key, v in kpis[x].items()} for x in (*every, *anchors)}
        if len(members) == 1:
            chosen = members[0]
            forecast, fitted = final[chosen][i], fc[chosen][i]
            reason = _reason(metric, chosen, i, names, score, scores, len(origins), hb, bench)
        else:
            chosen = ENSEMBLE
            forecast = np.mean([final[x][i] for x in members], axis=0)
            fitted = np.mean([fc[x][i] for x in members], axis=0)
            scores[ENSEMBLE] = {key: float(v[0]) for key, v in
                                accuracy.all_metrics(actual[i][None], fitted[None], scale[i:i + 1]).items()}
            reason = _ensemble_reason(metric, members, i, names, score, scores, len(origins), hb, bench, anchors)
        extra, because = _adjustments(members, adjusted, i)
        reason += because
        forecast = np.where(forecast < RESIDUE * level[i], 0.0, forecast)
        out.append(Outcome(method=chosen, reason=reason, forecast=forecast, origins=list(origins),
                           actual=actual[i], fitted=fitted, scale=float(scale[i]), scores=scores,
                           members=members, flags=list(flags) + extra, nested=nested[i]))
    return out


def _final_forecasts(names, top: np.ndarray, m: int, ys: np.ndarray, level: np.ndarray, h: int):
    """Each candidate's forecast over the full history, fitted only for the series that use it:
    ({name: (n, h) forecasts, NaN elsewhere}, {name: {adjustment: {series row: applied}}})."""
    n = ys.shape[0]
    final, adjusted = {}, {}
    for j, name in enumerate(names):
        rows = np.flatnonzero((top == j).any(axis=1))
        if len(rows):
            f = np.full((n, h), np.nan)
            record: dict = {}
            f[rows] = _safe_forecast(name, m, ys[rows], h, record) * level[rows, None]
            final[name] = f
            adjusted[name] = {key: dict(zip(rows.tolist(), mask.tolist())) for key, mask in record.items()}
    return final, adjusted


def _adjustments(members: list[str], adjusted: dict, i: int) -> tuple[list[str], str]:
    """The flags and the reason's "; ADJUSTED (...)" notes for series `i`'s members."""
    notes = [(key, x) for x in members for key in ADJUSTMENTS if adjusted[x][key].get(i)]
    extra = list(dict.fromkeys(ADJUSTMENTS[key][0] for key, _ in notes))
    because = ""
    for key in dict.fromkeys(key for key, _ in notes):
        who = [x for k2, x in notes if k2 == key]
        because += f"; ADJUSTED ({', '.join(who)}): {ADJUSTMENTS[key][1]}"
    return extra, because


def _nested(actual, fc, names, metric, scale, k) -> np.ndarray:
    """(n, w, hb) backtest forecasts where window j is forecast by what the selection picks on the
    other windows (the single window, when there is only one, is its own)."""
    n, w, hb = actual.shape
    stack = np.stack([fc[x] for x in names], axis=1)  # (n, c, w, hb)
    if w < 2:
        pick = np.argsort(np.vstack([accuracy.metric(metric, actual, fc[x], scale) for x in names]).T, axis=1)
        return stack[np.arange(n)[:, None], pick[:, :k]].mean(axis=1)
    out = np.empty((n, w, hb))
    for j in range(w):
        keep = [i for i in range(w) if i != j]
        sc = np.vstack([accuracy.metric(metric, actual[:, keep], fc[x][:, keep], scale) for x in names]).T
        sc = np.where(np.isfinite(sc), sc, np.inf)
        top = np.argsort(sc, axis=1, kind="stable")[:, :k]
        out[:, j] = stack[np.arange(n)[:, None], top, j].mean(axis=1)
    return out


def _ensemble_reason(metric, members, i, names, score, scores, w, hb, bench, anchors=()) -> str:
    best = [x for x in members if x not in anchors]
    parts = ", ".join(f"{x} {score[i, names.index(x)]:.2f}" for x in best)
    what = "best" if len(best) == 1 else f"{len(best)} best"
    text = (f"mean of the {what} of {len(names)} methods by {metric.upper()} over {w} backtest "
            f"window(s) of {hb}: {parts}")
    if anchors:
        text += " and the fixed anchor(s) kept in every ensemble of the kind: " + ", ".join(
            f"{x} {scores[x][metric]:.2f}" if metric in scores[x] else x for x in anchors)
    b = scores.get(bench, {}).get(metric)
    if b is not None and np.isfinite(b):
        text += f"; seasonal naive {b:.2f}"
    return text


def _reason(metric, chosen, i, names, score, scores, w, hb, bench) -> str:
    text = f"lowest {metric.upper()} {score[i, names.index(chosen)]:.2f} over {w} backtest window(s) of {hb}"
    order = np.argsort(score[i])
    runner = [names[k] for k in order if names[k] != chosen][:1]
    if runner and np.isfinite(score[i, names.index(runner[0])]):
        text += f"; runner-up {runner[0]} {score[i, names.index(runner[0])]:.2f}"
    if bench in scores and chosen != bench:
        b = scores[bench].get(metric if metric in scores[bench] else "mase")
        if b is not None and np.isfinite(b):
            text += f"; seasonal naive {b:.2f}"
    finite = score[i][np.isfinite(score[i])]
    if len(names) > 1 and len(finite) == len(names) and np.ptp(finite) == 0:
        text = f"all candidates tie ({metric.upper()} {score[i, 0]:.2f}); kept the most robust"
    return text


def _fallback(y: np.ndarray, h: int, why: str) -> Outcome:
    """Forecast for a series the backtest cannot judge: SES from 2 points on, else the last value."""
    if len(y) == 0:
        return Outcome("zero", f"{why}; zero forecast", np.zeros(h), flags=["fallback_method"])
    name = "ses" if len(y) >= 2 else "naive"
    f = np.maximum(_safe_forecast(name, 1, y[None, :], h)[0], 0)
    return Outcome(name, f"{why} ({len(y)} period(s)); {LABELS[name]}", f, flags=["fallback_method"])


def forecast_block(y: np.ndarray, m: int, name: str, h: int, *, metric: str = "mase",
                   n_windows: int = 3) -> list[Outcome]:
    """One named method for every series of the block, still backtested for accuracy/intervals."""
    n, t = y.shape
    model = make(name, m)
    if model.min_length > t:
        return [_fallback(row, h, f"{name} needs {model.min_length} periods") for row in y]
    outs = select_block(y, m, (name,), h, metric=metric, n_windows=n_windows)
    for o in outs:
        if o.method == name:
            notes = "".join(f"; ADJUSTED{part}" for part in o.reason.split("; ADJUSTED")[1:])
            o.reason = f"method fixed to {name} (Settings forecast_method / method=), not auto-selected{notes}"
    return outs


def zero_outcome(h: int, why: str, flags=()) -> Outcome:
    return Outcome("zero", why, np.zeros(h), flags=list(flags))
