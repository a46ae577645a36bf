"""The vocabulary of the workbook contract: sheets, columns, settings.

Everything here is plain frozen data. The declarations themselves live in the sibling
modules (one per S&OP stage) and are assembled into `sop_xl.contract.WORKBOOK`.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from typing import Any


class Role(str, enum.Enum):
    INPUT = "input"    # the planner (or a department) types or pastes it
    OUTPUT = "output"  # sop_xl writes it; edits are overwritten by the next run
    BOTH = "both"      # sop_xl seeds it and keeps what people edited (e.g. ActionPlan)


class Owner(str, enum.Enum):
    DEMAND_PLANNING = "Demand planning"
    SALES = "Sales"
    MARKETING = "Marketing"
    FINANCE = "Finance"
    OPERATIONS = "Operations"
    EXECUTIVE = "Executive"
    SOP_XL = "sop_xl"  # bookkeeping sheets the product keeps for itself


class Kind(str, enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    PERIOD = "period"   # a planning bucket: "2027-03" for months, "2027-W05" for weeks, "2027-Q1" for quarters
    BOOL = "yes/no"


class Blank(str, enum.Enum):
    """What an empty cell of a column means; `sop_xl.plan.blanks.apply_blanks` applies it."""

    UNKNOWN = "unknown"          # missing data: an error where the value is needed
    ZERO = "zero"                # read as 0
    DEFAULT = "default"          # read as the column's default
    UNLIMITED = "unlimited"      # no limit
    NOT_OFFERED = "not offered"  # the option does not exist (e.g. no subcontractor)
    DERIVED = "derived"          # computed from other columns (the description says how)
    INHERIT = "inherit"          # the parent's value (the family's row, the resource's usual capacity)


class Layout(str, enum.Enum):
    TABLE = "table"        # one Excel Table, one row per record
    WIDE = "wide"          # key columns then one column per period (how planners paste)
    SETTINGS = "settings"  # a key/value table; every value also gets a named range


NUMBER_FORMATS: dict[Kind, str] = {
    Kind.TEXT: "@",
    Kind.INTEGER: "#,##0",
    Kind.NUMBER: "#,##0.00",
    Kind.MONEY: "#,##0.00",
    Kind.PERCENT: "0.0%",
    Kind.DATE: "yyyy-mm-dd",
    Kind.PERIOD: "@",
    Kind.BOOL: "@",
}

YES_NO = ("yes", "no")

# The largest absolute value a number of each kind may have unless its column declares its own
# `bound`: a value beyond it is a typo or a broken formula (1e300), refused at its cell before any
# stage computes with it.
DEFAULT_BOUNDS: dict[Kind, float] = {
    Kind.NUMBER: 1e12,
    Kind.MONEY: 1e12,
    Kind.INTEGER: 1e9,
    Kind.PERCENT: 1e4,
}


@functools.lru_cache(maxsize=4096)
def _normalise(s: str) -> str:
    s = re.sub(r"\s*[\(\[].*?[\)\]]\s*$", "", s.strip().lower())  # "Price (EUR)" -> "price"
    return re.sub(r"[^0-9a-z%]+", "", s)


def normalise_header(text: Any) -> str:
    """How headers are compared: case, spaces, punctuation and a trailing unit in brackets
    do not matter ("Unit Cost ($)", "unit_cost" and "UNITCOST" are the same column)."""
    return _normalise(str(text or ""))


@dataclass(frozen=True)
class Column:
    """One column of a product table; `name` is the pandas name, `header` what Excel shows."""

    name: str
    kind: Kind
    header: str = ""
    unit: str = ""
    required: bool = False
    default: Any = None
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()
    number_format: str = ""
    width: float | None = None
    # allowed values come from another table's key column (e.g. Routing.resource from Resources)
    lookup: str = ""
    # what a blank cell means; None: the default when there is one, else unknown
    blank: Blank | None = None
    # the largest plausible absolute value (None: DEFAULT_BOUNDS of the kind); beyond it a value is
    # refused as a typo or a broken formula. Unlike `maximum`, it is a sanity bound, not a business rule.
    bound: float | None = None

    def __post_init__(self) -> None:
        if not self.header:
            object.__setattr__(self, "header", self.name.replace("_", " ").capitalize())

    @property
    def blank_means(self) -> Blank:
        if self.blank is not None:
            return self.blank
        if self.default is None:
            return Blank.UNKNOWN
        return Blank.ZERO if self.default in (0, 0.0) and self.kind is not Kind.TEXT else Blank.DEFAULT

    @property
    def magnitude_limit(self) -> float | None:
        return self.bound if self.bound is not None else DEFAULT_BOUNDS.get(self.kind)

    @property
    def excel_format(self) -> str:
        return self.number_format or NUMBER_FORMATS[self.kind]

    @property
    def choices(self) -> tuple[str, ...]:
        return YES_NO if self.kind is Kind.BOOL else self.allowed

    @functools.cached_property
    def spellings(self) -> frozenset[str]:
        """Every header that names this column, normalised (`normalise_header`)."""
        return frozenset(normalise_header(x) for x in (self.name, self.header, *self.aliases))

    def matches(self, header: Any) -> bool:
        return normalise_header(header) in self.spellings


@dataclass(frozen=True)
class Setting:
    """One key of the Settings sheet. Its value gets the named range `sop_<key>`."""

    key: str
    kind: Kind
    default: Any
    label: str = ""
    description: str = ""
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    stage: str = "general"
    bound: float | None = None  # as Column.bound

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.key.replace("_", " ").capitalize())

    @property
    def magnitude_limit(self) -> float | None:
        return self.bound if self.bound is not None else DEFAULT_BOUNDS.get(self.kind)

    @property
    def range_name(self) -> str:
        return f"sop_{self.key}"

    @property
    def choices(self) -> tuple[str, ...]:
        return YES_NO if self.kind is Kind.BOOL else self.allowed

    def matches(self, text: Any) -> bool:
        return normalise_header(text) in {normalise_header(self.key), normalise_header(self.label)}


@dataclass(frozen=True)
class Sheet:
    """A sheet the product knows: where it is, who owns it, what its table holds."""

    name: str
    table: str
    role: Role
    owner: Owner
    description: str
    columns: tuple[Column, ...] = ()
    layout: Layout = Layout.TABLE
    key: tuple[str, ...] = ()
    # WIDE layout: the cells under each period header, and the LONG alternative accepted on input
    period_values: Column | None = None
    long_columns: tuple[Column, ...] = ()
    settings: tuple[Setting, ...] = ()
    stage: str = "data"
    # rows of title text above the table header (the header sits on row title_rows + 1)
    title_rows: int = 2
    freeze_key_columns: bool = True
    # veryHidden in the workbook (not even listed under Unhide): the consensus review key
    hidden: bool = False

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate column in sheet {self.name}")
        for k in self.key:
            if k not in names:
                raise ValueError(f"key column {k} not declared in sheet {self.name}")

    @property
    def header_row(self) -> int:
        return self.title_rows + 1

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def setting(self, key: str) -> Setting:
        for s in self.settings:
            if s.key == key:
                return s
        raise KeyError(f"no setting {key!r}")


@dataclass(frozen=True)
class Workbook:
    """All sheets of the contract, in the order they appear in a workbook."""

    sheets: tuple[Sheet, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [s.name for s in self.sheets]
        tables = [s.table for s in self.sheets]
        if len(set(names)) != len(names) or len(set(tables)) != len(tables):
            raise ValueError("sheet and table names must be unique")

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(f"the workbook contract has no sheet {name!r}")

    def __iter__(self):
        return iter(self.sheets)

    def by_role(self, *roles: Role) -> list[Sheet]:
        return [s for s in self.sheets if s.role in roles]
