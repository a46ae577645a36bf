"""Input sheets of the data-gathering stage: what planners, finance and operations fill in."""

from __future__ import annotations

from .schema import Blank, Column, Kind, Layout, Owner, Role, Setting, Sheet

C = Column

# solver names the plan understands: HiGHS by algorithm, CBC, and the solver names of pulp 3.x
# (whether one is installed on this machine is checked by `sop-xl validate` and the plan)
SOLVERS = ("highs", "highs-simplex", "highs-ipm", "highs-choose", "cbc",
           "PULP_CBC_CMD", "COIN_CMD", "HiGHS_CMD", "GLPK_CMD", "PYGLPK", "CPLEX_CMD", "CPLEX_PY", "GUROBI",
           "GUROBI_CMD", "MOSEK", "XPRESS", "XPRESS_PY", "COINMP_DLL", "CHOCO_CMD", "MIPCL_CMD", "SCIP_CMD",
           "FSCIP_CMD", "SCIP_PY", "COPT", "COPT_DLL", "COPT_CMD", "CyLP", "SAS94", "SASCAS", "CUOPT")

SETTINGS = Sheet(
    name="Settings",
    table="tblSettings",
    role=Role.INPUT,
    owner=Owner.DEMAND_PLANNING,
    layout=Layout.SETTINGS,
    description="One value per setting. Each value also has a named range (sop_<key>) formulas can use.",
    columns=(
        C("setting", Kind.TEXT, "Setting", required=True, width=28),
        C("value", Kind.TEXT, "Value", width=22, number_format="General"),
        C("unit", Kind.TEXT, "Unit", width=12),
        C("description", Kind.TEXT, "Description", width=70),
    ),
    key=("setting",),
    settings=(
        Setting("company", Kind.TEXT, "Demo Company", description="Shown on the dashboard and the PDF."),
        Setting("currency", Kind.TEXT, "EUR", description="ISO code of the money columns."),
        Setting("period_type", Kind.TEXT, "month", allowed=("month", "week", "quarter"),
                description="Planning bucket of history, forecast, plan, budget and scenarios: month "
                            "(2027-03), week (2027-W05) or quarter (2027-Q1). Every per-period figure (capacity "
                            "hours, wages, backorder and holding cost, budget) is per this period; a yearly rate "
                            "is converted (holding cost rate / 12, 52 or 4) and PlanExplain says so."),
        Setting("first_forecast_period", Kind.PERIOD, None,
                description="First period to forecast and plan (e.g. 2027-01). Blank: the period after the last history."),
        Setting("horizon", Kind.INTEGER, 18, minimum=1, maximum=104, unit="periods",
                description="How many periods to forecast and plan."),
        Setting("service_level", Kind.PERCENT, 0.95, minimum=0.5, maximum=0.9999,
                description="Cycle service level for safety stock (e.g. 95%)."),
        # demand review
        Setting("season_length", Kind.INTEGER, None, minimum=1, maximum=53, unit="periods", stage="forecast",
                description="Blank: detected per series (12 for months, 52 for weeks, 4 for quarters) when three "
                            "years of history show it; with two years (e.g. 8 quarters), type it."),
        Setting("forecast_method", Kind.TEXT, "auto", stage="forecast",
                description="auto (best by backtest per SKU) or one method name for every SKU."),
        Setting("forecast_metric", Kind.TEXT, "mase", allowed=("mase", "wape", "smape", "mape", "rmse", "mae"),
                stage="forecast", description="Accuracy metric the auto-selection minimises."),
        Setting("backtest_windows", Kind.INTEGER, 3, minimum=1, maximum=24, stage="forecast",
                description="Rolling-origin windows used to pick a method and measure accuracy."),
        Setting("interval_levels", Kind.TEXT, "80, 95", stage="forecast",
                description="Prediction-interval levels in % (comma separated)."),
        Setting("reconciliation", Kind.TEXT, "bottom_up", allowed=("bottom_up", "top_down", "middle_out", "none"),
                stage="forecast", description="How SKU forecasts are made to add up to family forecasts."),
        Setting("returns_net_demand", Kind.BOOL, "no", stage="forecast",
                description="yes: a negative history quantity (returns above shipments) nets demand without a "
                            "warning; no: it is reported by validate and the forecast reads it as 0."),
        Setting("outlier_threshold", Kind.NUMBER, 4.0, minimum=1.5, maximum=20, stage="forecast", unit="MADs",
                description="History points further than this from the robust trend are cleansed."),
        # supply review
        Setting("plan_level", Kind.TEXT, "sku", allowed=("sku", "family"), stage="plan",
                description="Plan per SKU or per product family."),
        Setting("objective", Kind.TEXT, "min_cost", allowed=("min_cost", "max_margin"), stage="plan",
                description="min_cost meets all demand at least cost; max_margin may leave unprofitable demand unmet."),
        Setting("solver", Kind.TEXT, "highs", stage="plan", allowed=SOLVERS,
                description="highs (default: interior point, crossover for duals), highs-simplex, cbc, or any solver name pulp knows (e.g. GLPK_CMD)."),
        Setting("time_limit", Kind.NUMBER, 60, minimum=1, maximum=86400, unit="seconds", stage="plan",
                description="Solver time limit."),
        Setting("mip_gap", Kind.PERCENT, 0.0001, minimum=0, maximum=1, stage="plan",
                description="Relative gap at which a whole-number plan is good enough (0.01 %: reaches the "
                            "whole-people optimum of textbook cases; PlanRun says 'within gap' when above 0)."),
        Setting("allow_backlog", Kind.BOOL, "yes", stage="plan",
                description="yes: unmet demand is backordered (Items backorder cost); no: it is lost (lost-sales "
                            "cost). Used when demand_policy is blank; with demand_policy meet_all it says whether "
                            "demand may wait within the horizon. PlanRun shows the policy in force."),
        Setting("no_backlog_at_end", Kind.BOOL, "yes", stage="plan",
                description="yes: every backorder must be filled by the end of the horizon."),
        Setting("demand_policy", Kind.TEXT, None, allowed=("meet_all", "backlog", "lost_sales"), stage="plan",
                description="meet_all: all demand is met, a hard requirement whatever the costs: nothing is lost, "
                            "no backorder is left at the end of the horizon (backorders within it only if "
                            "allow_backlog is yes); a plan that cannot do it is infeasible and PlanExplain names the "
                            "smallest change (hours, cell) that makes it feasible. backlog: demand may wait at the "
                            "Items backorder cost (no_backlog_at_end applies; max_margin may also leave unprofitable "
                            "demand unmet). lost_sales: unmet demand is lost at the Items lost-sales cost. Blank: "
                            "backlog if allow_backlog is yes, else lost_sales."),
        Setting("whole_headcount", Kind.BOOL, "yes", stage="plan",
                description="yes: headcount, hires and layoffs are whole people (a MIP, slower)."),
        Setting("lot_sizing", Kind.BOOL, "no", stage="plan",
                description="yes: minimum lots and setup cost/time apply (a MIP, slower)."),
        Setting("safety_stock_penalty", Kind.MONEY, 0.0, minimum=0, stage="plan", unit="per unit per period",
                description="Cost of a unit below safety stock. 0: each SKU's backorder cost."),
        Setting("storage_capacity", Kind.NUMBER, None, minimum=0, unit="units", stage="plan",
                description="Total units the warehouse holds at a period end. Blank: no limit."),
        # consensus
        Setting("cycle", Kind.TEXT, None, stage="consensus",
                description="The S&OP cycle id (e.g. 2027-01). Blank: the first forecast period."),
        Setting("departments", Kind.TEXT, "Sales, Marketing, Finance, Operations", stage="consensus",
                description="Who gets a review copy."),
        Setting("department_priority", Kind.TEXT, "Sales, Marketing, Operations, Finance", stage="consensus",
                description="Who wins when two departments override the same number (first wins)."),
        Setting("uplift_rule", Kind.TEXT, "priority", allowed=("priority", "add"), stage="consensus",
                description="priority: a Marketing uplift and another department's volume for the same number "
                            "conflict and the department priority decides; add: uplifts go on top of the volume."),
        Setting("near_term_periods", Kind.INTEGER, 0, minimum=0, maximum=104, unit="periods", stage="consensus",
                description="The first periods of the horizon in which Near-term priority applies (0: none)."),
        Setting("near_term_priority", Kind.TEXT, None, stage="consensus",
                description="Department priority in the near term (e.g. Operations, Sales, ...). Blank: the "
                            "department priority."),
        Setting("return_limit_factor", Kind.NUMBER, 5, minimum=1, maximum=1000, unit="times", stage="consensus",
                description="A returned value above this many times its reference (the SKU's largest statistical "
                            "forecast or history, the usual capacity, the current price) needs yes in the "
                            "return's Confirm column; otherwise it is rejected."),
        Setting("return_formulas", Kind.BOOL, "no", stage="consensus",
                description="yes: a formula in a returned review copy counts with its last calculated value "
                            "(each one is listed); no: its value is rejected."),
    ),
)

ITEMS = Sheet(
    name="Items",
    table="tblItems",
    role=Role.INPUT,
    owner=Owner.DEMAND_PLANNING,
    description="One row per SKU: family, prices, costs and planning parameters.",
    key=("sku",),
    columns=(
        C("sku", Kind.TEXT, "SKU", required=True, aliases=("item", "item code", "product", "material"), width=14),
        C("description", Kind.TEXT, "Description", width=30),
        C("family", Kind.TEXT, "Family", required=True, aliases=("product family", "group"), width=16),
        C("uom", Kind.TEXT, "UoM", default="EA", aliases=("unit of measure", "unit"), width=8),
        C("status", Kind.TEXT, "Status", default="active", allowed=("active", "new", "discontinued"), width=13,
          description="discontinued: no forecast; new: short history expected."),
        C("price", Kind.MONEY, "Price", unit="per unit", default=0.0, minimum=0, width=11, bound=1e9),
        C("unit_cost", Kind.MONEY, "Unit cost", unit="per unit", default=0.0, minimum=0, width=11, bound=1e9,
          description="Material and variable cost of one unit made in house."),
        C("holding_cost_rate", Kind.PERCENT, "Holding cost rate", unit="per year", default=0.25, minimum=0,
          maximum=5, width=12, description="Yearly cost of holding stock as a share of unit cost."),
        C("backorder_cost", Kind.MONEY, "Backorder cost", unit="per unit per period", default=0.0, minimum=0,
          width=12),
        C("lost_sales_cost", Kind.MONEY, "Lost sales cost", unit="per unit", default=None, minimum=0, width=12,
          blank=Blank.DERIVED,
          description="Blank: the price (the revenue the lost sale would have brought)."),
        C("subcontract_cost", Kind.MONEY, "Subcontract cost", unit="per unit", default=None, minimum=0, width=12,
          blank=Blank.NOT_OFFERED,
          description="Blank: subcontracting not possible."),
        C("subcontract_limit", Kind.NUMBER, "Subcontract limit", unit="units per period", default=None,
          minimum=0, width=12, blank=Blank.UNLIMITED, description="Blank: no limit."),
        C("lead_time", Kind.INTEGER, "Lead time", unit="periods", default=0, minimum=0, maximum=52, width=10),
        C("min_lot", Kind.NUMBER, "Min lot", unit="units", default=0.0, minimum=0, width=10),
        C("max_lot", Kind.NUMBER, "Max lot", unit="units", default=None, minimum=0, width=10, blank=Blank.UNLIMITED,
          description="Blank: no limit."),
        C("setup_cost", Kind.MONEY, "Setup cost", unit="per setup", default=0.0, minimum=0, width=11),
        C("setup_hours", Kind.NUMBER, "Setup hours", unit="hours per setup", default=0.0, minimum=0, width=11),
        C("safety_stock_rule", Kind.TEXT, "Safety stock rule", default="service_level",
          allowed=("service_level", "periods_of_cover", "fixed", "none"), width=16),
        C("safety_stock_value", Kind.NUMBER, "Safety stock value", default=None, minimum=0, width=12,
          blank=Blank.UNKNOWN,
          description="periods_of_cover: periods of average demand; fixed: units; service_level: ignored."),
        C("holding_cost", Kind.MONEY, "Holding cost", unit="per unit per period", default=None, minimum=0,
          width=11, blank=Blank.DERIVED, description="Blank: unit cost x holding cost rate / periods per year."),
    ),
)

DEMAND_HISTORY = Sheet(
    name="DemandHistory",
    table="tblDemandHistory",
    role=Role.INPUT,
    owner=Owner.DEMAND_PLANNING,
    layout=Layout.WIDE,
    description="Paste shipments or orders: one row per SKU, one column per period (oldest first). "
                "A long layout (SKU, Period, Quantity) is accepted too.",
    key=("sku",),
    columns=(C("sku", Kind.TEXT, "SKU", required=True, aliases=("item", "item code", "product", "material"),
               width=14),),
    period_values=C("quantity", Kind.NUMBER, "Quantity", unit="units", minimum=0, number_format="#,##0",
                    width=9, bound=1e10),
    long_columns=(
        C("sku", Kind.TEXT, "SKU", required=True, aliases=("item", "item code", "product", "material")),
        C("period", Kind.PERIOD, "Period", required=True, aliases=("date", "month", "week", "quarter", "ds")),
        C("quantity", Kind.NUMBER, "Quantity", required=True, minimum=0, bound=1e10,
          aliases=("qty", "demand", "sales", "units", "y"),
          description="Blank: the quantity is unknown (missing), not zero."),
    ),
)

RESOURCES = Sheet(
    name="Resources",
    table="tblResources",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    description="Machines, lines and labour pools with their regular and overtime capacity per period.",
    key=("resource",),
    columns=(
        C("resource", Kind.TEXT, "Resource", required=True, aliases=("work center", "line", "machine"), width=16),
        C("description", Kind.TEXT, "Description", width=28),
        C("kind", Kind.TEXT, "Kind", default="machine", allowed=("machine", "line", "labour"), width=10,
          description="labour: capacity comes from the Workforce sheet (headcount x hours)."),
        C("regular_capacity", Kind.NUMBER, "Regular capacity", unit="hours per period", minimum=0, width=13,
          bound=1e8, blank=Blank.UNKNOWN,
          description="Needed for machines and lines; labour pools take theirs from Workforce."),
        C("overtime_capacity", Kind.NUMBER, "Overtime capacity", unit="hours per period", default=0.0,
          minimum=0, width=13, bound=1e8),
        C("regular_cost", Kind.MONEY, "Regular cost", unit="per hour", default=0.0, minimum=0, width=11),
        C("overtime_cost", Kind.MONEY, "Overtime cost", unit="per hour", default=0.0, minimum=0, width=11),
    ),
)

ROUTING = Sheet(
    name="Routing",
    table="tblRouting",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    description="Hours of each resource needed per unit of a SKU (or of every SKU of a family).",
    key=("item", "resource"),
    columns=(
        C("item", Kind.TEXT, "SKU or family", required=True, aliases=("sku", "family", "product"), width=16),
        C("resource", Kind.TEXT, "Resource", required=True, lookup="Resources.resource", width=16),
        C("hours_per_unit", Kind.NUMBER, "Hours per unit", unit="hours", required=True, minimum=0,
          number_format="0.0000", width=12, bound=1e5),
    ),
)

CAPACITY_CALENDAR = Sheet(
    name="CapacityCalendar",
    table="tblCapacityCalendar",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    description="Exceptions to regular capacity: holidays, maintenance, extra shifts. Replaces the "
                "resource's capacity in that period.",
    key=("resource", "period"),
    columns=(
        C("resource", Kind.TEXT, "Resource", required=True, lookup="Resources.resource", width=16),
        C("period", Kind.PERIOD, "Period", required=True, width=10),
        C("regular_capacity", Kind.NUMBER, "Regular capacity", unit="hours", required=True, minimum=0, width=13,
          bound=1e8),
        C("overtime_capacity", Kind.NUMBER, "Overtime capacity", unit="hours", default=None, minimum=0, width=13,
          bound=1e8, blank=Blank.INHERIT,
          description="Blank: the resource's usual overtime capacity."),
        C("reason", Kind.TEXT, "Reason", width=30),
    ),
)

WORKFORCE = Sheet(
    name="Workforce",
    table="tblWorkforce",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    description="Labour pools: people, hours, wages, hiring and layoff costs.",
    key=("resource",),
    columns=(
        C("resource", Kind.TEXT, "Labour pool", required=True, lookup="Resources.resource",
          aliases=("resource", "pool"), width=16),
        C("initial_headcount", Kind.NUMBER, "Initial headcount", unit="people", required=True, minimum=0, width=12,
          bound=1e7),
        C("hours_per_worker", Kind.NUMBER, "Hours per worker", unit="hours per period", required=True,
          minimum=0, width=12, bound=1e4),
        C("wage", Kind.MONEY, "Wage", unit="per worker per period", default=0.0, minimum=0, width=11),
        C("overtime_hours_per_worker", Kind.NUMBER, "Overtime hours per worker", unit="hours per period",
          default=0.0, minimum=0, width=13),
        C("overtime_cost", Kind.MONEY, "Overtime cost", unit="per hour", default=0.0, minimum=0, width=11),
        C("hire_cost", Kind.MONEY, "Hire cost", unit="per person", default=0.0, minimum=0, width=11),
        C("layoff_cost", Kind.MONEY, "Layoff cost", unit="per person", default=0.0, minimum=0, width=11),
        C("min_headcount", Kind.NUMBER, "Min headcount", unit="people", default=0.0, minimum=0, width=11),
        C("max_headcount", Kind.NUMBER, "Max headcount", unit="people", default=None, minimum=0, width=11,
          blank=Blank.UNLIMITED,
          description="Blank: no limit."),
    ),
)

INVENTORY = Sheet(
    name="Inventory",
    table="tblInventory",
    role=Role.INPUT,
    owner=Owner.OPERATIONS,
    description="Opening position of each SKU and the stock wanted at the end of the horizon.",
    key=("sku",),
    columns=(
        C("sku", Kind.TEXT, "SKU", required=True, lookup="Items.sku", aliases=("item",), width=14),
        C("opening_stock", Kind.NUMBER, "Opening stock", unit="units", default=0.0, minimum=0, width=12),
        C("opening_backlog", Kind.NUMBER, "Opening backlog", unit="units", default=0.0, minimum=0, width=12),
        C("target_end_stock", Kind.NUMBER, "Target end stock", unit="units", default=None, minimum=0, width=12,
          blank=Blank.ZERO,
          description="Blank: no end-of-horizon target."),
        C("max_stock", Kind.NUMBER, "Max stock", unit="units", default=None, minimum=0, width=12,
          blank=Blank.UNLIMITED,
          description="Storage limit for this SKU. Blank: no limit."),
    ),
)

INPUT_SHEETS = (SETTINGS, ITEMS, DEMAND_HISTORY, RESOURCES, ROUTING, CAPACITY_CALENDAR, WORKFORCE, INVENTORY)
