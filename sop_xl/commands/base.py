"""What every command returns, and the shell that runs commands against a workbook.

A command (`run_forecast`, `run_plan`, ...) takes a workbook adapter, reads what it needs,
calls the pure core, stages its output tables and returns a `StageResult`. It never saves:
`execute` does, once, after every requested stage succeeded, together with the Issues
sheet and a RunLog row. The CLI and the ribbon dispatcher both go through `execute`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from .. import __version__
from ..contract import DEMAND_HISTORY, ISSUES, RESOURCES, ROUTING, RUN_LOG
from ..contract.consensus import CONSENSUS
from ..contract.forecast import FORECAST
from ..contract.plan import DEMAND
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_table
from ..issues import Issue, InputError, IssueLog, Severity, issues_frame
from ..progress import SILENT, Progress, notes_to


@dataclass
class StageResult:
    stage: str
    summary: list[str] = field(default_factory=list)     # lines for the console / message box
    issues: list[Issue] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)      # sheets written
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)    # frames for callers and tests
    # sheets still saved when the stage fails (e.g. PlanExplain saying why a plan is infeasible)
    keep_on_failure: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if any(i.severity is Severity.ERROR for i in self.issues):
            return "failed"
        if any(i.severity is Severity.WARNING for i in self.issues):
            return "warnings"
        return "ok"


# stage name -> "module:function". Resolved when called, so importing sop_xl stays cheap and a
# stage whose module is absent is reported as "not available yet" instead of breaking the rest.
STAGES: dict[str, str] = {
    "validate": "sop_xl.commands.validate:run_validate",
    "forecast": "sop_xl.commands.forecast:run_forecast",
    "accuracy": "sop_xl.commands.accuracy:run_accuracy",
    "roughcut": "sop_xl.commands.plan:run_roughcut",
    "plan": "sop_xl.commands.plan:run_plan",
    "send-review": "sop_xl.commands.consensus:run_send_review",
    "merge": "sop_xl.commands.consensus:run_merge",
    "close-cycle": "sop_xl.commands.consensus:run_close_cycle",
    "scenarios": "sop_xl.commands.scenarios:run_scenarios",
    "financials": "sop_xl.commands.financials:run_financials",
    "dashboard": "sop_xl.commands.dashboard:run_dashboard",
    "export-pdf": "sop_xl.commands.export_pdf:run_export_pdf",
}

# the order of the monthly cycle, used by `sop-xl demo` and `sop-xl run`
CYCLE: tuple[str, ...] = ("validate", "forecast", "roughcut", "plan", "scenarios", "financials", "dashboard")


# the sheets a cycle stage cannot run without (any one of a tuple of alternatives): `sop-xl run` leaves
# out a stage the workbook has no input for, so a plan-only workbook (Demand, no DemandHistory) plans and a
# forecast-only one (no Resources) forecasts, instead of failing on the first missing sheet
# demand from any of the sheets the plan reads it from (review_inputs.DEMAND_SHEETS), or history to forecast
_PLANNING_NEEDS = ((RESOURCES.name,), (ROUTING.name,),
                   (CONSENSUS.name, FORECAST.name, DEMAND.name, DEMAND_HISTORY.name))
_CYCLE_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "forecast": ((DEMAND_HISTORY.name,),),
    "roughcut": _PLANNING_NEEDS,
    "plan": _PLANNING_NEEDS,
    "scenarios": _PLANNING_NEEDS,
}


def cycle_for(book: WorkbookAdapter, stages: tuple[str, ...] | list[str] = CYCLE) -> tuple[list[str], list[str]]:
    """(stages the workbook has inputs for, lines saying which were left out and why)."""
    present = {n.lower() for n in book.sheet_names()}
    keep, skipped = [], []
    for stage in stages:
        missing = [" or ".join(alts) for alts in _CYCLE_NEEDS.get(stage, ())
                   if not any(a.lower() in present for a in alts)]
        if missing:
            skipped.append(f"{stage}: skipped, the workbook has no {', no '.join(missing)} sheet")
        else:
            keep.append(stage)
    return keep, skipped


class StageUnavailable(Exception):
    pass


def stage_function(name: str) -> Callable[..., StageResult]:
    target = STAGES.get(name)
    if target is None:
        raise StageUnavailable(f"unknown stage {name!r}")
    module_name, _, func = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise StageUnavailable(f"the {name} stage is not available in this version of sop_xl") from None
        raise
    try:
        return getattr(module, func)
    except AttributeError:
        raise StageUnavailable(f"the {name} stage is not available in this version of sop_xl") from None


def available_stages() -> list[str]:
    out = []
    for name in STAGES:
        try:
            stage_function(name)
            out.append(name)
        except StageUnavailable:
            pass
    return out


def execute(book: WorkbookAdapter, stages: list[str], *, progress: Progress = SILENT, save: bool = True,
            options: dict[str, dict[str, Any]] | None = None,
            on_result: Callable[[StageResult], None] | None = None) -> list[StageResult]:
    """Run stages in order against `book`; stop at the first one with errors.

    The Issues sheet always reflects this run. Stages that finished keep their output; the
    failed stage's tables are dropped (but for the ones it asks to keep, such as an
    explanation), so the workbook never holds half a stage's results.
    """
    options = options or {}
    results: list[StageResult] = []
    for name in stages:
        fn = stage_function(name)
        staged_before = set(getattr(book, "staged", []))
        start = time.perf_counter()
        try:
            with notes_to(progress):  # a long solve inside says elapsed time, bound and gap
                result = fn(book, progress=progress, **options.get(name, {}))
        except InputError as err:
            result = StageResult(stage=name, issues=list(err.issues),
                                 summary=[f"{name}: stopped, {len([i for i in err.issues if i.severity is Severity.ERROR])} problem(s) to fix"])
        result.seconds = time.perf_counter() - start
        results.append(result)
        if on_result:
            on_result(result)
        if result.status == "failed":
            if hasattr(book, "discard_staged"):
                partial = set(getattr(book, "staged", [])) - staged_before - set(result.keep_on_failure)
                book.discard_staged(sorted(partial))
            break
    if save:
        write_issues(book, [i for r in results for i in r.issues])
        append_run_log(book, results)
        book.save()
    return results


def write_issues(book: WorkbookAdapter, issues: list[Issue]) -> None:
    book.write_table(ISSUES, issues_frame(issues))


def append_run_log(book: WorkbookAdapter, results: list[StageResult]) -> None:
    log = IssueLog()
    previous = read_table(book, RUN_LOG, log, required=False)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    rows = [dict(time=stamp, stage=r.stage, status=r.status, seconds=round(r.seconds, 2),
                 detail="; ".join(r.summary)[:250], version=__version__) for r in results]
    frame = pd.concat([previous.reset_index(drop=True), pd.DataFrame(rows)], ignore_index=True)
    book.write_table(RUN_LOG, frame.tail(500))
