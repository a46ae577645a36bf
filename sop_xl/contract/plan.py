"""Sheets of the supply review (plan stage): the optional Demand input and the plan's outputs."""

from __future__ import annotations

from .schema import Column, Kind, Layout, Owner, Role, Sheet

C = Column

SKU_ALIASES = ("item", "item code", "product", "material")

DEMAND = Sheet(
    name="Demand",
    table="tblDemand",
    role=Role.INPUT,
    owner=Owner.DEMAND_PLANNING,
    layout=Layout.WIDE,
    stage="plan",
    description="Demand to plan when there is neither a Consensus nor a Forecast sheet: one row per SKU, one "
                "column per future period. A long layout (SKU, Period, Demand) is accepted too.",
    key=("sku",),
    columns=(C("sku", Kind.TEXT, "SKU", required=True, aliases=SKU_ALIASES, width=14),),
    period_values=C("demand", Kind.NUMBER, "Demand", unit="units", minimum=0, number_format="#,##0", width=9),
    long_columns=(
        C("sku", Kind.TEXT, "SKU", required=True, aliases=SKU_ALIASES),
        C("period", Kind.PERIOD, "Period", required=True, aliases=("date", "month", "week", "quarter", "ds")),
        C("demand", Kind.NUMBER, "Demand", required=True, minimum=0, aliases=("qty", "quantity", "units", "y")),
    ),
)

SCHEDULED_RECEIPTS = Sheet(
    name="ScheduledReceipts",
    table="tblScheduledReceipts",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="Stock already in production or on order: one row per SKU and period it arrives. The plan "
                "(and every scenario) counts it as supply in that period (it needs no capacity and no new order), "
                "the rough-cut takes it off the load, and Financials show it as committed spend at the Items unit "
                "cost in that period (PlanCost leaves it out: it is spent whatever the plan decides).",
    key=("sku", "period"),
    columns=(
        C("sku", Kind.TEXT, "SKU", required=True, aliases=SKU_ALIASES, width=14),
        C("period", Kind.PERIOD, "Period", required=True,
          aliases=("due", "arrival", "date", "month", "week", "quarter"), width=10, description="The period the units arrive (are available to ship)."),
        C("quantity", Kind.NUMBER, "Quantity", unit="units", required=True, minimum=0, number_format="#,##0",
          aliases=("qty", "units", "open quantity"), width=10),
        C("source", Kind.TEXT, "Source", allowed=("production", "purchase", "subcontract"), default="production",
          width=12, description="production: a released work order; purchase or subcontract: an open order."),
        C("reference", Kind.TEXT, "Reference", aliases=("order", "work order", "po"), width=14),
    ),
)

_PERIOD = C("period", Kind.PERIOD, "Period", width=10)
_HOURS = "#,##0.0"

ROUGH_CUT = Sheet(
    name="RoughCut",
    table="tblRoughCut",
    role=Role.OUTPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="Load of each resource from demand x routing against its regular and overtime hours, before any "
                "optimisation. Status: ok, overtime (needs overtime), overload (more than regular + overtime).",
    key=("resource", "period"),
    columns=(
        C("resource", Kind.TEXT, "Resource", width=16),
        C("kind", Kind.TEXT, "Kind", width=9),
        _PERIOD,
        C("load_hours", Kind.NUMBER, "Load", unit="hours", number_format=_HOURS, width=11),
        C("regular_capacity", Kind.NUMBER, "Regular capacity", unit="hours", number_format=_HOURS, width=12),
        C("overtime_capacity", Kind.NUMBER, "Overtime capacity", unit="hours", number_format=_HOURS, width=12),
        C("utilisation", Kind.PERCENT, "Utilisation", width=11, description="Load / regular capacity."),
        C("overtime_needed", Kind.NUMBER, "Overtime needed", unit="hours", number_format=_HOURS, width=12),
        C("shortfall_hours", Kind.NUMBER, "Shortfall", unit="hours", number_format=_HOURS, width=11,
          description="Load beyond regular + overtime capacity."),
        C("status", Kind.TEXT, "Status", allowed=("ok", "overtime", "overload"), width=10),
    ),
)

SUPPLY_PLAN = Sheet(
    name="SupplyPlan",
    table="tblSupplyPlan",
    role=Role.OUTPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="What to make, buy and hold per item and period (items are SKUs or families, per Settings "
                "plan_level). Inventory and backlog are at the period end.",
    key=("item", "period"),
    columns=(
        C("item", Kind.TEXT, "Item", width=14),
        C("family", Kind.TEXT, "Family", width=14),
        _PERIOD,
        C("demand", Kind.NUMBER, "Demand", unit="units", number_format="#,##0", width=10),
        C("scheduled_receipts", Kind.NUMBER, "Scheduled receipts", unit="units", number_format="#,##0", width=11,
          description="Units already in production or on order arriving in the period (ScheduledReceipts)."),
        C("production", Kind.NUMBER, "Production", unit="units", number_format="#,##0", width=11,
          description="Units started in house in the period (they arrive after the lead time)."),
        C("subcontract", Kind.NUMBER, "Subcontract", unit="units", number_format="#,##0", width=11),
        C("inventory", Kind.NUMBER, "Inventory", unit="units", number_format="#,##0", width=10),
        C("backlog", Kind.NUMBER, "Backlog", unit="units", number_format="#,##0", width=10),
        C("lost_sales", Kind.NUMBER, "Lost sales", unit="units", number_format="#,##0", width=10),
        C("safety_stock", Kind.NUMBER, "Safety stock", unit="units", number_format="#,##0", width=11),
        C("safety_stock_shortfall", Kind.NUMBER, "Below safety stock", unit="units", number_format="#,##0",
          width=12),
        C("setups", Kind.NUMBER, "Setups", number_format="0", width=8, description="1 when the item is set up "
          "in the period (lot sizing only)."),
    ),
)

CAPACITY = Sheet(
    name="Capacity",
    table="tblCapacity",
    role=Role.OUTPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="Hours available and used per resource and period in the optimised plan. Shadow price: what "
                "one more regular hour would save (or earn); for whole-number plans, with setups and headcount "
                "kept as planned. Blank when the plan is not proven optimal.",
    key=("resource", "period"),
    columns=(
        C("resource", Kind.TEXT, "Resource", width=16),
        C("kind", Kind.TEXT, "Kind", width=9),
        _PERIOD,
        C("regular_capacity", Kind.NUMBER, "Regular capacity", unit="hours", number_format=_HOURS, width=12),
        C("overtime_capacity", Kind.NUMBER, "Overtime capacity", unit="hours", number_format=_HOURS, width=12),
        C("used_hours", Kind.NUMBER, "Used", unit="hours", number_format=_HOURS, width=11),
        C("overtime_hours", Kind.NUMBER, "Overtime used", unit="hours", number_format=_HOURS, width=11),
        C("utilisation", Kind.PERCENT, "Utilisation", width=11, description="Used / regular capacity."),
        C("shadow_price", Kind.MONEY, "Shadow price", unit="per hour", width=12),
    ),
)

WORKFORCE_PLAN = Sheet(
    name="WorkforcePlan",
    table="tblWorkforcePlan",
    role=Role.OUTPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="Headcount of each labour pool per period: hires, layoffs, regular and overtime hours.",
    key=("pool", "period"),
    columns=(
        C("pool", Kind.TEXT, "Labour pool", width=16),
        _PERIOD,
        C("headcount", Kind.NUMBER, "Headcount", unit="people", number_format="#,##0.0", width=11),
        C("hires", Kind.NUMBER, "Hires", unit="people", number_format="#,##0.0", width=9),
        C("layoffs", Kind.NUMBER, "Layoffs", unit="people", number_format="#,##0.0", width=9),
        C("regular_hours", Kind.NUMBER, "Regular hours", unit="hours", number_format=_HOURS, width=12),
        C("overtime_hours", Kind.NUMBER, "Overtime hours", unit="hours", number_format=_HOURS, width=12),
    ),
)

PLAN_COST = Sheet(
    name="PlanCost",
    table="tblPlanCost",
    role=Role.OUTPUT,
    owner=Owner.FINANCE,
    stage="plan",
    description="Cost of the plan by cost type and period (total_cost adds them up; revenue and margin when "
                "Settings objective is max_margin).",
    key=("cost_type", "period"),
    columns=(
        C("cost_type", Kind.TEXT, "Cost type", width=14),
        _PERIOD,
        C("amount", Kind.MONEY, "Amount", width=14),
    ),
)

PLAN_RUN = Sheet(
    name="PlanRun",
    table="tblPlanRun",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="plan",
    description="The last plan run: solver, status as the solver reported it (optimal, time_limit with its gap, "
                "infeasible, unbounded), objective and timings.",
    columns=(
        C("time", Kind.TEXT, "Time", width=20),
        C("objective_type", Kind.TEXT, "Objective", width=11),
        C("demand_policy", Kind.TEXT, "Demand policy", width=14,
          description="The Settings demand_policy in force: meet_all, backlog or lost_sales (blank setting: "
                      "what allow_backlog says, shown in brackets)."),
        C("status", Kind.TEXT, "Status", width=20,
          description="optimal; within gap x % (a whole-number plan within Settings mip_gap); time limit, "
                      "gap x % (or gap unknown); no_solution; infeasible; unbounded."),
        C("solver", Kind.TEXT, "Solver", width=9),
        C("requested_solver", Kind.TEXT, "Requested solver", width=12),
        C("objective", Kind.MONEY, "Objective value", width=14),
        C("total_cost", Kind.MONEY, "Total cost", width=14),
        C("gap", Kind.PERCENT, "Gap", number_format="0.00%", width=8),
        C("build_seconds", Kind.NUMBER, "Build seconds", width=9),
        C("solve_seconds", Kind.NUMBER, "Solve seconds", width=9,
          description="Handing the model to the solver, solving, reading the solution back."),
        C("solver_seconds", Kind.NUMBER, "Solver run seconds", width=9,
          description="Time inside the solver itself (HiGHS only)."),
        C("variables", Kind.INTEGER, "Variables", width=10),
        C("integer_variables", Kind.INTEGER, "Integer variables", width=10),
        C("constraints", Kind.INTEGER, "Constraints", width=10),
        C("items", Kind.INTEGER, "Items", width=7),
        C("periods", Kind.INTEGER, "Periods", width=7),
        C("resources", Kind.INTEGER, "Resources", width=9),
        C("issues", Kind.INTEGER, "Issues", width=7),
        C("demand_source", Kind.TEXT, "Demand from", width=12),
        C("message", Kind.TEXT, "Message", width=50),
    ),
)

PLAN_EXPLAIN = Sheet(
    name="PlanExplain",
    table="tblPlanExplain",
    role=Role.OUTPUT,
    owner=Owner.OPERATIONS,
    stage="plan",
    description="Why the last plan was infeasible: the smallest violations of hard requirements that make it "
                "feasible, and the cell to change. For a feasible plan: the decisions a planner would question "
                "(layoffs while hours are scarce) with the model's reason, how safety stock was sized "
                "(formula and source), and every yearly rate converted to the workbook's period (holding cost "
                "= unit cost x rate / 4 per quarter).",
    columns=(
        C("requirement", Kind.TEXT, "Requirement", width=16),
        C("key", Kind.TEXT, "Resource or item", width=16),
        _PERIOD,
        C("violation", Kind.NUMBER, "Violation", number_format="#,##0.0", width=11),
        C("unit", Kind.TEXT, "Unit", width=7),
        C("message", Kind.TEXT, "Message", width=60),
        C("hint", Kind.TEXT, "How to fix", width=60),
        C("sheet", Kind.TEXT, "Sheet", width=12),
        C("cell", Kind.TEXT, "Cell", width=7),
        C("column", Kind.TEXT, "Column", width=16),
    ),
)

PLAN_SHEETS: tuple[Sheet, ...] = (DEMAND, SCHEDULED_RECEIPTS, ROUGH_CUT, SUPPLY_PLAN, CAPACITY, WORKFORCE_PLAN, PLAN_COST, PLAN_RUN,
                                  PLAN_EXPLAIN)
