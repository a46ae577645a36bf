"""Departments filling in their review copies, simulated deterministically (demo and tests).

Each department does what it would do in a real cycle: Sales raises a few SKUs and one
family, Marketing plans a summer campaign, Finance sets a price rise and a budget that
collides with Sales, Operations books a maintenance week. One Sales reason starts with "="
on purpose: it must come back as text.

Pure: the copy's context sheets come in as grids (`sheets`: name -> rows from A1), the rows
to type go out as column name -> value; the command layer reads and fills the files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STATISTICAL_SHEET = "Statistical"
LISTS_SHEET = "Lists"
HEADER_ROW = 3  # the row of a context sheet's header (io.review_copy draws them so)


def _rows(grid: list[list[Any]], first: int) -> list[list[Any]]:
    return [list(r) for r in grid[first - 1:]]


def _context(sheets: dict[str, list[list[Any]]]) -> tuple[list[str], list[str], dict[str, float], dict[str, str]]:
    """(SKUs by total forecast, largest first; period labels; SKU totals; SKU -> family)."""
    grid = sheets.get(STATISTICAL_SHEET, [])
    header = grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else []
    labels = [str(h) for h in header[2:] if h]
    totals, family = {}, {}
    for row in _rows(grid, HEADER_ROW + 1):
        if not row or row[0] is None:
            continue
        totals[str(row[0])] = float(sum(v for v in row[2:] if isinstance(v, (int, float))))
        family[str(row[0])] = str(row[1] or "")
    ranked = sorted(totals, key=lambda s: (-totals[s], s))
    return ranked, labels, totals, family


def rows_for(department: str, sheets: dict[str, list[list[Any]]], rng: np.random.Generator
             ) -> list[dict[str, Any]]:
    """What `department` types into its copy, given the copy's context sheets as grids."""
    skus, labels, totals, family = _context(sheets)
    if not skus or not labels:
        return []
    h = len(labels)
    per_period = {s: totals[s] / h for s in skus}
    families = sorted({family[s] for s in skus if family[s]})
    if department == "Sales":
        return _sales_rows(skus, labels, per_period, family, families, rng)
    if department == "Marketing":
        return _marketing_rows(skus, labels, per_period, families)
    if department == "Finance":
        return _finance_rows(sheets, skus, labels, per_period, family, families)
    if department == "Operations":
        return _operations_rows(sheets, labels, rng)
    return []


def _sales_rows(skus, labels, per_period, family, families, rng) -> list[dict[str, Any]]:
    h = len(labels)
    rows = []
    for k, sku in enumerate(skus[:3]):
        for p in range(min(3, h)):
            factor = 1.0 + float(rng.uniform(0.05, 0.25))
            rows.append(dict(item=sku, period=labels[p], override=round(per_period[sku] * factor),
                             reason="=Key account order confirmed" if (k, p) == (0, 0)
                             else f"Customer forecast +{factor - 1:.0%}"))
    if families and h > 3:
        fam = families[0]
        total = sum(per_period[s] for s in skus if family[s] == fam)
        rows.append(dict(item=fam, period=labels[3], override=round(total * 0.9),
                         reason="Distributor destocking"))
    return rows


def _marketing_rows(skus, labels, per_period, families) -> list[dict[str, Any]]:
    h = len(labels)
    rows = []
    if families and h > 5:
        fam = families[-1]
        for p in (4, 5):
            rows.append(dict(item=fam, period=labels[p], uplift_pct=0.15, event="Summer campaign",
                             reason="TV and online, as in last year's campaign"))
    rows.append(dict(item=skus[0], period=labels[0], uplift_pct=0.10, event="Trade fair",
                     reason="Launch at the fair"))  # collides with Sales: priority decides
    rows.append(dict(item=skus[min(5, len(skus) - 1)], period=labels[min(2, h - 1)],
                     uplift_units=round(per_period[skus[min(5, len(skus) - 1)]] * 0.2), event="Retail display",
                     reason="Extra shelf space"))
    return rows


def _finance_rows(sheets, skus, labels, per_period, family, families) -> list[dict[str, Any]]:
    h = len(labels)
    rows = []
    prices = {}
    if "Prices" in sheets:
        for row in _rows(sheets["Prices"], HEADER_ROW + 1):
            if len(row) > 2 and row[0] is not None and isinstance(row[2], (int, float)):
                prices[str(row[0])] = float(row[2])
    if families and h > 6:
        fam = families[min(1, len(families) - 1)]
        for sku in [s for s in skus if family[s] == fam and s in prices][:4]:
            rows.append(dict(item=sku, period=labels[6], price=round(prices[sku] * 1.03, 2),
                             reason="Price list 2027: +3%"))
    rows.append(dict(item=skus[1], period=labels[1], budget=round(per_period[skus[1]] * 0.95),
                     reason="Budget volume"))  # Sales gave this one too: Sales wins
    mid = skus[min(10, len(skus) - 1)]
    rows.append(dict(item=mid, period=labels[-1], budget=round(per_period[mid] * 1.1),
                     reason="Budget volume"))
    return rows


def _operations_rows(sheets, labels, rng) -> list[dict[str, Any]]:
    h = len(labels)
    resources = [r[0] for r in _rows(sheets.get(LISTS_SHEET, []), 2) if r and r[0]]
    if not resources:
        return []
    first = sorted(resources)[0]
    return [dict(resource=first, period=labels[min(1, h - 1)], regular_capacity=float(rng.integers(1500, 2500)),
                 reason="Maintenance week")]
