"""The workbook contract: every sheet, table and column sop_xl reads or writes, declared once.

Each stage declares its sheets in its own module; this package assembles them, in the
order a planner meets them during the monthly cycle, into `WORKBOOK`.
"""

from __future__ import annotations

from .common import COMMON_SHEETS, ISSUES, RUN_LOG
from .inputs import (
    CAPACITY_CALENDAR,
    DEMAND_HISTORY,
    INPUT_SHEETS,
    INVENTORY,
    ITEMS,
    RESOURCES,
    ROUTING,
    SETTINGS,
    WORKFORCE,
)
from .schema import (
    Column,
    Kind,
    Layout,
    Owner,
    Role,
    Setting,
    Sheet,
    Workbook,
    normalise_header,
)
from .forecast import FORECAST_SHEETS
from .plan import PLAN_SHEETS
from .consensus import CONSENSUS_SHEETS
from .executive import EXECUTIVE_SHEETS

WORKBOOK = Workbook(sheets=(*INPUT_SHEETS, *FORECAST_SHEETS, *PLAN_SHEETS, *CONSENSUS_SHEETS, *EXECUTIVE_SHEETS,
                                 *COMMON_SHEETS))

__all__ = [
    "WORKBOOK", "Workbook", "Sheet", "Column", "Setting", "Kind", "Layout", "Owner", "Role",
    "normalise_header", "SETTINGS", "ITEMS", "DEMAND_HISTORY", "RESOURCES", "ROUTING",
    "CAPACITY_CALENDAR", "WORKFORCE", "INVENTORY", "ISSUES", "RUN_LOG",
]
