"""A linear program as plain arrays: the plan model's one definition of its columns and rows.

Columns are integer indices with a name, bounds and an objective coefficient; rows are a name (business
keys, e.g. ``capacity[Sewing,2027-05]``), sparse coefficients ``{column: coefficient}`` and bounds. No
Python object per variable: `to_highs` hands the arrays to HiGHS in one call (CSR), and `to_pulp` builds
the same program as a pulp `LpProblem` only when CBC or another pulp solver is asked for. Whichever
solver ran, its answer lands here (`x`, `row_dual`), so the plan tables read one thing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

LE, GE, EQ = "<=", ">=", "="
INF = float("inf")

# pulp replaces these characters in names itself; a name must stay unique after that
_PULP_TRANS = str.maketrans("-+[] ->/", "________")


@dataclass(frozen=True)
class Arrays:
    """The program as numpy arrays (rows in CSR form, zero coefficients dropped), minimising
    ``sign * cost``: `sign` is -1 for a maximisation, so HiGHS always minimises."""

    sign: float
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    integers: np.ndarray

    def same_shape(self, other: "Arrays") -> bool:
        """Same columns, rows, sparsity and integrality: `other` differs at most in numbers (costs,
        bounds, right-hand sides, coefficients), so a solver holding this program can be updated to it."""
        return (self.sign == other.sign and len(self.cost) == len(other.cost)
                and len(self.row_lower) == len(other.row_lower) and np.array_equal(self.start, other.start)
                and np.array_equal(self.index, other.index) and np.array_equal(self.integers, other.integers))


class LinearProgram:
    def __init__(self, name: str, *, maximize: bool = False):
        self.name = name
        self.maximize = maximize
        self.col_names: list[str] = []
        self.col_lower: list[float] = []
        self.col_upper: list[float] = []
        self.integers: list[int] = []
        self.objective: dict[int, float] = {}
        self.constant = 0.0
        self.row_names: list[str] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.row_of: dict[str, int] = {}
        self._start: list[int] = [0]
        self._index: list[int] = []
        self._value: list[float] = []
        # the last solve's answer (`set_solution`): column values, row duals d objective / d rhs
        self.x: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None

    # ------------------------------------------------------------------ building
    def add_column(self, name: str, lower: float | None = 0.0, upper: float | None = None,
                   integer: bool = False) -> int:
        j = len(self.col_names)
        self.col_names.append(name)
        self.col_lower.append(-INF if lower is None else lower)
        self.col_upper.append(INF if upper is None else upper)
        if integer:
            self.integers.append(j)
        return j

    def add_row(self, name: str, terms: dict[int, float], sense: str, rhs: float) -> int:
        r = len(self.row_names)
        self.row_names.append(name)
        self._index.extend(terms)
        self._value.extend(terms.values())
        self._start.append(len(self._index))
        self.row_lower.append(-INF if sense == LE else rhs)
        self.row_upper.append(INF if sense == GE else rhs)
        self.row_of[name] = r
        return r

    def set_objective(self, terms: dict[int, float], constant: float = 0.0) -> None:
        self.objective = dict(terms)
        self.constant = float(constant)

    @property
    def n_cols(self) -> int:
        return len(self.col_names)

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @property
    def is_mip(self) -> bool:
        return bool(self.integers)

    def terms(self, r: int) -> dict[int, float]:
        a, b = self._start[r], self._start[r + 1]
        return dict(zip(self._index[a:b], self._value[a:b]))

    # ------------------------------------------------------------------ the answer
    def set_solution(self, x, row_dual=None) -> None:
        self.x = np.nan_to_num(np.asarray(x, float))  # a solver that leaves a column out: 0, as pulp's None was
        self.row_dual = None if row_dual is None else np.asarray(row_dual, float)

    def value(self, col: int | None) -> float:
        return 0.0 if col is None or self.x is None else float(self.x[col])

    def dual(self, row_name: str) -> float | None:
        if self.row_dual is None:
            return None
        pi = float(self.row_dual[self.row_of[row_name]])
        return None if np.isnan(pi) else pi

    def objective_value(self) -> float:
        cols = np.fromiter(self.objective, np.int64, len(self.objective))
        coefs = np.fromiter(self.objective.values(), float, len(self.objective))
        return float(coefs @ self.x[cols]) + self.constant

    def with_integers_fixed(self) -> "LinearProgram":
        """The LP left when every integer column is fixed at its (rounded) value in the answer: rows are
        shared, not copied, so this costs one pass over the columns."""
        fixed = copy.copy(self)
        fixed.col_lower, fixed.col_upper = list(self.col_lower), list(self.col_upper)
        for j in self.integers:
            fixed.col_lower[j] = fixed.col_upper[j] = float(round(self.x[j]))
        fixed.integers = []
        fixed.x = fixed.row_dual = None
        return fixed

    # ------------------------------------------------------------------ hand-over
    def arrays(self) -> Arrays:
        sign = -1.0 if self.maximize else 1.0
        n, m = self.n_cols, self.n_rows
        cost = np.zeros(n)
        if self.objective:
            cost[np.fromiter(self.objective, np.int64, len(self.objective))] = np.fromiter(
                self.objective.values(), float, len(self.objective))
        index = np.asarray(self._index, np.int32)
        value = np.asarray(self._value, float)
        start = np.asarray(self._start, np.int64)
        keep = value != 0.0
        if not keep.all():  # explicit zeros are not coefficients: HiGHS would warn about each
            per_row = np.bincount(np.repeat(np.arange(m), np.diff(start))[keep], minlength=m)
            start = np.concatenate(([0], np.cumsum(per_row)))
            index, value = index[keep], value[keep]
        return Arrays(sign, cost * sign, sign * self.constant, np.asarray(self.col_lower, float),
                      np.asarray(self.col_upper, float), np.asarray(self.row_lower, float),
                      np.asarray(self.row_upper, float), start.astype(np.int32), index, value,
                      np.asarray(self.integers, np.int32))

    def to_highs(self, arrays: Arrays | None = None):
        """A `highspy.HighsLp` of this program (minimising; see `Arrays.sign`) and its integer columns
        (HiGHS takes those after `passModel`, with `changeColsIntegrality`)."""
        import highspy

        a = self.arrays() if arrays is None else arrays
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(a.cost), len(a.row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = a.cost, a.col_lower, a.col_upper
        lp.row_lower_, lp.row_upper_ = a.row_lower, a.row_upper
        lp.offset_ = a.offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(a.cost), len(a.row_lower)
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.start, a.index, a.value
        return lp

    def to_pulp(self):
        """(`pulp.LpProblem`, its variables in column order, its constraints in row order): the same
        program for CBC or any solver pulp knows. Names are made unique after pulp's own mangling."""
        import pulp

        problem = pulp.LpProblem(self.name, pulp.LpMaximize if self.maximize else pulp.LpMinimize)
        taken: set[str] = set()
        variables = []
        for j, name in enumerate(self.col_names):
            up = self.col_upper[j]
            lo = self.col_lower[j]
            var = problem.add_variable(_unique(name, taken), None if lo == -INF else lo, None if up == INF else up,
                                       pulp.LpContinuous)
            variables.append(var)
        for j in self.integers:
            variables[j].cat = pulp.LpInteger
        taken = set()
        constraints = []
        for r, name in enumerate(self.row_names):
            a, b = self._start[r], self._start[r + 1]
            expr = pulp.LpAffineExpression()
            dict.update(expr, {variables[j]: v for j, v in zip(self._index[a:b], self._value[a:b])})
            lo, up = self.row_lower[r], self.row_upper[r]
            sense, rhs = ((pulp.LpConstraintEQ, lo) if lo == up else (pulp.LpConstraintLE, up) if lo == -INF
                          else (pulp.LpConstraintGE, lo))
            constraint = pulp.LpConstraint(expr, sense, _unique(name, taken), float(rhs))
            problem.addConstraint(constraint)
            constraints.append(constraint)
        objective = pulp.LpAffineExpression(constant=self.constant)
        dict.update(objective, {variables[j]: c for j, c in self.objective.items() if c})
        problem.setObjective(objective)
        return problem, variables, constraints

    def take_pulp_solution(self, variables, constraints) -> None:
        """The answer a pulp solver left on the variables and constraints of `to_pulp`."""
        x = np.fromiter((np.nan if v.varValue is None else v.varValue for v in variables), float, len(variables))
        pi = np.fromiter((np.nan if c.pi is None else c.pi for c in constraints), float, len(constraints))
        self.set_solution(x, pi)


def _unique(name: str, taken: set[str]) -> str:
    unique = name.translate(_PULP_TRANS)
    while unique in taken:
        unique += "'"
    taken.add(unique)
    return unique
