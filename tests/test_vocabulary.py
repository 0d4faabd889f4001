"""The index vocabulary and the typed loader of judgement tables."""

from dataclasses import dataclass

import pytest

from egovlib import vocabulary
from egovlib.errors import SpecError
from egovlib.judgements import load_judgements


@dataclass(frozen=True)
class Entry:
    name: str
    weight: float
    tags: tuple[str, ...]
    citation: str


def _write(tmp_path, text):
    p = tmp_path / "t.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_loader_fills_default_citation_and_types(tmp_path):
    p = _write(
        tmp_path,
        "citation: Some report, 2024\nentries:\n"
        "  - {name: a, weight: 1, tags: [x, y]}\n"
        "  - {name: b, weight: 0.5, tags: [], citation: 'Other, p. 3'}\n",
    )
    a, b = load_judgements("t", Entry, p)
    assert a == Entry("a", 1.0, ("x", "y"), "Some report, 2024")
    assert isinstance(a.weight, float)
    assert b.citation == "Other, p. 3"


@pytest.mark.parametrize(
    "body, message",
    [
        ("entries:\n  - {name: a, weight: 1, tags: []}\n", "no citation"),
        ("citation: c\nentries:\n  - {name: a, tags: []}\n", "missing field(s) weight"),
        ("citation: c\nentries:\n  - {name: a, weight: 1, tags: [], colour: red}\n", "colour"),
        ("citation: c\nentries:\n  - {name: a, weight: heavy, tags: []}\n", "field `weight`"),
        ("citation: c\nentries:\n  - {name: a, weight: 1, tags: x}\n", "expected a list"),
        ("citation: c\n", "entries"),
    ],
)
def test_loader_refuses_malformed_tables(tmp_path, body, message):
    p = _write(tmp_path, body)
    with pytest.raises(SpecError, match="t.yml") as err:
        load_judgements("t", Entry, p)
    assert message in str(err.value)
    assert "Fix" in str(err.value)


def test_method_changes_are_cited_and_breaks_derived():
    assert all(c.citation for c in vocabulary.METHOD_CHANGES)
    assert vocabulary.method_breaks("hci") == (2008, 2014)
    assert vocabulary.method_breaks(("osi", "tii")) == (2014,)
    # The EGDI inherits its components' breaks; the EPI has none documented.
    assert vocabulary.method_breaks("egdi") == (2008, 2014)
    assert vocabulary.method_breaks("epi") == ()
    assert vocabulary.crosses_break(2012, 2014, "osi")
    assert not vocabulary.crosses_break(2014, 2024)
    assert vocabulary.crosses_break(2024, 2005, "hci")  # order of the editions does not matter


def test_egdi_weights_sum_to_one_over_components():
    assert sum(vocabulary.EGDI_WEIGHTS[c] for c in vocabulary.EGDI_COMPONENTS) == pytest.approx(1)
    assert vocabulary.EGDI_WEIGHTS["epi"] == 0
