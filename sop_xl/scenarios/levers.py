"""Scenarios as data: named what-ifs read from the Scenarios sheet, applied to the plan's inputs.

A scenario is a list of changes ("levers"); applying it returns modified copies of the
input frames and plan settings, which go through the ordinary plan core unchanged. So a
scenario's plan is exactly the plan the planner would get after typing those changes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..values import parse_number
from ..issues import IssueCode, IssueLog
from ..periods import label, period_range, period_start

SHEET = "Scenarios"
BASE = "Base"
# what management decides (compared for the best plan) and what happens to it (reported as risks)
DECISION_LEVERS = ("price", "capacity", "service_level", "whole_headcount")
RISK_LEVERS = ("demand", "cost")
_YES = {"yes", "y", "true", "on", "1", "x"}
_NO = {"no", "n", "false", "off", "0"}


@dataclass(frozen=True)
class Lever:
    lever: str                        # demand | capacity | price | cost | service_level | whole_headcount
    applies_to: str | None = None     # family, SKU or resource; None = everything
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    value: float = 1.0                # multiplier, level, or 1/0 for yes/no

    def describe(self, period_type: str = "month") -> str:
        target = f" {self.applies_to}" if self.applies_to else ""
        when = ""
        if self.first is not None or self.last is not None:
            a = label(self.first, period_type) if self.first is not None else "start"
            b = label(self.last, period_type) if self.last is not None else "end"
            when = f" {a}" if a == b else f" {a}..{b}"  # one period is named once
        if self.lever == "whole_headcount":
            return f"whole headcount {'on' if self.value else 'off'}"
        if self.lever == "service_level":
            return f"service level {self.value:.1%}"
        return f"{self.lever}{target}{when} x{self.value:g}"


@dataclass(frozen=True)
class Scenario:
    name: str
    levers: tuple[Lever, ...] = ()
    note: str = ""

    def describe(self, period_type: str = "month") -> str:
        return "; ".join(lv.describe(period_type) for lv in self.levers) or "no change"

    @property
    def kind(self) -> str:
        """base (no change), risk or decision. Demand and cost what-ifs are risks (nobody decides them), and
        so is capacity lost (a capacity multiplier below 1: absenteeism, a breakdown); price, service level,
        workforce and added capacity (shifts, overtime) are decisions."""
        if not self.levers:
            return "base"
        risky = any(lv.lever in RISK_LEVERS or (lv.lever == "capacity" and lv.value < 1) for lv in self.levers)
        return "risk" if risky else "decision"


@dataclass
class PlanInputs:
    """The plan core's inputs as frames (the contract's names) plus its settings."""

    frames: dict[str, pd.DataFrame]   # items, resources, routing, calendar, workforce, inventory, demand
    settings: object                  # PlanSettings
    demand_sheet: str = "Demand"
    extra: dict = field(default_factory=dict)


def parse_scenarios(table: pd.DataFrame, inputs: PlanInputs, log: IssueLog) -> list[Scenario]:
    """Scenarios from the Scenarios sheet's rows (as read), in order of first appearance.

    Every row that cannot be applied is reported with its cell; its scenario is dropped, since a
    half-applied what-if would be compared as if it were the whole one.
    """
    items = inputs.frames["items"]
    families = set(items["family"].dropna().astype(str))
    skus = set(items["sku"].dropna().astype(str))
    resources = set(inputs.frames["resources"]["resource"].dropna().astype(str))
    workforce = inputs.frames.get("workforce")
    pools = set(workforce["resource"].dropna().astype(str)) if workforce is not None and len(workforce) else set()
    letters = table.attrs.get("letters", {})
    known = {"skus": skus, "families": families, "resources": resources}
    order: list[str] = []
    levers: dict[str, list[Lever]] = {}
    notes: dict[str, str] = {}
    bad: set[str] = set()
    for row in table.index:
        name = str(table.at[row, "scenario"]).strip() if pd.notna(table.at[row, "scenario"]) else ""
        lever = table.at[row, "lever"]
        if not name or pd.isna(lever):
            continue  # the reader already reported the missing required cell
        if name not in levers:
            order.append(name)
            levers[name] = []
        if "note" in table and pd.notna(table.at[row, "note"]) and not notes.get(name):
            notes[name] = str(table.at[row, "note"])

        found = _row_lever(table, row, name, lever, known, pools, letters, log)
        if found is None:
            bad.add(name)
            continue
        levers[name].append(found)
    return [Scenario(n, tuple(levers[n]), notes.get(n, "")) for n in order if n not in bad]


def _row_lever(table: pd.DataFrame, row, name: str, lever: str, known: dict[str, set[str]], pools: set[str],
               letters: dict, log: IssueLog) -> Lever | None:
    """The lever of one Scenarios row, or None (reported with its cell) when it cannot be applied."""
    skus, families, resources = known["skus"], known["families"], known["resources"]

    def where(column: str) -> dict:
        return dict(sheet=SHEET, cell=f"{letters.get(column, '')}{row}" if isinstance(row, (int, np.integer))
                    else "", row_key=name)

    if name.lower() == BASE.lower():
        log.error(IssueCode.NOT_ALLOWED, f"{BASE!r} is the name of the plan without changes.",
                  "Give the scenario another name.", column="Scenario", **where("scenario"))
        return None
    target = table.at[row, "applies_to"] if "applies_to" in table else None
    target = None if pd.isna(target) or not str(target).strip() else str(target).strip()
    first = _ts(table.at[row, "from_period"]) if "from_period" in table else None
    last = _ts(table.at[row, "to_period"]) if "to_period" in table else None
    raw = table.at[row, "value"]
    value, problem = _value(lever, raw)
    if problem:
        log.error(IssueCode.NOT_A_NUMBER if lever != "whole_headcount" else IssueCode.NOT_YES_NO,
                  f"Scenario {name}: {problem}.", _value_hint(lever), column="Value", value=raw,
                  **where("value"))
        return None
    allowed = {"demand": skus | families, "price": skus | families, "cost": skus | families | resources,
             "capacity": resources}.get(lever)
    if target is not None and allowed is not None and target not in allowed:
        what = {"capacity": "a resource on Resources", "cost": "a family, SKU or resource"}.get(
            lever, "a family or SKU on Items")
        log.error(IssueCode.UNKNOWN_KEY, f"Scenario {name}: {target!r} is not {what}.",
                  "Fix the name, or leave Applies to blank for everything.", column="Applies to",
                  value=target, **where("applies_to"))
        return None
    if (first is not None or last is not None) and lever not in ("demand", "capacity"):
        log.error(IssueCode.NOT_ALLOWED, f"Scenario {name}: a {lever} change applies to the whole horizon.",
                  "Clear From period and To period on this row.", column="From period",
                  **where("from_period"))
        return None
    if lever == "capacity" and (first is not None or last is not None) and (
            target in pools or (target is None and pools)):
        log.error(IssueCode.NOT_ALLOWED, f"Scenario {name}: the capacity of labour pool "
                  f"{target or ', '.join(sorted(pools))} comes from headcount, so it changes for the whole "
                  "horizon only.", "Clear From/To period, or name a machine or line in Applies to.",
                  column="Applies to", **where("applies_to"))
        return None
    if first is not None and last is not None and last < first:
        log.error(IssueCode.OUT_OF_RANGE, f"Scenario {name}: To period is before From period.",
                  "Swap the two periods.", column="To period", **where("to_period"))
        return None
    return Lever(lever, target, first, last, value)


def _ts(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


MAX_MULTIPLIER = 1000.0  # a what-if that multiplies by more than this is a typo, not a scenario


def _value(lever: str, raw) -> tuple[float, str]:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return 0.0, "Value is empty"
    text = str(raw).strip().lower()
    if lever == "whole_headcount":
        if text in _YES:
            return 1.0, ""
        if text in _NO:
            return 0.0, ""
        return 0.0, f"{raw!r} is not yes or no"
    number = parse_number(raw)
    if number is None:
        return 0.0, f"{raw!r} is not a number"
    if lever == "service_level":
        number = number / 100.0 if number > 1 else number
        if not 0.5 <= number <= 0.9999:
            return 0.0, f"service level {number:.2%} is outside 50%..99.99%"
        return number, ""
    if number < 0:
        return 0.0, f"multiplier {number:g} is negative"
    if number > MAX_MULTIPLIER:
        return 0.0, f"multiplier {number:.6g} is beyond {MAX_MULTIPLIER:g} (a typo or a broken formula?)"
    return number, ""


def _value_hint(lever: str) -> str:
    return {"whole_headcount": "Type yes or no.",
            "service_level": "Type the service level, e.g. 98%."}.get(
        lever, "Type a multiplier: 1.2 or 120% for +20%, 0.9 for -10%.")


# ---------------------------------------------------------------------------------- applying

def horizon(inputs: PlanInputs) -> pd.DatetimeIndex:
    """The plan's periods, as the plan core derives them (Settings first period, else first demand)."""
    s = inputs.settings
    demand = inputs.frames["demand"]
    first = s.first_period if s.first_period is not None else (
        pd.to_datetime(demand["ds"]).min() if len(demand) else pd.Timestamp.today())
    return period_range(period_start(first, s.period_type), s.horizon, s.period_type)


def apply_scenario(inputs: PlanInputs, scenario: Scenario) -> PlanInputs:
    """Copies of the inputs with every lever of the scenario applied, in sheet order."""
    frames = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in inputs.frames.items()}
    extra = {k: (v.copy() if isinstance(v, pd.DataFrame) else v) for k, v in inputs.extra.items()}
    settings = inputs.settings
    periods = horizon(inputs)
    for lv in scenario.levers:
        if lv.lever == "demand":
            frames["demand"] = _scale_demand(frames["demand"], frames["items"], lv)
        elif lv.lever == "capacity":
            _scale_capacity(frames, lv, periods)
        elif lv.lever == "price":
            _scale_items(frames["items"], lv, ("price",))
            if isinstance(extra.get("prices"), pd.DataFrame):  # planned prices (Consensus) move with the list
                _scale_items(extra["prices"], lv, ("price",), frames["items"])
        elif lv.lever == "cost":
            _scale_cost(frames, lv)
        elif lv.lever == "service_level":
            settings = settings.with_(service_level=lv.value)
        elif lv.lever == "whole_headcount":
            settings = settings.with_(whole_headcount=bool(lv.value))
    return PlanInputs(frames, settings, inputs.demand_sheet, extra)


def _in_range(ds: pd.Series, lv: Lever) -> pd.Series:
    mask = pd.Series(True, index=ds.index)
    if lv.first is not None:
        mask &= ds >= lv.first
    if lv.last is not None:
        mask &= ds <= lv.last
    return mask


def _item_mask(skus: pd.Series, items: pd.DataFrame, target: str | None) -> pd.Series:
    if target is None:
        return pd.Series(True, index=skus.index)
    family = skus.map(dict(zip(items["sku"], items["family"])))
    return (skus == target) | (family == target)


def _scale_demand(demand: pd.DataFrame, items: pd.DataFrame, lv: Lever) -> pd.DataFrame:
    mask = _item_mask(demand["sku"], items, lv.applies_to) & _in_range(pd.to_datetime(demand["ds"]), lv)
    demand.loc[mask, "demand"] = demand.loc[mask, "demand"] * lv.value
    return demand


def _scale_items(items: pd.DataFrame, lv: Lever, columns: tuple[str, ...], catalogue: pd.DataFrame | None = None
                 ) -> None:
    """Multiply `columns` of the rows of `items` (sku-keyed) the lever applies to; `catalogue` (the Items
    frame) maps SKUs to families when `items` is another sku-keyed table."""
    mask = _item_mask(items["sku"], items if catalogue is None else catalogue, lv.applies_to)
    for col in columns:
        if col in items:
            items.loc[mask, col] = pd.to_numeric(items.loc[mask, col], errors="coerce") * lv.value


def _scale_cost(frames: dict, lv: Lever) -> None:
    resources, workforce = frames["resources"], frames.get("workforce")
    is_resource = lv.applies_to is not None and lv.applies_to in set(resources["resource"])
    if lv.applies_to is None or not is_resource:
        _scale_items(frames["items"], lv, ("unit_cost", "subcontract_cost"))
    if lv.applies_to is None or is_resource:
        mask = resources["resource"] == lv.applies_to if is_resource else pd.Series(True, index=resources.index)
        for col in ("regular_cost", "overtime_cost"):
            resources.loc[mask, col] = resources.loc[mask, col].astype(float) * lv.value
        if workforce is not None and len(workforce):
            wmask = workforce["resource"] == lv.applies_to if is_resource \
                else pd.Series(True, index=workforce.index)
            for col in ("wage", "overtime_cost"):
                workforce.loc[wmask, col] = workforce.loc[wmask, col].astype(float) * lv.value


def _scale_capacity(frames: dict, lv: Lever, periods: pd.DatetimeIndex) -> None:
    resources = frames["resources"]
    workforce = frames.get("workforce")
    pools = set(workforce["resource"].dropna()) if workforce is not None else set()
    targets = [lv.applies_to] if lv.applies_to else list(resources["resource"].dropna())
    whole = lv.first is None and lv.last is None
    calendar = frames.get("calendar")
    for resource in targets:
        if resource in pools:  # headcount x hours: more hours per worker (parsing refused period ranges)
            mask = workforce["resource"] == resource
            for col in ("hours_per_worker", "overtime_hours_per_worker"):
                workforce.loc[mask, col] = workforce.loc[mask, col].astype(float) * lv.value
            continue
        row = resources[resources["resource"] == resource]
        if row.empty:
            continue
        regular = float(row["regular_capacity"].iloc[0])
        overtime = float(np.nan_to_num(row["overtime_capacity"].iloc[0]))
        if whole:
            resources.loc[row.index, "regular_capacity"] = regular * lv.value
            resources.loc[row.index, "overtime_capacity"] = overtime * lv.value
        # calendar exceptions replace the resource's capacity in their period: scale them as well,
        # and add one for every period of a limited range
        calendar = _scale_calendar(calendar, resource, lv, periods, regular, overtime, whole)
    frames["calendar"] = calendar


def _scale_calendar(calendar: pd.DataFrame | None, resource: str, lv: Lever, periods: pd.DatetimeIndex,
                    regular: float, overtime: float, whole: bool) -> pd.DataFrame:
    cols = ["resource", "period", "regular_capacity", "overtime_capacity", "reason"]
    calendar = pd.DataFrame(columns=cols) if calendar is None else calendar
    ds = pd.to_datetime(calendar["period"]) if len(calendar) else pd.Series(dtype="datetime64[ns]")
    own = (calendar["resource"] == resource) if len(calendar) else pd.Series(dtype=bool)
    mask = own & (_in_range(ds, lv) if len(calendar) else own)
    if len(calendar) and mask.any():
        calendar.loc[mask, "regular_capacity"] = calendar.loc[mask, "regular_capacity"].astype(float) * lv.value
        ot = calendar.loc[mask, "overtime_capacity"].astype(float)
        calendar.loc[mask, "overtime_capacity"] = ot.where(ot.notna(), overtime) * lv.value
    if whole:
        return calendar
    have = set(ds[own]) if len(calendar) else set()
    wanted = [p for p in periods if (lv.first is None or p >= lv.first) and (lv.last is None or p <= lv.last)
              and p not in have]
    if not wanted:
        return calendar
    start = int(calendar.index.max()) + 1 if len(calendar) and calendar.index.dtype.kind == "i" else 0
    new = pd.DataFrame({"resource": resource, "period": wanted, "regular_capacity": regular * lv.value,
                        "overtime_capacity": overtime * lv.value, "reason": "scenario"},
                       index=range(start + 10_000, start + 10_000 + len(wanted)))
    if calendar.empty:
        return new.reindex(columns=cols)
    return pd.concat([calendar, new.reindex(columns=calendar.columns)])
