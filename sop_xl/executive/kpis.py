"""The KPIs of the executive S&OP meeting, as one compact table (pandas only).

Each KPI row: area, kpi, value, unit, target, status (on track / watch / off track / n/a),
comment. A KPI whose inputs are missing is listed with status n/a and a comment naming the
stage to run, so the table always has the same rows in the same order.

Definitions:
- forecast accuracy = 100 - WAPE (%), bias = sum(forecast - actual) / sum(actual) (%);
- fill rate = units shipped on time / demand (a backlog at a period end is that period's
  newest demand, first in first out);
- days of supply = average inventory value / cost of goods per day; turns = cost of goods per
  year / average inventory value;
- utilisation = used / regular hours (Capacity sheet), average over resources and periods, and
  the peak;
- revenue and gross margin of the constrained plan against the Budget sheet;
- scenarios: the best decision (price, capacity, service, workforce) against the plan of record,
  and the worst risk (demand or cost what-ifs, which nobody decides).

Every figure comes from `sop_xl.finance.measures` (the one computation the other sheets use), and
every KPI declares its direction and target once (`definitions`); the ActionPlan's findings use
the same declarations, so a status and a finding cannot contradict each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..finance.measures import family_days_of_supply, plan_measures
from ..periods import label

COLUMNS = ["area", "kpi", "value", "unit", "target", "status", "comment"]


@dataclass(frozen=True)
class Targets:
    """What "on track" means; watch is a band beyond it, off track beyond that."""

    accuracy: float = 75.0          # % (100 - WAPE)
    accuracy_watch: float = 65.0
    bias: float = 5.0               # |%|
    bias_watch: float = 10.0
    fill_rate: float = 98.0         # %
    fill_rate_watch: float = 95.0
    days_of_supply: float = 60.0    # at most
    days_of_supply_watch: float = 90.0
    turns: float = 6.0              # at least, per year
    turns_watch: float = 4.0
    utilisation: float = 85.0       # average %, at most
    utilisation_watch: float = 95.0
    peak_utilisation: float = 100.0  # % of regular hours: above means overtime
    peak_utilisation_watch: float = 115.0
    budget_gap: float = -2.0        # % revenue vs budget, at least
    budget_gap_watch: float = -5.0
    margin_gap: float = -1.0        # margin % points vs budget margin %
    margin_gap_watch: float = -3.0
    revenue_lost: float = 0.5       # % of revenue, at most
    revenue_lost_watch: float = 2.0
    risk: float = 0.0               # worst risk: % of the plan of record's contribution, at least
    risk_watch: float = -10.0


@dataclass(frozen=True)
class Kpi:
    """One KPI, declared once: its row on the Dashboard and the rule that judges it.

    `judged` says which number meets target and watch: the value itself, its absolute value, its gap to
    a reference in % of the reference (``gap_pct``), in points (``gap_points``), or the value as % of a
    reference (``pct_of_ref``)."""

    key: str
    area: str
    name: str
    unit: str
    better: str                   # higher | lower
    target: float | None
    watch: float | None
    judged: str = "value"         # value | abs | gap_pct | gap_points | pct_of_ref

    def score(self, value, reference=None) -> float:
        if value is None or np.isnan(value):
            return np.nan
        if self.judged == "abs":
            return abs(value)
        if self.judged in ("gap_pct", "gap_points", "pct_of_ref"):
            if reference is None or np.isnan(reference) or (self.judged != "gap_points" and not reference):
                return np.nan
            if self.judged == "gap_pct":
                return (value - reference) / abs(reference) * 100.0
            if self.judged == "pct_of_ref":
                return value / abs(reference) * 100.0
            return value - reference
        return float(value)

    def status(self, value, reference=None) -> str:
        """on track / watch / off track, judged on the value as shown (one decimal), so 100.0 % is
        never over 100 %; n/a without a value (or a reference it needs) or a target."""
        score = self.score(value, reference)
        if self.target is None or np.isnan(score):
            return "n/a"
        score = round(float(score), 1)
        if self.better == "higher":
            return "on track" if score >= self.target else "watch" if score >= self.watch else "off track"
        return "on track" if score <= self.target else "watch" if score <= self.watch else "off track"


def definitions(t: "Targets" = None, currency: str = "EUR") -> dict[str, Kpi]:
    """Every KPI of the Dashboard, in its order."""
    t = t or Targets()
    return {k.key: k for k in (
        Kpi("accuracy", "Demand", "Forecast accuracy", "%", "higher", t.accuracy, t.accuracy_watch),
        Kpi("bias", "Demand", "Forecast bias", "%", "lower", t.bias, t.bias_watch, judged="abs"),
        Kpi("fill_rate", "Supply", "Fill rate", "%", "higher", t.fill_rate, t.fill_rate_watch),
        Kpi("utilisation", "Supply", "Capacity utilisation", "%", "lower", t.utilisation, t.utilisation_watch),
        Kpi("peak_utilisation", "Supply", "Peak utilisation", "%", "lower", t.peak_utilisation,
            t.peak_utilisation_watch),
        Kpi("days_of_supply", "Inventory", "Days of supply", "days", "lower", t.days_of_supply,
            t.days_of_supply_watch),
        Kpi("turns", "Inventory", "Inventory turns", "per year", "higher", t.turns, t.turns_watch),
        Kpi("revenue", "Finance", f"Revenue ({currency})", currency, "higher", t.budget_gap, t.budget_gap_watch,
            judged="gap_pct"),
        Kpi("gross_margin", "Finance", "Gross margin %", "%", "higher", t.margin_gap, t.margin_gap_watch,
            judged="gap_points"),
        Kpi("revenue_lost", "Finance", f"Revenue lost ({currency})", currency, "lower", t.revenue_lost,
            t.revenue_lost_watch, judged="pct_of_ref"),
        Kpi("best_decision", "Scenarios", "Best decision: contribution vs plan of record", currency, "lower", 0.0,
            0.0),
        Kpi("worst_risk", "Scenarios", "Worst risk: contribution vs plan of record", currency, "higher", t.risk,
            t.risk_watch, judged="pct_of_ref"),
    )}


def worst(*statuses: str) -> str:
    order = ("off track", "watch", "on track")
    found = [s for s in order if s in statuses]
    return found[0] if found else "n/a"


def forecast_accuracy(versions: pd.DataFrame | None, actuals: pd.DataFrame | None) -> dict | None:
    """Accuracy and bias of the last closed cycle's plan of record against the actuals that came in.

    versions: cycle, plan, sku, period (Timestamp), value (the Versions sheet); actuals: sku, ds, y.
    The consensus plan is measured when the cycle has one, else the statistical forecast.
    """
    if versions is None or actuals is None or versions.empty or actuals.empty:
        return None
    v = versions.dropna(subset=["sku", "period", "value"])
    a = actuals.dropna(subset=["y"]).rename(columns={"ds": "period"})[["sku", "period", "y"]]
    for cycle in sorted(v["cycle"].dropna().unique(), reverse=True):
        of_cycle = v[v["cycle"] == cycle]
        for plan in ("consensus", "statistical"):
            joined = of_cycle[of_cycle["plan"] == plan].merge(a, on=["sku", "period"])
            total = joined["y"].sum()
            if len(joined) and total > 0:
                wape = (joined["value"] - joined["y"]).abs().sum() / total * 100.0
                bias = (joined["value"] - joined["y"]).sum() / total * 100.0
                return dict(accuracy=100.0 - wape, bias=bias,
                            source=f"{plan} plan of cycle {cycle} vs {len(joined)} actual SKU-periods")
    return None


def _bias_text(bias) -> str:
    if bias is None or np.isnan(bias):
        return "No bias measured by the source."
    if abs(bias) < 0.05:
        return "The forecast was neither above nor below the actuals on balance."
    return f"The forecast was {abs(bias):.1f}% {'above' if bias > 0 else 'below'} the actuals on balance."


def _row(kpi: Kpi, value, target, status: str, comment: str) -> dict:
    value = np.nan if value is None else float(value)
    target = np.nan if target is None else float(target)
    return dict(area=kpi.area, kpi=kpi.name, value=value, unit=kpi.unit, target=target, status=status,
                comment=comment)


def _na(kpi: Kpi, comment: str, target=None) -> dict:
    return _row(kpi, None, target, "n/a", comment)


MISSING_PLAN = "Run the plan first (sop-xl plan)."
MISSING_FIN = "Run the financials first (sop-xl financials)."


def dashboard_kpis(*, financials: pd.DataFrame | None = None, supply_plan: pd.DataFrame | None = None,
                   capacity: pd.DataFrame | None = None, accuracy: dict | None = None,
                   comparison: pd.DataFrame | None = None, has_budget: bool = False,
                   period_type: str = "month", currency: str = "EUR", targets: Targets = Targets()
                   ) -> pd.DataFrame:
    """The Dashboard table. ``supply_plan`` needs item, demand, backlog, lost_sales, inventory;
    ``financials`` is the Financials table; ``comparison`` the ScenarioComparison table."""
    k = definitions(targets, currency)
    m = plan_measures(financials=financials, supply_plan=supply_plan, capacity=capacity, period_type=period_type)
    rows = (_demand_rows(k, accuracy) + _supply_rows(k, m, supply_plan, capacity, period_type)
            + _inventory_rows(k, m, financials, period_type, currency)
            + _finance_rows(k, m, financials, has_budget, currency) + _scenario_rows(k, comparison))
    return pd.DataFrame(rows, columns=COLUMNS)


def _demand_rows(k: dict[str, Kpi], accuracy: dict | None) -> list[dict]:
    if not accuracy:
        text = "No actuals to measure against yet: close a cycle (sop-xl close-cycle) or run the forecast."
        return [_na(k["accuracy"], text, k["accuracy"].target), _na(k["bias"], text, 0.0)]
    bias = accuracy.get("bias", np.nan)
    bias = np.nan if bias is None else bias
    return [_row(k["accuracy"], accuracy["accuracy"], k["accuracy"].target, k["accuracy"].status(accuracy["accuracy"]),
                 f"100 - WAPE; {accuracy['source']}"),
            _row(k["bias"], bias, 0.0, k["bias"].status(bias), _bias_text(bias))]


def _supply_rows(k: dict[str, Kpi], m: dict, supply_plan, capacity, period_type: str) -> list[dict]:
    rows = []
    if supply_plan is not None and not supply_plan.empty:
        fill = m["fill_rate"] * 100.0
        rows.append(_row(k["fill_rate"], fill, k["fill_rate"].target, k["fill_rate"].status(fill),
                         f"{m['short_items']} item(s) short at least once."))
    else:
        rows.append(_na(k["fill_rate"], MISSING_PLAN, k["fill_rate"].target))
    if capacity is None or capacity.empty:
        return rows + [_na(k["utilisation"], MISSING_PLAN, k["utilisation"].target),
                       _na(k["peak_utilisation"], MISSING_PLAN, k["peak_utilisation"].target)]
    avg, peak = m["utilisation"] * 100.0, m["peak_utilisation"] * 100.0
    when = m["peak_period"]
    when = label(when, period_type) if isinstance(when, pd.Timestamp) else when
    rows.append(_row(k["utilisation"], avg, k["utilisation"].target, k["utilisation"].status(avg),
                     f"Used / regular hours over all resources; {m['overtime_hours']:,.0f} overtime hours planned."))
    rows.append(_row(k["peak_utilisation"], peak, k["peak_utilisation"].target, k["peak_utilisation"].status(peak),
                     f"Peak: {m['peak_resource']} in {when}." if m["peak_resource"] else ""))
    return rows


def excess_families(financials: pd.DataFrame | None, period_type: str = "month",
                    targets: Targets = Targets()) -> pd.Series:
    """Days of supply of the families whose own days of supply miss the Days-of-supply target: the one
    rule behind both the KPI's status and the ActionPlan's excess-inventory findings."""
    kpi = definitions(targets)["days_of_supply"]
    dos = family_days_of_supply(financials, period_type)
    return dos[[kpi.status(v) not in ("on track", "n/a") for v in dos]] if len(dos) else dos


def _inventory_rows(k: dict[str, Kpi], m: dict, financials, period_type: str, currency: str) -> list[dict]:
    dos_kpi, turns_kpi = k["days_of_supply"], k["turns"]
    if np.isnan(m["revenue"]):
        text = MISSING_FIN if financials is None or financials.empty else MISSING_PLAN
        return [_na(dos_kpi, text, dos_kpi.target), _na(turns_kpi, text, turns_kpi.target)]
    dos = m["days_of_supply"]
    status, comment = dos_kpi.status(dos), f"Average inventory value {m['average_inventory_value']:,.0f} {currency}."
    excess = excess_families(financials, period_type)
    if len(excess):  # a family above target is an ActionPlan finding: the KPI cannot say all is well
        status = worst(status, "watch")
        comment += " Above target: " + ", ".join(f"{f} {v:,.0f} days" for f, v in excess.items()) + "."
    return [_row(dos_kpi, dos, dos_kpi.target, status, comment),
            _row(turns_kpi, m["turns"], turns_kpi.target, turns_kpi.status(m["turns"]),
                 "Cost of goods per year / average inventory value.")]


def _finance_rows(k: dict[str, Kpi], m: dict, financials, has_budget: bool, currency: str) -> list[dict]:
    rev_kpi, gm_kpi, lost_kpi = k["revenue"], k["gross_margin"], k["revenue_lost"]
    if np.isnan(m["revenue"]):
        text = MISSING_FIN if financials is None or financials.empty else MISSING_PLAN
        return [_na(rev_kpi, text), _na(gm_kpi, text), _na(lost_kpi, text, 0.0)]
    revenue, margin, lost = m["revenue"], m["gross_margin"], m["lost_revenue"]
    margin_pct = m["gross_margin_pct"] * 100.0
    budget = financials["budget_revenue"].sum(min_count=1) if has_budget else np.nan
    rows = []
    if budget and not np.isnan(budget):
        gap_pct = rev_kpi.score(revenue, budget)
        rows.append(_row(rev_kpi, revenue, budget, rev_kpi.status(revenue, budget),
                         f"{gap_pct:+.1f}% vs budget ({revenue - budget:+,.0f} {currency})."))
        mask = financials["margin_gap"].notna()
        b_margin = (financials.loc[mask, "gross_margin"] - financials.loc[mask, "margin_gap"]).sum()
        b_revenue = financials.loc[mask, "budget_revenue"].sum()
        if mask.any() and b_revenue > 0:
            b_pct = b_margin / b_revenue * 100.0
            rows.append(_row(gm_kpi, margin_pct, b_pct, gm_kpi.status(margin_pct, b_pct),
                             f"Gross margin {margin:,.0f} {currency}; budget {b_pct:.1f}%."))
        else:
            rows.append(_row(gm_kpi, margin_pct, None, "n/a",
                             f"Gross margin {margin:,.0f} {currency}; the Budget sheet has no margin to compare."))
    else:
        text = "No budget to compare: fill the Budget sheet."
        rows += [_row(rev_kpi, revenue, None, "n/a", text),
                 _row(gm_kpi, margin_pct, None, "n/a", f"Gross margin {margin:,.0f} {currency}. {text}")]
    rows.append(_row(lost_kpi, lost, 0.0, lost_kpi.status(lost, max(revenue, 1.0)),
                     "Lost sales x price over the horizon."))
    return rows


def _scenario_rows(k: dict[str, Kpi], comparison: pd.DataFrame | None) -> list[dict]:
    best_kpi, risk_kpi = k["best_decision"], k["worst_risk"]
    if comparison is None or comparison.empty or "contribution" not in comparison:
        text = "No scenarios compared: fill the Scenarios sheet and run sop-xl scenarios."
        return [_na(best_kpi, text, 0.0), _na(risk_kpi, text, 0.0)]
    table = comparison[comparison["contribution"].notna()].copy()
    chosen = table[table["plan_of_record"].fillna(False).astype(bool)]
    record = chosen.iloc[0] if len(chosen) else table.iloc[0] if len(table) else None
    if record is None:
        text = "No scenario has a feasible plan."
        return [_na(best_kpi, text, 0.0), _na(risk_kpi, text, 0.0)]
    table["vs_record"] = table["contribution"].astype(float) - float(record["contribution"])
    kind = table["kind"] if "kind" in table else pd.Series("decision", index=table.index)
    decisions = table[kind.isin(["decision", "base"])]
    best = decisions.loc[decisions["vs_record"].idxmax()]
    rows = [_row(best_kpi, best["vs_record"], 0.0, "on track" if best["vs_record"] <= 0.5 else "watch",
                 f"Best decision: {best['scenario']}; plan of record: {record['scenario']}; "
                 f"{len(decisions) - 1} decision(s) compared (price, capacity, service, workforce).")]
    risks = table[kind == "risk"]
    if risks.empty:
        return rows + [_na(risk_kpi, "No risk scenarios (demand or cost what-ifs) on the Scenarios sheet.", 0.0)]
    bad = risks.loc[risks["vs_record"].idxmin()]
    rows.append(_row(risk_kpi, bad["vs_record"], 0.0, risk_kpi.status(bad["vs_record"], record["contribution"]),
                     f"Worst risk: {bad['scenario']}; risks: " + ", ".join(
                         f"{r.scenario} {r.vs_record:+,.0f}" for r in risks.itertuples()) + "."))
    return rows
