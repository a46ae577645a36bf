"""`run_forecast` against the in-memory and the file workbook, with the demo company."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.commands.demo import write_demo_inputs
from sop_xl.commands.forecast import run_forecast
from sop_xl.contract import SETTINGS
from sop_xl.demo import make_demo
from sop_xl.io.memory import MemoryWorkbook
from sop_xl.io.settings import settings_frame
from sop_xl.issues import InputError


def demo_book(**settings) -> MemoryWorkbook:
    company = make_demo(7)
    book = MemoryWorkbook()
    write_demo_inputs(book, company)
    if settings:
        book.write_table(SETTINGS, settings_frame({**company.settings, **settings}))
    return book


def table(book: MemoryWorkbook, name: str) -> pd.DataFrame:
    block = book.tables[name]
    return pd.DataFrame(block.rows, columns=block.header)


@pytest.fixture(scope="module")
def default_run():
    book = demo_book()
    return book, run_forecast(book)


def test_writes_every_forecast_sheet_and_a_chart_per_family(default_run):
    book, result = default_run
    assert result.status in ("ok", "warnings")
    assert set(result.sheets) == {"Forecast", "ForecastIntervals", "ForecastChart", "Accuracy", "CleansingLog"}
    fc = table(book, "Forecast")
    assert list(fc.columns[:5]) == ["SKU", "Family", "Method", "Flags", "Reason"]
    assert fc["Reason"].str.len().gt(0).all()
    periods = list(fc.columns[5:])
    assert periods[0] == "2027-01" and len(periods) == 18  # the demo's first_forecast_period and horizon
    items = make_demo(7).items
    assert set(fc["SKU"]) == set(items["sku"][items["sku"].isin(make_demo(7).history_wide()["sku"])])
    families = set(items["family"])
    charts = book.charts["ForecastChart"]
    assert {c.title.split(":")[0] for c in charts} == families | {"Total"}
    data = table(book, "ForecastChart")
    for c in charts:  # each chart's rows hold exactly its family
        assert set(data["Family"].iloc[c.rows[0]:c.rows[1]]) == {c.title.split(":")[0]}


def test_discontinued_items_are_flagged_without_forecast(default_run):
    book, result = default_run
    items = make_demo(7).items
    gone = set(items.loc[items["status"] == "discontinued", "sku"])
    assert gone, "the demo company has a discontinued SKU"
    fc = table(book, "Forecast").set_index("SKU")
    for sku in gone & set(fc.index):
        assert "discontinued" in fc.loc[sku, "Flags"]
        assert fc.loc[sku].iloc[4:].isna().all()
    assert any(i.row_key in gone and "discontinued" in i.message for i in result.issues)


def test_bottom_up_families_add_up_and_accuracy_has_a_total(default_run):
    book, result = default_run
    sku = result.data["forecasts"]
    fams = result.data["families"]
    total = fams[fams["unique_id"] == "Total"].set_index("ds")["yhat"]
    np.testing.assert_allclose(sku.groupby("ds")["yhat"].sum().to_numpy(), total.to_numpy(), rtol=1e-9)
    acc = table(book, "Accuracy")
    assert acc.iloc[0]["Level"] == "Total" and 0 < acc.iloc[0]["WAPE"] < 1
    assert {"SKU", "Family", "Method", "Coverage"} <= set(acc["Level"])
    cov = acc[acc["Level"] == "Coverage"]
    assert set(cov["Interval level"]) == {80, 95} and cov["Coverage"].between(0.5, 1.0).all()


def test_cleansing_log_points_at_the_history_cell(default_run):
    book, _ = default_run
    log = table(book, "CleansingLog")
    assert len(log) and log["DemandHistory cell"].str.match(r"^[A-Z]+\d+$").all()
    hist = book.grids["DemandHistory"]
    row = log[log["Action"] == "replaced"].iloc[0]
    col = ord(row["DemandHistory cell"][0]) - ord("A")
    r = int(row["DemandHistory cell"][1:]) - 1
    assert hist[r][col] == row["Original"]


def test_settings_method_horizon_levels_reconciliation_are_honoured():
    book = demo_book(forecast_method="ses", horizon=6, interval_levels=(90,), reconciliation="top_down",
                     first_forecast_period=pd.Timestamp("2027-03-01"))
    result = run_forecast(book)
    fc = table(book, "Forecast")
    assert list(fc.columns[5:]) == ["2027-03", "2027-04", "2027-05", "2027-06", "2027-07", "2027-08"]
    assert set(fc["Method"].dropna()) <= {"ses", "zero", ""}
    iv = table(book, "ForecastIntervals")
    assert set(iv["Level"]) == {90}
    # the two periods between history and the first forecast period are forecast, not zero-filled
    assert any(i.code == "forecast_lead_periods" for i in result.issues)
    default = run_forecast(demo_book()).data["series"].set_index("unique_id")["flags"]
    now = result.data["series"].set_index("unique_id")["flags"]
    assert not [u for u in now.index if "gaps_filled" in now[u] and "gaps_filled" not in default[u]]
    # top-down: the SKU forecasts add up to the total's own forecast
    fams = result.data["families"]
    total = fams[fams["unique_id"] == "Total"]["yhat"].sum()
    assert result.data["forecasts"]["yhat"].sum() == pytest.approx(total, rel=1e-9)
    assert result.data["forecasts"]["ds"].min() == pd.Timestamp("2027-03-01")


def test_unknown_method_in_settings_names_the_cell():
    book = demo_book(forecast_method="crystal ball")
    with pytest.raises(InputError) as err:
        run_forecast(book)
    issue = next(i for i in err.value.issues if i.code == "forecast_unknown_method")
    assert issue.sheet == "Settings" and issue.cell and "auto" in issue.hint


def test_file_workbook_round_trip(demo_copy):
    from sop_xl.commands.base import execute
    from sop_xl.io.file import FileWorkbook

    book = FileWorkbook(demo_copy)
    results = execute(book, ["forecast"])
    assert results[0].status in ("ok", "warnings")
    again = FileWorkbook(demo_copy)
    assert {"Forecast", "ForecastIntervals", "ForecastChart", "Accuracy", "CleansingLog"} <= set(again.sheet_names())
    grid = again.read_grid("Forecast")
    header = next(r for r in grid if r and r[0] == "SKU")
    assert header[5] == "2027-01"


def test_plan_safety_stock_sigma_comes_from_backtest_errors_over_the_lead_time(default_run):
    from statistics import NormalDist

    from sop_xl.commands.plan import forecast_error_std
    from sop_xl.contract import ITEMS
    from sop_xl.io.tables import read_table
    from sop_xl.issues import IssueLog

    from sop_xl.contract.forecast import FORECAST_INTERVALS

    book, result = default_run
    iv = table(book, "ForecastIntervals").rename(columns={c.header: c.name for c in FORECAST_INTERVALS.columns})
    assert iv["lead_error_std"].notna().all() and (iv["error_std"] > 0).all()
    sigma = forecast_error_std(book, "month", IssueLog())
    items = read_table(book, ITEMS, IssueLog()).assign(sku=lambda d: d["sku"].astype(str)).set_index("sku")
    series = result.data["series"].assign(unique_id=lambda d: d["unique_id"].astype(str)).set_index("unique_id")
    sparse = [s for s in sigma.index if series.loc[s, "demand_class"] in ("intermittent", "lumpy")]
    assert sparse, "the demo has intermittent SKUs"
    for sku in sigma.index:
        rows = iv[(iv["sku"] == sku)].sort_values("period").drop_duplicates("period")
        lead = int(items.loc[sku, "lead_time"] or 0)
        # z x sigma x sqrt(1 + L) in the plan equals z x the error summed over 1 + L periods
        assert sigma[sku] * np.sqrt(1 + lead) == pytest.approx(rows["lead_error_std"].iloc[lead], rel=1e-6)
    # the clipped interval width understated sigma on intermittent SKUs (SP-902: -37 %)
    first = iv[iv["level"] == 80].sort_values("period").groupby("sku").head(1).set_index("sku")
    width = (first["upper"] - first["lower"]) / (2 * NormalDist().inv_cdf(0.9))
    one_step = first["error_std"]
    assert (one_step[sparse] > width[sparse]).mean() >= 0.5
