"""Planning periods: months ("2027-03"), ISO weeks ("2027-W05") or quarters ("2027-Q1").

Inside the core a period is the pandas Timestamp of its first day (the month's first day,
the ISO week's Monday, the quarter's first day): that is the `ds` of the long frames. In Excel a period is a text
label, because Excel Table headers are always text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

MONTH = "month"
WEEK = "week"
QUARTER = "quarter"
PERIOD_TYPES = (MONTH, WEEK, QUARTER)
# per-period rates are stated in the workbook's own period; yearly figures are converted with these
PERIODS_PER_YEAR = {MONTH: 12, WEEK: 52, QUARTER: 4}
# the seasonal cycle of each period type (a year)
SEASON_LENGTH = {MONTH: 12, WEEK: 52, QUARTER: 4}
# calendar days in one period, for days of supply
DAYS_PER_PERIOD = {MONTH: 365.0 / 12.0, WEEK: 7.0, QUARTER: 365.0 / 4.0}
# how a period is typed, for messages that ask for one
EXAMPLE = {MONTH: "2027-03", WEEK: "2027-W05", QUARTER: "2027-Q1"}
_MONTHS_PER = {MONTH: 1, QUARTER: 3}

# Excel's day zero for serial dates (1900 system, including Lotus' leap-year bug)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_MONTHS.update({"sept": 9, "june": 6, "july": 7, "mrz": 3, "mai": 5, "okt": 10, "dez": 12})


def freq_of(period_type: str) -> str:
    return {MONTH: "MS", QUARTER: "QS"}.get(period_type, "W-MON")


def periods_per_year(period_type: str) -> int:
    return PERIODS_PER_YEAR.get(period_type, 12)


def days_per_period(period_type: str) -> float:
    return DAYS_PER_PERIOD.get(period_type, DAYS_PER_PERIOD[MONTH])


def example(period_type: str, year: int = 2027) -> str:
    """A period label of this type (in `year`), as a message shows how to type one."""
    return EXAMPLE.get(period_type, EXAMPLE[MONTH]).replace("2027", f"{year:04d}")


# what finer history is summed from: its grain (a day is no planning period, only a grain of history)
DAY = "day"
GRAIN_NAMES = {DAY: ("daily", "days"), WEEK: ("weekly", "weeks"), MONTH: ("monthly", "months"),
               QUARTER: ("quarterly", "quarters")}


def fine_stamp(value: Any) -> pd.Timestamp | None:
    """The period a header or cell names at its own precision: a date's day, a week's Monday, a month's
    first day, a quarter's first day (None when it is not a period)."""
    ts = parse_period(value, DAY)
    return ts if ts is not None else parse_period(value, QUARTER)


def grain_of(stamps: list[pd.Timestamp]) -> str:
    """The grain of history whose distinct periods start on `stamps`, read from their spacing: days
    apart is daily, whole weeks weekly, about a month monthly, else quarterly (week-ending or month-end
    dates are weeks and months too)."""
    days = sorted({pd.Timestamp(s).normalize() for s in stamps})
    gaps = {(b - a).days for a, b in zip(days, days[1:])}
    if not gaps:
        return MONTH
    if all(g % 7 == 0 for g in gaps) and min(gaps) < 28:
        return WEEK
    if min(gaps) < 28:
        return DAY
    return MONTH if min(gaps) < 80 else QUARTER


def finer(grain: str, period_type: str) -> bool:
    """Is history of this grain finer than the workbook's period (so several of it make one period)?"""
    order = {DAY: 0, WEEK: 1, MONTH: 2, QUARTER: 3}
    return order[grain] < order.get(period_type, 2)


def grains_in(period: pd.Timestamp, grain: str, period_type: str) -> int:
    """How many periods of `grain` make up this workbook period (a week counts in the period of its Monday)."""
    start = period_start(period, period_type)
    end = shift(start, 1, period_type)
    if grain == MONTH:
        return periods_between(start, end, MONTH)
    if grain == DAY:
        return (end - start).days
    first_monday = start + pd.Timedelta(days=(7 - start.weekday()) % 7)
    return len(pd.date_range(first_monday, end - pd.Timedelta(days=1), freq="7D"))


def type_of_label(text: Any) -> str:
    """The period type a label sop_xl wrote is in ("2027-Q2" quarter, "2027-W05" week, else month)."""
    t = str(text).upper()
    return QUARTER if "-Q" in t else WEEK if "-W" in t else MONTH


def season_length(period_type: str) -> int:
    """A year of periods: 12 months, 52 weeks, 4 quarters."""
    return SEASON_LENGTH.get(period_type, 12)


def period_start(ts: pd.Timestamp, period_type: str) -> pd.Timestamp:
    """The first day of the period holding `ts`."""
    ts = pd.Timestamp(ts).normalize()
    if period_type == MONTH:
        return ts.replace(day=1)
    if period_type == QUARTER:
        return ts.replace(month=3 * ((ts.month - 1) // 3) + 1, day=1)
    if period_type == DAY:
        return ts
    return ts - pd.Timedelta(days=ts.weekday())


def label(ts: pd.Timestamp, period_type: str) -> str:
    ts = pd.Timestamp(ts)
    if period_type == MONTH:
        return f"{ts.year:04d}-{ts.month:02d}"
    if period_type == QUARTER:
        return f"{ts.year:04d}-Q{(ts.month - 1) // 3 + 1}"
    if period_type == DAY:
        return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"
    iso = ts.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def labels(values, period_type: str) -> list[str]:
    return [label(v, period_type) for v in values]


def shift(ts: pd.Timestamp, n: int, period_type: str) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    if period_type in _MONTHS_PER:
        return ts + pd.DateOffset(months=n * _MONTHS_PER[period_type])
    return ts + pd.Timedelta(weeks=n)


def periods_between(a: pd.Timestamp, b: pd.Timestamp, period_type: str) -> int:
    """Whole periods from a to b (b later gives a positive number)."""
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    if period_type in _MONTHS_PER:
        return ((b.year - a.year) * 12 + (b.month - a.month)) // _MONTHS_PER[period_type]
    return int(round((b - a).days / 7))


def period_range(start: pd.Timestamp, n: int, period_type: str) -> pd.DatetimeIndex:
    return pd.date_range(period_start(start, period_type), periods=n, freq=freq_of(period_type))


def from_excel_serial(serial: float) -> pd.Timestamp:
    return pd.Timestamp(_EXCEL_EPOCH + dt.timedelta(days=float(serial)))


def parse_period(value: Any, period_type: str = MONTH) -> pd.Timestamp | None:
    """Read what planners put in a period cell or header; None when it is not a period.

    Accepts dates, datetimes, Excel serial numbers (as numbers or digits), "2027-Q1", "Q1 2027", "2027-03",
    "2027/03", "03/2027", "2027-03-01", "Mar-27", "Mar 2027", "March 2027", "2027M03",
    "2027-W05", "W05-2027". A date anywhere inside a period means that period. It stays one function
    on purpose: the cascade of spellings reads top to bottom in the order they are tried.
    """
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        return period_start(pd.Timestamp(value), period_type)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if np.isnan(v):
            return None
        # serials between 1950 and 2100 only: a bare 12 is not a date
        if 18264 <= v <= 73051:
            return period_start(from_excel_serial(v), period_type)
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return parse_period(float(text), period_type)
    t = text.lower().replace("_", "-")
    m = re.fullmatch(r"(\d{4})\s*-?\s*q([1-4])", t) or re.fullmatch(r"q([1-4])\s*[-/ ]?\s*(\d{4})", t)
    if m:  # 2027-Q1, 2027Q1, Q1 2027, Q1-2027: a quarter only when the workbook plans in quarters (in a
        # monthly or weekly workbook a quarter is not one period, so it is not a period header)
        if period_type != QUARTER:
            return None
        a, b = m.groups()
        year, quarter = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
        return _month(year, 3 * (quarter - 1) + 1, period_type)
    m = re.fullmatch(r"(\d{4})\s*-?\s*w(\d{1,2})", t) or re.fullmatch(r"w(\d{1,2})\s*[-/ ]\s*(\d{4})", t)
    if m:
        a, b = m.groups()
        year, week = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
        if not 1 <= week <= 53:
            return None
        try:
            day = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            return None
        return period_start(pd.Timestamp(day), period_type)
    m = re.fullmatch(r"(\d{4})\s*[-/.m]\s*(\d{1,2})", t)  # 2027-03, 2027/3, 2027M03
    if m:
        return _month(int(m.group(1)), int(m.group(2)), period_type)
    m = re.fullmatch(r"(\d{1,2})\s*[-/.]\s*(\d{4})", t)  # 03/2027
    if m:
        return _month(int(m.group(2)), int(m.group(1)), period_type)
    m = re.fullmatch(r"([a-z]{3,9})\.?[\s\-/']*(\d{2}|\d{4})", t)  # Mar-27, March 2027
    if m and (m.group(1)[:4] in _MONTHS or m.group(1)[:3] in _MONTHS):
        month = _MONTHS.get(m.group(1)[:4]) or _MONTHS[m.group(1)[:3]]
        year = int(m.group(2))
        year = year + 2000 if year < 100 else year
        return _month(year, month, period_type)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", t)
    if m:
        try:
            return period_start(pd.Timestamp(int(m.group(1)), int(m.group(2)), int(m.group(3))), period_type)
        except ValueError:
            return None
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", t)  # 31.03.2027 or 03/31/2027
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day, month = (a, b) if a > 12 or "." in t else (b, a)
        try:
            return period_start(pd.Timestamp(y, month, day), period_type)
        except ValueError:
            return None
    return None


def _month(year: int, month: int, period_type: str) -> pd.Timestamp | None:
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        return None
    return period_start(pd.Timestamp(year, month, 1), period_type)
