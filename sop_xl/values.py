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
                "#GETTING_DATA")

_TRUE = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí", "on", "wahr"}
_FALSE = {"no", "n", "false", "0", "nein", "non", "off", "falsch", ""}


@dataclass(frozen=True)
class Coerced:
    value: Any = None
    problem: str = ""
    note: str = ""


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
        return None if math.isnan(float(value)) else float(value)
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
           maximum: float | None = None) -> Coerced:
    """Coerce one non-blank cell to `kind`. A percentage above `maximum` that fits once read as
    percent points (95 for a service level of at most 99.99%) is read that way, with a note."""
    err = excel_error(value)
    if err:
        return Coerced(problem=f"the cell shows the Excel error {err}")
    if kind is Kind.TEXT:
        return _text(value, allowed)
    if kind in (Kind.NUMBER, Kind.MONEY, Kind.INTEGER, Kind.PERCENT):
        return _number(value, kind, maximum)
    if kind is Kind.BOOL:
        text = str(value).strip().lower() if not isinstance(value, bool) else ("yes" if value else "no")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = "1" if value == 1 else "0" if value == 0 else str(value)
        if text in _TRUE:
            return Coerced(True)
        if text in _FALSE:
            return Coerced(False)
        return Coerced(problem=f"{value!r} is not yes or no")
    if kind is Kind.PERIOD:
        ts = periods.parse_period(value, period_type)
        if ts is None:
            example = "2027-03" if period_type == "month" else "2027-W05"
            return Coerced(problem=f"{value!r} is not a {period_type} (write it like {example})")
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
    if allowed:
        for choice in allowed:
            if _loose(choice) == _loose(text):
                return Coerced(choice)
        return Coerced(problem=f"{text!r} is not one of: {', '.join(allowed)}")
    return Coerced(text)


def _loose(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text).lower())


def _number(value: Any, kind: Kind, maximum: float | None = None) -> Coerced:
    if isinstance(value, (dt.datetime, dt.date)):
        return Coerced(problem=f"{value} is a date, not a number")
    number = parse_number(value)
    if number is None:
        return Coerced(problem=f"{value!r} is not a number")
    if not math.isfinite(number):
        return Coerced(problem=f"{value!r} is not a finite number")
    note = ""
    if isinstance(value, str):
        note = f"text {value!r} read as the number {number:g}"
    if kind is Kind.INTEGER:
        if abs(number - round(number)) > 1e-9:
            return Coerced(problem=f"{number:g} is not a whole number")
        return Coerced(int(round(number)), note=note)
    if kind is Kind.PERCENT:
        typed_percent = isinstance(value, str) and "%" in value
        if not typed_percent and maximum is not None and number > maximum and number / 100.0 <= maximum:
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
    return Coerced(problem=f"{value!r} is not a date (write it like 2027-03-31)")


def fmt_allowed(choices: tuple[str, ...]) -> str:
    return ", ".join(choices) if choices else ""


__all__ = ["Coerced", "coerce", "is_blank", "excel_error", "parse_number", "EXCEL_ERRORS", "YES_NO"]
