"""Forecasting models with one small surface: `fit(y)`, `predict(h)`, `forecast(y, h)`.

Every model sees only numpy arrays. `y` is a 2-D array (series x periods) of equally long,
already cleansed histories (no NaN), or a 1-D array for one series; the result has the same
dimensionality with `h` columns. Working on many series at once is the point: the smoothing
recursions below loop over time only and evaluate a grid of parameters for every series in
one array operation, which is what makes auto-selection over thousands of SKUs take
seconds instead of the ~100 ms per fit of statsmodels (see README "Forecasting speed").
Parameters are chosen per series by the smallest one-step squared error over the grid.

Models return mean forecasts only; prediction intervals are calibrated on backtest errors
(`intervals.py`) so every model, including combinations, gets them the same way.
`Arima` and `StatsmodelsHoltWinters` are the statsmodels reference implementations.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from .seasonality import deseasonalise, reseasonalise

# one-step squared errors of the first periods say little about a parameter and are
# dominated by the heuristic start values; they are left out of the fit criterion
_BURN_IN = 1


def _as_2d(y) -> tuple[np.ndarray, bool]:
    a = np.asarray(y, dtype=float)
    if a.ndim == 1:
        return a[None, :], True
    if a.ndim != 2:
        raise ValueError("y must be a 1-D or 2-D array")
    return a, False


class Model:
    """Base of every model: subclasses implement `_fit` (2-D) and `_predict` (2-D)."""

    name = "model"
    label = "Model"
    min_length = 1  # shortest history the model can be fitted on

    def __init__(self, season_length: int = 1):
        self.season_length = max(1, int(season_length))

    def fit(self, y) -> "Model":
        a, self._one = _as_2d(y)
        if a.shape[1] < self.min_length:
            raise ValueError(f"{self.name} needs at least {self.min_length} periods, got {a.shape[1]}")
        self._n, self._t = a.shape
        self._fit(a)
        return self

    def predict(self, h: int) -> np.ndarray:
        out = self._predict(int(h))
        return out[0] if self._one else out

    def forecast(self, y, h: int) -> np.ndarray:
        return self.fit(y).predict(h)

    def _fit(self, y: np.ndarray) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _predict(self, h: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(season_length={self.season_length})"


class Naive(Model):
    name, label = "naive", "Naive (last value)"

    def _fit(self, y):
        self._last = y[:, -1]

    def _predict(self, h):
        return np.repeat(self._last[:, None], h, axis=1)


class SeasonalNaive(Model):
    name, label = "seasonal_naive", "Seasonal naive"

    def __init__(self, season_length: int = 12):
        super().__init__(season_length)
        self.min_length = self.season_length

    def _fit(self, y):
        self._cycle = y[:, -self.season_length:]

    def _predict(self, h):
        reps = -(-h // self.season_length)
        return np.tile(self._cycle, (1, reps))[:, :h]


class HistoricAverage(Model):
    name, label = "mean", "Average of history"

    def _fit(self, y):
        self._mean = y.mean(axis=1)

    def _predict(self, h):
        return np.repeat(self._mean[:, None], h, axis=1)


class MovingAverage(Model):
    """Average of the last `window` periods; the window is picked per series from `windows`
    by one-step error (the window a planner would eyeball)."""

    name, label = "moving_average", "Moving average"
    min_length = 2

    def __init__(self, season_length: int = 1, windows=(3, 6, 12)):
        super().__init__(season_length)
        self.windows = tuple(int(w) for w in windows)

    def _fit(self, y):
        n, t = y.shape
        usable = [w for w in self.windows if w < t] or [max(1, t - 1)]
        csum = np.concatenate([np.zeros((n, 1)), np.cumsum(y, axis=1)], axis=1)
        start = max(usable)
        sse = []
        for w in usable:
            # forecast of y[i] is the mean of y[i-w:i], for i >= start (same periods for every window)
            idx = np.arange(start, t)
            pred = (csum[:, idx] - csum[:, idx - w]) / w
            sse.append(((y[:, idx] - pred) ** 2).sum(axis=1) if len(idx) else np.zeros(n))
        best = np.argmin(np.vstack(sse), axis=0)
        self.window_ = np.asarray(usable)[best]
        self._level = np.array([y[i, -w:].mean() for i, w in enumerate(self.window_)])

    def _predict(self, h):
        return np.repeat(self._level[:, None], h, axis=1)


# ---------------------------------------------------------------- exponential smoothing

def ets_filter(y, alpha, beta, gamma, phi, *, trend: bool, season: str, m: int, level0, trend0, season0,
               fitted: np.ndarray | None = None):
    """Holt-Winters recursions (statsmodels' form) for all series and parameter sets at once: the
    one home of this recursion for the forecast core.

    y: (n, t). Parameters and start states broadcast to (n, g) (start seasons (n, g, m)).
    Returns (sse (n, g), level (n, g), trend (n, g), seasons (n, g, m) aligned so that
    seasons[..., k] belongs to period t + k). With `fitted` (an (n, g, t) array) the one-step-ahead
    fitted values are written into it.
    """
    n, t = y.shape
    g = np.broadcast_shapes(np.shape(alpha), np.shape(beta), np.shape(gamma), np.shape(phi), (n, 1))[1]
    lev = np.broadcast_to(level0, (n, g)).astype(float).copy()
    trd = np.broadcast_to(trend0, (n, g)).astype(float).copy() if trend else np.zeros((n, g))
    if season != "none":
        seas = np.broadcast_to(season0, (n, g, m)).astype(float).copy()
    sse = np.zeros((n, g))
    phi_b = phi * trd
    for i in range(t):
        yi = y[:, i:i + 1]
        base = lev + phi_b
        if season == "add":
            s = seas[:, :, i % m]
            err = yi - (base + s)
            new_lev = alpha * (yi - s) + (1 - alpha) * base
        elif season == "mul":
            s = seas[:, :, i % m]
            err = yi - base * s
            new_lev = alpha * (yi / s) + (1 - alpha) * base
        else:
            err = yi - base
            new_lev = base + alpha * err
        if fitted is not None:
            fitted[:, :, i] = yi - err
        if i >= _BURN_IN:
            sse += err * err
        if trend:
            trd = beta * (new_lev - lev) + (1 - beta) * phi_b
        if season == "add":
            seas[:, :, i % m] = gamma * (yi - base) + (1 - gamma) * s
        elif season == "mul":
            seas[:, :, i % m] = np.maximum(gamma * (yi / np.maximum(base, 1e-9)) + (1 - gamma) * s, 1e-3)
            new_lev = np.maximum(new_lev, 1e-9)
        lev = new_lev
        phi_b = phi * trd
    if season != "none":
        seas = np.roll(seas, -(t % m), axis=2)
    else:
        seas = None
    return sse, lev, trd, seas


def _trend_forecast(level, trend, phi, h):
    """level + (phi + phi^2 + ... + phi^k) * trend for k = 1..h, shapes (n,) -> (n, h)."""
    k = np.arange(1, h + 1)
    phi = np.asarray(phi, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        damp = np.where(np.isclose(phi, 1.0), k[None, :], phi * (1 - phi ** k[None, :]) / (1 - phi))
    return level[:, None] + damp * trend[:, None]


_ALPHAS = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99])


def _pick(sse: np.ndarray) -> np.ndarray:
    sse = np.where(np.isfinite(sse), sse, np.inf)
    return np.argmin(sse, axis=1)


def fit_linear_start(y, alpha, beta, phi, *, trend: bool):
    """Best start level (and trend) for every series and parameter set, in closed form.

    Without multiplicative parts the one-step errors are linear in the start states, so the
    squared-error-minimising start states solve a 1x1 (2x2) least-squares problem per
    series and parameter set - what statsmodels and R's ets estimate numerically.
    Returns (sse, level0, trend0), each (n, g).
    """
    n, t = y.shape
    g = np.broadcast_shapes(np.shape(alpha), np.shape(beta), np.shape(phi))[1]
    ly, by = np.zeros((n, g)), np.zeros((n, g))
    ll, bl = np.ones((1, g)), np.zeros((1, g))   # response to a unit start level (y = 0)
    lb, bb = np.zeros((1, g)), np.ones((1, g))   # response to a unit start trend
    syy = np.zeros((n, g)); syl = np.zeros((n, g)); syb = np.zeros((n, g))
    sll = np.zeros((1, g)); slb = np.zeros((1, g)); sbb = np.zeros((1, g))
    ab = alpha * beta
    for i in range(t):
        ey = y[:, i:i + 1] - ly - phi * by
        el = -(ll + phi * bl)
        syy += ey * ey
        syl += ey * el
        sll += el * el
        ly, by = ly + phi * by + alpha * ey, phi * by + ab * ey
        ll, bl = ll + phi * bl + alpha * el, phi * bl + ab * el
        if trend:
            eb = -(lb + phi * bb)
            syb += ey * eb
            slb += el * eb
            sbb += eb * eb
            lb, bb = lb + phi * bb + alpha * eb, phi * bb + ab * eb
    with np.errstate(divide="ignore", invalid="ignore"):
        if trend:
            det = sll * sbb - slb * slb
            ok = np.abs(det) > 1e-12 * np.maximum(sll * sbb, 1e-300)
            l0 = np.where(ok, (-syl * sbb + syb * slb) / det, y[:, :1])
            b0 = np.where(ok, (-syb * sll + syl * slb) / det, 0.0)
        else:
            l0 = np.where(sll > 0, -syl / sll, y[:, :1])
            b0 = np.zeros((n, g))
    sse = syy + 2 * l0 * syl + 2 * b0 * syb + l0 * l0 * sll + 2 * l0 * b0 * slb + b0 * b0 * sbb
    return sse, l0, b0


def _fit_additive(y, alpha, beta, phi, trend: bool):
    """Grid search with optimal start states; returns the chosen parameters and final states."""
    sse, l0, b0 = fit_linear_start(y, alpha, beta, phi, trend=trend)
    best = _pick(sse)
    rows = np.arange(y.shape[0])
    a, b, p = (np.broadcast_to(x, sse.shape)[rows, best] for x in (alpha, beta, phi))
    _, lev, trd, _ = ets_filter(y, a[:, None], b[:, None], 0.0, p[:, None], trend=trend, season="none", m=1,
                                level0=l0[rows, best][:, None], trend0=b0[rows, best][:, None], season0=None)
    return a, b, p, lev[:, 0], trd[:, 0]


class SimpleExponentialSmoothing(Model):
    name, label = "ses", "Simple exponential smoothing"
    min_length = 2

    def _fit(self, y):
        self.alpha_, _, _, self._level, _ = _fit_additive(y, _ALPHAS[None, :], np.zeros((1, 1)), np.ones((1, 1)),
                                                          trend=False)

    def _predict(self, h):
        return np.repeat(self._level[:, None], h, axis=1)


class Holt(Model):
    """Holt's linear trend; `damped=True` is the damped trend (Gardner & McKenzie)."""

    min_length = 4

    def __init__(self, season_length: int = 1, damped: bool = False):
        super().__init__(season_length)
        self.damped = damped
        self.name = "holt_damped" if damped else "holt"
        self.label = "Holt damped trend" if damped else "Holt linear trend"

    def _grid(self):
        alphas = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]
        betas = [0.01, 0.05, 0.1, 0.2, 0.3]
        phis = [0.8, 0.9, 0.95, 0.98] if self.damped else [1.0]
        g = np.array([(a, b, p) for a, b, p in itertools.product(alphas, betas, phis) if b <= a])
        return g[:, 0][None, :], g[:, 1][None, :], g[:, 2][None, :]

    def _fit(self, y):
        alpha, beta, phi = self._grid()
        self.alpha_, self.beta_, self.phi_, self._level, self._trend = _fit_additive(y, alpha, beta, phi, trend=True)

    def _predict(self, h):
        return _trend_forecast(self._level, self._trend, self.phi_, h)


def seasonal_start(y, m, kind):
    """Start states from the first two cycles: trend from the difference of their means, level at
    the period before the first (the first cycle's mean sits mid-cycle, (m - 1) / 2 periods later),
    seasons as the first cycle's deviations from that trend line (ratios for "mul"). Without the
    centring, a trend leaks into the seasons and the level starts high, and the forecast runs
    below the continued trend (issue 16.4). Returns level0 (n, 1), trend0 (n, 1), season0 (n, 1, m)."""
    first = y[:, :m]
    if y.shape[1] >= 2 * m:
        trend0 = (y[:, m:2 * m].mean(axis=1, keepdims=True) - first.mean(axis=1, keepdims=True)) / m
    else:
        trend0 = np.zeros((y.shape[0], 1))
    level0 = first.mean(axis=1, keepdims=True) - trend0 * (m + 1) / 2
    line = level0 + trend0 * np.arange(1, m + 1)[None, :]
    if kind == "mul":
        safe = np.where(line > 0, line, 1.0)
        season0 = np.clip(first / safe, 0.05, 20.0)
    else:
        season0 = first - line
    return level0, trend0, season0[:, None, :]


class HoltWinters(Model):
    """Holt-Winters / ETS with additive or multiplicative seasonality, optional damped trend."""

    def __init__(self, season_length: int = 12, seasonal: str = "add", trend: str | None = "damped"):
        super().__init__(season_length)
        if seasonal not in ("add", "mul"):
            raise ValueError("seasonal must be 'add' or 'mul'")
        self.seasonal, self.trend = seasonal, trend
        self.min_length = 2 * self.season_length
        t = {"damped": "_damped", "add": "", None: "_level"}[trend]
        self.name = f"hw_{seasonal}{t}"
        self.label = (f"Holt-Winters {'additive' if seasonal == 'add' else 'multiplicative'}"
                      f"{', damped trend' if trend == 'damped' else ', no trend' if trend is None else ''}")

    def _grid(self):
        alphas = [0.05, 0.1, 0.2, 0.35, 0.5, 0.7]
        gammas = [0.01, 0.05, 0.15, 0.3]
        if self.trend is None:
            betas, phis = [0.0], [1.0]
        else:
            betas = [0.01, 0.05, 0.15]
            phis = [0.9, 0.98] if self.trend == "damped" else [1.0]
        g = np.array([(a, b, c, p) for a, b, c, p in itertools.product(alphas, betas, gammas, phis)
                      if b <= a and c <= 1 - a])
        return tuple(g[:, i][None, :] for i in range(4))

    def _fit(self, y):
        if self.seasonal == "mul" and (y <= 0).any():
            # multiplicative seasons need positive demand; such series fall back to additive
            self._mul_ok = (y > 0).all(axis=1)
        else:
            self._mul_ok = np.ones(y.shape[0], bool)
        alpha, beta, gamma, phi = self._grid()
        m = self.season_length
        kind = self.seasonal
        level0, trend0, season0 = seasonal_start(y, m, kind)
        sse, lev, trd, seas = ets_filter(y, alpha, beta, gamma, phi, trend=self.trend is not None,
                                         season=kind, m=m, level0=level0, trend0=trend0, season0=season0)
        if kind == "mul" and not self._mul_ok.all():
            a_level0, a_trend0, a_season0 = seasonal_start(y, m, "add")
            sse_a, lev_a, trd_a, seas_a = ets_filter(y, alpha, beta, gamma, phi, trend=self.trend is not None,
                                                     season="add", m=m, level0=a_level0, trend0=a_trend0,
                                                     season0=a_season0)
            bad = ~self._mul_ok
            sse[bad], lev[bad], trd[bad], seas[bad] = sse_a[bad], lev_a[bad], trd_a[bad], seas_a[bad]
        best = _pick(sse)
        rows = np.arange(y.shape[0])
        self.alpha_, self.beta_, self.gamma_, self.phi_ = (alpha[0, best], beta[0, best], gamma[0, best],
                                                           phi[0, best])
        self._level, self._trend, self._seas = lev[rows, best], trd[rows, best], seas[rows, best]

    def _predict(self, h):
        m = self.season_length
        base = _trend_forecast(self._level, self._trend, self.phi_, h)
        season = np.tile(self._seas, (1, -(-h // m)))[:, :h]
        mul = (self.seasonal == "mul") & self._mul_ok
        return np.where(mul[:, None], base * season, base + season)


class Theta(Model):
    """Standard Theta method (Assimakopoulos & Nikolopoulos 2000, in the SES-with-drift form of
    Hyndman & Billah 2003): SES plus half the slope of the linear trend."""

    name, label = "theta", "Theta"
    min_length = 3

    def _fit(self, y):
        n, t = y.shape
        x = np.arange(t, dtype=float)
        xc = x - x.mean()
        self._slope = (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
        ses = SimpleExponentialSmoothing().fit(y)
        self.alpha_ = ses.alpha_
        self._level = ses._level

    def _predict(self, h):
        a = self.alpha_[:, None]
        k = np.arange(1, h + 1)[None, :]
        drift = 0.5 * self._slope[:, None] * ((k - 1) + 1 / a - (1 - a) ** self._t / a)
        return self._level[:, None] + drift


# ---------------------------------------------------------------- intermittent demand

class Croston(Model):
    """Croston's method: smooth the non-zero sizes and the intervals between them separately.
    `variant='sba'` applies the Syntetos-Boylan bias correction (1 - alpha/2)."""

    min_length = 2
    _alphas = np.array([0.05, 0.1, 0.2, 0.3])

    def __init__(self, season_length: int = 1, variant: str = "classic"):
        super().__init__(season_length)
        self.variant = variant
        self.name = "sba" if variant == "sba" else "croston"
        self.label = "Croston (SBA)" if variant == "sba" else "Croston"

    def _fit(self, y):
        n, t = y.shape
        alpha = self._alphas[None, :]
        g = alpha.shape[1]
        nz = y > 0
        first = np.argmax(nz, axis=1)
        has = nz.any(axis=1)
        size = np.where(has, y[np.arange(n), first], 0.0)[:, None] * np.ones((1, g))
        interval = np.where(has, first + 1.0, float(t))[:, None] * np.ones((1, g))
        since = np.zeros((n, 1))
        sse = np.zeros((n, g))
        corr = (1 - alpha / 2) if self.variant == "sba" else 1.0
        for i in range(t):
            pred = corr * size / interval
            started = (i > first)[:, None]
            err = y[:, i:i + 1] - pred
            sse += np.where(started, err * err, 0.0)
            since = since + 1
            hit = nz[:, i:i + 1] & started
            size = np.where(hit, size + alpha * (y[:, i:i + 1] - size), size)
            interval = np.where(hit, interval + alpha * (since - interval), interval)
            since = np.where(nz[:, i:i + 1], 0.0, since)
        best = _pick(sse)
        rows = np.arange(n)
        self.alpha_ = self._alphas[best]
        corr_b = (1 - self.alpha_ / 2) if self.variant == "sba" else 1.0
        self._rate = corr_b * size[rows, best] / interval[rows, best]

    def _predict(self, h):
        return np.repeat(self._rate[:, None], h, axis=1)


class TSB(Model):
    """Teunter-Syntetos-Babai: smooths the probability of demand every period, so the forecast
    decays towards zero when an item stops selling (Croston never does)."""

    name, label = "tsb", "TSB (Teunter-Syntetos-Babai)"
    min_length = 2

    def _fit(self, y):
        n, t = y.shape
        pairs = np.array(list(itertools.product([0.05, 0.1, 0.2, 0.3], [0.02, 0.05, 0.1, 0.2, 0.3])))
        alpha, beta = pairs[:, 0][None, :], pairs[:, 1][None, :]
        nz = y > 0
        has = nz.any(axis=1)
        first = np.argmax(nz, axis=1)
        prob = np.broadcast_to((nz.mean(axis=1))[:, None], (n, len(pairs))).copy()
        size = np.where(has, y[np.arange(n), first], 0.0)[:, None] * np.ones((1, len(pairs)))
        sse = np.zeros((n, len(pairs)))
        for i in range(t):
            err = y[:, i:i + 1] - prob * size
            if i >= _BURN_IN:
                sse += err * err
            hit = nz[:, i:i + 1]
            prob = prob + beta * (hit - prob)
            size = np.where(hit, size + alpha * (y[:, i:i + 1] - size), size)
        best = _pick(sse)
        rows = np.arange(n)
        self.alpha_, self.beta_ = alpha[0, best], beta[0, best]
        self._rate = prob[rows, best] * size[rows, best]

    def _predict(self, h):
        return np.repeat(self._rate[:, None], h, axis=1)


# ---------------------------------------------------------------- wrappers and combinations

class Deseasonalised(Model):
    """Fit a non-seasonal model on the seasonally adjusted series (classical decomposition),
    then put the season back: the M4 competition's benchmark recipe, robust on short data."""

    def __init__(self, inner: Model, season_length: int = 12):
        super().__init__(season_length)
        self.inner = inner
        self.name = f"{inner.name}_ds"
        self.label = f"{inner.label} (seasonally adjusted)"
        self.min_length = max(inner.min_length, 2 * self.season_length)

    def _fit(self, y):
        adjusted, self._indices, self._mult = deseasonalise(y, self.season_length)
        self.inner.fit(adjusted)

    def _predict(self, h):
        return reseasonalise(self.inner._predict(h), self._indices, self._mult, self._t)


class LogScale(Model):
    """Fit a model on log(y) and forecast exp of its forecast (the median on the original scale):
    multiplicative trend and seasonality become additive, and growth compounds. Series with a
    value <= 0 are fitted on the original scale instead."""

    def __init__(self, inner: Model, season_length: int = 1):
        super().__init__(season_length)
        self.inner = inner
        self.name = f"{inner.name}_log"
        self.label = f"{inner.label} (log scale)"
        self.min_length = inner.min_length

    def _fit(self, y):
        self._pos = (y > 0).all(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(self._pos[:, None], np.log(np.where(y > 0, y, 1.0)), y)
        self.inner.fit(z)

    def _predict(self, h):
        f = self.inner._predict(h)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(self._pos[:, None], np.exp(np.minimum(f, 700.0)), f)


class Combination(Model):
    """Mean (or median) of several models' forecasts: combinations are hard to beat."""

    def __init__(self, members: list[Model], season_length: int = 1, how: str = "mean", name: str = "combo"):
        super().__init__(season_length)
        self.members, self.how = members, how
        self.name = name
        self.label = f"{how.capitalize()} of " + ", ".join(m.label for m in members)
        self.min_length = max(m.min_length for m in members)

    def _fit(self, y):
        for m in self.members:
            m.fit(y)

    def _predict(self, h):
        stack = np.stack([m._predict(h) for m in self.members])
        return np.median(stack, axis=0) if self.how == "median" else stack.mean(axis=0)


# ---------------------------------------------------------------- statsmodels reference models

class StatsmodelsHoltWinters(Model):
    """statsmodels' ExponentialSmoothing, one series at a time (the reference implementation;
    about 10-70 ms a series against well under 1 ms for `HoltWinters`)."""

    def __init__(self, season_length: int = 12, seasonal: str | None = "add", trend: str | None = "add",
                 damped: bool = True):
        super().__init__(season_length)
        self.seasonal, self.trend, self.damped = seasonal, trend, damped and trend is not None
        self.name, self.label = "hw_statsmodels", "Holt-Winters (statsmodels)"
        self.min_length = 2 * self.season_length + 2 if seasonal else 4

    def _fit(self, y):
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        self._fits = []
        for row in y:
            seasonal = self.seasonal
            if seasonal == "mul" and (row <= 0).any():
                seasonal = "add"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ExponentialSmoothing(row, trend=self.trend, damped_trend=self.damped, seasonal=seasonal,
                                             seasonal_periods=self.season_length if seasonal else None,
                                             initialization_method="heuristic" if len(row) >= 10 + 2 * (
                                                 self.season_length if seasonal else 0) else "estimated")
                self._fits.append(model.fit())

    def _predict(self, h):
        return np.vstack([np.asarray(f.forecast(h)) for f in self._fits])


class Arima(Model):
    """ARIMA(p, d, q) with a small automatic order search, fitted by statsmodels.

    d is 1 when a KPSS test rejects level stationarity, else 0; (p, q) in {0,1,2} x {0,1}
    minimise AICc. With d = 0 a constant is estimated, with d = 1 a drift. Roughly 0.2-0.5 s a
    series, so the auto-selection only tries it when asked (`candidates=` or method='arima').
    """

    name, label = "arima", "ARIMA (automatic order)"
    min_length = 8

    def __init__(self, season_length: int = 1, max_p: int = 2, max_q: int = 1):
        super().__init__(season_length)
        self.max_p, self.max_q = max_p, max_q

    def _fit(self, y):
        self._fits, self.orders_ = [], []
        self._lasts = y[:, -1].copy()
        for row in y:
            fit, order = self._fit_one(row)
            self._fits.append(fit)
            self.orders_.append(order)

    def _fit_one(self, row):
        from statsmodels.tsa.arima.model import ARIMA
        from statsmodels.tsa.stattools import kpss

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if np.ptp(row) == 0:
                return None, (0, 0, 0)
            try:
                d = 1 if kpss(row, regression="c", nlags="auto")[1] < 0.05 else 0
            except Exception:  # noqa: BLE001 - too short or degenerate: assume a random walk
                d = 1
            best, best_order, best_ic = None, (0, d, 0), np.inf
            n = len(row) - d
            for p in range(self.max_p + 1):
                for q in range(self.max_q + 1):
                    k = p + q + 2
                    if n - k - 1 <= 0:
                        continue
                    try:
                        res = ARIMA(row, order=(p, d, q), trend="c" if d == 0 else "t").fit()
                    except Exception:  # noqa: BLE001 - a failed order is just not a candidate
                        continue
                    aicc = res.aic + 2 * k * (k + 1) / (n - k - 1)
                    if np.isfinite(aicc) and aicc < best_ic:
                        best, best_order, best_ic = res, (p, d, q), aicc
            return best, best_order

    def _predict(self, h):
        rows = []
        for fit, y_last in zip(self._fits, self._lasts):
            if fit is None:
                rows.append(np.full(h, y_last))
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rows.append(np.asarray(fit.forecast(h)))
        return np.vstack(rows)


class DifferencedAR(Model):
    """ARIMA(p,0,0)(0,1,0)m with a mean: the seasonal differences y_t - y_(t-m) (first differences
    when m is 1) are their mean (the usual change over a season) plus an autoregression of order p
    on the deviations from it, fitted by least squares for all series at once; p in 1..3 by AIC per
    series. Forecast: the differences extrapolated, added to the values a season earlier."""

    name, label = "diff_ar", "Autoregression on seasonal differences"

    def __init__(self, season_length: int = 1, max_p: int = 3):
        super().__init__(season_length)
        self.max_p = max_p
        self.min_length = 2 * self.season_length + max_p + 6  # a few more differences than coefficients

    def _fit(self, y):
        m, n = self.season_length, y.shape[0]
        d = y[:, m:] - y[:, :-m]
        self._mean = d.mean(axis=1)
        dev = d - self._mean[:, None]
        first = self.max_p  # every order is fitted on the same differences, so their AICs compare
        target, big_n = dev[:, first:], dev.shape[1] - first
        best_aic = np.full(n, np.inf)
        self._phi = np.zeros((n, self.max_p))
        for p in range(1, self.max_p + 1):
            x = np.stack([dev[:, first - i:dev.shape[1] - i] for i in range(1, p + 1)], axis=2)  # (n, N, p)
            xtx = np.einsum("nti,ntj->nij", x, x) + 1e-8 * np.eye(p)   # a constant change stays solvable
            phi = np.linalg.solve(xtx, np.einsum("nti,nt->ni", x, target)[..., None])[..., 0]
            total = np.abs(phi).sum(axis=1)   # a near unit root would extrapolate a blip for ever
            phi = phi * np.where(total > 0.95, 0.95 / np.maximum(total, 1e-12), 1.0)[:, None]
            sse = ((target - np.einsum("ntp,np->nt", x, phi)) ** 2).sum(axis=1)
            aic = big_n * np.log(np.maximum(sse / big_n, 1e-300)) + 2 * (p + 1)
            better = aic < best_aic
            self._phi[better] = np.pad(phi, ((0, 0), (0, self.max_p - p)))[better]
            best_aic = np.where(better, aic, best_aic)
        self._y, self._dev = y, dev

    def _predict(self, h):
        m, p, t, td = self.season_length, self.max_p, self._t, self._dev.shape[1]
        y = np.concatenate([self._y, np.zeros((self._n, h))], axis=1)
        dev = np.concatenate([self._dev, np.zeros((self._n, h))], axis=1)
        for j in range(h):
            dev[:, td + j] = (self._phi * dev[:, td + j - p:td + j][:, ::-1]).sum(axis=1)  # lags 1..p
            y[:, t + j] = y[:, t + j - m] + self._mean + dev[:, td + j]
        return y[:, t:]
