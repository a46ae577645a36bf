"""Consensus by e-mail: department review copies, merging their returns, audit trail, versions.

    from sop_xl.consensus import merge, MergeRules
    result = merge(offers, statistical=stat, items=items, rules=MergeRules(), cycle="2027-01")

The core (`review`, `manifest`, `merge`, `audit`, `versions`) works on pandas frames only;
`review_workbook` draws a department's copy with openpyxl and `returns` reads returned
copies as untrusted input.
"""

from .merge import MergeResult, MergeRules, merge, parse_priority
from .review import DEPARTMENTS, Department, ReviewPackage, build_review, department

__all__ = ["merge", "MergeRules", "MergeResult", "parse_priority", "DEPARTMENTS", "Department", "ReviewPackage",
           "build_review", "department"]
