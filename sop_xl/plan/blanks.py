"""What a blank cell means, applied in one place for SKUs, families and scenarios alike.

Every input column declares in the contract (`Column.blank`) what an empty cell means:
``zero``, ``default`` (the column's default), ``unlimited``, ``not offered`` (the option does not
exist), ``derived`` (computed from other columns), ``inherit`` (the parent's value) or
``unknown``. `apply_blanks` turns a frame read from a sheet into the numbers the plan uses and
remembers which cells were blank, so later checks can say what a blank was read as.

Unlimited, not offered, inherit and derived blanks stay NaN here: the model reads NaN as "no
limit" / "no such option"; `derive_item_costs` fills the derived item costs, and
`aggregate_families` aggregates each column by its meaning (a limit blank for one SKU leaves the
family unlimited, a cost blank because the option is not offered averages over the SKUs that
offer it, etc.).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..contract.schema import Blank, Kind, Sheet

NUMERIC = (Kind.NUMBER, Kind.MONEY, Kind.PERCENT, Kind.INTEGER)


def is_blank(v) -> bool:
    """A cell left blank: None, NaN, or only spaces."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def apply_blanks(frame: pd.DataFrame | None, sheet: Sheet) -> pd.DataFrame:
    """The frame with every contract column present and each blank read as its column declares.
    (`blank_rows` on the frame as read tells which cells were blank.)"""
    frame = pd.DataFrame(columns=sheet.column_names()) if frame is None else frame.copy()
    # pandas deep-copies attrs (the reader's cell letters) into every column taken below: set them aside
    attrs, frame.attrs = frame.attrs, {}
    frame.columns = [str(c) for c in frame.columns]
    for col in sheet.columns:
        if col.name not in frame.columns:
            frame[col.name] = np.nan if col.kind in NUMERIC else None
        values = frame[col.name]
        means = col.blank_means
        if means in (Blank.ZERO, Blank.DEFAULT) and col.default is not None:
            empty = _blank_mask(values)
            if empty.any():
                values = values.where(~empty, col.default)
        if col.kind in NUMERIC:
            if values.dtype.kind != "f":
                values = pd.to_numeric(values, errors="coerce").astype(float)
        elif col.kind is Kind.TEXT and col.name in sheet.key + ("item", "resource", "sku", "family"):
            values = pd.Series([None if is_blank(v) else str(v).strip() for v in values.to_numpy()],
                               index=values.index, dtype=object)
        frame[col.name] = values
    frame.attrs = attrs
    return frame


def _blank_mask(values: pd.Series) -> np.ndarray:
    """Which cells of a column are blank (None, NaN or only spaces), as a boolean array."""
    array = values.to_numpy()
    if values.dtype.kind == "f":
        return np.isnan(array)
    if values.dtype != object:
        return values.isna().to_numpy()
    return np.fromiter(map(is_blank, array), bool, len(array))


def blank_rows(frame: pd.DataFrame | None, column: str) -> list:
    """Index values of `frame` (as read, before `apply_blanks`) whose `column` cell is blank. (Not kept in
    frame.attrs: pandas deep-copies attrs on every operation, which costs seconds on 5,000-row tables.)"""
    if frame is None or len(frame) == 0:
        return []
    if column not in frame.columns:
        return list(frame.index)
    return list(frame.index[_blank_mask(frame[column])])


# ------------------------------------------------------------------------------ item costs

def derive_item_costs(table: pd.DataFrame, objective: str, periods_per_year: float) -> pd.DataFrame:
    """Fill the derived Items columns per SKU (before any aggregation):

    - holding cost: unit cost x holding cost rate / periods per year;
    - lost-sales cost: min_cost counts no revenue, so a blank is the price (the revenue lost);
      max_margin already loses the price of a lost unit, so a blank adds nothing (0).
    """
    table = table.copy()
    table["holding_cost"] = table["holding_cost"].where(
        table["holding_cost"].notna(), table["unit_cost"] * table["holding_cost_rate"] / periods_per_year)
    if objective == "max_margin":
        table["lost_sales_cost"] = table["lost_sales_cost"].fillna(0.0)
    else:
        table["lost_sales_cost"] = table["lost_sales_cost"].where(table["lost_sales_cost"].notna(), table["price"])
    return table


# ------------------------------------------------------------------------------ families

# quantities that add up over the SKUs of a family
_SUMMED = ("opening_stock", "opening_backlog", "target_end_stock", "scheduled_receipts")
# limits: blank (unlimited) for any SKU leaves the family unlimited, else they add up
_LIMITS = ("max_stock", "max_lot")


def aggregate_families(table: pd.DataFrame, demand: pd.DataFrame, routing: pd.DataFrame, error_std: pd.Series):
    """Plan per family. Quantities add up; costs and hours are demand-weighted averages over the SKUs
    they apply to; an option not offered by every SKU (subcontracting) is limited, per period, to what
    the SKUs offering it could use. Returns (table, demand, routing, error_std, subcontract_cap) where
    subcontract_cap is families x periods (NaN: no limit) or None. One function on purpose: every column's
    aggregation rule is listed in one place, next to the blank meaning it follows.
    """
    weight = demand.sum(axis=1).reindex(table.index).fillna(0.0)
    fam = table["family"]
    weight = weight.where(weight.groupby(fam).transform("sum") > 0, 1.0)
    numeric = [c for c in table.select_dtypes("number").columns]
    summed = [c for c in numeric if c in _SUMMED]
    limits = [c for c in numeric if c in _LIMITS]
    averaged = [c for c in numeric if c not in _SUMMED and c not in _LIMITS and c != "subcontract_limit"]

    # costs: weighted average over the SKUs where the value is set (a NaN left here means "not offered")
    present = table[averaged].notna()
    w = present.mul(weight, axis=0)
    num = table[averaged].fillna(0.0).mul(weight, axis=0).groupby(fam).sum()
    den = w.groupby(fam).sum()
    den_count = present.groupby(fam).sum()
    avg = num.div(den.where(den > 0))
    # SKUs with no demand weigh 1 when the whole family has none; a value set only on SKUs without
    # demand still counts (plain mean) rather than vanishing
    plain = table[averaged].groupby(fam).mean()
    avg = avg.where(avg.notna() | (den_count == 0), plain)

    out = avg
    out = out.join(table[summed].fillna(0.0).groupby(fam).sum()) if summed else out
    for c in limits:
        lim = table[c].groupby(fam).sum(min_count=1)
        lim[table[c].isna().groupby(fam).any()] = np.nan  # one SKU without a limit: the family has none
        out[c] = lim
    out["family"] = out.index
    out["safety_stock_rule"] = table.groupby(fam)["safety_stock_rule"].first()
    if "lead_time" in out:
        out["lead_time"] = table["lead_time"].groupby(fam).max()  # lead times are whole periods
    out.index.name = "item"

    dem = demand.groupby(fam).sum().reindex(out.index)

    # subcontracting: only the SKUs offering it, each up to what it needs in the period (its demand, plus
    # its opening backlog in the first period) and within its own limit
    sub_cap = None
    if "subcontract_cost" in table:
        offered = table["subcontract_cost"].notna()
        fam_all_unlimited = (offered & table["subcontract_limit"].isna()).groupby(fam).all()
        need = demand.reindex(table.index).to_numpy(float).copy()
        if "opening_backlog" in table and need.shape[1]:
            need[:, 0] += table["opening_backlog"].fillna(0.0).to_numpy(float)
        lim = table["subcontract_limit"].to_numpy(float)[:, None]
        per_sku = np.where(np.isnan(lim), need, np.minimum(lim, need))
        per_sku[~offered.to_numpy()] = 0.0
        cap = pd.DataFrame(per_sku, index=table.index, columns=demand.columns).groupby(fam).sum().reindex(out.index)
        cap[fam_all_unlimited.reindex(out.index).fillna(False).to_numpy()] = np.nan
        out["subcontract_limit"] = np.nan
        if cap.notna().any().any():
            sub_cap = cap

    r = routing.merge(weight.rename("w"), left_on="item", right_index=True)
    r["family"] = r["item"].map(fam)
    r["wh"] = r["w"] * r["hours_per_unit"]
    fam_routing = r.groupby(["family", "resource"], as_index=False)["wh"].sum()
    wsum = weight.groupby(fam).sum()
    fam_routing["hours_per_unit"] = fam_routing["wh"] / fam_routing["family"].map(wsum)
    fam_routing = fam_routing.rename(columns={"family": "item"})[["item", "resource", "hours_per_unit"]]
    err = (error_std.fillna(0) ** 2).groupby(fam).sum() ** 0.5
    err[error_std.isna().groupby(fam).all()] = np.nan
    return out, dem, fam_routing, err.reindex(out.index), sub_cap
