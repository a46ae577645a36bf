"""The ActionPlan: seeded from the plan's findings, and the team's edits survive the next run."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sop_xl.commands.base import execute
from sop_xl.contract import RESOURCES, WORKBOOK
from sop_xl.executive import merge_actions, seed_actions

from .helpers import memory_book, resources_frame, table

DS = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01"])


def test_seeds_one_action_per_finding_with_stable_keys():
    capacity = pd.DataFrame({"resource": ["M"] * 3, "ds": DS, "regular_capacity": [100.0] * 3,
                             "overtime_capacity": [20.0] * 3, "used_hours": [90.0, 120.0, 110.0],
                             "overtime_hours": [0.0, 20.0, 10.0]})
    workforce = pd.DataFrame({"pool": ["Crew"] * 3, "ds": DS, "hires": [0.0, 2.0, 0.0], "layoffs": [0.0] * 3})
    fin = pd.DataFrame({"family": ["F"] * 3, "period": DS, "revenue": [100.0, 100.0, 100.0],
                        "budget_revenue": [120.0, 120.0, 120.0], "lost_units": [0.0, 3.0, 0.0],
                        "lost_revenue": [0.0, 30.0, 0.0], "backlog_units": [0.0, 0.0, 0.0],
                        "delayed_revenue": [0.0, 0.0, 0.0], "cogs": [30.0] * 3,
                        "inventory_units": [30.0, 60.0, 30.0], "inventory_value": [60.0, 120.0, 60.0]})
    plan = pd.DataFrame({"item": ["A"] * 3, "family": ["F"] * 3, "ds": DS, "demand": [10.0, 10.0, 10.0],
                         "inventory": [5.0, 40.0, 0.0], "safety_stock": [5.0] * 3, "unit_cost": [2.0] * 3})
    seeds = seed_actions(capacity=capacity, workforce=workforce, financials=fin, supply_plan=plan,
                         overtime_cost={"M": 5.0}, hire_cost={"Crew": 1000.0}).set_index("key")
    assert list(seeds.index) == ["overtime|M", "overload|M", "hiring|Crew", "shortage|F", "budget_gap|F",
                                 "excess_inventory|F"]
    assert seeds.at["overtime|M", "impact"] == 30 * 5.0 and seeds.at["overtime|M", "period"] == "2027-02"
    assert seeds.at["overtime|M", "due"] == DS[1] and seeds.at["overtime|M", "owner"] == "Operations"
    assert seeds.at["overload|M", "period"] == "2027-02"  # only February uses regular + overtime in full
    assert seeds.at["hiring|Crew", "impact"] == 2000.0
    assert seeds.at["shortage|F", "impact"] == 30.0 and seeds.at["shortage|F", "owner"] == "Sales"
    assert seeds.at["budget_gap|F", "impact"] == 60.0 and "-16.7%" in seeds.at["budget_gap|F", "finding"]
    # average inventory 80 at cost against 30 cost of goods a month: 81 days of supply, above the
    # Days-of-supply KPI's 60-day target (the KPI's own rule); impact: the average inventory value
    assert seeds.at["excess_inventory|F", "impact"] == 80.0
    assert "81 days of supply" in seeds.at["excess_inventory|F", "finding"]
    assert set(seeds["status"]) == {"open"} and seeds["still_flagged"].all()


def _seed(key: str, **extra) -> dict:
    category, subject = key.split("|")
    row = dict(key=key, category=category, subject=subject, period="2027-02", finding=f"{key} finding",
               suggested_action="do it", impact=1.0, owner="Operations", due=pd.Timestamp("2027-02-01"),
               status="open", comment=None, still_flagged=True)
    row.update(extra)
    return row


def test_merge_keeps_edits_drops_stale_seeds_and_keeps_hand_made_rows():
    seeded = pd.DataFrame([_seed("overtime|M", finding="new text", impact=50.0), _seed("hiring|Crew")])
    existing = pd.DataFrame([
        _seed("overtime|M", status="in progress", comment="Approved by Anna", owner="Executive"),
        _seed("overload|M"),                                       # no longer flagged, never touched: goes
        _seed("overload|L", status="done"),                        # no longer flagged but closed by the team: stays
        _seed("overload|K", due=pd.Timestamp("2027-03-15")),       # due date moved by the team: stays
        dict(key="board-1", category="", subject="", finding="Review pricing", owner="Finance", status="open"),
    ])
    merged = merge_actions(seeded, existing).set_index("key")
    assert list(merged.index) == ["overtime|M", "hiring|Crew", "overload|L", "overload|K", "board-1"]
    ot = merged.loc["overtime|M"]
    assert (ot["status"], ot["comment"], ot["owner"]) == ("in progress", "Approved by Anna", "Executive")
    assert ot["finding"] == "new text" and ot["impact"] == 50.0 and bool(ot["still_flagged"])
    assert merged.at["overload|L", "still_flagged"] == False  # noqa: E712 (pandas object column)
    assert merged.at["board-1", "finding"] == "Review pricing"
    assert merge_actions(seeded, None).equals(seeded.reindex(columns=merged.reset_index().columns))


def _edit(book, key: str, **values) -> None:
    """Type into the ActionPlan sheet like a planner would."""
    grid = book.grids["ActionPlan"]
    header_row = WORKBOOK.sheet("ActionPlan").header_row - 1
    header = grid[header_row]
    row = next(r for r in grid[header_row + 1:] if r and r[0] == key)
    for name, value in values.items():
        row[header.index(WORKBOOK.sheet("ActionPlan").column(name).header)] = value


def test_edits_survive_the_next_run():
    book = memory_book(capacity=75.0)  # March needs overtime
    execute(book, ["plan", "financials", "dashboard"], save=False)
    first = table(book, "ActionPlan").set_index("key")
    assert "overtime|M" in first.index and "budget_gap|FA" not in first.index
    _edit(book, "overtime|M", status="in progress", comment="Shift agreed with the works council",
          owner="Executive", due=dt.datetime(2027, 2, 15))
    execute(book, ["dashboard"], save=False)
    again = table(book, "ActionPlan").set_index("key")
    row = again.loc["overtime|M"]
    assert row["status"] == "in progress" and row["comment"] == "Shift agreed with the works council"
    assert row["owner"] == "Executive" and row["due"] == pd.Timestamp("2027-02-15")
    assert bool(row["still_flagged"])

    # more capacity: the overtime finding goes away, the team's edited row stays, marked as no longer flagged
    book.write_table(RESOURCES, resources_frame(200.0).reindex(columns=RESOURCES.column_names()))
    execute(book, ["plan", "financials", "dashboard"], save=False)
    later = table(book, "ActionPlan").set_index("key")
    assert later.at["overtime|M", "comment"] == "Shift agreed with the works council"
    assert later.at["overtime|M", "still_flagged"] == False  # noqa: E712
    assert (later.drop(index="overtime|M")["still_flagged"] == True).all()  # noqa: E712


def test_an_untouched_finding_disappears_when_fixed():
    book = memory_book(capacity=75.0)
    execute(book, ["plan", "financials", "dashboard"], save=False)
    assert "overtime|M" in set(table(book, "ActionPlan")["key"])
    book.write_table(RESOURCES, resources_frame(200.0).reindex(columns=RESOURCES.column_names()))
    execute(book, ["plan", "financials", "dashboard"], save=False)
    assert "overtime|M" not in set(table(book, "ActionPlan")["key"])


def test_owner_is_free_text():
    """Before: a person's name as Owner (`Anna (Ops)`) failed the whole run."""
    book = memory_book(capacity=75.0)
    execute(book, ["plan", "financials", "dashboard"], save=False)
    _edit(book, "overtime|M", owner="Anna (Ops)")
    result = execute(book, ["dashboard"], save=False)[-1]
    assert result.status != "failed", [str(i) for i in result.issues]
    assert table(book, "ActionPlan").set_index("key").at["overtime|M", "owner"] == "Anna (Ops)"
