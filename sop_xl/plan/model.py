"""The supply-planning model, one function per constraint family.

Notation (i item, t period, r resource, p labour pool; all variables >= 0):

    make[i,t]  units started in house        sub[i,t]    units bought from a subcontractor
    inv[i,t]   stock at the end of t          back[i,t]   backorders at the end of t
    lost[i,t]  demand not served (lost)       short[i,t]  units below safety stock
    ot[r,t]    overtime hours                 setup[i,t]  1 when i is set up in t (lot sizing)
    workers[p,t], hire[p,t], fire[p,t]        headcount of labour pools

    balance      inv[t] - back[t] = inv[t-1] - back[t-1] + receipts[t] + make[t-lead] + sub[t] + lost[t] - demand[t]
    capacity     sum_i hours[i,r] make[i,t] + setup_hours[i] setup[i,t] - ot[r,t] <= regular[r,t]
                 (labour pools: regular[p,t] = hours_per_worker x workers[p,t])
    workforce    workers[t] = workers[t-1] + hire[t] - fire[t]
    overtime     ot[p,t] <= overtime_hours_per_worker x workers[p,t]   (machines: ot <= calendar overtime)
    subcontract  sub[i,t] <= subcontract limit
    backlog      back[i,T] = 0 when Settings no_backlog_at_end (always when demand_policy is meet_all)
    demand       demand_policy: meet_all has no lost[] (back[] only if allow_backlog), backlog has back[],
                 lost_sales has lost[]; blank follows allow_backlog (yes: backlog, no: lost_sales)
    safety stock inv[i,t] - back[i,t] + short[i,t] >= safety stock target   (short is penalised: soft)
    end target   inv[i,T] - back[i,T] >= target end stock
    storage      inv[i,t] <= max stock; sum_i inv[i,t] <= storage capacity
    lot sizing   min_lot setup[i,t] <= make[i,t] <= big_m setup[i,t]

Every row is named from business keys, e.g. ``capacity[Line2,2027-03]``. A variable family is a grid of
column indices of a `LinearProgram` (lp.py), items (resources, pools) x periods, ABSENT where the model
has no such variable; a constraint family is one block of rows written with those grids, so the model
is built without a Python object per variable or row. The program goes to HiGHS as arrays, and to pulp
(`PlanModel.lp.to_pulp()`) only when CBC or another pulp solver is asked for.

With ``elastic=True`` the hard requirements (capacity, end target, no backlog at the end,
demand under meet_all, storage) get a slack each and the objective becomes the total slack: the explanation of
an infeasible plan (see `explain.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import PlanData
from .horizon import post_horizon_demand
from .lp import ABSENT, EQ, GE, LE, LinearProgram

Grid = np.ndarray  # column indices, items (resources, pools) x periods; ABSENT where there is no variable

COST_TYPES = ("material", "regular_time", "overtime", "wages", "hiring", "layoffs", "subcontract", "holding",
              "backlog", "lost_sales", "setup", "safety_stock")


@dataclass
class Slack:
    """One elastic slack: how much a requirement is violated, in its own unit."""

    family: str
    key: tuple[str, ...]
    var: int
    unit: str


@dataclass
class CostTerms:
    """sum coef * x[col], booked in period t (arrays of one shape)."""

    t: np.ndarray
    cols: np.ndarray
    coefs: np.ndarray


@dataclass
class PlanModel:
    data: PlanData
    lp: LinearProgram
    elastic: bool = False
    # items x periods
    make: Grid = None
    inv: Grid = None
    back: Grid = None
    lost: Grid = None
    sub: Grid = None
    short: Grid = None
    pipeline: Grid = None  # post-horizon demand not started
    setup: Grid = None
    ot: Grid = None        # resources x periods
    workers: Grid = None   # pools x periods
    hire: Grid = None
    fire: Grid = None
    capacity_rows: np.ndarray = None  # resources x periods: row index of capacity[r,t]
    # resource -> (columns, hours), periods x terms: the hours used
    load: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # cost type -> terms, for the PlanCost breakdown
    costs: dict[str, list[CostTerms]] = field(default_factory=dict)
    revenue: list[CostTerms] = field(default_factory=list)
    revenue_constant: np.ndarray = None
    slacks: list[Slack] = field(default_factory=list)

    def __post_init__(self) -> None:
        # pandas scalar access is slow in loops: the model reads plain arrays
        d = self.data
        self.demand = d.demand.to_numpy(float)
        self.safety = d.safety_stock.to_numpy(float)
        self.receipts = (np.zeros_like(self.demand) if d.receipts is None
                         else d.receipts.reindex(index=d.items.index).fillna(0.0).to_numpy(float))
        self.labels = np.asarray(d.labels, dtype=object)
        n_items, n_periods = self.demand.shape
        for name in ("make", "inv", "back", "lost", "sub", "short", "pipeline", "setup"):
            setattr(self, name, np.full((n_items, n_periods), ABSENT))
        self.ot = np.full((len(d.resources), n_periods), ABSENT)
        for name in ("workers", "hire", "fire"):
            setattr(self, name, np.full((len(d.workforce), n_periods), ABSENT))
        self.capacity_rows = np.full((len(d.resources), n_periods), ABSENT)
        self.revenue_constant = np.zeros(n_periods)

    def item(self, column: str) -> np.ndarray:
        """An Items column as a float array, one value per item."""
        return self.data.items[column].to_numpy(float)

    # -------------------------------------------------------------------------- helpers
    def variables(self, family: str, names, mask, lower=0.0, upper=None, integer: bool = False) -> Grid:
        """Columns named ``family[name,period]`` where `mask` (names x periods) holds; bounds broadcast
        to names x periods."""
        mask = np.broadcast_to(np.asarray(mask, bool), (len(names), len(self.labels)))
        rows, periods = np.nonzero(mask)
        keys = (np.asarray(names, dtype=object)[rows], self.labels[periods])
        cols = self.lp.add_columns(family, keys, _at(lower, mask), _at(upper, mask), integer=integer)
        grid = np.full(mask.shape, ABSENT)
        grid[mask] = cols
        return grid

    def rows(self, family: str, names, mask, terms: list[tuple[np.ndarray, object]], sense: str, rhs) -> np.ndarray:
        """Rows named ``family[name,period]`` where `mask` (names x periods) holds. A term is (grid,
        coefficient): the grid names x periods (or names x periods x k for k terms a row), the coefficient
        a number or an array that broadcasts to the grid."""
        mask = np.broadcast_to(np.asarray(mask, bool), (len(names), len(self.labels)))
        rows, periods = np.nonzero(mask)
        keys = (np.asarray(names, dtype=object)[rows], self.labels[periods])
        picked = [(grid[mask], coef if np.ndim(coef) == 0 else np.broadcast_to(coef, np.shape(grid))[mask])
                  for grid, coef in terms]
        index = np.full(mask.shape, ABSENT)
        index[mask] = self.lp.add_rows(family, keys, picked, sense, _at(rhs, mask))
        return index

    def slacks_for(self, family: str, keys: tuple, unit: str) -> np.ndarray:
        """Elastic model: one slack column per key (its violation, in `unit`); otherwise ABSENT."""
        n = len(keys[0])
        if not self.elastic:
            return np.full(n, ABSENT)
        cols = self.lp.add_columns(f"slack_{family}", keys)
        self.slacks.extend(Slack(family, tuple(map(str, key)), int(c), unit) for key, c in zip(zip(*keys), cols))
        return cols

    def slack_grid(self, family: str, names, unit: str) -> Grid:
        """`slacks_for` every name and period, as a grid."""
        n, n_periods = len(names), len(self.labels)
        keys = (np.repeat(np.asarray(names, dtype=object), n_periods), np.tile(self.labels, n))
        return self.slacks_for(family, keys, unit).reshape(n, n_periods)

    def cost(self, kind: str, cols: np.ndarray, coef, t=None) -> None:
        """Book coef * x[col] as cost `kind` in period t (default: the grid's last axis is the period)."""
        cols = np.asarray(cols)
        coef = np.broadcast_to(np.asarray(coef, float), cols.shape)
        t = np.broadcast_to(np.arange(cols.shape[-1]) if t is None else t, cols.shape)
        keep = (cols != ABSENT) & (coef != 0.0)
        if keep.any():
            self.costs.setdefault(kind, []).append(CostTerms(t[keep], cols[keep], coef[keep]))

    @property
    def shape(self) -> tuple[int, int]:
        return self.demand.shape

    @property
    def n_variables(self) -> int:
        return self.lp.n_cols

    @property
    def n_integer_variables(self) -> int:
        return len(self.lp.integers)

    @property
    def is_mip(self) -> bool:
        return self.lp.is_mip


def has(grid: Grid) -> bool:
    """The model has at least one variable of this family."""
    return bool((grid != ABSENT).any())


def previous(grid: Grid) -> Grid:
    """grid[., t-1] at t (ABSENT at the first period)."""
    out = np.full(grid.shape, ABSENT)
    out[:, 1:] = grid[:, :-1]
    return out


def _at(value, mask: np.ndarray):
    """A bound or right-hand side (number, per name, or per name and period) at the cells of `mask`."""
    if value is None or np.ndim(value) == 0:
        return value
    return np.broadcast_to(np.asarray(value, float), mask.shape)[mask]


# ------------------------------------------------------------------------------ build

def build_plan_model(data: PlanData, *, elastic: bool = False) -> PlanModel:
    s = data.settings
    lp = LinearProgram("supply_plan_elastic" if elastic else "supply_plan",
                       maximize=s.objective == "max_margin" and not elastic)
    model = PlanModel(data, lp, elastic)
    add_item_variables(model)
    add_workforce(model)
    add_inventory_balance(model)
    add_capacity(model)
    add_overtime(model)
    add_subcontract(model)
    add_backlog_rules(model)
    add_safety_stock(model)
    add_pipeline(model)
    add_end_targets(model)
    add_storage(model)
    add_lot_sizing(model)
    set_objective(model)
    return model


def add_item_variables(m: PlanModel) -> None:
    d, s = m.data, m.data.settings
    items = d.items.index
    every = np.ones(m.shape, bool)
    routed = items.isin(set(d.routing["item"]))[:, None]
    m.make = m.variables("make", items, routed & every)
    m.cost("material", m.make, m.item("unit_cost")[:, None])
    m.inv = m.variables("inv", items, every)
    m.cost("holding", m.inv, m.item("holding_cost")[:, None])
    if s.backorders:
        m.back = m.variables("back", items, every)
        m.cost("backlog", m.back, m.item("backorder_cost")[:, None])
    if s.lost_sales:  # Settings demand_policy: never under meet_all
        upper = m.demand.copy()
        if not s.backorders:
            # without backlog the opening backlog must be shipped now or lost with period 1's demand
            opening = m.item("opening_backlog")
            upper[:, 0] += np.where(opening > 0, opening, 0.0)
        m.lost = m.variables("lost", items, every, upper=upper)
        m.cost("lost_sales", m.lost, m.item("lost_sales_cost")[:, None])
    m.sub = m.variables("sub", items, ~np.isnan(m.item("subcontract_cost"))[:, None] & every)
    m.cost("subcontract", m.sub, m.item("subcontract_cost")[:, None])
    m.short = m.variables("short", items, m.safety > 0)
    backorder, holding = m.item("backorder_cost"), m.item("holding_cost")
    penalty = s.safety_stock_penalty or np.where(backorder != 0, backorder, holding)[:, None]
    m.cost("safety_stock", m.short, penalty)
    if s.lot_sizing:
        has_setup = routed[:, 0] & ((m.item("min_lot") > 0) | (m.item("setup_cost") > 0)
                                    | (m.item("setup_hours") > 0) | ~np.isnan(m.item("max_lot")))
        m.setup = m.variables("setup", items, has_setup[:, None] & every, 0, 1, integer=True)
        m.cost("setup", m.setup, m.item("setup_cost")[:, None])


def add_workforce(m: PlanModel) -> None:
    """workers[p,t] = workers[p,t-1] + hire[p,t] - fire[p,t], within min/max headcount."""
    d, whole = m.data, m.data.settings.whole_headcount
    w = d.workforce
    if w.empty:
        return
    pools = w.index
    col = {c: w[c].to_numpy(float)[:, None] for c in ("min_headcount", "max_headcount", "initial_headcount",
                                                       "wage", "hire_cost", "layoff_cost")}
    upper = np.where(np.isnan(col["max_headcount"]), np.inf, col["max_headcount"])
    m.workers = m.variables("workers", pools, True, col["min_headcount"], upper, integer=whole)
    m.hire = m.variables("hire", pools, True, integer=whole)
    m.fire = m.variables("fire", pools, True, integer=whole)
    rhs = np.zeros(m.workers.shape)
    rhs[:, 0] = col["initial_headcount"][:, 0]
    m.rows("workforce", pools, True, [(m.workers, 1.0), (m.hire, -1.0), (m.fire, 1.0), (previous(m.workers), -1.0)],
           EQ, rhs)
    m.cost("wages", m.workers, col["wage"])
    m.cost("hiring", m.hire, col["hire_cost"])
    m.cost("layoffs", m.fire, col["layoff_cost"])


def add_inventory_balance(m: PlanModel) -> None:
    """inv[t] - back[t] - inv[t-1] + back[t-1] - make[t-lead] - sub[t] - lost[t] = opening + receipts - demand."""
    d, s = m.data, m.data.settings
    n_items, n_periods = m.shape
    lead = d.items["lead_time"].fillna(0).to_numpy().astype(int)
    start = np.arange(n_periods)[None, :] - lead[:, None]  # production started then arrives now
    made = np.where(start >= 0, m.make[np.arange(n_items)[:, None], np.maximum(start, 0)], ABSENT)
    rhs = m.receipts - m.demand  # units already on order arrive as supply
    rhs[:, 0] += m.item("opening_stock") - m.item("opening_backlog")
    terms = [(m.inv, 1.0), (m.back, -1.0), (previous(m.inv), -1.0), (previous(m.back), 1.0), (made, -1.0),
             (m.sub, -1.0), (m.lost, -1.0)]
    if not s.lost_sales and not s.backorders:
        # meet_all without backorders: demand is a hard requirement; the elastic model may leave some unmet
        terms.append((m.slack_grid("unmet_demand", d.items.index, "units"), -1.0))
    m.rows("balance", d.items.index, True, terms, EQ, rhs)


def add_capacity(m: PlanModel) -> None:
    """Hours used <= regular hours + overtime, per resource and period."""
    d = m.data
    n_periods = len(d.labels)
    position = {item: i for i, item in enumerate(d.items.index)}
    setup_hours = m.item("setup_hours")
    routing = d.routing.groupby(["resource", "item"], sort=False)["hours_per_unit"].sum()
    by_resource = {r: g.droplevel(0) for r, g in routing.groupby(level=0, sort=False)}
    resources = d.resources
    labour = resources["is_labour"].astype(bool).to_numpy()
    regular, ot_cap = d.calendar_hours()
    regular[labour] = 0.0       # labour pools: hours come from workers[p,t]
    ot_cap[labour] = np.inf     # labour pools: limited per worker by add_overtime
    regular_costs = resources["regular_cost"].to_numpy(float)
    overtime_costs = resources["overtime_cost"].to_numpy(float)
    m.ot = m.variables("ot", resources.index, True, 0.0, ot_cap)
    extra = m.slack_grid("capacity", resources.index, "h")
    pools = {p: k for k, p in enumerate(d.workforce.index)}
    for r, resource in enumerate(resources.index):
        routed = by_resource.get(resource)
        items = np.array([position[i] for i in routed.index], np.int64) if routed is not None else np.zeros(0, int)
        hours = routed.to_numpy(float) if routed is not None else np.zeros(0)
        # periods x terms: hours_per_unit x make[i,t] and setup_hours x setup[i,t]
        cols = np.concatenate([m.make[items].T, m.setup[items].T], axis=1)
        coefs = np.broadcast_to(np.concatenate([hours, setup_hours[items]]), cols.shape)
        m.load[resource] = (cols, coefs)
        terms = [(cols[None], coefs[None]), (m.ot[r:r + 1], -1.0), (extra[r:r + 1], -1.0)]
        if labour[r]:
            pool = d.workforce.loc[resource]
            terms.append((m.workers[pools[resource]][None], -float(pool["hours_per_worker"])))
            ot_cost = float(pool["overtime_cost"])
        else:
            ot_cost = float(overtime_costs[r])
        m.capacity_rows[r] = m.rows("capacity", [resource], True, terms, LE, regular[r:r + 1])[0]
        # regular hours are paid per hour used (wages of labour pools are paid per worker)
        regular_cost = float(regular_costs[r])
        m.cost("regular_time", cols, regular_cost * coefs, np.arange(n_periods)[:, None])
        m.cost("regular_time", m.ot[r], -regular_cost)
        m.cost("overtime", m.ot[r], ot_cost)


def add_overtime(m: PlanModel) -> None:
    """Labour pools: ot[p,t] <= overtime hours per worker x workers[p,t] (machines: a bound on ot)."""
    d = m.data
    w = d.workforce
    if w.empty:
        return
    res = [d.resources.index.get_loc(p) for p in w.index]
    per_worker = w["overtime_hours_per_worker"].to_numpy(float)[:, None]
    m.rows("overtime", w.index, True, [(m.ot[res], 1.0), (m.workers, -per_worker)], LE, 0.0)


def add_subcontract(m: PlanModel) -> None:
    """sub[i,t] <= subcontract limit per period."""
    d = m.data
    limit = m.item("subcontract_limit")[:, None]
    caps = d.subcontract_cap
    per_period = (np.full(m.shape, np.nan) if caps is None
                  else caps.reindex(index=d.items.index).to_numpy(float))
    cap = np.where(np.isnan(limit), per_period, np.where(np.isnan(per_period), limit, np.minimum(limit, per_period)))
    m.rows("subcontract", d.items.index, (m.sub != ABSENT) & ~np.isnan(cap), [(m.sub, 1.0)], LE, cap)


def add_backlog_rules(m: PlanModel) -> None:
    """No backorders left at the end of the horizon (Settings no_backlog_at_end; always under demand_policy
    meet_all, where demand is a hard requirement and the elastic model relaxes this row last)."""
    d = m.data
    if not d.settings.clear_backlog_at_end:
        return
    items = d.items.index.to_numpy(dtype=object)
    left = m.slacks_for("no_backlog_at_end", (items, np.full(len(items), d.labels[-1], dtype=object)), "units")
    m.lp.add_rows("no_backlog_at_end", (items,), [(m.back[:, -1], 1.0), (left, -1.0)], LE, 0.0)


def add_safety_stock(m: PlanModel) -> None:
    """inv[i,t] - back[i,t] + short[i,t] >= safety stock (soft: short is penalised, never forbidden)."""
    # on net stock: units held while orders wait do not count as safety stock
    m.rows("safety_stock", m.data.items.index, m.short != ABSENT,
           [(m.inv, 1.0), (m.short, 1.0), (m.back, -1.0)], GE, m.safety)


def add_pipeline(m: PlanModel) -> None:
    """make[i,t] + pipeline[i,t] >= post-horizon demand, for the last lead-time periods (soft: a unit not
    started costs what a lost sale costs; in max_margin, the price as well)."""
    d = m.data
    if not has(m.make):
        return
    need = post_horizon_demand(m.demand, d.items["lead_time"].fillna(0).to_numpy(float))
    where = (need > 1e-9) & (m.make != ABSENT)
    m.pipeline = m.variables("pipeline_short", d.items.index, where)
    penalty = m.item("lost_sales_cost")
    if d.settings.objective == "max_margin":
        penalty = penalty + m.item("price")
    penalty = np.where(penalty <= 0, m.item("unit_cost") + m.item("backorder_cost") + 1.0, penalty)
    m.cost("safety_stock", m.pipeline, penalty[:, None])
    m.rows("pipeline", d.items.index, where, [(m.make, 1.0), (m.pipeline, 1.0)], GE, need)


def add_end_targets(m: PlanModel) -> None:
    """inv[i,T] - back[i,T] >= target end stock."""
    d = m.data
    target = m.item("target_end_stock")
    wanted = ~np.isnan(target) & (target > 0)
    if not wanted.any():
        return
    items = d.items.index.to_numpy(dtype=object)[wanted]
    missing = m.slacks_for("end_stock", (items, np.full(len(items), d.labels[-1], dtype=object)), "units")
    # net stock: a target is not met by stock held against open orders
    m.lp.add_rows("end_stock", (items,), [(m.inv[wanted, -1], 1.0), (m.back[wanted, -1], -1.0), (missing, 1.0)],
                  GE, target[wanted])


def add_storage(m: PlanModel) -> None:
    """inv[i,t] <= max stock of the item; sum_i inv[i,t] <= Settings storage_capacity."""
    d = m.data
    cap = m.item("max_stock")
    limited = ~np.isnan(cap)
    if limited.any():
        items = d.items.index[limited]
        excess = m.slack_grid("max_stock", items, "units")
        m.rows("max_stock", items, True, [(m.inv[limited], 1.0), (excess, -1.0)], LE, cap[limited][:, None])
    total = d.settings.storage_capacity
    if total is None or np.isnan(total):
        return
    excess = m.slacks_for("storage", (m.labels,), "units")
    m.lp.add_rows("storage", (m.labels,), [(m.inv.T, 1.0), (excess, -1.0)], LE, float(total))


def add_lot_sizing(m: PlanModel) -> None:
    """min_lot setup[i,t] <= make[i,t] <= big_m setup[i,t] (big_m: max lot, else what could ever be needed)."""
    d = m.data
    if not has(m.setup):
        return
    remaining = m.demand[:, ::-1].cumsum(axis=1)[:, ::-1]  # demand from t to the end
    need = (remaining + m.item("opening_backlog")[:, None] + np.nan_to_num(m.item("target_end_stock"))[:, None]
            + m.safety.max(axis=1)[:, None])
    max_lot, min_lot = m.item("max_lot")[:, None], m.item("min_lot")[:, None]
    big_m = np.where(np.isnan(max_lot), np.maximum(need, 1.0), max_lot)
    lots = m.setup != ABSENT
    m.rows("lot_max", d.items.index, lots, [(m.make, 1.0), (m.setup, -big_m)], LE, 0.0)
    m.rows("lot_min", d.items.index, lots & (min_lot > 0), [(m.make, 1.0), (m.setup, -min_lot)], GE, 0.0)


def set_objective(m: PlanModel) -> None:
    """Minimise total cost, or maximise margin = price x (demand - lost) - total cost.

    The elastic model minimises the total violation of the hard requirements instead.
    """
    if m.elastic:
        m.lp.set_objective([s.var for s in m.slacks], 1.0)
        return
    terms = [c for per_kind in m.costs.values() for c in per_kind]
    cols = np.concatenate([c.cols for c in terms]) if terms else np.zeros(0, np.int64)
    coefs = np.concatenate([c.coefs for c in terms]) if terms else np.zeros(0)
    constant = 0.0
    if m.data.settings.objective == "max_margin":
        # revenue of the units shipped within the horizon: demand (and opening backlog) less what is
        # lost, less what is still backordered at the end
        price = m.item("price")
        sold = price != 0
        m.revenue_constant = (price[sold, None] * m.demand[sold]).sum(axis=0)
        m.revenue_constant[0] += float((price[sold] * m.item("opening_backlog")[sold]).sum())
        last = np.zeros(m.shape, bool)
        last[:, -1] = True
        for grid, where in ((m.lost, True), (m.back, last)):
            keep = (grid != ABSENT) & where & sold[:, None]
            if keep.any():
                m.revenue.append(CostTerms(np.nonzero(keep)[1], grid[keep],
                                           -np.broadcast_to(price[:, None], m.shape)[keep]))
        cols = np.concatenate([cols, *(r.cols for r in m.revenue)])
        coefs = np.concatenate([-coefs, *(r.coefs for r in m.revenue)])
        constant = float(m.revenue_constant.sum())
    m.lp.set_objective(cols, coefs, constant)
