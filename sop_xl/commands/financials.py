"""`sop-xl financials`: the plan in money per family and period (Financials sheet)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ..contract import Column, Kind, Layout
from ..contract.executive import BUDGET, FINANCIALS
from ..contract.plan import SUPPLY_PLAN
from ..io.protocol import WorkbookAdapter
from ..io.tables import find_header, read_grid, read_settings, read_wide
from ..issues import IssueCode, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult
from .review_inputs import (currency, opening_backlog, optional_table, plan_of_record, planned_prices, read_demand,
                            read_items, stage_missing, with_ds, with_promoted)

# the Budget pasted wide: families down, periods across, an optional Measure column (volume, revenue,
# margin; blank: revenue) - a view of the Budget declaration, not a second one
BUDGET_WIDE = dataclasses.replace(
    BUDGET, layout=Layout.WIDE, key=(),
    columns=(BUDGET.column("family"),
             Column("measure", Kind.TEXT, "Measure", aliases=("line", "what", "kpi", "budget line"))),
    period_values=dataclasses.replace(BUDGET.column("revenue"), name="value", header="Budget"),
    long_columns=())
_MEASURES = tuple(BUDGET.column(n) for n in ("volume", "revenue", "margin"))


def run_financials(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    from ..finance import financials, horizon_totals

    progress.start("Financial plan", 3)
    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    items = read_items(book, log)
    log.raise_if_errors()
    demand, source = read_demand(book, pt, log)
    log.raise_if_errors()
    progress.advance()
    prices = planned_prices(book, pt, source, log)
    plan = with_ds(optional_table(book, SUPPLY_PLAN, log, pt, "item", "period"))
    if plan is None:
        stage_missing(log, SUPPLY_PLAN.name, "plan", "only the unconstrained financials (all demand sold) are "
                      "shown")
    budget_table = read_budget(book, pt, log)
    _check_budget_families(budget_table, items, log)
    budget = with_ds(budget_table)
    if budget is None:
        log.warning(IssueCode.MISSING_SHEET, "No Budget to compare with: the gap-to-budget columns stay empty.",
                    "Paste finance's budget (family, period, volume, revenue) into the Budget sheet.",
                    sheet=BUDGET.name)
    opening = opening_backlog(book, items, plan)
    record = plan_of_record(book, pt) if plan is not None else None
    if record:
        # the plan of record is a promoted scenario: its demand, prices and costs are the plan's
        items, demand, prices, applied = with_promoted(book, settings, items, demand, record, log, prices)
        if applied:
            source = f"{source} + {record}"
    # a stage that cannot finish says so before it writes or prints anything
    log.raise_if_errors()
    table = financials(demand=demand, items=items, supply_plan=plan, budget=budget, opening_backlog=opening,
                       prices=prices, demand_source=source, period_type=pt)
    progress.advance()
    book.write_table(FINANCIALS, table, period_type=pt)
    progress.finish()
    return StageResult(stage="financials", summary=_summary(table, horizon_totals(table), source, plan is not None,
                                                            budget is not None, currency(settings)),
                       issues=list(log), sheets=[FINANCIALS.name], data={"financials": table, "demand_source": source})


def _summary(table: pd.DataFrame, tot: pd.Series, source: str, has_plan: bool, has_budget: bool, cur: str
             ) -> list[str]:
    lines = [f"financials: {table['family'].nunique()} families x {table['period'].nunique()} periods, demand from "
             f"{source}; revenue (unconstrained) {tot['unconstrained_revenue']:,.0f} {cur}"]
    if has_plan:
        lines.append(f"  plan: revenue {tot['revenue']:,.0f} {cur}, gross margin {tot['gross_margin']:,.0f} "
                     f"({tot['gross_margin_pct']:.1%}), revenue lost {tot['lost_revenue']:,.0f} {cur}")
        if tot.get("receipts_units", 0) > 0:
            lines.append(f"  scheduled receipts {tot['receipts_units']:,.0f} units: committed spend "
                         f"{tot['committed_spend']:,.0f} {cur} of material spend {tot['material_spend']:,.0f} {cur}")
    if has_budget and not np.isnan(tot.get("budget_revenue", np.nan)):
        lines.append(f"  vs budget {tot['budget_revenue']:,.0f} {cur}: gap {tot['revenue_gap']:+,.0f} {cur} "
                     f"({tot['revenue_gap_pct']:+.1%})")
    return lines


def read_budget(book: WorkbookAdapter, period_type: str, log: IssueLog) -> pd.DataFrame | None:
    """The Budget sheet as long family, period, volume, revenue, margin - pasted long (one row per family
    and period) or wide (families down, periods across, optionally a Measure column)."""
    grid = read_grid(book, BUDGET, IssueLog(), required=False)
    if grid is None:
        return None
    long = find_header(grid, BUDGET.columns)
    wide = find_header(grid, BUDGET_WIDE.columns, period_type=period_type)
    if long is not None and "period" in long.columns or wide is None or not wide.periods:
        return optional_table(book, BUDGET, log, period_type, "family", "period")
    letter = get_column_letter(wide.columns.get("measure", 1) + 1)
    return _budget_from_wide(read_wide(book, BUDGET_WIDE, log, period_type=period_type, required=False), letter,
                             log)


def _budget_from_wide(frame: pd.DataFrame, measure_letter: str, log: IssueLog) -> pd.DataFrame | None:
    if frame.empty:
        return None
    measure = frame["measure"].map(_measure)
    bad = frame[measure.isna()].assign(row=lambda f: f["cell"].map(_row_of)).drop_duplicates("row")
    for i in bad.index:
        log.error(IssueCode.NOT_ALLOWED, f"Budget measure {frame.at[i, 'measure']!r} is not volume, revenue or "
                  "margin.", "Type volume, revenue or margin in the Measure column (blank: revenue).",
                  sheet=BUDGET.name, value=frame.at[i, "measure"], cell=f"{measure_letter}{bad.at[i, 'row']}")
    frame = frame.assign(measure=measure).dropna(subset=["measure"])
    out = frame.pivot_table(index=["family", "ds"], columns="measure", values="value", aggfunc="sum")
    out = out.reindex(columns=[c.name for c in _MEASURES]).reset_index().rename(columns={"ds": "period"})
    first_cell = frame.groupby("family")["cell"].first()
    out.index = [_row_of(first_cell.get(f, "")) for f in out["family"]]
    out.attrs["letters"] = {"family": "A"}
    return None if out.empty else out


def _measure(text) -> str | None:
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return "revenue"
    return next((c.name for c in _MEASURES if c.matches(text) or str(text).strip().lower() == c.name), None)


def _row_of(address: str) -> int:
    digits = "".join(ch for ch in str(address) if ch.isdigit())
    return int(digits) if digits else 0


def _check_budget_families(budget: pd.DataFrame | None, items: pd.DataFrame, log: IssueLog) -> None:
    """A budget family the Items sheet does not know is most likely a typo: its whole budget shows as a gap."""
    if budget is None:
        return
    known = set(items["family"].dropna().astype(str))
    letter = budget.attrs.get("letters", {}).get("family", "A")
    for family, rows in budget.groupby("family", sort=False):
        if str(family) not in known:
            log.warning(IssueCode.UNKNOWN_KEY, f"Budget family {family!r} is not a family on the Items sheet, so its "
                        "whole budget shows as a gap.", f"Use one of: {', '.join(sorted(known))}.",
                        sheet=BUDGET.name, cell=f"{letter}{rows.index[0]}", value=family)


__all__ = ["BUDGET_WIDE", "read_budget", "run_financials"]
