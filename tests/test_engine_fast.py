"""The engine's fast paths give exactly what the plain pandas computations they replace gave.

Each reference below is the earlier implementation, kept here verbatim (issue 16: the batch must
get faster without changing a published digit). Real data, several editions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from egovlib.engine import audit, build, compare, index_data, load_specs, select
from egovlib.engine.assess import VINTAGE_ALTERNATIVES


def reference_imputed_names(b) -> pd.Series:
    labels = [b.spec.labels[v] for v in b.imputed.columns]
    names = [
        ", ".join(lab for lab, imp in zip(labels, row, strict=True) if imp)
        for row in b.imputed.to_numpy(bool)
    ]
    return pd.Series(names, index=b.imputed.index, dtype=object)


def reference_compare(a, b, target: str) -> pd.DataFrame:
    sa, sb = (a.scores, b.scores) if target == "index" else (a.egdi, b.egdi)
    ra, rb = (a.ranks, b.ranks) if target == "index" else (a.egdi_ranks, b.egdi_ranks)
    out = pd.DataFrame(
        {
            "country": a.data.frame["country"],
            "score_a": sa,
            "score_b": sb.reindex(sa.index),
            "rank_a": ra,
            "rank_b": rb.reindex(ra.index),
        }
    )
    out["shift"] = (out["rank_a"] - out["rank_b"]).astype("Int64")
    out["imputed"] = reference_imputed_names(b).reindex(out.index).fillna("")
    return out.sort_values(["rank_a", "country"], kind="stable")


@pytest.fixture(scope="module", params=[2003, 2008, 2016, 2024])
def edition(request):
    """An edition's published HCI build and every spec that applies to it."""
    year = request.param
    specs = load_specs()
    chosen = [s for s in specs.values() if s.applies_to(year)]
    data = index_data(year, chosen, max_ages=VINTAGE_ALTERNATIVES)
    return data, {s.name: build(s, data) for s in chosen}


def test_compare_equals_the_pandas_sort_on_every_spec(edition):
    _, builds = edition
    published = builds["hci_un"]
    for b in builds.values():
        for target in ("egdi", "index"):
            got, want = compare(published, b, target), reference_compare(published, b, target)
            pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_compare_breaks_rank_ties_by_name_and_puts_unranked_last():
    """Ties and missing ranks, where a fast sort most easily goes wrong."""
    data = index_data(2024)
    egdi = load_specs()["egdi_un"]
    a = build(egdi, data)
    b = build(egdi, data)
    # three countries tied on the reference rank, two unranked under b
    for built, cut in ((a, 3), (b, 0)):
        ranks = built.egdi_ranks.copy()
        ranks.iloc[:cut] = 1
        built.egdi_ranks = ranks
    b.egdi_ranks.iloc[[5, 9]] = pd.NA
    a.egdi_ranks.iloc[[7]] = pd.NA
    got, want = compare(a, b, "egdi"), reference_compare(a, b, "egdi")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["rank_a"].isna().iloc[-1]


def test_imputed_names_and_evaluable_equal_the_reference(edition):
    _, builds = edition
    for b in builds.values():
        pd.testing.assert_series_equal(b.imputed_names(), reference_imputed_names(b))
        new = b.spec.new_components
        assert b.evaluable == (not new or bool(b.observed[new].any().any()))


def test_imputed_names_memo_is_not_changed_by_a_caller():
    data = index_data(2024, select(load_specs(), role="recipe", family="hci", year=2024))
    recipe = build(select(load_specs(), role="recipe", family="hci", year=2024)[0], data)
    first = recipe.imputed_names()
    assert first.str.len().gt(0).any()  # some country has an imputed input
    first[:] = "edited"
    pd.testing.assert_series_equal(recipe.imputed_names(), reference_imputed_names(recipe))


def test_face_validity_with_given_moves_equals_computing_them(edition):
    _, builds = edition
    published = builds["hci_un"]
    for b in builds.values():
        moves = compare(published, b, "egdi"), compare(published, b, "index")
        kept = [m.copy() for m in moves]
        fast = audit.face_validity(published, b, moves=moves)
        slow = audit.face_validity(published, b)
        pd.testing.assert_frame_equal(fast.table, slow.table, check_exact=True)
        pd.testing.assert_frame_equal(fast.top10, slow.top10, check_exact=True)
        assert fast.flagged == slow.flagged
        for m, k in zip(moves, kept, strict=True):  # the caller's tables are only read
            pd.testing.assert_frame_equal(m, k, check_exact=True)


def test_fast_paths_use_no_later_data_than_the_edition(edition):
    """Unchanged contract: the build's data are the edition's (guards a memo keyed too loosely)."""
    data, builds = edition
    for b in builds.values():
        assert b.data is data
        assert np.all(b.ref_years.fillna(data.year).to_numpy(float) <= data.year)


@pytest.mark.parametrize("d", [1, 2, 7, 500, 10_000])
def test_whole_percentiles_equal_numpy_bit_for_bit(d):
    """Counting gives numpy's interpolated percentiles exactly: ranks and signed rank changes,
    columns with some, all or no missing values, odd quantiles."""
    from egovlib.engine.uncertainty import whole_percentiles

    rng = np.random.default_rng(d)
    r = rng.integers(1, 194, (d, 12)).astype(float)
    r[:, 3] = rng.integers(1, 4, d)  # few distinct values: many ties
    r[::3, 2] = np.nan  # unranked in some builds
    r[:, 5] = np.nan  # never ranked
    shifts = rng.integers(1, 194, 12)[None, :] - r  # rank changes: negative values too
    q = [5, 50, 95, 2.5, 97.5, 0, 100, 33.3]
    for a in (r, shifts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanpercentile(a, q, axis=0)
        np.testing.assert_array_equal(whole_percentiles(a, q), want)


def test_whole_percentiles_fall_back_for_fractions():
    from egovlib.engine.uncertainty import whole_percentiles

    a = np.random.default_rng(1).random((300, 4))
    np.testing.assert_array_equal(
        whole_percentiles(a, [5, 50, 95]), np.percentile(a, [5, 50, 95], axis=0)
    )


def test_rank_and_shift_intervals_equal_the_sorting_path():
    """On a real Monte Carlo (2024, first evaluable proposal): same intervals as numpy's sort."""
    from egovlib.engine import assess_proposals, rank_intervals, shift_interval
    from egovlib.engine.uncertainty import percentiles

    a = assess_proposals(2024, "BHR", ["BHR", "ARE"], "two", n_draws=2000)
    p = a.evaluable[0]
    r = p.mc.ranks("egdi")
    want = percentiles(r, [5, 50, 95])
    got = rank_intervals(p.mc, "egdi").reindex(p.mc.countries)
    np.testing.assert_array_equal(got[["lower", "median", "upper"]].to_numpy().T, want)
    base = a.published.egdi_ranks.reindex(p.mc.countries).astype("float").to_numpy()
    want = percentiles(base[None, :] - r, [5, 50, 95])
    got = shift_interval(p.mc, a.published.egdi_ranks, "egdi")
    np.testing.assert_array_equal(got[["lower", "median", "upper"]].to_numpy().T, want)


def test_load_specs_memo_gives_each_caller_its_own_dict_and_rereads_an_edited_file(tmp_path):
    from egovlib.engine import SPECS_PATH

    first = load_specs()
    first.pop("hci_un")
    first["x"] = None
    again = load_specs()
    assert "hci_un" in again and "x" not in again
    # an edited file is read again, not served from the memo
    path = tmp_path / "specs.yml"
    path.write_text(SPECS_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_specs(path)["hci_un"].label == again["hci_un"].label
    text = path.read_text(encoding="utf-8").replace(
        f"label: {again['hci_un'].label}", "label: Edited label", 1
    )
    assert "Edited label" in text
    path.write_text(text, encoding="utf-8")
    assert load_specs(path)["hci_un"].label == "Edited label"


def test_panel_without_coverage_table_has_the_same_data():
    from egovlib.panel import build_panel

    full = build_panel(2024, covariates=["gtmi", "gtmi_cgsi"])
    lean = build_panel(2024, covariates=["gtmi", "gtmi_cgsi"], coverage=False)
    pd.testing.assert_frame_equal(full.data, lean.data, check_exact=True)
    pd.testing.assert_frame_equal(full.ref_years, lean.ref_years, check_exact=True)
    assert full.log == lean.log and lean.coverage.empty and not full.coverage.empty


def test_level_groups_and_rating_classes_equal_the_pandas_reference(egdi):
    from egovlib.indices import (
        LEVEL_ORDER,
        LEVEL_THRESHOLDS,
        RATING_CLASSES,
        RATING_ORDER,
        level_group,
        rating_class,
    )

    def ref_level(s):
        out = pd.Series(pd.NA, index=s.index, dtype="object")
        for name, lo in reversed(LEVEL_THRESHOLDS):
            out[s >= lo] = name
        return pd.Series(pd.Categorical(out, categories=LEVEL_ORDER, ordered=True), index=s.index)

    def ref_rating(s):
        out = pd.Series(pd.NA, index=s.index, dtype="object")
        for group, lo in LEVEL_THRESHOLDS:
            for k, name in enumerate(RATING_CLASSES[group]):
                c_lo, c_hi = lo + (3 - k) * 0.0625, lo + (4 - k) * 0.0625
                mask = (s >= c_lo) & ((s < c_hi) | ((k == 0) & (group == "Very High")))
                out[mask & out.isna()] = name
        return pd.Series(pd.Categorical(out, categories=RATING_ORDER, ordered=True), index=s.index)

    edges = np.array([0.0, 0.0625, 0.25, 0.5, 0.5625, 0.75, 0.9375, 1.0, np.nan, -0.1, 1.2])
    for s in (egdi["egdi"].astype(float), pd.Series(edges), egdi["osi"].astype(float)):
        pd.testing.assert_series_equal(level_group(s), ref_level(s))
        pd.testing.assert_series_equal(rating_class(s), ref_rating(s))
    pd.testing.assert_series_equal(level_group(0.8), ref_level(pd.Series([0.8])))


def test_coverage_equals_the_pandas_reference(edition):
    def reference(built, threshold=audit.MIN_OBSERVED_SHARE):
        concepts = audit.items()
        n = len(built.data.countries)
        rows = []
        for v in built.spec.new_components:
            obs = built.observed[v]
            ry = built.ref_years[v][obs].dropna().astype(int).value_counts().sort_index()
            item = concepts.get(v)
            rows.append(
                {
                    "component": built.spec.labels[v],
                    "variable": v,
                    "observed": int(obs.sum()),
                    "imputed": int(built.imputed[v].sum()),
                    "not_scored": int((~obs & ~built.imputed[v]).sum()),
                    "share_observed": obs.sum() / n,
                    "eligible": bool(obs.sum() / n >= threshold),
                    "reference_years": ", ".join(f"{y} ({k})" for y, k in ry.items()) or "none",
                    "concept": item.concept if item else "not classified",
                    "home": item.home if item else "",
                }
            )
        return pd.DataFrame(rows)

    _, builds = edition
    for b in builds.values():
        pd.testing.assert_frame_equal(audit.coverage(b), reference(b), check_exact=True)
