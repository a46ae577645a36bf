"""The trail of a merge: offered values, Audit rows (accepted) and Rejected rows (refused).

An *offer* is one value one return put in one cell (a row with a volume and a price offers
two values). Every offer ends in exactly one of Audit or Rejected; `check_accounting`
proves it for each merge.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import periods
from ..contract.consensus import AUDIT, REJECTED
from ..untrusted import MAX_TEXT, safe_text  # noqa: F401  (re-exported: the core's name for it)

OFFER_COLUMNS = ["offer_id", "copy_id", "department", "file", "sheet", "cell", "item", "period", "field",
                 "value", "raw", "problem", "reason", "event", "confirmed", "formula"]

def empty_offers() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in OFFER_COLUMNS})
    frame["value"] = frame["value"].astype("float64")
    frame["confirmed"] = frame["confirmed"].astype(bool)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def offers_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Offers from records; offer ids are renumbered 0..n-1 in the order given."""
    if not records:
        return empty_offers()
    frame = pd.DataFrame.from_records(records)
    for c in OFFER_COLUMNS:
        if c not in frame:
            frame[c] = False if c == "confirmed" else "" if c not in ("value", "period") else None
    frame = frame[OFFER_COLUMNS].copy()
    frame["offer_id"] = range(len(frame))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["period"] = pd.to_datetime(frame["period"], errors="coerce")
    frame["confirmed"] = frame["confirmed"].map(lambda v: v is True or v == 1).astype(bool)
    for c in ("copy_id", "department", "file", "sheet", "cell", "item", "field", "raw", "problem", "reason",
              "event", "formula"):
        frame[c] = frame[c].map(safe_text)
    return frame.reset_index(drop=True)


def show_period(ts: Any, period_type: str) -> str:
    return "" if ts is None or pd.isna(ts) else periods.label(pd.Timestamp(ts), period_type)


def rejected_rows(offers: pd.DataFrame, reasons: dict[int, str], *, cycle: str, time: str,
                  period_type: str) -> pd.DataFrame:
    rows = []
    for r in offers[offers["offer_id"].isin(reasons)].itertuples(index=False):
        value = r.raw if r.raw else ("" if pd.isna(r.value) else f"{r.value:g}")
        rows.append(dict(cycle=cycle, time=time, department=r.department, file=r.file,
                         cell=f"{r.sheet}!{r.cell}" if r.sheet and r.cell else r.cell, item=r.item,
                         period=show_period(r.period, period_type), field=r.field, value=safe_text(value),
                         reason=safe_text(reasons[r.offer_id])))
    return pd.DataFrame(rows, columns=REJECTED.column_names())


def audit_rows(offers: pd.DataFrame, merged: dict[int, dict[str, Any]], *, cycle: str, time: str
               ) -> pd.DataFrame:
    """`merged`: offer_id -> {level, old, detail}."""
    rows = []
    for r in offers[offers["offer_id"].isin(merged)].itertuples(index=False):
        info = merged[r.offer_id]
        reason = r.reason if not r.event else (f"{r.event}: {r.reason}" if r.reason else r.event)
        detail = "; ".join(x for x in (
            info.get("detail", ""),
            f"last calculated value of the formula {r.formula} (Settings return_formulas is yes)" if r.formula else "",
            "confirmed beyond the plausibility limit" if r.confirmed else "") if x)
        rows.append(dict(cycle=cycle, time=time, department=r.department, file=r.file, item=r.item,
                         level=info.get("level", ""), period=r.period, field=r.field, old=info.get("old"),
                         new=r.value, reason=safe_text(reason), detail=safe_text(detail), cell=r.cell))
    frame = pd.DataFrame(rows, columns=AUDIT.column_names())
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


def append(previous: pd.DataFrame, new: pd.DataFrame, *, keep: int = 50_000) -> pd.DataFrame:
    """Append-only tables keep the newest `keep` rows (Excel stays responsive)."""
    previous = previous.reset_index(drop=True)
    frames = [f for f in (previous, new.reset_index(drop=True)) if not f.empty]
    if not frames:
        return new.iloc[0:0]
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return out.tail(keep).reset_index(drop=True)


def check_accounting(offers: pd.DataFrame, merged: set[int] | dict, rejected: set[int] | dict) -> None:
    """merged + rejected = offered, each offer exactly once. A failure here is a bug, not bad input."""
    ids = set(offers["offer_id"])
    both = set(merged) & set(rejected)
    lost = ids - set(merged) - set(rejected)
    extra = (set(merged) | set(rejected)) - ids
    if both or lost or extra:
        raise AssertionError(f"merge accounting broken: in both {sorted(both)[:5]}, in neither "
                             f"{sorted(lost)[:5]}, unknown {sorted(extra)[:5]}")
