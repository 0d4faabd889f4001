"""UN E-Government Survey methodology: level groups and aggregation (see the survey's annex)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: EGDI level-group thresholds (UN E-Government Survey 2024, Technical appendix): an EGDI at or
#: above the threshold belongs to the group.
LEVEL_THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("Very High", 0.75), ("High", 0.50), ("Middle", 0.25), ("Low", 0.0),
)
LEVEL_ORDER = [name for name, _ in LEVEL_THRESHOLDS]


def level_group(egdi: pd.Series | np.ndarray | float) -> pd.Series:
    """EGDI level group: Very High >= 0.75, High >= 0.50, Middle >= 0.25, else Low.

    Missing EGDI (not assessed) gives a missing group.
    """
    s = pd.Series(egdi, dtype="float64") if not isinstance(egdi, pd.Series) else egdi.astype(float)
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    for name, lo in reversed(LEVEL_THRESHOLDS):
        out[s >= lo] = name
    return pd.Series(pd.Categorical(out, categories=LEVEL_ORDER, ordered=True), index=s.index)
