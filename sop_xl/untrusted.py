"""Text from cells nobody vouches for (returned review copies), made fit to write back.

A shared leaf module: the consensus core (Audit and Rejected rows) and the io layer (drawing a
review copy) both call it, and neither may import the other.
"""

from __future__ import annotations

import math
import re
from typing import Any

# characters XML 1.0 (hence .xlsx) cannot hold; openpyxl refuses them
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_TEXT = 500


def safe_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Text from an untrusted cell, fit to be written back: no control characters, bounded length.

    A leading "=" stays: the writers store every str as text, never as a formula."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = _ILLEGAL.sub("", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
