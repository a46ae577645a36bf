"""Sheets of the reconciliation and executive review: budget, financial plan, scenarios,
dashboard and the action plan the S&OP meeting leaves with."""

from __future__ import annotations

from .schema import Column, Kind, Owner, Role, Sheet

C = Column

_FAMILY = C("family", Kind.TEXT, "Family", required=True, aliases=("product family", "group"), width=16)
_PERIOD = C("period", Kind.PERIOD, "Period", required=True, aliases=("month", "week", "quarter", "date", "ds"),
            width=10)
_MONEY = "#,##0"
_UNITS = "#,##0"

BUDGET = Sheet(
    name="Budget",
    table="tblBudget",
    role=Role.INPUT,
    owner=Owner.FINANCE,
    stage="executive",
    description="Finance's budget per family and period: paste volume and revenue (margin optional).",
    key=("family", "period"),
    columns=(
        _FAMILY, _PERIOD,
        C("volume", Kind.NUMBER, "Budget volume", unit="units", minimum=0, number_format=_UNITS, width=12,
          aliases=("units", "quantity", "budget units")),
        C("revenue", Kind.MONEY, "Budget revenue", minimum=0, number_format=_MONEY, width=14,
          aliases=("sales", "budget sales")),
        C("margin", Kind.MONEY, "Budget margin", number_format=_MONEY, width=14,
          aliases=("gross margin", "budget gross margin"), description="Gross margin budget. Blank: not compared."),
    ),
)

FINANCIALS = Sheet(
    name="Financials",
    table="tblFinancials",
    role=Role.OUTPUT,
    owner=Owner.FINANCE,
    stage="executive",
    description="The plan in money per family and period: unconstrained (all demand) and constrained (what the "
                "supply plan ships), revenue lost to shortages, inventory, working capital, gap to budget.",
    key=("family", "period"),
    columns=(
        C("family", Kind.TEXT, "Family", width=16),
        C("period", Kind.PERIOD, "Period", width=10),
        C("demand_source", Kind.TEXT, "Demand from", width=12,
          description="Consensus (final), Forecast (statistical) or Demand (input), the first that exists."),
        C("demand_units", Kind.NUMBER, "Demand", unit="units", number_format=_UNITS, width=11,
          description="Demand of the period; the first period includes the opening backlog (orders already "
                      "taken are demand of the horizon)."),
        C("unconstrained_revenue", Kind.MONEY, "Revenue (unconstrained)", number_format=_MONEY, width=14,
          description="Demand x price: every unit of demand sold. The plan's Revenue never exceeds it."),
        C("unconstrained_margin", Kind.MONEY, "Gross margin (unconstrained)", number_format=_MONEY, width=14),
        C("shipped_units", Kind.NUMBER, "Shipped", unit="units", number_format=_UNITS, width=11,
          description="Demand + backlog carried in - backlog carried out - lost sales (from SupplyPlan)."),
        C("revenue", Kind.MONEY, "Revenue", number_format=_MONEY, width=14, description="Shipped x price."),
        C("cogs", Kind.MONEY, "Cost of goods", number_format=_MONEY, width=14, description="Shipped x unit cost."),
        C("gross_margin", Kind.MONEY, "Gross margin", number_format=_MONEY, width=14),
        C("gross_margin_pct", Kind.PERCENT, "Gross margin %", width=10),
        C("lost_units", Kind.NUMBER, "Lost sales", unit="units", number_format=_UNITS, width=10),
        C("lost_revenue", Kind.MONEY, "Revenue lost", number_format=_MONEY, width=13,
          description="Lost sales x price: revenue the shortages cost for good."),
        C("backlog_units", Kind.NUMBER, "Backlog", unit="units", number_format=_UNITS, width=10),
        C("delayed_revenue", Kind.MONEY, "Revenue delayed", number_format=_MONEY, width=13,
          description="Backlog at the period end x price: revenue shortages push to later periods."),
        C("inventory_units", Kind.NUMBER, "Inventory", unit="units", number_format=_UNITS, width=11),
        C("inventory_value", Kind.MONEY, "Inventory value", number_format=_MONEY, width=14,
          description="Inventory at the period end x unit cost."),
        C("receipts_units", Kind.NUMBER, "Scheduled receipts", unit="units", number_format=_UNITS, width=11,
          description="Units already in production or on order arriving in the period (ScheduledReceipts, as "
                      "SupplyPlan counts them)."),
        C("committed_spend", Kind.MONEY, "Committed spend", number_format=_MONEY, width=13,
          description="Scheduled receipts x unit cost: spend already committed (released work orders, open "
                      "purchase orders), paid as the units arrive whatever the plan decides. The units are in "
                      "cost of goods when they ship, like made ones."),
        C("material_spend", Kind.MONEY, "Material spend", number_format=_MONEY, width=13,
          description="Committed spend + production started in the period x unit cost (PlanCost's material "
                      "line): the material cash out of the period. Subcontracted units are on PlanCost at "
                      "their subcontract cost."),
        C("working_capital", Kind.MONEY, "Working capital", number_format=_MONEY, width=14,
          description="Inventory value + receivables (a month of revenue: one period of a monthly plan, a "
                      "third of a quarter's, 4.3 weeks') - payables (a month of cost of goods, likewise)."),
        C("budget_volume", Kind.NUMBER, "Budget volume", unit="units", number_format=_UNITS, width=12),
        C("budget_revenue", Kind.MONEY, "Budget revenue", number_format=_MONEY, width=14),
        C("revenue_gap", Kind.MONEY, "Gap to budget", number_format=_MONEY, width=13,
          description="Revenue - budget revenue (negative: below budget)."),
        C("revenue_gap_pct", Kind.PERCENT, "Gap to budget %", width=10),
        C("volume_gap", Kind.NUMBER, "Volume gap", unit="units", number_format=_UNITS, width=11,
          description="Shipped - budget volume."),
        C("margin_gap", Kind.MONEY, "Margin gap", number_format=_MONEY, width=13,
          description="Gross margin - budget margin (blank without a budget margin)."),
    ),
)

LEVERS = ("demand", "capacity", "price", "cost", "service_level", "whole_headcount")

SCENARIOS = Sheet(
    name="Scenarios",
    table="tblScenarios",
    role=Role.INPUT,
    owner=Owner.EXECUTIVE,
    stage="executive",
    description="Named what-ifs, one change per row (a scenario may have several rows). The plan is re-run for "
                "each scenario and compared with the base plan on ScenarioComparison.",
    columns=(
        C("scenario", Kind.TEXT, "Scenario", required=True, aliases=("name", "what if"), width=18),
        C("lever", Kind.TEXT, "Change", required=True, allowed=LEVERS, aliases=("lever", "what"), width=15,
          description="demand, capacity, price, cost: multiply by Value; service_level: Value is the level "
                      "(e.g. 98%); whole_headcount: Value yes or no."),
        C("applies_to", Kind.TEXT, "Applies to", aliases=("family", "sku", "resource", "target"), width=16,
          description="A family or SKU (demand, price, cost), a resource (capacity, cost). Blank: everything."),
        C("from_period", Kind.PERIOD, "From period", aliases=("from", "period"), width=10,
          description="demand and capacity only. Blank: the first period of the plan."),
        C("to_period", Kind.PERIOD, "To period", aliases=("to", "until"), width=10,
          description="demand and capacity only. Blank: the end of the horizon."),
        C("value", Kind.TEXT, "Value", required=True, width=10, number_format="General",
          description="A multiplier (1.2 or 120% = +20%), a service level (98%), or yes/no."),
        C("note", Kind.TEXT, "Note", width=40),
    ),
)

SCENARIO_COMPARISON = Sheet(
    name="ScenarioComparison",
    table="tblScenarioComparison",
    role=Role.OUTPUT,
    owner=Owner.EXECUTIVE,
    stage="executive",
    description="Each scenario's plan side by side with the base plan. Promote one with "
                "`sop-xl scenarios WORKBOOK --promote NAME` to make it the plan of record.",
    key=("scenario",),
    columns=(
        C("scenario", Kind.TEXT, "Scenario", width=18),
        C("kind", Kind.TEXT, "Kind", width=9, allowed=("base", "decision", "risk"),
          description="decision: price, capacity, service level or workforce changes the company decides (the "
                      "Dashboard's best decision is one of these); risk: demand or cost what-ifs, reported as risks."),
        C("changes", Kind.TEXT, "Changes", width=40),
        C("status", Kind.TEXT, "Plan status", width=11),
        C("service_level", Kind.PERCENT, "Service level", width=10,
          description="Share of item-periods whose demand ships in full and on time."),
        C("fill_rate", Kind.PERCENT, "Fill rate", width=9,
          description="Units shipped on time / demand (the Dashboard's Fill rate for the plan of record)."),
        C("revenue", Kind.MONEY, "Revenue", number_format=_MONEY, width=14,
          description="Shipped x price, as on Financials (the plan of record's row equals the Financials total)."),
        C("gross_margin", Kind.MONEY, "Gross margin", number_format=_MONEY, width=14,
          description="Revenue - cost of goods at standard unit cost, as on Financials."),
        C("total_cost", Kind.MONEY, "Total plan cost", number_format=_MONEY, width=14,
          description="The plan's cost (PlanCost total: material, labour, holding, penalties)."),
        C("contribution", Kind.MONEY, "Contribution after plan costs", number_format=_MONEY, width=14,
          description="Revenue - the plan's cash costs (total plan cost without backlog, lost-sales and "
                      "safety-stock penalties). Not the gross margin: it also pays labour, overtime and holding."),
        C("average_inventory_value", Kind.MONEY, "Average inventory value", number_format=_MONEY, width=14,
          description="Mean over the periods of the inventory value at cost (the Dashboard's Days of supply "
                      "divides it by cost of goods per day)."),
        C("ending_inventory", Kind.NUMBER, "Ending inventory", unit="units", number_format=_UNITS, width=12,
          description="Inventory at the end of the horizon; Inventory.Target end stock sets it when given."),
        C("ending_inventory_value", Kind.MONEY, "Ending inventory value", number_format=_MONEY, width=14),
        C("utilisation", Kind.PERCENT, "Capacity utilisation", width=10,
          description="Used / regular hours over all resources and periods."),
        C("peak_utilisation", Kind.PERCENT, "Peak utilisation", width=10,
          description="Highest used / regular hours of any resource in any period."),
        C("overtime_hours", Kind.NUMBER, "Overtime", unit="hours", number_format=_UNITS, width=10),
        C("hires", Kind.NUMBER, "Hires", unit="people", number_format="#,##0.0", width=8),
        C("layoffs", Kind.NUMBER, "Layoffs", unit="people", number_format="#,##0.0", width=8),
        C("cost_vs_base", Kind.MONEY, "Plan cost vs base", number_format=_MONEY, width=13),
        C("contribution_vs_base", Kind.MONEY, "Contribution vs base", number_format=_MONEY, width=13),
        C("plan_of_record", Kind.BOOL, "Plan of record", width=9),
    ),
)

DASHBOARD = Sheet(
    name="Dashboard",
    table="tblDashboard",
    role=Role.OUTPUT,
    owner=Owner.EXECUTIVE,
    stage="executive",
    description="The KPIs of the S&OP meeting. Status: on track, watch, off track. Charts on the right.",
    key=("kpi",),
    columns=(
        C("area", Kind.TEXT, "Area", width=11),
        C("kpi", Kind.TEXT, "KPI", width=26),
        C("value", Kind.NUMBER, "Value", number_format="#,##0.0", width=13),
        C("unit", Kind.TEXT, "Unit", width=7),
        C("target", Kind.NUMBER, "Target", number_format="#,##0.0", width=11),
        C("status", Kind.TEXT, "Status", allowed=("on track", "watch", "off track", "n/a"), width=10),
        C("comment", Kind.TEXT, "Comment", width=46),
    ),
)

DASHBOARD_DATA = Sheet(
    name="DashboardData",
    table="tblDashboardData",
    role=Role.OUTPUT,
    owner=Owner.SOP_XL,
    stage="executive",
    description="The numbers behind the Dashboard charts, one block per chart.",
    columns=(
        C("chart", Kind.TEXT, "Chart", width=14),
        C("group", Kind.TEXT, "Family / resource", width=16),
        C("label", Kind.TEXT, "Period / scenario", width=16),
        C("history", Kind.NUMBER, "Actuals", number_format=_UNITS, width=10,
          description="Demand history (DemandHistory) of the periods before the horizon."),
        C("demand", Kind.NUMBER, "Consensus", number_format=_UNITS, width=10,
          description="The demand the plan uses: consensus (final), else the forecast, else the Demand sheet."),
        C("forecast", Kind.NUMBER, "Statistical forecast", number_format=_UNITS, width=11),
        C("plan", Kind.NUMBER, "Plan (shipped)", number_format=_UNITS, width=10),
        C("load", Kind.NUMBER, "Load", unit="hours", number_format=_UNITS, width=10),
        C("capacity", Kind.NUMBER, "Regular capacity", unit="hours", number_format=_UNITS, width=10),
        C("max_capacity", Kind.NUMBER, "Regular + overtime", unit="hours", number_format=_UNITS, width=10),
        C("inventory", Kind.NUMBER, "Inventory", unit="units", number_format=_UNITS, width=10),
        C("safety_stock", Kind.NUMBER, "Safety stock", unit="units", number_format=_UNITS, width=10),
        C("total_cost", Kind.MONEY, "Total cost", number_format=_MONEY, width=13),
        C("contribution", Kind.MONEY, "Contribution after plan costs", number_format=_MONEY, width=13),
    ),
)

ACTION_STATUSES = ("open", "in progress", "done", "dropped")

ACTION_PLAN = Sheet(
    name="ActionPlan",
    table="tblActionPlan",
    role=Role.BOTH,
    owner=Owner.EXECUTIVE,
    stage="executive",
    description="What the meeting decided to do. Seeded from the plan; edit Owner, Due, Status and Comment - "
                "your edits are kept by the next run (rows are matched on Key).",
    key=("key",),
    columns=(
        C("key", Kind.TEXT, "Key", required=True, width=28,
          description="Stable id of the finding (category|subject); do not change it."),
        C("category", Kind.TEXT, "Category", width=14),
        C("subject", Kind.TEXT, "Subject", width=16),
        C("period", Kind.TEXT, "First period", width=10),
        C("finding", Kind.TEXT, "Finding", width=60),
        C("suggested_action", Kind.TEXT, "Suggested action", width=44),
        C("impact", Kind.MONEY, "Impact", number_format=_MONEY, width=12,
          description="Money at stake (cost, revenue or inventory value)."),
        C("owner", Kind.TEXT, "Owner", width=16,
          description="Free text: a person or a team (e.g. Anna (Ops)). Seeded with the team that usually acts."),
        C("due", Kind.DATE, "Due", width=11),
        C("status", Kind.TEXT, "Status", default="open", allowed=ACTION_STATUSES, width=11),
        C("comment", Kind.TEXT, "Comment", width=36),
        C("still_flagged", Kind.BOOL, "Still flagged", width=9,
          description="no: the last run no longer finds this; kept because the team edited it."),
    ),
)

EXECUTIVE_SHEETS = (BUDGET, FINANCIALS, SCENARIOS, SCENARIO_COMPARISON, DASHBOARD, ACTION_PLAN, DASHBOARD_DATA)
