"""Figures of fitted specs: coefficient plot, partial-regression plots, focus-group residuals."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plots import FOCUS_COLOUR, PEER_COLOUR, finish
from .diagnostics import display_name
from .estimation import Fit, ModelResults
from .specs import term_label, term_unit


def coefficient_plot(
    results: ModelResults,
    *,
    roles: tuple[str, ...] = ("main",),
    source: str = "",
    title: str | None = None,
) -> plt.Figure:
    """One-SD effects with 95% intervals, one row per term, one marker per spec.

    The x-axis is in outcome units (index points on the 0-1 scale) per one standard deviation
    of the regressor, so education, cloud and AI variables compare directly.
    """
    coefs = results.coefficients()
    coefs = coefs[coefs["role"].isin(roles) & coefs["sd_x"].notna()]
    if coefs.empty:
        raise ValueError("no fitted coefficients to plot")
    terms = list(dict.fromkeys(coefs["term"]))
    specs = list(dict.fromkeys(coefs["spec"]))
    outcome = results.ok[0].spec.outcome.upper()
    fig, ax = plt.subplots(figsize=(10, 0.75 * len(terms) + 3.2))
    colours = plt.get_cmap("tab10")
    step = 0.7 / max(len(specs), 1)
    for i in range(0, len(terms), 2):  # light bands separate the terms
        ax.axhspan(i - 0.5, i + 0.5, color="#f2f2f2", zorder=0)
    for j, spec in enumerate(specs):
        sub = coefs[coefs["spec"] == spec].set_index("term")
        ypos = [terms.index(t) + (j - (len(specs) - 1) / 2) * step for t in sub.index]
        ax.errorbar(
            sub["effect_sd"],
            ypos,
            xerr=[
                sub["effect_sd"] - sub["effect_sd_low"],
                sub["effect_sd_high"] - sub["effect_sd"],
            ],
            fmt="o",
            ms=5,
            capsize=2,
            lw=1.2,
            color=colours(j % 10),
            label=spec,
        )
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(terms)), [_wrap(term_label(t), 34) for t in terms], fontsize=9.5)
    ax.set_ylim(len(terms) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"Change in {outcome} (0-1 scale) per one-SD higher regressor, 95% CI")
    ax.set_ylabel("")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.4, -0.09),
        fontsize=8.5,
        ncol=2,
        title="Spec (marker order top to bottom)",
    )
    n_text = ", ".join(f"{f.name}: n={f.n}" for f in results.ok if f.name in specs)
    finish(
        fig,
        title or f"What goes with higher {outcome}: one-SD effects with 95% intervals",
        source,
        subtitle=_wrap(
            f"Each marker is one spec ({n_text}). Associations, not causal effects.", 130
        ),
    )
    return fig


def partial_regression(
    fit: Fit,
    terms: list[str] | None = None,
    *,
    focus: list[str] = (),
    source: str = "",
    ncols: int = 3,
) -> plt.Figure:
    """Added-variable plots: the outcome and each regressor, both net of the other regressors.

    The slope of each panel is the regressor's coefficient in the full model; points far from
    the line are the countries that drive or resist it. Focus countries are labelled.
    """
    if not fit.ok or fit.X is None or "const" not in fit.X.columns:
        raise ValueError(
            f"partial-regression plots need a fitted cross-section spec; "
            f"{fit.name!r} is {fit.status}/{fit.spec.estimator}"
        )
    terms = [t for t in (terms or [t for t in fit.spec.regressors if t in fit.X.columns])]
    if not terms:
        raise ValueError(f"spec {fit.name!r} has no continuous main regressor to plot")
    y, X = fit.y.to_numpy(), fit.X
    iso3 = np.asarray(fit.y.index.get_level_values("iso3"))
    nrows = math.ceil(len(terms) / ncols)
    fig, axes = plt.subplots(
        nrows,
        min(ncols, len(terms)),
        squeeze=False,
        figsize=(4.0 * min(ncols, len(terms)), 3.4 * nrows + 1.3),
    )
    outcome = fit.spec.outcome.upper()
    for ax, t in zip(axes.flat, terms, strict=False):
        others = X.drop(columns=t).to_numpy()
        ry = y - others @ np.linalg.lstsq(others, y, rcond=None)[0]
        x = X[t].to_numpy()
        rx = x - others @ np.linalg.lstsq(others, x, rcond=None)[0]
        is_focus = np.isin(iso3, list(focus))
        ax.scatter(rx[~is_focus], ry[~is_focus], s=14, color=PEER_COLOUR, alpha=0.6)
        ax.scatter(rx[is_focus], ry[is_focus], s=30, color=FOCUS_COLOUR, zorder=3)
        for i in np.flatnonzero(is_focus):
            ax.annotate(
                display_name(iso3[i]) if len(iso3[i]) != 3 else iso3[i],
                (rx[i], ry[i]),
                fontsize=8,
                color=FOCUS_COLOUR,
                xytext=(3, 3),
                textcoords="offset points",
            )
        slope = float(np.dot(rx, ry) / np.dot(rx, rx))
        grid = np.linspace(rx.min(), rx.max(), 2)
        ax.plot(grid, slope * grid, color="#1f4e79", lw=1.5)
        unit = term_unit(t)
        ax.set_xlabel(
            _wrap(
                f"{term_label(t)} | others ({unit})" if unit else f"{term_label(t)} | others", 45
            ),
            fontsize=9,
        )
        ax.set_ylabel(f"{outcome} | others (0-1 scale)", fontsize=9)
    for ax in list(axes.flat)[len(terms) :]:
        ax.set_visible(False)
    finish(
        fig,
        f"Partial regression: {outcome} against each variable, net of the others",
        source,
        subtitle=_wrap(
            f"Spec: {fit.name} (n = {fit.n}). Slope = coefficient in "
            f"the full model; red = focus countries.",
            130,
        ),
    )
    return fig


def focus_residual_plot(
    table: pd.DataFrame, outcome: str, spec_name: str, *, source: str = ""
) -> plt.Figure:
    """Actual score vs the model's 95% prediction interval for each focus country."""
    t = table.dropna(subset=["predicted"]).reset_index(drop=True)
    if t.empty:
        raise ValueError("no focus country is in the estimation sample")
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(t) + 2.2))
    ypos = np.arange(len(t))
    ax.hlines(
        ypos,
        t["pi_low"],
        t["pi_high"],
        color=PEER_COLOUR,
        lw=6,
        alpha=0.45,
        label="95% prediction interval",
    )
    ax.scatter(
        t["predicted"], ypos, marker="|", s=200, color="#333333", label="predicted", zorder=3
    )
    ax.scatter(t["actual"], ypos, color=FOCUS_COLOUR, s=45, label="actual", zorder=4)
    ax.axvline(1.0, color="#333333", lw=0.8, ls=":")  # the index cannot exceed 1
    ax.set_yticks(ypos, t["country"])
    ax.invert_yaxis()
    ax.set_xlabel(f"{outcome.upper()} (0-1 scale)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    left_out = table[table["predicted"].isna()]["country"].tolist()
    sub = f"Spec: {spec_name}. Red dot outside the grey bar = scores clearly above/below peers."
    if left_out:
        sub += f" Not in sample (missing data): {', '.join(left_out)}."
    finish(
        fig,
        f"Focus countries: actual {outcome.upper()} vs what their covariates predict",
        source,
        subtitle=_wrap(sub, 120),
    )
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
