"""What-if scenarios: levers applied to the plan's inputs, each solved by the plan core, compared.

    inputs = PlanInputs(frames={...contract frames..., "demand": long sku/ds/demand}, settings=PlanSettings())
    outcomes = run_scenarios(inputs, [Scenario("Boom", (Lever("demand", value=2.0),))])
    comparison_table(outcomes)
"""

from .compare import COMPARISON, Outcome, comparison_table, plan_kpis, run_scenarios, solve_scenario
from .levers import BASE, Lever, PlanInputs, Scenario, apply_scenario, horizon, parse_scenarios

__all__ = ["BASE", "COMPARISON", "Lever", "Outcome", "PlanInputs", "Scenario", "apply_scenario",
           "comparison_table", "horizon", "parse_scenarios", "plan_kpis", "run_scenarios", "solve_scenario"]
