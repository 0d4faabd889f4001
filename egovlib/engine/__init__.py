"""The index engine: every index is an `IndexSpec`, built by `build`, compared by `compare`.

Design (issue 12), in the spirit of COINr (Becker et al.): an index variant is a spec with a
field changed (`IndexSpec.replace`, `Built.regen`); `compare` reports rank shifts with one sign
convention (positive = moves up); `monte_carlo` varies ``{spec field: alternatives}`` and the
data, vectorised, and `sensitivity` gives first- and total-order indices in one metric.

Modules: ``spec`` (the spec type and the YAML of named specs), ``data`` (one edition's data
under the shared vintage rule), ``build`` (the one computation), ``uncertainty`` (Monte Carlo
and Sobol indices), ``audit`` (face validity, effective weights, coverage, concepts),
``assess`` (HCI proposals end to end) -> ``views`` (text and tables) -> ``figures``.
"""

from . import audit
from .assess import Assessment, ProposalResult, assess_proposals, default_alternatives
from .build import Built, Choices, build, compare, evaluate
from .data import LAG, MAX_AGE, IndexData, index_data
from .spec import (
    SPECS_PATH,
    Component,
    IndexSpec,
    load_specs,
    method_words,
    select,
    spec_from_dict,
    variants_of,
)
from .uncertainty import (
    MonteCarlo,
    monte_carlo,
    rank_intervals,
    sensitivity,
    shift_interval,
    sobol_indices,
)

__all__ = [
    "LAG",
    "MAX_AGE",
    "SPECS_PATH",
    "Assessment",
    "Built",
    "Choices",
    "Component",
    "IndexData",
    "IndexSpec",
    "MonteCarlo",
    "ProposalResult",
    "assess_proposals",
    "audit",
    "build",
    "compare",
    "default_alternatives",
    "evaluate",
    "index_data",
    "load_specs",
    "method_words",
    "monte_carlo",
    "rank_intervals",
    "select",
    "sensitivity",
    "shift_interval",
    "sobol_indices",
    "spec_from_dict",
    "variants_of",
]
