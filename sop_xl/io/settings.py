"""The Settings sheet as a typed, read-only object (`settings.horizon`)."""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from .. import periods
from ..contract import SETTINGS
from ..contract.schema import Kind, Setting
from ..issues import IssueCode, IssueLog
from ..values import coerce, is_blank


class Settings:
    """Values of every declared setting, defaults filled in; `cells` says where each came from."""

    def __init__(self, values: dict[str, Any], cells: dict[str, str] | None = None):
        self._values = dict(values)
        self.cells = dict(cells or {})

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["_values"][key]
        except KeyError:
            raise AttributeError(f"no setting {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def replace(self, **changes: Any) -> "Settings":
        unknown = set(changes) - set(self._values)
        if unknown:
            raise KeyError(f"unknown settings: {sorted(unknown)}")
        return Settings({**self._values, **changes}, self.cells)

    def cell(self, key: str) -> str:
        return self.cells.get(key, "")

    # derived values used by several stages
    @property
    def interval_levels(self) -> tuple[int, ...]:
        return self._values["interval_levels"]

    @property
    def departments(self) -> tuple[str, ...]:
        return self._values["departments"]

    @property
    def department_priority(self) -> tuple[str, ...]:
        return self._values["department_priority"]

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


def defaults() -> Settings:
    return parse_settings([], IssueLog())


def parse_settings(entries: Iterable[tuple[int, Any, Any]], log: IssueLog, *, value_letter: str = "B") -> Settings:
    """`entries` are (excel_row, setting text, raw value); unknown names are reported, blanks mean default."""
    values: dict[str, Any] = {s.key: s.default for s in SETTINGS.settings}
    cells: dict[str, str] = {}
    for row, name, raw in entries:
        spec = next((s for s in SETTINGS.settings if s.matches(name)), None)
        where = dict(sheet=SETTINGS.name, cell=f"{value_letter}{row}", row_key=str(name), value=raw)
        if spec is None:
            log.warning(IssueCode.UNKNOWN_SETTING, f"Unknown setting {name!r}; it is ignored.",
                        "Check the spelling against docs/workbook.md, or delete the row.", **where)
            continue
        cells[spec.key] = where["cell"]
        if is_blank(raw):
            continue
        value = _setting_value(spec, raw, log, where, values.get("period_type", "month"))
        if value is not None:
            values[spec.key] = value
    values["interval_levels"] = _levels(values["interval_levels"], log, cells.get("interval_levels", ""))
    for key in ("departments", "department_priority"):
        values[key] = tuple(p.strip() for p in str(values[key] or "").split(",") if p.strip())
    values["period_type"] = values["period_type"] or "month"
    if values["first_forecast_period"] is not None and not isinstance(values["first_forecast_period"], pd.Timestamp):
        values["first_forecast_period"] = None
    return Settings(values, cells)


def _setting_value(spec: Setting, raw: Any, log: IssueLog, where: dict, period_type: str) -> Any:
    kind = spec.kind
    got = coerce(raw, kind, allowed=spec.allowed, period_type=period_type, maximum=spec.maximum,
                 minimum=spec.minimum)
    if got.problem:
        hint = f"Pick one of: {', '.join(spec.choices)}." if spec.choices else \
            f"Enter a {kind.value}" + (f" ({spec.unit})" if spec.unit else "") + ", or clear it for the default."
        code = IssueCode.NOT_ALLOWED if spec.allowed else IssueCode.NOT_A_NUMBER if kind in (
            Kind.NUMBER, Kind.INTEGER, Kind.PERCENT, Kind.MONEY) else IssueCode.NOT_A_PERIOD \
            if kind is Kind.PERIOD else IssueCode.NOT_YES_NO if kind is Kind.BOOL else IssueCode.NOT_ALLOWED
        if got.formula_problem:
            code = IssueCode.FORMULA_ERROR
            hint = "Fix the formula (or type the value), save the workbook in Excel, or clear it for the default."
        elif kind is Kind.PERIOD and "years" in got.problem:
            code = IssueCode.OUT_OF_RANGE
            hint = (f"Correct the year (e.g. {periods.example(period_type)}), or clear it to start after the last "
                    "history period.")
        log.error(code, f"Setting {spec.label}: {got.problem}.", hint, **where)
        return None
    value = got.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        limit = spec.magnitude_limit
        low, high = spec.minimum, spec.maximum
        if limit is not None and abs(value) > limit and high is None:
            log.error(IssueCode.OUT_OF_RANGE, f"Setting {spec.label} is {value:.6g}, beyond the plausible "
                      f"{limit:,.0f}.", "Correct the number, or clear it for the default.", **where)
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            show = _percent if kind is Kind.PERCENT else (lambda x: f"{x:g}")
            rng = f"between {show(low)} and {show(high)}" if low is not None and high is not None else \
                f"at least {show(low)}" if low is not None else f"at most {show(high)}"
            read = f"{value:g}"
            if kind is Kind.PERCENT:
                read = _plain(raw) if "%" in _plain(raw) else f"{_plain(raw)}, read as {value * 100:g}%"
            example = f" Write it as {show(spec.default)} or {spec.default:g}." if kind is Kind.PERCENT and \
                isinstance(spec.default, float) else ""
            log.error(IssueCode.OUT_OF_RANGE, f"Setting {spec.label} is {read}; it must be {rng}.",
                      f"Enter a value {rng}" + (f" ({spec.unit})." if spec.unit else ".") + example, **where)
            return None
    return value


def _percent(x: float) -> str:
    return f"{x * 100:g}%"


def _plain(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else f"{raw:g}" if isinstance(raw, (int, float)) else str(raw)


def _levels(raw: Any, log: IssueLog, cell: str) -> tuple[int, ...]:
    if isinstance(raw, tuple):
        return raw
    parts = [p.strip().rstrip("%") for p in str(raw).replace(";", ",").split(",") if p.strip()]
    levels: list[int] = []
    for p in parts:
        try:
            x = float(p)
        except ValueError:
            x = -1
        if 0 < x < 1:
            x *= 100
        if not 50 <= x < 100:
            log.error(IssueCode.OUT_OF_RANGE, f"Setting Interval levels: {p!r} is not a level between 50 and 99.",
                      "Write levels in % separated by commas, e.g. 80, 95.", sheet=SETTINGS.name, cell=cell,
                      value=raw)
            return (80, 95)
        levels.append(int(round(x)))
    return tuple(sorted(set(levels))) or (80, 95)


def settings_frame(values: dict[str, Any] | None = None) -> pd.DataFrame:
    """The Settings table as written to a workbook: every declared key, defaults where not given."""
    values = values or {}
    unknown = set(values) - {s.key for s in SETTINGS.settings}
    if unknown:
        raise KeyError(f"unknown settings: {sorted(unknown)}")
    rows = []
    for s in SETTINGS.settings:
        value = values.get(s.key, s.default)
        if isinstance(value, pd.Timestamp):  # a period, labelled in the workbook's own period type
            value = periods.label(value, values.get("period_type") or periods.MONTH)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, (tuple, list)):
            value = ", ".join(str(v) for v in value)
        rows.append({"setting": s.label, "value": value, "unit": s.unit, "description": s.description})
    return pd.DataFrame(rows, columns=["setting", "value", "unit", "description"])
