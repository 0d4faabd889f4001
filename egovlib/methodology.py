"""EGDI methodology checks: recomputation, 2008/2010 weights, ties, HCI proxies, rank shifts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import SpecError
from .indices import (
    RATING_ORDER,
    aggregate,
    egdi_from_components,
    level_group,
    normalise,
    rank_desc,
    rating_class,
)
from .panel import build_panel, load_egdi_panel
from .readers import variables
from .vocabulary import EGDI_COMPONENTS

COMPONENTS = EGDI_COMPONENTS  # kept as the name this module and its notebook use

#: Tolerance for "EGDI equals the mean of its components": the published values carry 4-5
#: decimals, so rounding alone moves the mean by at most ~5e-5.
EGDI_TOLERANCE = 1e-4

#: Candidate EGDI weights tested against the published data (OSI, HCI, TII).
EGDI_WEIGHT_HYPOTHESES: dict[str, dict[str, float]] = {
    "equal thirds (documented)": {"osi": 1 / 3, "hci": 1 / 3, "tii": 1 / 3},
    "0.34 / 0.33 / 0.33": {"osi": 0.34, "hci": 0.33, "tii": 0.33},
}


# ---------------------------------------------------------------------------------------------
# EGDI recomputed from the published components
# ---------------------------------------------------------------------------------------------


def egdi_recomputation(
    panel: pd.DataFrame | None = None, years: Iterable[int] | int | None = None
) -> pd.DataFrame:
    """EGDI recomputed as the mean of the published OSI, HCI and TII, and ranks reproduced.

    Parameters
    ----------
    panel : DataFrame, optional
        The EGDI panel (`egovlib.load_egdi_panel`); loaded if not given.
    years : int or list of int, optional
        Editions to keep.

    Returns
    -------
    DataFrame
        One row per assessed country and edition: ``iso3, country, year, osi, hci, tii, egdi,
        egdi_recomputed, deviation`` (recomputed - published), ``abs_deviation``, ``rank``
        (published), ``rank_reproduced`` (`rank_desc` of the published EGDI within the edition,
        among assessed countries only) and ``rank_match``.
    """
    df = _assessed(panel, years)
    out = df[["iso3", "country", "year", *COMPONENTS, "egdi", "rank"]].copy()
    out["egdi_recomputed"] = egdi_from_components(out["osi"], out["hci"], out["tii"])
    out["deviation"] = out["egdi_recomputed"] - out["egdi"]
    out["abs_deviation"] = out["deviation"].abs()
    out["rank_reproduced"] = out.groupby("year")["egdi"].transform(rank_desc).astype("Int64")
    out["rank_match"] = (out["rank_reproduced"] == out["rank"]).astype(bool)
    return out.reset_index(drop=True)


def recomputation_summary(recomp: pd.DataFrame, tolerance: float = EGDI_TOLERANCE) -> pd.DataFrame:
    """Per edition: max absolute deviation, share beyond ``tolerance``, worst country, ranks.

    Parameters
    ----------
    recomp : DataFrame
        Output of `egdi_recomputation`.
    tolerance : float
        Deviation that rounding of the published values can explain.
    """
    rows = []
    for year, g in recomp.groupby("year"):
        worst = g.loc[g["abs_deviation"].idxmax()]
        rows.append(
            {
                "year": year,
                "assessed": len(g),
                "max_abs_deviation": g["abs_deviation"].max(),
                "median_abs_deviation": g["abs_deviation"].median(),
                "share_beyond_tolerance": (g["abs_deviation"] > tolerance).mean(),
                "worst_country": worst["country"],
                "worst_deviation": worst["deviation"],
                "ranks_reproduced": int(g["rank_match"].sum()),
                "rank_mismatches": int((~g["rank_match"]).sum()),
            }
        )
    return pd.DataFrame(rows)


def published_decimals(
    panel: pd.DataFrame | None = None,
    columns: Sequence[str] = ("egdi", *COMPONENTS),
    max_decimals: int = 10,
) -> pd.DataFrame:
    """Decimals the published scores carry, per edition and column.

    For each value the smallest ``k`` with ``round(x, k) == x`` (to 1e-12); the table gives the
    largest ``k`` in the edition (values like 0.5 need fewer digits than the file carries).
    """
    df = _assessed(panel, None)

    def digits(x: float) -> int:
        for k in range(max_decimals + 1):
            if abs(round(x, k) - x) < 1e-12:
                return k
        return max_decimals

    out = df.groupby("year")[list(columns)].agg(lambda s: max(digits(float(v)) for v in s.dropna()))
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# 2008 and 2010: the published EGDI is not the plain mean of the published components
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightFit:
    """Least-squares fit EGDI = a*OSI + b*HCI + c*TII (no intercept) for one edition."""

    year: int
    weights: pd.Series
    residuals: pd.Series
    n: int
    max_abs_residual: float
    rmse: float
    worst: pd.DataFrame = field(repr=False)


def fit_egdi_weights(year: int, panel: pd.DataFrame | None = None) -> WeightFit:
    """Fit the weights of OSI, HCI and TII that best reproduce the published EGDI of ``year``.

    Parameters
    ----------
    year : int
        Survey edition.
    panel : DataFrame, optional
        The EGDI panel.

    Returns
    -------
    WeightFit
        Weights (OSI, HCI, TII; they are not constrained to sum to 1), residuals by iso3
        (published - fitted), max |residual|, RMSE and the eight worst-fitting countries.
    """
    df = _assessed(panel, year).set_index("iso3")
    x = df[list(COMPONENTS)].to_numpy(float)
    y = df["egdi"].to_numpy(float)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    res = pd.Series(y - x @ coef, index=df.index, name="residual")
    worst = df.assign(residual=res).reindex(res.abs().sort_values(ascending=False).index)
    worst = worst[["country", "egdi", *COMPONENTS, "residual"]].head(8).reset_index()
    return WeightFit(
        year=year,
        weights=pd.Series(coef, index=list(COMPONENTS)),
        residuals=res,
        n=len(df),
        max_abs_residual=float(res.abs().max()),
        rmse=float(np.sqrt((res**2).mean())),
        worst=worst,
    )


def weight_hypotheses(
    year: int,
    panel: pd.DataFrame | None = None,
    hypotheses: Mapping[str, Mapping[str, float]] | None = None,
) -> pd.DataFrame:
    """Residuals of the published EGDI under candidate weightings of the published components.

    The rounding bound is half a unit in the last published decimal of EGDI plus the weighted
    half-units of the components: a residual beyond it cannot come from rounding.

    Returns
    -------
    DataFrame
        One row per hypothesis: ``hypothesis, weights, max_abs_residual, rounding_bound,
        countries_beyond_bound, countries, beyond`` (names of the countries beyond the bound).
    """
    hypotheses = hypotheses or EGDI_WEIGHT_HYPOTHESES
    df = _assessed(panel, year)
    dec = published_decimals(df).set_index("year").loc[year]
    rows = []
    for name, w in hypotheses.items():
        if set(w) != set(COMPONENTS):
            raise SpecError(f"weight hypothesis {name!r} must name exactly {COMPONENTS}")
        fitted = sum(w[c] * df[c] for c in COMPONENTS)
        res = df["egdi"] - fitted
        bound = (
            0.5 * 10.0 ** -dec["egdi"]
            + sum(abs(w[c]) * 0.5 * 10.0 ** -dec[c] for c in COMPONENTS)
            + 1e-9
        )
        beyond = res.abs() > bound
        rows.append(
            {
                "hypothesis": name,
                "weights": " / ".join(f"{w[c]:.4g}" for c in COMPONENTS),
                "max_abs_residual": float(res.abs().max()),
                "rounding_bound": bound,
                "countries_beyond_bound": int(beyond.sum()),
                "countries": len(df),
                "beyond": ", ".join(df.loc[beyond, "country"].tolist()[:8])
                + (" ..." if beyond.sum() > 8 else ""),
            }
        )
    return pd.DataFrame(rows)


def implied_component_error(
    year: int,
    weights: Mapping[str, float],
    panel: pd.DataFrame | None = None,
    countries: Iterable[str] | None = None,
) -> pd.DataFrame:
    """For countries the weights do not explain: how far one component would have to move.

    Residual r = published EGDI - weighted components; if a single component were wrong, it
    would be off by r / w_c. Returns ``iso3, country, residual`` and one column per component.
    """
    df = _assessed(panel, year)
    res = df["egdi"] - sum(weights[c] * df[c] for c in COMPONENTS)
    out = df[["iso3", "country", *COMPONENTS]].assign(residual=res)
    if countries is not None:
        out = out[out["iso3"].isin(list(countries))]
    for c in COMPONENTS:
        out[f"{c}_if_alone"] = out[c] + out["residual"] / weights[c]
    order = out["residual"].abs().sort_values(ascending=False).index
    return out.reindex(order).reset_index(drop=True)


#: The sources consulted on the 2008/2010 EGDI weights (quoted in `discrepancy_discussion`).
_WEIGHT_SOURCES_TEXT = """\
**What the sources say (checked, not assumed).** A UNPAN summary of the 2008 survey documents
the components (TII = five indicators at 20% each; HCI = 2/3 adult literacy + 1/3 combined gross
enrolment) but, in what could be read, not the EGDI weights
([UNPAN, 2008 survey methodology](https://www.unpan.org/PublicAdministrationNews/tabid/651/mctl/ArticleView/ModuleID/1555/articleId/21618/Default.html)).
A 2010 commentary states that the three components are "weighted equally contributing 1/3"
([egovernments.wordpress.com, 14 May 2010](https://egovernments.wordpress.com/2010/05/14/weighing-indices-in-the-un-e-government-survey/)),
and the later survey annexes describe the EGDI as a "weighted average" of the three normalised
components
([Survey 2018 annex, A.1](https://documents.pub/document/annexes-united-nations.html)).
No document found states 0.34 / 0.33 / 0.33: that weighting is **inferred from the data, not
confirmed** by a UN source, and the outliers of 2008 ({n_out} countries) remain **unexplained**.
"""


def discrepancy_discussion(
    recomp: pd.DataFrame,
    fits: Mapping[int, WeightFit],
    hypotheses: pd.DataFrame,
    decimals: pd.DataFrame,
    outliers: pd.DataFrame,
    tolerance: float = EGDI_TOLERANCE,
) -> str:
    """Markdown discussion of why the 2008 and 2010 EGDI are not the mean of their components.

    Every number in the text comes from the arguments; only the reading of the sources on the
    weights (which documents were checked and what they state) is fixed prose.

    Parameters
    ----------
    recomp : DataFrame
        Output of `egdi_recomputation` (must contain the 2008 and 2010 editions; other editions
        are ignored).
    fits : mapping of int to WeightFit
        `fit_egdi_weights` for 2008 and 2010, keyed by year.
    hypotheses : DataFrame
        `weight_hypotheses` for 2008 and 2010 stacked, with a ``year`` column; must include the
        hypotheses "equal thirds (documented)" and "0.34 / 0.33 / 0.33".
    decimals : DataFrame
        Output of `published_decimals` (rows for 2008 and 2010).
    outliers : DataFrame
        `implied_component_error` for the 2008 countries beyond the rounding bound under
        0.34 / 0.33 / 0.33 (may be empty).
    tolerance : float
        Deviation that rounding of the published values can explain.

    Returns
    -------
    str
        Markdown: what the data show, three hypotheses (weights, rounding, component versions)
        with the evidence for each, and what the sources say.
    """
    eq, alt = "equal thirds (documented)", "0.34 / 0.33 / 0.33"
    disc = recomp[recomp["year"].isin([2008, 2010])]
    h = hypotheses.set_index(["year", "hypothesis"])
    f08, f10 = fits[2008], fits[2010]
    share = disc.groupby("year")["abs_deviation"].apply(lambda s: (s > tolerance).mean())
    is_cmr = (disc["iso3"] == "CMR") & (disc["year"] == 2008)
    cmr, others = disc[is_cmr].iloc[0], disc[~is_cmr]
    osi_low = (disc["osi"] < (disc["hci"] + disc["tii"]) / 2).mean()
    d08, d10 = decimals.set_index("year").loc[2008], decimals.set_index("year").loc[2010]
    rb = h.loc[(2008, eq), "rounding_bound"]
    n_out = int(h.loc[(2008, alt), "countries_beyond_bound"])
    cmr_out = outliers.loc[outliers["iso3"] == "CMR", "tii_if_alone"]
    cmr_tii = cmr_out.iloc[0] if len(cmr_out) else float("nan")
    return f"""
**What the data show.** With equal weights, {share[2008]:.0%} (2008) and {share[2010]:.0%} (2010)
of assessed countries differ from the published EGDI by more than {tolerance:g}; the largest
gap is {others["abs_deviation"].max():.4f} apart from Cameroon 2008 ({cmr["deviation"]:+.4f}).
The published EGDI lies *below* the mean for most countries (median difference
{(disc["egdi"] - disc["egdi_recomputed"]).median():+.5f}). With weights 0.34/0.33/0.33 the gap to
the plain mean would be (2·OSI − HCI − TII) / 300: negative wherever the OSI is below the average
of HCI and TII (true for {osi_low:.0%} of these country-editions) and never larger than
2/300 = {2 / 300:.4f}.

*Hypothesis 1: different weights.* Least squares gives OSI {f10.weights["osi"]:.4f}, HCI
{f10.weights["hci"]:.4f}, TII {f10.weights["tii"]:.4f} for 2010 (max residual
{f10.max_abs_residual:.6f}) and OSI {f08.weights["osi"]:.4f}, HCI {f08.weights["hci"]:.4f}, TII
{f08.weights["tii"]:.4f} for 2008 (max residual {f08.max_abs_residual:.4f}, driven by {n_out}
countries). The fixed weights 0.34 / 0.33 / 0.33 — one third rounded to two decimals, with the
remainder on the OSI — reproduce **every** 2010 EGDI within the rounding bound
({h.loc[(2010, alt), "countries_beyond_bound"]} of {h.loc[(2010, alt), "countries"]} beyond
{h.loc[(2010, alt), "rounding_bound"]:.6f}) and all but
{n_out} of {h.loc[(2008, alt), "countries"]} countries in
2008 ({h.loc[(2008, alt), "beyond"]}). Equal thirds leave
{h.loc[(2010, eq), "countries_beyond_bound"]} (2010) and
{h.loc[(2008, eq), "countries_beyond_bound"]} (2008) countries beyond the bound. This is
the explanation the data support.

*Hypothesis 2: rounding of the published components.* Rejected: in 2008 the components carry
{d08["osi"]}/{d08["hci"]}/{d08["tii"]} decimals (OSI/HCI/TII) and the EGDI {d08["egdi"]}; in
2010 {d10["osi"]}/{d10["hci"]}/{d10["tii"]} and {d10["egdi"]}. Rounding can move the comparison
by at most {rb:.6f} (2008), {others["abs_deviation"].max() / rb:.0f} times less than the gaps
observed.

*Hypothesis 3: different HCI/TII versions.* Not needed for 2010 (the 0.34/0.33/0.33 fit is
exact) and it cannot be tested further with these files: the independent UNU-EGOV copy of 2010
is identical to the UN export (`crosscheck_editions`), and no alternative component series is
published. For the 2008 outliers ({n_out} countries), a single component would have to differ
by the amounts in the table above (e.g. Cameroon's TII {cmr_tii:.4f} instead of
{cmr["tii"]:.4f}); which component (if any) was revised is **not confirmed**.

""" + _WEIGHT_SOURCES_TEXT.format(n_out=n_out)


# ---------------------------------------------------------------------------------------------
# Ranks: ties that the UN ranked apart
# ---------------------------------------------------------------------------------------------


def tied_pairs_ranked_apart(year: int, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Countries with the same published EGDI that the UN gave different ranks.

    Returns one row per such country with the mean of the published (rounded) components, the
    gap to the first of its tie group, and whether simple tie-breakers (OSI, HCI, TII, EPI,
    mean of rounded components, country name) reproduce the UN order.
    """
    df = _assessed(panel, year)
    df = df.assign(component_mean=egdi_from_components(df["osi"], df["hci"], df["tii"]))
    groups = df[df.duplicated("egdi", keep=False)].groupby("egdi")
    rows = []
    for egdi, g in groups:
        if (g["rank"] == g["rank"].iloc[0]).all():
            continue
        g = g.sort_values("rank")
        for _, r in g.iterrows():
            rows.append(
                {
                    "egdi": egdi,
                    "iso3": r["iso3"],
                    "country": r["country"],
                    "rank": r["rank"],
                    "osi": r["osi"],
                    "hci": r["hci"],
                    "tii": r["tii"],
                    "epi": r["epi"],
                    "component_mean": r["component_mean"],
                }
            )
    return pd.DataFrame(rows)


def tie_handling(panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per edition: groups of countries with the same published EGDI and how the UN ranked them.

    Returns ``year, tied_groups, shared_rank, ranked_apart, countries_ranked_apart``.
    """
    df = _assessed(panel, None)
    rows = []
    for year, g in df.groupby("year"):
        ties = g[g.duplicated("egdi", keep=False)].groupby("egdi")["rank"].nunique()
        apart = ties[ties > 1].index
        rows.append(
            {
                "year": year,
                "tied_groups": len(ties),
                "shared_rank": int((ties == 1).sum()),
                "ranked_apart": len(apart),
                "countries_ranked_apart": ", ".join(
                    g.loc[g["egdi"].isin(apart)].sort_values("rank")["iso3"]
                ),
            }
        )
    return pd.DataFrame(rows)


def tie_break_rules(pairs: pd.DataFrame) -> pd.DataFrame:
    """Which simple tie-breaker reproduces the UN order of each tied group.

    A rule "reproduces" a group if ordering the group by it (descending; by name ascending)
    gives the published ranks; "undecided" if the rule itself ties.
    """
    rules = {
        "OSI": "osi",
        "HCI": "hci",
        "TII": "tii",
        "EPI": "epi",
        "mean of rounded components": "component_mean",
    }
    rows = []
    for egdi, g in pairs.groupby("egdi"):
        g = g.sort_values("rank")
        row = {"egdi": egdi, "countries (UN order)": " > ".join(g["country"])}
        for label, col in rules.items():
            vals = g[col].round(12).to_numpy()
            if len(set(vals)) < len(vals):
                row[label] = "undecided"
            else:
                row[label] = "yes" if (np.diff(vals) < 0).all() else "no"
        names = g["country"].tolist()
        row["country name A-Z"] = "yes" if names == sorted(names) else "no"
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Level groups and rating classes
# ---------------------------------------------------------------------------------------------


def level_rating_counts(panel_year: pd.DataFrame) -> pd.DataFrame:
    """Countries per level group and rating class for one edition (assessed countries)."""
    e = panel_year.dropna(subset=["egdi"])
    t = pd.DataFrame(
        {
            "level_group": level_group(e["egdi"]).to_numpy(),
            "rating_class": rating_class(e["egdi"]).to_numpy(),
        }
    )
    counts = t.groupby(["level_group", "rating_class"], observed=True).size().rename("countries")
    out = counts.reset_index()
    out["rating_class"] = pd.Categorical(out["rating_class"], categories=RATING_ORDER, ordered=True)
    return out.sort_values("rating_class").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# How much ranks depend on method choices
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodVariant:
    """One way to combine the three published components into a score."""

    name: str
    normalisation: str
    aggregation: str


#: Normalisation x aggregation of the published components. Geometric aggregation needs
#: non-negative inputs, so it is not combined with z-scores.
METHOD_VARIANTS: tuple[MethodVariant, ...] = (
    MethodVariant("min-max, arithmetic", "minmax", "arithmetic"),
    MethodVariant("z-score, arithmetic", "zscore", "arithmetic"),
    MethodVariant("rank, arithmetic", "rank", "arithmetic"),
    MethodVariant("min-max, geometric", "minmax", "geometric"),
    MethodVariant("rank, geometric", "rank", "geometric"),
)


def method_ranks(
    panel_year: pd.DataFrame, variants: Sequence[MethodVariant] = METHOD_VARIANTS
) -> pd.DataFrame:
    """EGDI ranks of one edition under alternative normalisations and aggregations.

    Parameters
    ----------
    panel_year : DataFrame
        The EGDI panel for one edition (assessed countries are ranked; others are dropped).
    variants : list of MethodVariant
        ``normalisation`` "none" uses the published components as they are.

    Returns
    -------
    DataFrame
        ``iso3, country, rank`` (published) and one rank column per variant (ties share the best
        rank). Variants are computed from the published OSI, HCI, TII with equal weights.
    """
    if (panel_year["year"] != panel_year["year"].iloc[0]).any():
        raise SpecError("method_ranks needs one edition; filter the panel to one year first")
    e = panel_year.dropna(subset=["egdi"]).set_index("iso3")
    comps = e[list(COMPONENTS)].astype(float)
    out = e[["country", "rank"]].copy()
    for v in variants:
        x = comps if v.normalisation == "none" else normalise(comps, v.normalisation)
        score = aggregate(x, None, v.aggregation)
        out[v.name] = rank_desc(score)
    return out.reset_index()


def rank_shifts(ranks: pd.DataFrame) -> pd.DataFrame:
    """Rank under each variant minus the published rank (positive = falls behind)."""
    variant_cols = [c for c in ranks.columns if c not in ("iso3", "country", "rank")]
    shifts = ranks[variant_cols].sub(ranks["rank"], axis=0)
    return pd.concat([ranks[["iso3", "country", "rank"]], shifts], axis=1)


def rank_shift_summary(ranks: pd.DataFrame) -> pd.DataFrame:
    """Distribution of absolute rank shifts against the published rank, per variant.

    Returns ``variant, median_abs_shift, mean_abs_shift, p90_abs_shift, max_abs_shift,
    country_max, share_moved, share_moved_gt5``.
    """
    shifts = rank_shifts(ranks)
    rows = []
    for col in shifts.columns[3:]:
        a = shifts[col].astype(float).abs()
        rows.append(
            {
                "variant": col,
                "median_abs_shift": a.median(),
                "mean_abs_shift": a.mean(),
                "p90_abs_shift": a.quantile(0.9),
                "max_abs_shift": a.max(),
                "country_max": shifts.loc[a.idxmax(), "country"],
                "share_moved": (a > 0).mean(),
                "share_moved_gt5": (a > 5).mean(),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# HCI rebuilt from public proxies of its inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HciProxySpec:
    """How the HCI is rebuilt for an edition from the covariates available.

    Attributes
    ----------
    name : str
    editions : tuple of int
        Editions the UN formula applies to.
    un_weights : mapping
        The UN weights on the UN inputs (as documented).
    proxy_weights : mapping of covariate -> weight
        Weights actually used on our covariates (sum to 1).
    normalisation : str
        ``"un"``: z-score each input, weighted sum, min-max to [0, 1] within the edition (the
        UN's method since 2014); ``"share"``: inputs in % divided by 100 (the UN's method up to
        2012, which is why 2003 has HCI > 1 where enrolment exceeds 100%).
    note : str
        What was dropped or proxied, and why.
    """

    name: str
    editions: tuple[int, ...]
    un_weights: Mapping[str, float]
    proxy_weights: Mapping[str, float]
    normalisation: str
    note: str


#: UN weights: 2014 onwards HCI = 1/3 adult literacy + 2/9 combined GER + 2/9 expected years +
#: 2/9 mean years of schooling; 2003-2012 HCI = 2/3 adult literacy + 1/3 combined GER.
#: The mirror has no combined (primary+secondary+tertiary) GER, only tertiary GER, so GER is
#: dropped and the remaining UN weights are rescaled to sum to 1 (1/3 : 2/9 : 2/9 -> 3/7, 2/7, 2/7).
HCI_PROXY_SPECS: tuple[HciProxySpec, ...] = (
    HciProxySpec(
        name="HCI 2014+ (literacy, EYS, MYS; GER dropped)",
        editions=(2014, 2016, 2018, 2020, 2022, 2024),
        un_weights={
            "adult literacy": 1 / 3,
            "combined GER": 2 / 9,
            "expected years of schooling": 2 / 9,
            "mean years of schooling": 2 / 9,
        },
        proxy_weights={"literacy_rate": 3 / 7, "hdr_eys": 2 / 7, "hdr_mys": 2 / 7},
        normalisation="un",
        note="Combined primary-secondary-tertiary GER is not in the data (only tertiary GER); "
        "it is dropped and the other UN weights rescaled (3/7, 2/7, 2/7). Expected years "
        "of schooling is itself built from enrolment ratios by age, so it carries much of "
        "the information of the combined GER.",
    ),
    HciProxySpec(
        name="HCI 2003-2012 (literacy only; GER dropped)",
        editions=(2003, 2004, 2005, 2008, 2010, 2012),
        un_weights={"adult literacy": 2 / 3, "combined GER": 1 / 3},
        proxy_weights={"literacy_rate": 1.0},
        normalisation="share",
        note="Up to 2012 the UN HCI was 2/3 adult literacy + 1/3 combined GER. Without the "
        "combined GER only literacy is left: the proxy is literacy / 100.",
    ),
)


def hci_proxy_spec(year: int) -> HciProxySpec:
    """The HCI proxy recipe for a survey edition."""
    for spec in HCI_PROXY_SPECS:
        if year in spec.editions:
            return spec
    raise SpecError(
        f"no HCI proxy recipe for edition {year}; editions covered: "
        f"{sorted(y for s in HCI_PROXY_SPECS for y in s.editions)}"
    )


@dataclass
class HciProxyResult:
    """HCI rebuilt from proxies for one edition, compared with the published HCI."""

    year: int
    spec: HciProxySpec
    data: pd.DataFrame
    coverage: pd.DataFrame
    stats: dict
    message: str = ""


def hci_from_proxies(
    year: int, spec: HciProxySpec | None = None, *, lag: int = 1, max_age: int | None = None
) -> HciProxyResult:
    """Rebuild the HCI of ``year`` from public proxies of its inputs and compare.

    Inputs come from `egovlib.build_panel` with the vintage rule (latest reference year <=
    ``year - lag``; the UN uses the previous year's data, and older values where a country has
    none). A country is scored only if every proxy input is present; nothing is imputed.

    Parameters
    ----------
    year : int
        Survey edition.
    spec : HciProxySpec, optional
        Default: `hci_proxy_spec(year)`.
    lag, max_age : int
        Vintage rule (see `egovlib.build_panel`).

    Returns
    -------
    HciProxyResult
        ``data``: iso3, country, published hci, each input and its reference year, hci_proxy,
        error (proxy - published). ``coverage``: per input, countries with data and the range
        of reference years. ``stats``: n, coverage share, Pearson and Spearman correlation,
        MAE, max |error|. ``message`` explains a missing input instead of raising.
    """
    spec = spec or hci_proxy_spec(year)
    inputs = list(spec.proxy_weights)
    known = variables()
    missing = [v for v in inputs if v not in known]
    base = load_egdi_panel(year).dropna(subset=["hci"])
    if missing:
        msg = (
            f"The HCI cannot be rebuilt for {year}: the input(s) {missing} are not available "
            f"in egovlib.variables() yet."
        )
        return HciProxyResult(
            year,
            spec,
            base[["iso3", "country", "hci"]].copy(),
            pd.DataFrame(),
            _empty_stats(len(base)),
            msg,
        )
    panel = build_panel(year, covariates=inputs, lag=lag, max_age=max_age)
    d = panel.data[panel.data["hci"].notna()]
    refs = panel.ref_years.set_index("iso3")
    data = d[["iso3", "country", "hci", *inputs]].set_index("iso3")
    for v in inputs:
        data[f"{v}_year"] = refs.loc[data.index, v].astype("Int64")
    complete = data[inputs].notna().all(axis=1)
    x = data.loc[complete, inputs].astype(float)
    if spec.normalisation == "un":
        proxy = (
            normalise(aggregate(normalise(x, "zscore"), spec.proxy_weights), "minmax")
            if len(x) > 2
            else pd.Series(np.nan, index=x.index)
        )
    elif spec.normalisation == "share":
        proxy = aggregate(x / 100, spec.proxy_weights)
    else:
        raise SpecError(f"unknown HCI normalisation {spec.normalisation!r}")
    data["hci_proxy"] = proxy
    data["error"] = data["hci_proxy"] - data["hci"]
    meta = variables()
    cov = pd.DataFrame(
        {
            "input": [meta[v].label if v in meta and meta[v].label else v for v in inputs],
            "countries_with_data": [int(data[v].notna().sum()) for v in inputs],
            "share": [data[v].notna().mean() for v in inputs],
            "oldest_ref_year": [data[f"{v}_year"].min() for v in inputs],
            "median_ref_year": [data[f"{v}_year"].median() for v in inputs],
            "newest_ref_year": [data[f"{v}_year"].max() for v in inputs],
        }
    )
    stats = _fit_stats(data, len(base))
    msg = (
        ""
        if stats["n"] >= 10
        else (
            f"Only {stats['n']} countries have every HCI input for {year}; the comparison is not "
            "meaningful."
        )
    )
    return HciProxyResult(year, spec, data.reset_index(), cov, stats, msg)


def _fit_stats(data: pd.DataFrame, universe: int) -> dict:
    ok = data.dropna(subset=["hci_proxy", "hci"])
    n = len(ok)
    if n < 3:
        return _empty_stats(universe) | {"n": n, "coverage": n / max(universe, 1)}
    err = ok["hci_proxy"] - ok["hci"]
    return {
        "n": n,
        "universe": universe,
        "coverage": n / universe,
        "pearson": float(ok["hci_proxy"].corr(ok["hci"])),
        "spearman": float(ok["hci_proxy"].corr(ok["hci"], method="spearman")),
        "mae": float(err.abs().mean()),
        "max_abs_error": float(err.abs().max()),
        "mean_error": float(err.mean()),
    }


def _empty_stats(universe: int) -> dict:
    return {
        "n": 0,
        "universe": universe,
        "coverage": 0.0,
        "pearson": np.nan,
        "spearman": np.nan,
        "mae": np.nan,
        "max_abs_error": np.nan,
        "mean_error": np.nan,
    }


def hci_worst_fits(result: HciProxyResult, n: int = 10) -> pd.DataFrame:
    """The countries whose rebuilt HCI is furthest from the published one, with input vintages.

    Adds ``why``: the likely reason read off the data (an old input vintage, literacy at the
    high-income ceiling, ...). It describes, it does not prove.
    """
    d = result.data.dropna(subset=["error"]).copy()
    if d.empty:
        return d
    d = d.reindex(d["error"].abs().sort_values(ascending=False).index).head(n)
    inputs = list(result.spec.proxy_weights)
    input_words = {
        "literacy_rate": "literacy",
        "hdr_eys": "expected years of schooling",
        "hdr_mys": "mean years of schooling",
        "tertiary_ger": "tertiary GER",
    }

    def why(r) -> str:
        notes = []
        for v in inputs:
            ref = r.get(f"{v}_year")
            if pd.notna(ref) and result.year - 1 - int(ref) >= 5:
                name = input_words.get(v, v)
                notes.append(f"{name} from {int(ref)} ({result.year - 1 - int(ref)} years old)")
        lit = r.get("literacy_rate")
        if "literacy_rate" in inputs and pd.notna(lit) and lit >= 99:
            notes.append("literacy at the ceiling (>= 99%)")
        notes.append("proxy above published" if r["error"] > 0 else "proxy below published")
        return "; ".join(notes)

    d["why"] = d.apply(why, axis=1)
    return d.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------


def _assessed(panel: pd.DataFrame | None, years) -> pd.DataFrame:
    df = load_egdi_panel() if panel is None else panel
    if years is not None:
        ys = [years] if isinstance(years, (int, np.integer)) else list(years)
        df = df[df["year"].isin(ys)]
    return df[df["egdi"].notna()].copy()


def spread_labels(y: Sequence[float], gap: float) -> np.ndarray:
    """Vertical positions for point labels, in the order of ``y``, at least ``gap`` apart.

    Labels keep the order of their points; a crowded run is pushed apart and the whole set
    re-centred on the points' mean height, so a label stays close to its point (draw a leader
    line from the point to the label).
    """
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return y
    order = np.argsort(y, kind="stable")
    pos = y[order].copy()
    for i in range(1, len(pos)):
        pos[i] = max(pos[i], pos[i - 1] + gap)
    pos += y.mean() - pos.mean()
    out = np.empty_like(pos)
    out[order] = pos
    return out


__all__ = [
    "spread_labels",
    "COMPONENTS",
    "EGDI_TOLERANCE",
    "EGDI_WEIGHT_HYPOTHESES",
    "HCI_PROXY_SPECS",
    "METHOD_VARIANTS",
    "HciProxyResult",
    "HciProxySpec",
    "MethodVariant",
    "WeightFit",
    "discrepancy_discussion",
    "egdi_recomputation",
    "fit_egdi_weights",
    "hci_from_proxies",
    "hci_proxy_spec",
    "hci_worst_fits",
    "implied_component_error",
    "level_rating_counts",
    "method_ranks",
    "published_decimals",
    "rank_shift_summary",
    "rank_shifts",
    "recomputation_summary",
    "tie_break_rules",
    "tie_handling",
    "tied_pairs_ranked_apart",
    "weight_hypotheses",
]
