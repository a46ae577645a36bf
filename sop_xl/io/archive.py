"""The check every workbook goes through before anything inflates it (zip bombs).

An .xlsx/.xlsm is a zip archive. Its central directory says how large each part becomes; a
2 MB file whose one sheet inflates to 2 GB would cost minutes and gigabytes before any reader
noticed. `check_workbook_archive` reads only the directory (milliseconds) and refuses:

- a part larger than MAX_MEMBER_BYTES once inflated, or all parts together above MAX_TOTAL_BYTES;
- a part over 1 MB that inflates more than MAX_RATIO times (deflated spreadsheet XML stays far below:
  a 100,000-SKU history sheet written by sop_xl inflates about 10 times);
- more than MAX_MEMBERS parts, or an encrypted part.

The limits are sized for the largest company sop_xl plans (100,000 SKUs x 60 months is a ~300 MB
sheet part) and can be raised through environment variables named in the message.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path


def _limit(env: str, default: int) -> int:
    try:
        return int(float(os.environ.get(env, default)))
    except ValueError:
        return default


MAX_MEMBER_BYTES = 1024 * 1024 * 1024       # 1 GiB for one part (sheet XML) once inflated
MAX_TOTAL_BYTES = 3 * 1024 * 1024 * 1024    # 3 GiB for the whole workbook once inflated
MAX_RATIO = 200                             # deflated XML rarely beats 1:100
RATIO_FLOOR = 1024 * 1024                   # small parts may compress any amount
MAX_MEMBERS = 20_000


class ArchiveRefused(Exception):
    """Why an archive was refused. `kind` names the limit ("members", "encrypted", "part", "ratio",
    "total"); `part` is the offending zipfile.ZipInfo (for "part" and "ratio"), `total` the declared
    inflated size of all parts and `count` the number of parts, so a caller with its own wording
    (review copies) can say it in its words while the rule stays here."""

    def __init__(self, message: str, hint: str, *, kind: str = "", part: zipfile.ZipInfo | None = None,
                 total: int = 0, count: int = 0):
        super().__init__(message)
        self.message, self.hint = message, hint
        self.kind, self.part, self.total, self.count = kind, part, total, count

    def __str__(self) -> str:
        return f"{self.message} {self.hint}"


def check_workbook_archive(path: str | os.PathLike, *, name: str | None = None,
                           max_member: int | None = None, max_total: int | None = None,
                           max_ratio: int | None = None, max_members: int = MAX_MEMBERS,
                           ratio_floor: int = RATIO_FLOOR) -> list[str]:
    """Refuse `path` (ArchiveRefused) if inflating it would be unsafe; returns the part names.

    The limits default to the module's (raised through the environment variables named in the
    messages); a caller with stricter limits (review copies) passes them, and then the messages
    name no environment variable. Raises zipfile.BadZipFile for a file that is not a zip archive
    at all."""
    path = Path(path)
    name = name or path.name
    env = {"part": " (SOP_XL_MAX_PART_MB)" if max_member is None else "",
           "total": " (SOP_XL_MAX_WORKBOOK_MB)" if max_total is None else "",
           "ratio": " (SOP_XL_MAX_RATIO)" if max_ratio is None else ""}
    if max_member is None:
        max_member = _limit("SOP_XL_MAX_PART_MB", MAX_MEMBER_BYTES >> 20) << 20
    if max_total is None:
        max_total = _limit("SOP_XL_MAX_WORKBOOK_MB", MAX_TOTAL_BYTES >> 20) << 20
    if max_ratio is None:
        max_ratio = _limit("SOP_XL_MAX_RATIO", MAX_RATIO)
    hint = ("Refused as unsafe before reading it (a zip bomb, or a far larger workbook than planning needs). "
            "If the workbook is genuine, raise the limit with the environment variable named here.")
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    declared = sum(i.file_size for i in infos)
    facts = dict(total=declared, count=len(infos))
    if len(infos) > max_members:
        raise ArchiveRefused(f"{name} holds {len(infos):,} parts; the limit is {max_members:,} parts per workbook.",
                             "Refused as unsafe. Open it in Excel and save it again.", kind="members", **facts)
    if any(i.flag_bits & 0x1 for i in infos):
        raise ArchiveRefused(f"{name} is encrypted (password-protected).",
                             "Save a copy without a password (File > Info > Protect Workbook) and use that.",
                             kind="encrypted", **facts)
    for i in infos:
        if i.file_size > max_member:
            raise ArchiveRefused(f"{name}: part {i.filename} would inflate to {i.file_size / 2**20:,.0f} MB, above "
                                 f"the limit of {max_member >> 20:,} MB per part{env['part']}.", hint,
                                 kind="part", part=i, **facts)
        if i.file_size > ratio_floor and i.file_size > max_ratio * max(i.compress_size, 1):
            ratio = i.file_size / max(i.compress_size, 1)
            raise ArchiveRefused(f"{name}: part {i.filename} inflates {ratio:,.0f} times ({i.compress_size:,} bytes "
                                 f"to {i.file_size:,}), above the compression ratio limit of {max_ratio}"
                                 f"{env['ratio']}.", hint, kind="ratio", part=i, **facts)
    if declared > max_total:
        raise ArchiveRefused(f"{name} would inflate to {declared / 2**20:,.0f} MB in all, above the limit of "
                             f"{max_total >> 20:,} MB per workbook{env['total']}.", hint, kind="total", **facts)
    return [i.filename for i in infos]
