"""pulp and highspy internals the plan relies on (issue 11): all in sop_xl/plan/pulp_internals.py,
checked here so an upgrade that changes them fails loudly instead of planning wrong."""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

import highspy
import pulp

from sop_xl.plan import pulp_internals as pi

PLAN_DIR = Path(pi.__file__).parent


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def test_installed_versions_are_the_ones_the_internals_were_checked_against():
    installed = {"pulp": _major_minor(pulp.__version__), "highspy": _major_minor(md.version("highspy"))}
    assert installed == pi.CHECKED_VERSIONS, (
        f"pulp/highspy changed ({installed} installed, {pi.CHECKED_VERSIONS} checked): re-read "
        "sop_xl/plan/pulp_internals.py against the new versions, run tests/plan, then update CHECKED_VERSIONS")


def test_every_private_name_used_still_exists():
    problem = pulp.LpProblem("p", pulp.LpMinimize)
    x = problem.add_variable("x", 0, None, pulp.LpContinuous)
    problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression({x: 1.0}), pulp.LpConstraintGE, "c", 1.0))
    objects = {"LpProblem": problem, "HiGHS": pulp.HiGHS(msg=False), "LpConstraint": pi.constraints(problem)["c"],
               "LpVariable": x}
    missing = [f"{cls}.{name}" for cls, names in pi.PULP_PRIVATE.items() for name in names
               if not hasattr(objects[cls], name) and name not in ("solverModel", "pi", "slack", "dj", "varValue",
                                                                   "modifier", "modified", "optionsDict")]
    assert not missing, f"pulp no longer has {missing}: adapt sop_xl/plan/pulp_internals.py"
    assert isinstance(pi.constraints(problem), dict) and pi.n_constraints(problem) == 1
    h = highspy.Highs()
    assert not [n for n in pi.HIGHSPY_API if not hasattr(h, n)]


def test_the_fast_highs_interface_still_solves_through_pulp():
    problem = pulp.LpProblem("p", pulp.LpMinimize)
    x = problem.add_variable("x", 0, None, pulp.LpContinuous)
    problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression({x: 1.0}), pulp.LpConstraintGE, "c", 2.0))
    problem.setObjective(pulp.LpAffineExpression({x: 3.0}))
    solver = pi.FastHiGHS(msg=False, lp_algorithm="simplex")
    problem.solve(solver)
    assert x.varValue == 2.0 and pi.constraints(problem)["c"].pi == 3.0


def test_no_other_plan_module_touches_pulp_internals():
    offenders = []
    for path in PLAN_DIR.glob("*.py"):
        if path.name == "pulp_internals.py":
            continue
        text = path.read_text()
        if re.search(r"\._constraints\b|class \w+\(pulp\.HiGHS\)", text):
            offenders.append(path.name)
    assert not offenders


def test_the_plan_reads_other_stages_sheets_through_their_contract_declarations():
    # issue 11: no private copies of Consensus / Forecast / ForecastIntervals in commands/plan.py
    from sop_xl.commands import plan as command
    from sop_xl.contract import WORKBOOK
    for view in (command._CONSENSUS, command._FORECAST):
        declared = WORKBOOK.sheet(view.name)
        assert view.table == declared.table and view.period_values == declared.period_values
        assert all(c is declared.column(c.name) for c in view.columns)
