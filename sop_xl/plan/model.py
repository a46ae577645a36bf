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

Every row is named from business keys, e.g. ``capacity[Line2,2027-03]``. Variables are column indices of
a `LinearProgram` (lp.py), rows its sparse rows: the program goes to HiGHS as arrays, and to pulp
(`PlanModel.lp.to_pulp()`) only when CBC or another pulp solver is asked for.

With ``elastic=True`` the hard requirements (capacity, end target, no backlog at the end,
demand under meet_all, storage) get a slack each and the objective becomes the total slack: the explanation of
an infeasible plan (see `explain.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .data import PlanData
from .horizon import post_horizon_demand
from .lp import EQ, GE, LE, LinearProgram

Key = tuple
Col = int      # a column of the linear program
Terms = dict   # column -> coefficient

COST_TYPES = ("material", "regular_time", "overtime", "wages", "hiring", "layoffs", "subcontract", "holding",
              "backlog", "lost_sales", "setup", "safety_stock")


@dataclass
class Slack:
    """One elastic slack: how much a requirement is violated, in its own unit."""

    family: str
    key: tuple[str, ...]
    var: Col
    unit: str


@dataclass
class PlanModel:
    data: PlanData
    lp: LinearProgram
    elastic: bool = False
    make: dict[Key, Col] = field(default_factory=dict)
    inv: dict[Key, Col] = field(default_factory=dict)
    back: dict[Key, Col] = field(default_factory=dict)
    lost: dict[Key, Col] = field(default_factory=dict)
    sub: dict[Key, Col] = field(default_factory=dict)
    short: dict[Key, Col] = field(default_factory=dict)
    pipeline: dict[Key, Col] = field(default_factory=dict)  # post-horizon demand not started
    setup: dict[Key, Col] = field(default_factory=dict)
    ot: dict[Key, Col] = field(default_factory=dict)
    workers: dict[Key, Col] = field(default_factory=dict)
    hire: dict[Key, Col] = field(default_factory=dict)
    fire: dict[Key, Col] = field(default_factory=dict)
    capacity_rows: dict[Key, str] = field(default_factory=dict)
    load: dict[Key, Terms] = field(default_factory=dict)  # hours used per (resource, t)
    # cost type -> period index -> terms and constant, for the PlanCost breakdown
    costs: dict[str, dict[int, Terms]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(float))))
    revenue: dict[int, Terms] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    revenue_constant: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    slacks: list[Slack] = field(default_factory=list)

    def __post_init__(self) -> None:
        # pandas scalar access is slow in loops: the model reads plain arrays and dicts
        self.demand = self.data.demand.to_numpy(float)
        self.safety = self.data.safety_stock.to_numpy(float)
        self.receipts = (np.zeros_like(self.demand) if self.data.receipts is None
                         else self.data.receipts.reindex(index=self.data.items.index).fillna(0.0).to_numpy(float))
        self.item_rows = self.data.items.to_dict("index")

    # -------------------------------------------------------------------------- helpers
    def var(self, name: str, low: float | None = 0.0, up: float | None = None, integer: bool = False) -> Col:
        return self.lp.add_column(name, low, up, integer)

    def row(self, name: str, terms: Terms, sense: str, rhs: float) -> int:
        return self.lp.add_row(name, terms, sense, float(rhs))

    def value(self, col: Col | None) -> float:
        """The column's value in the last answer (0 for a variable the model does not have)."""
        return self.lp.value(col)

    def slack(self, family: str, key: tuple[str, ...], unit: str) -> Col | None:
        if not self.elastic:
            return None
        v = self.var(f"slack_{family}[{','.join(key)}]")
        self.slacks.append(Slack(family, key, v, unit))
        return v

    def cost(self, kind: str, t: int, var: Col, coef: float) -> None:
        if coef:
            self.costs[kind][t][var] += coef

    @property
    def n_variables(self) -> int:
        return self.lp.n_cols

    @property
    def n_integer_variables(self) -> int:
        whole = self.data.settings.whole_headcount
        return len(self.setup) + (len(self.workers) + len(self.hire) + len(self.fire) if whole else 0)

    @property
    def is_mip(self) -> bool:
        return bool(self.setup) or (self.data.settings.whole_headcount and bool(self.workers))


def _name(family: str, *keys) -> str:
    return f"{family}[{','.join(map(str, keys))}]"


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
    routed = set(d.routing["item"])
    lots = s.lot_sizing
    for i, item in enumerate(d.items.index):
        row = m.item_rows[item]
        need_lost = s.lost_sales  # Settings demand_policy: never under meet_all
        has_sub = not math.isnan(row["subcontract_cost"])
        has_setup = lots and item in routed and (row["min_lot"] > 0 or row["setup_cost"] > 0
                                                  or row["setup_hours"] > 0 or not math.isnan(row["max_lot"]))
        for t, lab in enumerate(d.labels):
            k = (item, t)
            if item in routed:
                m.make[k] = m.var(_name("make", item, lab))
                m.cost("material", t, m.make[k], row["unit_cost"])
            m.inv[k] = m.var(_name("inv", item, lab))
            m.cost("holding", t, m.inv[k], row["holding_cost"])
            if s.backorders:
                m.back[k] = m.var(_name("back", item, lab))
                m.cost("backlog", t, m.back[k], row["backorder_cost"])
            if need_lost:
                m.lost[k] = m.var(_name("lost", item, lab), 0.0, float(m.demand[i, t]))
                m.cost("lost_sales", t, m.lost[k], row["lost_sales_cost"])
            if has_sub:
                m.sub[k] = m.var(_name("sub", item, lab))
                m.cost("subcontract", t, m.sub[k], row["subcontract_cost"])
            if m.safety[i, t] > 0:
                m.short[k] = m.var(_name("short", item, lab))
                penalty = s.safety_stock_penalty or row["backorder_cost"] or row["holding_cost"]
                m.cost("safety_stock", t, m.short[k], penalty)
            if has_setup:
                m.setup[k] = m.var(_name("setup", item, lab), 0, 1, integer=True)
                m.cost("setup", t, m.setup[k], row["setup_cost"])


def add_workforce(m: PlanModel) -> None:
    """workers[p,t] = workers[p,t-1] + hire[p,t] - fire[p,t], within min/max headcount."""
    d, whole = m.data, m.data.settings.whole_headcount
    for pool, w in d.workforce.iterrows():
        hi = None if math.isnan(w["max_headcount"]) else float(w["max_headcount"])
        for t, lab in enumerate(d.labels):
            k = (pool, t)
            m.workers[k] = m.var(_name("workers", pool, lab), float(w["min_headcount"]), hi, integer=whole)
            m.hire[k] = m.var(_name("hire", pool, lab), integer=whole)
            m.fire[k] = m.var(_name("fire", pool, lab), integer=whole)
            terms = {m.workers[k]: 1.0, m.hire[k]: -1.0, m.fire[k]: 1.0}
            if t == 0:
                rhs = float(w["initial_headcount"])
            else:
                terms[m.workers[(pool, t - 1)]] = -1.0
                rhs = 0.0
            m.row(_name("workforce", pool, lab), terms, EQ, rhs)
            m.cost("wages", t, m.workers[k], w["wage"])
            m.cost("hiring", t, m.hire[k], w["hire_cost"])
            m.cost("layoffs", t, m.fire[k], w["layoff_cost"])


def add_inventory_balance(m: PlanModel) -> None:
    """inv[t] - back[t] - inv[t-1] + back[t-1] - make[t-lead] - sub[t] - lost[t] = opening - demand."""
    d = m.data
    for i, item in enumerate(d.items.index):
        row = m.item_rows[item]
        lead = int(row["lead_time"] or 0)
        for t, lab in enumerate(d.labels):
            terms: Terms = {m.inv[(item, t)]: 1.0}
            rhs = float(m.receipts[i, t]) - float(m.demand[i, t])  # units already on order arrive as supply
            if (item, t) in m.back:
                terms[m.back[(item, t)]] = -1.0
            if t == 0:
                rhs += float(row["opening_stock"]) - float(row["opening_backlog"])
            else:
                terms[m.inv[(item, t - 1)]] = -1.0
                if (item, t - 1) in m.back:
                    terms[m.back[(item, t - 1)]] = 1.0
            if (item, t - lead) in m.make and t - lead >= 0:
                terms[m.make[(item, t - lead)]] = -1.0
            if (item, t) in m.sub:
                terms[m.sub[(item, t)]] = -1.0
            if (item, t) in m.lost:
                terms[m.lost[(item, t)]] = -1.0
            elif not d.settings.backorders:
                # meet_all without backorders: demand is a hard requirement; the elastic model may leave some unmet
                unmet = m.slack("unmet_demand", (item, lab), "units")
                if unmet is not None:
                    terms[unmet] = -1.0
            m.row(_name("balance", item, lab), terms, EQ, rhs)
        if (item, 0) in m.lost and not d.settings.backorders and float(row["opening_backlog"]) > 0:
            # without backlog the opening backlog must be shipped now or lost with period 1's demand
            m.lp.col_upper[m.lost[(item, 0)]] = float(m.demand[i, 0]) + float(row["opening_backlog"])


def add_capacity(m: PlanModel) -> None:
    """Hours used <= regular hours + overtime, per resource and period."""
    d = m.data
    setup_hours = d.items["setup_hours"].to_dict()
    by_resource = {r: list(zip(g["item"], g["hours_per_unit"])) for r, g in d.routing.groupby("resource")}
    calendar = {r: g.droplevel(0) for r, g in d.capacity.groupby(level=0, sort=False)}  # one .loc each is slow
    for resource, res in d.resources.iterrows():
        labour = bool(res["is_labour"])
        regular_cost = float(res["regular_cost"])
        if labour:
            pool = d.workforce.loc[resource]
            hours_per_worker, ot_cost = float(pool["hours_per_worker"]), float(pool["overtime_cost"])
        else:
            ot_cost = float(res["overtime_cost"])
            cap = calendar[resource].reindex(d.periods)
            regular, overtime = cap["regular"].to_numpy(float), cap["overtime"].to_numpy(float)
        for t, lab in enumerate(d.labels):
            load: Terms = defaultdict(float)
            for item, hours in by_resource.get(resource, ()):
                load[m.make[(item, t)]] += float(hours)
                if (item, t) in m.setup and setup_hours[item] > 0:
                    load[m.setup[(item, t)]] += float(setup_hours[item])
            m.load[(resource, t)] = load
            if labour:
                ot_cap = None  # limited per worker by add_overtime
                regular_rhs = 0.0
            else:
                ot_cap, regular_rhs = float(overtime[t]), float(regular[t])
            ot = m.var(_name("ot", resource, lab), 0.0, ot_cap)
            m.ot[(resource, t)] = ot
            terms: Terms = dict(load)
            terms[ot] = terms.get(ot, 0.0) - 1.0
            if labour:
                terms[m.workers[(resource, t)]] = -hours_per_worker
            extra = m.slack("capacity", (resource, lab), "h")
            if extra is not None:
                terms[extra] = -1.0
            name = _name("capacity", resource, lab)
            m.row(name, terms, LE, regular_rhs)
            m.capacity_rows[(resource, t)] = name
            # regular hours are paid per hour used (wages of labour pools are paid per worker)
            for v, hours in load.items():
                m.cost("regular_time", t, v, regular_cost * hours)
            m.cost("regular_time", t, ot, -regular_cost)
            m.cost("overtime", t, ot, ot_cost)


def add_overtime(m: PlanModel) -> None:
    """Labour pools: ot[p,t] <= overtime hours per worker x workers[p,t] (machines: a bound on ot)."""
    d = m.data
    for pool, w in d.workforce.iterrows():
        for t, lab in enumerate(d.labels):
            terms = {m.ot[(pool, t)]: 1.0, m.workers[(pool, t)]: -float(w["overtime_hours_per_worker"])}
            m.row(_name("overtime", pool, lab), terms, LE, 0.0)


def add_subcontract(m: PlanModel) -> None:
    """sub[i,t] <= subcontract limit per period."""
    d = m.data
    caps = d.subcontract_cap
    for i, (item, limit) in enumerate(d.items["subcontract_limit"].items()):
        if (item, 0) not in m.sub:
            continue
        per_period = caps.loc[item].to_numpy(float) if caps is not None and item in caps.index else None
        for t, lab in enumerate(d.labels):
            cap = float(limit)
            if per_period is not None and not math.isnan(per_period[t]):
                cap = per_period[t] if math.isnan(cap) else min(cap, per_period[t])
            if not math.isnan(cap):
                m.row(_name("subcontract", item, lab), {m.sub[(item, t)]: 1.0}, LE, cap)


def add_backlog_rules(m: PlanModel) -> None:
    """No backorders left at the end of the horizon (Settings no_backlog_at_end; always under demand_policy
    meet_all, where demand is a hard requirement and the elastic model relaxes this row last)."""
    d = m.data
    if not d.settings.clear_backlog_at_end:
        return
    last, lab = len(d.labels) - 1, d.labels[-1]
    for item in d.items.index:
        terms: Terms = {m.back[(item, last)]: 1.0}
        left = m.slack("no_backlog_at_end", (item, lab), "units")
        if left is not None:
            terms[left] = -1.0
        m.row(_name("no_backlog_at_end", item), terms, LE, 0.0)


def add_safety_stock(m: PlanModel) -> None:
    """inv[i,t] - back[i,t] + short[i,t] >= safety stock (soft: short is penalised, never forbidden)."""
    d = m.data
    for i, item in enumerate(d.items.index):
        for t, lab in enumerate(d.labels):
            if (item, t) in m.short:
                # on net stock: units held while orders wait do not count as safety stock
                terms = {m.inv[(item, t)]: 1.0, m.short[(item, t)]: 1.0}
                if (item, t) in m.back:
                    terms[m.back[(item, t)]] = -1.0
                m.row(_name("safety_stock", item, lab), terms, GE, float(m.safety[i, t]))


def add_pipeline(m: PlanModel) -> None:
    """make[i,t] + pipeline[i,t] >= post-horizon demand, for the last lead-time periods (soft: a unit not
    started costs what a lost sale costs; in max_margin, the price as well)."""
    d = m.data
    if not m.make:
        return
    lead = d.items["lead_time"].fillna(0).to_numpy(float)
    need = post_horizon_demand(m.demand, lead)
    rows = np.argwhere(need > 1e-9)
    for i, t in rows:
        item = d.items.index[i]
        if (item, t) not in m.make:
            continue
        row = m.item_rows[item]
        lab = d.labels[t]
        v = m.var(_name("pipeline_short", item, lab))
        m.pipeline[(item, t)] = v
        penalty = float(row["lost_sales_cost"] or 0.0)
        if d.settings.objective == "max_margin":
            penalty += float(row["price"] or 0.0)
        if penalty <= 0:
            penalty = float(row["unit_cost"] or 0.0) + float(row["backorder_cost"] or 0.0) + 1.0
        m.cost("safety_stock", t, v, penalty)
        m.row(_name("pipeline", item, lab), {m.make[(item, t)]: 1.0, v: 1.0}, GE,
              float(need[i, t]))


def add_end_targets(m: PlanModel) -> None:
    """inv[i,T] - back[i,T] >= target end stock."""
    d = m.data
    last, lab = len(d.labels) - 1, d.labels[-1]
    for item, target in d.items["target_end_stock"].items():
        if math.isnan(target) or target <= 0:
            continue
        terms: Terms = {m.inv[(item, last)]: 1.0}
        if (item, last) in m.back:  # net stock: a target is not met by stock held against open orders
            terms[m.back[(item, last)]] = -1.0
        missing = m.slack("end_stock", (item, lab), "units")
        if missing is not None:
            terms[missing] = 1.0
        m.row(_name("end_stock", item), terms, GE, float(target))


def add_storage(m: PlanModel) -> None:
    """inv[i,t] <= max stock of the item; sum_i inv[i,t] <= Settings storage_capacity."""
    d = m.data
    for item, cap in d.items["max_stock"].items():
        if math.isnan(cap):
            continue
        for t, lab in enumerate(d.labels):
            terms: Terms = {m.inv[(item, t)]: 1.0}
            excess = m.slack("max_stock", (item, lab), "units")
            if excess is not None:
                terms[excess] = -1.0
            m.row(_name("max_stock", item, lab), terms, LE, float(cap))
    total = d.settings.storage_capacity
    if total is None or math.isnan(total):
        return
    for t, lab in enumerate(d.labels):
        terms = {m.inv[(item, t)]: 1.0 for item in d.items.index}
        excess = m.slack("storage", (lab,), "units")
        if excess is not None:
            terms[excess] = -1.0
        m.row(_name("storage", lab), terms, LE, float(total))


def add_lot_sizing(m: PlanModel) -> None:
    """min_lot setup[i,t] <= make[i,t] <= big_m setup[i,t] (big_m: max lot, else what could ever be needed)."""
    d = m.data
    if not m.setup:
        return
    remaining = d.demand.to_numpy()[:, ::-1].cumsum(axis=1)[:, ::-1]  # demand from t to the end
    for i, item in enumerate(d.items.index):
        if (item, 0) not in m.setup:
            continue
        row = m.item_rows[item]
        need = remaining[i] + float(row["opening_backlog"]) + np.nan_to_num(float(row["target_end_stock"] or 0)) \
            + float(m.safety[i].max())
        for t, lab in enumerate(d.labels):
            big_m = float(row["max_lot"]) if not math.isnan(row["max_lot"]) else max(float(need[t]), 1.0)
            make, setup = m.make[(item, t)], m.setup[(item, t)]
            m.row(_name("lot_max", item, lab), {make: 1.0, setup: -big_m}, LE, 0.0)
            if row["min_lot"] > 0:
                m.row(_name("lot_min", item, lab), {make: 1.0, setup: -float(row["min_lot"])},
                      GE, 0.0)


def set_objective(m: PlanModel) -> None:
    """Minimise total cost, or maximise margin = price x (demand - lost) - total cost.

    The elastic model minimises the total violation of the hard requirements instead.
    """
    if m.elastic:
        m.lp.set_objective({s.var: 1.0 for s in m.slacks})
        return
    total: Terms = defaultdict(float)
    for per_period in m.costs.values():
        for terms in per_period.values():
            for v, c in terms.items():
                total[v] += c
    constant = 0.0
    if m.data.settings.objective == "max_margin":
        # revenue of the units shipped within the horizon: demand (and opening backlog) less what is
        # lost, less what is still backordered at the end
        d = m.data
        price = d.items["price"].to_numpy(float)
        last = len(d.labels) - 1
        for i, item in enumerate(d.items.index):
            if not price[i]:
                continue
            m.revenue_constant[0] += price[i] * float(d.items.at[item, "opening_backlog"])
            for t in range(len(d.labels)):
                m.revenue_constant[t] += price[i] * float(m.demand[i, t])
                if (item, t) in m.lost:
                    m.revenue[t][m.lost[(item, t)]] -= price[i]
            if (item, last) in m.back:
                m.revenue[last][m.back[(item, last)]] -= price[i]
        total = {v: -c for v, c in total.items()}
        for t, terms in m.revenue.items():
            for v, c in terms.items():
                total[v] = total.get(v, 0.0) + c
        constant = sum(m.revenue_constant.values())
    m.lp.set_objective(total, constant)
