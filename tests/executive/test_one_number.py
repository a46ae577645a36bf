"""One number: every figure the meeting sees on more than one sheet of the written demo workbook is the
same number under the same name on each of them (Financials, ScenarioComparison, Dashboard, ActionPlan)."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.commands.demo import create_demo_workbook, run_demo_cycle
from sop_xl.contract import WORKBOOK
from sop_xl.io import FileWorkbook, read_table
from sop_xl.commands.review_inputs import reading_view
from sop_xl.issues import IssueLog


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo company after its whole cycle, read back from the saved file."""
    path = tmp_path_factory.mktemp("one_number") / "demo.xlsx"
    create_demo_workbook(path, seed=7)
    run_demo_cycle(path, seed=7)
    book = FileWorkbook(path)

    def sheet(name: str) -> pd.DataFrame:
        s = WORKBOOK.sheet(name)
        first = s.key[0] if s.key else s.columns[0].name
        return read_table(book, reading_view(s, first), IssueLog(), required=False).reset_index(drop=True)

    frames = {n: sheet(n) for n in ("Financials", "ScenarioComparison", "Dashboard", "ActionPlan", "SupplyPlan",
                                    "Capacity", "DashboardData")}
    frames["path"] = path
    return frames


def _kpi(demo, name: str) -> pd.Series:
    k = demo["Dashboard"].set_index("kpi")
    return k.loc[name]


def test_revenue_and_gross_margin_are_one_number_on_every_sheet(demo):
    fin, comp = demo["Financials"], demo["ScenarioComparison"]
    record = comp[comp["plan_of_record"].astype(bool)].iloc[0]
    revenue, margin = fin["revenue"].sum(), fin["gross_margin"].sum()
    # ScenarioComparison's plan of record row, the Dashboard KPI and the Financials total agree to the cent
    assert record["revenue"] == pytest.approx(revenue, abs=0.01)
    assert record["gross_margin"] == pytest.approx(margin, abs=0.01)
    assert _kpi(demo, "Revenue (EUR)")["value"] == pytest.approx(revenue, abs=0.01)
    assert _kpi(demo, "Gross margin %")["value"] == pytest.approx(margin / revenue * 100, abs=1e-9)
    assert str(round(margin)) in _kpi(demo, "Gross margin %")["comment"].replace(",", "")


def test_a_different_quantity_has_a_different_name():
    comparison = WORKBOOK.sheet("ScenarioComparison")
    headers = {c.name: c.header for c in comparison.columns}
    assert headers["gross_margin"] == WORKBOOK.sheet("Financials").column("gross_margin").header == "Gross margin"
    assert headers["contribution"] == "Contribution after plan costs"
    assert "margin" not in headers  # no bare "Margin" that means something else on another sheet


def test_shipped_revenue_never_exceeds_unconstrained_revenue(demo):
    fin = demo["Financials"]
    assert fin["revenue"].sum() <= fin["unconstrained_revenue"].sum() + 0.01


def test_fill_rate_utilisation_and_inventory_are_one_number(demo):
    comp = demo["ScenarioComparison"]
    record = comp[comp["plan_of_record"].astype(bool)].iloc[0]
    assert _kpi(demo, "Fill rate")["value"] == pytest.approx(record["fill_rate"] * 100, abs=1e-9)
    assert _kpi(demo, "Peak utilisation")["value"] == pytest.approx(record["peak_utilisation"] * 100, abs=1e-9)
    assert _kpi(demo, "Capacity utilisation")["value"] == pytest.approx(record["utilisation"] * 100, abs=1e-9)
    fin = demo["Financials"]
    average = fin.groupby("period")["inventory_value"].sum().mean()
    assert record["average_inventory_value"] == pytest.approx(average, abs=0.01)
    assert f"{average:,.0f}" in _kpi(demo, "Days of supply")["comment"]
    cap = demo["Capacity"]
    assert record["peak_utilisation"] == pytest.approx(cap["utilisation"].max(), abs=1e-9)


def test_kpi_status_and_action_plan_do_not_contradict(demo):
    actions = demo["ActionPlan"]
    excess = actions[actions["category"] == "excess_inventory"]
    dos = _kpi(demo, "Days of supply")
    if dos["status"] == "on track":
        assert excess.empty, "Days of supply on track, yet the ActionPlan flags excess inventory"
    for subject in excess["subject"]:
        assert subject in dos["comment"]
    peak = _kpi(demo, "Peak utilisation")
    if peak["status"] == "on track":
        assert not (actions["category"] == "overload").any()


def test_best_scenario_is_a_decision_and_demand_what_ifs_are_risks(demo):
    comp = demo["ScenarioComparison"].set_index("scenario")
    assert comp.at["Demand +20%", "kind"] == "risk" and comp.at["Tent season surge", "kind"] == "risk"
    assert comp.at["Price +5%", "kind"] == "decision"
    best = _kpi(demo, "Best decision: contribution vs plan of record")
    assert "Demand +20%" not in best["comment"].split(";")[0]
    risk = _kpi(demo, "Worst risk: contribution vs plan of record")
    assert "Demand +20%" in risk["comment"]


def test_scenario_columns_are_computed_per_scenario(demo):
    comp = demo["ScenarioComparison"].set_index("scenario")
    base, surge = comp.loc["Base"], comp.loc["Demand +20%"]
    for column in ("revenue", "gross_margin", "average_inventory_value", "utilisation", "service_level"):
        assert surge[column] != pytest.approx(base[column], rel=1e-6), column


def test_docs_dashboard_png_shows_what_the_demo_makes(demo):
    """Before: docs/dashboard.png showed older figures than the demo made, and nothing noticed."""
    from pathlib import Path

    from sop_xl.docs_dashboard import fingerprint, read_fingerprint
    png = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
    assert read_fingerprint(png) == fingerprint(demo["path"]), \
        "docs/dashboard.png is stale: run `python -m sop_xl.docs_dashboard` and commit it"


def test_the_picture_fingerprint_ignores_float_noise_not_figures():
    from sop_xl.docs_dashboard import _sig
    assert _sig(66586879.4) == _sig(66586879.4 * (1 + 1e-12)) and _sig(0.9967059) == _sig(0.99670590000001)
    assert _sig(66586879.4) != _sig(66565321.0)  # the revenue the old picture showed


def test_the_demand_chart_shows_history_statistical_consensus_and_plan(demo):
    """Before: three lines on top of each other and no history."""
    data = demo["DashboardData"]
    block = data[(data["chart"] == "demand") & (data["group"] == "All families")]
    history, future = block[block["history"].notna()], block[block["demand"].notna()]
    assert len(history) == 12 and len(future) == 18
    assert history["label"].max() < future["label"].min()  # actuals before the horizon, then the plan's lines
    assert future["forecast"].notna().all() and future["plan"].notna().all()
