"""Versions, change report and forecast value added: by hand on small frames, then over two real cycles."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.consensus.versions import (add_snapshot, change_report, forecast_value_added, seasonal_naive,
                                       snapshot)
from sop_xl.contract import DEMAND_HISTORY
from sop_xl.contract.consensus import CHANGE_REPORT, FORECAST_VALUE_ADDED, VERSIONS
from sop_xl.io.file import FileWorkbook
from sop_xl.io.tables import to_wide

from .helpers import history_of, returned, run, seasonal_naive_forecast, sheet, write_forecast
from .test_returns import change_settings

J7, F7 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")


def consensus_frame(values: dict[tuple[str, pd.Timestamp], tuple[float, float]]) -> pd.DataFrame:
    """(sku, period) -> (statistical, final); A is in family F, B in G."""
    return pd.DataFrame([dict(sku=s, family="F" if s == "A" else "G", period=d, statistical=v[0], final=v[1])
                         for (s, d), v in values.items()])


CYCLE1 = consensus_frame({("A", J7): (80, 110), ("A", F7): (80, 90), ("B", J7): (40, 50), ("B", F7): (40, 60)})


def test_snapshot_holds_consensus_statistical_and_supply():
    supply = pd.DataFrame(dict(sku=["A"], period=[J7], value=[120.0]))
    snap = snapshot("2027-01", "now", CYCLE1, supply)
    assert list(snap.columns) == VERSIONS.column_names()
    assert snap.groupby("plan").size().to_dict() == {"consensus": 4, "statistical": 4, "supply": 1}
    assert snap[snap["plan"] == "supply"]["family"].iloc[0] == "F"
    again = add_snapshot(snap, snapshot("2027-01", "later", CYCLE1))  # closing twice replaces
    assert len(again) == 8 and set(again["closed_at"]) == {"later"}
    both = add_snapshot(again, snapshot("2027-02", "x", CYCLE1))
    assert list(dict.fromkeys(both["cycle"])) == ["2027-01", "2027-02"]


def test_change_report_by_family_and_biggest_movers():
    versions = snapshot("2027-01", "t", CYCLE1)
    now = consensus_frame({("A", F7): (0, 150), ("B", F7): (0, 30), ("A", pd.Timestamp("2027-03-01")): (0, 99)})
    report = change_report(now, versions, "2027-02", period_type="month", top=1)
    assert list(report.columns) == CHANGE_REPORT.column_names()
    fam = report[report["section"] == "family"].set_index("family")
    assert (fam.loc["F", "previous"], fam.loc["F", "current"], fam.loc["F", "change"]) == (90, 150, 60)
    assert fam.loc["F", "change_pct"] == pytest.approx(60 / 90) and fam.loc["G", "change"] == -30
    assert set(fam["period"]) == {"2027-02"}  # only periods both plans cover
    movers = report[report["section"] == "mover"]
    assert list(movers["sku"]) == ["A"] and set(report["compared_with"]) == {"2027-01"}
    assert change_report(now, versions, "2027-01", period_type="month").empty  # nothing earlier


def test_seasonal_naive_looks_back_a_whole_season_before_the_origin():
    actuals = pd.DataFrame(dict(sku="A", ds=pd.date_range("2025-01-01", periods=24, freq="MS"), y=range(24)))
    targets = pd.DataFrame(dict(sku="A", ds=[J7, pd.Timestamp("2027-12-01"), pd.Timestamp("2028-02-01")]))
    got = seasonal_naive(actuals, J7, targets, season_length=12, period_type="month")
    assert list(got) == [12, 23, 13]  # 2026-01, 2026-12, 2026-02


def test_forecast_value_added_by_hand():
    versions = snapshot("2027-01", "t", CYCLE1)
    actuals = pd.DataFrame(dict(sku=["A", "A", "B", "B", "A", "A", "B", "B"],
                                ds=[J7, F7, J7, F7, pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"),
                                    pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")],
                                y=[100, 100, 50, 50, 70, 130, 50, 50]))
    fva = forecast_value_added(versions, actuals, season_length=12, period_type="month")
    assert list(fva.columns) == FORECAST_VALUE_ADDED.column_names()
    total = fva.set_index("family").loc["All"]
    assert total["points"] == 4 and total["actual"] == 300
    assert total["wape_consensus"] == pytest.approx(30 / 300)
    assert total["wape_statistical"] == pytest.approx(60 / 300)
    assert total["wape_naive"] == pytest.approx(60 / 300)
    assert total["fva_vs_statistical"] == pytest.approx(0.1) and total["fva_vs_naive"] == pytest.approx(0.1)
    f = fva.set_index("family").loc["F"]
    assert f["wape_naive"] == pytest.approx(60 / 200) and f["fva_vs_naive"] == pytest.approx(0.2)
    assert forecast_value_added(versions, actuals[actuals["ds"] < J7], season_length=12,
                                period_type="month").empty  # no actuals yet: nothing to judge


def test_two_cycles_in_a_real_workbook(sent, tmp_path):
    master, copies = sent
    sales = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=2000),
                                                dict(item="BP-110", period="2027-05", override=3000)], tmp_path / "b")
    assert run(master, "merge", returns=[sales]).status == "ok"
    closed = run(master, "close-cycle")
    assert closed.status == "ok", [str(i) for i in closed.issues]
    versions = sheet(master, VERSIONS)
    assert set(versions["cycle"]) == {"2027-01"} and set(versions["plan"]) == {"consensus", "statistical"}
    first = versions[(versions["plan"] == "consensus") & (versions["sku"] == "BP-100") & (versions["period"] == J7)]
    assert first["value"].iloc[0] == 2000

    # three months later: actuals for 2027-01..03 arrive, a new forecast, cycle 2027-04
    history = history_of(master).rename(columns={"unique_id": "sku", "y": "quantity"})
    stat1 = versions[versions["plan"] == "statistical"]
    new = stat1[stat1["period"] < pd.Timestamp("2027-04-01")][["sku", "period", "value"]]
    new = new.rename(columns={"period": "ds", "value": "quantity"})
    new["quantity"] = (new["quantity"] * 1.1).round()
    long = pd.concat([history[["sku", "ds", "quantity"]], new], ignore_index=True)
    book = FileWorkbook(master)
    book.write_table(DEMAND_HISTORY, to_wide(long, ["sku"], "quantity", period_type="month"))
    book.save()
    change_settings(master, cycle="2027-04", first_forecast_period=pd.Timestamp("2027-04-01"))
    write_forecast(master, seasonal_naive_forecast(history_of(master)))
    second = run(master, "close-cycle")
    assert second.status == "ok", [str(i) for i in second.issues]
    assert any(i.code == "consensus_statistical_only" for i in second.issues)  # nothing merged this cycle
    assert list(dict.fromkeys(sheet(master, VERSIONS)["cycle"])) == ["2027-01", "2027-04"]
    report = sheet(master, CHANGE_REPORT)
    assert set(report["compared_with"]) == {"2027-01"}
    may = report[(report["section"] == "family") & (report["period"] == "2027-05") & (report["family"] == "Backpacks")]
    assert may["change"].iloc[0] < 0  # Sales' 3000 for BP-110 is gone from the new statistical plan
    assert report[report["section"] == "mover"]["sku"].iloc[0] == "BP-110"
    fva = sheet(master, FORECAST_VALUE_ADDED).set_index(["cycle", "family"])
    row = fva.loc[("2027-01", "All")]
    cons = versions[(versions["plan"] == "consensus") & (versions["period"] < pd.Timestamp("2027-04-01"))]
    joined = cons.merge(new.rename(columns={"ds": "period"}), on=["sku", "period"])
    expected = (joined["value"] - joined["quantity"]).abs().sum() / joined["quantity"].sum()
    assert row["points"] == len(joined) and row["wape_consensus"] == pytest.approx(expected, rel=1e-6)
    # the statistical forecast was off by exactly 10 % of the actual's 1/1.1 everywhere
    assert row["wape_statistical"] == pytest.approx(0.1 / 1.1, abs=0.01)
    assert ("2027-04", "All") not in fva.index  # its periods have no actuals yet

    # the next review copies show the last closed consensus as context
    from .helpers import send
    import openpyxl
    copies = send(master, tmp_path / "next")
    ws = openpyxl.load_workbook(copies["sales"])["LastConsensus"]
    header = [c.value for c in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "BP-100")
    assert row[header.index("2027-01")] == 2000


def test_close_cycle_keeps_the_supply_plan_when_there_is_one(master):
    from sop_xl.contract import WORKBOOK
    supply_sheet = WORKBOOK.sheet("SupplyPlan")
    plan = pd.DataFrame({c: [None, None] for c in supply_sheet.column_names()})
    plan["item"], plan["family"], plan["period"] = ["BP-100", "BP-110"], ["Backpacks"] * 2, [J7, F7]
    plan["production"], plan["subcontract"] = [100.0, 40.0], [5.0, None]
    book = FileWorkbook(master)
    book.write_table(supply_sheet, plan)
    book.save()
    result = run(master, "close-cycle")
    assert "supply plan included" in result.summary[0]
    supply = sheet(master, VERSIONS)
    supply = supply[supply["plan"] == "supply"].set_index("sku")
    assert supply.loc["BP-100", "value"] == 105 and supply.loc["BP-110", "value"] == 40
    assert supply.loc["BP-110", "period"] == F7 and supply.loc["BP-100", "family"] == "Backpacks"
