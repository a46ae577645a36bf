"""Settings demand_policy (issue 12.3): meet_all (hard), backlog, lost_sales, on one SKU over three months.

The case: demand 100 a month, machine M with 130, 60 and 110 h (1 h a unit), unit cost 10, holding 2 per unit per
month, backorder 4 per unit per month, lost sales 30 per unit. February lacks 40 h; January has 30 h to spare and
March 10 h.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.contract import SETTINGS
from sop_xl.io.memory import MemoryWorkbook
from sop_xl.io.settings import settings_frame
from sop_xl.io.tables import read_settings
from sop_xl.issues import IssueCode, IssueLog
from sop_xl.plan import INFEASIBLE, PlanSettings

from .plan_cases import case, column, solved

CAPACITY = [130.0, 60.0, 110.0]


def tiny(lost_sales_cost: float = 30.0, capacity=CAPACITY, **settings) -> dict:
    items = [dict(sku="A", family="F", unit_cost=10.0, holding_cost=2.0, backorder_cost=4.0,
                  lost_sales_cost=lost_sales_cost, safety_stock_rule="none")]
    calendar = [dict(resource="M", period=f"2027-{t + 1:02d}", regular_capacity=c, overtime_capacity=0.0)
                for t, c in enumerate(capacity)]
    return case([100, 100, 100], items=items, resources=[dict(resource="M", regular_capacity=capacity[0])],
                calendar=calendar, **settings)


def test_the_tiny_case_reads_its_calendar():
    r = solved(**tiny(demand_policy="meet_all"))
    assert column(r, "capacity", "regular_capacity") == CAPACITY


def test_meet_all_builds_ahead_and_backorders_within_the_horizon():
    # 30 units made in January and held a month (2 each), 10 made in March for February's demand (4 each):
    # 3,000 material + 60 + 40; no_backlog_at_end = no is overridden: meet_all leaves no backorder at the end
    r = solved(**tiny(demand_policy="meet_all", no_backlog_at_end=False))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(3100)
    assert column(r, "supply_plan", "production") == [130, 60, 110]
    assert column(r, "supply_plan", "backlog") == [0, 10, 0]
    assert column(r, "supply_plan", "lost_sales") == [0, 0, 0]


def test_backlog_may_leave_orders_open_at_the_end_at_the_backorder_cost():
    # with no_backlog_at_end = no a unit of demand in month t waits to the end at 4 x (4 - t): January's 12 is
    # dearer than making it (10), February's 8 and March's 4 are cheaper: 1,000 + 4 x (100 + 200) = 2,200
    r = solved(**tiny(demand_policy="backlog", no_backlog_at_end=False))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(2200)
    assert column(r, "supply_plan", "production") == [100, 0, 0]
    assert column(r, "supply_plan", "backlog") == [0, 100, 200]


def test_backlog_with_no_backlog_at_end_is_todays_default_plan():
    default = solved(**tiny())
    backlog = solved(**tiny(demand_policy="backlog"))
    assert default.objective == pytest.approx(3100) and backlog.objective == pytest.approx(3100)


def test_lost_sales_builds_ahead_and_loses_the_rest():
    # no backorders: 30 units built ahead (12 each with holding), the other 10 lost at 30: 2,900 + 60 + 300
    r = solved(**tiny(demand_policy="lost_sales"))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(3260)
    assert column(r, "supply_plan", "lost_sales") == [0, 10, 0]
    assert column(r, "supply_plan", "backlog") == [0, 0, 0]


def test_blank_policy_follows_allow_backlog_as_before():
    assert PlanSettings().policy == "backlog"
    assert PlanSettings(allow_backlog=False).policy == "lost_sales"
    assert solved(**tiny(allow_backlog=False)).objective == pytest.approx(3260)


def test_a_too_small_lost_sales_cost_loses_sales_unless_demand_must_be_met():
    # a lost sale at 8 is cheaper than making the unit (10): lost_sales quietly loses all 300 units
    lost = solved(**tiny(lost_sales_cost=8.0, demand_policy="lost_sales"))
    assert lost.objective == pytest.approx(2400)
    assert sum(column(lost, "supply_plan", "lost_sales")) == pytest.approx(300)
    # meet_all has no lost sales whatever their cost, with or without backorders
    kept = solved(**tiny(lost_sales_cost=8.0, demand_policy="meet_all"))
    assert kept.objective == pytest.approx(3100)
    assert sum(column(kept, "supply_plan", "lost_sales")) == 0
    assert sum(column(kept, "supply_plan", "production")) == pytest.approx(300)
    ahead = solved(**tiny(lost_sales_cost=8.0, capacity=[140.0, 60.0, 100.0], demand_policy="meet_all",
                          allow_backlog=False))
    assert ahead.objective == pytest.approx(3080)  # 40 built ahead at 2
    assert sum(column(ahead, "supply_plan", "lost_sales")) == 0


def test_meet_all_also_overrides_max_margin_declining_demand():
    r = solved(**tiny(lost_sales_cost=8.0, demand_policy="meet_all", objective="max_margin"))
    assert r.status == "optimal"
    assert sum(column(r, "supply_plan", "lost_sales")) == 0


def test_meet_all_infeasible_without_backlog_names_the_missing_hours():
    # without backorders February can only be helped by January (30 h spare): M lacks 10 h in February
    r = solved(**tiny(demand_policy="meet_all", allow_backlog=False))
    assert r.status == INFEASIBLE
    (row,) = r.explanation.to_dict("records")
    assert (row["requirement"], row["key"], row["period"]) == ("capacity", "M", "2027-02")
    assert row["violation"] == pytest.approx(10)
    assert row["message"] == "M lacks 10 h in 2027-02."
    assert (row["sheet"], row["cell"]) == ("Resources", "D4")
    (issue,) = r.issues
    assert issue.code is IssueCode.PLAN_INFEASIBLE


def test_meet_all_infeasible_with_backlog_names_the_hours_not_the_end_backlog():
    # 250 h for 300 units: backorders can wait to March, so the 50 h are missing in March (the latest
    # period they help); giving up demand is never the smallest change under meet_all
    r = solved(**tiny(demand_policy="meet_all", capacity=[100.0, 50.0, 100.0]))
    assert r.status == INFEASIBLE
    (row,) = r.explanation.to_dict("records")
    assert (row["requirement"], row["key"], row["period"]) == ("capacity", "M", "2027-03")
    assert row["message"] == "M lacks 50 h in 2027-03."
    assert (row["sheet"], row["cell"]) == ("Resources", "D4")


def test_meet_all_when_no_hours_can_help_names_the_demand_policy():
    # a lead time of one month and no stock: January's demand cannot be made in time whatever the capacity,
    # so the explanation points at the demand policy, not at hours
    args = tiny(demand_policy="meet_all", allow_backlog=False)
    args["items"] = args["items"].assign(lead_time=1)
    r = solved(**args)
    assert r.status == INFEASIBLE
    # January's 100 units are named against the policy; what January's 130 h (arriving in February) and
    # February's 60 h leave short for March is named as hours: 100 + 100 - 130 - 60 = 10 h in February
    demand, hours = r.explanation.to_dict("records")
    assert (demand["requirement"], demand["key"], demand["period"]) == ("unmet_demand", "A", "2027-01")
    assert demand["violation"] == pytest.approx(100)
    assert demand["column"] == "demand_policy" and "meet_all" in demand["message"]
    assert hours["message"] == "M lacks 10 h in 2027-02."


def test_the_setting_is_read_from_the_workbook_with_its_cell():
    book = MemoryWorkbook()
    book.write_table(SETTINGS, settings_frame({"demand_policy": "meet_all"}))
    log = IssueLog()
    settings = read_settings(book, log)
    plan_settings = PlanSettings.from_settings(settings)
    assert plan_settings.policy == "meet_all"
    assert plan_settings.demand_policy_cell == settings.cell("demand_policy") != ""
    wrong = MemoryWorkbook()
    wrong.write_table(SETTINGS, settings_frame({"demand_policy": "always"}))
    log = IssueLog()
    read_settings(wrong, log)
    assert any(i.code is IssueCode.NOT_ALLOWED and "meet_all" in i.hint for i in log.items)


@pytest.mark.parametrize("settings, shown", [
    (dict(demand_policy="meet_all"), "meet_all"),
    (dict(demand_policy="lost_sales"), "lost_sales"),
    (dict(allow_backlog=False), "lost_sales (allow_backlog no)"),
    (dict(), "backlog (allow_backlog yes)"),
])
def test_plan_run_shows_the_demand_policy_in_force(settings, shown):
    assert solved(**tiny(**settings)).run["demand_policy"] == shown
