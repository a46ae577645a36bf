"""Synthetic demand histories with known structure (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_history(n: int = 24, length: int = 48, seed: int = 3, start: str = "2022-01-01") -> pd.DataFrame:
    """A mix of smooth, trending-seasonal, intermittent and multiplicative-seasonal series."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    ds = pd.date_range(start, periods=length, freq="MS")
    parts = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            y = 100 + 0.5 * t + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, length)
        elif kind == 1:
            y = 50 + rng.normal(0, 6, length)
        elif kind == 2:
            y = rng.poisson(0.25, length) * rng.integers(1, 15, length)
        else:
            y = 200 * (1 + 0.35 * np.sin(2 * np.pi * t / 12)) * np.exp(rng.normal(0, 0.08, length))
        parts.append(pd.DataFrame({"unique_id": f"SKU{i:03d}", "ds": ds, "y": np.maximum(y, 0).round(1)}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_history()
