"""Departments filling in their review copies, simulated deterministically (demo and tests).

Each department does what it would do in a real cycle, in plain cells of its input table
(openpyxl, as any other program would): Sales raises a few SKUs and one family, Marketing
plans a summer campaign, Finance sets a price rise and a budget that collides with Sales,
Operations books a maintenance week. One Sales reason starts with "=" on purpose: it must
come back as text.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import load_workbook

from .review_workbook import HEADER_ROW, LISTS_SHEET

STATISTICAL_SHEET = "Statistical"


def _context(wb) -> tuple[list[str], list[str], dict[str, float], dict[str, str]]:
    """(SKUs by total forecast, largest first; period labels; SKU totals; SKU -> family)."""
    ws = wb[STATISTICAL_SHEET]
    header = [c.value for c in ws[HEADER_ROW]]
    labels = [str(h) for h in header[2:] if h]
    totals, family = {}, {}
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if not row or row[0] is None:
            continue
        totals[str(row[0])] = float(sum(v for v in row[2:] if isinstance(v, (int, float))))
        family[str(row[0])] = str(row[1] or "")
    ranked = sorted(totals, key=lambda s: (-totals[s], s))
    return ranked, labels, totals, family


def _rows_for(department: str, wb, rng: np.random.Generator) -> list[dict[str, Any]]:
    skus, labels, totals, family = _context(wb)
    if not skus or not labels:
        return []
    h = len(labels)
    per_period = {s: totals[s] / h for s in skus}
    families = sorted({family[s] for s in skus if family[s]})
    if department == "Sales":
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
    if department == "Marketing":
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
    if department == "Finance":
        rows = []
        prices = {}
        if "Prices" in wb.sheetnames:
            for row in wb["Prices"].iter_rows(min_row=HEADER_ROW + 1, values_only=True):
                if row and row[0] is not None and isinstance(row[2], (int, float)):
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
    if department == "Operations":
        lists = wb[LISTS_SHEET]
        resources = [r[0] for r in lists.iter_rows(min_row=2, max_col=1, values_only=True) if r and r[0]]
        if not resources:
            return []
        first = sorted(resources)[0]
        return [dict(resource=first, period=labels[min(1, h - 1)], regular_capacity=float(rng.integers(1500, 2500)),
                     reason="Maintenance week")]
    return []


def fill_copy(path: Path, department: str, rows: list[dict[str, Any]]) -> None:
    """Type `rows` into the department's input table (by header), as a person would."""
    wb = load_workbook(path)
    sheet = next(n for n in wb.sheetnames if n.lower() == f"{department.lower()}input")
    ws = wb[sheet]
    from .review import department as find
    dept = find(department)
    columns = {c.name: i + 1 for i, c in enumerate(dept.sheet.columns)}
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for name, value in row.items():
            cell = ws.cell(row=r, column=columns[name], value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a person typing "=..." in a text cell gets text
    wb.save(path)


def simulate_returns(files: list[Path], out_dir: str | Path, *, seed: int = 7) -> list[Path]:
    """Copy each review file to `out_dir` and fill it in as its department would."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    returned = []
    for path in files:
        path = Path(path)
        wb = load_workbook(path, read_only=False)
        department = next((n[: -len("Input")] for n in wb.sheetnames if n.endswith("Input")), None)
        if department is None:
            continue
        rng = np.random.default_rng([seed, sum(map(ord, department))])
        rows = _rows_for(department, wb, rng)
        target = out_dir / path.name.replace("-review-", "-return-")
        shutil.copy(path, target)
        fill_copy(target, department, rows)
        returned.append(target)
    return returned
