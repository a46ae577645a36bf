"""Sheets of the forecast stage (declared by that stage)."""

from __future__ import annotations

FORECAST_SHEETS: tuple = ()
