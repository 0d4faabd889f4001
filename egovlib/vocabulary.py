"""The UN index vocabulary, written once: index columns, labels, EGDI weights, method changes.

Every module that names an index, labels it, weighs it in the EGDI or asks whether two editions
are comparable imports it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .judgements import load_judgements

#: The UN indices, in report order: the EGDI, its three components, and the supplementary EPI.
INDICES: tuple[str, ...] = ("egdi", "osi", "hci", "tii", "epi")

#: The three components whose mean is the EGDI (the EPI is a supplementary index, not in EGDI).
EGDI_COMPONENTS: tuple[str, str, str] = ("osi", "hci", "tii")

#: Weight of each index in the EGDI (UN method: EGDI = mean of OSI, HCI, TII; EPI has none).
EGDI_WEIGHTS: Mapping[str, float] = {"osi": 1 / 3, "hci": 1 / 3, "tii": 1 / 3, "epi": 0.0}

#: Index labels for axes, tables and prose.
INDEX_NAMES: Mapping[str, str] = {
    "egdi": "E-Government Development Index",
    "osi": "Online Service Index",
    "hci": "Human Capital Index",
    "tii": "Telecommunication Infrastructure Index",
    "epi": "E-Participation Index",
}
INDEX_LABELS: Mapping[str, str] = {k: f"{k.upper()} ({v})" for k, v in INDEX_NAMES.items()}
SHORT_LABELS: Mapping[str, str] = {k: k.upper() for k in INDICES}


@dataclass(frozen=True)
class MethodChange:
    """A documented change of the UN method: scores of ``index`` differ across ``edition``.

    Attributes
    ----------
    edition : int
        First edition computed with the new method.
    index : str
        ``egdi``, ``osi``, ``hci``, ``tii`` or ``epi``.
    change : str
        What changed, in a few words.
    citation : str
        Where this is documented.
    """

    edition: int
    index: str
    change: str
    citation: str


#: Documented methodology changes (``egovlib/judgements/method_changes.yml``).
METHOD_CHANGES: tuple[MethodChange, ...] = load_judgements("method_changes", MethodChange)


def method_breaks(indices: Iterable[str] | str | None = None) -> tuple[int, ...]:
    """Editions that start a new method for any of ``indices`` (all indices if None).

    The EGDI inherits the breaks of its components.
    """
    if isinstance(indices, str):
        indices = [indices]
    wanted = set(INDICES if indices is None else indices)
    if "egdi" in wanted:
        wanted |= set(EGDI_COMPONENTS)
    return tuple(sorted({c.edition for c in METHOD_CHANGES if c.index in wanted}))


def crosses_break(start: int, end: int, indices: Iterable[str] | str | None = None) -> bool:
    """Whether comparing editions ``start`` and ``end`` crosses a method change of ``indices``."""
    lo, hi = sorted((int(start), int(end)))
    return any(lo < b <= hi for b in method_breaks(indices))
