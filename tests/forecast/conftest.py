"""Synthetic demand histories with known structure (fixed seeds): sop_xl.forecast.synthetic."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.forecast.synthetic import synthetic_history


def make_history(n: int = 24, length: int = 48, seed: int = 3, start: str = "2022-01-01") -> pd.DataFrame:
    """A mix of smooth, trending-seasonal, intermittent and multiplicative-seasonal series."""
    return synthetic_history(n, length, seed=seed, start=start)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_history()
