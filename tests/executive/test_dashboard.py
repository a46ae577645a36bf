"""Dashboard KPIs by hand, forecast accuracy of closed cycles, the charts, and what a missing stage says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.charts import ChartSpec, Highlight
from sop_xl.commands.base import execute
from sop_xl.commands.dashboard import backtest_accuracy as _backtest_accuracy
from sop_xl.executive import dashboard_charts, dashboard_data, dashboard_kpis, forecast_accuracy
from sop_xl.issues import IssueCode

from .helpers import memory_book, table

DS = pd.to_datetime(["2027-01-01", "2027-02-01"])


def _kpis(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("kpi")


def test_kpis_by_hand():
    plan = pd.DataFrame({"item": ["A", "A", "B", "B"], "ds": list(DS) * 2, "demand": [100.0, 100.0, 50.0, 50.0],
                         "backlog": [10.0, 0.0, 0.0, 0.0], "lost_sales": [0.0, 0.0, 0.0, 5.0],
                         "inventory": [0.0, 0.0, 0.0, 0.0]})
    capacity = pd.DataFrame({"resource": ["M", "M"], "period": ["2027-01", "2027-02"],
                             "regular_capacity": [100.0, 100.0], "used_hours": [80.0, 110.0],
                             "overtime_hours": [0.0, 10.0], "utilisation": [0.8, 1.1]})
    fin = pd.DataFrame({"family": ["F", "F"], "period": DS, "inventory_value": [300.0, 500.0],
                        "cogs": [1000.0, 1000.0], "revenue": [2000.0, 1900.0], "gross_margin": [1000.0, 900.0],
                        "lost_revenue": [0.0, 100.0], "budget_revenue": [2000.0, 2100.0],
                        "margin_gap": [0.0, np.nan]})
    k = _kpis(dashboard_kpis(financials=fin, supply_plan=plan, capacity=capacity, has_budget=True,
                             accuracy=dict(accuracy=82.0, bias=-7.0, source="test")))
    # on time: A 90 + 100, B 50 + 45 out of 300
    assert k.at["Fill rate", "value"] == pytest.approx(285 / 300 * 100)
    assert k.at["Fill rate", "status"] == "watch"  # 95 %: below the 98 % target, on the watch line
    assert k.at["Capacity utilisation", "value"] == pytest.approx(190 / 200 * 100)
    assert k.at["Peak utilisation", "value"] == pytest.approx(110.0)
    assert k.at["Peak utilisation", "status"] == "watch" and "M in 2027-02" in k.at["Peak utilisation", "comment"]
    # average inventory 400 at cost against 1,000 cost of goods a month
    assert k.at["Days of supply", "value"] == pytest.approx(400 / (1000 / (365 / 12)))
    assert k.at["Inventory turns", "value"] == pytest.approx(12 * 1000 / 400)
    assert k.at["Revenue (EUR)", "value"] == 3900.0 and k.at["Revenue (EUR)", "target"] == 4100.0
    assert k.at["Revenue (EUR)", "status"] == "watch"  # -4.9 % vs budget
    assert k.at["Gross margin %", "value"] == pytest.approx(1900 / 3900 * 100)
    assert k.at["Gross margin %", "target"] == pytest.approx(1000 / 2000 * 100)  # only January has a margin budget
    assert k.at["Revenue lost (EUR)", "value"] == 100.0
    assert k.at["Forecast accuracy", "status"] == "on track" and k.at["Forecast bias", "status"] == "watch"


def test_fill_rate_status_bands():
    def status(backlog):
        plan = pd.DataFrame({"item": ["A"], "ds": [DS[0]], "demand": [100.0], "backlog": [backlog],
                             "lost_sales": [0.0], "inventory": [0.0]})
        return _kpis(dashboard_kpis(supply_plan=plan)).at["Fill rate", "status"]
    assert [status(1.0), status(4.0), status(6.0)] == ["on track", "watch", "off track"]


def test_every_kpi_is_listed_with_what_to_run_when_nothing_ran():
    k = dashboard_kpis()
    assert set(k["status"]) == {"n/a"} and len(k) == 12
    comments = " ".join(k["comment"])
    assert "sop-xl plan" in comments and "sop-xl financials" in comments and "sop-xl scenarios" in comments


def test_forecast_accuracy_of_the_last_closed_cycle():
    versions = pd.DataFrame({
        "cycle": ["2026-12"] * 4 + ["2027-01"] * 2,
        "plan": ["consensus", "consensus", "statistical", "statistical", "statistical", "statistical"],
        "sku": ["A", "B", "A", "B", "A", "B"],
        "period": [DS[0], DS[0], DS[0], DS[0], DS[1], DS[1]],
        "value": [110.0, 40.0, 130.0, 60.0, 100.0, 100.0]})
    actuals = pd.DataFrame({"sku": ["A", "B"], "ds": [DS[0], DS[0]], "y": [100.0, 50.0]})
    got = forecast_accuracy(versions, actuals)
    # cycle 2027-01 has no actuals yet; 2026-12's consensus: |10| + |-10| over 150
    assert got["accuracy"] == pytest.approx(100 - 20 / 150 * 100)
    assert got["bias"] == pytest.approx(0.0)
    assert "consensus plan of cycle 2026-12" in got["source"]
    assert forecast_accuracy(versions.iloc[4:], actuals) is None


def test_backtest_accuracy_sheet_is_read_loosely():
    grid = [["Accuracy"], [None], ["Level", "Key", "WAPE", "Bias"], ["sku", "A", 0.2, 0.05],
            ["total", "All", 0.12, -0.03]]
    got = _backtest_accuracy(grid)
    assert got["accuracy"] == pytest.approx(88.0) and got["bias"] == pytest.approx(-3.0)
    assert _backtest_accuracy([["nothing here"]]) is None


def test_chart_blocks_point_at_their_rows():
    demand = pd.DataFrame({"family": ["F", "F", "G", "G"], "ds": list(DS) * 2, "value": [1.0, 2.0, 3.0, 4.0]})
    capacity = pd.DataFrame({"resource": ["M", "M"], "ds": DS, "load": [5.0, 6.0],
                             "regular_capacity": [10.0, 10.0], "overtime_capacity": [2.0, np.nan]})
    comparison = pd.DataFrame({"scenario": ["Base", "Up"], "total_cost": [10.0, 12.0], "contribution": [5.0, 4.0]})
    data = dashboard_data(demand=demand, capacity=capacity, comparison=comparison)
    # all families first, then one block per family
    assert data["chart"].tolist() == ["demand"] * 6 + ["capacity"] * 2 + ["scenarios"] * 2
    assert data["group"].tolist()[:6] == ["All families"] * 2 + ["F"] * 2 + ["G"] * 2
    assert data["demand"].tolist()[:2] == [4.0, 6.0]
    assert data.loc[data["chart"] == "capacity", "max_capacity"].tolist() == [12.0, 10.0]
    specs = dashboard_charts(data)
    assert isinstance(specs[0], Highlight) and specs[0].column == "status"
    charts = [s for s in specs if isinstance(s, ChartSpec)]
    assert [c.rows for c in charts] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    assert {c.data_sheet for c in charts} == {"DashboardData"}
    assert [s.column for s in charts[0].series] == ["demand"]  # no forecast, no plan: not drawn
    for c in charts:
        block = data.iloc[c.rows[0]:c.rows[1]]
        assert block["chart"].nunique() == 1 and block["group"].nunique() == 1


def test_dashboard_command_after_the_plan():
    book = memory_book(capacity=75.0)
    results = execute(book, ["plan", "financials", "dashboard"], save=False)
    assert [r.status for r in results][-1] in ("ok", "warnings")
    k = table(book, "Dashboard").set_index("kpi")
    assert k.at["Fill rate", "value"] == pytest.approx(100.0)
    assert k.at["Peak utilisation", "value"] > 100.0  # 80-90 units a month on 75 regular hours
    assert k.at["Revenue (EUR)", "target"] == 9000.0
    charts = book.charts["Dashboard"]
    assert any(isinstance(c, Highlight) for c in charts)
    titles = [c.title for c in charts if isinstance(c, ChartSpec)]
    assert "FA: demand" in titles and "M: load, capacity" in titles and "Inventory" in titles
    data = table(book, "DashboardData")
    assert set(data["chart"]) == {"demand", "capacity", "inventory"}


def test_dashboard_says_which_stages_are_missing():
    book = memory_book()
    result = execute(book, ["dashboard"], save=False)[-1]
    assert result.status == "warnings"
    missing = {i.sheet: i for i in result.issues if i.code == IssueCode.STAGE_MISSING}
    assert missing["SupplyPlan"].hint == "Run `sop-xl plan` first."
    assert missing["Financials"].hint == "Run `sop-xl financials` first."
    k = table(book, "Dashboard").set_index("kpi")
    assert k.at["Fill rate", "status"] == "n/a" and "sop-xl plan" in k.at["Fill rate", "comment"]


def test_export_without_a_dashboard_names_the_stage(tmp_path):
    book = memory_book()
    result = execute(book, ["export-pdf"], save=False, options={"export-pdf": {"out": tmp_path / "x.pdf"}})[-1]
    assert result.status == "failed"
    (issue,) = [i for i in result.issues if i.code == IssueCode.STAGE_MISSING]
    assert issue.sheet == "Dashboard" and "sop-xl dashboard" in issue.hint
    assert not (tmp_path / "x.pdf").exists()


def test_consensus_demand_prices_and_statistical_line():
    from sop_xl.contract import WORKBOOK
    book = memory_book()
    labels = ["2027-01", "2027-02", "2027-03"]
    book.write_table(WORKBOOK.sheet("Consensus"), pd.DataFrame({
        "sku": ["A"] * 3 + ["B"] * 3, "family": ["FA"] * 3 + ["FB"] * 3, "period": labels * 2,
        "statistical": [40.0, 50.0, 60.0, 30.0, 30.0, 30.0], "final": [44.0, 55.0, 66.0, 30.0, 30.0, 30.0],
        "source": "test", "price": [33.0, None, None, None, None, None], "cycle": "2027-01"}).reindex(
        columns=WORKBOOK.sheet("Consensus").column_names()))
    results = execute(book, ["plan", "financials", "dashboard"], save=False)
    assert "failed" not in [r.status for r in results]
    fin = table(book, "Financials")
    assert set(fin["demand_source"]) == {"Consensus"}
    fa = fin[fin["family"] == "FA"].reset_index(drop=True)
    assert fa["unconstrained_revenue"].tolist() == pytest.approx([44 * 33.0, 55 * 30.0, 66 * 30.0])
    data = table(book, "DashboardData")
    block = data[(data["chart"] == "demand") & (data["group"] == "FA")]
    assert block["demand"].tolist() == [44.0, 55.0, 66.0] and block["forecast"].tolist() == [40.0, 50.0, 60.0]
    titles = [c.title for c in book.charts["Dashboard"] if isinstance(c, ChartSpec)]
    assert "FA: demand" in titles and "Demand: All families" in titles
    (fa,) = [c for c in book.charts["Dashboard"] if isinstance(c, ChartSpec) and c.title == "FA: demand"]
    # statistical, consensus and plan told apart by colour and line style
    assert [(s.column, s.label, s.dashed) for s in fa.series] == [
        ("forecast", "Statistical", True), ("demand", "Consensus", False), ("plan", "Plan", True)]
    assert len({s.color for s in fa.series}) == 3


def test_dashboard_warns_when_the_last_plan_failed():
    from sop_xl.contract import WORKBOOK
    book = memory_book()
    execute(book, ["plan"], save=False)
    wide = pd.DataFrame({"sku": ["A", "B"], "2027-01": [40.0, 30.0], "2027-02": [50.0, 30.0],
                         "2027-03": [5000.0, 30.0]})  # far beyond capacity; backorders must be filled by the end
    book.write_table(WORKBOOK.sheet("Demand"), wide)
    assert execute(book, ["plan"], save=False)[-1].status == "failed"
    result = execute(book, ["dashboard"], save=False)[-1]
    assert any(i.code == "dashboard_stale_plan" for i in result.issues)


def test_status_is_judged_on_the_value_as_shown():
    capacity = pd.DataFrame({"resource": ["M"], "period": ["2027-01"], "regular_capacity": [100.0],
                             "used_hours": [100.00001], "overtime_hours": [0.0], "utilisation": [1.0000001]})
    k = _kpis(dashboard_kpis(capacity=capacity, accuracy=dict(accuracy=80.0, bias=-2.5, source="t")))
    assert k.at["Peak utilisation", "status"] == "on track"
    assert k.at["Forecast bias", "comment"] == "The forecast was 2.5% below the actuals on balance."
