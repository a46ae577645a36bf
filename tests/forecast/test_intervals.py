"""The interval calibration's parts: window scales over periods a window does not forecast, and
bounds that grow with the step ahead at their own rate on each side."""

from __future__ import annotations

import numpy as np
import pytest

from sop_xl.forecast import intervals


def test_a_windows_scale_leaves_out_the_periods_it_forecasts_itself():
    e = np.arange(1.0, 13.0).reshape(3, 4)          # windows over periods 8-11, 6-9 and 4-7
    s = intervals.window_scales(e, [8, 6, 4], fallback=1.0)
    # window 1 (periods 6-9): window 0's periods 10, 11 and window 2's periods 4, 5
    assert s[1] == pytest.approx(np.mean([3.0, 4.0, 9.0, 10.0]))
    # window 0 (periods 8-11): window 1's 6, 7 and all of window 2
    assert s[0] == pytest.approx(np.mean([5.0, 6.0, 9.0, 10.0, 11.0, 12.0]))
    # without origins every other cell counts
    assert intervals.window_scales(e, None, 1.0)[1] == pytest.approx(np.mean([1, 2, 3, 4, 9, 10, 11, 12]))


def test_other_windows_forecast_to_rounding_dust_fall_back_to_the_series_scale():
    e = np.array([[3.0, 2.0, 4.0], [1e-13, -1e-13, 1e-13], [2e-13, 1e-13, -1e-13]])
    s = intervals.window_scales(e, [6, 3, 0], fallback=1.5)
    assert s[0] == 1.5 and s[1] > 1.0 and s[2] > 1.0


def test_each_side_of_the_band_grows_at_its_own_rate():
    rng = np.random.default_rng(0)
    k = np.tile(np.arange(1, 13), 400)
    size = np.abs(rng.normal(size=k.size))
    below = rng.random(k.size) < 0.5
    z = np.where(below, -size, size * k)            # misses below stay put, misses above grow like k
    band = intervals.fit_band(z, k, (80,))
    (c_lo, b_lo), (c_hi, b_hi) = band.quantiles[80]
    assert b_lo < 0.15 and b_hi > 0.85 and c_lo < 0 < c_hi
    lo, hi = band.limits(80, np.arange(1, 13))
    for j, step in enumerate(range(1, 13)):         # each step's own 10 % / 90 % quantiles
        at = z[k == step]
        assert np.mean(at < lo[j]) == pytest.approx(0.1, abs=0.05)
        assert np.mean(at > hi[j]) == pytest.approx(0.1, abs=0.05)
