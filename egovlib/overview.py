"""What the data are and how complete they are: sources, coverage, distributions and caveats."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import plots
from .countries import country_name, resolve_country, resolve_group
from .errors import EgovError
from .indices import LEVEL_ORDER
from .methodology import EGDI_TOLERANCE, egdi_recomputation
from .panel import DERIVED, build_panel, covariate_catalogue, load_egdi_panel
from .readers import readers, variables
from .report import join_names
from .sources import load_catalogue
from .standing import EGDI_SOURCE, peer_palette
from .vocabulary import INDEX_LABELS, INDICES, METHOD_CHANGES, SHORT_LABELS

#: Heading of each variable theme in the coverage charts.
THEME_LABELS = {
    "UN index": "UN indices",
    "govtech": "GovTech",
    "ai": "AI readiness",
    "education": "education",
    "skills": "digital skills",
    "ict": "ICT",
    "income": "income",
    "population": "population",
}
#: Income groups from richest to poorest (column order of the coverage heatmap).
INCOME_ORDER = ("High income", "Upper middle income", "Lower middle income", "Low income")


# ------------------------------------------------------------------------------ methodology
def method_changes(year: int | None = None) -> pd.DataFrame:
    """Documented methodology changes, one row each; with ``year``, whether comparing that
    edition with earlier (``before``) or later (``after``) editions crosses the change."""
    t = pd.DataFrame([c.__dict__ for c in METHOD_CHANGES]).rename(columns={"citation": "source"})
    t["index"] = t["index"].str.upper()
    if year is not None:
        t["crossed_comparing_with"] = np.where(
            t["edition"] <= year, "earlier editions", "later editions"
        )
    return t


# ------------------------------------------------------------------------------ sources
def sources_table() -> pd.DataFrame:
    """Every catalogue entry with its publisher, years, licence, reader and whether it is read.

    Returns
    -------
    DataFrame
        ``id, publisher, title, years, editions, licence, reader, status, reason, provides``.
        ``status`` is ``read``, ``cross-check`` (read only to verify another file) or ``not read``;
        ``reason`` says why a file is not read (the catalogue's note, or a missing reader).
    """
    regs = readers()
    rows = []
    for src in load_catalogue().values():
        if src.reader is None:
            status, reason = "not read", src.notes or "catalogued for reference only"
        elif src.reader not in regs:
            status, reason = "not read", f"reader `{src.reader}` is not implemented yet"
        elif src.role != "primary":
            status, reason = "cross-check", src.notes or f"role: {src.role}"
        else:
            status, reason = "read", ""
        reg = regs.get(src.reader) if src.reader else None
        provides = ""
        if reg is not None:
            provides = (
                ", ".join(v.name for v in reg.variables) if reg.variables else reg.description
            )
        rows.append(
            {
                "id": src.id,
                "publisher": src.publisher,
                "title": src.title,
                "years": src.year_span,
                "editions": ", ".join(map(str, src.editions)),
                "licence": src.licence,
                "reader": src.reader or "",
                "status": status,
                "reason": reason,
                "provides": provides,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ coverage
def available_covariates() -> list[str]:
    """Covariates that can be loaded now: every reader variable plus derived variables whose
    inputs exist (readers are added over time; the overview picks new ones up automatically)."""
    return list(covariate_catalogue())


def variable_info(name: str) -> dict:
    """Label, unit, theme and reader of an index or covariate (for tables and axis labels)."""
    if name in INDICES:
        return {
            "label": INDEX_LABELS[name],
            "unit": "score 0-1",
            "theme": "UN index",
            "reader": "egdi",
        }
    if name in DERIVED:
        kw = DERIVED[name][2]
        return {
            "label": kw["label"],
            "unit": kw["unit"],
            "theme": kw["theme"],
            "reader": "derived: " + " / ".join(DERIVED[name][0]),
        }
    v = variables()[name]
    return {"label": v.label, "unit": v.unit, "theme": v.theme, "reader": v.reader}


@dataclass(frozen=True)
class Coverage:
    """Coverage of every variable for one edition.

    Attributes
    ----------
    year : int
    shares : DataFrame
        Share of countries with a value (0-1), variables (rows) x country groups (columns).
    ref_years : DataFrame
        Per variable: label, theme, reader, the reference years actually used under the vintage
        rule (``ref_min``, ``ref_max``, ``ref_mode``) and ``n`` countries with a value.
    rule : str
        The vintage rule, in words.
    group_sizes : Series
        Number of countries per group column.
    """

    year: int
    shares: pd.DataFrame
    ref_years: pd.DataFrame
    rule: str
    group_sizes: pd.Series


def coverage(
    year: int,
    groups: Iterable[str | list[str]] = ("GCC",),
    lag: int = 1,
    covariates: Iterable[str] | None = None,
) -> Coverage:
    """Share of countries with data per variable and country group for one edition.

    Uses `egovlib.build_panel` with the vintage rule (latest reference year <= ``year - lag``).
    Columns: all countries, ``groups`` (names, or lists of ISO3 codes shown as "Selected group"),
    UN regions, income groups (richest first). Rows: the five
    UN indices and ``covariates`` (default: `available_covariates()`, i.e. every one that exists).
    """
    named = [g for g in groups if isinstance(g, str)]
    custom = [resolve_group(g) for g in groups if not isinstance(g, str)]
    covariates = available_covariates() if covariates is None else list(covariates)
    panel = build_panel(year, covariates, lag=lag, coverage_groups=named)
    shares = panel.coverage
    for k, codes in enumerate(custom):  # a list of ISO3 codes: one "Selected group" column
        label = "Selected group" + (f" {k + 1}" if len(custom) > 1 else "")
        sel = panel.data["iso3"].isin(codes)
        shares.insert(1 + len(named) + k, label, panel.data.loc[sel, shares.index].notna().mean())
    income = [g for g in INCOME_ORDER if g in shares.columns]
    rest = [c for c in shares.columns if c not in income]
    shares = shares[rest + income]
    data, refs = panel.data, panel.ref_years
    rows = []
    for name in shares.index:
        info = variable_info(name)
        if name in INDICES:
            used = pd.Series(year, index=data.index).where(data[name].notna())
        else:
            used = refs[name].where(data[name].notna())
        used = used.dropna().astype(int)
        rows.append(
            {
                "variable": name,
                **info,
                "n": int(data[name].notna().sum()),
                "ref_min": used.min() if len(used) else pd.NA,
                "ref_max": used.max() if len(used) else pd.NA,
                "ref_mode": used.mode().min() if len(used) else pd.NA,
            }
        )
    ref = pd.DataFrame(rows).set_index("variable")
    for col in ("ref_min", "ref_max", "ref_mode"):
        ref[col] = ref[col].astype("Int64")
    sizes = {"All countries": len(data)}
    for g in named:
        sizes[g] = int(data["iso3"].isin(resolve_group(g)).sum())
    for k, codes in enumerate(custom):
        sizes["Selected group" + (f" {k + 1}" if len(custom) > 1 else "")] = int(
            data["iso3"].isin(codes).sum()
        )
    for col in ("region", "income_group"):
        sizes.update(data[col].value_counts().to_dict())
    return Coverage(int(year), shares, ref, panel.rule, pd.Series(sizes).reindex(shares.columns))


def label_list(
    names: Iterable[str], refs: pd.DataFrame, notes: dict[str, str] | None = None
) -> str:
    """Variables named by their labels for prose, sharing a prefix ("ICT skill: a, b") once.

    Parameters
    ----------
    names : iterable of str
        Variable names (rows of ``refs``).
    refs : DataFrame
        With a ``label`` column, indexed by variable name (e.g. `Coverage.ref_years`).
    notes : mapping of name to text, optional
        Appended in brackets after each label (e.g. a reference year).
    """
    groups: dict[str, list[str]] = {}
    for n in names:
        label = str(refs.loc[n, "label"]) if n in refs.index else n
        head, sep, tail = label.partition(": ")
        if not sep:
            head, tail = label, ""
        item = tail + (f" ({notes[n]})" if notes and n in notes else "")
        groups.setdefault(head, []).append(item)
    parts = []
    for head, items in groups.items():
        items = [i.strip() for i in items]
        parts.append(head + (": " + ", ".join(i for i in items if i) if any(items) else ""))
    return "; ".join(parts)


def reference_year_table(cov: Coverage) -> pd.DataFrame:
    """The reference years used per variable, for display: label first, internal name last."""
    t = cov.ref_years.reset_index()
    t["theme"] = t["theme"].map(lambda v: THEME_LABELS.get(v, v))
    t = t[["label", "unit", "theme", "n", "ref_min", "ref_max", "ref_mode", "variable"]]
    return t.rename(
        columns={"label": "Variable", "n": "Countries with a value", "variable": "Name in egovlib"}
    )


def _short_licence(text: str) -> str:
    return text.split(" (")[0].split(";")[0].strip()


def _short_reason(status: str, reason: str) -> str:
    if not reason or reason.startswith("role:"):
        return ""
    for prefix in ("Not read.", "Cross-check only;"):
        reason = reason.removeprefix(prefix).strip()
    first = textwrap.shorten(reason.split(". ")[0].rstrip("."), 110, placeholder=" …")
    return first[:1].upper() + first[1:]


def sources_compact(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every catalogue file in a compact, readable table, grouped by publisher.

    Parameters
    ----------
    table : DataFrame, optional
        From `sources_table` (default: built now).

    Returns
    -------
    DataFrame
        ``Publisher`` (short name, shown on the first file of each publisher), ``File``,
        ``Years``, ``Licence`` (short form; full text in the catalogue), ``Use`` (read,
        cross-check or not read, with the reason in brief) and ``Catalogue id`` last.
    """
    t = sources_table() if table is None else table
    names = t["publisher"].str.split(",").str[0].str.split(" \\(").str[0].str.strip()
    # A publisher whose short name extends another's ("World Bank WDI") joins that group.
    short = names.map(
        lambda n: min((m for m in set(names) if n == m or n.startswith(m + " ")), key=len)
    )
    order = list(dict.fromkeys(short))  # publishers in catalogue order
    t = t.assign(_pub=short, _k=short.map(order.index)).sort_values(["_k"], kind="stable")
    use = [
        s if not _short_reason(s, r) else f"{s}: {_short_reason(s, r)}"
        for s, r in zip(t["status"], t["reason"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "Publisher": t["_pub"].where(t["_pub"].ne(t["_pub"].shift()), ""),
            "File": t["title"],
            "Years": t["years"].str.replace("-", "\u2011"),  # no break
            "Licence": t["licence"].map(_short_licence),
            "Use": use,
            "Catalogue id": t["id"],
        }
    )
    return out.reset_index(drop=True)


def coverage_prose(cov: Coverage, group: str | None = None) -> str:
    """Generated paragraph summarising a coverage report (by theme, and for one group column)."""
    shares, refs = cov.shares, cov.ref_years
    covs = refs[refs["theme"] != "UN index"]
    all_share = shares["All countries"]
    text = (
        f"For the {cov.year} edition the UN indices cover {all_share['egdi']:.0%} of the "
        f"{int(cov.group_sizes['All countries'])} UN member states"
        + (" (the rest were not assessed)." if all_share["egdi"] < 1 else ".")
    )
    if covs.empty:
        return text + " No covariates are available yet."
    full = (all_share.loc[covs.index] >= 0.9).sum()
    none = covs[covs["n"] == 0]
    text += (
        f" Of the {len(covs)} covariates, {full} cover at least 90% of countries and "
        f"{len(none)} have no value usable for this edition under the vintage rule "
        f"({cov.rule})"
    )
    if len(none):
        by_theme = none.groupby("theme").size()
        text += (
            ": "
            + ", ".join(
                f"{THEME_LABELS.get(t, t)} {n} of {int((covs['theme'] == t).sum())}"
                for t, n in by_theme.items()
            )
            + " (by theme)."
        )
    else:
        text += "."
    col = (
        group
        if group in shares.columns
        else (shares.columns[1] if len(shares.columns) > 1 else None)
    )
    if col is not None and col != "All countries":
        weak = covs.index[(shares.loc[covs.index, col] < 1) & (covs["n"] > 0)].tolist()
        text += f" In {col} ({int(cov.group_sizes[col])} countries) " + (
            f"{len(weak)} covariate{'s' if len(weak) != 1 else ''} with data elsewhere "
            f"{'are' if len(weak) != 1 else 'is'} incomplete: {label_list(weak, covs)}."
            if weak
            else "every covariate with data elsewhere is complete."
        )
    return text


def _ref_text(row: pd.Series) -> str:
    if pd.isna(row["ref_min"]):
        return "no data"
    lo, hi = int(row["ref_min"]), int(row["ref_max"])
    return str(lo) if lo == hi else f"{lo}-{hi}"


def coverage_themes(cov: Coverage) -> list[str]:
    """Themes present in a coverage report, UN indices first (one heatmap per theme)."""
    themes = list(dict.fromkeys(cov.ref_years["theme"]))
    return sorted(themes, key=lambda t: (t != "UN index", themes.index(t)))


def plot_coverage(cov: Coverage, theme: str | None = None) -> plt.Figure:
    """Heatmap of coverage (share of countries with data), variables x country groups.

    Parameters
    ----------
    cov : Coverage
        From `coverage`.
    theme : str, optional
        Only the variables of one theme (see `coverage_themes`); default all.
    """
    names = [n for n in cov.shares.index if theme is None or cov.ref_years.loc[n, "theme"] == theme]
    if not names:
        raise EgovError(f"no variables with theme {theme!r}; themes: {coverage_themes(cov)}")
    shares = cov.shares.loc[names] * 100
    ylabels = [
        f"{cov.ref_years.loc[n, 'label']}  [{_ref_text(cov.ref_years.loc[n])}]" for n in names
    ]
    xlabels = [f"{textwrap.fill(g, 9)}\n(n={int(cov.group_sizes[g])})" for g in shares.columns]
    height = 0.34 * len(shares) + 2.4
    fig, ax = plt.subplots(figsize=(13, height))
    sns.heatmap(
        shares,
        ax=ax,
        vmin=0,
        vmax=100,
        cmap="Blues",
        annot=True,
        fmt=".0f",
        annot_kws={"fontsize": 8},
        cbar_kws={"label": "% of countries", "shrink": 0.9, "aspect": 12},
        linewidths=0.5,
        linecolor="white",
        xticklabels=xlabels,
        yticklabels=ylabels,
    )
    ax.set_xlabel("Country group (number of UN member states)")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelsize=8.5, rotation=0)
    ax.tick_params(axis="y", labelsize=9, rotation=0)
    what = THEME_LABELS.get(theme, str(theme).capitalize()) if theme else "all variables"
    # The explanation goes above the axes (not as a figure subtitle): heatmaps can be tall, and a
    # subtitle placed at a fixed fraction of the figure height would float far above the chart.
    ax.set_title(
        f"% of countries with a value [reference years used]. Vintage rule: {cov.rule}.",
        fontsize=10,
        fontweight="normal",
        color="#444444",
        loc="left",
        pad=8,
    )
    return plots.finish(
        fig,
        f"Data coverage for the {cov.year} edition: {what}",
        "Source: UN DESA E-Government Survey and the sources listed in data/sources.yml.",
    )


# ------------------------------------------------------------------------------ distributions
def assessment_counts(egdi: pd.DataFrame | None = None) -> pd.DataFrame:
    """Countries assessed and not assessed in every edition, with the names of the latter."""
    egdi = load_egdi_panel() if egdi is None else egdi
    rows = []
    for year, grp in egdi.groupby("year"):
        out = grp[~grp["assessed"]]
        rows.append(
            {
                "year": int(year),
                "countries": len(grp),
                "assessed": int(grp["assessed"].sum()),
                "not_assessed": len(out),
                "not_assessed_names": ", ".join(sorted(out["country"])),
            }
        )
    return pd.DataFrame(rows)


def level_counts(year: int, egdi: pd.DataFrame | None = None) -> pd.Series:
    """Number of countries per EGDI level group in one edition (Very High ... Low)."""
    egdi = load_egdi_panel(year) if egdi is None else egdi[egdi["year"] == year]
    return egdi["level_group"].value_counts().reindex(LEVEL_ORDER, fill_value=0).rename("countries")


def plot_distributions(
    year: int,
    group: str | Iterable[str] = "GCC",
    focus: str | None = None,
    egdi: pd.DataFrame | None = None,
) -> plt.Figure:
    """Distribution of EGDI, OSI, HCI, TII and EPI in one edition with the group marked.

    Every assessed country is a grey dot (with a box of the quartiles); group members are
    coloured, the focus country is drawn in the focus colour.
    """
    ed = load_egdi_panel(year) if egdi is None else egdi[egdi["year"] == year]
    ed = ed[ed["assessed"]]
    members = resolve_group(group)
    focus = resolve_country(focus) if focus is not None else None  # a name works too
    long = ed.melt(id_vars=["iso3"], value_vars=INDICES, var_name="index", value_name="score")
    long["label"] = long["index"].map(SHORT_LABELS)
    order = [SHORT_LABELS[c] for c in INDICES]
    fig, ax = plt.subplots(figsize=(10, 5.6))
    data = [long.loc[long["label"] == lab, "score"].dropna().to_numpy() for lab in order]
    ax.boxplot(
        data,
        positions=range(len(order)),
        orientation="horizontal",
        widths=0.55,
        showfliers=False,
        patch_artist=True,
        zorder=1,
        boxprops={"facecolor": "#e8e8e8", "edgecolor": "#888888", "linewidth": 0.9},
        medianprops={"color": "#444444"},
        whiskerprops={"color": "#888888"},
        capprops={"color": "#888888"},
    )
    plots.strip_dots(ax, data, spread=0.18)
    pal = peer_palette()
    names = ed.set_index("iso3")["country"].to_dict()  # survey names (no "(the)")
    ranked = ed.set_index("iso3")["rank"].astype(float)
    codes = sorted([c for c in members if c in ranked.index], key=lambda c: ranked[c])
    if focus is not None and focus not in codes and focus in set(ed["iso3"]):
        codes.append(focus)
    ypos = {lab: i for i, lab in enumerate(order)}
    offsets = np.linspace(-0.3, 0.3, max(len(codes), 1))
    for k, code in enumerate(codes):
        sub = long[long["iso3"] == code]
        is_focus = code == focus
        ax.scatter(
            sub["score"],
            sub["label"].map(ypos) + offsets[k] * 0.8,
            color=plots.FOCUS_COLOUR if is_focus else pal[k % len(pal)],
            s=70 if is_focus else 38,
            marker="D" if is_focus else "o",
            edgecolor="black" if is_focus else "white",
            linewidth=0.6,
            zorder=5,
            label=names[code] + (" (focus)" if is_focus else ""),
        )
    ax.set_yticks(range(len(order)), order)
    hi = max(1.0, float(long["score"].max()))
    ax.set_xlim(-0.02, hi + 0.03)
    ax.set_xlabel("Score (0-1, relative within the edition)")
    ax.set_ylabel("")
    missing = sorted(set(members) - set(codes))
    if codes:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=9,
            title=group if isinstance(group, str) else "Group",
        )
    label = group if isinstance(group, str) else "selected group"
    sub = (
        f"{len(ed)} countries assessed; grey = every country (box: quartiles), coloured = "
        f"{label} members"
    )
    if missing:
        sub += f" (not assessed: {', '.join(country_name(c) for c in missing)})"
    return plots.finish(
        fig, f"Distribution of the UN indices, {year}", f"{EGDI_SOURCE}.", subtitle=sub + "."
    )


# ------------------------------------------------------------------------------ caveats
def component_ranges(year: int, egdi: pd.DataFrame | None = None) -> pd.DataFrame:
    """Minimum and maximum of each index in one edition and the countries holding them."""
    ed = load_egdi_panel(year) if egdi is None else egdi[egdi["year"] == year]
    ed = ed[ed["assessed"]]
    rows = []
    for col in INDICES:
        s = ed[col].dropna()
        if s.empty:
            continue
        rows.append(
            {
                "index": col.upper(),
                "n": len(s),
                "min": s.min(),
                "min_country": ed.loc[s.idxmin(), "country"],
                "max": s.max(),
                "max_country": ed.loc[s.idxmax(), "country"],
                "mean": s.mean(),
                "sd": s.std(),
            }
        )
    return pd.DataFrame(rows)


def egdi_departures(egdi: pd.DataFrame | None = None, tol: float = EGDI_TOLERANCE) -> pd.DataFrame:
    """Per edition, how far the published EGDI departs from the mean of OSI, HCI and TII.

    Returns
    -------
    DataFrame
        ``year, n, share_departing`` (|EGDI - mean| > ``tol``), ``max_abs``, ``country`` (where
        the maximum occurs), ``iso3``, ``second_abs`` (largest departure of any other country).
    """
    rows = []
    for year, grp in egdi_recomputation(egdi).groupby("year"):
        d = grp["abs_deviation"].sort_values(ascending=False)
        top = grp.loc[d.index[0]]
        rows.append(
            {
                "year": int(year),
                "n": len(d),
                "share_departing": float((d > tol).mean()),
                "max_abs": float(d.iloc[0]),
                "country": top["country"],
                "iso3": top["iso3"],
                "second_abs": float(d.iloc[1]) if len(d) > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def published_anomalies(egdi: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published values outside [0, 1], kept as published: ``year, iso3, country, index, value``."""
    egdi = load_egdi_panel() if egdi is None else egdi
    rows = []
    for col in INDICES:
        bad = egdi[(egdi[col] > 1) | (egdi[col] < 0)]
        rows += [
            {
                "year": int(r["year"]),
                "iso3": r["iso3"],
                "country": r["country"],
                "index": col.upper(),
                "value": float(r[col]),
            }
            for _, r in bad.iterrows()
        ]
    return pd.DataFrame(rows, columns=["year", "iso3", "country", "index", "value"])


def caveats(
    year: int, cov: Coverage | None = None, egdi: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The caveats a reader of the ``year`` edition must know, computed from the data.

    Returns
    -------
    DataFrame
        ``topic, applies`` (True if it affects this edition directly) and ``text`` (Markdown).
    """
    egdi = load_egdi_panel() if egdi is None else egdi
    out: list[tuple[str, bool, str]] = []

    rng = component_ranges(year, egdi)
    spans = [
        f"{r['index']} {r['min']:.3f} ({r['min_country']}) to {r['max']:.3f} ({r['max_country']})"
        for _, r in rng.iterrows()
    ]
    unit = rng[(rng["min"].abs() < 1e-3) & ((rng["max"] - 1).abs() < 1e-3)]["index"].tolist()
    text = (
        f"Scores are relative to the countries assessed in each edition. In {year}: "
        f"{'; '.join(spans)}."
    )
    if unit:
        one = len(unit) == 1
        text += (
            f" {join_names(unit)} span{'s' if one else ''} exactly 0 to 1, i.e. "
            f"{'it is' if one else 'they are'} min-max rescaled within the edition."
        )
    text += (
        " A score says where a country stands among that year's countries, not an "
        "absolute level; a change between editions mixes a country's own progress with "
        "other countries' moves. Compare ranks or within-edition z-scores over time, or use "
        "year effects in a panel."
    )
    out.append(("Relative scoring within an edition", True, text))

    mc = method_changes(year)
    parts = [f"{r['index']} {r['change']} ({r['edition']})" for _, r in mc.iterrows()]
    cited = join_names(sorted(set(mc["source"])))
    text = f"Documented methodology changes: {join_names(parts)} (source: {cited})."
    crossings = []
    for ed, grp in mc.groupby("edition"):
        what = join_names(sorted(grp["index"]))
        crossings.append(
            f"with editions before {ed} crosses the {ed} change ({what})"
            if ed <= year
            else f"with editions from {ed} on crosses the {ed} change ({what})"
        )
    text += f" Comparing {year} " + "; ".join(crossings) + "."
    out.append(("Methodology changes between editions", True, text))

    counts = assessment_counts(egdi).set_index("year")
    row = counts.loc[year]
    if row["not_assessed"]:
        text = (
            f"{row['not_assessed']} of {row['countries']} UN member states were not assessed "
            f"in {year} ({row['not_assessed_names']}). Their scores are missing, not 0 (the "
            "published files print 0), and ranks run from 1 to "
            f"{row['assessed']}."
        )
    else:
        text = f"All {row['countries']} UN member states were assessed in {year}."
    others = counts[counts["not_assessed"] > 0]
    if len(others):
        text += (
            " Editions with unassessed countries: "
            + ", ".join(f"{y} ({n})" for y, n in others["not_assessed"].items())
            + "."
        )
    out.append(("Countries not assessed", bool(row["not_assessed"]), text))

    dep = egdi_departures(egdi).set_index("year")
    bad = dep[dep["share_departing"] > 0.5]
    d = dep.loc[year]
    text = (
        f"In {year} the published EGDI departs from the mean of the published OSI, HCI and "
        f"TII by up to {np.format_float_positional(d['max_abs'], 2, fractional=False)} "
        f"({d['country']}); "
        f"{d['share_departing']:.0%} of countries depart by more than {EGDI_TOLERANCE:g}"
        + (" (rounding of the published values)." if d["share_departing"] == 0 else ".")
    )
    if len(bad):
        text += (
            " Editions where most countries depart: "
            + "; ".join(
                f"{y}: max {r['max_abs']:.4f} ({r['country']}), "
                f"next largest {r['second_abs']:.4f}, "
                f"{r['share_departing']:.0%} of countries"
                for y, r in bad.iterrows()
            )
            + ". Recomputing the EGDI from its components will not reproduce those editions."
        )
    out.append(("Published EGDI vs mean of its components", bool(d["share_departing"] > 0.5), text))

    an = published_anomalies(egdi)
    if len(an):
        items = [
            f"{r['country']} {r['index']} {r['value']:g} ({r['year']})" for _, r in an.iterrows()
        ]
        out.append(
            (
                "Published values above 1",
                bool((an["year"] == year).any()),
                f"Kept as published and flagged: {join_names(items)}. They stretch the scale "
                "of those indices in their edition.",
            )
        )

    if cov is not None:
        covs = cov.ref_years[~cov.ref_years.index.isin(INDICES)]
        if covs.empty:
            out.append(
                (
                    "Covariates",
                    True,
                    "No covariate readers are available yet: only the UN indices can be shown.",
                )
            )
        else:
            none = covs.index[covs["n"] == 0].tolist()
            thin = covs.index[
                (covs["n"] > 0) & (cov.shares.loc[covs.index, "All countries"] < 0.5)
            ].tolist()
            oldest = covs.dropna(subset=["ref_mode"])
            lagging = oldest.index[oldest["ref_mode"] < year - 3].tolist()
            parts = []
            if none:
                parts.append(
                    f"No data for this edition under the vintage rule ({cov.rule}): "
                    + label_list(none, covs)
                )
            if thin:
                parts.append("Under half of the countries covered: " + label_list(thin, covs))
            if lagging:
                parts.append(
                    "Typical reference year more than 3 years before the survey: "
                    + label_list(
                        lagging, covs, {n: f"{int(oldest.loc[n, 'ref_mode'])}" for n in lagging}
                    )
                )
            text = f"{len(covs)} covariates available. " + (
                "; ".join(parts) + "."
                if parts
                else "All have data for most countries for this edition."
            )
            out.append(("Covariates missing or dated for this edition", bool(parts), text))
    return pd.DataFrame(out, columns=["topic", "applies", "text"])
