"""What each department gets in its review copy: its input table, what it may type, and context.

Pure: frames in, a `ReviewPackage` out. Drawing it as an .xlsx is `review_workbook`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import periods
from ..contract.consensus import FINANCE_INPUT, MARKETING_INPUT, OPERATIONS_INPUT, SALES_INPUT
from ..contract.schema import Sheet


@dataclass(frozen=True)
class Department:
    name: str
    sheet: Sheet                 # the input table inside the review copy
    key: str                     # "item" (SKU or family) or "resource"
    fields: tuple[str, ...]      # the value columns a row may offer
    instructions: tuple[str, ...]


DEPARTMENTS: dict[str, Department] = {d.name.lower(): d for d in (
    Department("Sales", SALES_INPUT, "item", ("override",), (
        "Type the volume you expect where it differs from the statistical forecast: one row per SKU (or "
        "family) and period.",
        "A family volume is spread over its SKUs by their share of the statistical forecast; SKUs you list "
        "yourself keep your number and the rest of the family shares what is left.",
        "Leave the statistical number alone by not listing it. Say why in Reason: it goes into the audit trail.",
    )),
    Department("Marketing", MARKETING_INPUT, "item", ("uplift_pct", "uplift_units"), (
        "Enter promotions and events: an uplift in % (e.g. 15%) and/or in units, per SKU or family and period.",
        "A family uplift in % applies to each of its SKUs; units are spread by forecast share.",
        "Name the event and say why: both go into the audit trail.",
    )),
    Department("Finance", FINANCE_INPUT, "item", ("price", "budget"), (
        "Enter planned prices and budget volumes per SKU or family and period where they differ from today.",
        "A budget volume competes with the other departments' numbers by the priority set in the master "
        "workbook's Settings.",
    )),
    Department("Operations", OPERATIONS_INPUT, "resource", ("regular_capacity", "overtime_capacity"), (
        "Enter capacity changes per resource and period in hours: holidays, maintenance, extra shifts.",
        "They replace the resource's usual capacity in that period (the master's CapacityCalendar).",
    )),
)}

COMMON_INSTRUCTIONS = (
    "Only the cells of the input table can be changed; the other sheets are for reference.",
    "Do not rename sheets or move the table. No macros are needed: save as .xlsx and send it back.",
    "Type numbers, not formulas: sop_xl never evaluates a formula, and a value that is one is rejected unless the "
    "planner's Settings allow it.",
    "A value far from the statistical forecast, the history, the usual capacity or the current price (more than the "
    "planner's limit, 5 times by default) is rejected unless you type yes in Confirm on its row.",
)


def department(name: str) -> Department | None:
    return DEPARTMENTS.get(str(name or "").strip().lower())


def department_for_sheet(sheet_name: str) -> Department | None:
    return next((d for d in DEPARTMENTS.values() if d.sheet.name.lower() == str(sheet_name).lower()), None)


@dataclass
class ReviewPackage:
    department: Department
    cycle: str
    period_type: str
    skus: list[str]
    families: list[str]
    periods: list[pd.Timestamp]
    resources: list[str]
    context: dict[str, pd.DataFrame] = field(default_factory=dict)  # sheet name -> read-only table
    instructions: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[str]:
        return [*self.skus, *self.families]

    @property
    def period_labels(self) -> list[str]:
        return periods.labels(self.periods, self.period_type)

    @property
    def choices(self) -> list[str]:
        """What the key column accepts."""
        return self.resources if self.department.key == "resource" else self.items


def wide(long: pd.DataFrame, value: str, items: pd.DataFrame, period_type: str) -> pd.DataFrame:
    """long sku, ds, value -> SKU, Family, one column per period label (SKUs in Items order)."""
    if long.empty:
        return pd.DataFrame(columns=["SKU", "Family"])
    table = long.pivot_table(index="sku", columns="ds", values=value, aggfunc="sum", dropna=False)
    table = table.reindex(columns=sorted(table.columns))
    order = [s for s in items["sku"] if s in table.index] + sorted(set(table.index) - set(items["sku"]))
    table = table.reindex(order)
    table.columns = periods.labels(table.columns, period_type)
    family = items.set_index("sku")["family"]
    out = table.reset_index().rename(columns={"sku": "SKU"})
    out.insert(1, "Family", [family.get(s, "") for s in out["SKU"]])
    return out


def build_review(dept: Department, *, cycle: str, period_type: str, statistical: pd.DataFrame,
                 history: pd.DataFrame, items: pd.DataFrame, last_consensus: pd.DataFrame | None = None,
                 last_cycle: str = "", resources: pd.DataFrame | None = None,
                 calendar: pd.DataFrame | None = None, history_periods: int = 24,
                 priority: tuple[str, ...] = ()) -> ReviewPackage:
    """Everything one department's copy shows.

    statistical: long sku, ds, forecast; history: long sku, ds, y; items: sku, family, price;
    last_consensus: long sku, ds, value of the last closed cycle (or None).
    """
    skus = [s for s in items["sku"] if s in set(statistical["sku"])]
    families = sorted({f for s, f in zip(items["sku"], items["family"]) if s in set(skus) and f})
    horizon = sorted(pd.to_datetime(statistical["ds"]).unique())
    res = resources if resources is not None else pd.DataFrame(columns=["resource"])
    context: dict[str, pd.DataFrame] = {}
    recent = history.dropna(subset=["y"])
    if not recent.empty:
        last = sorted(recent["ds"].unique())[-history_periods:]
        recent = recent[recent["ds"].isin(last)]
    context["History"] = wide(recent, "y", items, period_type)
    context["Statistical"] = wide(statistical, "forecast", items, period_type)
    if last_consensus is not None and not last_consensus.empty:
        context["LastConsensus"] = wide(last_consensus, "value", items, period_type)
    if dept.name == "Finance":
        context["Prices"] = items[["sku", "family", "price"]].rename(
            columns={"sku": "SKU", "family": "Family", "price": "Current price"})
    if dept.name == "Operations" and not res.empty:
        cols = [c for c in ("resource", "kind", "regular_capacity", "overtime_capacity") if c in res]
        context["Capacity"] = res[cols].rename(columns=lambda c: c.replace("_", " ").capitalize())
        if calendar is not None and not calendar.empty:
            cal = calendar.copy()
            cal["period"] = periods.labels(cal["period"], period_type)
            context["Calendar"] = cal.rename(columns=lambda c: c.replace("_", " ").capitalize())
    lines = [f"Review copy for {dept.name}, S&OP cycle {cycle}.",
             f"Horizon: {periods.label(horizon[0], period_type)} to {periods.label(horizon[-1], period_type)}."
             if horizon else "Horizon: none.",
             *dept.instructions, *COMMON_INSTRUCTIONS]
    if priority and dept.key == "item":
        lines.append(f"When departments give different numbers for the same SKU and period, the first of "
                     f"{', '.join(priority)} wins; the others are listed, with the reason, in the planner's "
                     "Rejected table.")
    if "LastConsensus" in context:
        lines.append(f"LastConsensus shows the consensus of cycle {last_cycle}.")
    return ReviewPackage(department=dept, cycle=cycle, period_type=period_type, skus=skus, families=families,
                         periods=[pd.Timestamp(p) for p in horizon],
                         resources=[str(r) for r in res.get("resource", pd.Series(dtype=object)).dropna()],
                         context=context, instructions=lines)
