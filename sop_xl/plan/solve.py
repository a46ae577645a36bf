"""Solving a plan model, and saying honestly how it went.

A plan model is a `LinearProgram` (lp.py): HiGHS gets its arrays in one `passModel` call (no pulp
objects), other solvers get `to_pulp()`. `WarmHighs` keeps one HiGHS instance across programs of the
same shape (scenarios) and re-solves from the previous basis after changing only the numbers. A pulp
`LpProblem` can still be solved as it is (`solve_model(problem)`).

HiGHS (through highspy) is the default: the dual simplex for planning LPs up to
`IPM_ABOVE_COLUMNS` columns, interior point with crossover above (so shadow prices are those of a
vertex either way); branch-and-cut for MIPs. CBC (bundled with pulp
3.x) is the fallback when highspy is missing or fails, and any solver pulp knows can be
named in Settings. pulp 3.x maps a HiGHS or CBC time-out to "Optimal", so the status here
is read from the solver itself: ``optimal``, ``time_limit`` (a plan exists, with its gap),
``no_solution`` (time ran out before any plan), ``infeasible``, ``unbounded``.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pulp
from pulp import constants as C

from .. import safety
from .lp import LinearProgram
from .pulp_internals import FastHiGHS
from .solver_progress import watch

OPTIMAL = "optimal"
TIME_LIMIT = "time_limit"
NO_SOLUTION = "no_solution"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
HAS_PLAN = (OPTIMAL, TIME_LIMIT)

# An event `run_highs` sets as it hands over to HiGHS: from then on the GIL is free, so a caller that
# solves in a worker thread (commands/plan.py) knows when its own work no longer slows the model build.
SOLVER_STARTED: ContextVar[threading.Event | None] = ContextVar("sop_xl_solver_started", default=None)


@dataclass(frozen=True)
class SolveResult:
    status: str
    solver: str                 # the solver that produced the answer
    objective: float | None
    gap: float | None           # relative MIP gap; 0.0 for an optimal LP; None when unknown
    seconds: float
    message: str = ""
    requested: str = ""         # the solver asked for, when a fallback answered instead
    solver_seconds: float | None = None  # time inside the solver's own run (HiGHS), without pulp's share
    warm_start: bool = False    # re-solved from the previous model's basis (`WarmHighs`)

    @property
    def has_plan(self) -> bool:
        return self.status in HAS_PLAN

    @property
    def status_text(self) -> str:
        """What PlanRun and the console say: ``optimal``, ``within gap 0.08 %`` (a whole-number plan the
        solver stopped once it was within the Settings mip_gap), ``time limit, gap 2.10 %`` (or ``gap
        unknown``), or the status itself (infeasible, no_solution, unbounded)."""
        if self.status == OPTIMAL:
            if self.gap is not None and self.gap > GAP_TOLERANCE:
                return f"within gap {_pct(self.gap)}"
            return OPTIMAL
        if self.status == TIME_LIMIT:
            return "time limit, " + ("gap unknown" if self.gap is None else f"gap {_pct(self.gap)}")
        return self.status


# a relative gap below this is the solvers' own optimality tolerance: "optimal"
GAP_TOLERANCE = 1e-6


def _pct(gap: float) -> str:
    """0.000066 -> '0.0066 %', 0.0171 -> '1.7 %' (two significant digits)."""
    return f"{gap * 100:.2g} %"


# Settings solver names that mean HiGHS, and the LP algorithm each asks for. "auto" (the default)
# picks by size: on the planning LPs measured (bench/plan_bench.py: 500 SKUs x 24 months, 36k
# columns) the dual simplex solves 3-4x faster than interior point + crossover; interior point wins
# only on much larger LPs, where the simplex's iteration count grows faster than IPM's.
HIGHS_NAMES = {"highs": "auto", "highs_api": "auto", "highspy": "auto", "highs_auto": "auto",
               "highs_ipm": "ipm", "highs_simplex": "simplex", "highs_choose": "choose"}
# columns above which "auto" uses interior point (with crossover) instead of the dual simplex
IPM_ABOVE_COLUMNS = 250_000


def pick_lp_algorithm(n_columns: int, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    return "ipm" if n_columns > IPM_ABOVE_COLUMNS else "simplex"


def highs_available() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


def solve_model(problem: LinearProgram | pulp.LpProblem, solver: str = "highs", *, time_limit: float = 60.0,
                mip_gap: float = 0.01, crossover: bool = True) -> SolveResult:
    """Solve `problem` in place (its answer: column values, duals) and report the solver's own status."""
    if isinstance(problem, LinearProgram):
        return solve_program(problem, solver, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)
    name, key = _solver_key(solver)
    if key in HIGHS_NAMES:
        if not highs_available():
            result = _solve_cbc(problem, time_limit, mip_gap)
            return _fallback(result, name, "HiGHS (highspy) is not installed")
        try:
            return _solve_highs(problem, time_limit, mip_gap, crossover, HIGHS_NAMES[key])
        except Exception as exc:  # a solver crash must not lose the plan: CBC gets a try
            result = _solve_cbc(problem, time_limit, mip_gap)
            return _fallback(result, name, f"HiGHS failed ({exc})")
    if key in ("cbc", "pulp_cbc_cmd", "coin", "coin_cmd"):
        return _solve_cbc(problem, time_limit, mip_gap)
    return _solve_named(problem, name, time_limit, mip_gap)


def _solver_key(solver: str | None) -> tuple[str, str]:
    name = (solver or "highs").strip()
    return name, name.lower().replace("-", "_")


def _fallback(result: SolveResult, requested: str, why: str) -> SolveResult:
    message = f"{why}; solved with CBC instead." + (f" {result.message}" if result.message else "")
    return SolveResult(result.status, result.solver, result.objective, result.gap, result.seconds, message,
                       requested)  # CBC runs as a separate program: no separate solver time


# ------------------------------------------------------------------------------ HiGHS

_BANNER_SHOWN = False


def _silence_highs_banner() -> None:
    """HiGHS prints a copyright banner on stdout from C++ when the first Highs object is made,
    whatever the options; make that first object with stdout pointed at /dev/null."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return
    _BANNER_SHOWN = True
    import sys

    import highspy
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. inside Excel): nothing to hide
        highspy.Highs()
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs_status(h) -> tuple[str, tuple[int, int]]:
    import highspy
    S = highspy.HighsModelStatus
    status = h.getModelStatus()
    info = h.getInfo()
    feasible = info.primal_solution_status == 2
    if status == S.kOptimal:
        return OPTIMAL, (C.LpStatusOptimal, C.LpSolutionOptimal)
    if status == S.kInfeasible:
        return INFEASIBLE, (C.LpStatusInfeasible, C.LpSolutionInfeasible)
    if status == S.kUnbounded:
        return UNBOUNDED, (C.LpStatusUnbounded, C.LpSolutionUnbounded)
    if status == S.kUnboundedOrInfeasible:
        return "infeasible_or_unbounded", (C.LpStatusInfeasible, C.LpSolutionInfeasible)
    if feasible:
        return TIME_LIMIT, (C.LpStatusOptimal, C.LpSolutionIntegerFeasible)
    return NO_SOLUTION, (C.LpStatusNotSolved, C.LpSolutionNoSolutionFound)


def _solve_highs(problem: pulp.LpProblem, time_limit: float, mip_gap: float, crossover: bool,
                 lp_algorithm: str = "auto") -> SolveResult:
    _silence_highs_banner()
    solver = FastHiGHS(msg=False, timeLimit=time_limit, gapRel=mip_gap, crossover=crossover,
                       lp_algorithm=lp_algorithm)
    start = time.perf_counter()
    problem.solve(solver)
    h = problem.solverModel
    status = _settle_status(h)
    seconds = time.perf_counter() - start
    objective = _objective(problem) if status in HAS_PLAN else None
    gap, message = _gap_and_message(h, status, solver.is_mip, time_limit)
    return SolveResult(status, "HiGHS", objective, gap, seconds, message, solver_seconds=solver.run_seconds)


def run_highs(h, *, sign: float = 1.0) -> float:
    """Run HiGHS (it releases the GIL meanwhile), its progress reported to whoever listens; the seconds
    it took. Every HiGHS solve of the plan goes through here, whichever way the model was handed over.
    `sign` -1 when HiGHS holds the negated objective of a maximisation."""
    started = SOLVER_STARTED.get()
    start = time.perf_counter()
    with watch(h, sign=sign):  # elapsed time, best plan, bound and gap to whoever listens
        if started is not None:
            started.set()
        h.run()
    return time.perf_counter() - start


def _settle_status(h) -> str:
    """The model status after a run; an "infeasible or unbounded" from presolve is settled by the simplex."""
    status, _ = _highs_status(h)
    if status == "infeasible_or_unbounded":
        # presolve cannot tell which; without it the simplex can
        h.setOptionValue("presolve", "off")
        h.setOptionValue("solver", "simplex")
        h.run()
        status, _ = _highs_status(h)
        if status == "infeasible_or_unbounded":
            status = INFEASIBLE
    return status


def _gap_and_message(h, status: str, is_mip: bool, time_limit: float) -> tuple[float | None, str]:
    gap = None
    if status in HAS_PLAN:
        # an LP stopped by its time limit has no proven gap (HiGHS reports none): unknown, never 0
        gap = float(h.getInfo().mip_gap) if is_mip else (0.0 if status == OPTIMAL else None)
        if gap is not None and (math.isinf(gap) or math.isnan(gap)):
            gap = None
        if gap is not None and status == OPTIMAL:
            gap = max(gap, 0.0)
    message = ""
    if status == TIME_LIMIT:
        message = f"stopped at the time limit of {time_limit:g} s" + (f" with gap {gap:.2%}" if gap is not None else "")
    elif status == NO_SOLUTION:
        message = f"no plan found within the time limit of {time_limit:g} s"
    return gap, message


# ------------------------------------------------------------------------------ CBC

_CBC_GAP = re.compile(r"^Gap:\s*([-+0-9.eE]+)", re.M)


def _solve_cbc(problem: pulp.LpProblem, time_limit: float, mip_gap: float) -> SolveResult:
    log_path = str(safety.new_temp(None, "sop_xl_cbc_", ".log"))
    try:
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=mip_gap, logPath=log_path,
                                   _skip_v4_deprecation=True)
        start = time.perf_counter()
        problem.solve(solver)
        seconds = time.perf_counter() - start
        with open(log_path, errors="replace") as fh:
            log = fh.read()
    finally:
        safety.forget_temp(Path(log_path))
    timed_out = "Stopped on time" in log or "stopped on time" in log.lower()
    status = _pulp_status(problem, timed_out)
    gap = None
    if status in HAS_PLAN:
        found = _CBC_GAP.findall(log)
        gap = float(found[-1]) if found else (0.0 if status == OPTIMAL else None)
    message = f"stopped at the time limit of {time_limit:g} s" if status == TIME_LIMIT else ""
    if status == TIME_LIMIT and gap is not None:
        message += f" with gap {gap:.2%}"
    return SolveResult(status, "CBC", _objective(problem) if status in HAS_PLAN else None, gap, seconds, message)


def _pulp_status(problem: pulp.LpProblem, timed_out: bool = False) -> str:
    if problem.status == C.LpStatusInfeasible:
        return INFEASIBLE
    if problem.status == C.LpStatusUnbounded:
        return UNBOUNDED
    if problem.sol_status == C.LpSolutionOptimal and not timed_out:
        return OPTIMAL
    if problem.sol_status in (C.LpSolutionIntegerFeasible, C.LpSolutionOptimal):
        return TIME_LIMIT
    return NO_SOLUTION


# ------------------------------------------------------------------------------ any pulp solver

def _solve_named(problem: pulp.LpProblem, name: str, time_limit: float, mip_gap: float) -> SolveResult:
    known = {s.upper(): s for s in pulp.listSolvers()}
    real = known.get(name.upper())
    if real is None:
        raise ValueError(f"unknown solver {name!r}; pulp knows: {', '.join(sorted(known.values()))}")
    try:
        solver = pulp.getSolver(real, msg=False, timeLimit=time_limit, gapRel=mip_gap)
    except TypeError:  # not every pulp solver takes a gap
        solver = pulp.getSolver(real, msg=False, timeLimit=time_limit)
    if not solver.available():
        raise ValueError(f"solver {real} is not installed on this machine")
    start = time.perf_counter()
    problem.solve(solver)
    seconds = time.perf_counter() - start
    status = _pulp_status(problem)
    return SolveResult(status, real, _objective(problem) if status in HAS_PLAN else None,
                       0.0 if status == OPTIMAL else None, seconds)


def _objective(problem: pulp.LpProblem) -> float | None:
    value = problem.objective.value() if problem.objective is not None else None
    return None if value is None else float(value)


# ------------------------------------------------------------------------------ a LinearProgram

def solve_program(lp: LinearProgram, solver: str | None = "highs", *, time_limit: float = 60.0,
                  mip_gap: float = 0.01, crossover: bool = True) -> SolveResult:
    """Solve `lp` (its answer lands in `lp.x`, `lp.row_dual`): HiGHS from the arrays, CBC or any other
    pulp solver through `lp.to_pulp()`. A HiGHS crash falls back to CBC, as for a pulp problem."""
    name, key = _solver_key(solver)
    if key in HIGHS_NAMES and highs_available():
        try:
            return _solve_highs_arrays(lp, time_limit, mip_gap, crossover, HIGHS_NAMES[key])[0]
        except Exception as exc:  # a solver crash must not lose the plan: CBC gets a try
            return _fallback(_via_pulp(lp, lambda p: _solve_cbc(p, time_limit, mip_gap)), name,
                             f"HiGHS failed ({exc})")
    return _via_pulp(lp, lambda p: solve_model(p, name, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover))


def _via_pulp(lp: LinearProgram, solve) -> SolveResult:
    problem, variables, constraints = lp.to_pulp()
    result = solve(problem)
    if result.has_plan:
        lp.take_pulp_solution(variables, constraints)
    return result


def _new_highs(time_limit: float, mip_gap: float):
    import highspy

    _silence_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("time_limit", float(time_limit))
    return h


def _solve_highs_arrays(lp: LinearProgram, time_limit: float, mip_gap: float, crossover: bool,
                        lp_algorithm: str = "auto"):
    """(SolveResult, the HiGHS instance, the arrays it holds): `lp` passed to HiGHS in one call."""
    start = time.perf_counter()
    arrays = lp.arrays()
    h = _new_highs(time_limit, mip_gap)
    if not lp.is_mip:
        algorithm = pick_lp_algorithm(lp.n_cols, lp_algorithm)
        h.setOptionValue("solver", algorithm)
        if algorithm == "ipm":
            h.setOptionValue("run_crossover", "on" if crossover else "off")
    lp.pass_to(h, arrays)
    run_seconds = run_highs(h, sign=arrays.sign)
    return _highs_answer(h, lp, arrays, time_limit, start, run_seconds), h, arrays


def _highs_answer(h, lp: LinearProgram, arrays, time_limit: float, start: float, run_seconds: float) -> SolveResult:
    """Status, gap and the answer (values; duals signed d objective / d rhs in the program's own sense)."""
    status = _settle_status(h)
    objective = None
    if status in HAS_PLAN:
        solution = h.getSolution()
        duals = np.asarray(solution.row_dual, float) * arrays.sign if solution.dual_valid else None
        lp.set_solution(solution.col_value, duals)
        objective = lp.objective_value()
    gap, message = _gap_and_message(h, status, lp.is_mip, time_limit)
    return SolveResult(status, "HiGHS", objective, gap, time.perf_counter() - start, message,
                       solver_seconds=run_seconds)


# A scenario whose bounds (demand, capacity, limits) differ from the base plan's in more than this share of
# the rows is solved afresh (presolve and simplex): the simplex from the base's basis runs on the whole,
# unpresolved LP, and a large change can take longer from there than from scratch. Measured on the
# bench/plan_bench.py LP (500 SKUs, busy machine, single runs): all demand +10 % 10.9 s warm, 7.8 s afresh
# (a harder LP either way); half the SKUs +10 % 2.3 s warm, 3.2 s afresh; one family -30 % 0.3 s warm; a
# machine cut for three months 0.2 s; a cost or price change 0.1 s; the base 0.8-1.7 s afresh.
WARM_MAX_BOUND_SHARE = 0.10
# and a warm solve that takes longer than this many times the base's cold solve (at least 1 s) is
# given up for a cold one
WARM_TIME_FACTOR = 1.5


class WarmHighs:
    """One HiGHS instance kept across LPs with the same columns, rows and sparsity (scenarios that change
    demand, capacity, costs or prices). The first optimal solve is the anchor; each later program's numbers
    are changed in place and HiGHS re-solves from the anchor's optimal basis; a large change
    (`WARM_MAX_BOUND_SHARE`) or a slow warm solve (`WARM_TIME_FACTOR`) is solved afresh instead. A program
    of another shape (e.g. whole headcount switched on, a safety stock appearing), a MIP, another solver
    or a failed solve starts afresh."""

    def __init__(self) -> None:
        self._h = None
        self._loaded = None          # the arrays HiGHS holds now
        self._anchor = None          # the arrays of the anchor solve, its basis, its seconds
        self._basis = None
        self._anchor_seconds = 0.0
        self._options: tuple | None = None
        self.warm_solves = 0

    def solve(self, lp: LinearProgram, solver: str | None = "highs", *, time_limit: float = 60.0,
              mip_gap: float = 0.01, crossover: bool = True) -> SolveResult:
        name, key = _solver_key(solver)
        if key not in HIGHS_NAMES or not highs_available() or lp.is_mip:
            return solve_program(lp, name, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)
        options = (HIGHS_NAMES[key], float(mip_gap), bool(crossover))
        arrays = lp.arrays()
        if self._h is not None and options == self._options and self._loaded.same_shape(arrays) \
                and self._close_to_anchor(arrays):
            try:
                result = self._resolve(lp, arrays, time_limit)
            except Exception:  # the fresh solve below decides (and falls back to CBC if HiGHS is broken)
                self._h, result = None, None
            if result is not None:
                if result.status not in (OPTIMAL, INFEASIBLE, UNBOUNDED):  # options may have changed: start over
                    self._h = None
                return result
        try:
            result, h, held = _solve_highs_arrays(lp, time_limit, mip_gap, crossover, options[0])
        except Exception:
            return solve_program(lp, name, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)
        if self._h is None and result.status == OPTIMAL:  # the anchor: the first optimal basis
            self._h, self._loaded, self._anchor, self._options = h, held, held, options
            self._basis, self._anchor_seconds = h.getBasis(), result.solver_seconds or 0.0
        return result

    def _close_to_anchor(self, new) -> bool:
        anchor = self._anchor
        moved = int(np.count_nonzero((anchor.row_lower != new.row_lower) | (anchor.row_upper != new.row_upper))
                    + np.count_nonzero((anchor.col_lower != new.col_lower) | (anchor.col_upper != new.col_upper)))
        return moved <= WARM_MAX_BOUND_SHARE * max(len(new.row_lower), 1)

    def _resolve(self, lp: LinearProgram, new, time_limit: float) -> SolveResult | None:
        """The warm solve, or None when it took longer than `WARM_TIME_FACTOR` allows (solve afresh)."""
        start = time.perf_counter()
        h = self._h
        _update(h, self._loaded, new)
        self._loaded = new
        h.setBasis(self._basis)
        guard = max(WARM_TIME_FACTOR * self._anchor_seconds, 1.0)
        # HiGHS compares its time limit with the run time summed over every run of the instance
        h.setOptionValue("time_limit", float(h.getRunTime() + min(time_limit, guard)))
        run_seconds = run_highs(h, sign=new.sign)
        if h.getModelStatus() == _model_status("kTimeLimit") and guard < time_limit:
            return None
        self.warm_solves += 1
        return replace(_highs_answer(h, lp, new, time_limit, start, run_seconds), warm_start=True)


def _model_status(name: str):
    import highspy
    return getattr(highspy.HighsModelStatus, name)


def _update(h, old, new) -> None:
    """Change the program HiGHS holds from `old` to `new` (same shape): costs, bounds, coefficients."""
    changed = np.flatnonzero(old.cost != new.cost).astype(np.int32)
    if len(changed):
        h.changeColsCost(len(changed), changed, new.cost[changed])
    if old.offset != new.offset:
        h.changeObjectiveOffset(new.offset)
    changed = np.flatnonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper)).astype(np.int32)
    if len(changed):
        h.changeColsBounds(len(changed), changed, new.col_lower[changed], new.col_upper[changed])
    changed = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper)).astype(np.int32)
    if len(changed):
        h.changeRowsBounds(len(changed), changed, new.row_lower[changed], new.row_upper[changed])
    changed = np.flatnonzero(old.value != new.value)
    if len(changed):
        row_of_entry = np.repeat(np.arange(len(new.row_lower)), np.diff(new.start))
        for k in changed:
            h.changeCoeff(int(row_of_entry[k]), int(new.index[k]), float(new.value[k]))
