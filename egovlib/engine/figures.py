"""Figures of the index engine (notebooks 03 and 05); each returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..plots import FOCUS_COLOUR, FRONTIER_COLOUR, PEER_COLOUR, finish, styled


@styled
def shift_intervals(
    table: pd.DataFrame, focus: str, title: str, source: str, subtitle: str = ""
) -> plt.Figure:
    """Rank change per country and proposal.

    Dot: Monte Carlo median; bar: 5-95% of the builds; cross: the proposal as specified.

    ``table`` has columns ``proposal, iso3, country, nominal, median, lower, upper``; country
    names are the y-axis labels (never written on the markers, never cut short).
    """
    props = list(dict.fromkeys(table["proposal"]))
    countries = list(dict.fromkeys(table["country"]))
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(countries) * len(props) + 2.2))
    colours = plt.get_cmap("tab10")
    step = 0.8 / max(len(props), 1)
    for j, prop in enumerate(props):
        sub = table[table["proposal"] == prop].set_index("country").reindex(countries)
        y = np.arange(len(countries)) + (j - (len(props) - 1) / 2) * step
        ax.hlines(y, sub["lower"], sub["upper"], color=colours(j), lw=2.4, alpha=0.8)
        ax.scatter(sub["median"], y, color=colours(j), s=30, zorder=3, label=prop)
        ax.scatter(sub["nominal"], y, color="#333333", marker="x", s=22, lw=1, zorder=4)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(countries)), countries)
    for t, iso in zip(ax.get_yticklabels(), dict.fromkeys(table["iso3"]), strict=False):
        if iso == focus:
            t.set_color(FOCUS_COLOUR)
            t.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlabel("Change in EGDI rank (places; positive = moves up); bar = 5–95% of builds")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=9)
    finish(fig, title, source, subtitle=subtitle)
    return fig


@styled
def weight_bars(table: pd.DataFrame, title: str, source: str, subtitle: str = "") -> plt.Figure:
    """Nominal against effective weight of every component, one panel row per proposal.

    ``table``: ``proposal, component, nominal_weight, effective_weight``; weights are shares
    (0-1), so the axis stops at 1.
    """
    rows = table.reset_index(drop=True)
    labels = [f"{p}: {c}" for p, c in zip(rows["proposal"], rows["component"], strict=True)]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 2.0))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, rows["nominal_weight"], height=0.38, color=PEER_COLOUR, label="nominal")
    ax.barh(
        y + 0.2,
        rows["effective_weight"],
        height=0.38,
        color=FRONTIER_COLOUR,
        label="effective (share of index variance)",
    )
    flag = rows["effective_weight"] > 2 * rows["nominal_weight"]
    ax.scatter(
        rows.loc[flag, "effective_weight"] + 0.02,
        y[flag] + 0.2,
        marker="<",
        color=FOCUS_COLOUR,
        label="more than twice the nominal weight",
        zorder=3,
    )
    ax.set_yticks(y, labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("Weight (share of the index, 0–1)")
    ax.legend(loc="lower right", fontsize=9, frameon=True)
    finish(fig, title, source, subtitle=subtitle)
    return fig


@styled
def proxy_scatter(
    table: pd.DataFrame,
    group: list[str],
    group_label: str,
    title: str,
    source: str,
    subtitle: str = "",
) -> plt.Figure:
    """Published HCI against the HCI rebuilt from proxies; group members named at the margin.

    ``table``: index iso3 with ``published, rebuilt, imputed``. Both axes are 0-1 indices.
    """
    fig, ax = plt.subplots(figsize=(8.5, 7))
    imp = table["imputed"]
    ax.scatter(
        table.loc[~imp, "published"],
        table.loc[~imp, "rebuilt"],
        s=16,
        color=PEER_COLOUR,
        alpha=0.6,
        label="inputs observed",
    )
    ax.scatter(
        table.loc[imp, "published"],
        table.loc[imp, "rebuilt"],
        s=18,
        facecolor="white",
        edgecolor=PEER_COLOUR,
        label="an input imputed (group median)",
    )
    foc = table.loc[[g for g in group if g in table.index]].sort_values("rebuilt")
    ax.scatter(foc["published"], foc["rebuilt"], s=40, color=FOCUS_COLOUR, label=group_label)
    ax.plot([0, 1], [0, 1], color=FRONTIER_COLOUR, lw=1, ls="--", label="rebuilt = published")
    ys = np.linspace(0.05, 0.05 + 0.06 * (len(foc) - 1), len(foc)) if len(foc) else np.array([])
    for (iso, r), ly in zip(foc.iterrows(), ys, strict=True):
        ax.annotate(
            iso,
            (r["published"], r["rebuilt"]),
            xytext=(1.03, ly),
            textcoords=("axes fraction", "axes fraction"),
            fontsize=8.5,
            va="center",
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#777777"},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Published HCI (index, 0–1)")
    ax.set_ylabel("HCI rebuilt from proxies (index, 0–1)")
    ax.legend(loc="upper left", fontsize=9)
    finish(fig, title, source, subtitle=subtitle)
    return fig


@styled
def method_ranks(table: pd.DataFrame, title: str, source: str, subtitle: str = "") -> plt.Figure:
    """EGDI rank of each group country under each method.

    One row per country, one marker per method, the published rank as a bar. ``table``:
    ``country, published`` + one column per method.
    """
    methods = [c for c in table.columns if c not in ("country", "published")]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(table) + 2.4))
    y = np.arange(len(table))
    markers = ["o", "s", "D", "^", "v", "P", "X"]
    for k, m in enumerate(methods):
        ax.scatter(
            table[m],
            y + (k - len(methods) / 2) * 0.08,
            marker=markers[k % 7],
            s=30,
            label=m,
            alpha=0.85,
        )
    ax.scatter(
        table["published"],
        y,
        marker="|",
        s=400,
        color=FOCUS_COLOUR,
        linewidths=2.5,
        label="published rank",
    )
    ax.set_yticks(y, table["country"])
    ax.invert_xaxis()
    ax.set_xlabel("EGDI rank (1 = best; axis reversed so better is to the right)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8.5)
    finish(fig, title, source, subtitle=subtitle)
    return fig


@styled
def egdi_residuals(table: pd.DataFrame, title: str, source: str, subtitle: str = "") -> plt.Figure:
    """2008 and 2010: published EGDI minus the mean of its components and minus 0.34/0.33/0.33.

    ``table``: ``year, equal, weighted`` (the two differences per country).
    """
    years = sorted(table["year"].unique())
    fig, axes = plt.subplots(1, len(years), figsize=(11, 4.6), sharey=True, squeeze=False)
    bins = np.linspace(-0.0045, 0.0045, 37)
    for ax, y in zip(axes[0], years, strict=True):
        g = table[table["year"] == y]
        ax.hist(
            g["equal"].clip(-0.0045, 0.0045),
            bins=bins,
            color=PEER_COLOUR,
            alpha=0.8,
            label="published − mean of components",
        )
        ax.hist(
            g["weighted"].clip(-0.0045, 0.0045),
            bins=bins,
            color=FRONTIER_COLOUR,
            alpha=0.8,
            label="published − (0.34·OSI + 0.33·HCI + 0.33·TII)",
        )
        ax.set_title(f"{y} ({len(g)} assessed countries)")
        ax.set_xlabel("EGDI difference (index points; clipped at ±0.0045)")
    axes[0][0].set_ylabel("countries")
    axes[0][0].legend(loc="upper left", fontsize=8.5)
    finish(fig, title, source, subtitle=subtitle)
    return fig
