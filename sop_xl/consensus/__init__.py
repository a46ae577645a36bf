"""Consensus by e-mail: department review copies, merging their returns, audit trail, versions.

    from sop_xl.consensus import merge, MergeRules
    result = merge(offers, statistical=stat, items=items, rules=MergeRules(), cycle="2027-01")

A pure core: frames and grids in, frames out; it never opens a file. `review` decides what a
department's copy shows, `manifest` signs and checks it, `returns` turns a returned copy
(read by `sop_xl.io.review_copy.ReturnedWorkbook`) into offers, `merge` decides the numbers,
`audit` keeps the trail, `versions` the plans of record, `simulate` the demo's departments.
Drawing and reading the files is `sop_xl.io.review_copy`'s job.
"""

from .merge import MergeResult, MergeRules, merge, parse_priority
from .review import DEPARTMENTS, Department, ReviewPackage, build_review, department

__all__ = ["merge", "MergeRules", "MergeResult", "parse_priority", "DEPARTMENTS", "Department", "ReviewPackage",
           "build_review", "department"]
