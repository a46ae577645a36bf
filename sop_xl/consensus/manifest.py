"""The manifest hidden in every review copy, its signature, and the fingerprint of the master.

A return is trusted only as far as its manifest is signed by the master and matches the
record the master kept when the copy was sent (the ReviewLog row of its copy id): a valid
signature (an HMAC-SHA256 over the manifest, whose key never leaves the master), same digest
(nothing edited), a known department whose input sheet the manifest names, the layout as
sent (the copy's sheet names and the input table's header), same cycle, a cycle that is not
closed yet, and a master fingerprint that still holds (keys, statistical forecast and
horizon settings unchanged since the copy was issued).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

import pandas as pd

from ..issues import column_letter

FORMAT_VERSION = 2
TITLE = "sop_xl review manifest"
MANIFEST_SHEET = "Manifest"
# the settings that decide what a department sees; merge rules may change without making copies stale
FINGERPRINT_SETTINGS = ("cycle", "period_type", "horizon", "first_forecast_period")


class ManifestError(Exception):
    """The manifest sheet is missing or unreadable (the copy was not made by sop_xl, or was edited)."""


def _sha(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "nan"
    return "nan" if math.isnan(v) else f"{v:.4f}"


def row_keys(skus: Iterable[str], families: Iterable[str], period_labels: Iterable[str],
             resources: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
    """The keys a copy was issued with, as (kind, key) pairs in a stable order."""
    return (*(("sku", str(s)) for s in skus), *(("family", str(f)) for f in families),
            *(("period", str(p)) for p in period_labels), *(("resource", str(r)) for r in resources))


def fingerprint(statistical: pd.DataFrame, keys: Iterable[tuple[str, str]], settings: dict[str, Any]) -> str:
    """Hash of the master's keys, statistical forecast (sku, ds, forecast) and horizon settings."""
    stat = statistical.sort_values(["sku", "ds"])
    values = [f"{s}|{pd.Timestamp(d).date()}|{_number(v)}"
              for s, d, v in zip(stat["sku"], stat["ds"], stat["forecast"])]
    chosen = {k: (str(settings.get(k)) if settings.get(k) is not None else "") for k in FINGERPRINT_SETTINGS}
    return _sha({"keys": sorted(f"{k}:{v}" for k, v in keys), "forecast": values, "settings": chosen})[:32]


@dataclass(frozen=True)
class Manifest:
    copy_id: str
    cycle: str
    department: str
    fingerprint: str
    issued_at: str
    input_sheet: str
    master: str
    keys: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    version: int = FORMAT_VERSION
    sheets: tuple[str, ...] = ()        # the copy's tabs as sent, in order
    header: tuple[str, ...] = ()        # the input table's header cells as sent, left to right
    header_row: int = 3                 # the row (1-based) of that header

    def digest(self) -> str:
        data = asdict(self)
        data["keys"] = [list(k) for k in self.keys]
        data["sheets"], data["header"] = list(self.sheets), list(self.header)
        return _sha(data)[:32]

    def signature(self, key: str) -> str:
        """HMAC-SHA256 of the digest (which covers every field, the layout included) with the
        master's review key: only the master can make or check it."""
        return hmac.new(key.encode("utf-8"), self.digest().encode("ascii"), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ sheet form
    def to_rows(self, key: str) -> list[list[Any]]:
        """The cells of the hidden sheet: title, field/value pairs, the digest and the signature
        made with the master's `key` (the key itself is never written), then the keys."""
        rows: list[list[Any]] = [[TITLE, None], ["field", "value"]]
        for name in ("version", "copy_id", "cycle", "department", "fingerprint", "issued_at", "input_sheet",
                     "master", "header_row"):
            rows.append([name, str(getattr(self, name))])
        rows.append(["sheets", json.dumps(list(self.sheets), ensure_ascii=True)])
        rows.append(["header", json.dumps(list(self.header), ensure_ascii=True)])
        rows.append(["digest", self.digest()])
        rows.append(["signature", self.signature(key)])
        rows.append(["key kind", "key"])
        rows.extend([kind, key] for kind, key in self.keys)
        return rows

    @classmethod
    def from_rows(cls, rows: list[list[Any]]) -> tuple["Manifest", str, str]:
        """(manifest, the digest and the signature written in the sheet). Raises ManifestError."""
        cells = [[("" if v is None else str(v)).strip() for v in (list(r) + [None, None])[:2]] for r in rows]
        if not cells or cells[0][0] != TITLE:
            raise ManifestError("the manifest sheet does not start with its title")
        values: dict[str, str] = {}
        keys: list[tuple[str, str]] = []
        in_keys = False
        for a, b in cells[2:]:
            if not a and not b:
                continue
            if (a, b) == ("key kind", "key"):
                in_keys = True
                continue
            if in_keys:
                keys.append((a, b))
            else:
                values[a] = b
        needed = ("version", "copy_id", "cycle", "department", "fingerprint", "issued_at", "input_sheet",
                  "master", "digest")
        missing = [n for n in needed if not values.get(n)]
        if missing:
            raise ManifestError(f"the manifest lacks {', '.join(missing)}")
        try:
            version = int(float(values["version"]))
        except ValueError:
            raise ManifestError(f"the manifest version {values['version']!r} is not a number") from None
        if version < FORMAT_VERSION:
            raise ManifestError(f"the copy was made by an older sop_xl (manifest version {version}) and carries no "
                                "signature")
        try:
            sheets = tuple(str(v) for v in json.loads(values.get("sheets") or "[]"))
            header = tuple(str(v) for v in json.loads(values.get("header") or "[]"))
            header_row = int(float(values.get("header_row") or 3))
        except (ValueError, TypeError):
            raise ManifestError("the manifest's layout is unreadable") from None
        manifest = cls(copy_id=values["copy_id"], cycle=values["cycle"], department=values["department"],
                       fingerprint=values["fingerprint"], issued_at=values["issued_at"],
                       input_sheet=values["input_sheet"], master=values["master"], keys=tuple(keys),
                       version=version, sheets=sheets, header=header, header_row=header_row)
        return manifest, values["digest"], values.get("signature", "")


def key_changes(issued: Iterable[tuple[str, str]], current: Iterable[tuple[str, str]]) -> str:
    """A readable summary of how the master's keys moved since a copy was issued ("" when equal)."""
    a, b = set(issued), set(current)
    if a == b:
        return ""
    parts = []
    for kind in ("sku", "family", "period", "resource"):
        added = sorted(k for t, k in b - a if t == kind)
        removed = sorted(k for t, k in a - b if t == kind)
        if added:
            parts.append(f"{kind} added: {', '.join(added[:5])}" + (" ..." if len(added) > 5 else ""))
        if removed:
            parts.append(f"{kind} removed: {', '.join(removed[:5])}" + (" ..." if len(removed) > 5 else ""))
    return "; ".join(parts)


def layout_problem(manifest: Manifest, sheet_names: Iterable[str], header: Iterable[Any] | None) -> str:
    """Why the copy's layout is not the one sent ("" when it is): `sheet_names` the tabs of the
    return, `header` the cells of its input sheet's header row (None when that sheet is gone)."""
    now = [str(n) for n in sheet_names]
    if manifest.input_sheet not in now:
        extra = [n for n in now if n not in manifest.sheets]
        found = f"; the copy now has {', '.join(repr(n) for n in extra)} instead" if extra else ""
        return (f"layout changed: its input sheet {manifest.input_sheet!r} was renamed or removed{found} "
                f"(a {manifest.department} copy only merges from {manifest.input_sheet})")
    if set(now) != set(manifest.sheets):
        added = [n for n in now if n not in manifest.sheets]
        gone = [n for n in manifest.sheets if n not in now]
        parts = ([f"added {', '.join(repr(n) for n in added)}"] if added else []) + \
                ([f"missing {', '.join(repr(n) for n in gone)}"] if gone else [])
        return f"layout changed: sheets {'; '.join(parts)}"
    cells = ["" if v is None else str(v).strip() for v in (header or [])]
    cells += [""] * (len(manifest.header) - len(cells))
    for i, (sent, got) in enumerate(zip(manifest.header, cells)):
        if got != sent:
            column = column_letter(i + 1)
            return (f"layout changed: header {manifest.input_sheet}!{column}{manifest.header_row} reads "
                    f"{got!r}, the copy was sent with {sent!r}")
    return ""



def verify(manifest: Manifest | None, written_digest: str, record: dict[str, Any] | None, *, cycle: str,
           departments: Iterable[str], fingerprint_now: str, keys_now: Iterable[tuple[str, str]],
           seen: dict[str, str], manifest_problem: str = "", key: str = "", signature: str = "",
           input_sheets: dict[str, str] | None = None, closed: dict[str, str] | None = None) -> str:
    """Why a return must be refused ("" when it may be merged).

    record: the master's ReviewLog row of the copy id (copy_id, cycle, department, digest,
    fingerprint, status, merged_at, merged_file) or None; seen: copy ids already taken in this
    merge -> file name; key: the master's review key ("" when it has none); signature: the one
    written in the copy; input_sheets: department (lower case) -> the name of its input sheet;
    closed: closed cycle -> when it was closed."""
    if manifest is None:
        return f"not a review copy from sop_xl: {manifest_problem or 'no manifest'}"
    if written_digest != manifest.digest():
        return "tampered: the hidden manifest was edited after the copy was sent"
    if record is None:
        return (f"unknown copy {manifest.copy_id[:8]}: it was not sent from this workbook (or its ReviewLog row "
                "was deleted)")
    if not key:
        return ("unsigned: this workbook has no review key (its hidden ReviewKey sheet was deleted), so no copy "
                "can be checked")
    if not hmac.compare_digest(str(signature), manifest.signature(key)):
        return ("tampered: the signature does not match (the manifest was edited, or the copy was not sent from "
                "this workbook)")
    if str(record.get("digest", "")) != manifest.digest():
        return "tampered: the manifest does not match the copy this workbook sent"
    if str(record.get("department", manifest.department)).lower() != manifest.department.lower():
        return (f"tampered: the copy says {manifest.department}, the workbook sent it to "
                f"{record.get('department')}")
    wanted = {d.lower() for d in departments}
    if manifest.department.lower() not in wanted:
        return (f"unknown department {manifest.department!r}: Settings departments lists "
                f"{', '.join(departments) or 'none'}")
    sheet = (input_sheets or {}).get(manifest.department.lower())
    if sheet is not None and sheet != manifest.input_sheet:
        return (f"tampered: a {manifest.department} copy's input sheet is {sheet}, the manifest names "
                f"{manifest.input_sheet}")
    if closed and manifest.cycle in closed:
        return (f"cycle closed: cycle {manifest.cycle} was closed at {closed[manifest.cycle]} and its plan of record "
                "is fixed")
    if manifest.cycle != cycle:
        return f"stale: this copy is for cycle {manifest.cycle}, the workbook is at cycle {cycle}"
    moved = key_changes(manifest.keys, keys_now)
    if moved:
        return f"stale: the SKUs, periods or resources changed since the copy was sent ({moved})"
    if manifest.fingerprint != fingerprint_now:
        return ("stale: the statistical forecast or the horizon changed since the copy was sent "
                f"({manifest.issued_at})")
    if str(record.get("status", "")) == "merged":
        return (f"duplicate return: this copy was already merged at {record.get('merged_at', '')} "
                f"from {record.get('merged_file', '')}")
    if manifest.copy_id in seen:
        return f"duplicate return: the same copy is also in {seen[manifest.copy_id]} in this merge"
    return ""
