"""Merge the values departments offered into one consensus demand plan.

Rules (from Settings):
- a volume (Sales' volume, Finance's budget) replaces the statistical forecast of its SKU
  and period; when two departments give one, the one higher in `department_priority` wins
  (in the first `near_term_periods` periods `near_term_priority` decides, when set);
- a Marketing uplift (% and/or units) either competes with the volumes by the same priority
  (`uplift_rule = priority`: the department higher in the list decides the number) or goes
  on top of whichever volume won (`uplift_rule = add`);
- a family value is spread over the family's SKUs by their share of the statistical
  forecast in that period; SKUs the same department listed itself keep their number and
  the rest share what is left;
- Finance's prices set the consensus price; Operations' capacities update the calendar.

Plausibility: a value beyond the hard bound of its column (declared in the contract) is
rejected; with `limit_factor` set, a value beyond that many times its reference (the SKU's
largest statistical forecast or history, the usual capacity, the current price) is rejected
unless its row says Confirm = yes. Nothing is clipped silently: an uplift (or a volume) that
would make a final number negative is rejected with the numbers.

Each offered value is either merged (Audit) or rejected with its reason (Rejected):
merged + rejected = offered, checked on every call.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import periods
from ..contract.consensus import CONSENSUS
from .audit import audit_rows, check_accounting, rejected_rows, safe_text
from .review import DEPARTMENTS

VOLUME, PCT, UNITS, PRICE, CAPACITY = "volume", "pct", "units", "price", "capacity"

# (department, offered field) -> (state column, kind)
FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("Sales", "override"): ("sales", VOLUME),
    ("Finance", "budget"): ("finance", VOLUME),
    ("Marketing", "uplift_pct"): ("marketing_pct", PCT),
    ("Marketing", "uplift_units"): ("marketing_units", UNITS),
    ("Finance", "price"): ("price", PRICE),
    ("Operations", "regular_capacity"): ("regular_capacity", CAPACITY),
    ("Operations", "overtime_capacity"): ("overtime_capacity", CAPACITY),
}
VOLUME_COLUMNS = {"sales": "Sales", "finance": "Finance"}
UPLIFT_DEPARTMENT = "Marketing"
FIELD_LABELS = {"override": "volume", "budget": "budget volume", "uplift_pct": "uplift %",
                "uplift_units": "uplift units", "price": "price", "regular_capacity": "regular capacity",
                "overtime_capacity": "overtime capacity"}


@dataclass(frozen=True)
class MergeRules:
    priority: tuple[str, ...] = ("Sales", "Marketing", "Operations", "Finance")
    near_term_priority: tuple[str, ...] = ()
    near_term_periods: int = 0
    uplift_rule: str = "priority"  # or "add"

    def order(self, position: int) -> tuple[str, ...]:
        if self.near_term_priority and position < self.near_term_periods:
            return self.near_term_priority
        return self.priority

    def rank(self, department: str, position: int) -> tuple[int, str]:
        order = [d.lower() for d in self.order(position)]
        name = department.lower()
        return (order.index(name) if name in order else len(order), name)


def parse_priority(text: Any) -> tuple[str, ...]:
    if isinstance(text, (tuple, list)):
        return tuple(str(t).strip() for t in text if str(t).strip())
    return tuple(p.strip() for p in str(text or "").replace(";", ",").split(",") if p.strip())


@dataclass
class MergeResult:
    consensus: pd.DataFrame
    audit: pd.DataFrame
    rejected: pd.DataFrame
    merged: dict[int, dict[str, Any]] = field(default_factory=dict)   # offer_id -> level, old, detail
    reasons: dict[int, str] = field(default_factory=dict)             # offer_id -> why rejected
    calendar: pd.DataFrame | None = None                               # new CapacityCalendar when changed
    offered: int = 0
    # numbers accepted by an earlier merge of the cycle that no longer decide: department, sku, ds, by
    superseded: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Cell:
    """One SKU-period a (possibly family) offer lands on."""
    offer_id: int
    department: str
    column: str
    kind: str
    sku: str
    ds: pd.Timestamp
    value: float
    note: str


def base_state(statistical: pd.DataFrame, items: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """One row per SKU-period of the horizon: the statistical forecast plus what earlier merges of
    this cycle accepted (`previous`: the Consensus sheet of the same cycle)."""
    stat = statistical[["sku", "ds", "forecast"]].rename(columns={"forecast": "statistical"})
    info = items.drop_duplicates("sku").set_index("sku")
    state = stat.copy()
    state["family"] = state["sku"].map(info["family"]).fillna("").astype(object)
    state["price"] = state["sku"].map(info["price"]).astype("float64") if "price" in info else np.nan
    for col in ("sales", "finance", "marketing_pct", "marketing_units"):
        state[col] = np.nan
    for col in ("note_sales", "note_finance", "note_marketing"):
        state[col] = ""
    state = state.set_index(["sku", "ds"]).sort_index()
    if previous is not None and not previous.empty:
        prev = previous.rename(columns={"period": "ds"}).drop_duplicates(["sku", "ds"]).set_index(["sku", "ds"])
        common = state.index.intersection(prev.index)
        for col in ("sales", "finance", "marketing_pct", "marketing_units", "price"):
            if col in prev:
                values = pd.to_numeric(prev.loc[common, col], errors="coerce")
                if col == "price":
                    values = values.where(values.notna(), state.loc[common, "price"])
                state.loc[common, col] = values.to_numpy(dtype="float64")
        if "note" in prev and "source" in prev:
            source = prev.loc[common, "source"].fillna("").astype(str)
            note = prev.loc[common, "note"].map(safe_text)
            for col, dept in (*VOLUME_COLUMNS.items(), ("marketing", UPLIFT_DEPARTMENT)):
                hit = source.str.contains(dept, regex=False).to_numpy()
                state.loc[common[hit], f"note_{col}"] = note.to_numpy()[hit]
    return state


class _Table:
    """The merge state as column arrays with (sku, ds) -> row lookups: single cells are read and
    written often while merging, whole columns when deciding the final numbers."""

    def __init__(self, state: pd.DataFrame):
        self.index = state.index
        self.pos = {key: i for i, key in enumerate(state.index)}
        self.columns = list(state.columns)
        self.cols = {c: state[c].to_numpy(copy=True) for c in state.columns}

    def __contains__(self, key) -> bool:
        return key in self.pos

    def __getitem__(self, key) -> "_Row":
        return _Row(self.cols, self.pos[key])

    def copy(self) -> "_Table":
        twin = object.__new__(_Table)
        twin.index, twin.pos, twin.columns = self.index, self.pos, self.columns
        twin.cols = {c: v.copy() for c, v in self.cols.items()}
        return twin

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: self.cols[c] for c in self.columns}, index=self.index)


class _Row:
    __slots__ = ("cols", "i")

    def __init__(self, cols: dict, i: int):
        self.cols, self.i = cols, i

    def __getitem__(self, col: str) -> Any:
        return self.cols[col][self.i]

    def __setitem__(self, col: str, value: Any) -> None:
        self.cols[col][self.i] = value


DECIDING = ("Sales", "Finance", UPLIFT_DEPARTMENT)   # departments that can decide a demand number


def winners(has: dict[str, np.ndarray], positions: np.ndarray, rules: MergeRules) -> np.ndarray:
    """THE priority rule, for many SKU-periods at once: which department decides each number.

    has: department -> bool array (it has a number there); positions: each SKU-period's place in
    the horizon (0 = first). Under `uplift_rule = add` only the volumes compete (the uplift goes
    on top of the winner); under `priority` the uplift competes too. "" where nobody spoke.
    Both `decide` and the merge's conflict resolution call it."""
    near = positions < rules.near_term_periods

    def ranks(p: int) -> dict[str, int]:
        ordered = sorted(DECIDING, key=lambda d: rules.rank(d, p))
        return {d: ordered.index(d) for d in DECIDING}

    far, close = ranks(10**9), ranks(0)
    big = len(DECIDING) + 1
    competing = DECIDING[:2] if rules.uplift_rule == "add" else DECIDING
    stacked = np.vstack([np.where(has[d], np.where(near, close[d], far[d]), big) for d in competing])
    best = np.argmin(stacked, axis=0)
    return np.where(stacked.min(axis=0) < big, np.array(competing, dtype=object)[best], "")


def _has(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"Sales": ~np.isnan(cols["sales"]), "Finance": ~np.isnan(cols["finance"]),
            UPLIFT_DEPARTMENT: ~(np.isnan(cols["marketing_pct"]) & np.isnan(cols["marketing_units"]))}


def _positions(ds_values, horizon: list[pd.Timestamp]) -> np.ndarray:
    position = {ds: i for i, ds in enumerate(horizon)}
    return np.array([position.get(ds, 0) for ds in ds_values], dtype=int)


def decide_raw(state: pd.DataFrame, rules: MergeRules, horizon: list[pd.Timestamp]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """final (before any clipping at zero), source and note of every SKU-period."""
    names = DECIDING
    col = {c: state[c].to_numpy(dtype="float64") for c in ("statistical", "sales", "finance", "marketing_pct",
                                                           "marketing_units")}
    stat = np.nan_to_num(col["statistical"])
    has = _has(col)
    uplifted = lambda base: base * (1 + np.nan_to_num(col["marketing_pct"])) + np.nan_to_num(col["marketing_units"])
    notes = {d: state[f"note_{d.lower()}"].to_numpy(dtype=object) for d in names}
    winner = winners(has, _positions(state.index.get_level_values(1), horizon), rules)
    n = len(state)
    value, source, note = stat.copy(), np.full(n, "Statistical", dtype=object), np.full(n, "", dtype=object)
    for d, column in (("Sales", "sales"), ("Finance", "finance")):
        mask = winner == d
        value[mask], source[mask], note[mask] = col[column][mask], d, notes[d][mask]
    m = has[UPLIFT_DEPARTMENT]
    if rules.uplift_rule == "add":
        value = np.where(m, uplifted(value), value)
        source = np.where(m, source + " + " + UPLIFT_DEPARTMENT, source)
        note = np.array([("; ".join(x for x in (a, b) if x) if up else a)
                         for a, b, up in zip(note, notes[UPLIFT_DEPARTMENT], m)], dtype=object)
    else:
        mask = winner == UPLIFT_DEPARTMENT
        value = np.where(mask, uplifted(stat), value)
        source[mask], note[mask] = "Statistical + Marketing", notes[UPLIFT_DEPARTMENT][mask]
    return value, source, note


def decide(state: pd.DataFrame, rules: MergeRules, horizon: list[pd.Timestamp]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """final, source and note of every SKU-period from the department columns (vectorised).
    A negative number is shown as 0; `merge` rejects the offers that would cause one."""
    value, source, note = decide_raw(state, rules, horizon)
    return np.maximum(0.0, value), source, note


def finalize(state: pd.DataFrame, rules: MergeRules, horizon: list[pd.Timestamp]) -> pd.DataFrame:
    """The state with final, source and note of every SKU-period."""
    out = state.copy()
    out["final"], out["source"], out["note"] = decide(state, rules, horizon)
    return out


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (x is not None and pd.isna(x))


def merge(offers: pd.DataFrame, *, statistical: pd.DataFrame, items: pd.DataFrame, rules: MergeRules,
          cycle: str, period_type: str = periods.MONTH, time: str = "", previous: pd.DataFrame | None = None,
          resources: pd.DataFrame | None = None, calendar: pd.DataFrame | None = None,
          limit_factor: float | None = None, history_max: dict[str, float] | None = None) -> MergeResult:
    """Merge `offers` (see `audit.OFFER_COLUMNS`) into the consensus of `cycle`.

    statistical: long sku, ds, forecast (the horizon); items: sku, family, price;
    resources / calendar: the master's Resources and CapacityCalendar (Operations' changes);
    limit_factor: the plausibility limit (None: only the hard bounds); history_max: SKU -> its
    largest demand in history (a reference of the plausibility limit, with the forecast).
    """
    horizon = sorted(pd.Timestamp(d) for d in pd.to_datetime(statistical["ds"]).unique())
    state = base_state(statistical, items, previous)
    records = _Table(state)
    before = records.copy()
    before.cols["final"] = decide(state, rules, horizon)[0]
    reasons: dict[int, str] = {}
    merged: dict[int, dict[str, Any]] = {}
    limits = _Limits(limit_factor, state, history_max, resources)
    valid = _validate(offers, state, horizon, resources, period_type, reasons, limits)
    valid = _drop_repeats(valid, reasons, period_type)

    demand = valid[valid["kind"] != CAPACITY]
    cells = _expand(demand, state, records, reasons)
    lost = _apply(cells, records, before, rules, horizon)
    cells = _refuse_negative(cells, lost, records, before, rules, horizon, reasons, period_type)
    superseded = _superseded(cells, lost, reasons, records, before, rules, horizon)
    by_offer: dict[int, list[_Cell]] = defaultdict(list)
    for c in cells:
        by_offer[c.offer_id].append(c)
    for offer in demand.itertuples(index=False):
        if offer.offer_id in reasons:
            continue
        mine = by_offer[offer.offer_id]
        lost_here = [c for c in mine if (c.offer_id, c.sku, c.ds) in lost]
        if len(lost_here) == len(mine):
            winners = sorted({lost[(c.offer_id, c.sku, c.ds)] for c in lost_here})
            reasons[offer.offer_id] = (f"conflicts with a higher-priority department ({', '.join(winners)}) "
                                       f"on {_where(lost_here, period_type)}")
            continue
        merged[offer.offer_id] = _merged_info(offer, mine, lost_here, before, lost)

    new_calendar = None
    capacity = valid[valid["kind"] == CAPACITY]
    if not capacity.empty:
        new_calendar = _capacity(capacity, resources, calendar, cycle, merged, reasons)

    after = finalize(records.frame(), rules, horizon)
    check_accounting(offers, merged, reasons)
    consensus = _consensus_frame(after, cycle)
    return MergeResult(
        consensus=consensus,
        audit=audit_rows(offers, merged, cycle=cycle, time=time),
        rejected=rejected_rows(offers, reasons, cycle=cycle, time=time, period_type=period_type),
        merged=merged, reasons=reasons, calendar=new_calendar, offered=len(offers), superseded=superseded)


# ------------------------------------------------------------------ validation

def _validate(offers: pd.DataFrame, state: pd.DataFrame, horizon: list[pd.Timestamp],
              resources: pd.DataFrame | None, period_type: str, reasons: dict[int, str],
              limits: "_Limits | None" = None) -> pd.DataFrame:
    skus = {str(s) for s in state.index.get_level_values(0).unique()}
    families = {str(f) for f in state["family"].unique() if f}
    resource_names = {str(r) for r in (resources["resource"] if resources is not None and "resource" in resources
                                       else [])}
    lookup_item = {s.lower(): s for s in families} | {s.lower(): s for s in skus}
    lookup_res = {r.lower(): r for r in resource_names}
    first, last = (periods.label(horizon[0], period_type), periods.label(horizon[-1], period_type)) \
        if horizon else ("", "")
    in_horizon = set(horizon)
    cells = set(state.index)
    rows = []
    for o in offers.itertuples(index=False):
        spec = FIELDS.get((o.department, o.field))
        item = str(o.item or "").strip()
        if o.problem:
            reasons[o.offer_id] = o.problem
            continue
        if spec is None:
            reasons[o.offer_id] = f"{o.department or 'an unknown department'} cannot offer {o.field!r}"
            continue
        column, kind = spec
        resolved = _resolve(item, kind, lookup_item, lookup_res, skus)
        if isinstance(resolved, str):
            reasons[o.offer_id] = resolved
            continue
        canonical, level = resolved
        if pd.isna(o.period):
            reasons[o.offer_id] = "no period given"
            continue
        ds = periods.period_start(pd.Timestamp(o.period), period_type)
        if ds not in in_horizon:
            reasons[o.offer_id] = (f"period {periods.label(ds, period_type)} is outside the horizon "
                                   f"{first} to {last}")
            continue
        if level == "SKU" and (canonical, ds) not in cells:
            reasons[o.offer_id] = f"{canonical} has no statistical forecast for {periods.label(ds, period_type)}"
            continue
        value = float(o.value) if not pd.isna(o.value) else math.nan
        if math.isnan(value) or math.isinf(value):
            reasons[o.offer_id] = f"not a number: {o.raw!r}" if o.raw else "no value"
            continue
        problem = _range_problem(kind, value) or _bound_problem(o.department, o.field, value)
        if not problem and limits is not None:
            problem = limits.problem(kind, column, canonical, level, value, bool(getattr(o, "confirmed", False)))
        if problem:
            reasons[o.offer_id] = problem
            continue
        rows.append(dict(offer_id=o.offer_id, department=o.department, field=o.field, column=column, kind=kind,
                         item=canonical, level=level, ds=ds, value=value, note=_note(o), file=o.file,
                         cell=o.cell))
    return pd.DataFrame(rows, columns=["offer_id", "department", "field", "column", "kind", "item", "level", "ds",
                                       "value", "note", "file", "cell"])


def _resolve(item: str, kind: str, lookup_item: dict[str, str], lookup_res: dict[str, str],
             skus: set[str]) -> tuple[str, str] | str:
    """(the item as spelt in the master, its level: SKU, family or resource), or why not."""
    if not item:
        return "no resource given" if kind == CAPACITY else "no SKU or family given"
    if kind == CAPACITY:
        canonical = lookup_res.get(item.lower())
        if canonical is None:
            return f"unknown resource {item!r} (not in Resources)"
        return canonical, "resource"
    canonical = lookup_item.get(item.lower())
    if canonical is None:
        return f"unknown SKU or family {item!r} (not in Items, or it has no forecast)"
    return canonical, "SKU" if canonical in skus else "family"


def _range_problem(kind: str, value: float) -> str:
    if kind in (VOLUME, PRICE, CAPACITY) and value < 0:
        return f"{value:g} is below zero"
    if kind == PCT and value < -1:
        return f"an uplift of {value:.0%} would make demand negative"
    if kind == PCT and value > 10:
        return f"an uplift of {value:.0%} is above 1000% (typed 15 for 15%? that is read as 15%)"
    return ""


def _bound_problem(dept: str, field_name: str, value: float) -> str:
    """The hard bounds of the department's input column (the contract): no Confirm lifts them."""
    d = DEPARTMENTS.get(str(dept).lower())
    if d is None or field_name not in d.sheet.column_names():
        return ""
    col = d.sheet.column(field_name)
    if col.maximum is not None and value > col.maximum:
        return f"{value:g} is beyond the largest {FIELD_LABELS.get(field_name, field_name)} sop_xl accepts ({col.maximum:g})"
    if col.minimum is not None and value < col.minimum:
        return f"{value:g} is beyond the smallest {FIELD_LABELS.get(field_name, field_name)} sop_xl accepts ({col.minimum:g})"
    return ""


class _Limits:
    """The plausibility limit: `factor` times each value's reference; None switches it off."""

    def __init__(self, factor: float | None, state: pd.DataFrame, history_max: dict[str, float] | None,
                 resources: pd.DataFrame | None):
        self.factor = factor
        if factor is None:
            return
        stat_max = state["statistical"].groupby(level=0).max().fillna(0.0)
        hist = pd.Series(history_max or {}, dtype="float64").reindex(stat_max.index).fillna(0.0)
        self.sku = np.maximum(stat_max, hist).clip(lower=0.0).to_dict()
        family = state["family"].groupby(level=0).first()
        self.family = pd.Series(self.sku).groupby(family).sum().to_dict()
        price = state["price"].groupby(level=0).first()
        self.price_sku = price.to_dict()
        self.price_family = price.groupby(family).max().to_dict()
        self.capacity: dict[tuple[str, str], float] = {}
        if resources is not None and "resource" in resources:
            for r in resources.drop_duplicates("resource").itertuples(index=False):
                regular = pd.to_numeric(getattr(r, "regular_capacity", np.nan), errors="coerce")
                overtime = pd.to_numeric(getattr(r, "overtime_capacity", np.nan), errors="coerce")
                self.capacity[(str(r.resource), "regular_capacity")] = regular
                self.capacity[(str(r.resource), "overtime_capacity")] = overtime if not pd.isna(overtime) \
                    and overtime > 0 else regular

    def problem(self, kind: str, column: str, item: str, level: str, value: float, confirmed: bool) -> str:
        if self.factor is None or confirmed:
            return ""
        f = self.factor
        hint = "; if it is meant, type yes in the row's Confirm column"
        if kind in (VOLUME, UNITS):
            ref = (self.sku if level == "SKU" else self.family).get(item, 0.0)
            what = "its largest statistical forecast or history" if level == "SKU" else \
                "the sum of its SKUs' largest statistical forecast or history"
            if abs(value) > f * max(ref, 1.0):
                return f"{value:,.0f} units is more than {f:g} times {what} ({ref:,.0f}){hint}"
        elif kind == PCT and 1 + value > f:
            return f"an uplift of {value:.0%} makes demand more than {f:g} times the forecast{hint}"
        elif kind == PRICE:
            ref = (self.price_sku if level == "SKU" else self.price_family).get(item, np.nan)
            if not pd.isna(ref) and ref > 0 and (value > f * ref or value < ref / f):
                return f"a price of {value:g} is more than {f:g} times away from the current price {ref:g}{hint}"
        elif kind == CAPACITY:
            ref = self.capacity.get((item, column), np.nan)
            if not pd.isna(ref) and value > f * max(ref, 1.0):
                return f"{value:,.0f} hours is more than {f:g} times the usual capacity ({ref:,.0f} h){hint}"
        return ""


def _refuse_negative(cells: list[_Cell], lost: dict, records: "_Table", before: "_Table", rules: MergeRules,
                     horizon: list[pd.Timestamp], reasons: dict[int, str], period_type: str) -> list[_Cell]:
    """Nothing is clipped silently: an offer that makes a final number negative is rejected (an
    uplift first; a volume only when no uplift of this merge is there) and its cells taken back."""
    for _ in range(3):
        raw = decide_raw(records.frame(), rules, horizon)[0]
        negative = {records.index[i] for i in np.flatnonzero(raw < -1e-9)}
        if not negative:
            return cells
        live = [c for c in cells if (c.offer_id, c.sku, c.ds) not in lost and c.offer_id not in reasons]
        at = defaultdict(list)
        for c in live:
            if (c.sku, c.ds) in negative and c.kind != PRICE:
                at[(c.sku, c.ds)].append(c)
        guilty: dict[int, tuple] = {}
        for key, here in at.items():
            ups = [c for c in here if c.kind in (PCT, UNITS)] or here
            for c in ups:
                guilty.setdefault(c.offer_id, (key, raw[records.pos[key]]))
        if not guilty:
            return cells
        for offer_id, (key, value) in guilty.items():
            reasons[offer_id] = (f"it would make the demand of {key[0]} {periods.label(key[1], period_type)} "
                                 f"negative ({value:,.0f} units); sop_xl does not clip it to 0: give a smaller "
                                 "reduction")
            for c in live:
                if c.offer_id == offer_id:
                    _take_back(c, records[(c.sku, c.ds)], before[(c.sku, c.ds)])
        cells = [c for c in cells if c.offer_id not in guilty]
    return cells


def _note(o) -> str:
    if o.event and o.reason:
        return safe_text(f"{o.event}: {o.reason}")
    return safe_text(o.event or o.reason)


def _drop_repeats(valid: pd.DataFrame, reasons: dict[int, str], period_type: str) -> pd.DataFrame:
    """One value per department, key, period and field: the last one offered is used."""
    if valid.empty:
        return valid
    key = ["department", "item", "ds", "field"]
    last = valid.groupby(key, sort=False)["offer_id"].transform("max")
    repeats = valid[valid["offer_id"] != last]
    kept = valid.set_index("offer_id")
    for r in repeats.itertuples(index=False):
        winner = kept.loc[int(last[valid["offer_id"] == r.offer_id].iloc[0])]
        where = f"{winner['file']} {winner['cell']}".strip()
        reasons[r.offer_id] = (f"repeated: {r.item} {periods.label(r.ds, period_type)} "
                               f"{FIELD_LABELS.get(r.field, r.field)} is given again later ({where}); "
                               "the later value was used")
    return valid[valid["offer_id"] == last]


# ------------------------------------------------------------------ spreading and applying

def _expand(demand: pd.DataFrame, state: pd.DataFrame, records: "_Table", reasons: dict[int, str]) -> list[_Cell]:
    cells: list[_Cell] = []
    members: dict[str, list[str]] = defaultdict(list)
    for sku, family in state["family"].groupby(level=0).first().items():
        if family:
            members[family].append(sku)
    sku_level = demand[demand["level"] == "SKU"]
    for o in sku_level.itertuples(index=False):
        cells.append(_Cell(o.offer_id, o.department, o.column, o.kind, o.item, o.ds, o.value, o.note))
    explicit = {(o.department, o.field, o.ds, o.item): o.value for o in sku_level.itertuples(index=False)}
    for o in demand[demand["level"] == "family"].itertuples(index=False):
        skus = members.get(o.item, [])
        own = {s: explicit[(o.department, o.field, o.ds, s)] for s in skus
               if (o.department, o.field, o.ds, s) in explicit}
        rest = [s for s in skus if s not in own]
        if not rest:
            reasons[o.offer_id] = (f"every SKU of family {o.item} has its own "
                                   f"{FIELD_LABELS.get(o.field, o.field)} for this period in the same returns")
            continue
        if o.kind in (PCT, PRICE):
            cells.extend(_Cell(o.offer_id, o.department, o.column, o.kind, s, o.ds, o.value, o.note) for s in rest)
            continue
        remainder = o.value - sum(own.values())
        if o.kind == VOLUME and remainder < 0:
            reasons[o.offer_id] = (f"the family volume {o.value:g} is below the volumes given for its SKUs "
                                   f"({sum(own.values()):g}) in the same returns")
            continue
        for sku, share in zip(rest, _shares(records, rest, o.ds)):
            cells.append(_Cell(o.offer_id, o.department, o.column, o.kind, sku, o.ds, remainder * share, o.note))
    return cells


def _shares(records: "_Table", skus: list[str], ds: pd.Timestamp) -> list[float]:
    """Each SKU's share of the family's statistical forecast in `ds` (equal when it is all zero)."""
    weights = []
    for s in skus:
        value = records[(s, ds)]["statistical"] if (s, ds) in records else 0.0
        weights.append(0.0 if _nan(value) else max(0.0, float(value)))
    total = sum(weights)
    if total <= 0:
        return [1.0 / len(skus)] * len(skus)
    return [w / total for w in weights]


def _apply(cells: list[_Cell], records: "_Table", before: "_Table", rules: MergeRules,
           horizon: list[pd.Timestamp]) -> dict[tuple[int, str, pd.Timestamp], str]:
    """Write the new values into `records`; take back those that lose a priority conflict
    (decided by `winners`, the one home of the priority rule).

    Returns (offer_id, sku, ds) -> the department that beat it."""
    touched: dict[tuple[str, pd.Timestamp], list[_Cell]] = defaultdict(list)
    for c in cells:
        row = records[(c.sku, c.ds)]
        row[c.column] = c.value
        if c.kind != PRICE:
            row["note_" + ("marketing" if c.kind in (PCT, UNITS) else c.column)] = c.note
            touched[(c.sku, c.ds)].append(c)
    lost: dict[tuple[int, str, pd.Timestamp], str] = {}
    if not touched:
        return lost
    keys = list(touched)
    rows = [records.pos[k] for k in keys]
    cols = {c: records.cols[c][rows].astype("float64") for c in ("sales", "finance", "marketing_pct",
                                                                  "marketing_units")}
    decided = winners(_has(cols), _positions([k[1] for k in keys], horizon), rules)
    for key, winner in zip(keys, decided):
        row, old = records[key], before[key]
        new = touched[key]
        if rules.uplift_rule == "add":
            losers = [c for c in new if c.kind == VOLUME and c.department != winner]
        else:
            losers = [c for c in new if c.department != winner]
        for c in losers:
            lost[(c.offer_id, c.sku, c.ds)] = winner
            _take_back(c, row, old)
    return lost


def _superseded(cells: list[_Cell], lost: dict, reasons: dict[int, str], records: "_Table", before: "_Table",
                rules: MergeRules, horizon: list[pd.Timestamp]) -> list[dict[str, Any]]:
    """SKU-periods where a number an earlier merge accepted decided before this merge and a new
    offer of another department decides now (e.g. an uplift superseded by a Sales volume)."""
    live: dict[tuple[str, pd.Timestamp], set[str]] = defaultdict(set)
    for c in cells:
        if c.kind != PRICE and (c.offer_id, c.sku, c.ds) not in lost and c.offer_id not in reasons:
            live[(c.sku, c.ds)].add(c.department)
    if not live:
        return []
    keys = list(live)
    rows = [records.pos[k] for k in keys]
    names = ("sales", "finance", "marketing_pct", "marketing_units")
    was = winners(_has({c: before.cols[c][rows].astype("float64") for c in names}),
                  _positions([k[1] for k in keys], horizon), rules)
    now = winners(_has({c: records.cols[c][rows].astype("float64") for c in names}),
                  _positions([k[1] for k in keys], horizon), rules)
    return [dict(department=old, sku=key[0], ds=key[1], by=new)
            for key, old, new in zip(keys, was, now)
            if old and old != new and new in live[key] and old not in live[key]]


def _take_back(c: _Cell, row: "_Row", old: "_Row") -> None:
    """Put the cell's columns (and note) back to what they were before this merge."""
    if c.kind == PRICE:
        row[c.column] = old[c.column]
        return
    for col in ([c.column] if c.kind == VOLUME else ["marketing_pct", "marketing_units"]):
        row[col] = old[col]
    note_col = "note_" + ("marketing" if c.kind in (PCT, UNITS) else c.column)
    row[note_col] = old[note_col]


def _where(cells: list[_Cell], period_type: str) -> str:
    first = cells[0]
    text = f"{first.sku} {periods.label(first.ds, period_type)}"
    return text if len(cells) == 1 else f"{text} and {len(cells) - 1} more SKU-period(s)"


def _merged_info(offer, mine: list[_Cell], lost_here: list[_Cell], before: "_Table", lost: dict) -> dict[str, Any]:
    olds = [before[(c.sku, c.ds)]["final" if offer.kind == VOLUME else offer.column] for c in mine]
    known = [float(v) for v in olds if not _nan(v)]
    if offer.kind in (VOLUME, UNITS):
        old = sum(known) if known else None
    else:
        old = sum(known) / len(known) if known else None
    details = []
    if offer.level == "family":
        details.append(f"spread over {len(mine)} SKU(s) by forecast share" if offer.kind in (VOLUME, UNITS)
                       else f"applied to {len(mine)} SKU(s)")
    if lost_here:
        winners = sorted({lost[(c.offer_id, c.sku, c.ds)] for c in lost_here})
        details.append(f"{', '.join(winners)} decided {len(lost_here)} of {len(mine)} SKU(s)")
    return dict(level=offer.level, old=old, detail="; ".join(details))


def _capacity(capacity: pd.DataFrame, resources: pd.DataFrame | None, calendar: pd.DataFrame | None,
              cycle: str, merged: dict, reasons: dict) -> pd.DataFrame:
    res = resources.drop_duplicates("resource").set_index("resource") if resources is not None \
        else pd.DataFrame(columns=["regular_capacity", "overtime_capacity"])
    columns = ["resource", "period", "regular_capacity", "overtime_capacity", "reason"]
    cal = calendar[columns].copy() if calendar is not None and not calendar.empty else pd.DataFrame(columns=columns)
    rows = {(r.resource, pd.Timestamp(r.period)): dict(r._asdict()) for r in cal.itertuples(index=False)}
    for o in capacity.itertuples(index=False):
        key = (o.item, o.ds)
        row = rows.get(key)
        usual = res.at[o.item, o.column] if o.item in res.index and o.column in res else math.nan
        if row is None:
            row = dict(resource=o.item, period=o.ds, regular_capacity=res.at[o.item, "regular_capacity"]
                       if o.item in res.index else math.nan, overtime_capacity=None, reason="")
            rows[key] = row
            old = usual
        else:
            cur = row.get(o.column)
            old = usual if _nan(cur) else cur
        row[o.column] = o.value
        row["reason"] = safe_text(f"Operations review {cycle}: {o.note}" if o.note else f"Operations review {cycle}")
        merged[o.offer_id] = dict(level="resource", old=None if _nan(old) else float(old),
                                  detail="CapacityCalendar updated")
    out = pd.DataFrame(list(rows.values()), columns=columns)
    out["period"] = pd.to_datetime(out["period"])
    return out.sort_values(["resource", "period"], kind="stable").reset_index(drop=True)


def _consensus_frame(after: pd.DataFrame, cycle: str) -> pd.DataFrame:
    out = after.reset_index().rename(columns={"ds": "period"})
    out["revenue"] = out["final"] * out["price"]
    out["cycle"] = cycle
    out["note"] = out["note"].map(safe_text)
    return out[CONSENSUS.column_names()].reset_index(drop=True)
