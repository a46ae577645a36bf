"""Sheets of the plan stage (declared by that stage)."""

from __future__ import annotations

PLAN_SHEETS: tuple = ()
