"""Property tests: whatever a planner pastes, every series gets a finite, ordered forecast."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_xl.forecast import forecast, forecast_result

values = st.one_of(st.none(), st.floats(min_value=-50, max_value=1e6, allow_nan=False),
                   st.sampled_from([0.0, 0.0, 0.0, 1.0]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(values, min_size=1, max_size=40), min_size=1, max_size=3), st.integers(1, 8))
def test_any_history_gives_a_finite_ordered_forecast(rows, h):
    parts = []
    for i, ys in enumerate(rows):
        ys = [np.nan if v is None else v for v in ys]
        parts.append(pd.DataFrame({"unique_id": f"S{i}", "ds": pd.date_range("2020-01-01", periods=len(ys),
                                                                             freq="MS"), "y": ys}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = forecast_result(pd.concat(parts), h)
    fc = res.forecasts
    assert len(fc) == len(rows) * h
    cols = ["yhat_lo_95", "yhat_lo_80", "yhat", "yhat_hi_80", "yhat_hi_95"]
    assert np.isfinite(fc[cols].to_numpy()).all()
    assert (fc["yhat_lo_95"] >= 0).all()
    arr = fc[cols].to_numpy()
    assert (np.diff(arr, axis=1) >= -1e-6 * np.maximum(1, np.abs(arr[:, 1:]))).all()
    assert res.series["method"].astype(bool).all() and res.series["reason"].astype(bool).all()


def test_statsmodels_arima_stays_quiet():
    y = np.array([5, 7, 6, 9, 8, 11, 10, 12, 13, 12, 15, 14, 16, 18, 17, 19.0])
    hist = pd.DataFrame({"unique_id": "A", "ds": pd.date_range("2023-01-01", periods=len(y), freq="MS"), "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = forecast(hist, 3, method="arima")
    assert (fc["method"] == "arima").all() and np.isfinite(fc["yhat"]).all()
