"""Demand classes (Syntetos-Boylan), seasonality and history length of one series.

ADI (average periods between demands) and CV^2 (squared coefficient of variation of the
non-zero demand sizes) split demand into smooth, erratic, intermittent and lumpy with the
usual cut-offs 1.32 and 0.49. The class decides which methods are tried.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .seasonality import CANDIDATE_SEASONS, is_seasonal

ADI_CUT = 1.32
CV2_CUT = 0.49

SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND = "smooth", "erratic", "intermittent", "lumpy", "no_demand"


@dataclass(frozen=True)
class Profile:
    demand_class: str
    adi: float
    cv2: float
    seasonal: bool
    season_length: int   # used by the models; 1 when not seasonal
    short: bool          # fewer than two full cycles: seasonality cannot be estimated

    @property
    def sparse(self) -> bool:
        return self.demand_class in (INTERMITTENT, LUMPY)


def demand_class(y: np.ndarray) -> tuple[str, float, float]:
    y = np.asarray(y, float)
    nz = y[y > 0]
    if len(nz) == 0:
        return NO_DEMAND, float("inf"), 0.0
    adi = len(y) / len(nz)
    rel = nz / nz.max()  # relative sizes: no overflow for huge values
    cv2 = float((rel.std() / rel.mean()) ** 2)
    if adi < ADI_CUT:
        return (SMOOTH if cv2 < CV2_CUT else ERRATIC), adi, cv2
    return (INTERMITTENT if cv2 < CV2_CUT else LUMPY), adi, cv2


def profile(y: np.ndarray, period_type: str, season_length: int | None = None) -> Profile:
    """Classify one cleansed series. A given `season_length` is used when the data allow it;
    otherwise the season length of the period type is tested (and detected when seasonal)."""
    y = np.asarray(y, float)
    cls, adi, cv2 = demand_class(y)
    cycle = season_length or (CANDIDATE_SEASONS.get(period_type, (1,))[0])
    short = cycle > 1 and len(y) < 2 * cycle
    seasonal = False
    m = 1
    # sparse series are tested too: spare parts and seasonal products can be both
    if cls != NO_DEMAND and cycle > 1:
        if season_length and season_length > 1:
            # the planner said so: trust it once two cycles exist (the test needs three)
            seasonal = len(y) >= 2 * season_length and np.ptp(y) > 0
            m = season_length if seasonal else 1
        else:
            for cand in CANDIDATE_SEASONS.get(period_type, ()):
                if is_seasonal(y, cand):
                    seasonal, m = True, cand
                    break
    return Profile(cls, float(adi), float(cv2), seasonal, m, short)
