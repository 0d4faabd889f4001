"""EGDI methodology (notebook 03): reproduction, 2008/2010 weights, ties, methods, HCI recipe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .countries import country_name
from .errors import SpecError
from .indices import (
    RATING_ORDER,
    egdi_from_components,
    level_group,
    rank_desc,
    rating_class,
)
from .panel import load_egdi_panel
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
    columns = list(columns)
    values = df[columns].to_numpy(float)
    # Vectorised over every value (a Python loop over ten thousand values took most of the
    # time of report 03's first cell); `tests/test_methodology.py` checks it against the loop
    # with Python's `round` on the whole panel.
    digits = np.full(values.shape, float(max_decimals))
    todo = ~np.isnan(values)
    digits[~todo] = np.nan
    for k in range(max_decimals + 1):
        with np.errstate(invalid="ignore"):
            done = todo & (np.abs(np.round(values, k) - values) < 1e-12)
        digits[done] = k
        todo &= ~done
    out = pd.DataFrame(digits, columns=columns, index=df.index).groupby(df["year"]).max()
    # (an edition without any value in a column has no decimals to report: an error, as before)
    return out.astype("int64").reset_index()


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
                "beyond": name_list(
                    df.loc[beyond, "country"].tolist(), df.loc[~beyond, "country"].tolist()
                ),
            }
        )
    return pd.DataFrame(rows)


def name_list(names: Sequence[str], others: Sequence[str] | None = None, most: int = 8) -> str:
    """Names for a table cell, never a long list.

    Up to ``most`` names; "all but ..." when ``others`` (the rest of the universe) are three or
    fewer; else the first three names and how many more.
    """
    names = list(names)
    if len(names) <= most:
        return ", ".join(names)
    if others is not None and len(others) <= 3:
        return f"all but {', '.join(others)}" if len(others) else f"all {len(names)}"
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


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


#: The sources consulted on the 2008/2010 EGDI weights (quoted in `discrepancy_discussion`), with
#: the year each was published: a report quotes only those published by its edition.
_WEIGHT_SOURCES = (
    (
        2008,
        "A UNPAN summary of the 2008 survey documents the components (TII = five indicators at "
        "20% each; HCI = 2/3 adult literacy + 1/3 combined gross enrolment) but, in what could "
        "be read, not the EGDI weights ([UNPAN, 2008 survey methodology](https://www.unpan.org/"
        "PublicAdministrationNews/tabid/651/mctl/ArticleView/ModuleID/1555/articleId/21618/"
        "Default.html)).",
    ),
    (
        2010,
        'A 2010 commentary states that the three components are "weighted equally contributing '
        '1/3" ([egovernments.wordpress.com, 14 May 2010](https://egovernments.wordpress.com/'
        "2010/05/14/weighing-indices-in-the-un-e-government-survey/)).",
    ),
    (
        2018,
        'The later survey annexes describe the EGDI as a "weighted average" of the three '
        "normalised components ([Survey 2018 annex, A.1](https://documents.pub/document/"
        "annexes-united-nations.html)).",
    ),
)


def _sources_text(n_out: int, year: int | None) -> str:
    quoted = " ".join(t for y, t in _WEIGHT_SOURCES if year is None or y <= year)
    return (
        f"**What the sources say (checked, not assumed).** {quoted} No document found states "
        "0.34 / 0.33 / 0.33: that weighting is **inferred from the data, not confirmed** by a "
        f"UN source, and the outliers of 2008 ({n_out} countries) remain **unexplained**.\n"
    )


def _years_text(values: Mapping[int, str]) -> str:
    """``{2008: "98%", 2010: "96%"}`` -> "98% (2008) and 96% (2010)"."""
    from .report import join_names

    return join_names([f"{v} ({y})" for y, v in values.items()])


def discrepancy_discussion(
    recomp: pd.DataFrame,
    fits: Mapping[int, WeightFit],
    hypotheses: pd.DataFrame,
    decimals: pd.DataFrame,
    outliers: pd.DataFrame,
    tolerance: float = EGDI_TOLERANCE,
    crosscheck: pd.DataFrame | None = None,
    year: int | None = None,
) -> str:
    """Markdown discussion of why the 2008 (and 2010) EGDI are not the mean of their components.

    Every number in the text comes from the arguments; only the reading of the sources on the
    weights (which documents were checked and what they state) is fixed prose. A report for
    2008 passes only the 2008 fit and speaks of 2008 alone.

    Parameters
    ----------
    recomp : DataFrame
        Output of `egdi_recomputation` (editions not in ``fits`` are ignored).
    fits : mapping of int to WeightFit
        `fit_egdi_weights` of 2008 and, for a report of 2010 or later, 2010, keyed by year.
    hypotheses : DataFrame
        `weight_hypotheses` of the same years stacked, with a ``year`` column; must include the
        hypotheses "equal thirds (documented)" and "0.34 / 0.33 / 0.33".
    decimals : DataFrame
        Output of `published_decimals` (rows for the years in ``fits``).
    outliers : DataFrame
        `implied_component_error` for the 2008 countries beyond the rounding bound under
        0.34 / 0.33 / 0.33 (may be empty).
    tolerance : float
        Deviation that rounding of the published values can explain.
    crosscheck : DataFrame, optional
        `egovlib.readers.un_egov.crosscheck_editions` (a second copy of an edition compared
        with the primary one), quoted for 2010.
    year : int, optional
        The report's edition: only sources published by then are quoted (default: all).

    Returns
    -------
    str
        Markdown: what the data show, three hypotheses (weights, rounding, component versions)
        with the evidence for each, and what the sources say.
    """
    eq, alt = "equal thirds (documented)", "0.34 / 0.33 / 0.33"
    years = sorted(fits)
    disc = recomp[recomp["year"].isin(years)]
    h = hypotheses.set_index(["year", "hypothesis"])
    dec = decimals.set_index("year")
    share = disc.groupby("year")["abs_deviation"].apply(lambda s: (s > tolerance).mean())
    d08 = disc[disc["year"] == 2008]
    worst = d08.loc[d08["abs_deviation"].idxmax()]
    is_worst = (disc["iso3"] == worst["iso3"]) & (disc["year"] == 2008)
    others = disc[~is_worst]
    osi_low = (disc["osi"] < (disc["hci"] + disc["tii"]) / 2).mean()
    rb = h.loc[(2008, eq), "rounding_bound"]
    n_out = int(h.loc[(2008, alt), "countries_beyond_bound"])
    worst_out = outliers.loc[outliers["iso3"] == worst["iso3"], "tii_if_alone"]
    worst_tii = worst_out.iloc[0] if len(worst_out) else float("nan")
    pooled = "these country-editions" if len(years) > 1 else "countries in 2008"

    fitted = "; ".join(
        f"for {y}, OSI {f.weights['osi']:.4f}, HCI {f.weights['hci']:.4f}, TII "
        f"{f.weights['tii']:.4f} ("
        + (
            f"max residual {f.max_abs_residual:.6f}"
            if h.loc[(y, alt), "countries_beyond_bound"] == 0
            else f"max residual {f.max_abs_residual:.4f}, driven by "
            f"{h.loc[(y, alt), 'countries_beyond_bound']} countries"
        )
        + ")"
        for y, f in sorted(fits.items(), reverse=True)
    )
    explained = []
    for y in reversed(years):
        k, n, b = (
            h.loc[(y, alt), c] for c in ("countries_beyond_bound", "countries", "rounding_bound")
        )
        explained.append(
            f"**every** {y} EGDI within the rounding bound (0 of {n} beyond {b:.6f})"
            if k == 0
            else f"all but {k} of {n} countries in {y} ({h.loc[(y, alt), 'beyond']})"
        )
    equal_left = _years_text(
        {y: str(h.loc[(y, eq), "countries_beyond_bound"]) for y in reversed(years)}
    )
    rounding = "; ".join(
        (
            "in {y} the components carry {o}/{h}/{t} decimals (OSI/HCI/TII) and the EGDI {e}"
            if k == 0
            else "in {y} {o}/{h}/{t} and {e}"
        ).format(
            y=y, o=dec.loc[y, "osi"], h=dec.loc[y, "hci"], t=dec.loc[y, "tii"], e=dec.loc[y, "egdi"]
        )
        for k, y in enumerate(years)
    )
    if 2010 in years:
        cc = None if crosscheck is None else crosscheck[crosscheck["edition"] == 2010]
        copy = (
            "no second copy of the 2010 data is available to compare"
            if cc is None or cc.empty
            else f"the independent UNU-EGOV copy of 2010 matches the UN export (largest "
            f"difference {cc['max_abs_diff'].max():.0e}, {int(cc['rank_mismatches'].sum())} "
            "ranks differing)"
        )
        versions = (
            f"Not needed for 2010 (the 0.34/0.33/0.33 fit is exact) and it cannot be tested "
            f"further with these files: {copy}, and no alternative component series is "
            "published."
        )
    else:
        versions = (
            "It cannot be tested with these files: no alternative component series is "
            "published for 2008."
        )
    text = f"""
**What the data show.** With equal weights, {_years_text({y: f"{share[y]:.0%}" for y in years})}
of assessed countries differ from the published EGDI by more than {tolerance:g}; the largest
gap is {others["abs_deviation"].max():.4f} apart from {worst["country"]} 2008
({worst["deviation"]:+.4f}). The published EGDI lies *below* the mean for most countries (median
difference {(disc["egdi"] - disc["egdi_recomputed"]).median():+.5f}). With weights 0.34/0.33/0.33
the gap to the plain mean would be (2·OSI − HCI − TII) / 300: negative wherever the OSI is below
the average of HCI and TII (true for {osi_low:.0%} of {pooled}) and never larger than
2/300 = {2 / 300:.4f}.

*Hypothesis 1: different weights.* Least squares gives, {fitted}. The fixed weights
0.34 / 0.33 / 0.33 — one third rounded to two decimals, with the remainder on the OSI —
reproduce {" and ".join(explained)}. Equal thirds leave {equal_left} countries beyond the bound.
This is the explanation the data support.

*Hypothesis 2: rounding of the published components.* Rejected: {rounding}. Rounding can move
the comparison by at most {rb:.6f} (2008), {others["abs_deviation"].max() / rb:.0f} times less
than the gaps observed.

*Hypothesis 3: different HCI/TII versions.* {versions} For the 2008 outliers ({n_out}
countries), a single component would have to differ by the amounts in the table above (e.g.
{worst["country"]}'s TII {worst_tii:.4f} instead of {worst["tii"]:.4f}); which component (if
any) was revised is **not confirmed**.

"""
    return text + _sources_text(n_out, year)


@dataclass
class WeightsAppendix:
    """The appendix on the 2008 and 2010 EGDI weights, for the editions up to a report's year.

    ``figure``, ``alt``, ``data`` and ``table`` are None for a report before 2008 (``text``
    then says the question does not arise).
    """

    text: str
    figure: object = None
    alt: str = ""
    data: pd.DataFrame | None = None
    table: pd.DataFrame | None = None


def weights_appendix(panel: pd.DataFrame, year: int) -> WeightsAppendix:
    """Why the 2008 (and 2010) EGDI are not the plain mean of their components.

    Only editions up to ``year``: histogram of residuals, the weight hypotheses and the
    discussion.
    """
    from .engine import figures

    years = [y for y in (2008, 2010) if y <= year]
    if not years:
        return WeightsAppendix(
            f"Up to {year} the published EGDI is the plain mean of its components in every "
            "edition; the question does not arise."
        )
    recomp = egdi_recomputation(panel)
    disc = recomp[recomp["year"].isin(years)].copy()
    w_alt = EGDI_WEIGHT_HYPOTHESES["0.34 / 0.33 / 0.33"]
    disc["residual_034"] = disc["egdi"] - sum(w_alt[c] * disc[c] for c in COMPONENTS)
    fits = {y: fit_egdi_weights(y, panel) for y in years}
    hyp = pd.concat([weight_hypotheses(y, panel).assign(year=y) for y in years])
    bound = hyp.set_index(["year", "hypothesis"]).loc[
        (2008, "0.34 / 0.33 / 0.33"), "rounding_bound"
    ]
    out = disc.loc[(disc["year"] == 2008) & (disc["residual_034"].abs() > bound), "iso3"]
    outliers = implied_component_error(2008, w_alt, panel, countries=out)
    hist = pd.DataFrame(
        {
            "year": disc["year"],
            "country": disc["country"],
            "equal": disc["egdi"] - disc["egdi_recomputed"],
            "weighted": disc["residual_034"],
        }
    )
    label = " and ".join(map(str, years))
    fig = figures.egdi_residuals(
        hist,
        f"{label}: published EGDI against its components",
        SOURCE,
        subtitle="Equal thirds leave most countries off by up to 0.004; 0.34/0.33/0.33 leaves "
        "only rounding and outliers",
    )
    below = (hist["equal"] < 0).mean()
    alt = (
        f"Histogram{'s' if len(years) > 1 else ''} of the published EGDI minus two weightings of "
        f"its components in {label}: the published EGDI lies below the equal-weights mean for "
        f"{below:.0%} of countries; with 0.34/0.33/0.33 all but {len(out)} countries of 2008 lie "
        "within rounding."
    )
    from .readers.un_egov import crosscheck_editions

    text = discrepancy_discussion(
        recomp,
        fits,
        hyp,
        published_decimals(panel),
        outliers,
        crosscheck=crosscheck_editions() if 2010 in years else None,
        year=year,
    )
    table = hyp[
        [
            "year",
            "hypothesis",
            "weights",
            "max_abs_residual",
            "rounding_bound",
            "countries_beyond_bound",
            "countries",
            "beyond",
        ]
    ]
    return WeightsAppendix(text, fig, alt, hist, table)


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
# How much ranks depend on method choices (alternative specs of the one engine)
# ---------------------------------------------------------------------------------------------

#: Normalisations and aggregations tried on the published components (notebook 03).
METHOD_ALTERNATIVES = {
    "normalisation": ["minmax", "zscore", "rank"],
    "aggregation": ["arithmetic", "geometric"],
}


def method_builds(data) -> dict:
    """The published EGDI and every alternative method, built by the engine.

    Parameters
    ----------
    data : egovlib.engine.IndexData
        One edition's data.

    Returns
    -------
    dict of str -> Built
        ``"published"`` first, then one build per valid normalisation x aggregation.
    """
    from .engine import build, load_specs, variants_of

    base = build(load_specs()["egdi_un"], data)
    out = {"published": base}
    for spec in variants_of(base.spec, METHOD_ALTERNATIVES):
        out[spec.name] = build(spec, data)
    return out


def method_summary(builds: Mapping) -> pd.DataFrame:
    """Per method: rank shifts against the published EGDI ranks and the top-10 check.

    Returns ``method, median_abs_shift, mean_abs_shift, p90_abs_shift, max_abs_shift,
    country_max, share_moved_gt5, top10_moved_gt5`` (top-10 countries moving more than five
    places; shift = published rank - method rank, positive = moves up).
    """
    from .engine import audit, compare

    base = builds["published"]
    rows = []
    for name, b in builds.items():
        if name == "published":
            continue
        c = compare(base, b, "egdi")
        a = c["shift"].astype(float).abs()
        top10 = c[c["rank_a"] <= 10]
        rows.append(
            {
                "method": name,
                "median_abs_shift": a.median(),
                "mean_abs_shift": a.mean(),
                "p90_abs_shift": a.quantile(0.9),
                "max_abs_shift": a.max(),
                "country_max": c.loc[a.idxmax(), "country"],
                "share_moved_gt5": (a > 5).mean(),
                "top10_moved_gt5": int((top10["shift"].abs() > audit.MAX_TOP10_MOVE).sum()),
            }
        )
    return pd.DataFrame(rows)


def egdi_effective_weights(builds: Mapping) -> pd.DataFrame:
    """Effective weights of the published EGDI: how much each component really drives it.

    Parameters
    ----------
    builds : dict
        `method_builds` (its ``"published"`` build is used).

    Returns
    -------
    DataFrame
        One row per component: ``Component``, ``Nominal weight``, ``r² with the EGDI``
        (Pearson), ``Effective weight`` (the correlation ratio's share, as for the HCI
        proposals of notebook 05: `egovlib.engine.audit.effective_weights`) and ``Share of the
        EGDI's variance`` (weight x covariance with the EGDI / variance of the EGDI; the shares
        add up to 1).
    """
    from .engine import audit

    base = builds["published"]
    w = audit.effective_weights(base)
    y = base.scores.astype(float)
    shares = []
    for c in base.spec.components:
        x = base.normalised[c.variable].astype(float)
        ok = x.notna() & y.notna()
        shares.append(c.weight * np.cov(x[ok], y[ok])[0, 1] / y[ok].var())
    return pd.DataFrame(
        {
            "Component": w["component"],
            "Nominal weight": w["nominal_weight"],
            "r² with the EGDI": w["r2"],
            "Effective weight": w["effective_weight"],
            "Share of the EGDI's variance": shares,
        }
    )


def egdi_weights_text(weights: pd.DataFrame, year: int) -> str:
    """One sentence: whether any component drives the EGDI more than its nominal weight.

    "Close" means both measures within 25% of the nominal weight (e.g. 25% to 42% for a third).
    """
    from .engine.audit import EFFECTIVE_WEIGHT_RATIO
    from .report import join_names

    ratio = weights["Effective weight"] / weights["Nominal weight"]
    share = weights["Share of the EGDI's variance"]
    parts = join_names(
        [
            f"{c} {e:.0%} (variance share {v:.0%})"
            for c, e, v in zip(
                weights["Component"], weights["Effective weight"], share, strict=True
            )
        ]
    )
    verdict = (
        "each stays close to its nominal weight, so no component dominates the EGDI"
        if ratio.between(1 / EFFECTIVE_WEIGHT_RATIO, EFFECTIVE_WEIGHT_RATIO).all()
        and max((ratio - 1).abs().max(), (share / weights["Nominal weight"] - 1).abs().max()) < 0.25
        else "they depart from the nominal weights, so the EGDI is not driven equally by its "
        "components"
    )
    return (
        f"**Effective weights ({year}).** Nominally each component weighs "
        f"{weights['Nominal weight'].iloc[0]:.0%}; in the data their effective weights "
        f"(share of the correlation ratios with the EGDI, the measure the report on HCI revisions "
        f"uses) are {parts}: {verdict}."
    )


def method_group_ranks(builds: Mapping, group: Sequence[str]) -> pd.DataFrame:
    """EGDI rank of each group country under each method (``country, published`` + methods)."""
    base = builds["published"]
    out = pd.DataFrame({"country": base.data.frame["country"]})
    out["published"] = base.data.frame["rank"].astype(float)
    for name, b in builds.items():
        if name != "published":
            out[name] = b.egdi_ranks.astype(float)
    keep = [g for g in group if g in out.index]
    return out.loc[keep].sort_values("published")


def rank_ranges(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per group country: published rank and the lowest and highest rank across the methods.

    ``ranks`` is `method_group_ranks`; returns ``country, published, best, worst, width``
    (best = smallest rank number) and the methods giving them (``best_method, worst_method``).
    """
    methods = ranks.drop(columns=["country", "published"]).astype(float)
    out = ranks[["country", "published"]].copy()
    out["best"] = methods.min(axis=1)
    out["worst"] = methods.max(axis=1)
    out["best_method"] = methods.idxmin(axis=1)
    out["worst_method"] = methods.idxmax(axis=1)
    lo = np.minimum(out["best"], out["published"])
    hi = np.maximum(out["worst"], out["published"])
    out["width"] = hi - lo
    return out


def _least_robust(ranks: pd.DataFrame, focus: str) -> str:
    """A sentence on the group country whose rank moves most across methods.

    Empty if that is the focus country or if it moves no more than the focus country.
    """
    r = rank_ranges(ranks)
    if len(r) < 2:
        return ""
    top = r["width"].idxmax()
    if top == focus or (focus in r.index and r.loc[top, "width"] <= r.loc[focus, "width"]):
        return ""
    t = r.loc[top]
    return (
        f" Of the {len(r)} countries compared, the rank of {t['country']} (published "
        f"{int(t['published'])}) depends most on the method: {int(t['best'])} under "
        f"*{t['best_method']}*, {int(t['worst'])} under *{t['worst_method']}*."
    )


def _focus_range(ranks: pd.DataFrame, focus: str) -> str:
    if focus not in ranks.index:
        return ""
    t = rank_ranges(ranks).loc[focus]
    if t["best"] == t["worst"]:
        return (
            f" {country_name(focus)} (published rank {int(t['published'])}) ranks "
            f"{int(t['best'])} under every method."
        )
    return (
        f" {country_name(focus)} (published rank {int(t['published'])}) ranks between "
        f"{int(t['best'])} (*{t['best_method']}*) and {int(t['worst'])} (*{t['worst_method']}*)."
    )


def method_text(summary: pd.DataFrame, ranks: pd.DataFrame, focus: str, data) -> str:
    """What the method comparison shows.

    The focus country's range and the group country whose rank depends most on the method are
    said once, in the key findings.
    """
    least = summary.loc[summary["mean_abs_shift"].idxmin()]
    most = summary.loc[summary["median_abs_shift"].idxmax()]
    comps = data.frame[list(COMPONENTS)]
    scaled = bool(((comps.min() == 0) & (comps.max() == 1)).all())
    return (
        f"The method closest to the published ranks is *{least['method']}* (mean absolute "
        f"shift {least['mean_abs_shift']:.2f} places)"
        + (
            ", as expected: the published components of this edition already span 0 to 1. "
            if scaled
            else "; the published components of this edition do not all span 0 to 1, so even "
            "min-max rescaling changes their relative weight. "
        )
        + f"The largest typical change comes from *{most['method']}*: median absolute shift "
        f"{most['median_abs_shift']:.0f}, {most['share_moved_gt5']:.0%} of countries move more "
        f"than 5 places, at most {most['max_abs_shift']:.0f} ({most['country_max']}). A "
        "geometric mean penalises unbalanced profiles; here it works on components put on "
        "[0.01, 1], so a country at the bottom of one component loses ground but is not sent to "
        "zero. The ranks of the group's countries under each method are in the second table "
        "below (the key findings name the widest range)."
    )


def method_ranks_view(ranks: pd.DataFrame, label: str, year: int):
    """Dot chart of each group country's EGDI rank under each method: (figure, alt text, data)."""
    from .engine import figures

    fig = figures.method_ranks(
        ranks,
        f"{label}: EGDI rank {year} under each method",
        SOURCE,
        subtitle="Each marker is one method; the red bar is the published rank",
    )
    r = rank_ranges(ranks)
    alt = (
        f"Dot chart of the EGDI rank {year} of each of {len(r)} countries under "
        f"{len(ranks.columns) - 2} methods, with the published rank as a bar. "
        + "; ".join(
            f"{t['country']}: published {int(t['published'])}, "
            + (
                f"{int(t['best'])} under every method"
                if t["best"] == t["worst"]
                else f"{int(t['best'])} to {int(t['worst'])} across methods"
            )
            for _, t in r.iterrows()
        )
        + "."
    )
    return fig, alt, ranks.reset_index()


# ---------------------------------------------------------------------------------------------
# HCI rebuilt from public proxies of its inputs (the engine's recipe spec)
# ---------------------------------------------------------------------------------------------


def hci_recipe(data):
    """The HCI recipe of the edition built by the engine (None if no recipe applies)."""
    from .engine import build, load_specs, select

    recipes = select(load_specs(), role="recipe", family="hci", year=data.year)
    return build(recipes[0], data) if recipes else None


def recipe_fit(recipe) -> dict:
    """Fit of the rebuilt HCI against the published HCI: n, imputed, r, Spearman, MAE, max."""
    pub = recipe.data.frame["hci"]
    ok = recipe.scores.notna() & pub.notna()
    err = recipe.scores[ok] - pub[ok]
    return {
        "n": int(ok.sum()),
        "universe": int(pub.notna().sum()),
        "imputed": int(recipe.imputed[ok].any(axis=1).sum()),
        "pearson": float(recipe.scores[ok].corr(pub[ok])),
        "spearman": float(recipe.scores[ok].corr(pub[ok], method="spearman")),
        "mae": float(err.abs().mean()),
        "max_abs_error": float(err.abs().max()),
        "mean_error": float(err.mean()),
    }


def recipe_text(recipe) -> str:
    """The recipe, its citation (said once) and its fit, in words."""
    s = recipe.spec
    f = recipe_fit(recipe)
    return (
        f"**Recipe for {recipe.year}.** "
        + ", ".join(f"{c.name} (weight {c.weight:.3g})" for c in s.components)
        + (
            " (z-score each input, weighted sum, min-max to [0, 1]). "
            if s.normalisation == "zscore"
            else " (inputs in % divided by 100). "
        )
        + f"*Source of the formula:* {s.citation} "
        + (s.proxy_note + " " if s.proxy_note else "")
        + f"Inputs follow the shared vintage rule (latest value at most {s.max_age} years "
        "older than the year before the survey). "
        f"The rebuilt HCI covers {f['n']} of {f['universe']} countries"
        + (" (the others have no value within the vintage rule)" if f["n"] < f["universe"] else "")
        + (
            f"; {f['imputed']} have an imputed input, marked in the tables"
            if f["imputed"]
            else "; none has an imputed input"
        )
        + f". It correlates with the published HCI at "
        f"r = {f['pearson']:.3f} (Spearman {f['spearman']:.3f}), mean absolute error "
        f"{f['mae']:.3f} index points (largest {f['max_abs_error']:.3f}; mean signed error "
        f"{f['mean_error']:+.3f})."
    )


def recipe_table(recipe) -> pd.DataFrame:
    """Per country: published and rebuilt HCI, each input (``*`` = imputed) and its year."""
    t = pd.DataFrame(
        {
            "country": recipe.data.frame["country"],
            "published": recipe.data.frame["hci"],
            "rebuilt": recipe.scores,
            "imputed": recipe.imputed.any(axis=1),
        }
    )
    for v in recipe.spec.variables:
        t[recipe.spec.labels[v]] = recipe.inputs[v]
        t[f"{recipe.spec.labels[v]} year"] = recipe.ref_years[v].where(recipe.observed[v])
    t["error"] = t["rebuilt"] - t["published"]
    return t


def worst_fits(recipe, n: int = 10) -> pd.DataFrame:
    """The ``n`` countries whose rebuilt HCI is furthest from the published one, and why.

    ``why`` is read off the data (an imputed input, literacy at the ceiling, the direction of
    the error); it describes, it does not prove.
    """
    t = recipe_table(recipe).dropna(subset=["error"])
    t = t.reindex(t["error"].abs().sort_values(ascending=False).index).head(n)
    labels = recipe.spec.labels

    def why(iso) -> str:
        notes = [
            f"{labels[v].lower()} imputed"
            for v in recipe.spec.variables
            if recipe.imputed.loc[iso, v]
        ]
        if "literacy_rate" in labels and recipe.inputs.loc[iso, "literacy_rate"] >= 99:
            notes.append("literacy at the ceiling (>= 99%)")
        notes.append("rebuilt above published" if t.loc[iso, "error"] > 0 else "rebuilt below")
        return "; ".join(notes)

    t["why"] = [why(i) for i in t.index]
    return t.drop(columns=["imputed"]).reset_index()


def group_rebuild_error_text(
    recipe, group: Sequence[str], group_label: str, focus: str | None = None
) -> str:
    """One sentence: how far the rebuilt HCI misses the published one for the group.

    Rebuilt minus published, so a reader knows what rebuilt values can say about these countries.
    """
    group_label = f"the {group_label}" if group_label.isupper() else group_label
    err = recipe_table(recipe)["error"].reindex(list(group)).dropna()
    if err.empty:
        return ""
    n, size = len(err), len(group)
    lo, hi = err.abs().min(), err.abs().max()
    rebuilt = (
        f"the {n} of the {size} countries of {group_label} that can be rebuilt" if n < size else ""
    )
    name = country_name(focus) if focus is not None and focus in err.index and n > 1 else ""
    focus_part = f"{name} {err[focus]:+.3f}" if name else ""
    if (err < 0).all() or (err > 0).all():
        side = "too low" if (err < 0).all() else "too high"
        who = rebuilt or (
            f"all {n} countries of {group_label}" if n > 1 else country_name(err.index[0])
        )
        text = f"For {who}, the rebuilt HCI is {side}, by {lo:.3f} to {hi:.3f}" + (
            f" ({focus_part})" if focus_part else ""
        )
    else:
        worst = err.abs().idxmax()
        below = int((err < 0).sum())
        text = (
            f"For {rebuilt or group_label}, the rebuilt HCI misses by up to {hi:.3f} "
            f"({country_name(worst)} {err[worst]:+.3f}; {below} of {n} too low"
            + (f"; {focus_part})" if focus_part else ")")
        )
    mae, mean = recipe_fit(recipe)["mae"], err.abs().mean()
    if mean > mae:
        text += (
            f": their mean miss ({mean:.3f}) is larger than the {mae:.3f} over all countries, so "
            "rebuilt values are a poor guide to these countries' published HCI."
        )
    else:
        text += (
            f"; their mean miss ({mean:.3f}) is no larger than the {mae:.3f} over all countries."
        )
    return text


def recipe_view(recipe, group: Sequence[str], group_label: str):
    """Scatter of the rebuilt against the published HCI: (figure, alt text, data)."""
    from .engine import figures

    t = recipe_table(recipe).dropna(subset=["rebuilt"])
    f = recipe_fit(recipe)
    source = (
        "Source: UN DESA E-Government Survey; UNDP HDR (expected/mean years of schooling); "
        "OWID/UNESCO adult literacy; egovlib calculations."
    )
    fig = figures.proxy_scatter(
        t,
        list(group),
        group_label,
        f"HCI {recipe.year}: rebuilt from public proxies vs published",
        source,
        subtitle=f"{f['n']} countries, r = {f['pearson']:.3f}, mean absolute error "
        f"{f['mae']:.3f}; {group_label} named at the right",
    )
    alt = (
        f"Scatter of the HCI rebuilt from proxies against the published HCI {recipe.year} for "
        f"{f['n']} countries (r = {f['pearson']:.3f}); points close to the diagonal are rebuilt "
        f"well. {group_label[:1].upper() + group_label[1:]}: "
        + "; ".join(
            f"{r['country']} published {r['published']:.3f}, rebuilt {r['rebuilt']:.3f}"
            for _, r in t.loc[[g for g in group if g in t.index]].iterrows()
        )
        + "."
    )
    missing = [g for g in group if g not in t.index and g in recipe.scores.index]
    if missing:
        alt += (
            f" Not rebuilt (no input value within the vintage rule): "
            f"{', '.join(country_name(g) for g in missing)}."
        )
    return fig, alt, t.reset_index()


# ---------------------------------------------------------------------------------------------


def _assessed(panel: pd.DataFrame | None, years) -> pd.DataFrame:
    df = load_egdi_panel() if panel is None else panel
    if years is not None:
        ys = [years] if isinstance(years, (int, np.integer)) else list(years)
        df = df[df["year"].isin(ys)]
    return df[df["egdi"].notna()].copy()


__all__ = [
    "COMPONENTS",
    "EGDI_TOLERANCE",
    "EGDI_WEIGHT_HYPOTHESES",
    "METHOD_ALTERNATIVES",
    "WeightFit",
    "discrepancy_discussion",
    "egdi_recomputation",
    "fit_egdi_weights",
    "hci_recipe",
    "implied_component_error",
    "level_rating_counts",
    "method_builds",
    "method_group_ranks",
    "method_summary",
    "method_text",
    "published_decimals",
    "recipe_fit",
    "recipe_table",
    "recipe_text",
    "recipe_view",
    "recomputation_summary",
    "tie_break_rules",
    "tie_handling",
    "tied_pairs_ranked_apart",
    "weight_hypotheses",
    "worst_fits",
]


# ---------------------------------------------------------------------------------------------
# Views of notebook 03 (text and tables; figures in egovlib.engine.figures)
# ---------------------------------------------------------------------------------------------

SOURCE = "Source: UN DESA, E-Government Survey (all editions); egovlib calculations."


def reproduction_text(summary: pd.DataFrame, year: int) -> str:
    """Whether the mean of the published components reproduces the EGDI and its ranks."""
    this = summary.set_index("year").loc[year]
    ok = summary.loc[summary["max_abs_deviation"] <= EGDI_TOLERANCE, "year"].tolist()
    bad = summary.loc[summary["max_abs_deviation"] > EGDI_TOLERANCE, "year"].tolist()
    matches = this["max_abs_deviation"] <= EGDI_TOLERANCE
    text = (
        f"In {year}, the EGDI recomputed as (OSI + HCI + TII) / 3 from the published components "
        + (
            "matches the published EGDI within rounding"
            if matches
            else "does **not** match the published EGDI (see the appendix on the editions where "
            "the EGDI is not the plain mean)"
        )
        + f": the largest absolute difference is {this['max_abs_deviation']:.6f} "
        f"({this['worst_country']}), and {this['share_beyond_tolerance']:.0%} of the "
        f"{int(this['assessed'])} assessed countries differ by more than {EGDI_TOLERANCE:g}. "
        f"Ranking the published EGDI with ties sharing the best rank reproduces "
        f"{int(this['ranks_reproduced'])} of {int(this['assessed'])} published ranks."
    )
    if this["rank_mismatches"]:
        text += (
            f" The {int(this['rank_mismatches'])} exceptions are countries with the same "
            "published EGDI that the UN ranked apart (appendix)."
        )
    later = [y for y in ok if y <= year]
    text += (
        f" Up to {year}, the mean of the components reproduces the EGDI within "
        f"{EGDI_TOLERANCE:g} in {', '.join(map(str, later)) or 'no edition'}"
        + (
            f", not in {', '.join(str(y) for y in bad if y <= year)}."
            if any(y <= year for y in bad)
            else "."
        )
    )
    return text


def ties_text(rules: pd.DataFrame, ties: pd.DataFrame, year: int) -> str:
    """The 2020 ties that the UN ranked apart, and whether simple tie-breakers explain them."""
    undecided = int((rules["mean of rounded components"] == "undecided").sum())
    counts = "; ".join(
        f"{k}: {int((rules[k] == 'yes').sum())}/{len(rules)}" for k in rules.columns[2:]
    )
    shared = [
        int(y)
        for y, r in ties.drop(index=2020, errors="ignore").iterrows()
        if r["tied_groups"] and y <= year
    ]
    return (
        f"Only 2020 has countries with the same published EGDI (4 decimals) that the UN ranked "
        f"apart: {len(rules)} pairs. In the other editions with ties up to {year} "
        f"({', '.join(map(str, shared)) or 'none'}) the tied countries share a rank, as here. "
        f"No simple published tie-breaker reproduces the UN order in every pair ({counts}); "
        f"the mean of the rounded components ties exactly in {undecided} pairs. The UN order "
        "is consistent with ranking on unrounded values, which the published file does not hold."
    )


def level_text(counts: pd.DataFrame, edition: pd.DataFrame, year: int, focus: str) -> str:
    """Countries per level group; rating classes flagged as retrospective before 2020."""
    from .indices import LEVEL_THRESHOLDS

    by_group = counts.groupby("level_group", observed=True)["countries"].sum()
    text = (
        f"In {year}: "
        + ", ".join(f"{int(by_group.get(g, 0))} {g}" for g, _ in LEVEL_THRESHOLDS)
        + f" ({int(by_group.sum())} assessed countries). Level groups: Very High >= 0.75, High "
        ">= 0.50, Middle >= 0.25, Low below; each is split into four rating classes of width "
        "0.0625 (E-Government Survey 2020, ch. 1)."
    )
    if year < 2020:
        text += (
            f" **Level groups and rating classes were introduced in 2020; for {year} they are "
            "applied retrospectively here, not as published.**"
        )
    e = edition.dropna(subset=["egdi"]).set_index("iso3")
    if focus in e.index:
        egdi = e.loc[focus, "egdi"]
        text += (
            f" {country_name(focus)}: EGDI {egdi:.4f}, {level_group(egdi).iloc[0]}, rating "
            f"class {rating_class(egdi).iloc[0]}."
        )
    return text


def key_findings(
    summary: pd.DataFrame,
    methods: pd.DataFrame,
    recipe,
    year: int,
    focus: str,
    ranks,
    panel: pd.DataFrame | None = None,
    group_label: str = "the group",
) -> list[str]:
    """Three to five headline sentences for notebook 03.

    ``ranks`` is `method_group_ranks` of the comparison group (its index names the group);
    ``group_label`` names the group in the sentence on the rebuilt HCI's errors.
    """
    from .report import join_names

    this = summary.set_index("year").loc[year]
    if this["max_abs_deviation"] <= EGDI_TOLERANCE:
        first = (
            f"The published EGDI {year} is reproduced from its components within rounding "
            f"(largest difference {this['max_abs_deviation']:.1e}), and ranking it with ties "
            f"sharing the best rank reproduces {int(this['ranks_reproduced'])} of "
            f"{int(this['assessed'])} published ranks."
        )
    else:
        h = weight_hypotheses(year, panel).set_index("hypothesis").loc["0.34 / 0.33 / 0.33"]
        k = int(h["countries_beyond_bound"])
        first = (
            f"The published EGDI {year} is **not** the plain mean of its components (largest "
            f"difference {this['max_abs_deviation']:.4f}). Weights 0.34 / 0.33 / 0.33 reproduce "
            + (
                "every country within rounding"
                if k == 0
                else f"all but {k} of {int(h['countries'])} countries ({h['beyond']}) within "
                "rounding"
            )
            + ": inferred from the data, not stated in a UN source (appendix)."
        )
    out = [first]
    most = methods.loc[methods["median_abs_shift"].idxmax()]
    k10 = int(most["top10_moved_gt5"])
    out.append(
        f"Method choices {'matter' if most['median_abs_shift'] >= 2 else 'matter little'}: "
        f"under *{most['method']}* the median country moves {most['median_abs_shift']:.0f} "
        f"place{'s' if most['median_abs_shift'] != 1 else ''}, "
        f"{most['share_moved_gt5']:.0%} of countries move more than 5 places, and "
        + (
            "no top-10 country does."
            if k10 == 0
            else f"{k10} of the top 10 {'does' if k10 == 1 else 'do'}."
        )
    )
    if focus in ranks.index:
        out.append((_focus_range(ranks, focus) + _least_robust(ranks, focus)).strip())
    if recipe is not None:
        f = recipe_fit(recipe)
        inputs = join_names([c.name.lower() for c in recipe.spec.components])
        text = (
            f"The HCI rebuilt from public proxies of its inputs ({inputs}) tracks the published "
            f"HCI (r = {f['pearson']:.2f}, mean absolute error {f['mae']:.3f}) for {f['n']} of "
            f"{f['universe']} countries, but not exactly; "
            + (
                "no country needs an imputed input"
                if f["imputed"] == 0
                else f"{f['imputed']} countries need an imputed input"
            )
        )
        name = country_name(focus)
        if focus in recipe.scores.index and pd.isna(recipe.scores[focus]):
            text += f". {name} has no value for these inputs within the vintage rule."
        elif focus in recipe.imputed.index and recipe.imputed.loc[focus].any():
            row = recipe.imputed.loc[focus]
            imp = join_names([recipe.spec.labels[v].lower() for v in row.index[row]])
            text += f", among them {name} ({imp})."
        else:
            text += "."
        text += " " + group_rebuild_error_text(recipe, list(ranks.index), group_label, focus)
        out.append(text.rstrip())
    return out[:5]


def edition_data(year: int):
    """One edition's data for notebook 03: published indices and the HCI recipe's inputs."""
    from .engine import index_data, load_specs, select

    return index_data(year, select(load_specs(), role="recipe", family="hci", year=year))
