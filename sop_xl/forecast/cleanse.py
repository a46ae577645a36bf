"""History cleansing before fitting, one series at a time, with a log the planner can undo.

Order matters: missing periods and negatives are fixed first (they are data errors), then
leading zeros of new products are dropped (they are not demand), and so is the dormant past of a
product launched (or relaunched) after a year without demand; then outliers are
replaced by the robust trend plus season (they are events, listed with the original value).
Intermittent series keep their spikes: for them a spike is the demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# flags (short words, joined with ", " on the sheet)
GAPS = "gaps_filled"
NEGATIVES = "negatives_zeroed"
NEW_PRODUCT = "leading_zeros_dropped"
LAUNCH = "history_before_launch_dropped"
OUTLIERS = "outliers_replaced"
NO_HISTORY = "no_history"
SHORT = "short_history"
FALLBACK = "fallback_method"
DISCONTINUED = "discontinued"
HUGE = "huge_values"

LOG_COLUMNS = ["unique_id", "ds", "original", "cleansed", "action", "reason"]

# values beyond this are scaled down while fitting (squares of 1e154 overflow float64)
_HUGE = 1e12


@dataclass
class Cleansed:
    values: np.ndarray          # cleansed history, oldest first, no NaN
    start: int                  # index into the original period range of values[0]
    flags: list[str] = field(default_factory=list)
    log: list[tuple] = field(default_factory=list)  # (position, original, cleansed, action, reason)


GAP_WINDOW = 3   # periods on each side of a blank whose values fill it

# a launch: at least a year without demand, then sales in most periods, and everything sold before
# the pause less than this share of what sold since: the old history would only drag the forecast
# of the new level down (an intermittent method averages the years of zeros in). Checked on the
# training-window hold-outs (bench/forecast_bench.py --validate): one PBS series qualifies; PBS MASE
# window 1 1.640 -> 1.666, window 2 2.430 -> 1.287; no series of M1, Tourism or aus_retail qualifies
LAUNCH_SHARE = 0.05


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def launch(y: np.ndarray, year: int) -> int:
    """Index of the period a product was (re)launched in after a year or more without demand, when
    it has sold in at least 2 and at least two thirds of the periods since, and all it sold before
    is below LAUNCH_SHARE of the sales since; 0 when there is no such launch."""
    pauses = [(a, b) for a, b in _runs(y <= 0) if b - a >= year and b < len(y)]
    if not pauses:
        return 0
    a, b = pauses[-1]
    since = y[b:]
    selling = int((since > 0).sum())
    if selling < 2 or selling < 2 / 3 * len(since) or y[:a].sum() >= LAUNCH_SHARE * since.sum():
        return 0
    return b


def basic(raw: np.ndarray, year: int = 12) -> Cleansed:
    """Gaps, negatives, leading zeros and the dormant past before a launch (`year`: periods in a
    year); `raw` spans the series' periods with NaN for gaps."""
    y = np.asarray(raw, float).copy()
    out = Cleansed(values=y, start=0)
    missing = ~np.isfinite(y)
    if missing.all():
        out.values = np.zeros(0)
        out.flags.append(NO_HISTORY)
        return out
    first = int(np.argmax(~missing))
    if first:
        # blank cells before the first value: the item did not exist yet (nothing to log)
        out.start = first
        y, missing, raw = y[first:], missing[first:], np.asarray(raw, float)[first:]
    if missing.any():
        # a blank inside the history is unknown, not zero: a run of blanks takes the median of the
        # known periods on both sides of it (none nearby: zero, what an absent ERP row usually means)
        out.flags.append(GAPS)
        known = np.where(missing, np.nan, np.maximum(y, 0.0))
        for a, b in _runs(missing):
            around = np.concatenate([known[max(0, a - GAP_WINDOW):a], known[b:b + GAP_WINDOW]])
            around = around[np.isfinite(around)]
            if len(around):
                fill = float(np.median(around))
                why = f"missing period filled with the median of the {len(around)} known periods around it"
            else:
                fill, why = 0.0, "missing period with no known periods around it counted as zero demand"
            for i in range(a, b):
                out.log.append((out.start + i, np.nan, fill, "filled", why))
            y[a:b] = fill
    neg = y < 0
    if neg.any():
        out.flags.append(NEGATIVES)
        for i in np.flatnonzero(neg):
            out.log.append((out.start + i, float(raw[i]), 0.0, "zeroed", "negative demand (returns?) set to zero"))
        y[neg] = 0.0
    nz = np.flatnonzero(y > 0)
    if len(nz) and nz[0] > 0:
        out.flags.append(NEW_PRODUCT)
        out.start += int(nz[0])
        y = y[nz[0]:]
    elif not len(nz):
        # only zeros: keep them, the forecast is zero and says so
        pass
    cut = launch(y, year)
    if cut:
        out.flags.append(LAUNCH)
        why = (f"sold before a pause of a year or more, less than {LAUNCH_SHARE:.0%} of what has sold since the "
               f"launch: history before the launch left out of the forecast")
        for i in np.flatnonzero(y[:cut] > 0):
            out.log.append((out.start + int(i), float(y[i]), np.nan, "left out", why))
        out.start += cut
        y = y[cut:]
    if np.abs(y).max(initial=0) > _HUGE:
        out.flags.append(HUGE)
    out.values = y
    return out


def robust_fit(y: np.ndarray, m: int) -> np.ndarray:
    """Rolling-median trend plus median seasonal profile: what 'normal' looks like."""
    half = (m + 1) // 2 if m > 1 else 2
    # median of the neighbours, without the point itself: a point must not vouch for itself
    padded = np.concatenate([np.full(half, np.nan), y, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    trend = np.nanmedian(np.delete(windows, half, axis=1), axis=1)
    fit = trend.copy()
    if m > 1 and len(y) >= 2 * m:
        # each period's season from the other years' same period only: with three years, a
        # median including the point itself would fit one point in three exactly and shrink
        # the residual scale to nothing
        detr = y - trend
        cycles = -(-len(y) // m)
        grid = np.full(cycles * m, np.nan)   # cycles x periods, the last cycle padded with blanks
        grid[:len(y)] = detr
        grid = grid.reshape(cycles, m)
        others = np.array([[j for j in range(cycles) if j != i] for i in range(cycles)])
        # every cycle's season from the other cycles at once (one median per period and cycle in a loop
        # was most of a 1,000-series forecast)
        fit += np.nanmedian(grid[others], axis=1).ravel()[:len(y)]
    return fit


def outliers(c: Cleansed, m: int, threshold: float, sparse: bool) -> Cleansed:
    """Replace isolated points further than `threshold` robust standard deviations from the
    robust fit of trend and season.

    Strictly positive series are judged on the log scale, where a multiplicative season (a
    December ten times March) is regular rather than extreme. Two or more flagged periods in a
    row are a pattern (a level shift, a new season) and stay.
    """
    y = c.values
    if sparse or threshold is None or threshold <= 0 or len(y) < max(12, 2 * m):
        return c
    log = bool((y > 0).all())
    z = np.log(y) if log else y
    fit = robust_fit(z, m)
    resid = z - fit
    mad = 1.4826 * np.median(np.abs(resid - np.median(resid)))
    if not np.isfinite(mad) or mad <= 0:
        return c
    far = np.abs(resid) > threshold * mad
    prev = np.concatenate([[False], far[:-1]])
    nxt = np.concatenate([far[1:], [False]])
    bad = far & ~prev & ~nxt
    bad[-1] = False  # the latest period may be the start of something new: the planner judges it
    if not bad.any():
        return c
    y = y.copy()
    normal = np.exp(fit) if log else fit
    for i in np.flatnonzero(bad):
        new = max(0.0, float(normal[i]))
        c.log.append((c.start + i, float(y[i]), new, "replaced",
                      f"{abs(resid[i]) / mad:.1f} robust std devs from trend and season (threshold {threshold:g})"))
        y[i] = new
    c.values = y
    c.flags.append(OUTLIERS)
    return c
