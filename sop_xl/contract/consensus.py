"""Sheets of the consensus stage: the review round by e-mail and the plan of record.

The master workbook gets `Consensus` (one row per SKU and period: what the statistical
forecast said, what each department offered, the final number and who decided it),
`Audit` (every accepted value), `Rejected` (every refused value with the reason),
`ReviewLog` (each review copy sent and whether it came back), `Versions` (closed cycles),
`ChangeReport` and `ForecastValueAdded`. The department input tables (`SalesInput`, ...)
live only inside the review copies a department fills in.
"""

from __future__ import annotations

from .schema import Column, Kind, Owner, Role, Sheet

C = Column

_ITEM = C("item", Kind.TEXT, "SKU or family", required=True, aliases=("sku", "family", "product"), width=18,
          description="An SKU, or a family (spread over its SKUs by their share of the statistical forecast).")
_PERIOD = C("period", Kind.PERIOD, "Period", required=True, aliases=("month", "week", "quarter"), width=10,
            description="A period of the horizon, e.g. 2027-03 (pick it from the list).")
_REASON = C("reason", Kind.TEXT, "Reason", width=40, description="Why: kept in the audit trail.")
_CONFIRM = C("confirm", Kind.BOOL, "Confirm", width=9,
             description="yes: a value of this row beyond the plausibility limit of the master's Settings "
                         "(return limit factor) is meant; without it such a value is rejected.")
# hard bounds: no confirmation makes a value beyond them plausible
_MAX_UNITS, _MAX_PRICE, _MAX_HOURS = 1e9, 1e7, 1e6

SALES_INPUT = Sheet(
    name="SalesInput",
    table="tblSalesInput",
    role=Role.INPUT,
    owner=Owner.SALES,
    stage="consensus",
    description="Sales: the volume you expect, per SKU or family and period, where it differs from the "
                "statistical forecast.",
    key=("item", "period"),
    columns=(
        _ITEM, _PERIOD,
        C("override", Kind.NUMBER, "Volume", unit="units", minimum=0, maximum=_MAX_UNITS, number_format="#,##0",
          width=12, description="Replaces the statistical forecast of that SKU (or family total) and period."),
        _REASON, _CONFIRM,
    ),
)

MARKETING_INPUT = Sheet(
    name="MarketingInput",
    table="tblMarketingInput",
    role=Role.INPUT,
    owner=Owner.MARKETING,
    stage="consensus",
    description="Marketing: promotions and events as an uplift in % or in units, per SKU or family and period.",
    key=("item", "period"),
    columns=(
        _ITEM, _PERIOD,
        C("uplift_pct", Kind.PERCENT, "Uplift %", minimum=-1, maximum=10, width=10,
          description="Percent added to the forecast (e.g. 15%; -10% for a cannibalised product)."),
        C("uplift_units", Kind.NUMBER, "Uplift units", unit="units", minimum=-_MAX_UNITS, maximum=_MAX_UNITS,
          number_format="#,##0", width=12, description="Units added (a family's units are spread over its SKUs)."),
        C("event", Kind.TEXT, "Event", width=24, description="Name of the promotion or event."),
        _REASON, _CONFIRM,
    ),
)

FINANCE_INPUT = Sheet(
    name="FinanceInput",
    table="tblFinanceInput",
    role=Role.INPUT,
    owner=Owner.FINANCE,
    stage="consensus",
    description="Finance: planned prices and budget volumes per SKU or family and period.",
    key=("item", "period"),
    columns=(
        _ITEM, _PERIOD,
        C("price", Kind.MONEY, "Price", unit="per unit", minimum=0, maximum=_MAX_PRICE, width=11,
          description="Planned selling price in that period (revenue of the consensus)."),
        C("budget", Kind.NUMBER, "Budget volume", unit="units", minimum=0, maximum=_MAX_UNITS, number_format="#,##0",
          width=12, description="Finance's volume; it competes with other departments by the priority in Settings."),
        _REASON, _CONFIRM,
    ),
)

OPERATIONS_INPUT = Sheet(
    name="OperationsInput",
    table="tblOperationsInput",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    stage="consensus",
    description="Operations: capacity and calendar changes per resource and period (holidays, extra shifts).",
    key=("resource", "period"),
    columns=(
        C("resource", Kind.TEXT, "Resource", required=True, width=16, description="A resource of the plan."),
        _PERIOD,
        C("regular_capacity", Kind.NUMBER, "Regular capacity", unit="hours", minimum=0, maximum=_MAX_HOURS,
          width=13),
        C("overtime_capacity", Kind.NUMBER, "Overtime capacity", unit="hours", minimum=0, maximum=_MAX_HOURS,
          width=13),
        _REASON, _CONFIRM,
    ),
)

DEPARTMENT_INPUTS = (SALES_INPUT, MARKETING_INPUT, FINANCE_INPUT, OPERATIONS_INPUT)

CONSENSUS = Sheet(
    name="Consensus",
    table="tblConsensus",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="consensus",
    description="The consensus demand plan: per SKU and period the statistical forecast, each department's "
                "input, the final number and its source. Rewritten by every merge.",
    key=("sku", "period"),
    columns=(
        C("sku", Kind.TEXT, "SKU", required=True, width=12),
        C("family", Kind.TEXT, "Family", width=14),
        C("period", Kind.PERIOD, "Period", required=True, width=9),
        C("statistical", Kind.NUMBER, "Statistical", unit="units", number_format="#,##0", width=11),
        C("sales", Kind.NUMBER, "Sales", unit="units", number_format="#,##0", width=10,
          description="Sales' volume (a family volume already spread over its SKUs)."),
        C("marketing_pct", Kind.PERCENT, "Marketing uplift %", width=10),
        C("marketing_units", Kind.NUMBER, "Marketing uplift units", unit="units", number_format="#,##0", width=10),
        C("finance", Kind.NUMBER, "Finance budget", unit="units", number_format="#,##0", width=10),
        C("final", Kind.NUMBER, "Final", unit="units", required=True, number_format="#,##0", width=10,
          description="The consensus demand the plan uses."),
        C("source", Kind.TEXT, "Source", width=22, description="Who decided the final number."),
        C("price", Kind.MONEY, "Price", unit="per unit", width=10),
        C("revenue", Kind.MONEY, "Revenue", number_format="#,##0", width=12),
        C("note", Kind.TEXT, "Note", width=40, description="The reason given with the deciding input."),
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
    ),
)

AUDIT = Sheet(
    name="Audit",
    table="tblAudit",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="consensus",
    description="One row per value merged from a review copy: who, from which file, when, old and new value, "
                "and why. Appended by every merge, never rewritten.",
    columns=(
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
        C("time", Kind.TEXT, "Time", width=19),
        C("department", Kind.TEXT, "Department", width=12),
        C("file", Kind.TEXT, "File", width=28),
        C("item", Kind.TEXT, "SKU / family / resource", width=18),
        C("level", Kind.TEXT, "Level", width=9),
        C("period", Kind.PERIOD, "Period", width=9),
        C("field", Kind.TEXT, "Field", width=16),
        C("old", Kind.NUMBER, "Old", width=11),
        C("new", Kind.NUMBER, "New", width=11),
        C("reason", Kind.TEXT, "Reason", width=40),
        C("detail", Kind.TEXT, "Detail", width=40),
        C("cell", Kind.TEXT, "Cell in the return", width=10),
    ),
)

REJECTED = Sheet(
    name="Rejected",
    table="tblRejected",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="consensus",
    description="Every value a review copy offered that did not go into the consensus, with the reason. "
                "Appended by every merge.",
    columns=(
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
        C("time", Kind.TEXT, "Time", width=19),
        C("department", Kind.TEXT, "Department", width=12),
        C("file", Kind.TEXT, "File", width=28),
        C("cell", Kind.TEXT, "Cell in the return", width=12),
        C("item", Kind.TEXT, "SKU / family / resource", width=18),
        C("period", Kind.TEXT, "Period", width=9),
        C("field", Kind.TEXT, "Field", width=16),
        C("value", Kind.TEXT, "Value offered", width=14),
        C("reason", Kind.TEXT, "Why it was rejected", width=60),
    ),
)

REVIEW_LOG = Sheet(
    name="ReviewLog",
    table="tblReviewLog",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="consensus",
    description="Each review copy sent: its id and fingerprint (to refuse stale, tampered or repeated returns) "
                "and when it was merged.",
    key=("copy_id",),
    columns=(
        C("copy_id", Kind.TEXT, "Copy id", required=True, width=34),
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
        C("department", Kind.TEXT, "Department", width=12),
        C("file", Kind.TEXT, "File", width=30),
        C("issued_at", Kind.TEXT, "Issued at", width=20),
        C("fingerprint", Kind.TEXT, "Master fingerprint", width=20),
        C("digest", Kind.TEXT, "Manifest digest", width=20),
        C("status", Kind.TEXT, "Status", allowed=("sent", "merged"), width=9),
        C("merged_at", Kind.TEXT, "Merged at", width=20),
        C("merged_file", Kind.TEXT, "Merged from", width=30),
    ),
)

REVIEW_KEY = Sheet(
    name="ReviewKey",
    table="tblReviewKey",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="consensus",
    description="The secret that signs review copies (an HMAC over each copy's manifest and layout). It stays "
                "in the master, veryHidden; a copy never holds it. Deleting it refuses every copy in flight.",
    columns=(C("key", Kind.TEXT, "Key", required=True, width=70),
             C("created_at", Kind.TEXT, "Created at", width=20)),
    hidden=True,
)

VERSIONS = Sheet(
    name="Versions",
    table="tblVersions",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="consensus",
    description="Plans of record of closed cycles (consensus, statistical forecast, supply plan when present). "
                "Appended by close-cycle.",
    columns=(
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
        C("closed_at", Kind.TEXT, "Closed at", width=19),
        C("plan", Kind.TEXT, "Plan", allowed=("consensus", "statistical", "supply"), width=12),
        C("sku", Kind.TEXT, "SKU", width=12),
        C("family", Kind.TEXT, "Family", width=14),
        C("period", Kind.PERIOD, "Period", width=9),
        C("value", Kind.NUMBER, "Value", unit="units", number_format="#,##0", width=11),
    ),
)

CHANGE_REPORT = Sheet(
    name="ChangeReport",
    table="tblChangeReport",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="consensus",
    description="This cycle's consensus against the last closed one: by family and period, then the biggest "
                "movers by SKU.",
    columns=(
        C("section", Kind.TEXT, "Section", required=True, allowed=("family", "mover"), width=9),
        C("family", Kind.TEXT, "Family", width=14),
        C("sku", Kind.TEXT, "SKU", width=12),
        C("period", Kind.TEXT, "Period", width=9, description="Blank for movers: the overlapping periods summed."),
        C("previous", Kind.NUMBER, "Previous", unit="units", number_format="#,##0", width=11),
        C("current", Kind.NUMBER, "Current", unit="units", number_format="#,##0", width=11),
        C("change", Kind.NUMBER, "Change", unit="units", number_format="#,##0", width=11),
        C("change_pct", Kind.PERCENT, "Change %", width=9),
        C("compared_with", Kind.TEXT, "Compared with cycle", width=12),
    ),
)

FORECAST_VALUE_ADDED = Sheet(
    name="ForecastValueAdded",
    table="tblForecastValueAdded",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="consensus",
    description="Once actuals arrive: error of seasonal naive, statistical and consensus forecasts of each "
                "closed cycle (WAPE), and the value the consensus added (positive = better).",
    columns=(
        C("cycle", Kind.TEXT, "Cycle", required=True, width=9),
        C("family", Kind.TEXT, "Family", width=14, description="'All' for the whole portfolio."),
        C("points", Kind.INTEGER, "SKU-periods", width=10),
        C("actual", Kind.NUMBER, "Actual", unit="units", number_format="#,##0", width=11),
        C("wape_naive", Kind.PERCENT, "WAPE seasonal naive", width=11),
        C("wape_statistical", Kind.PERCENT, "WAPE statistical", width=11),
        C("wape_consensus", Kind.PERCENT, "WAPE consensus", width=11),
        C("fva_vs_statistical", Kind.PERCENT, "FVA vs statistical", width=11,
          description="WAPE statistical - WAPE consensus, in points."),
        C("fva_vs_naive", Kind.PERCENT, "FVA vs naive", width=11,
          description="WAPE seasonal naive - WAPE consensus, in points."),
    ),
)

# sheets of the master workbook, in the order a planner meets them
CONSENSUS_SHEETS = (CONSENSUS, AUDIT, REJECTED, REVIEW_LOG, VERSIONS, CHANGE_REPORT, FORECAST_VALUE_ADDED,
                    *DEPARTMENT_INPUTS)
