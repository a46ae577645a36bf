"""Bad input becomes Issues naming the sheet and cell, never a solver traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.issues import InputError, Severity
from sop_xl.plan import build_plan_data, plan

from .plan_cases import case


def issues_of(**kwargs):
    data, issues = build_plan_data(**kwargs)
    return data, issues


def only(issues, severity=Severity.ERROR):
    return [i for i in issues if i.severity is severity]


def test_negative_capacity_names_the_cell():
    data, issues = issues_of(**case([10], resources=[dict(resource="M", regular_capacity=100.0),
                                                      dict(resource="L2", regular_capacity=-5.0)]))
    assert data is None
    (err,) = only(issues)
    # row 2 of the frame -> Excel row 5 under the contract's header on row 3; column D
    assert (err.sheet, err.cell) == ("Resources", "D5")
    assert "negative capacity -5" in err.message.lower() and err.row_key == "L2"


def test_routing_to_unknown_resource():
    data, issues = issues_of(**case([10], routing=[dict(item="A", resource="M", hours_per_unit=1.0),
                                                   dict(item="A", resource="Line9", hours_per_unit=2.0)]))
    assert data is None
    (err,) = only(issues)
    assert (err.sheet, err.cell) == ("Routing", "B5") and "Line9" in err.message


def test_item_without_routing():
    items = [dict(sku="A", family="F", unit_cost=1.0, backorder_cost=1.0),
             dict(sku="B", family="G", unit_cost=1.0, backorder_cost=1.0)]
    data, issues = issues_of(**case({"A": [10], "B": [5]}, items=items,
                                    routing=[dict(item="F", resource="M", hours_per_unit=1.0)]))
    assert data is None
    (err,) = only(issues)
    assert (err.sheet, err.cell, err.row_key) == ("Items", "A5", "B") and "no routing" in err.message


def test_item_without_routing_but_subcontract_is_a_warning():
    items = [dict(sku="A", family="F", unit_cost=1.0, backorder_cost=1.0, subcontract_cost=5.0)]
    data, issues = issues_of(**case([10], items=items, routing=[]))
    assert data is not None and not only(issues)
    assert only(issues, Severity.WARNING)[0].code == "plan_no_routing"


def test_missing_lost_sales_cost():
    items = [dict(sku="A", family="F", unit_cost=10.0)]  # no price, no lost-sales cost
    data, issues = issues_of(**case([10], items=items, allow_backlog=False))
    assert data is None
    (err,) = only(issues)
    assert (err.sheet, err.cell) == ("Items", "J4") and "lost-sales cost" in err.message.lower()


def test_free_backorders_are_a_warning():
    items = [dict(sku="A", family="F", unit_cost=10.0)]
    data, issues = issues_of(**case([10], items=items))
    assert data is not None
    (warn,) = only(issues, Severity.WARNING)
    assert (warn.sheet, warn.cell) == ("Items", "I4")


def test_periods_outside_the_horizon():
    kw = case([10, 10], calendar=[dict(resource="M", period="2030-01", regular_capacity=5.0)])
    kw["demand"] = pd.concat([kw["demand"], pd.DataFrame([{"sku": "A", "ds": pd.Timestamp("2031-05-01"),
                                                            "demand": 7.0, "cell": "Q9"}])], ignore_index=True)
    data, issues = issues_of(**kw)
    assert data is not None  # ignored, with warnings
    cal = next(w for w in only(issues, Severity.INFO) if w.sheet == "CapacityCalendar")
    assert cal.cell == "B4" and "outside the plan horizon" in cal.message
    dem = next(w for w in only(issues, Severity.WARNING) if w.sheet == "Demand")
    assert dem.cell == "Q9" and "2031-05" in dem.message


def test_unknown_calendar_resource_and_bad_period():
    kw = case([10], calendar=[dict(resource="Nope", period="2027-01", regular_capacity=5.0),
                              dict(resource="M", period="someday", regular_capacity=5.0)])
    data, issues = issues_of(**kw)
    assert data is None
    cells = {(e.sheet, e.cell) for e in only(issues)}
    assert cells == {("CapacityCalendar", "A4"), ("CapacityCalendar", "B5")}


def test_demand_for_unknown_sku_and_negative_demand():
    kw = case([10])
    kw["demand"] = pd.concat([kw["demand"], pd.DataFrame([
        {"sku": "ZZ", "ds": pd.Timestamp("2027-01-01"), "demand": 3.0},
        {"sku": "A", "ds": pd.Timestamp("2027-01-01"), "demand": -1.0}])], ignore_index=True)
    data, issues = issues_of(**kw)
    assert data is None
    messages = " | ".join(e.message for e in only(issues))
    assert "ZZ" in messages and "-1" in messages


def test_workforce_checks():
    kw = case([10], resources=[dict(resource="Crew", kind="labour"), dict(resource="Pool2", kind="labour")],
              routing=[dict(item="A", resource="Crew", hours_per_unit=1.0)], whole_headcount=True,
              workforce=[dict(resource="Crew", initial_headcount=2.5, hours_per_worker=100, min_headcount=3,
                              max_headcount=2)])
    data, issues = issues_of(**kw)
    assert data is None
    found = {(e.sheet, e.cell) for e in only(issues)}
    assert ("Workforce", "J4") in found      # max < min headcount
    assert ("Workforce", "B4") in found      # 2.5 people with whole_headcount
    assert ("Resources", "C5") in found      # labour pool without Workforce row


def test_frames_read_from_a_workbook_keep_their_cells():
    """A frame from sop_xl.io.tables has Excel rows as index and the letters of its header."""
    resources = pd.DataFrame([dict(resource="M", regular_capacity=-1.0)], index=pd.Index([12], name="row"))
    resources.attrs["letters"] = {"resource": "B", "regular_capacity": "F"}
    data, issues = issues_of(**{**case([10]), "resources": resources})
    assert [(e.sheet, e.cell) for e in only(issues)] == [("Resources", "F12")]


def test_plan_api_raises_one_input_error_with_every_problem():
    kw = case([10], resources=[dict(resource="M", regular_capacity=-1.0)],
              routing=[dict(item="A", resource="M", hours_per_unit=1.0), dict(item="A", resource="X",
                                                                            hours_per_unit=1.0)])
    kw.pop("settings")
    with pytest.raises(InputError) as err:
        plan(**kw, settings={"first_forecast_period": "2027-01", "horizon": 1})
    assert len([i for i in err.value.issues if i.severity is Severity.ERROR]) == 2


def test_huge_magnitudes_are_refused_before_any_solve():
    # issue 13.2: 1e300 in price/demand went to HiGHS, which failed; CBC then called the plan infeasible
    import pandas as pd
    from sop_xl.plan import build_plan_data
    from .plan_cases import case
    kw = case([100, 1e300], items=[dict(sku="A", family="F", unit_cost=10.0, price=1e300, holding_cost=0.0,
                                         backorder_cost=1.0, safety_stock_rule="none")])
    data, issues = build_plan_data(**kw)
    assert data is None
    errors = [i for i in issues if i.severity.value == "error"]
    assert {(i.sheet, i.cell) for i in errors if i.sheet == "Items"} == {("Items", "F4")}
    assert any(i.sheet == "Demand" and "1e+300" in i.message for i in errors)
