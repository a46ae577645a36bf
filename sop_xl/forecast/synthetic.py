"""Synthetic demand histories with known structure (fixed seeds), for tests and the benchmark.

Four kinds in turn: trend plus additive season, level plus noise, intermittent (Poisson
occurrences times a random size), multiplicative season with log-normal noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_history(n: int = 24, length: int = 48, *, seed: int = 3, start: str = "2022-01-01",
                      prefix: str = "SKU", width: int = 3, noise=(4.0, 6.0), amplitude=(25.0, 0.35),
                      mult_noise: float = 0.08, rate: float = 0.25, max_size: int = 15,
                      decimals: int | None = 1) -> pd.DataFrame:
    """Long frame unique_id, ds, y of `n` monthly series (kinds cycle smooth-seasonal, level, sparse, mult.)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range(start, periods=length, freq="MS")
    parts = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            y = 100 + 0.5 * t + amplitude[0] * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise[0], length)
        elif kind == 1:
            y = 50 + rng.normal(0, noise[1], length)
        elif kind == 2:
            y = rng.poisson(rate, length) * rng.integers(1, max_size, length)
        else:
            y = 200 * (1 + amplitude[1] * np.sin(2 * np.pi * t / 12)) * np.exp(rng.normal(0, mult_noise, length))
        y = np.maximum(y, 0)
        if decimals is not None:
            y = y.round(decimals)
        parts.append(pd.DataFrame({"unique_id": f"{prefix}{i:0{width}d}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)
