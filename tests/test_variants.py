"""Index variants as data: hand-checked scores, missing-data policy, specs from YAML, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from egovlib import variants as V
from egovlib.errors import SpecError
from egovlib.indices import rank_desc

GCC = ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]
PROPOSAL_COVARIATES = [
    "ict_skills_mean",
    "gtmi_digital_skills_strategy",
    "gtmi_digital_skills_programme",
    "coursera_technology",
]


def toy_panel(
    x=(1.0, 2.0, 3.0, 5.0), hci=(0.2, 0.4, 0.6, 1.0), income=("L", "L", "H", "H"), year=2024
) -> pd.DataFrame:
    """Four countries with published components and one covariate ``x``."""
    n = len(x)
    return pd.DataFrame(
        {
            "iso3": [f"C{i}" for i in range(n)],
            "country": [f"Country {i}" for i in range(n)],
            "year": year,
            "assessed": True,
            "region": ["R1", "R1", "R2", "R2"][:n],
            "subregion": "S",
            "income_group": list(income),
            "osi": [0.5] * n,
            "hci": list(hci),
            "tii": [0.5] * n,
            "egdi": [0.5] * n,
            "x": list(x),
        }
    )


def spec(components, **kw) -> V.VariantSpec:
    comps = tuple(c if isinstance(c, V.Component) else V.Component(*c) for c in components)
    return V.VariantSpec(name="toy", label="toy", components=comps, **kw)


# ---------------------------------------------------------------- hand-checked arithmetic


def test_minmax_arithmetic_rescaled_by_hand():
    s = spec([("hci", 0.75), ("x", 0.25)], normalisation="minmax", rescale="minmax")
    r = V.compute_variant(s, 2024, toy_panel())
    # hci minmax: 0, .25, .5, 1 ; x minmax: 0, .25, .5, 1 -> aggregate equals them -> rescale same
    assert r.data["score"].tolist() == pytest.approx([0, 0.25, 0.5, 1.0], abs=1e-15)
    s2 = spec([("hci", 0.5), ("x", 0.5)], normalisation="minmax", rescale="none")
    r2 = V.compute_variant(s2, 2024, toy_panel(x=(5.0, 3.0, 2.0, 1.0)))
    # hci: 0, .25, .5, 1 ; x: 1, .5, .25, 0 -> means .5, .375, .375, .5
    assert r2.data["score"].tolist() == pytest.approx([0.5, 0.375, 0.375, 0.5], abs=1e-15)
    assert r2.data["rank"].tolist() == [1, 3, 3, 1]


def test_zscore_and_rank_and_frontier_by_hand():
    x = (1.0, 2.0, 3.0, 6.0)  # mean 3, sample sd sqrt(14/3)
    sd = np.sqrt(14 / 3)
    z = spec([("x", 1.0)], normalisation="zscore", rescale="none")
    got = V.compute_variant(z, 2024, toy_panel(x=x)).data["score"].to_numpy()
    assert got == pytest.approx(np.array([-2, -1, 0, 3]) / sd, abs=1e-15)
    rk = spec([("x", 1.0)], normalisation="rank", rescale="none")
    got = V.compute_variant(rk, 2024, toy_panel(x=(1.0, 2.0, 2.0, 9.0))).data["score"]
    assert got.tolist() == pytest.approx([0, 0.5, 0.5, 1], abs=1e-15)  # ties share 1.5 -> .5
    fr = spec([("x", 1.0)], normalisation="distance_to_frontier", rescale="none")
    got = V.compute_variant(fr, 2024, toy_panel(x=(1.0, 2.0, 4.0, 8.0))).data["score"]
    assert got.tolist() == pytest.approx([0.125, 0.25, 0.5, 1], abs=1e-15)


def test_constant_column_carries_no_information():
    s = spec([("hci", 0.5), ("x", 0.5)], normalisation="minmax", rescale="none")
    r = V.compute_variant(s, 2024, toy_panel(x=(7.0, 7.0, 7.0, 7.0)))
    # constant x -> 0.5 for everyone; score = .5 * hci_minmax + .25
    assert r.data["score"].tolist() == pytest.approx([0.25, 0.375, 0.5, 0.75], abs=1e-15)


def test_geometric_mean_by_hand_and_zero_gives_zero():
    s = spec(
        [("hci", 0.5), ("x", 0.5)],
        normalisation="distance_to_frontier",
        aggregation="geometric",
        rescale="none",
    )
    r = V.compute_variant(s, 2024, toy_panel(x=(4.0, 0.0, 1.0, 4.0), hci=(0.25, 0.5, 1.0, 1.0)))
    # dtf: hci .25,.5,1,1 ; x 1,0,.25,1 -> sqrt(.25*1)=.5, 0 (a zero), sqrt(.25)=.5, 1
    assert r.data["score"].tolist() == pytest.approx([0.5, 0.0, 0.5, 1.0], abs=1e-15)
    with pytest.raises(SpecError, match="non-negative"):
        spec([("x", 1.0)], normalisation="zscore", aggregation="geometric")


def test_lower_is_better_is_flipped_within_the_range():
    s = spec([V.Component("x", 1.0, direction=-1)], normalisation="none", rescale="none")
    r = V.compute_variant(s, 2024, toy_panel(x=(1.0, 2.0, 3.0, 5.0)))
    assert r.data["score"].tolist() == pytest.approx([5, 4, 3, 1], abs=1e-15)


# ---------------------------------------------------------------- missing-data policy


def test_imputation_flags_set_exactly_where_data_were_missing():
    panel = toy_panel(x=(1.0, np.nan, np.nan, 5.0), income=("L", "L", "H", "M"))
    s = spec(
        [("hci", 0.75), ("x", 0.25)],
        missing=V.MissingPolicy(min_coverage=0.5, impute="income_group"),
    )
    r = V.compute_variant(s, 2024, panel)
    # C1 (L) gets the L median (1.0); C2 (H) has no H value -> stays missing and is reweighted
    assert r.imputed["x"].tolist() == [False, True, False, False]
    assert not r.imputed["hci"].any()
    assert r.data["value_x"].tolist()[:2] == [1.0, 1.0] and np.isnan(r.data["value_x"].iloc[2])
    assert r.data["reweighted"].tolist() == [False, False, True, False]
    assert r.coverage.loc["x", ["observed", "imputed", "missing"]].tolist() == [2, 1, 1]


def test_min_coverage_blocks_imputation_and_otherwise_decides():
    panel = toy_panel(x=(1.0, np.nan, 3.0, 5.0), income=("L", "L", "L", "L"))
    strict = spec(
        [("hci", 0.75), ("x", 0.25)],
        missing=V.MissingPolicy(min_coverage=1.0, impute="income_group"),
    )
    r = V.compute_variant(strict, 2024, panel)
    assert not r.imputed.any().any()
    assert r.data["reweighted"].tolist() == [False, True, False, False]
    # reweighted over hci alone -> its normalised HCI (0.25), before the final rescale
    s_none = spec(
        [("hci", 0.75), ("x", 0.25)],
        rescale="none",
        missing=V.MissingPolicy(min_coverage=1.0, impute="none"),
    )
    assert V.compute_variant(s_none, 2024, panel).data["score"].iloc[1] == pytest.approx(0.25)
    drop = spec(
        [("hci", 0.75), ("x", 0.25)], missing=V.MissingPolicy(impute="none", otherwise="missing")
    )
    rd = V.compute_variant(drop, 2024, panel)
    assert rd.data["scored"].tolist() == [True, False, True, True]
    assert pd.isna(rd.data["rank"].iloc[1])


# ---------------------------------------------------------------- specs and clear errors


def test_weights_must_sum_to_one_with_a_clear_error():
    with pytest.raises(SpecError, match=r"weights must sum to 1; they sum to 0\.9"):
        spec([("hci", 0.7), ("x", 0.2)])
    with pytest.raises(SpecError, match="weights must sum to 1"):
        V.spec_from_dict(
            "bad",
            {
                "components": [
                    {"variable": "hci", "weight": 0.6},
                    {"variable": "osi", "weight": 0.6},
                ]
            },
        )


def test_unknown_variable_in_yaml_names_it_and_the_known_ones(tmp_path):
    f = tmp_path / "variants.yml"
    f.write_text(
        "variants:\n  typo:\n    components:\n"
        "      - {variable: hci, weight: 0.75}\n"
        "      - {variable: ict_skils_mean, weight: 0.25}\n"
    )
    with pytest.raises(SpecError) as exc:
        V.load_specs(f)
    msg = str(exc.value)
    assert "ict_skils_mean" in msg and "Known variables" in msg
    assert "ict_skills_mean" in msg.split("Known variables")[1]  # the right name is listed
    assert str(f) in msg


def test_yaml_spec_with_an_unknown_key_or_method_is_rejected(tmp_path):
    f = tmp_path / "variants.yml"
    f.write_text(
        "variants:\n  v:\n    normalization: minmax\n    components: [{variable: hci, weight: 1}]\n"
    )
    with pytest.raises(SpecError, match="unknown key"):
        V.load_specs(f)
    with pytest.raises(SpecError, match="normalisation 'log' unknown"):
        spec([("hci", 1.0)], normalisation="log")


def test_shipped_specs_are_valid_and_name_their_proxies():
    specs = V.load_specs()
    assert specs["hci_published"].role == "baseline"
    props = V.proposals(specs)
    assert {
        "digital_skills",
        "digital_education_strategy",
        "professional_ict_skills",
        "combined",
    } <= set(props)
    for name in props:
        s = specs[name]
        assert s.replaces == "hci" and s.weights["hci"] == pytest.approx(0.75)
        assert s.proxy_note and s.data_needed
    assert "certifications" in specs["professional_ict_skills"].proxy_note


def test_cronbach_alpha_by_hand():
    items = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 4, 5], "c": [1.0, 3, 2, 4]})
    # variances 5/3, 5/3, 5/3; sum column 4,8,9,13 -> variance 13.666..
    expected = 3 / 2 * (1 - 5 / (41 / 3))
    assert V.cronbach_alpha(items) == pytest.approx(expected, rel=1e-12)


def test_coherence_of_two_components_by_hand():
    s = spec([("hci", 0.5), ("x", 0.5)])
    r = V.compute_variant(s, 2024, toy_panel(x=(1.0, 3.0, 2.0, 4.0), hci=(0.1, 0.2, 0.3, 0.4)))
    c = V.coherence(r)
    rho = np.corrcoef([1, 3, 2, 4], [0.1, 0.2, 0.3, 0.4])[0, 1]
    assert c["alpha"] == pytest.approx(2 * rho / (1 + rho))
    assert c["pc1_share"] == pytest.approx((1 + rho) / 2)
    assert c["n"] == 4 and c["k"] == 2


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def specs():
    return V.load_specs()


@pytest.fixture(scope="module")
def panel_2024():
    return V.variant_panel(2024, PROPOSAL_COVARIATES)


@pytest.mark.parametrize("year", [2003, 2010, 2014, 2020, 2024])
def test_identity_spec_reproduces_published_hci_exactly(specs, egdi, year):
    r = V.compute_variant(specs["hci_published"], year)
    pub = egdi[(egdi["year"] == year) & egdi["assessed"]].set_index("iso3")["hci"]
    got = r.data["score"].reindex(pub.index)
    assert got.notna().all() and (got - pub).abs().max() <= 1e-12
    sh = V.rank_shifts(r)
    assert (sh["egdi_shift"] == 0).all() and (sh["index_shift"] == 0).all()


def test_proposals_2024_coverage_counts(specs, panel_2024):
    """Coverage measured on the mirror (2024 edition, vintage lag 1, no max age)."""
    ds = V.compute_variant(specs["digital_skills"], 2024, panel_2024)
    assert ds.coverage.loc["ict_skills_mean", ["observed", "imputed", "missing"]].tolist() == [
        87,
        105,
        1,
    ]
    # the one country left: Venezuela has no World Bank income group, so no group median
    assert ds.data.index[ds.data["reweighted"]].tolist() == ["VEN"]
    assert set(ds.ref_years["ict_skills_mean"].dropna().astype(int)) <= set(range(2014, 2020))
    assert (ds.ref_years.loc[GCC, "ict_skills_mean"] >= 2018).all()  # all six GCC report
    pro = V.compute_variant(specs["professional_ict_skills"], 2024, panel_2024)
    assert pro.coverage.loc["coursera_technology", ["observed", "imputed"]].tolist() == [105, 88]
    assert pro.imputed.loc["BHR", "coursera_technology"]  # Bahrain is not in Coursera's GSI
    assert set(pro.ref_years["coursera_technology"].dropna()) == {2020}
    gt = V.compute_variant(specs["digital_education_strategy"], 2024, panel_2024)
    assert gt.coverage["observed"].tolist() == [193, 193, 193]
    assert set(gt.ref_years["gtmi_digital_skills_strategy"]) == {2022}
    # every flag is a missing raw value
    for r in (ds, pro, gt):
        assert not (r.imputed & r.raw.notna()).any().any()
        filled = (r.imputed | r.raw.notna()).all(axis=1)
        assert (filled | r.data["reweighted"]).all()


def test_proposal_rank_shifts_are_consistent(specs, panel_2024):
    r = V.compute_variant(specs["combined"], 2024, panel_2024)
    sh = V.rank_shifts(r)
    assert len(sh) == 193 and sh["egdi_rank_variant"].notna().all()
    assert sh["egdi_variant"].to_numpy() == pytest.approx(
        ((r.data["osi"] + r.data["score"] + r.data["tii"]) / 3).to_numpy()
    )
    assert (sh["egdi_rank_baseline"] - sh["egdi_rank_variant"] == sh["egdi_shift"]).all()
    assert (
        sh["egdi_rank_baseline"].tolist()
        == rank_desc(r.data[["osi", "hci", "tii"]].mean(axis=1)).tolist()
    )
    assert r.data["score"].min() == 0 and r.data["score"].max() == 1  # rescaled like the UN HCI
    movers = V.biggest_movers(sh, 5)
    assert (movers["egdi_shift"].iloc[:5] > 0).all() and (movers["egdi_shift"].iloc[5:] < 0).all()


def test_old_edition_without_proxies_is_reported_not_crashed(specs):
    p = V.variant_panel(2012, PROPOSAL_COVARIATES)
    for name in V.proposals(specs):
        r = V.compute_variant(specs[name], 2012, p)
        assert not r.evaluable
        assert r.data["score"].to_numpy() == pytest.approx(r.data["hci"].to_numpy(), abs=1e-12)


# ---------------------------------------------------------------- report tables and prose


def test_select_proposals_and_needed_variables():
    specs = V.load_specs()
    assert V.select_proposals(specs) == V.proposals(specs)
    assert V.select_proposals(specs, ["combined"]) == ["combined"]
    with pytest.raises(SpecError, match=r"\['nope'\] are not in the variants file; known: "):
        V.select_proposals(specs, ["combined", "nope"])
    need = V.needed_variables(specs, ["digital_skills"])
    assert set(need) == (
        set(specs["digital_skills"].variables)
        | set(V.EXISTING_MEASURES)
        | set(specs["hci_from_proxies"].variables)
    )
    assert "coursera_technology" not in need and need == sorted(need)


def test_proposal_table_and_labels_from_the_specs():
    specs = V.load_specs()
    chosen = [specs[n] for n in V.proposals(specs)]
    t = V.proposal_table(chosen)
    assert list(t.columns) == ["proposal", "spec", "components (weight)", "method", "missing data"]
    assert t["spec"].tolist() == V.proposals(specs)
    row = t.set_index("spec").loc["digital_skills"]
    s = specs["digital_skills"]
    assert row["components (weight)"] == "; ".join(
        f"{c.variable} ({c.weight:.3g})" for c in s.components
    )
    assert row["components (weight)"].startswith("hci (0.75); ")
    assert row["missing data"].startswith(f"impute {s.missing.impute} median if coverage >= ")
    assert V.new_components(chosen) == list(
        dict.fromkeys(v for s in chosen for v in s.variables if v != "hci")
    )
    assert V.component_labels(chosen)["hci"] == "HCI (published)"


@pytest.fixture(scope="module")
def combined_2024():
    return V.compute_variant(V.load_specs()["combined"], 2024)


def test_coverage_table_counts_the_countries(combined_2024):
    t = V.coverage_table([combined_2024])
    assert list(t.columns) == [
        "proposal",
        "component",
        "observed",
        "imputed",
        "left on published HCI",
        "reference years (countries)",
    ]
    assert len(t) == len(combined_2024.spec.new_components)
    observed = [int(combined_2024.raw[v].notna().sum()) for v in combined_2024.spec.new_components]
    assert t["observed"].tolist() == observed
    assert (t[["observed", "imputed", "left on published HCI"]].sum(axis=1) == 193).all()


def test_movers_table_is_the_biggest_movers(combined_2024):
    sh = V.rank_shifts(combined_2024)
    t = V.movers_table(sh, 5)
    assert list(t.columns) == list(V.MOVERS_COLUMNS.values())
    # largest move up first, then the moves down from the largest
    assert t["shift"].iloc[0] == sh["egdi_shift"].max()
    assert t["shift"].iloc[5] == sh["egdi_shift"].min()
    assert len(t) == 10 and t["shift"].iloc[:5].gt(0).all() and t["shift"].iloc[5:].lt(0).all()
    top = t.iloc[0]
    assert top["new EGDI rank"] == sh.loc[top["iso3"], "egdi_rank_variant"]


def test_correlations_and_redundancy_prose(combined_2024):
    specs = V.load_specs()
    ds = V.compute_variant(specs["digital_skills"], 2024)
    against = V.existing_measures(V.variant_panel(2024, V.EXISTING_MEASURES), 2024)
    corr = V.new_component_correlations([ds, combined_2024], against)
    assert list(corr.index) == V.new_components([ds.spec, combined_2024.spec])  # each once
    assert corr.loc["ict_skills_mean", "n"] == ds.raw["ict_skills_mean"].notna().sum()
    text = V.redundancy_prose(corr, V.component_labels([combined_2024.spec]))
    r = corr.loc["ict_skills_mean", "hci"]
    assert f"ICT skills (SDG 4.4.1, mean share) {r:.2f} (" in text
    hand = pd.DataFrame({"hci": [0.95, -0.6, 0.2]}, index=["a", "b", "c"])
    assert V.redundancy_prose(hand, {"a": "A"}) == (
        "Correlation with the published HCI: A 0.95 (largely redundant); b -0.60 (related but "
        "adds information); c 0.20 (mostly new information)."
    )
    assert V.new_component_correlations([], against).empty


def test_baseline_prose_reports_the_identity_check_and_proxy_fit():
    from types import SimpleNamespace

    from egovlib import methodology

    specs = V.load_specs()
    panel = V.variant_panel(2024, [])
    base = V.compute_variant(specs["hci_published"], 2024, panel)
    pub = panel.data.query("year == 2024 and assessed").set_index("iso3")["hci"]
    fit = methodology.hci_from_proxies(2024)
    text = V.baseline_prose(base, pub, fit)
    assert text.startswith(
        "The identity spec reproduces the published HCI 2024 for all 193 "
        "assessed countries; the largest absolute difference is 0.0e+00."
    )
    assert (
        f"matched for {fit.stats['n']} countries with r = {fit.stats['pearson']:.3f} "
        f"(Spearman {fit.stats['spearman']:.3f}, mean absolute error "
        f"{fit.stats['mae']:.3f})"
    ) in text
    off = pub.copy()
    off.iloc[0] += 0.01
    assert "largest absolute difference is 1.0e-02" in V.baseline_prose(base, off, fit)
    msg = V.baseline_prose(base, pub, SimpleNamespace(message="no literacy data", stats={}))
    assert msg.endswith(" HCI from input proxies: no literacy data")
