"""The numbers behind the Dashboard's charts (one block of DashboardData rows per chart), and
the charts themselves as data (`ChartSpec`s drawn natively by the workbook adapter)."""

from __future__ import annotations

import pandas as pd

from ..charts import ChartSpec, Highlight, Series
from ..periods import label

COLUMNS = ["chart", "group", "label", "history", "demand", "forecast", "plan", "load", "capacity", "max_capacity",
           "inventory", "safety_stock", "total_cost", "contribution"]
HISTORY_PERIODS = 12  # periods of actuals shown before the horizon on the demand charts
MAX_FAMILIES = 4
ALL = "All families"  # the demand chart of the whole company, first
MAX_RESOURCES = 4
STATUS_FILLS = (("on track", "C6EFCE"), ("watch", "FFEB9C"), ("off track", "FFC7CE"))
DATA_SHEET = "DashboardData"
# the demand chart: four lines told apart by colour and style (actuals solid black, statistical forecast
# dashed grey, consensus solid blue, plan dashed green)
DEMAND_SERIES = (Series("history", "Actuals", "000000"),
                 Series("forecast", "Statistical", "7F7F7F", dashed=True),
                 Series("demand", "Consensus", "1F77B4"),
                 Series("plan", "Plan", "2CA02C", dashed=True))


def dashboard_data(*, demand: pd.DataFrame | None = None, forecast: pd.DataFrame | None = None,
                   history: pd.DataFrame | None = None,
                   financials: pd.DataFrame | None = None, supply_plan: pd.DataFrame | None = None,
                   capacity: pd.DataFrame | None = None, comparison: pd.DataFrame | None = None,
                   period_type: str = "month") -> pd.DataFrame:
    """demand / forecast / history: family, ds, value (history: the last `HISTORY_PERIODS` before the
    horizon are shown); financials: the Financials table (period = ds);
    supply_plan: family, ds, inventory, safety_stock; capacity: resource, ds, used hours as
    ``load``, regular_capacity, overtime_capacity (Capacity, or RoughCut before a plan)."""
    blocks: list[pd.DataFrame] = []
    families = _families(demand, financials)
    for family in ([ALL] if len(families) > 1 else []) + families[:MAX_FAMILIES]:
        def of(frame: pd.DataFrame) -> pd.DataFrame:
            return frame if family == ALL else frame[frame["family"] == family]
        parts = {}
        if history is not None and not history.empty:
            past = of(history).groupby("ds")["value"].sum()
            if demand is not None and not demand.empty:
                past = past[past.index < demand["ds"].min()]
            parts["history"] = past.iloc[-HISTORY_PERIODS:]
        if demand is not None and not demand.empty:
            parts["demand"] = of(demand).groupby("ds")["value"].sum()
        if forecast is not None and not forecast.empty:
            parts["forecast"] = of(forecast).groupby("ds")["value"].sum()
        if financials is not None and not financials.empty and financials["shipped_units"].notna().any():
            parts["plan"] = of(financials).groupby("period")["shipped_units"].sum()
        if parts:
            block = pd.DataFrame(parts).sort_index()
            blocks.append(_block("demand", family, block, period_type))
    if capacity is not None and not capacity.empty:
        peak = (capacity["load"] / capacity["regular_capacity"].where(capacity["regular_capacity"] > 0)
                ).groupby(capacity["resource"]).max().fillna(0.0).round(4).rename("peak")
        # busiest first, ties by name: solver noise in the last digits must not decide which resources show
        busiest = peak.reset_index().sort_values(["peak", "resource"], ascending=[False, True])["resource"]
        for resource in busiest.iloc[:MAX_RESOURCES]:
            g = capacity[capacity["resource"] == resource].set_index("ds").sort_index()
            block = pd.DataFrame({"load": g["load"], "capacity": g["regular_capacity"],
                                  "max_capacity": g["regular_capacity"] + g["overtime_capacity"].fillna(0.0)})
            blocks.append(_block("capacity", resource, block, period_type))
    if supply_plan is not None and not supply_plan.empty:
        block = supply_plan.groupby("ds")[["inventory", "safety_stock"]].sum().sort_index()
        blocks.append(_block("inventory", "All", block, period_type))
    if comparison is not None and not comparison.empty:
        block = pd.DataFrame({"chart": "scenarios", "group": "", "label": comparison["scenario"].astype(str),
                              "total_cost": comparison["total_cost"].astype(float),
                              "contribution": comparison["contribution"].astype(float)})
        blocks.append(block)
    if not blocks:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat([b.reindex(columns=COLUMNS) for b in blocks], ignore_index=True)
    for col in COLUMNS[3:]:
        out[col] = out[col].astype(float)
    return out


def _families(*frames) -> list[str]:
    for frame in frames:
        if frame is not None and not frame.empty:
            return sorted(frame["family"].dropna().astype(str).unique())
    return []


def _block(chart: str, group: str, values: pd.DataFrame, period_type: str) -> pd.DataFrame:
    out = values.reset_index(drop=False)
    out = out.rename(columns={out.columns[0]: "ds"})
    out.insert(0, "label", [label(pd.Timestamp(d), period_type) for d in out.pop("ds")])
    out.insert(0, "group", group)
    out.insert(0, "chart", chart)
    return out


def dashboard_charts(data: pd.DataFrame, *, first_column: str = "I", width_cm: float = 16.0,
                     demand_label: str = "Consensus", anchors: tuple[str, ...] | None = None,
                     height_cm: float | None = None) -> list:
    """Charts on the Dashboard drawn from DashboardData, in a grid two charts wide right of the KPI
    table (or, for print, at the given `anchors`: one chart per anchor, in block order), plus the status
    colours of the KPI table."""
    specs: list = [Highlight("status", STATUS_FILLS)]
    if data.empty:
        return specs
    chart_col = data["chart"].tolist()
    group_col = data["group"].tolist()
    blocks: list[tuple[str, str, int, int]] = []
    start = 0
    for i in range(1, len(data) + 1):
        if i == len(data) or chart_col[i] != chart_col[start] or group_col[i] != group_col[start]:
            blocks.append((chart_col[start], group_col[start], start, i))
            start = i
    columns, top = [first_column, _shift(first_column, 10)], 4
    size = dict(width_cm=width_cm, height_cm=height_cm or width_cm * 0.47)
    step = int(size["height_cm"] / 0.53) + 2  # rows of the default height (15 pt = 0.53 cm) per chart
    across = len(columns)
    if anchors is not None:
        blocks = blocks[:len(anchors)]
    for n, (chart, group, a, b) in enumerate(blocks):
        anchor = anchors[n] if anchors is not None else f"{columns[n % across]}{top + (n // across) * step}"
        if chart == "demand":
            series = [Series(s.column, demand_label, s.color, s.dashed) if s.column == "demand" else s
                      for s in DEMAND_SERIES]
            present = [s for s in series if s.column in data and data[s.column].iloc[a:b].notna().any()]
            title = f"Demand: {group}" if group == ALL else f"{group}: demand"
            specs.append(ChartSpec(title, DATA_SHEET, "label", tuple(present),
                                   kind="line", rows=(a, b), anchor=anchor, y_title="units", **size))
        elif chart == "capacity":
            specs.append(ChartSpec(f"{group}: load, capacity", DATA_SHEET, "label",
                                   (Series("load", "Load", "C0504D"),
                                    Series("capacity", "Regular capacity", "1F77B4", dashed=True),
                                    Series("max_capacity", "Regular + overtime", "7F7F7F", dashed=True)),
                                   kind="line", rows=(a, b), anchor=anchor, y_title="hours", **size))
        elif chart == "inventory":
            specs.append(ChartSpec("Inventory", DATA_SHEET, "label",
                                   (Series("inventory", "Inventory", "1F77B4"),
                                    Series("safety_stock", "Safety stock", "C0504D", dashed=True)),
                                   kind="line", rows=(a, b), anchor=anchor, y_title="units", **size))
        elif chart == "scenarios":
            specs.append(ChartSpec("Scenarios", DATA_SHEET, "label",
                                   (Series("total_cost", "Total plan cost", "C0504D"),
                                    Series("contribution", "Contribution after plan costs", "2CA02C")),
                                   kind="column", rows=(a, b), anchor=anchor, y_title="money", **size))
    return specs


def _shift(letter: str, n: int) -> str:
    """The column letter `n` columns right of `letter` (A..ZZ)."""
    index = 0
    for ch in letter.upper():
        index = index * 26 + ord(ch) - 64
    index += n
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def family_long(frame: pd.DataFrame, items: pd.DataFrame, value: str) -> pd.DataFrame:
    """SKU rows (sku, ds, value) summed to family, ds, value."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["family", "ds", "value"])
    fam = frame["sku"].map(dict(zip(items["sku"], items["family"])))
    out = pd.DataFrame({"family": fam.fillna("(no family)"), "ds": frame["ds"], "value": frame[value]})
    return out.dropna(subset=["value"]).groupby(["family", "ds"], as_index=False)["value"].sum()


__all__ = ["COLUMNS", "dashboard_data", "dashboard_charts", "family_long", "STATUS_FILLS"]
