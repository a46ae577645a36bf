"""History finer than the workbook's period (issue 12.2): monthly history pasted into a quarterly workbook,
weekly into a monthly one, is summed into the workbook's periods when each period is whole; a partial
leading or trailing period is left out with a warning, a blank month keeps its quarter blank, and a month
typed twice is still an error. Every case is a real workbook written and read back."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from sop_xl import periods
from sop_xl.cli import main
from sop_xl.contract import DEMAND_HISTORY, ITEMS, SETTINGS, WORKBOOK
from sop_xl.io import FileWorkbook
from sop_xl.io.settings import settings_frame
from sop_xl.io.tables import read_history, read_settings
from sop_xl.issues import IssueCode, IssueLog, Severity

QUARTER_TOTALS = [40.0, 60.0, 75.0, 25.0]  # a yearly pattern, quarter by quarter
MONTHS_OF = [[10.0, 15.0, 15.0], [20.0, 20.0, 20.0], [30.0, 25.0, 20.0], [5.0, 10.0, 10.0]]  # sums to the above


def monthly(years=(2024, 2025, 2026)) -> dict[str, float]:
    return {f"{y}-{3 * q + m + 1:02d}": MONTHS_OF[q][m] for y in years for q in range(4) for m in range(3)}


def wide_book(path, period_type: str, rows: list[dict], **settings):
    book = FileWorkbook(path, create=True, backup=False)
    book.write_table(SETTINGS, settings_frame({"period_type": period_type, **settings}))
    book.write_table(DEMAND_HISTORY, pd.DataFrame(rows))
    book.save()
    return path


def read(path):
    book = FileWorkbook(path)
    log = IssueLog()
    history = read_history(book, read_settings(book, log), log)
    return history, list(log)


def quarter_of(history, sku: str) -> dict[str, float]:
    rows = history[history["unique_id"] == sku]
    return {periods.label(ds, periods.QUARTER): y for ds, y in zip(rows["ds"], rows["y"])}


def test_36_monthly_columns_are_summed_into_12_quarters(tmp_path):
    path = wide_book(tmp_path / "q.xlsx", "quarter", [dict(sku="A", **monthly())])
    history, issues = read(path)
    got = quarter_of(history, "A")
    assert list(got) == [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
    assert list(got.values()) == QUARTER_TOTALS * 3
    assert not [i for i in issues if i.severity is not Severity.INFO]
    [info] = [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]
    assert info.message.startswith("36 monthly columns summed into 12 quarters.")
    assert (info.sheet, info.cell) == ("DemandHistory", "B3")  # the first month's header
    assert history["cell"].tolist()[:2] == ["B4", "E4"]  # each quarter points at its first month's cell


def test_partial_leading_and_trailing_quarters_are_left_out_with_a_warning_naming_the_cells(tmp_path):
    months = {k: v for k, v in monthly().items() if k >= "2024-02"}  # Jan 2024 missing: Q1 2024 has 2 months
    months.update({"2027-01": 7.0})  # one month of 2027-Q1
    path = wide_book(tmp_path / "q.xlsx", "quarter", [dict(sku="A", **months)])
    history, issues = read(path)
    got = quarter_of(history, "A")
    assert "2024-Q1" not in got and "2027-Q1" not in got  # left out, not understated as 35 and 7
    assert list(got) == [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)][1:]
    warnings = [i for i in issues if i.severity is Severity.WARNING]
    assert [(w.cell, w.value) for w in warnings] == [("B3", "2024-Q1"), ("AK3", "2027-Q1")]
    assert "Only 2 of the 3 months of 2024-Q1" in warnings[0].message
    assert "(2024-02, 2024-03, at B3, C3)" in warnings[0].message
    assert "left out of the history rather than understated" in warnings[1].message
    [info] = [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]
    assert info.message.startswith("33 monthly columns summed into 11 quarters.")


def test_a_blank_month_keeps_its_quarter_blank_and_says_so(tmp_path):
    months = monthly()
    path = wide_book(tmp_path / "q.xlsx", "quarter",
                     [dict(sku="A", **months), dict(sku="B", **{**months, "2025-05": None})])
    history, issues = read(path)
    a, b = quarter_of(history, "A"), quarter_of(history, "B")
    assert a["2025-Q2"] == 60.0
    assert pd.isna(b["2025-Q2"])  # blank history is never zero: 40 would understate the quarter
    assert b["2025-Q3"] == 75.0
    [info] = [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]
    assert "1 quarter(s) with a blank month stay blank" in info.message


def test_the_same_month_twice_is_still_an_error(tmp_path):
    path = wide_book(tmp_path / "q.xlsx", "quarter", [dict(sku="A", **monthly())])
    wb = openpyxl.load_workbook(path)
    wb["DemandHistory"]["C3"] = "2024-01"  # the February column retyped as January
    wb.save(path)
    _, issues = read(path)
    errors = [i for i in issues if i.severity is Severity.ERROR]
    assert [(e.cell, e.message) for e in errors] == [("C3", "Period 2024-01 has two columns (B3 and C3).")]


def test_quarter_columns_in_a_quarterly_workbook_are_read_as_before(tmp_path):
    labels = {f"{y}-Q{q}": v for y in (2024, 2025) for q, v in zip((1, 2, 3, 4), QUARTER_TOTALS)}
    history, issues = read(wide_book(tmp_path / "q.xlsx", "quarter", [dict(sku="A", **labels)]))
    assert list(quarter_of(history, "A").values()) == QUARTER_TOTALS * 2
    assert not [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]


def long_book(path, period_type: str, rows: list[tuple]):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Settings"
    ws.append(["Setting", "Value"])
    ws.append(["Period type", period_type])
    history = wb.create_sheet("DemandHistory")
    history.append(["SKU", "Period", "Quantity"])
    for row in rows:
        history.append(list(row))
    wb.save(path)
    return path


def test_long_monthly_rows_are_summed_into_quarters(tmp_path):
    rows = [(sku, label, None if (sku == "B" and label == "2025-11") else v)
            for label, v in monthly((2024, 2025)).items() for sku in ("A", "B")]
    history, issues = read(long_book(tmp_path / "l.xlsx", "quarter", rows))
    a, b = quarter_of(history, "A"), quarter_of(history, "B")
    assert list(a.values()) == QUARTER_TOTALS * 2
    assert list(b.values())[:7] == QUARTER_TOTALS + QUARTER_TOTALS[:3] and pd.isna(b["2025-Q4"])
    assert history["cell"].tolist()[:2] == ["C2", "C8"]  # A's January and April rows
    [info] = [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]
    assert info.message.startswith("48 monthly rows summed into 8 quarters (16 values).")
    assert not [i for i in issues if i.severity is not Severity.INFO]


def test_long_rows_partial_quarter_and_duplicate_month(tmp_path):
    rows = [("A", label, v) for label, v in monthly((2024,)).items()]
    rows += [("A", "2025-01", 3.0), ("A", "2025-02", 3.0), ("A", "2024-05", 1.0)]  # a partial Q1, May twice
    history, issues = read(long_book(tmp_path / "l.xlsx", "quarter", rows))
    assert "2025-Q1" not in quarter_of(history, "A")
    [error] = [i for i in issues if i.severity is Severity.ERROR]
    assert error.message == "A, 2024-05 appears twice (rows 6 and 16)."
    [warning] = [i for i in issues if i.severity is Severity.WARNING]
    assert warning.message.startswith("Only 2 of the 3 months of 2025-Q1 are in DemandHistory (2025-01, 2025-02, "
                                      "at C14, C15)")


def test_weekly_columns_are_summed_into_months_by_their_monday(tmp_path):
    # ISO 2024-W01 starts on Monday 1 January: January has 5 Mondays (W01-W05), February 4 (W06-W09),
    # March 4 (W10-W13); W14 (Monday 1 April) alone is a partial April (5 Mondays)
    weeks = {f"2024-W{w:02d}": float(w) for w in range(1, 15)}
    history, issues = read(wide_book(tmp_path / "w.xlsx", "month", [dict(sku="A", **weeks)]))
    rows = history[history["unique_id"] == "A"]
    assert periods.labels(rows["ds"], periods.MONTH) == ["2024-01", "2024-02", "2024-03"]
    assert rows["y"].tolist() == [1 + 2 + 3 + 4 + 5, 6 + 7 + 8 + 9, 10 + 11 + 12 + 13]
    [warning] = [i for i in issues if i.severity is Severity.WARNING]
    assert warning.message.startswith("Only 1 of the 5 weeks of 2024-04")
    [info] = [i for i in issues if i.code == IssueCode.SUMMED_PERIODS]
    assert info.message.startswith("13 weekly columns summed into 3 months. A week counts in the month of its Monday.")


def test_daily_dates_are_summed_into_weeks(tmp_path):
    days = pd.date_range("2024-01-01", "2024-01-16")  # two whole ISO weeks, then Tuesday 16 January alone
    history, issues = read(wide_book(tmp_path / "d.xlsx", "week", [dict(sku="A", **{d.strftime("%Y-%m-%d"): 1.0
                                                                                      for d in days})]))
    assert history["y"].tolist() == [7.0, 7.0]
    assert periods.labels(history["ds"], periods.WEEK) == ["2024-W01", "2024-W02"]
    [warning] = [i for i in issues if i.severity is Severity.WARNING]
    assert warning.message.startswith("Only 2 of the 7 days of 2024-W03")


def test_a_bad_period_hint_shows_the_workbooks_period_type(tmp_path):
    rows = [("A", "2024-Q1", 1.0), ("A", "next spring", 2.0)]
    _, issues = read(long_book(tmp_path / "l.xlsx", "quarter", rows))
    [error] = [i for i in issues if i.code == IssueCode.NOT_A_PERIOD]
    assert "a period such as 2027-Q1" in error.hint
    _, issues = read(long_book(tmp_path / "w.xlsx", "week", [("A", "2024-W01", 1.0), ("A", "soon", 2.0)]))
    [error] = [i for i in issues if i.code == IssueCode.NOT_A_PERIOD]
    assert "a period such as 2027-W05" in error.hint


@pytest.mark.parametrize("period_type, text", [("quarter", "2027-Q2"), ("week", "2027-W14"), ("month", "2027-04")])
def test_settings_frame_writes_a_period_setting_in_the_workbooks_period_type(tmp_path, period_type, text):
    start = pd.Timestamp("2027-04-05") if period_type == "week" else pd.Timestamp("2027-04-01")
    frame = settings_frame({"period_type": period_type, "first_forecast_period": start})
    assert frame.loc[frame["setting"] == "First forecast period", "value"].item() == text
    path = tmp_path / "s.xlsx"
    book = FileWorkbook(path, create=True, backup=False)
    book.write_table(SETTINGS, frame)
    book.save()
    log = IssueLog()
    assert read_settings(FileWorkbook(path), log).first_forecast_period == start
    assert not log.has_errors


def test_sop_xl_forecast_on_a_quarterly_workbook_with_monthly_history(tmp_path, capsys):
    # three years of months and January 2027: the partial 2027-Q1 is left out, so the forecast starts there
    path = wide_book(tmp_path / "cli.xlsx", "quarter", [dict(sku="Boat", **monthly(), **{"2027-01": 10.0})],
                     horizon=4, backtest_windows=2)
    book = FileWorkbook(path)
    items = pd.DataFrame([dict(sku="Boat", family="Boats", price=1000.0, unit_cost=400.0)])
    book.write_table(ITEMS, items.reindex(columns=ITEMS.column_names()))
    book.save()
    assert main(["forecast", str(path), "-q"]) == 0
    forecast = pd.read_excel(path, sheet_name="Forecast", header=WORKBOOK.sheet("Forecast").header_row - 1)
    quarters = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert [c for c in forecast.columns if str(c).startswith("2027")] == quarters
    assert forecast[quarters].iloc[0].tolist() == pytest.approx(QUARTER_TOTALS, rel=0.05)  # the summed pattern
    issues = pd.read_excel(path, sheet_name="Issues", header=WORKBOOK.sheet("Issues").header_row - 1)
    text = issues.astype(str).agg(" ".join, axis=1)
    assert text.str.contains("36 monthly columns summed into 12 quarters").sum() == 1
    assert text.str.contains("Only 1 of the 3 months of 2027-Q1 are in DemandHistory").sum() == 1


def test_period_header_hints_show_the_workbooks_period_type(tmp_path):
    path = wide_book(tmp_path / "q.xlsx", "quarter", [dict(sku="A", **{"2025-Q1": 1.0, "1925-Q2": 2.0})])
    _, issues = read(path)
    [error] = [i for i in issues if i.code == IssueCode.OUT_OF_RANGE]
    assert error.hint == "Correct the year in this header cell (e.g. 2026-Q1, not 1926-Q1)."
    wb = openpyxl.load_workbook(path)
    for ref in ("B3", "C3"):
        wb["DemandHistory"][ref] = "no period"
    wb.save(path)
    _, issues = read(path)
    [error] = [i for i in issues if i.code == IssueCode.MISSING_TABLE]
    assert "one column per period (e.g. 2025-Q1, 2025-Q2, ...)" in error.hint


def test_a_first_forecast_period_out_of_range_hint_shows_a_quarter(tmp_path):
    path = long_book(tmp_path / "s.xlsx", "quarter", [("A", "2025-Q1", 1.0)])
    wb = openpyxl.load_workbook(path)
    wb["Settings"].append(["First forecast period", "1925-Q1"])
    wb.save(path)
    log = IssueLog()
    read_settings(FileWorkbook(path), log)
    [error] = [i for i in log if i.code == IssueCode.OUT_OF_RANGE]
    assert error.hint.startswith("Correct the year (e.g. 2027-Q1)")


def test_the_number_of_finer_periods_in_a_period_is_counted_as_a_calendar_would():
    for start in pd.date_range("2023-01-01", "2026-12-01", freq="MS"):
        end = start + pd.offsets.MonthBegin(1)
        mondays = len(pd.date_range(start, end - pd.Timedelta(days=1), freq="W-MON"))
        assert periods.grains_in(start, periods.WEEK, periods.MONTH) == mondays
        assert periods.grains_in(start, periods.DAY, periods.MONTH) == start.days_in_month
    assert periods.grains_in(pd.Timestamp("2024-05-01"), periods.MONTH, periods.QUARTER) == 3
    assert periods.grains_in(pd.Timestamp("2024-01-01"), periods.DAY, periods.QUARTER) == 91  # a leap year


@pytest.mark.parametrize("headers, grain", [
    (["2024-01", "2024-02"], "month"), ([pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")], "month"),
    (["2024-W01", "2024-W02"], "week"), ([pd.Timestamp("2024-01-07"), pd.Timestamp("2024-01-14")], "week"),
    (["2024-01-01", "2024-01-02"], "day"), (["2024-Q1", "2024-Q2"], "quarter")])
def test_the_grain_of_history_is_read_from_its_headers(headers, grain):
    assert periods.grain_of([periods.fine_stamp(h) for h in headers]) == grain
