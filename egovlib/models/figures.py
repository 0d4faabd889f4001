"""Figures of `Determinants`: contrasts, specification curve, residuals, composites vs income."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from ..plots import FOCUS_COLOUR, FRONTIER_COLOUR, PEER_COLOUR, finish, styled
from .analysis import Determinants
from .reporting import contrast_data, near_figure_data, residual_table
from .specs import spec_config, term_label


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


@styled
def contrast_plot(det: Determinants, *, source) -> plt.Figure:
    """Each code contrast (rows) in each compared model (markers), with 95% intervals."""
    data = contrast_data(det)
    if data.empty:
        raise ValueError("no contrast to plot: none of the hypotheses is testable")
    labels = list(dict.fromkeys(data["label"]))
    specs = list(dict.fromkeys(data["spec"]))
    y = det.outcome.upper()
    fig, ax = plt.subplots(figsize=(10, 0.8 * len(labels) + 3.0))
    colours = plt.get_cmap("tab10")
    step = 0.7 / max(len(specs), 1)
    for i in range(0, len(labels), 2):
        ax.axhspan(i - 0.5, i + 0.5, color="#f2f2f2", zorder=0)
    for j, spec in enumerate(specs):
        sub = data[data["spec"] == spec]
        ypos = [labels.index(lab) + (j - (len(specs) - 1) / 2) * step for lab in sub["label"]]
        ax.errorbar(
            sub["estimate"],
            ypos,
            xerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
            fmt="o",
            ms=5,
            capsize=2,
            lw=1.2,
            color=colours(j % 10),
            label=spec,
        )
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(labels)), [_wrap(lab, 38) for lab in labels], fontsize=9.5)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"Difference in {y} (0-1 scale) between the two codes, with 95% interval")
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.12), fontsize=8.5, ncol=2)
    finish(
        fig,
        f"{y} {det.year}: how countries with each code compare with countries without",
        source,
        subtitle=_wrap(
            f"Same {det.common.n} countries in every model; controls: income, population, "
            "region. Associations, not causal effects.",
            120,
        ),
    )
    return fig


@styled
def spec_curve_plot(det: Determinants, *, source) -> plt.Figure:
    """Specification curve: per question.

    The sorted estimates with 95% intervals above a grid of the choices behind each one; the
    report's default specification in red.
    """
    curve = det.curve_rows
    if curve is None or curve.empty:
        raise ValueError("no specification curve to plot")
    cfg = spec_config()["spec_curve"]
    dims = [
        ("controls", list(dict.fromkeys(curve["controls"]))),
        ("lag", cfg["lags"]),
        ("max_age", cfg["max_ages"]),
        ("estimator", cfg["estimators"]),
        ("sample", cfg["samples"]),
        ("model", [m for m in cfg["models"] if m in set(curve["model"])]),
    ]
    names = {
        "lag": "lag {} yr",
        "max_age": "max age {} yr",
        "estimator": "{}",
        "controls": "{}",
        "sample": "{}",
        "model": "{}",
    }
    est_words = {"ols": "OLS", "fraclogit": "fractional logit", "median": "median regression"}
    rows = [(d, v) for d, vals in dims for v in vals]
    hyps = [h for h in det.testable if h.id in set(curve["id"])]
    fig, axes = plt.subplots(
        2 * len(hyps),
        1,
        figsize=(11, 5.8 * len(hyps) + 1.0),
        gridspec_kw={"height_ratios": [1.0, 1.35] * len(hyps)},
    )
    for k, h in enumerate(hyps):
        part = curve[curve["id"] == h.id].dropna(subset=["estimate"])
        part = part.sort_values("estimate").reset_index(drop=True)
        x = np.arange(len(part))
        top, bottom = axes[2 * k], axes[2 * k + 1]
        sig = (part["ci_low"] > 0) | (part["ci_high"] < 0)
        for mask, colour in ((~sig, PEER_COLOUR), (sig, FRONTIER_COLOUR)):
            top.vlines(
                x[mask],
                part["ci_low"][mask],
                part["ci_high"][mask],
                color=colour,
                lw=0.6,
                alpha=0.5,
            )
            top.scatter(x[mask], part["estimate"][mask], s=4, color=colour, zorder=3)
        d = part.index[part["is_default"]]
        top.scatter(d, part.loc[d, "estimate"], s=40, color=FOCUS_COLOUR, zorder=4)
        top.axhline(0, color="#333333", lw=0.8)
        top.set_xlim(-1, len(part))
        top.set_xticks([])
        top.set_ylabel(f"{det.outcome.upper()} difference")
        top.set_title(
            f"{h.id} {h.name}: {h.contrast_words} ({len(part)} specifications)",
            loc="left",
            fontsize=11,
        )
        bottom.set_xlim(-1, len(part))
        for i, (dim, val) in enumerate(rows):
            on = np.flatnonzero(part[dim].to_numpy() == val)
            bottom.scatter(on, np.full(len(on), i), s=2, marker="s", color="#333333")
        labels = [
            names[dim].format(est_words.get(val, val) if dim == "estimator" else val)
            for dim, val in rows
        ]
        bottom.set_yticks(range(len(rows)), labels, fontsize=7.5)
        bottom.set_ylim(len(rows) - 0.5, -0.5)
        bottom.grid(visible=False)
        bottom.set_xticks([])
        if k == len(hyps) - 1:
            bottom.set_xlabel("Specifications, sorted by estimate")
    finish(
        fig,
        f"{det.outcome.upper()} {det.year}: each answer across {len(part)} reasonable "
        "specifications",
        source,
        subtitle=_wrap(
            "Dots: estimated difference with 95% interval (blue: interval excludes zero; grey: "
            "includes it; red: this report's specification). Grid: the choices behind each.",
            120,
        ),
    )
    return fig


@styled
def residual_plot(det: Determinants, *, source) -> plt.Figure:
    """Standardised residuals of every country, sorted, the group's countries labelled."""
    r = det.residuals
    if r.empty:
        raise ValueError("no residuals to plot")
    t = residual_table(det).dropna(subset=["z"])
    fig, ax = plt.subplots(figsize=(10, 4.8))
    x = np.arange(len(r))
    is_group = r["iso3"].isin(det.group).to_numpy()
    ax.scatter(x[~is_group], r["z"][~is_group], s=10, color=PEER_COLOUR, alpha=0.6)
    ax.scatter(x[is_group], r["z"][is_group], s=40, color=FOCUS_COLOUR, zorder=3)
    for i in np.flatnonzero(is_group):
        ax.annotate(
            r["country"].iloc[i],
            (x[i], r["z"].iloc[i]),
            xytext=(-6, 8 if r["z"].iloc[i] >= 0 else -12),
            textcoords="offset points",
            fontsize=8.5,
            color=FOCUS_COLOUR,
            ha="right",
        )
    for level in (-2, 2):
        ax.axhline(level, color="#333333", lw=0.8, ls="--")
    ax.axhline(0, color="#333333", lw=0.6)
    ax.set_xticks([])
    ax.set_xlabel(f"Countries, sorted by standardised residual (n = {len(r)})")
    ax.set_ylabel("Standardised residual (model errors)")
    finish(
        fig,
        f"{det.outcome.upper()} {det.year}: above or below what the covariates predict",
        source,
        subtitle=_wrap(
            f"Fractional logit; red: {det.group_name} ({len(t)} in the sample). Dashed lines at "
            "±2: about 1 country in 20 lies beyond them by chance.",
            120,
        ),
    )
    return fig


@styled
def near_outcome_plot(det: Determinants, *, source) -> plt.Figure:
    """Each near-outcome composite against log GNI per capita, the group highlighted."""
    data = near_figure_data(det)
    comps = list(det.collinearity["variable"])
    if not comps:
        raise ValueError("no near-outcome composite to plot")
    g = data[f"In {det.group_name}"].to_numpy()
    x = data["log GNI per capita"]
    ncols = min(len(comps), 2)
    nrows = int(np.ceil(len(comps) / ncols))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(5.2 * ncols, 3.6 * nrows + 1.4))
    for ax, (v, r) in zip(
        axes.flat, zip(comps, det.collinearity["r_income"], strict=True), strict=False
    ):
        y = data[term_label(v)]
        ax.scatter(x[~g], y[~g], s=10, color=PEER_COLOUR, alpha=0.6)
        ax.scatter(x[g], y[g], s=30, color=FOCUS_COLOUR, zorder=3)
        ax.set_title(f"{_wrap(term_label(v), 45)} (r = {r:.2f})", fontsize=10, loc="left")
        ax.set_xlabel("log GNI per capita (2017 PPP $)", fontsize=9)
        ax.set_ylabel("score", fontsize=9)
    for ax in list(axes.flat)[len(comps) :]:
        ax.set_visible(False)
    finish(
        fig,
        f"Composite indices rise with income ({det.near_sample.n} countries)",
        source,
        subtitle=f"Red: {det.group_name}. r = correlation with log GNI per capita.",
    )
    return fig


__all__ = ["contrast_plot", "near_outcome_plot", "residual_plot", "spec_curve_plot"]
