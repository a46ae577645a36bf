"""A linear program as plain arrays: the plan model's one definition of its columns and rows.

Columns are integer indices, added a block at a time (``make`` for every item and period) with their
bounds; rows are added a block at a time too, each row named from business keys
(``capacity[Sewing,2027-05]``) with its coefficients ``sum_k coef[r, k] * x[cols[r, k]]`` (a column -1
is no term). No Python object per variable or row: `pass_to` hands the arrays to HiGHS in one call
(CSR), and `to_pulp` builds the same program as a pulp `LpProblem` only when CBC or another pulp
solver is asked for. Whichever solver ran, its answer lands here (`x`, `row_dual`), so the plan
tables read one thing. Names are made only when asked for (`col_names`, `row_names`, `to_pulp`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

LE, GE, EQ = "<=", ">=", "="
INF = float("inf")
ABSENT = -1  # "no such variable" in a block of column indices

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
        self.n_cols = 0
        self.n_rows = 0
        self._col_blocks: list[tuple[str, tuple]] = []     # (family, keys): names on demand
        self._col_lower: list[np.ndarray] = []
        self._col_upper: list[np.ndarray] = []
        self._integers: list[np.ndarray] = []
        self._row_blocks: list[tuple[str, tuple]] = []
        self._row_lower: list[np.ndarray] = []
        self._row_upper: list[np.ndarray] = []
        self._row_count: list[np.ndarray] = []              # terms per row
        self._row_index: list[np.ndarray] = []
        self._row_value: list[np.ndarray] = []
        self._cost = np.zeros(0)
        self.constant = 0.0
        self._arrays: Arrays | None = None
        self._row_of: dict[str, int] | None = None
        # the last solve's answer (`set_solution`): column values, row duals d objective / d rhs
        self.x: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None

    # ------------------------------------------------------------------ building
    def add_columns(self, family: str, keys: tuple, lower=0.0, upper=None, *, integer: bool = False) -> np.ndarray:
        """One column per key (`keys`: one array per key part); returns their indices."""
        n = len(keys[0])
        first = self.n_cols
        self.n_cols += n
        self._col_blocks.append((family, keys))
        self._col_lower.append(np.broadcast_to(np.asarray(-INF if lower is None else lower, float), (n,)))
        self._col_upper.append(np.broadcast_to(np.asarray(INF if upper is None else upper, float), (n,)))
        if integer:
            self._integers.append(np.arange(first, first + n))
        self._arrays = None
        return np.arange(first, first + n)

    def add_rows(self, family: str, keys: tuple, terms: list[tuple[np.ndarray, object]], sense: str,
                 rhs) -> np.ndarray:
        """One row per key: ``sum of coef * x[col] over `terms` (sense) rhs``. Each term is (columns,
        coefficients) with one column per row (ABSENT: no term in that row) and a coefficient per row or one
        for all; an array of shape (rows, k) adds k terms per row. Returns the rows' indices."""
        n = len(keys[0])
        blocks = [_per_row(c, np.int64) for c, _ in terms]
        cols = np.concatenate(blocks, axis=1)
        coefs = np.concatenate([np.broadcast_to(_per_row(a, float) if np.ndim(a) else float(a), c.shape)
                                for c, (_, a) in zip(blocks, terms)], axis=1)
        keep = (cols != ABSENT) & (coefs != 0.0)  # an explicit zero is no coefficient (HiGHS warns about each)
        self._row_count.append(keep.sum(axis=1))
        self._row_index.append(cols[keep])
        self._row_value.append(coefs[keep])
        rhs = np.broadcast_to(np.asarray(rhs, float), (n,))
        self._row_lower.append(np.full(n, -INF) if sense == LE else rhs)
        self._row_upper.append(np.full(n, INF) if sense == GE else rhs)
        self._row_blocks.append((family, keys))
        first = self.n_rows
        self.n_rows += n
        self._arrays = self._row_of = None
        return np.arange(first, first + n)

    def set_objective(self, cols: np.ndarray, coefs, constant: float = 0.0) -> None:
        """Objective sum coef * x[col] + constant; a column listed twice adds up."""
        cost = np.zeros(self.n_cols)
        cols = np.asarray(cols, np.int64)
        np.add.at(cost, cols, np.broadcast_to(np.asarray(coefs, float), cols.shape))
        self._cost = cost
        self.constant = float(constant)
        self._arrays = None

    @property
    def is_mip(self) -> bool:
        return any(len(b) for b in self._integers)

    @property
    def integers(self) -> np.ndarray:
        return np.concatenate(self._integers).astype(np.int32) if self._integers else np.zeros(0, np.int32)

    @property
    def col_names(self) -> list[str]:
        return _names(self._col_blocks)

    @property
    def row_names(self) -> list[str]:
        return _names(self._row_blocks)

    def row_of(self, name: str) -> int:
        if self._row_of is None:
            self._row_of = {n: r for r, n in enumerate(self.row_names)}  # a repeated name: the last row
        return self._row_of[name]

    # ------------------------------------------------------------------ the answer
    def set_solution(self, x, row_dual=None) -> None:
        self.x = np.nan_to_num(np.asarray(x, float))  # a solver that leaves a column out: 0, as pulp's None was
        self.row_dual = None if row_dual is None else np.asarray(row_dual, float)

    def value(self, col: int | None) -> float:
        return 0.0 if col is None or col == ABSENT or self.x is None else float(self.x[col])

    def values(self, cols: np.ndarray) -> np.ndarray:
        """Values of a block of columns (0 where ABSENT)."""
        cols = np.asarray(cols, np.int64)
        return np.where(cols == ABSENT, 0.0, self.x[np.maximum(cols, 0)])

    def duals(self, rows: np.ndarray) -> np.ndarray | None:
        return None if self.row_dual is None else self.row_dual[np.asarray(rows, np.int64)]

    def dual(self, row_name: str) -> float | None:
        if self.row_dual is None:
            return None
        pi = float(self.row_dual[self.row_of(row_name)])
        return None if np.isnan(pi) else pi

    def objective_value(self) -> float:
        return float(self.arrays().cost @ self.x) * self.arrays().sign + self.constant

    def with_integers_fixed(self) -> "LinearProgram":
        """The LP left when every integer column is fixed at its (rounded) value in the answer: rows are
        shared, not copied."""
        fixed = copy.copy(self)
        integers = self.integers
        a = self.arrays()
        lower, upper = a.col_lower.copy(), a.col_upper.copy()
        lower[integers] = upper[integers] = np.round(self.x[integers])
        fixed._col_lower, fixed._col_upper, fixed._integers = [lower], [upper], []
        fixed._arrays = None
        fixed.x = fixed.row_dual = None
        return fixed

    # ------------------------------------------------------------------ hand-over
    def arrays(self) -> Arrays:
        if self._arrays is None:
            sign = -1.0 if self.maximize else 1.0
            cost = np.zeros(self.n_cols)
            cost[:len(self._cost)] = self._cost
            start = np.zeros(self.n_rows + 1, np.int32)
            if self.n_rows:
                np.cumsum(np.concatenate(self._row_count), out=start[1:])
            self._arrays = Arrays(
                sign, _rounded(cost * sign), float(_rounded(np.array([sign * self.constant]))[0]),
                _rounded(_cat(self._col_lower)), _rounded(_cat(self._col_upper)), _rounded(_cat(self._row_lower)),
                _rounded(_cat(self._row_upper)), start, _cat(self._row_index, np.int32),
                _rounded(_cat(self._row_value)), self.integers)
        return self._arrays

    def pass_to(self, h, arrays: Arrays | None = None) -> None:
        """Load this program into the `highspy.Highs` `h` (minimising; see `Arrays.sign`), integer columns
        included, in one call that reads the numpy arrays in place. highspy 1.16's `passModel` overload
        with 15 arguments (highs_bindings.cpp `highs_passLpPointers`: `dense_array_t` buffers handed to
        `Highs::passModel(num_col, num_row, num_nz, a_format, sense, offset, ..., integrality)`) takes
        0.006 s for the 52,512-column bench LP where filling a `HighsLp` (pybind11 converts
        each element of each vector) took 0.06 s; the two give HiGHS the same model (same iterations)."""
        import highspy

        a = self.arrays() if arrays is None else arrays
        integrality = np.zeros(len(a.cost), np.int32)
        integrality[a.integers] = int(highspy.HighsVarType.kInteger)
        status = h.passModel(len(a.cost), len(a.row_lower), len(a.value), int(highspy.MatrixFormat.kRowwise),
                             int(highspy.ObjSense.kMinimize), a.offset, a.cost, a.col_lower, a.col_upper,
                             a.row_lower, a.row_upper, a.start, a.index, a.value, integrality)
        if status == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS refused the model {self.name!r}")

    def to_pulp(self):
        """(`pulp.LpProblem`, its variables in column order, its constraints in row order): the same
        program for CBC or any solver pulp knows. Names are made unique after pulp's own mangling."""
        import pulp

        a = self.arrays()
        problem = pulp.LpProblem(self.name, pulp.LpMaximize if self.maximize else pulp.LpMinimize)
        taken: set[str] = set()
        variables = []
        for name, lo, up in zip(self.col_names, a.col_lower.tolist(), a.col_upper.tolist()):
            variables.append(problem.add_variable(_unique(name, taken), None if lo == -INF else lo,
                                                  None if up == INF else up, pulp.LpContinuous))
        for j in a.integers.tolist():
            variables[j].cat = pulp.LpInteger
        taken = set()
        constraints = []
        start, index, value = a.start.tolist(), a.index.tolist(), a.value.tolist()
        for r, name in enumerate(self.row_names):
            expr = pulp.LpAffineExpression()
            dict.update(expr, {variables[j]: v for j, v in zip(index[start[r]:start[r + 1]],
                                                                value[start[r]:start[r + 1]])})
            lo, up = float(a.row_lower[r]), float(a.row_upper[r])
            sense, rhs = ((pulp.LpConstraintEQ, lo) if lo == up else (pulp.LpConstraintLE, up) if lo == -INF
                          else (pulp.LpConstraintGE, lo))
            constraint = pulp.LpConstraint(expr, sense, _unique(name, taken), rhs)
            problem.addConstraint(constraint)
            constraints.append(constraint)
        objective = pulp.LpAffineExpression(constant=self.constant)
        cost = a.cost * a.sign
        dict.update(objective, {variables[j]: float(cost[j]) for j in np.flatnonzero(cost).tolist()})
        problem.setObjective(objective)
        return problem, variables, constraints

    def take_pulp_solution(self, variables, constraints) -> None:
        """The answer a pulp solver left on the variables and constraints of `to_pulp`."""
        x = np.fromiter((np.nan if v.varValue is None else v.varValue for v in variables), float, len(variables))
        pi = np.fromiter((np.nan if c.pi is None else c.pi for c in constraints), float, len(constraints))
        self.set_solution(x, pi)


SIGNIFICANT_DIGITS = 12


def _rounded(a: np.ndarray) -> np.ndarray:
    """`a` to 12 significant digits: inputs that differ only in float noise (147.2 typed, 160 x 0.92
    computed; a value read through Excel or from the file) give the same LP, so the same plan, where a
    whole-people plan within its MIP gap could otherwise land on another of several near-optimal plans."""
    finite = np.isfinite(a) & (a != 0.0)
    if not finite.any():
        return a
    out = a.copy()
    x = a[finite]
    scale = 10.0 ** (SIGNIFICANT_DIGITS - 1 - np.floor(np.log10(np.abs(x))))
    out[finite] = np.round(x * scale) / scale
    return out


def _per_row(a, dtype) -> np.ndarray:
    """rows x terms: one value per row becomes a column."""
    a = np.asarray(a, dtype)
    return a[:, None] if a.ndim == 1 else a


def _cat(parts: list[np.ndarray], dtype=float) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _names(blocks: list[tuple[str, tuple]]) -> list[str]:
    names: list[str] = []
    for family, keys in blocks:
        names.extend(f"{family}[{','.join(map(str, key))}]" for key in zip(*keys))
    return names


def _unique(name: str, taken: set[str]) -> str:
    unique = name.translate(_PULP_TRANS)
    while unique in taken:
        unique += "'"
    taken.add(unique)
    return unique
