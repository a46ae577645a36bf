"""The one place that writes a solved plan onto the plan sheets (SupplyPlan, Capacity with its load
charts, WorkforcePlan, PlanCost, PlanExplain, PlanRun): `sop-xl plan` and a promoted scenario
(`sop-xl scenarios --promote`) both call `write_plan_tables`."""

from __future__ import annotations

import pandas as pd

from ..contract.plan import CAPACITY, PLAN_COST, PLAN_EXPLAIN, PLAN_RUN, SUPPLY_PLAN, WORKFORCE_PLAN
from ..io.protocol import WorkbookAdapter


def write_plan_tables(book: WorkbookAdapter, result, *, period_type: str, run: dict | None = None) -> list[str]:
    """Stage the tables of `result` (a PlanResult) and its PlanRun row (`run`, default `result.run`).
    An infeasible result writes only its explanation and run row. Returns the sheets written."""
    from .plan import _load_charts

    pt = period_type
    written = [PLAN_EXPLAIN.name, PLAN_RUN.name]
    if result.supply_plan.empty:
        # infeasible, or no plan within the time limit: PlanRun says which
        book.write_table(PLAN_EXPLAIN, result.explanation.reindex(columns=PLAN_EXPLAIN.column_names()),
                         period_type=pt)
    else:
        book.write_table(SUPPLY_PLAN, result.supply_plan[SUPPLY_PLAN.column_names()], period_type=pt)
        book.write_table(CAPACITY, result.capacity[CAPACITY.column_names()], period_type=pt,
                         charts=_load_charts(CAPACITY, result.capacity, "used_hours"))
        book.write_table(WORKFORCE_PLAN, result.workforce[WORKFORCE_PLAN.column_names()], period_type=pt)
        book.write_table(PLAN_COST, result.cost[PLAN_COST.column_names()], period_type=pt)
        book.write_table(PLAN_EXPLAIN, result.explanation.reindex(columns=PLAN_EXPLAIN.column_names()),
                         period_type=pt)  # clears an old explanation
        written = [SUPPLY_PLAN.name, CAPACITY.name, WORKFORCE_PLAN.name, PLAN_COST.name, *written]
    row = pd.DataFrame([run if run is not None else result.run]).reindex(columns=PLAN_RUN.column_names())
    book.write_table(PLAN_RUN, row, period_type=pt)
    return written
