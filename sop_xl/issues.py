"""Problems found in a workbook, as data.

Validation never raises on the first bad cell: every check appends an `Issue` to an
`IssueLog`, and a command raises `InputError` once, at its boundary, with all of them.
The CLI prints them as a table; Excel gets an ``Issues`` sheet with links to the cells.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, asdict
from typing import Any, Iterable, Iterator

import pandas as pd


class Severity(str, enum.Enum):
    ERROR = "error"      # the stage cannot run until this is fixed
    WARNING = "warning"  # the stage ran, but the planner should look
    INFO = "info"        # something the product did on the planner's behalf


class IssueCode(str, enum.Enum):
    # reading
    MISSING_SHEET = "missing_sheet"
    MISSING_TABLE = "missing_table"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    MISSING_VALUE = "missing_value"
    NOT_A_NUMBER = "not_a_number"
    NOT_AN_INTEGER = "not_an_integer"
    NOT_A_DATE = "not_a_date"
    NOT_A_PERIOD = "not_a_period"
    NOT_YES_NO = "not_yes_no"
    NOT_ALLOWED = "not_allowed"
    OUT_OF_RANGE = "out_of_range"
    DUPLICATE_KEY = "duplicate_key"
    UNKNOWN_KEY = "unknown_key"
    UNKNOWN_SETTING = "unknown_setting"
    FORMULA_ERROR = "formula_error"
    PERIOD_GAP = "period_gap"
    IGNORED_COLUMN = "ignored_column"
    SUMMED_PERIODS = "summed_periods"  # finer history (months in a quarterly workbook) summed into periods
    # writing
    WORKBOOK_LOCKED = "workbook_locked"
    WORKBOOK_READ_ONLY = "workbook_read_only"
    NOT_A_WORKBOOK = "not_a_workbook"
    # stages add their own codes through `code` strings of the form "<stage>_<what>";
    # the ones the core knows are listed here so they can be filtered on.
    FORECAST_FALLBACK = "forecast_fallback"
    PLAN_INFEASIBLE = "plan_infeasible"
    PLAN_LIMIT = "plan_limit"
    STAGE_MISSING = "stage_missing"


@dataclass(frozen=True)
class Issue:
    """One problem, pointing at the cell a planner has to change."""

    severity: Severity
    code: IssueCode | str
    message: str
    hint: str = ""
    sheet: str = ""
    cell: str = ""          # A1 address on `sheet`, "" when the problem is the whole sheet
    column: str = ""
    row_key: str = ""       # business key of the row (e.g. the SKU), easier to search than a row number
    value: Any = None

    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def __str__(self) -> str:
        where = self.location()
        text = f"{self.severity.value.upper()}"
        if where:
            text += f" {where}"
        text += f": {self.message}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return text


@dataclass
class IssueLog:
    """An append-only list of issues collected while a stage runs."""

    items: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.items.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.items.extend(issues)

    def error(self, code: IssueCode | str, message: str, hint: str = "", **where: Any) -> None:
        self.add(Issue(Severity.ERROR, code, message, hint, **where))

    def warning(self, code: IssueCode | str, message: str, hint: str = "", **where: Any) -> None:
        self.add(Issue(Severity.WARNING, code, message, hint, **where))

    def info(self, code: IssueCode | str, message: str, hint: str = "", **where: Any) -> None:
        self.add(Issue(Severity.INFO, code, message, hint, **where))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.severity is Severity.ERROR]

    @property
    def has_errors(self) -> bool:
        return any(i.severity is Severity.ERROR for i in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise InputError(list(self.items))

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def column_letter(position: int) -> str:
    """1 -> A, 27 -> AA: the column part of the cell an Issue names (one home for every layer)."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def issues_frame(issues: Iterable[Issue]) -> pd.DataFrame:
    """The tidy table of issues written to the Issues sheet and printed by the CLI."""
    rows = []
    for issue in issues:
        row = asdict(issue)
        row["severity"] = issue.severity.value
        row["code"] = issue.code.value if isinstance(issue.code, enum.Enum) else str(issue.code)
        row["value"] = "" if issue.value is None else str(issue.value)
        rows.append(row)
    columns = ["severity", "code", "sheet", "cell", "column", "row_key", "value", "message", "hint"]
    return pd.DataFrame(rows, columns=columns)


class SopError(Exception):
    """Base of every error sop_xl reports to a user (never shown as a traceback)."""

    exit_code = 1


class InputError(SopError):
    """The workbook has problems the planner must fix; carries all of them."""

    exit_code = 1

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        first = str(errors[0]) if errors else "no errors"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{len(errors)} problem(s) in the workbook: {first}{more}")


class WorkbookAccessError(SopError):
    """The workbook cannot be opened or saved (locked, read-only, not a workbook)."""

    exit_code = 3
