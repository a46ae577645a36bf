"""Every dependency of the plan on pulp's and highspy's internals, in one place.

Checked against pulp 3.3.2 and highspy 1.16.0 (pyproject pins pulp>=3.3,<4, highspy>=1.7): `FastHiGHS`
replaces pulp.HiGHS's model hand-over (bulk numpy arrays instead of one call per column and row) and reads
every HiGHS status itself (pulp 3.x maps a time-out to "Optimal"). The plan model itself needs none of
this (lp.py hands its arrays to highspy's public `passModel`); FastHiGHS serves pulp problems given to
`solve_model` as they are.
"""

from __future__ import annotations

import numpy as np
import pulp
from pulp import constants as C

# the versions this module was read and tested against; tests/plan/test_pulp_internals.py fails loudly
# (naming what changed) when the installed libraries differ, so this module is re-checked on upgrade
CHECKED_VERSIONS = {"pulp": "3.3", "highspy": "1.16"}

# what the code below touches, by library: tests check each one exists
PULP_PRIVATE = {
    "LpProblem": ("_constraints", "add_variable", "solverModel", "assignStatus", "variables", "addConstraint"),
    "HiGHS": ("createAndConfigureSolver", "buildSolverModel", "callSolver", "findSolutionValues",
              "actualSolve", "mip", "optionsDict"),
    "LpConstraint": ("getLb", "getUb", "constant", "modifier", "pi", "slack"),
    "LpVariable": ("varValue", "dj", "modified", "lowBound", "upBound", "cat"),
}
HIGHSPY_API = ("addCols", "addRows", "changeObjectiveOffset", "changeColsIntegrality", "getSolution", "getInfo",
               "getModelStatus", "setOptionValue", "run", "passModel", "changeColsCost", "changeColsBounds",
               "changeRowsBounds", "changeCoeff")


def constraints(problem: pulp.LpProblem) -> dict:
    """pulp keeps the rows in a private dict name -> LpConstraint (no public accessor without a copy)."""
    return problem._constraints


def n_constraints(problem: pulp.LpProblem) -> int:
    return len(problem._constraints)


class FastHiGHS(pulp.HiGHS):
    """pulp's HiGHS interface with the model passed to highspy in bulk (numpy arrays) instead of one
    addCol/addRow call per variable and row, duals signed like CBC (d objective / d rhs, in the
    problem's own sense), and every HiGHS model status understood."""

    def __init__(self, *, crossover: bool = True, lp_algorithm: str = "auto", **kwargs):
        super().__init__(**kwargs)
        self.crossover = crossover
        self.lp_algorithm = lp_algorithm
        self.run_seconds = 0.0
        self.variables: list = []  # lp.variables() costs a pass over every row: taken once per solve
        self.is_mip = False

    def actualSolve(self, lp):
        # pulp's own actualSolve walks lp.variables() again at the end; this one walks it once
        self.variables = lp.variables()
        self.is_mip = self.mip and any(v.cat == C.LpInteger for v in self.variables)
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self.callSolver(lp)
        status, sol_status = self.findSolutionValues(lp)
        for v in self.variables:
            v.modified = False
        for c in lp._constraints.values():
            c.modifier = False
        lp.assignStatus(status, sol_status)
        return status

    def createAndConfigureSolver(self, lp):
        super().createAndConfigureSolver(lp)
        h = lp.solverModel
        if not self.is_mip:
            from .solve import pick_lp_algorithm
            self.lp_algorithm = pick_lp_algorithm(len(self.variables), self.lp_algorithm)
            h.setOptionValue("solver", self.lp_algorithm)
            if self.lp_algorithm == "ipm":
                h.setOptionValue("run_crossover", "on" if self.crossover else "off")

    def callSolver(self, lp):
        from .solve import run_highs
        self.run_seconds = run_highs(lp.solverModel, sign=-1.0 if lp.sense == C.LpMaximize else 1.0)

    def buildSolverModel(self, lp):
        import highspy
        inf = highspy.kHighsInf
        sense = -1.0 if lp.sense == C.LpMaximize else 1.0
        variables = self.variables
        for i, v in enumerate(variables):
            v.index = i
        n = len(variables)
        objective = lp.objective
        cost = np.fromiter((objective.get(v, 0.0) for v in variables), float, n) * sense
        lower = np.fromiter((-inf if v.lowBound is None else v.lowBound for v in variables), float, n)
        upper = np.fromiter((inf if v.upBound is None else v.upBound for v in variables), float, n)
        h = lp.solverModel
        h.addCols(n, cost, lower, upper, 0, np.zeros(n, np.int32), np.zeros(0, np.int32), np.zeros(0))
        if objective.constant:
            h.changeObjectiveOffset(sense * float(objective.constant))
        integers = np.array([v.index for v in variables if v.cat == C.LpInteger], np.int32)
        if len(integers) and self.is_mip:
            h.changeColsIntegrality(len(integers), integers, np.ones(len(integers), np.uint8))
        rows = list(lp._constraints.values())
        starts, index, value = [], [], []
        row_lo = np.empty(len(rows))
        row_up = np.empty(len(rows))
        for r, c in enumerate(rows):
            c.index = r
            starts.append(len(index))
            for v, a in c.items():
                if a:
                    index.append(v.index)
                    value.append(a)
            lb, ub = c.getLb(), c.getUb()
            row_lo[r] = -inf if lb is None else lb
            row_up[r] = inf if ub is None else ub
        h.addRows(len(rows), row_lo, row_up, len(index), np.array(starts, np.int32), np.array(index, np.int32),
                  np.array(value, float))

    def findSolutionValues(self, lp):
        h = lp.solverModel
        solution = h.getSolution()
        sense = -1.0 if lp.sense == C.LpMaximize else 1.0
        values, duals = solution.col_value, solution.col_dual
        for v in self.variables:
            v.varValue = values[v.index]
            v.dj = sense * duals[v.index] if len(duals) else None
        row_values, row_duals = solution.row_value, solution.row_dual
        for c in lp._constraints.values():
            c.slack = -(c.constant + row_values[c.index]) if c.sense == C.LpConstraintLE \
                else c.constant + row_values[c.index]
            c.pi = sense * row_duals[c.index] if len(row_duals) else None
        from .solve import _highs_status
        return _highs_status(h)[1]
