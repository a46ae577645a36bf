"""The plan stage's view of the Settings sheet, as one frozen value."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from ..contract import SETTINGS
from ..periods import MONTH


@dataclass(frozen=True)
class PlanSettings:
    period_type: str = MONTH
    first_period: pd.Timestamp | None = None  # Settings.first_forecast_period
    horizon: int = 18
    service_level: float = 0.95
    plan_level: str = "sku"                # sku | family
    objective: str = "min_cost"            # min_cost | max_margin
    solver: str = "highs"
    time_limit: float = 60.0
    mip_gap: float = 0.0001
    allow_backlog: bool = True
    no_backlog_at_end: bool = True
    demand_policy: str = ""                # meet_all | backlog | lost_sales; blank: from allow_backlog
    demand_policy_cell: str = ""           # Settings cell of demand_policy, for explanations
    whole_headcount: bool = True
    lot_sizing: bool = False
    safety_stock_penalty: float = 0.0
    storage_capacity: float | None = None

    @classmethod
    def from_settings(cls, settings: Any = None, **overrides: Any) -> "PlanSettings":
        """Read the plan keys from the lead's `Settings` object, a dict, or nothing (defaults).

        Blank values mean the contract default; yes/no text is accepted for the switches.
        """
        values: dict[str, Any] = {}
        aliases = {"first_period": "first_forecast_period"}
        for f in fields(cls):
            key = aliases.get(f.name, f.name)
            raw = _lookup(settings, key)
            if _blank(raw):
                raw = _contract_default(key)
            if _blank(raw):
                continue
            values[f.name] = _coerce(f.name, raw)
        cell = getattr(settings, "cell", None)
        if callable(cell):
            values["demand_policy_cell"] = str(cell("demand_policy") or "")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    # ---------------------------------------------------------------- demand policy, resolved
    @property
    def policy(self) -> str:
        """The demand policy in force: the setting, or (blank) what allow_backlog says, as before it existed."""
        if self.demand_policy in ("meet_all", "backlog", "lost_sales"):
            return self.demand_policy
        return "backlog" if self.allow_backlog else "lost_sales"

    @property
    def backorders(self) -> bool:
        """Demand may wait (back[i,t] exists): backlog, or meet_all when allow_backlog says yes."""
        return self.policy == "backlog" or (self.policy == "meet_all" and self.allow_backlog)

    @property
    def lost_sales(self) -> bool:
        """Demand may go unserved (lost[i,t] exists): lost_sales, or max_margin declining demand under backlog."""
        return self.policy == "lost_sales" or (self.policy == "backlog" and self.objective == "max_margin")

    @property
    def clear_backlog_at_end(self) -> bool:
        """No backorder may be left at the end of the horizon: always under meet_all."""
        return self.backorders and (self.policy == "meet_all" or self.no_backlog_at_end)

    def with_(self, **changes: Any) -> "PlanSettings":
        return replace(self, **changes)


def _lookup(settings: Any, key: str) -> Any:
    if settings is None:
        return None
    if isinstance(settings, dict):
        return settings.get(key)
    return getattr(settings, key, None)


def _contract_default(key: str) -> Any:
    try:
        return SETTINGS.setting(key).default
    except KeyError:
        return None


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


_BOOLS = {"allow_backlog", "no_backlog_at_end", "whole_headcount", "lot_sizing"}
_FLOATS = {"service_level", "time_limit", "mip_gap", "safety_stock_penalty", "storage_capacity"}


def _coerce(name: str, raw: Any) -> Any:
    if name in _BOOLS:
        if isinstance(raw, str):
            return raw.strip().lower() in ("yes", "y", "true", "1", "on")
        return bool(raw)
    if name in _FLOATS:
        return float(raw)
    if name == "horizon":
        return int(raw)
    if name == "first_period":
        return pd.Timestamp(raw)
    if name == "demand_policy":
        return str(raw).strip().lower().replace(" ", "_").replace("-", "_")
    return str(raw).strip().lower() if name != "solver" else str(raw).strip()
