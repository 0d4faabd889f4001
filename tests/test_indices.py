"""UN methodology formulas on small hand-checked inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from egovlib.errors import SpecError
from egovlib.indices import (
    aggregate,
    aggregate_array,
    egdi_from_components,
    level_group,
    normalise,
    normalise_array,
    rank_desc,
    rank_rows,
    rating_class,
    un_composite,
)


def test_level_group_thresholds_inclusive_and_missing():
    g = level_group([0.0, 0.2499, 0.25, 0.4999, 0.5, 0.7499, 0.75, 1.0, np.nan])
    assert g.tolist()[:8] == [
        "Low",
        "Low",
        "Middle",
        "Middle",
        "High",
        "High",
        "Very High",
        "Very High",
    ]
    assert pd.isna(g.iloc[8])


@pytest.mark.parametrize(
    "egdi, expected",
    [
        (1.0, "VH"),
        (0.9375, "VH"),
        (0.93749, "V3"),
        (0.875, "V3"),
        (0.8125, "V2"),
        (0.81249, "V1"),
        (0.75, "V1"),
        (0.74999, "HV"),
        (0.6875, "HV"),
        (0.625, "H3"),
        (0.5625, "H2"),
        (0.5, "H1"),
        (0.4375, "MH"),
        (0.375, "M3"),
        (0.3125, "M2"),
        (0.25, "M1"),
        (0.24999, "LM"),
        (0.1875, "LM"),
        (0.125, "L3"),
        (0.0625, "L2"),
        (0.0, "L1"),
    ],
)
def test_rating_class_boundaries(egdi, expected):
    assert rating_class([egdi]).iloc[0] == expected


def test_rating_class_missing_stays_missing():
    assert pd.isna(rating_class([np.nan]).iloc[0])


def test_rank_desc_ties_share_best_rank_and_missing_unranked():
    s = pd.Series([0.9, 0.8, 0.8, 0.7, np.nan], index=list("abcde"))
    r = rank_desc(s)
    assert r.iloc[:4].tolist() == [1, 2, 2, 4]
    assert pd.isna(r["e"])


def test_normalise_minmax_zscore_rank_frontier_by_hand():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0]})
    assert normalise(df, "minmax")["x"].tolist() == [0.0, 0.25, 0.5, 1.0]
    # mean 2.75, sample sd sqrt(((1.75^2 + 0.75^2 + 0.25^2 + 2.25^2) / 3)) = sqrt(8.75 / 3)
    z = normalise(df, "zscore")["x"]
    assert z.iloc[0] == pytest.approx(-1.75 / np.sqrt(8.75 / 3))
    assert normalise(df, "rank")["x"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert normalise(df, "distance_to_frontier")["x"].tolist() == [0.2, 0.4, 0.6, 1.0]


def test_normalise_ties_in_rank_are_averaged():
    r = normalise(pd.Series([1.0, 2.0, 2.0, 3.0]), "rank")
    assert r.tolist() == pytest.approx([0, 0.5, 0.5, 1])


@pytest.mark.parametrize(
    "method, mid", [("minmax", 0.5), ("zscore", 0.0), ("rank", 0.5), ("distance_to_frontier", 1.0)]
)
def test_normalise_constant_column_gets_midpoint_not_nan(method, mid):
    out = normalise(pd.DataFrame({"c": [0.4, 0.4, 0.4]}), method)["c"]
    assert out.tolist() == [mid] * 3


def test_normalise_missing_values_stay_missing_and_are_ignored():
    out = normalise(pd.Series([0.0, np.nan, 10.0, 5.0]), "minmax")
    assert pd.isna(out.iloc[1])
    assert out.dropna().tolist() == [0.0, 1.0, 0.5]


def test_normalise_errors():
    with pytest.raises(SpecError, match="unknown normalisation"):
        normalise(pd.Series([1.0, 2.0]), "log")
    with pytest.raises(SpecError, match="non-negative"):
        normalise(pd.Series([-1.0, 2.0]), "distance_to_frontier")


def test_aggregate_arithmetic_weighted_by_hand():
    df = pd.DataFrame({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    out = aggregate(df, {"a": 0.75, "b": 0.25})
    assert out.tolist() == [0.75, 0.25]


def test_aggregate_geometric_works_on_epsilon_scale_by_hand():
    df = pd.DataFrame({"a": [0.25, 0.0, 1.0], "b": [1.0, 0.9, 0.5]})
    eps = 0.01
    out = aggregate(df, None, "geometric", epsilon=eps)
    v = lambda x: eps + (1 - eps) * x  # noqa: E731 - the [epsilon, 1] scale, written out
    assert out.iloc[0] == pytest.approx(np.sqrt(v(0.25) * 1.0))
    # a component at its minimum costs a factor sqrt(epsilon), it does not zero the index
    assert out.iloc[1] == pytest.approx(np.sqrt(eps * v(0.9)))
    assert out.iloc[1] > 0.09
    assert out.iloc[2] == pytest.approx(np.sqrt(v(0.5)))
    plain = aggregate(df, None, "geometric", epsilon=0.0)
    assert plain.iloc[0] == pytest.approx(0.5)
    assert plain.iloc[1] == 0  # a component at 0 zeroes the plain geometric mean


def test_aggregate_array_many_weight_rows_and_reweighting():
    z = np.array([[0.25, 1.0], [0.5, np.nan]])
    w = np.array([[0.5, 0.5], [0.75, 0.25]])
    out = aggregate_array(z, w, "arithmetic", reweight=True)
    assert out.shape == (2, 2)
    assert out[:, 0] == pytest.approx([0.625, 0.4375])
    assert out[:, 1] == pytest.approx([0.5, 0.5])  # over the one component it has
    assert np.isnan(aggregate_array(z, w, "arithmetic")[:, 1]).all()


def test_normalise_array_with_a_bootstrap_reference():
    x = np.array([[1.0], [2.0], [3.0], [5.0]])
    # reference = countries 0, 1, 1, 2 (country 3 drawn zero times): min 1, max 3
    out = normalise_array(x, "minmax", reference=np.array([1, 2, 1, 0]))[:, 0]
    assert out.tolist() == [0.0, 0.5, 1.0, 1.0]  # 5 is clipped at the top of the reference
    z = normalise_array(x, "zscore", reference=np.array([1, 2, 1, 0]))[:, 0]
    m, sd = 2.0, np.sqrt(2 / 3)  # values 1, 2, 2, 3
    assert z == pytest.approx((x[:, 0] - m) / sd)
    r = normalise_array(x, "rank", reference=np.ones(4))[:, 0]
    assert r == pytest.approx([0, 1 / 3, 2 / 3, 1])


def test_rank_rows_agrees_with_rank_desc():
    rng = np.random.default_rng(5)
    s = rng.random((6, 40))
    s[:, 3] = s[:, 8]  # ties in every row
    s[:, 10] = np.nan
    got = rank_rows(s)
    for j in range(s.shape[0]):
        ref = rank_desc(pd.Series(s[j])).astype("float").to_numpy()
        np.testing.assert_array_equal(got[j], ref)


def test_aggregate_missing_component_gives_missing():
    df = pd.DataFrame({"a": [0.5, np.nan], "b": [0.5, 0.5]})
    for method in ("arithmetic", "geometric"):
        out = aggregate(df, None, method, epsilon=0.0)
        assert out.iloc[0] == pytest.approx(0.5) and pd.isna(out.iloc[1])


def test_aggregate_weights_must_sum_to_one_and_match_columns():
    df = pd.DataFrame({"a": [0.5], "b": [0.5]})
    with pytest.raises(SpecError, match="sum to 1; they sum to 0.900000"):
        aggregate(df, {"a": 0.5, "b": 0.4})
    with pytest.raises(SpecError, match="missing \\['b'\\], unknown \\['c'\\]"):
        aggregate(df, {"a": 0.5, "c": 0.5})
    with pytest.raises(SpecError, match="unknown aggregation"):
        aggregate(df, None, "harmonic")


def test_aggregate_geometric_rejects_negative_inputs():
    df = pd.DataFrame({"a": [-0.5, 1.0], "b": [0.5, 0.5]})
    with pytest.raises(SpecError, match="components in \\[0, 1\\]"):
        aggregate(df, None, "geometric")


def test_un_composite_is_zscore_weighted_then_minmax():
    ind = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [10.0, 30.0, 20.0]})
    out = un_composite(ind, {"x": 0.5, "y": 0.5})
    # z(x) = [-1, 0, 1]; z(y) = [-1, 1, 0]; mean = [-1, 0.5, 0.5] -> min-max [0, 1, 1]
    assert out.tolist() == pytest.approx([0.0, 1.0, 1.0])


def test_egdi_is_plain_mean_of_components():
    out = egdi_from_components(pd.Series([0.9]), pd.Series([0.6]), pd.Series([0.3]))
    assert out.iloc[0] == pytest.approx(0.6)


def test_normalise_array_many_matrices_at_once_equals_one_at_a_time():
    """The Monte Carlo normalises every (vintage, imputation, bootstrap) matrix in one call:
    each result is exactly (bit for bit) the one-matrix result, ties, gaps and constants
    included."""
    rng = np.random.default_rng(11)
    x = np.round(rng.random((4, 30, 3)) * 6) / 6  # many ties
    x[rng.random(x.shape) < 0.2] = np.nan
    x[2, :, 1] = 0.4  # a constant column
    refs = rng.multinomial(30, np.full(30, 1 / 30), size=4).astype(float)
    for method in ("minmax", "zscore", "rank", "distance_to_frontier"):
        many = normalise_array(x, method, refs)
        for i in range(4):
            one = normalise_array(x[i], method, refs[i])
            np.testing.assert_array_equal(many[i], one, err_msg=f"{method} {i}")
    # the rank normalisation by hand with a weighted reference: values 1, 2, 2, 4 counted
    # 1, 2, 0, 1 times: 2 has 1 value below it and 2 equal -> (1 + (2 - 1) / 2) / 3
    r = normalise_array(np.array([[1.0], [2.0], [2.0], [4.0]]), "rank", np.array([1, 2, 0, 1]))
    assert r[:, 0] == pytest.approx([0, 0.5, 0.5, 1])


def test_aggregate_array_with_shared_matrices_equals_one_call_per_matrix():
    rng = np.random.default_rng(12)
    z = rng.random((5, 20, 3))
    z[1, 4, 0] = np.nan
    which = rng.integers(0, 5, 40)
    w = rng.random((40, 3))
    w /= w.sum(axis=1, keepdims=True)
    for method in ("arithmetic", "geometric"):
        got = aggregate_array(z, w, method, reweight=True, which=which)
        for u in range(5):  # bit for bit: each matrix with all its weight rows at once
            rows = np.flatnonzero(which == u)
            one = aggregate_array(z[u], w[rows], method, reweight=True)
            np.testing.assert_array_equal(got[rows], one, err_msg=f"{method} matrix {u}")
        for i in range(40):  # one row alone: equal up to rounding (another BLAS path)
            one = aggregate_array(z[which[i]], w[i], method, reweight=True)[0]
            np.testing.assert_allclose(got[i], one, rtol=1e-14, atol=1e-15)
