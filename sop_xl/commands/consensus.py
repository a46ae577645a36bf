"""Consensus commands: `send-review`, `merge`, `close-cycle` (and the demo round).

    run_send_review(book, to_dir=...)   one review copy per department in Settings
    run_merge(book, returns=[...])      validate returns, merge them, write Consensus/Audit/Rejected
    run_close_cycle(book)               snapshot the plan of record, change report, FVA
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .. import periods
from ..consensus.audit import append, offers_frame
from ..consensus.manifest import MANIFEST_SHEET, Manifest, fingerprint, row_keys, verify
from ..consensus.merge import MergeRules, merge, parse_priority
from ..consensus.returns import formula_summary, read_return
from ..consensus.review import DEPARTMENTS, ReviewPackage, build_review, department
from ..consensus.versions import (add_snapshot, change_report, forecast_value_added, plan_of, previous_cycle,
                                  snapshot)
from ..contract import CAPACITY_CALENDAR, ITEMS, RESOURCES
from ..contract.forecast import FORECAST
from ..contract.plan import SUPPLY_PLAN
from ..contract.consensus import (AUDIT, CHANGE_REPORT, CONSENSUS, FORECAST_VALUE_ADDED, REJECTED, REVIEW_KEY,
                                  REVIEW_LOG, VERSIONS)
from ..contract.schema import Column, Kind, Sheet
from ..io.protocol import WorkbookAdapter
from ..io.review_copy import (ReturnedWorkbook, ReturnRefused, ReviewCopySpec, copy_file, expand,
                              fill_input_table, write_review_copy)
from ..io.settings import Settings
from ..io.tables import find_header, read_history, read_settings, read_table, read_wide
from ..issues import IssueCode, IssueLog, Severity
from ..progress import SILENT, Progress
from .base import StageResult

REFUSED = "consensus_return_refused"
FORMULAS = "consensus_formulas_found"
MACROS = "consensus_macros_ignored"

# How this stage reads the statistical forecast: a view of the forecast stage's own declaration
# (its key column; the period columns hold the forecast) that also accepts the long layout
# (SKU, Period, Forecast) a planner may paste.
FORECAST_READ = replace(
    FORECAST, columns=(FORECAST.column("sku"),),
    long_columns=(FORECAST.column("sku"),
                  Column("period", Kind.PERIOD, "Period", required=True, aliases=("ds",)),
                  replace(FORECAST.period_values, required=True, aliases=("mean", "value"))),
)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ------------------------------------------------------------------ reading the master

class _Master:
    """What every consensus command reads from the master workbook."""

    def __init__(self, book: WorkbookAdapter, log: IssueLog):
        self.settings: Settings = read_settings(book, log)
        self.period_type = self.settings.period_type
        pt = self.period_type
        self.items = read_table(book, ITEMS, log).reset_index(drop=True)
        self.statistical = read_statistical(book, self.settings, log)
        self.resources = read_table(book, RESOURCES, log, required=False).reset_index(drop=True)
        self.calendar = read_table(book, CAPACITY_CALENDAR, log, required=False, period_type=pt
                                   ).reset_index(drop=True)
        self.review_log = read_own(book, REVIEW_LOG, self.period_type)
        self._book = book
        first = self.statistical["ds"].min() if not self.statistical.empty else self.settings.first_forecast_period
        self.cycle = str(self.settings.cycle or (periods.label(first, pt) if first is not None else ""))
        horizon = sorted(self.statistical["ds"].unique()) if not self.statistical.empty else []
        skus = [s for s in self.items["sku"] if s in set(self.statistical["sku"])]
        families = sorted({f for s, f in zip(self.items["sku"], self.items["family"]) if s in set(skus) and f})
        self.keys = row_keys(skus, families, periods.labels(horizon, pt),
                             [str(r) for r in self.resources["resource"].dropna()])
        self.fingerprint = fingerprint(self.statistical, self.keys, {
            "cycle": self.cycle, "period_type": pt, "horizon": self.settings.horizon,
            "first_forecast_period": self.settings.first_forecast_period})

    @property
    def versions(self) -> pd.DataFrame:
        if not hasattr(self, "_versions"):
            self._versions = read_versions(self._book, self.period_type)
        return self._versions

    def rules(self, log: IssueLog) -> MergeRules:
        s = self.settings
        near = parse_priority(s.get("near_term_priority"))
        for key, names in (("department_priority", s.department_priority), ("near_term_priority", near)):
            for name in names:
                if department(name) is None:
                    log.warning("consensus_unknown_department", f"Setting {key}: {name!r} is not a department "
                                "sop_xl knows; it is ignored.", "Use Sales, Marketing, Finance, Operations.",
                                sheet="Settings", cell=s.cell(key), value=name)
        return MergeRules(priority=tuple(s.department_priority), near_term_priority=near,
                          near_term_periods=int(s.get("near_term_periods") or 0),
                          uplift_rule=str(s.get("uplift_rule") or "priority"))

    def consensus_of_cycle(self, book: WorkbookAdapter, log: IssueLog) -> pd.DataFrame | None:
        if CONSENSUS.name.lower() not in {n.lower() for n in book.sheet_names()}:
            return None
        frame = read_own(book, CONSENSUS, self.period_type)
        frame = frame[frame["cycle"].astype(str) == self.cycle].reset_index(drop=True)
        return frame if not frame.empty else None


def read_own(book: WorkbookAdapter, sheet: Sheet, period_type: str) -> pd.DataFrame:
    """A table only sop_xl writes (Consensus, Audit, Rejected, ReviewLog, Versions), read
    column-wise: they grow by thousands of rows a cycle, and the cell-by-cell checks of
    `read_table` (made for what people type) are not worth their time here."""
    columns = sheet.column_names()
    dtypes = {Kind.PERIOD: "datetime64[ns]", Kind.NUMBER: "float64", Kind.MONEY: "float64",
              Kind.PERCENT: "float64", Kind.INTEGER: "Int64"}
    empty = pd.DataFrame({c.name: pd.Series(dtype=dtypes.get(c.kind, object)) for c in sheet.columns})
    names = {n.lower(): n for n in book.sheet_names()}
    if sheet.name.lower() not in names:
        return empty
    grid = book.read_grid(names[sheet.name.lower()])
    header = find_header(grid, sheet.columns)
    if header is None or any(c.required and c.name not in header.columns for c in sheet.columns):
        return empty
    body = grid[header.row + 1:]
    data = {}
    for c in sheet.columns:
        at = header.columns.get(c.name)
        data[c.name] = [row[at] if at is not None and at < len(row) else None for row in body]
    frame = pd.DataFrame(data, columns=columns)
    required = [c.name for c in sheet.columns if c.required]
    frame = frame.dropna(subset=required, how="all").reset_index(drop=True)
    for c in sheet.columns:
        col = frame[c.name]
        if c.kind is Kind.PERIOD:
            labels = {v: periods.parse_period(v, period_type) for v in col.dropna().unique()}
            frame[c.name] = pd.to_datetime(col.map(labels))
        elif c.kind in dtypes:
            frame[c.name] = pd.to_numeric(col, errors="coerce").astype(dtypes[c.kind])
        else:
            frame[c.name] = col.map(lambda v: "" if v is None else
                                    str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).astype(object)
    return frame


def read_versions(book: WorkbookAdapter, period_type: str) -> pd.DataFrame:
    return read_own(book, VERSIONS, period_type)


def read_statistical(book: WorkbookAdapter, settings: Settings, log: IssueLog) -> pd.DataFrame:
    """The Forecast sheet as long sku, ds, forecast (blank cells are 0: no forecast, no demand)."""
    scratch = IssueLog()
    long = read_wide(book, FORECAST_READ, scratch, period_type=settings.period_type, required=False)
    if FORECAST_READ.name.lower() not in {n.lower() for n in book.sheet_names()}:
        log.error(IssueCode.MISSING_SHEET, "There is no Forecast sheet to review.",
                  "Run `sop-xl forecast` (or the Forecast button) first.", sheet="Forecast")
    log.extend(i for i in scratch if i.severity is Severity.ERROR)
    frame = long[["sku", "ds", "forecast"]].copy()
    frame["forecast"] = pd.to_numeric(frame["forecast"], errors="coerce").fillna(0.0).astype("float64")
    frame["sku"] = frame["sku"].astype(str)
    return frame.sort_values(["sku", "ds"]).reset_index(drop=True)


def _departments(master: _Master, log: IssueLog) -> list:
    depts = []
    for name in master.settings.departments:
        d = department(name)
        if d is None:
            log.error("consensus_unknown_department", f"Setting Departments: {name!r} has no review table.",
                      "List only Sales, Marketing, Finance, Operations.", sheet="Settings",
                      cell=master.settings.cell("departments"), value=name)
        elif d not in depts:
            depts.append(d)
    if not depts and not log.has_errors:
        log.error("consensus_unknown_department", "Setting Departments lists nobody to send a review copy to.",
                  "List the departments, e.g. Sales, Marketing, Finance, Operations.", sheet="Settings",
                  cell=master.settings.cell("departments"))
    return depts


# ------------------------------------------------------------------ send-review

def review_key(book: WorkbookAdapter, *, create: bool = False) -> str:
    """The master's secret that signs review copies (veryHidden ReviewKey sheet); made on the
    first send-review. "" when there is none and `create` is False."""
    names = {n.lower(): n for n in book.sheet_names()}
    if REVIEW_KEY.name.lower() in names:
        grid = book.read_grid(names[REVIEW_KEY.name.lower()])
        header = find_header(grid, REVIEW_KEY.columns)
        if header is not None and "key" in header.columns:
            column = header.columns["key"]
            for row in grid[header.row + 1:]:
                value = row[column] if column < len(row) else None
                if isinstance(value, str) and len(value.strip()) >= 32:
                    return value.strip()
    if not create:
        return ""
    key = secrets.token_hex(32)
    book.write_table(REVIEW_KEY, pd.DataFrame([dict(key=key, created_at=_now())], columns=REVIEW_KEY.column_names()))
    return key


def _copy_spec(package: ReviewPackage, *, title: str, note: str) -> ReviewCopySpec:
    return ReviewCopySpec(title=title, note=note, instructions=tuple(package.instructions),
                          input_sheet=package.department.sheet, choices=tuple(package.choices),
                          period_labels=tuple(package.period_labels), context=dict(package.context),
                          manifest_sheet=MANIFEST_SHEET, manifest_rows=())


def run_send_review(book: WorkbookAdapter, *, to_dir: str | Path, progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    master = _Master(book, log)
    depts = _departments(master, log)
    log.raise_if_errors()
    to_dir = Path(to_dir)
    history = read_history(book, master.settings, log).rename(columns={"unique_id": "sku"})
    before = previous_cycle(master.versions, master.cycle)
    last = plan_of(master.versions, before) if before else None
    issued = _now()
    stem = Path(getattr(book, "name", "workbook")).stem
    rows, files = [], []
    key = review_key(book, create=True)
    closed = _closed_cycles(master.versions)
    if master.cycle in closed:
        log.info("consensus_cycle_closed", f"Cycle {master.cycle} was closed at {closed[master.cycle]}: the "
                    "returns of these copies will be refused.", f"Set Settings cycle to "
                    f"{next_cycle(master.cycle, master.period_type)} and send the review copies again.",
                    sheet="Settings", cell=master.settings.cell("cycle"), value=master.cycle)
    progress.start("review copies", len(depts))
    for dept in depts:
        package = build_review(dept, cycle=master.cycle, period_type=master.period_type,
                               statistical=master.statistical, history=history, items=master.items,
                               last_consensus=last, last_cycle=before or "", resources=master.resources,
                               calendar=master.calendar, priority=tuple(master.settings.department_priority))
        copy_id = uuid.uuid4().hex
        spec = _copy_spec(package, title=f"{dept.name} review · cycle {master.cycle}",
                          note=f"Issued {issued} from {getattr(book, 'name', '')} · copy {copy_id}")
        manifest = Manifest(copy_id=copy_id, cycle=master.cycle, department=dept.name,
                            fingerprint=master.fingerprint, issued_at=issued, input_sheet=dept.sheet.name,
                            master=str(getattr(book, "name", "")), keys=master.keys, sheets=spec.sheet_names(),
                            header=tuple(c.header for c in dept.sheet.columns), header_row=dept.sheet.header_row)
        spec = replace(spec, manifest_rows=tuple(tuple(r) for r in manifest.to_rows(key)))
        path = write_review_copy(spec, to_dir / f"{stem}-review-{master.cycle}-{dept.name.lower()}.xlsx")
        files.append(path)
        rows.append(dict(copy_id=manifest.copy_id, cycle=master.cycle, department=dept.name, file=path.name,
                         issued_at=issued, fingerprint=master.fingerprint, digest=manifest.digest(), status="sent",
                         merged_at=None, merged_file=None))
        progress.advance()
    progress.finish()
    book.write_table(REVIEW_LOG, append(master.review_log, pd.DataFrame(rows, columns=REVIEW_LOG.column_names())))
    sheets = [REVIEW_LOG.name, REVIEW_KEY.name]
    if master.consensus_of_cycle(book, IssueLog()) is None:
        # a new cycle starts from its statistical forecast, so the plan never reads last cycle's consensus
        fresh = merge(offers_frame([]), statistical=master.statistical, items=master.items,
                      rules=master.rules(IssueLog()), cycle=master.cycle, period_type=master.period_type)
        book.write_table(CONSENSUS, fresh.consensus, period_type=master.period_type)
        sheets.append(CONSENSUS.name)
    return StageResult(stage="send-review", issues=list(log), sheets=sheets,
                       summary=[f"send-review: {len(files)} review copies for cycle {master.cycle} in {to_dir}"] +
                               [f"  {p.name}" for p in files] +
                               ([f"  note: cycle {master.cycle} is closed, so their returns will be refused: set "
                                 f"Settings cycle to {next_cycle(master.cycle, master.period_type)} and send again"]
                                if master.cycle in closed else []),
                       data={"files": files, "cycle": master.cycle})


# ------------------------------------------------------------------ merge

def run_merge(book: WorkbookAdapter, *, returns: Sequence[str | Path], progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    master = _Master(book, log)
    rules = master.rules(log)
    log.raise_if_errors()
    paths = expand(list(returns))
    if not paths:
        where = ", ".join(str(p) for p in returns) or "nothing"
        log.error("consensus_no_returns", f"No returned review copies found in {where}.",
                  "Save the returned .xlsx files there (or give their paths), then merge again.")
        log.raise_if_errors()
    settings = master.settings
    inbox = _read_returns(book, master, paths, log, progress)
    records, taken, refused, lost = inbox.records, inbox.taken, inbox.refused, inbox.lost
    offers = offers_frame(records)
    stamp = _now()
    previous = master.consensus_of_cycle(book, log)
    history = read_history(book, settings, IssueLog())
    history_max = (history.dropna(subset=["y"]).groupby("unique_id")["y"].max().to_dict()
                   if not history.empty else {})
    result = merge(offers, statistical=master.statistical, items=master.items, rules=rules, cycle=master.cycle,
                   period_type=master.period_type, time=stamp, previous=previous, resources=master.resources,
                   calendar=master.calendar, limit_factor=float(settings.get("return_limit_factor") or 5),
                   history_max={str(k): float(v) for k, v in history_max.items()})
    sheets = []
    if taken or master.cycle not in _closed_cycles(master.versions):  # a closed cycle's consensus stays closed
        book.write_table(CONSENSUS, result.consensus, period_type=master.period_type)
        sheets.append(CONSENSUS.name)
    old_audit = read_own(book, AUDIT, master.period_type)
    book.write_table(AUDIT, append(old_audit, result.audit), period_type=master.period_type)
    old_rejected = read_own(book, REJECTED, master.period_type)
    superseded = superseded_rows(result.superseded, old_audit, master, stamp, by_file=_deciding_files(result, offers))
    book.write_table(REJECTED, append(old_rejected, pd.concat([result.rejected, superseded], ignore_index=True)
                                      if not superseded.empty else result.rejected))
    sheets += [AUDIT.name, REJECTED.name]
    if taken:
        book.write_table(REVIEW_LOG, _mark_merged(master.review_log, taken, stamp))
        sheets.append(REVIEW_LOG.name)
    if result.calendar is not None:
        book.write_table(CAPACITY_CALENDAR, result.calendar, period_type=master.period_type)
        sheets.append(CAPACITY_CALENDAR.name)
    merged, rejected = len(result.merged), len(result.reasons)
    summary = [f"merge: {len(taken)} of {len(paths)} return(s) merged into cycle {master.cycle}: "
               f"{result.offered} value(s) offered, {merged} merged (Audit), {rejected} rejected (Rejected)"]
    if not superseded.empty:
        summary.append(f"  {len(superseded)} value(s) accepted by an earlier merge of cycle {master.cycle} no longer "
                       "decide (superseded by a stronger department; listed on Rejected)")
    if refused:
        summary.append(f"  {len(refused)} return(s) refused ({', '.join(refused[:5])}"
                       f"{' ...' if len(refused) > 5 else ''}): {lost} value(s) in them lost to the refusal, "
                       "each listed on Rejected with the reason")
    return StageResult(stage="merge", issues=list(log), sheets=sheets, summary=summary,
                       data={"result": result, "offers": offers, "merged_copies": [c for c, _ in taken],
                             "refused": len(refused), "refused_files": refused, "lost": lost})


_DECIDING_FIELDS = {"Sales": ("override",), "Finance": ("budget",), "Marketing": ("uplift_pct", "uplift_units")}


def _deciding_files(result, offers: pd.DataFrame) -> dict[tuple[str, pd.Timestamp, str], str]:
    """(sku or family, period, department) -> the file of this merge whose value was accepted there."""
    out = {}
    accepted = offers[offers["offer_id"].isin(result.merged)]
    for r in accepted.itertuples(index=False):
        if not pd.isna(r.period):
            out[(str(r.item).lower(), pd.Timestamp(r.period), r.department)] = r.file
    return out


def superseded_rows(superseded: list[dict[str, Any]], old_audit: pd.DataFrame, master: "_Master", stamp: str, *,
                    by_file: dict) -> pd.DataFrame:
    """Rejected rows for the earlier accepted values (their Audit rows) that a stronger
    department's new value now overrules, each with the SKU-periods it lost."""
    columns = REJECTED.column_names()
    if not superseded or old_audit.empty:
        return pd.DataFrame(columns=columns)
    family = dict(zip(master.items["sku"].astype(str), master.items["family"].astype(str)))
    audit = old_audit[old_audit["cycle"].astype(str) == master.cycle]
    lost: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in superseded:
        fields = _DECIDING_FIELDS.get(s["department"], ())
        hit = audit[(audit["department"] == s["department"]) & audit["field"].isin(fields) &
                    (audit["period"] == s["ds"]) &
                    audit["item"].astype(str).str.lower().isin({s["sku"].lower(), family.get(s["sku"], "").lower()})]
        for i in hit.index:
            lost[i].append(s)
    rows = []
    pt = master.period_type
    for i, cells in lost.items():
        a = audit.loc[i]
        by = sorted({c["by"] for c in cells})
        files = sorted({by_file.get((key, cells[0]["ds"], b), "") for b in by
                        for key in (cells[0]["sku"].lower(), family.get(cells[0]["sku"], "").lower())} - {""})
        where = f" ({', '.join(files)})" if files else ""
        value = "" if pd.isna(a["new"]) else f"{a['new']:g}"
        rows.append(dict(cycle=master.cycle, time=stamp, department=a["department"], file=a["file"],
                         cell=a["cell"], item=a["item"], period=periods.label(a["period"], pt), field=a["field"],
                         value=value, reason=f"superseded: {', '.join(by)}{where} now decide(s) {len(cells)} SKU-"
                                             f"period(s) this value was applied to (accepted at {a['time']})"))
    return pd.DataFrame(rows, columns=columns)


@dataclass
class _Inbox:
    records: list[dict[str, Any]] = field(default_factory=list)   # offers of every return read
    taken: list[tuple[str, str]] = field(default_factory=list)    # (copy id, file) of returns merged
    refused: list[str] = field(default_factory=list)              # files refused
    lost: int = 0                                                  # values in refused returns


def _read_returns(book: WorkbookAdapter, master: "_Master", paths: list[Path], log: IssueLog,
                  progress: Progress) -> _Inbox:
    """Read and check every return: its offers, and whether the copy may be merged at all."""
    settings = master.settings
    formulas_allowed = bool(settings.get("return_formulas"))
    key = review_key(book)
    closed = _closed_cycles(master.versions)
    records_by_id = {str(r.copy_id): r._asdict() for r in master.review_log.itertuples(index=False)}
    input_sheets = {name: d.sheet.name for name, d in DEPARTMENTS.items()}
    seen: dict[str, str] = {}
    inbox = _Inbox()
    progress.start("returns", len(paths))
    for path in paths:
        progress.advance()
        reader = None
        try:
            reader = ReturnedWorkbook(path)
            rf = read_return(reader, period_type=master.period_type, formulas_allowed=formulas_allowed)
        except ReturnRefused as exc:
            log.warning(REFUSED, f"{Path(path).name} refused: {exc.message}", exc.hint, value=str(path))
            inbox.refused.append(Path(path).name)
            continue
        finally:
            if reader is not None:
                reader.close()
        copy_id = rf.manifest.copy_id if rf.manifest else ""
        reason = verify(rf.manifest, rf.written_digest, records_by_id.get(copy_id), cycle=master.cycle,
                        departments=settings.departments, fingerprint_now=master.fingerprint,
                        keys_now=master.keys, seen=seen, manifest_problem=rf.manifest_problem, key=key,
                        signature=rf.signature, input_sheets=input_sheets, closed=closed)
        reason = reason or rf.layout_problem
        _report_contents(rf, log, formulas_allowed)
        if reason:
            log.warning(REFUSED, f"{rf.name} refused: {reason}; {len(rf.records)} value(s) in it not merged "
                        "(listed on Rejected).", _hint(reason, master), value=str(path))
            for r in rf.records:
                r["problem"] = f"return refused: {reason}"
            inbox.refused.append(rf.name)
            inbox.lost += len(rf.records)
        else:
            seen[copy_id] = rf.name
            inbox.taken.append((copy_id, rf.name))
        inbox.records.extend(rf.records)
    progress.finish()
    return inbox


def _closed_cycles(versions: pd.DataFrame) -> dict[str, str]:
    """closed cycle -> when it was closed (Versions)."""
    if versions.empty:
        return {}
    first = versions.drop_duplicates("cycle")
    return {str(c): str(t) for c, t in zip(first["cycle"], first["closed_at"])}


def _report_contents(rf, log: IssueLog, formulas_allowed: bool) -> None:
    if rf.macros:
        log.warning(MACROS, f"{rf.name} contains macros; they were not run and are ignored.",
                    "Ask the department to save the copy as .xlsx (no macros are needed).", value=str(rf.path))
    if rf.external_links:
        log.warning(FORMULAS, f"{rf.name} links to other workbooks ({len(rf.external_links)} external link "
                    "part(s)); sop_xl never follows them.", "Ask the department to paste values instead of links.",
                    value=str(rf.path))
    if rf.formulas:
        first = rf.formulas[0]
        hit = [r for r in rf.records if r.get("formula") or "formula" in str(r.get("problem", ""))]
        rejected = [r for r in hit if r.get("problem")]
        if formulas_allowed:
            used = len(hit) - len(rejected)
            what = (f"{used} value(s) counted with their last calculated value (Settings return_formulas is yes; "
                    f"each noted on Audit), {len(rejected)} rejected (listed on Rejected)")
        else:
            what = (f"the {len(rejected)} value(s) they touch were rejected (Settings return_formulas is no; "
                    "listed on Rejected)")
        log.warning(FORMULAS, f"{rf.name}: {len(rf.formulas)} formula(s) found, never evaluated: "
                    f"{formula_summary(rf.formulas)}; {what}.",
                    "Ask the department to type numbers instead of formulas.", sheet=first.sheet,
                    cell=first.cell, value=rf.name)
    for note in getattr(rf, "notes", []):
        log.warning(REFUSED, f"{rf.name}: {note}.", "Ask for a fresh copy.", value=str(rf.path))


def _hint(reason: str, master: "_Master | None" = None) -> str:
    if reason.startswith("cycle closed"):
        return (f"Set Settings cycle (Settings!{master.settings.cell('cycle')}) to the next cycle, send new "
                "review copies (sop-xl send-review) and ask the department to re-enter its changes."
                if master is not None else "Send new review copies for the next cycle.")
    if reason.startswith("layout changed"):
        return ("Ask the department to send the copy back with its sheets and header as sent (or fill in a fresh "
                "copy from sop-xl send-review).")
    if reason.startswith("stale"):
        return "Send new review copies (sop-xl send-review) and ask the department to re-enter its changes."
    if reason.startswith("duplicate"):
        return ("Nothing to do: its values are already in the consensus (this time they are listed in Rejected). "
                "For corrections, send the department a new copy (sop-xl send-review).")
    if reason.startswith("unknown department"):
        return "Add the department to Settings departments, or ignore this return."
    return "Ask the department to fill in the review copy sop_xl sent, unchanged apart from the input table."


def _mark_merged(log_frame: pd.DataFrame, taken: list[tuple[str, str]], stamp: str) -> pd.DataFrame:
    frame = log_frame.copy()
    for copy_id, name in taken:
        mask = frame["copy_id"].astype(str) == copy_id
        frame.loc[mask, "status"] = "merged"
        frame.loc[mask, "merged_at"] = stamp
        frame.loc[mask, "merged_file"] = name
    return frame[REVIEW_LOG.column_names()]


# ------------------------------------------------------------------ close-cycle

# how close-cycle reads the plan stage's SupplyPlan: a view of its declaration with the columns the
# snapshot needs (item and period required)
SUPPLY_READ = replace(
    SUPPLY_PLAN, key=("item", "period"),
    columns=tuple(replace(c, required=c.name in ("item", "period"), aliases=("sku",) if c.name == "item" else c.aliases)
                  for c in SUPPLY_PLAN.columns if c.name in ("item", "period", "production", "subcontract")),
)


def read_supply(book: WorkbookAdapter, period_type: str) -> pd.DataFrame | None:
    """The plan stage's SupplyPlan as sku, period, value (production + subcontract), when present."""
    if SUPPLY_READ.name.lower() not in {n.lower() for n in book.sheet_names()}:
        return None
    frame = read_table(book, SUPPLY_READ, IssueLog(), required=False, period_type=period_type)
    frame = frame.dropna(subset=["item", "period"])
    if frame.empty:
        return None
    value = frame["production"].fillna(0.0) + frame["subcontract"].fillna(0.0)
    return pd.DataFrame({"sku": frame["item"].astype(str), "period": frame["period"], "value": value})


def next_cycle(cycle: str, period_type: str) -> str:
    """The cycle after `cycle` when it is a period label (2027-01 -> 2027-02), else a description."""
    start = periods.parse_period(cycle, period_type)
    if start is None:
        return "the next cycle's id"
    return periods.label(periods.shift(start, 1, period_type), period_type)


def run_close_cycle(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    master = _Master(book, log)
    log.raise_if_errors()
    pt = master.period_type
    consensus = master.consensus_of_cycle(book, log)
    if consensus is None:
        log.info("consensus_statistical_only", f"No consensus was merged for cycle {master.cycle}: the "
                 "statistical forecast is closed as the plan of record.", "Merge returns before closing next time.",
                 sheet=CONSENSUS.name)
        consensus = merge(offers_frame([]), statistical=master.statistical, items=master.items,
                          rules=master.rules(log), cycle=master.cycle, period_type=pt).consensus
    if master.cycle in set(master.versions["cycle"].astype(str)):
        log.warning("consensus_cycle_reclosed", f"Cycle {master.cycle} was closed before; its snapshot in "
                    "Versions was replaced.", "Change Settings cycle when a new cycle starts.", sheet="Settings",
                    cell=master.settings.cell("cycle"))
    supply = read_supply(book, pt)
    snap = snapshot(master.cycle, _now(), consensus, supply)
    versions = add_snapshot(master.versions, snap)
    changes = change_report(consensus, versions, master.cycle, period_type=pt)
    history = read_history(book, master.settings, IssueLog()).rename(columns={"unique_id": "sku"})
    season = int(master.settings.get("season_length") or periods.season_length(pt))  # a year: 12, 52 or 4
    fva = forecast_value_added(versions, history, season_length=season, period_type=pt)
    book.write_table(VERSIONS, versions, period_type=pt)
    book.write_table(CHANGE_REPORT, changes, period_type=pt)
    book.write_table(FORECAST_VALUE_ADDED, fva, period_type=pt)
    total = fva[fva["family"] == "All"]
    lines = [f"close-cycle: cycle {master.cycle} snapshot in Versions ({len(snap)} rows"
             f"{', supply plan included' if supply is not None else ''})",
             "  change report: " + (f"against cycle {changes['compared_with'].iloc[0]}" if not changes.empty
                                    else "no earlier cycle to compare with")]
    for row in total.itertuples(index=False):
        lines.append(f"  FVA cycle {row.cycle}: WAPE naive {row.wape_naive:.1%}, statistical "
                     f"{row.wape_statistical:.1%}, consensus {row.wape_consensus:.1%} over {row.points} SKU-periods")
    upcoming = next_cycle(master.cycle, pt)
    where = f"Settings!{master.settings.cell('cycle')}" if master.settings.cell("cycle") else "Settings"
    log.info("consensus_cycle_closed", f"Cycle {master.cycle} is closed: merges into it are refused from now on.",
             f"Before the next round set Settings cycle ({where}) to {upcoming}, run the forecast, then "
             "send-review.", sheet="Settings", cell=master.settings.cell("cycle"), value=master.cycle)
    lines.append(f"  next: set Settings cycle ({where}) to {upcoming} before the next send-review; merges into "
                 f"cycle {master.cycle} are refused from now on")
    return StageResult(stage="close-cycle", issues=list(log), summary=lines,
                       sheets=[VERSIONS.name, CHANGE_REPORT.name, FORECAST_VALUE_ADDED.name],
                       data={"versions": versions, "change_report": changes, "fva": fva})


# ------------------------------------------------------------------ the demo round

def run_consensus_demo(book, *, review_dir: str | Path, seed: int = 7, progress: Progress = SILENT
                       ) -> list[StageResult]:
    """A whole consensus round on a saved workbook that has a Forecast: send the review copies,
    let each department edit its copy (deterministic simulation), merge the returns. Saves."""
    from .base import execute

    review_dir = Path(review_dir)
    results = execute(book, ["send-review"], progress=progress, options={"send-review": {"to_dir": review_dir}})
    if results[-1].status == "failed":
        return results
    files = results[-1].data["files"]
    returns = simulate_returns(files, review_dir / "returns", seed=seed)
    results += execute(book, ["merge"], progress=progress, options={"merge": {"returns": returns}})
    return results


def fill_copy(path: str | Path, department_name: str, rows: list[dict[str, Any]]) -> None:
    """Type `rows` (column name -> value) into a copy's input table, as a person would."""
    dept = department(department_name)
    sheet = dept.sheet
    fill_input_table(path, sheet.name, sheet.header_row, sheet.column_names(), rows)


def simulate_returns(files: Sequence[str | Path], out_dir: str | Path, *, seed: int = 7) -> list[Path]:
    """Copy each review file to `out_dir` and fill it in as its department would (demo, tests)."""
    import numpy as np

    from ..consensus.simulate import rows_for

    out_dir = Path(out_dir)
    returned = []
    for path in map(Path, files):
        reader = ReturnedWorkbook(path)
        try:
            names = reader.sheet_names()
            dept = next((d for d in DEPARTMENTS.values() if d.sheet.name in names), None)
            if dept is None:
                continue
            context = {n: reader.read_grid(n) for n in names if n not in (dept.sheet.name, MANIFEST_SHEET)}
        finally:
            reader.close()
        rng = np.random.default_rng([seed, sum(map(ord, dept.name))])
        rows = rows_for(dept.name, context, rng)
        target = copy_file(path, out_dir / path.name.replace("-review-", "-return-"))
        fill_copy(target, dept.name, rows)
        returned.append(target)
    return returned
