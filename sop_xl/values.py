"""Turn what Excel users type into typed values, or say precisely why not.

Each function takes one raw cell value (as an adapter hands it over) and returns
`Coerced(value, problem, note)`: `problem` is a short reason the value was rejected,
`note` a remark about a value that was accepted after reinterpretation (e.g. 95 read as 95%).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .contract.schema import Kind, YES_NO
from . import periods

EXCEL_ERRORS = ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!")
EXCEL_MAX_TEXT = 32_767        # characters an Excel cell holds; longer text is refused, never cut
# a sane calendar window for planning periods: a year typed in the wrong century is refused at its cell
PERIOD_YEARS_BACK = 30
PERIOD_YEARS_AHEAD = 10

_TRUE = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí", "on", "wahr"}
_FALSE = {"no", "n", "false", "0", "nein", "non", "off", "falsch", ""}


@dataclass(frozen=True)
class Coerced:
    value: Any = None
    problem: str = ""
    note: str = ""
    # the cell holds an Excel error value or a formula without a calculated value
    formula_problem: bool = False


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without a calculated value (e.g. written by openpyxl, or =WEBSERVICE()
    in a file saved with calculation off). Adapters put this in the grid instead of a blank, so the
    cell is reported instead of being read as empty."""

    formula: str = ""

    def __str__(self) -> str:
        return "=" + self.formula if self.formula else "a formula"

    def __repr__(self) -> str:
        return str(self)


def formula_problem(value: Any) -> str:
    """Why a cell holding an Excel error or an uncalculated formula cannot be read ("" otherwise)."""
    if isinstance(value, Uncalculated):
        return (f"the formula {value} has no calculated value (the file was saved without calculating it, "
                "so the number Excel would show is unknown)")
    err = excel_error(value)
    if err:
        return f"the cell shows the Excel error {err}"
    return ""


def period_window(ts: pd.Timestamp, today: dt.date | None = None) -> str:
    """Why a period is outside the sane planning window ("" when inside)."""
    today = today or dt.date.today()
    if ts.year < today.year - PERIOD_YEARS_BACK:
        return (f"{ts.year:04d}-{ts.month:02d} is more than {PERIOD_YEARS_BACK} years before today "
                "(a year typed in the wrong century?)")
    if ts.year > today.year + PERIOD_YEARS_AHEAD:
        return (f"{ts.year:04d}-{ts.month:02d} is more than {PERIOD_YEARS_AHEAD} years after today "
                "(a year typed in the wrong century?)")
    return ""


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def excel_error(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return ""


def parse_number(value: Any) -> float | None:
    """Numbers as planners type them: '1,234.5', '1.234,5', '1 234', '(12)', '€ 9.99', '12%'."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            return math.inf if value > 0 else -math.inf
        return None if math.isnan(number) else number
    text = str(value).strip()
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    percent = text.endswith("%")
    text = re.sub(r"[%\s\u00a0\u202f'’$€£¥]|eur|usd|gbp|chf", "", text.lower())
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    if not text or not re.fullmatch(r"[0-9.,]+(e[+-]?\d+)?", text):
        return None
    if "," in text and "." in text:
        # the last separator is the decimal one
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        # "1,234" and "12,345,678" are thousands; "12,5" is a decimal comma
        if len(tail) == 3 and re.fullmatch(r"\d{1,3}(,\d{3})*", text):
            text = text.replace(",", "")
        else:
            text = head.replace(",", "") + "." + tail
    elif text.count(".") > 1:
        text = text.replace(".", "")  # 1.234.567
    try:
        number = float(text)
    except ValueError:
        return None
    if percent:
        number /= 100.0
    return -number if negative else number


def coerce(value: Any, kind: Kind, *, allowed: tuple[str, ...] = (), period_type: str = "month",
           maximum: float | None = None, minimum: float | None = None) -> Coerced:
    """Coerce one non-blank cell to `kind`. A percentage above `maximum` that fits once read as
    percent points (95 for a service level of at most 99.99%) is read that way, with a note."""
    bad = formula_problem(value)
    if bad:
        return Coerced(problem=bad, formula_problem=True)
    if kind is Kind.TEXT:
        return _text(value, allowed)
    if kind in (Kind.NUMBER, Kind.MONEY, Kind.INTEGER, Kind.PERCENT):
        return _number(value, kind, maximum, minimum)
    if kind is Kind.BOOL:
        text = str(value).strip().lower() if not isinstance(value, bool) else ("yes" if value else "no")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = "1" if value == 1 else "0" if value == 0 else str(value)
        if text in _TRUE:
            return Coerced(True)
        if text in _FALSE:
            return Coerced(False)
        return Coerced(problem=f"{_short(value)} is not yes or no")
    if kind is Kind.PERIOD:
        ts = periods.parse_period(value, period_type)
        if ts is None:
            return Coerced(problem=f"{_short(value)} is not a {period_type} (write it like "
                                   f"{periods.example(period_type)})")
        outside = period_window(ts)
        if outside:
            return Coerced(problem=outside)
        return Coerced(ts)
    if kind is Kind.DATE:
        return _date(value)
    raise ValueError(f"unknown kind {kind}")


def _text(value: Any, allowed: tuple[str, ...]) -> Coerced:
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))  # an SKU typed as 1001 arrives as 1001.0
    elif isinstance(value, (dt.datetime, dt.date)):
        text = value.isoformat()[:10]
    else:
        text = str(value).strip()
    if len(text) > EXCEL_MAX_TEXT:
        return Coerced(problem=f"the text is {len(text):,} characters long; an Excel cell holds at most "
                               f"{EXCEL_MAX_TEXT:,}, so it was not read (it would be cut)")
    if allowed:
        for choice in allowed:
            if _loose(choice) == _loose(text):
                return Coerced(choice)
        if len(allowed) > 8:
            return Coerced(problem=f"{_short(text)} is not one of the {len(allowed)} allowed values")
        return Coerced(problem=f"{_short(text)} is not one of: {', '.join(allowed)}")
    return Coerced(text)


def _short(value: Any, limit: int = 60) -> str:
    """repr of a value for a message, long text shortened (a 50,000-character cell is not quoted whole)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "...'" + f" ({len(str(value)):,} characters)"


def _loose(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).lower())


def _number(value: Any, kind: Kind, maximum: float | None = None, minimum: float | None = None) -> Coerced:
    if isinstance(value, (dt.datetime, dt.date)):
        return Coerced(problem=f"{value} is a date, not a number")
    number = parse_number(value)
    if number is None:
        return Coerced(problem=f"{_short(value)} is not a number")
    if not math.isfinite(number):
        return Coerced(problem=f"{_short(value)} is not a finite number")
    note = ""
    if isinstance(value, str):
        note = f"text {value!r} read as the number {number:g}"
    if kind is Kind.INTEGER:
        if abs(number - round(number)) > 1e-9:
            return Coerced(problem=f"{number:g} is not a whole number")
        return Coerced(int(round(number)), note=note)
    if kind is Kind.PERCENT:
        typed_percent = isinstance(value, str) and "%" in value
        # 95 for a level of at most 99.99 % means 95 %; 1.5 does not mean 1.5 % when that is below the minimum
        if (not typed_percent and maximum is not None and number > maximum and number > 1
                and number / 100.0 <= maximum and (minimum is None or number / 100.0 >= minimum)):
            return Coerced(number / 100.0, note=f"{number:g} read as {number:g}%")
    return Coerced(number, note=note)


def _date(value: Any) -> Coerced:
    if isinstance(value, (dt.datetime, dt.date)):
        return Coerced(pd.Timestamp(value))
    number = parse_number(value) if not isinstance(value, bool) else None
    if number is not None and 18264 <= number <= 73051:
        return Coerced(periods.from_excel_serial(number))
    if isinstance(value, str):
        try:
            ts = pd.Timestamp(value.strip())
        except (ValueError, TypeError):
            ts = None
        if ts is not None and not pd.isna(ts):
            return Coerced(ts)
    return Coerced(problem=f"{_short(value)} is not a date (write it like 2027-03-31)")


def fmt_allowed(choices: tuple[str, ...]) -> str:
    return ", ".join(choices) if choices else ""


__all__ = ["Coerced", "coerce", "is_blank", "excel_error", "parse_number", "EXCEL_ERRORS", "YES_NO", "Uncalculated",
           "formula_problem", "period_window", "EXCEL_MAX_TEXT"]
