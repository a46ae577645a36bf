"""Sheets every stage shares: the Issues report and the run log."""

from __future__ import annotations

from .schema import Column, Kind, Owner, Role, Sheet

C = Column

ISSUES = Sheet(
    name="Issues",
    table="tblIssues",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="all",
    description="Problems found in the last run, each with the cell to fix. Rewritten by every run.",
    columns=(
        C("severity", Kind.TEXT, "Severity", allowed=("error", "warning", "info"), width=10),
        C("code", Kind.TEXT, "Code", width=20),
        C("sheet", Kind.TEXT, "Sheet", width=16),
        C("cell", Kind.TEXT, "Cell", width=8),
        C("column", Kind.TEXT, "Column", width=16),
        C("row_key", Kind.TEXT, "Row", width=14),
        C("value", Kind.TEXT, "Value", width=14),
        C("message", Kind.TEXT, "Message", width=70),
        C("hint", Kind.TEXT, "How to fix", width=60),
    ),
)

RUN_LOG = Sheet(
    name="RunLog",
    table="tblRunLog",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="all",
    description="One row per stage run: when, what, how long, and the outcome. Appended, never rewritten.",
    columns=(
        C("time", Kind.TEXT, "Time", width=20),
        C("stage", Kind.TEXT, "Stage", width=14),
        C("status", Kind.TEXT, "Status", width=12),
        C("seconds", Kind.NUMBER, "Seconds", width=9),
        C("detail", Kind.TEXT, "Detail", width=80),
        C("version", Kind.TEXT, "sop_xl version", width=12),
    ),
)

COMMON_SHEETS = (ISSUES, RUN_LOG)
