"""What the data are and how complete they are: sources, coverage, distributions and caveats."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import plots
from .countries import country_name, resolve_country, resolve_group
from .errors import EgovError
from .indices import LEVEL_ORDER
from .methodology import EGDI_TOLERANCE, egdi_recomputation
from .panel import (
    DERIVED,
    VINTAGE_LAG,
    VINTAGE_MAX_AGE,
    build_panel,
    covariate_catalogue,
    coverage_table,
    income_classification_year,
    load_egdi_panel,
    not_yet_members,
    vintage_rule_text,
    vintage_sensitivity,
)
from .readers import readers, variables
from .report import join_names
from .sources import load_catalogue
from .standing import (
    CLASSIFICATION_EDITION,
    EGDI_SOURCE,
    egdi_source,
    group_label,
    group_phrase,
    peer_palette,
)
from .vocabulary import INDEX_LABELS, INDICES, METHOD_CHANGES, SHORT_LABELS

#: Heading of each variable theme in the coverage tables.
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
#: Income groups from richest to poorest (column order of the coverage tables).
INCOME_ORDER = ("High income", "Upper middle income", "Lower middle income", "Low income")
#: Share of countries above which a covariate counts as well covered in the prose.
WELL_COVERED = 0.9
#: Column of the coverage table for a group given as a list of ISO3 codes.
SELECTED_GROUP = "Selected countries"


# ============================================================================== compute
def method_changes(up_to: int | None = None) -> pd.DataFrame:
    """Documented methodology changes, one row each: ``edition, index, change, source``.

    Parameters
    ----------
    up_to : int, optional
        Only the changes made in or before this edition (a report for edition ``Y`` speaks of
        its own time: a later change was not yet known).
    """
    t = pd.DataFrame([c.__dict__ for c in METHOD_CHANGES]).rename(columns={"citation": "source"})
    t["index"] = t["index"].str.upper()
    if up_to is not None:
        t = t[t["edition"] <= int(up_to)]
    return t.sort_values(["edition", "index"]).reset_index(drop=True)


def edition_use(src, year: int) -> str:
    """How a catalogue file serves edition ``year``.

    Returns
    -------
    str
        ``"used"`` (it holds data for the edition, under the shared vintage rule for
        covariates), ``"classification"`` (country names, regions and income groups: one current
        table applied to every edition), ``"too old"`` (its latest reference year is older than
        the vintage rule allows) or ``"later"`` (it holds only data from after the edition).
    """
    if src.reader == "countries":
        return "classification"
    if src.editions:
        return "used" if min(src.editions) <= year else "later"
    if not src.years:
        return "used"
    first, last = min(src.years), max(src.years)
    if first > year - VINTAGE_LAG:
        return "later"
    if last < year - VINTAGE_LAG - VINTAGE_MAX_AGE:
        return "too old"
    return "used"


def sources_table(year: int | None = None) -> pd.DataFrame:
    """Every catalogue entry with its publisher, years, licence, reader and whether it is read.

    Parameters
    ----------
    year : int, optional
        Survey edition: adds ``for_edition`` (see `edition_use`).

    Returns
    -------
    DataFrame
        ``id, publisher, title, years, editions, licence, reader, status, reason, provides``
        (and ``for_edition``). ``status`` is ``read``, ``cross-check`` (read only to verify
        another file) or ``not read``; ``reason`` says why a file is not read (the catalogue's
        note, or a missing reader).
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
        row = {
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
        if year is not None:
            row["for_edition"] = edition_use(src, int(year))
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["year"] = year
    return out


def available_covariates() -> list[str]:
    """Covariates that can be loaded now.

    Every reader variable plus derived variables whose inputs exist (readers are added over time;
    the overview picks new ones up automatically).
    """
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
    covariates: Iterable[str] | None = None,
) -> Coverage:
    """Share of the edition's UN member states with data, per variable and country group.

    Uses `egovlib.build_panel` with the shared vintage rule. States that were not yet UN members
    when the edition was prepared (`egovlib.panel.not_yet_members`) are not counted. Columns: all
    countries, ``groups`` (names, or lists of ISO3 codes shown as "Selected countries"), UN
    regions, income groups (richest first). Rows: the five UN indices and ``covariates``
    (default: `available_covariates()`, i.e. every one that exists).
    """
    named = [g for g in groups if isinstance(g, str)]
    custom = [resolve_group(g) for g in groups if not isinstance(g, str)]
    covariates = available_covariates() if covariates is None else list(covariates)
    panel = build_panel(year, covariates, coverage_groups=named)
    members = ~panel.data["iso3"].isin(list(not_yet_members(year)))
    data, refs = panel.data[members], panel.ref_years[members]
    shares = coverage_table(data, [*INDICES, *covariates], named)
    for k, codes in enumerate(custom):
        label = SELECTED_GROUP + (f" {k + 1}" if len(custom) > 1 else "")
        sel = data["iso3"].isin(codes)
        shares.insert(1 + len(named) + k, label, data.loc[sel, shares.index].notna().mean())
    income = [g for g in INCOME_ORDER if g in shares.columns]
    rest = [c for c in shares.columns if c not in income]
    shares = shares[rest + income]
    # Per variable with numpy arrays, not pandas Series: some eighty variables, and pandas'
    # per-call overhead was most of the data overview's time outside the figures.
    has = data[list(shares.index)].notna().to_numpy()
    rows = []
    for j, name in enumerate(shares.index):
        if name in INDICES:
            years = np.full(len(data), float(year))
        else:
            years = refs[name].to_numpy(dtype="float64", na_value=np.nan)
        used = years[has[:, j] & ~np.isnan(years)].astype(int)
        values, counts = np.unique(used, return_counts=True)
        rows.append(
            {
                "variable": name,
                **variable_info(name),
                "n": int(has[:, j].sum()),
                "ref_min": values[0] if len(used) else pd.NA,
                "ref_max": values[-1] if len(used) else pd.NA,
                # the earliest of the most frequent years (pandas' mode().min())
                "ref_mode": values[counts == counts.max()].min() if len(used) else pd.NA,
            }
        )
    ref = pd.DataFrame(rows).set_index("variable")
    for col in ("ref_min", "ref_max", "ref_mode"):
        ref[col] = ref[col].astype("Int64")
    sizes = {"All countries": len(data)}
    for g in named:
        sizes[g] = int(data["iso3"].isin(resolve_group(g)).sum())
    for k, codes in enumerate(custom):
        sizes[SELECTED_GROUP + (f" {k + 1}" if len(custom) > 1 else "")] = int(
            data["iso3"].isin(codes).sum()
        )
    for col in ("region", "income_group"):
        sizes.update(data[col].value_counts().to_dict())
    return Coverage(int(year), shares, ref, panel.rule, pd.Series(sizes).reindex(shares.columns))


def assessment_counts(egdi: pd.DataFrame | None = None, up_to: int | None = None) -> pd.DataFrame:
    """UN member states assessed and not assessed in every edition (up to ``up_to``).

    A state admitted to the UN after an edition was prepared is "not yet a member" there, not
    "not assessed" (`egovlib.panel.not_yet_members`).

    Returns
    -------
    DataFrame
        ``year, members, assessed, not_assessed, not_assessed_names, not_yet_members``
        (names of the states not yet admitted).
    """
    egdi = load_egdi_panel() if egdi is None else egdi
    if up_to is not None:
        egdi = egdi[egdi["year"] <= int(up_to)]
    rows = []
    for year, grp in egdi.groupby("year"):
        late = grp["iso3"].isin(list(not_yet_members(int(year))))
        out = grp[~grp["assessed"] & ~late]
        rows.append(
            {
                "year": int(year),
                "members": int((~late).sum()),
                "assessed": int(grp["assessed"].sum()),
                "not_assessed": len(out),
                "not_assessed_names": ", ".join(sorted(out["country"])),
                "not_yet_members": ", ".join(sorted(grp.loc[late, "country"])),
            }
        )
    return pd.DataFrame(rows)


def level_counts(year: int, egdi: pd.DataFrame | None = None) -> pd.Series:
    """Number of assessed countries per EGDI level group in one edition (Very High ... Low)."""
    ed = load_egdi_panel(year) if egdi is None else egdi[egdi["year"] == year]
    ed = ed[ed["assessed"]]
    return ed["level_group"].value_counts().reindex(LEVEL_ORDER, fill_value=0).rename("countries")


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


def egdi_departures(
    egdi: pd.DataFrame | None = None, tol: float = EGDI_TOLERANCE, up_to: int | None = None
) -> pd.DataFrame:
    """Per edition (up to ``up_to``), how far the published EGDI departs from its components.

    The departure is from the mean of OSI, HCI and TII.

    Returns
    -------
    DataFrame
        ``year, n, share_departing`` (|EGDI - mean| > ``tol``), ``max_abs``, ``country`` (where
        the maximum occurs), ``iso3``, ``second_abs`` (largest departure of any other country).
    """
    rows = []
    for year, grp in egdi_recomputation(egdi).groupby("year"):
        if up_to is not None and year > up_to:
            continue
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


def published_anomalies(egdi: pd.DataFrame | None = None, up_to: int | None = None) -> pd.DataFrame:
    """Published values outside [0, 1], kept as published: ``year, iso3, country, index, value``."""
    egdi = load_egdi_panel() if egdi is None else egdi
    if up_to is not None:
        egdi = egdi[egdi["year"] <= int(up_to)]
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


@dataclass(frozen=True)
class Overview:
    """Everything notebook 01 shows for one edition and country group.

    ``egdi`` holds the editions up to ``year`` only: a report for edition ``Y`` uses nothing
    published after ``Y``. ``vintage`` is `egovlib.panel.vintage_sensitivity` of the edition.
    """

    year: int
    group: str | list[str]
    label: str
    members: list[str]
    focus: str | None
    egdi: pd.DataFrame
    sources: pd.DataFrame
    coverage: Coverage
    counts: pd.DataFrame
    levels: pd.Series
    ranges: pd.DataFrame
    changes: pd.DataFrame
    departures: pd.DataFrame
    anomalies: pd.DataFrame
    vintage: pd.DataFrame

    @property
    def group_column(self) -> str:
        """The column of the coverage table that holds the group."""
        return self.group if isinstance(self.group, str) else SELECTED_GROUP


def data_overview(
    year: int, group: str | Iterable[str] = "GCC", focus: str | None = None
) -> Overview:
    """Compute everything notebook 01 shows for edition ``year`` (see `Overview`)."""
    egdi = load_egdi_panel()
    if int(year) not in set(egdi["year"]):
        raise EgovError(
            f"{year} is not a survey edition. Valid editions: "
            f"{', '.join(map(str, sorted(egdi['year'].unique())))}"
        )
    egdi = egdi[egdi["year"] <= int(year)].reset_index(drop=True)
    grp = group if isinstance(group, str) else [str(c).upper() for c in group]
    if focus is not None:
        focus = resolve_country(focus)  # ISO3 code or name; raises for an unknown one
    return Overview(
        year=int(year),
        group=grp,
        label=group_label(grp),
        members=resolve_group(grp),
        focus=focus,
        egdi=egdi,
        sources=sources_table(year),
        coverage=coverage(year, groups=[grp]),
        counts=assessment_counts(egdi),
        levels=level_counts(year, egdi),
        ranges=component_ranges(year, egdi),
        changes=method_changes(up_to=year),
        departures=egdi_departures(egdi),
        anomalies=published_anomalies(egdi),
        vintage=vintage_sensitivity(year),
    )


# ============================================================================== views
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


def _short_licence(text: str) -> str:
    return text.split(" (")[0].split(";")[0].strip()


def _short_reason(status: str, reason: str) -> str:
    if not reason or reason.startswith("role:"):
        return ""
    for prefix in ("Not read.", "Cross-check only;"):
        reason = reason.removeprefix(prefix).strip()
    first = textwrap.shorten(reason.split(". ")[0].rstrip("."), 110, placeholder=" …")
    return first[:1].upper() + first[1:]


#: How a file serves the report's edition, in words (see `edition_use`).
EDITION_USE_TEXT = {
    "used": "data for this edition",
    "classification": "current classification, applied to every edition",
    "too old": "older than the vintage rule allows",
}


def sources_compact(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The catalogue files a report can use, in a compact, readable table, grouped by publisher.

    Parameters
    ----------
    table : DataFrame, optional
        From `sources_table` (default: built now). With ``for_edition`` (a report's edition),
        files holding only data from after the edition are left out (a report speaks of its own
        time; `sources_prose` counts them) and a column says how each file serves the edition.

    Returns
    -------
    DataFrame
        ``Publisher`` (short name, shown on the first file of each publisher), ``File``,
        ``Years``, ``Licence`` (short form; full text in the catalogue), ``Use`` (read,
        cross-check or not read, with the reason in brief), ``For this edition`` (with an
        edition); ``attrs["catalogue_ids"]`` gives each row's catalogue id (not shown).
    """
    t = sources_table() if table is None else table
    if "for_edition" in t:
        t = t[t["for_edition"] != "later"]
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
        }
    )
    if "for_edition" in t:
        out["For this edition"] = t["for_edition"].map(EDITION_USE_TEXT)
    # The catalogue id is an internal key: kept in the attrs (and the catalogue), not shown.
    out = out.reset_index(drop=True)
    out.attrs["catalogue_ids"] = list(t["id"])
    return out


def sources_prose(ov: Overview) -> str:
    """Generated paragraph on the catalogue.

    Files, publishers, what is read and what serves this edition.
    """
    t = ov.sources
    shown = t[t["for_edition"] != "later"]
    status = shown["status"].value_counts()
    pubs = sources_compact(t)["Publisher"].ne("").sum()
    serve = shown["for_edition"].value_counts()
    later = int((t["for_edition"] == "later").sum())
    uses = [
        f"{n} {'is' if n == 1 else 'are'} {what}"
        for n, what in (
            (status.get("read", 0), "read"),
            (status.get("cross-check", 0), "read only to cross-check another copy"),
            (status.get("not read", 0), "not read (reasons in the table)"),
        )
        if n
    ]
    text = (
        f"For the {ov.year} edition the catalogue offers **{len(shown)} raw files** from {pubs} "
        f"publishers: {join_names(uses)}. {serve.get('used', 0)} hold data for this edition"
    )
    if serve.get("too old", 0):
        text += (
            f", {serve['too old']} only data older than the vintage rule allows "
            f"({vintage_rule_text()})"
        )
    if serve.get("classification", 0):
        text += (
            f", and {serve['classification']} are country classifications (names, regions, "
            "income groups) in their current version, applied to every edition"
        )
    text += "."
    if later:
        text += (
            f" {later} further file{'s' if later != 1 else ''} "
            f"hold{'' if later != 1 else 's'} only data too recent for this edition (later "
            f"survey editions, or statistics for {ov.year - VINTAGE_LAG + 1} or later) and "
            f"{'are' if later != 1 else 'is'} not listed."
        )
    return text + " Full publisher names, licences, addresses and checksums are in the catalogue."


def coverage_prose(cov: Coverage, group: str | None = None) -> str:
    """Generated paragraph summarising a coverage report (by theme, and for one group column)."""
    shares, refs = cov.shares, cov.ref_years
    covs = refs[refs["theme"] != "UN index"]
    all_share = shares["All countries"]
    n_all = int(cov.group_sizes["All countries"])
    text = (
        f"For the {cov.year} edition the UN indices cover {all_share['egdi']:.0%} of the "
        f"{n_all} UN member states of the time"
        + (" (the rest were not assessed)." if all_share["egdi"] < 1 else ".")
    )
    if covs.empty:
        return text + " No covariates are available yet."
    full = (all_share.loc[covs.index] >= WELL_COVERED).sum()
    none = covs[covs["n"] == 0]
    text += (
        f" Of the {len(covs)} covariates, {full} cover at least {WELL_COVERED:.0%} of countries "
        f"and {len(none)} have no value usable for this edition under the vintage rule "
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
        name = group_phrase(col) if col != SELECTED_GROUP else "the selected countries"
        weak = covs.index[(shares.loc[covs.index, col] < 1) & (covs["n"] > 0)].tolist()
        text += f" For {name} ({int(cov.group_sizes[col])} countries) " + (
            f"{len(weak)} covariate{'s' if len(weak) != 1 else ''} with data elsewhere "
            f"{'are' if len(weak) != 1 else 'is'} incomplete: {label_list(weak, covs)}."
            if weak
            else "every covariate with data elsewhere is complete."
        )
    income_year = income_classification_year()
    if income_year is not None and cov.year <= income_year:
        text += (
            " Income groups are the World Bank's current classification, applied "
            f"retroactively to {cov.year}."
        )
    return text


#: Readable headers of `reference_year_table`.
REFERENCE_YEAR_HEADERS = {
    "label": "Variable",
    "unit": "Unit",
    "theme": "Theme",
    "n": "Countries with a value",
    "ref_min": "Oldest reference year",
    "ref_max": "Newest reference year",
    "ref_mode": "Most common reference year",
}


def reference_year_table(cov: Coverage) -> pd.DataFrame:
    """The reference years used per variable, for display, with readable headers.

    Variables with no value for the edition (e.g. series that start after it) are left out:
    ``attrs["n_without_value"]`` counts them, for the caption.
    """
    t = cov.ref_years.reset_index()
    t["theme"] = t["theme"].map(lambda v: THEME_LABELS.get(v, v))
    empty = t["n"] == 0
    out = t.loc[~empty, list(REFERENCE_YEAR_HEADERS)].rename(columns=REFERENCE_YEAR_HEADERS)
    out = out.reset_index(drop=True)
    out.attrs["n_without_value"] = int(empty.sum())
    return out


def reference_year_caption(table: pd.DataFrame, year: int, rule: str) -> str:
    """Caption of `reference_year_table`, saying how many variables have no value."""
    n = table.attrs.get("n_without_value", 0)
    return f"Reference years used for the {year} edition (vintage rule: {rule})" + (
        f"; {n} variable{'s' if n != 1 else ''} with no value for this edition not shown"
        if n
        else ""
    )


def coverage_themes(cov: Coverage, with_data: bool = False) -> list[str]:
    """Themes present in a coverage report, UN indices first (one table per theme).

    With ``with_data``, only the themes with at least one value for the edition (a table of
    zeros says nothing that `coverage_prose` does not say in a line).
    """
    refs = cov.ref_years[cov.ref_years["n"] > 0] if with_data else cov.ref_years
    themes = list(dict.fromkeys(refs["theme"]))
    return sorted(themes, key=lambda t: (t != "UN index", themes.index(t)))


def _theme_names(cov: Coverage, theme: str | None) -> list[str]:
    # the themes looked up at once (a `.loc` per variable cost more than the rest of the views)
    themes = cov.ref_years["theme"].reindex(cov.shares.index).tolist()
    names = [n for n, t in zip(cov.shares.index, themes, strict=True) if theme in (None, t)]
    if not names:
        raise EgovError(f"no variables with theme {theme!r}; themes: {coverage_themes(cov)}")
    return names


def coverage_by_group(cov: Coverage, theme: str | None = None) -> pd.DataFrame:
    """Coverage as a table: one row per variable, % of countries with a value per group.

    The group columns are headed with the group and its number of UN member states, e.g.
    "GCC (n=6)"; `coverage_share_columns` names them. The values are unrounded percentages
    (the report shows whole numbers; the downloads keep every digit).
    """
    names = _theme_names(cov, theme)
    t = cov.shares.loc[names] * 100
    t.columns = [f"{g} (n={int(cov.group_sizes[g])})" for g in t.columns]
    # one lookup, not one `.loc` per variable
    t.insert(0, "Variable", cov.ref_years["label"].reindex(names).tolist())
    return t.reset_index(drop=True)


def coverage_share_columns(table: pd.DataFrame) -> list[str]:
    """The country-group columns of a `coverage_by_group` table (every column but the variable)."""
    return [c for c in table.columns if c != "Variable"]


def coverage_by_group_caption(cov: Coverage, theme: str | None = None) -> str:
    """Caption of `coverage_by_group`: theme, edition, what the numbers are and the rule."""
    what = THEME_LABELS.get(theme, str(theme)) if theme else "all variables"
    return (
        f"Data coverage for the {cov.year} edition: {what} (% of the UN member states in each "
        "group with a value; reference years in the next table)"
    )


def _assessment_row(ov: Overview) -> pd.Series:
    return ov.counts.set_index("year").loc[ov.year]


def assessment_prose(ov: Overview) -> str:
    """Generated paragraph: who was assessed in the edition and the level groups."""
    row = _assessment_row(ov)
    text = (
        f"In {ov.year} the UN assessed **{row['assessed']} of {row['members']}** UN member states"
    )
    text += f"; not assessed: {row['not_assessed_names']}." if row["not_assessed"] else "."
    late = [country_name(c) for c in not_yet_members(ov.year)]
    if late:
        one = len(late) == 1
        text += (
            f" {join_names(late)} {'was' if one else 'were'} not yet "
            f"{'a UN member state' if one else 'UN member states'} (not counted)."
        )
    retro = (
        " (today's thresholds applied retroactively: the UN did not publish these groups then)"
        if ov.year < CLASSIFICATION_EDITION
        else ""
    )
    text += (
        " EGDI level groups"
        + retro
        + ": "
        + ", ".join(f"{k} {v}" for k, v in ov.levels.items())
        + "."
    )
    return text


def assessment_display(ov: Overview) -> pd.DataFrame:
    """`assessment_counts` up to the edition, for display (headers in words)."""
    t = ov.counts.rename(
        columns={
            "year": "Edition",
            "members": "UN member states",
            "assessed": "Assessed",
            "not_assessed": "Not assessed",
            "not_assessed_names": "Not assessed (names)",
            "not_yet_members": "Not yet UN members",
        }
    )
    return t.set_index("Edition", drop=False)


def distribution_data(ov: Overview) -> pd.DataFrame:
    """The table behind `plot_distributions`: every assessed country's five scores."""
    ed = ov.egdi[(ov.egdi["year"] == ov.year) & ov.egdi["assessed"]]
    t = ed[["iso3", "country", *INDICES]].copy()
    t["in_group"] = t["iso3"].isin(ov.members)
    return t.sort_values("egdi", ascending=False).reset_index(drop=True)


def distributions_alt(ov: Overview) -> str:
    """Alt text of `plot_distributions`: the spread of each index and where the group sits."""
    d = distribution_data(ov)
    med = d[list(INDICES)].median()
    inside = d[d["in_group"]]
    text = (
        f"Box and dot chart of EGDI, OSI, HCI, TII and EPI for the {len(d)} countries assessed "
        f"in {ov.year}; medians: "
        + ", ".join(f"{SHORT_LABELS[c]} {med[c]:.2f}" for c in INDICES)
        + "."
    )
    if len(inside):
        above = int((inside["egdi"] > med["egdi"]).sum())
        who = (
            "selected countries assessed"
            if ov.label == "the selected countries"
            else f"assessed members of {group_phrase(ov.label)}"
        )
        text += f" {above} of the {len(inside)} {who} score above the median EGDI"
        if ov.focus is not None and ov.focus in set(d["iso3"]):
            f = d.set_index("iso3").loc[ov.focus]
            text += f"; {f['country']} (the focus country) scores {f['egdi']:.3f}"
        text += "."
    return text


def caveats(
    year: int, cov: Coverage | None = None, egdi: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The caveats a reader of the ``year`` edition must know.

    Computed from the data up to ``year`` (nothing published later is quoted).

    Returns
    -------
    DataFrame
        ``topic, applies`` (True if it affects this edition directly) and ``text`` (Markdown).
    """
    egdi = load_egdi_panel() if egdi is None else egdi
    egdi = egdi[egdi["year"] <= year]
    out: list[tuple[str, bool, str]] = []
    _caveat_relative_scores(year, egdi, out)
    _caveat_method_changes(year, out)
    _caveat_not_assessed(year, egdi, out)
    _caveat_egdi_departures(year, egdi, out)
    _caveat_anomalies(year, egdi, out)
    _caveat_covariates(year, cov, out)
    return pd.DataFrame(out, columns=["topic", "applies", "text"])


def _caveat_relative_scores(
    year: int, egdi: pd.DataFrame, out: list[tuple[str, bool, str]]
) -> None:
    """Scores are relative to the countries of each edition (ranges, min-max rescaling)."""
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


def _caveat_method_changes(year: int, out: list[tuple[str, bool, str]]) -> None:
    """Documented methodology changes up to ``year`` and the comparisons that cross them."""
    mc = method_changes(up_to=year)
    if len(mc):
        parts = [f"{r['index']} {r['change']} ({r['edition']})" for _, r in mc.iterrows()]
        cited = join_names(sorted(set(mc["source"])))
        text = (
            f"Documented methodology changes up to {year}: {join_names(parts)} (source: {cited})."
        )
        crossings = [
            f"with editions before {ed} crosses the {ed} change ({join_names(sorted(g['index']))})"
            for ed, g in mc.groupby("edition")
        ]
        text += f" Comparing {year} " + "; ".join(crossings) + "."
        out.append(("Methodology changes between editions", True, text))


def _caveat_not_assessed(year: int, egdi: pd.DataFrame, out: list[tuple[str, bool, str]]) -> None:
    """UN member states not assessed (missing, not 0) and states not yet members."""
    counts = assessment_counts(egdi).set_index("year")
    row = counts.loc[year]
    if row["not_assessed"]:
        text = (
            f"{row['not_assessed']} of {row['members']} UN member states were not assessed "
            f"in {year} ({row['not_assessed_names']}). Their scores are missing, not 0 (the "
            f"published files print 0), and ranks run from 1 to {row['assessed']}."
        )
    else:
        text = f"All {row['members']} UN member states were assessed in {year}."
    others = counts[counts["not_assessed"] > 0]
    if len(others):
        text += (
            f" Editions up to {year} with unassessed member states: "
            + ", ".join(f"{y} ({n})" for y, n in others["not_assessed"].items())
            + "."
        )
    late = counts[counts["not_yet_members"] != ""]
    if len(late):
        text += (
            " States not yet UN members are not counted: "
            + "; ".join(f"{y}: {r['not_yet_members']}" for y, r in late.iterrows())
            + "."
        )
    out.append(("Countries not assessed", bool(row["not_assessed"]), text))


def _caveat_egdi_departures(
    year: int, egdi: pd.DataFrame, out: list[tuple[str, bool, str]]
) -> None:
    """Where the published EGDI is not the mean of its published components."""
    dep = egdi_departures(egdi).set_index("year")
    bad = dep[(dep["share_departing"] > 0.5) & (dep.index != year)]
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
            f" {'Other e' if d['share_departing'] > 0.5 else 'E'}ditions up to {year} where most "
            "countries depart: "
            + "; ".join(
                f"{y}: max {r['max_abs']:.4f} ({r['country']}), "
                f"next largest {r['second_abs']:.4f}, "
                f"{r['share_departing']:.0%} of countries"
                for y, r in bad.iterrows()
            )
            + "."
        )
    if d["share_departing"] > 0.5 or len(bad):
        text += " Recomputing the EGDI from its components will not reproduce such editions."
    out.append(("Published EGDI vs mean of its components", bool(d["share_departing"] > 0.5), text))


def _caveat_anomalies(year: int, egdi: pd.DataFrame, out: list[tuple[str, bool, str]]) -> None:
    """Published values above 1, kept and flagged."""
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


def _caveat_covariates(year: int, cov: Coverage | None, out: list[tuple[str, bool, str]]) -> None:
    """Covariates missing or dated for this edition under the vintage rule."""
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
                # Named by theme, not by label: a label may carry a later year ("... Index 2019").
                themes = covs.loc[none, "theme"].value_counts()
                parts.append(
                    f"No data for this edition under the vintage rule ({cov.rule}): "
                    f"{len(none)} covariates ("
                    + ", ".join(f"{THEME_LABELS.get(t, t)} {n}" for t, n in themes.items())
                    + ")"
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
                ". ".join(parts) + "."
                if parts
                else "All have data for most countries for this edition."
            )
            out.append(("Covariates missing or dated for this edition", bool(parts), text))


def caveats_markdown(cav: pd.DataFrame) -> str:
    """`caveats` as a Markdown list, those that affect the edition marked.

    One item per line: a tight list, so that each caveat is one list item and not also a
    paragraph.
    """
    return "\n".join(
        f"- **{r['topic']}**{' (affects this edition)' if r['applies'] else ''}: {r['text']}"
        for _, r in cav.iterrows()
    )


def _rule_name(lag: int, max_age) -> str:
    """Short name of a vintage rule relative to the shared one ("max age 3", "lag 0")."""
    age = "no age limit" if pd.isna(max_age) else f"max age {int(max_age)}"
    if lag == VINTAGE_LAG:
        return age
    if not pd.isna(max_age) and int(max_age) == VINTAGE_MAX_AGE:
        return f"lag {lag}"
    return f"lag {lag}, {age}"


def vintage_table(sens: pd.DataFrame) -> pd.DataFrame:
    """`vintage_sensitivity` as one row per covariate with a value under at least one rule.

    The covariates whose data depend most on the rule first.

    Columns: the variable's label, countries with a value and median age under the shared rule,
    countries with a value under each alternative rule, and for rules with another lag the
    number of countries whose value changes.
    """
    alt = sens[~sens["default"]]
    base = sens[sens["default"]].set_index("variable")
    out = pd.DataFrame(index=base.index)
    out["Variable"] = [variable_info(v)["label"] for v in base.index]
    out["Countries (shared rule)"] = base["countries"]
    out["Median age (years)"] = base["median_age"]
    for (lag, age), g in alt.groupby(["lag", "max_age"], dropna=False, sort=False):
        out[f"Countries ({_rule_name(lag, age)})"] = g.set_index("variable")["countries"]
    for (lag, age), g in alt.groupby(["lag", "max_age"], dropna=False, sort=False):
        if lag != VINTAGE_LAG:
            out[f"Values changed ({_rule_name(lag, age)})"] = g.set_index("variable")["changed"]
    counts = out.filter(like="Countries (")
    moved = (counts.sub(out["Countries (shared rule)"], axis=0).abs().sum(axis=1)) + out.filter(
        like="Values changed ("
    ).sum(axis=1)
    out = out.assign(_moved=moved)[counts.sum(axis=1) > 0]
    # The covariates whose data depend most on the rule first.
    out = out.sort_values("_moved", ascending=False, kind="stable").drop(columns="_moved")
    return out.reset_index(drop=True)


def vintage_prose(sens: pd.DataFrame, year: int) -> str:
    """Generated paragraph: how much the covariates of edition ``year`` depend on the vintage rule.

    The rule is shared by every report; from `egovlib.panel.vintage_sensitivity`.
    """
    base = sens[sens["default"]].set_index("variable")
    n = len(base)
    has = base[base["countries"] > 0]
    label = {v: variable_info(v)["label"] for v in base.index}
    text = (
        f"Every report in this set joins covariates to the survey by one rule: for edition "
        f"{year}, the {vintage_rule_text()} (the survey uses the previous year's statistics; "
        f"a value more than {VINTAGE_MAX_AGE} years older says little about the edition). Under "
        f"it {len(has)} of the {n} covariates have a value for {year}"
    )
    text += (
        f", with a median age between {has['median_age'].min():.0f} and "
        f"{has['median_age'].max():.0f} years."
        if len(has)
        else "."
    )

    def most(rule_rows: pd.DataFrame, col: str) -> str:
        r = rule_rows.set_index("variable")[col]
        r = r[r > 0].sort_values(ascending=False)
        if r.empty:
            return ""
        top = r.index[0]
        return (
            f"{len(r)} covariate{'s' if len(r) != 1 else ''} (most: {label[top]}, "
            f"{r[top]} countries)"
        )

    strict = sens[(sens["lag"] == VINTAGE_LAG) & (sens["max_age"] == 3)]
    loose = sens[(sens["lag"] == VINTAGE_LAG) & sens["max_age"].isna()]
    for rows, col, verb in (
        (strict, "lost", "A maximum age of 3 years would remove values for"),
        (loose, "gained", "No age limit would add values for"),
    ):
        what = most(rows, col)
        text += f" {verb} {what}." if what else ""
    for lag in (0, 2):
        rows = sens[(sens["lag"] == lag) & (sens["max_age"] == VINTAGE_MAX_AGE)]
        changed = rows[rows["changed"] > 0]
        if len(changed):
            text += (
                f" A lag of {lag} year{'s' if lag != 1 else ''} would change the value for "
                f"{int(changed['changed'].sum())} country-covariate pairs on {len(changed)} "
                "covariates"
                + (
                    f" and use statistics for {year} itself, mostly not yet published when the "
                    "survey was compiled"
                    if lag == 0
                    else ""
                )
                + "."
            )
    return (
        text + " The table in this appendix gives the counts per covariate; a model or index "
        "whose result changes under these alternatives rests on the vintage choice."
    )


def key_findings(ov: Overview) -> list[str]:
    """Three to five headline sentences for notebook 01, each saying how sure we are."""
    row = _assessment_row(ov)
    out = [
        f"The {ov.year} edition assessed {row['assessed']} of the {row['members']} UN member "
        "states of the time"
        + (f" ({row['not_assessed']} not assessed)" if row["not_assessed"] else "")
        + "; every score in these reports is the published UN score, not an estimate."
    ]
    cov = ov.coverage
    covs = cov.ref_years[cov.ref_years["theme"] != "UN index"]
    col = ov.group_column
    if len(covs):
        usable = covs[covs["n"] > 0]
        good = int((cov.shares.loc[covs.index, "All countries"] >= WELL_COVERED).sum())
        text = (
            f"Of {len(covs)} covariates, {len(usable)} have a value for {ov.year} under the "
            f"shared vintage rule and {good} cover at least {WELL_COVERED:.0%} of countries"
        )
        if col in cov.shares.columns and len(usable):
            complete = int((cov.shares.loc[usable.index, col] == 1).sum())
            text += (
                f"; for {group_phrase(ov.label)} the data are complete on {complete} of the "
                f"{len(usable)}"
            )
        out.append(text + ". These are counts of the data, not estimates.")
    base = ov.vintage[ov.vintage["default"]]
    loose = ov.vintage[(ov.vintage["lag"] == VINTAGE_LAG) & ov.vintage["max_age"].isna()]
    gained = loose[loose["gained"] > 0]
    if len(base) and len(gained):
        top = gained.sort_values("gained", ascending=False).iloc[0]
        out.append(
            f"The vintage rule matters for {len(gained)} covariates: without its "
            f"{VINTAGE_MAX_AGE}-year age limit {variable_info(top['variable'])['label']} would "
            f"gain {int(top['gained'])} countries with older values (sensitivity in the "
            "appendix)."
        )
    dep = ov.departures.set_index("year").loc[ov.year]
    if dep["share_departing"] > 0.5:
        out.append(
            f"In {ov.year} the published EGDI is not the mean of its components for "
            f"{dep['share_departing']:.0%} of countries (up to {dep['max_abs']:.4f}, "
            f"{dep['country']}): an EGDI recomputed from OSI, HCI and TII will not match it. "
            "This is a property of the published file, checked for every country."
        )
    recent = ov.changes[ov.changes["edition"] == ov.year]
    if len(recent):
        out.append(
            f"The UN changed the method of {join_names(sorted(recent['index']))} in {ov.year}: "
            f"comparisons with earlier editions mix progress with a change of yardstick "
            "(documented by UN DESA)."
        )
    retro = (
        " (today's thresholds, applied retroactively)" if ov.year < CLASSIFICATION_EDITION else ""
    )
    if len(out) < 5:
        out.append(
            f"EGDI level groups in {ov.year}{retro}: "
            + ", ".join(f"{k} {v}" for k, v in ov.levels.items())
            + ". Counts of published scores against fixed thresholds."
        )
    return out[:5]


# ============================================================================== figures
@plots.styled
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
    label = group_label(group)
    if codes:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=9,
            title=label if isinstance(group, str) else "Selected countries",
        )
    sub = (
        f"{len(ed)} countries assessed; grey = every country (box: quartiles), coloured = "
        f"members of {group_phrase(label)}"
    )
    late = not_yet_members(year)
    missing = sorted(set(members) - set(codes) - set(late))
    new = sorted(set(members) & set(late))
    if missing:
        sub += f" (not assessed: {', '.join(country_name(c) for c in missing)})"
    if new:
        sub += f" (not yet a UN member: {', '.join(country_name(c) for c in new)})"
    return plots.finish(
        fig, f"Distribution of the UN indices, {year}", egdi_source([year]), subtitle=sub + "."
    )


__all__ = [
    "EDITION_USE_TEXT",
    "INCOME_ORDER",
    "SELECTED_GROUP",
    "THEME_LABELS",
    "WELL_COVERED",
    "EGDI_SOURCE",
    "EGDI_TOLERANCE",
    "Coverage",
    "Overview",
    "assessment_counts",
    "assessment_display",
    "assessment_prose",
    "available_covariates",
    "caveats",
    "caveats_markdown",
    "component_ranges",
    "coverage",
    "coverage_by_group",
    "coverage_by_group_caption",
    "coverage_prose",
    "coverage_share_columns",
    "coverage_themes",
    "data_overview",
    "distribution_data",
    "distributions_alt",
    "edition_use",
    "egdi_departures",
    "key_findings",
    "reference_year_caption",
    "label_list",
    "level_counts",
    "method_changes",
    "plot_distributions",
    "published_anomalies",
    "reference_year_table",
    "sources_compact",
    "sources_prose",
    "sources_table",
    "variable_info",
    "vintage_prose",
    "vintage_table",
]
