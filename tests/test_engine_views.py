"""What reports 03 and 05 say, read as a reader would: no internal names, nothing printed twice,
old editions in one sentence, another group's run never speaking of the GCC, nothing later than
the report's edition."""

from __future__ import annotations

import re

import pytest
from test_browser import internal_names

from egovlib import load_egdi_panel, resolve_group
from egovlib import methodology as meth
from egovlib.engine import assess_proposals
from egovlib.engine import views as V

MAGHREB = ["DZA", "LBY", "MAR", "MRT", "TUN"]


def texts_05(a) -> list[str]:
    """Every sentence and table cell notebook 05 shows."""
    out = [*V.key_findings(a), V.intro(a), V.baseline_text(a), V.position_text(a)]
    out += [V.memo(a), V.sensitivity_text(a), V.log_text(a)]
    tables = [V.position_table(a)]
    if a.evaluable:
        out += [V.coverage_text(a), V.weights_text(a), V.weights_view(a)[1]]
        out += [V.shift_interval_view(a)[1], *(V.face_text(p) for p in a.evaluable)]
        tables += [V.proposals_table(a), V.coverage_table(a), V.weights_table(a)]
        tables += [V.summary_table(a), V.sensitivity_table(a)]
        tables += [V.face_table(p) for p in a.evaluable]
    for t in tables:
        shown = t.astype(object).where(t.notna(), "–")  # as `report.show_table` shows a gap
        out += [str(c) for c in t.columns] + [str(v) for v in shown.to_numpy().ravel()]
    return out


@pytest.fixture(scope="module")
def gcc_2024():
    return assess_proposals(2024, "BHR", resolve_group("GCC"), "GCC", n_draws=400)


@pytest.fixture(scope="module")
def maghreb_2024():
    return assess_proposals(2024, "TUN", MAGHREB, V.group_label(MAGHREB), n_draws=400)


@pytest.fixture(scope="module")
def gcc_2008():
    return assess_proposals(2008, "BHR", resolve_group("GCC"), "GCC", n_draws=400)


@pytest.mark.parametrize("which", ["gcc_2024", "maghreb_2024", "gcc_2008"])
def test_05_names_things_not_code(which, request):
    a = request.getfixturevalue(which)
    text = texts_05(a)
    assert internal_names(text) == []
    assert not any(re.search(r"\bnan\b", t) for t in text), "a missing value printed as nan"


def test_05_memo_states_each_shift_once_and_sums_up_for_the_focus_country(gcc_2024):
    memo = V.memo(gcc_2024)
    assert memo.count("## 6. Methodology memo") == 1
    for p in gcc_2024.evaluable:
        assert memo.count(V._shift_sentence(p, "BHR")) == 1, p.spec.label
    outlook = memo.split("**What Bahrain should expect.**")[1]
    assert "should be counted on" in outlook and outlook.count("*HCI +") <= 2


def test_05_key_findings_name_the_largest_top10_move_and_the_focus_gain(gcc_2024):
    kf = V.key_findings(gcc_2024)
    assert 3 <= len(kf) <= 5
    assert "Denmark 1 → 15 in the EGDI" in kf[1]  # the strategy/programme proposal, 2024
    assert kf[2].startswith("Bahrain's largest expected EGDI gain")
    # the expected change is the Monte Carlo median, with its interval and the nominal apart
    s = next(V.focus_shift(p, "BHR") for p in gcc_2024.evaluable if f"*{p.spec.label}*" in kf[2])
    assert f"{s['median']:+.0f} places (median of the Monte Carlo builds; 90% interval" in kf[2]
    assert f"{s['nominal']:+.0f} as specified" in kf[2]
    assert s["lower"] <= s["median"] <= s["upper"]
    assert "excludes no change" not in kf[2] and "interval excludes zero" in kf[2]


def test_05_attribution_says_the_rebuild_error_first_and_shows_it_beside_the_costs(gcc_2024):
    check = V.rebuild_check(gcc_2024)
    # Bahrain 2024: rebuilt about 0.778 against 0.868 published, a miss larger than any cost
    assert check["error"] == pytest.approx(-0.090, abs=0.002) and check["error_exceeds"]
    text = V.position_text(gcc_2024)
    body = text.split("**", 2)[2]
    assert body.index(f"an error of {check['error']:+.3f}") < body.index(
        "cost Bahrain about the same"
    )
    # expected (0.050) and mean years (0.047) differ by less than the rebuild misses the gap
    assert "neither can be called the larger" in text
    assert "the rebuilt level is not" in text
    table = V.position_table(gcc_2024)
    assert table["Input"].iloc[-1].startswith("Error of the rebuilt HCI")
    assert table["Cost in HCI points"].iloc[-1] == pytest.approx(check["error"])


def test_05_another_group_is_never_called_the_gcc(maghreb_2024):
    text = " ".join(texts_05(maghreb_2024))
    assert "GCC" not in text and "Gulf" not in text
    assert "Tunisia" in text and "the selected countries" in V.intro(maghreb_2024)


def test_05_old_edition_in_one_sentence_without_empty_sections(gcc_2008):
    a = gcc_2008
    assert not a.evaluable
    kf = V.key_findings(a)
    assert kf[0].startswith("No proposal can be evaluated for 2008")
    assert not re.search(r"20(09|1\d|2\d)", " ".join(kf)), "quotes an edition after 2008"
    assert V.memo(a) == ""
    assert "has no adult literacy value" in V.position_text(a)  # Bahrain: no 2002-07 literacy
    assert V.position_table(a).empty


def test_03_names_the_least_robust_group_country_and_2008_alone():
    data = meth.edition_data(2024)
    builds = meth.method_builds(data)
    ranks = meth.method_group_ranks(builds, MAGHREB)
    text = meth.method_text(meth.method_summary(builds), ranks, "TUN", data)
    # said once, in the key findings (the body points to the table)
    said = meth._focus_range(ranks, "TUN") + meth._least_robust(ranks, "TUN")
    assert "Tunisia (published rank 87) ranks between 87" in said
    assert "the rank of Libya (published 125) depends most on the method" in said
    assert "depends most on the method" not in text and "Tunisia" not in text
    panel = load_egdi_panel()
    w = meth.weights_appendix(panel, 2008)
    shown = [w.text, w.alt, *w.table.astype(str).to_numpy().ravel()]
    assert not any("2010" in t for t in shown[1:]) and "2018" not in w.text
    assert internal_names(shown) == []
    assert w.table["beyond"].tolist() == ["all but Thailand", "Cameroon, Cambodia"]
    assert meth.weights_appendix(panel, 2005).figure is None


def test_name_list_never_prints_a_long_list():
    names = [f"C{i}" for i in range(20)]
    assert meth.name_list(names[:3]) == "C0, C1, C2"
    assert meth.name_list(names[:19], names[19:]) == "all but C19"
    assert meth.name_list(names, []) == "all 20"
    assert meth.name_list(names[:12], names[12:]) == "C0, C1, C2 and 9 more"


def test_engine_figures_use_the_house_style_without_changing_global_settings():
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import pandas as pd

    from egovlib.engine import figures

    before = dict(mpl.rcParams)
    table = pd.DataFrame(
        {"proposal": ["A", "A"], "component": ["x", "y"], "nominal_weight": [0.5, 0.5],
         "effective_weight": [0.8, 0.2]}
    )  # fmt: skip
    fig = figures.weight_bars(table, "Title", "Source: test.")
    ax = fig.axes[0]
    assert not ax.spines["top"].get_visible() and fig.get_dpi() == 110  # the house style
    assert dict(mpl.rcParams) == before  # and nothing leaks into the next figure
    plt.close(fig)
