"""UN E-Government Survey reader: EGDI, OSI, HCI, TII, EPI and rank for every edition."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..countries import harmonise_codes, to_iso3, un_members
from ..errors import DataError
from ..judgements import judgement_path, load_judgements
from ..schemas import EGDI
from ..sources import SourceFile, files_for_reader, verified_path
from ..vocabulary import EGDI_COMPONENTS, INDICES
from .parsing import check_duplicates, numeric, read_text_csv, rename_columns
from .registry import load_derived, load_table, register

#: Column names by file layout. The layout is recognised from the header, so a new edition in
#: any of these layouts needs only a catalogue entry.
LAYOUTS: dict[str, dict[str, str]] = {
    "un_data_center": {
        "Survey Year": "year",
        "Country Name": "country",
        "E-Government Rank": "rank",
        "E-Government Index": "egdi",
        "E-Participation Index": "epi",
        "Online Service Index": "osi",
        "Human Capital Index": "hci",
        "Telecommunication Infrastructure Index": "tii",
    },
    # The 2024 copy renames every column (and adds a wrong, hand-made `Region`, dropped here).
    "un_2024_renamed": {
        "Survey Year": "year",
        "Country": "country",
        "Rank": "rank",
        "E_Index": "egdi",
        "E_Participation": "epi",
        "Online_Service": "osi",
        "Human_Capital": "hci",
        "Tele_Infra": "tii",
    },
    # UNU-EGOV repackaging: ISO3 codes, no year column (the year comes from the catalogue).
    "unu_egov": {
        "country-code": "iso3",
        "country-name": "country",
        "e-gov-rank": "rank",
        "e-gov-index": "egdi",
        "e-pat-index": "epi",
        "osi": "osi",
        "hci": "hci",
        "tii": "tii",
    },
}


@dataclass(frozen=True)
class PublishedAnomaly:
    """A published index value outside [0, 1], kept as published and flagged.

    Attributes
    ----------
    edition, iso3, index :
        Where it is (``index`` is ``egdi``, ``osi``, ``hci``, ``tii`` or ``epi``).
    value : float
        The value as published; another value there is refused.
    note : str
        Country name and context.
    citation : str
        Where it is published.
    """

    edition: int
    iso3: str
    index: str
    value: float
    note: str
    citation: str


#: Published values outside [0, 1] (``egovlib/judgements/egdi_anomalies.yml``): the 2003 HCI of
#: Micronesia (1.422) and Tuvalu (1.03).
PUBLISHED_ANOMALIES: dict[tuple[int, str, str], PublishedAnomaly] = {
    (a.edition, a.iso3, a.index): a for a in load_judgements("egdi_anomalies", PublishedAnomaly)
}


#: Largest gap between a published EGDI and the mean of its published OSI, HCI and TII that is
#: rounding (values are printed with 4-5 decimals), outside the editions of `EGDI_DEPARTURES`.
EGDI_MEAN_TOLERANCE = 1e-4


@dataclass(frozen=True)
class EgdiDeparture:
    """An edition whose published EGDI departs from the mean of its components, as published.

    Attributes
    ----------
    edition : int
        Survey edition.
    max_departure : float
        Largest absolute gap allowed (the largest published one, rounded up).
    note : str
        What the published data show.
    citation : str
        Where the published values come from.
    """

    edition: int
    max_departure: float
    note: str
    citation: str


#: Documented departures (``egovlib/judgements/egdi_departures.yml``), by edition.
EGDI_DEPARTURES: dict[int, EgdiDeparture] = {
    d.edition: d for d in load_judgements("egdi_departures", EgdiDeparture)
}


def detect_layout(columns: list[str], path: Path) -> str:
    """Name of the layout whose columns are all present in the header."""
    cols = {c.strip() for c in columns}
    for name, mapping in LAYOUTS.items():
        if set(mapping) <= cols:
            return name
    best = max(LAYOUTS, key=lambda n: len(set(LAYOUTS[n]) & cols))
    missing = sorted(set(LAYOUTS[best]) - cols)
    raise DataError(
        path,
        f"header matches no known EGDI layout; closest is `{best}`, "
        f"which lacks column(s) {missing}",
        "restore the original file, or add the new layout to LAYOUTS in egovlib/readers/un_egov.py",
    )


def parse_egdi_file(src: SourceFile, path: Path) -> pd.DataFrame:
    """Parse one UN EGDI file into the tidy EGDI layout (one row per country and edition)."""
    raw = read_text_csv(path)
    raw.columns = [c.strip() for c in raw.columns]
    layout = detect_layout(list(raw.columns), path)
    df = rename_columns(raw, LAYOUTS[layout], path)
    df["country"] = df["country"].str.strip()
    if layout == "unu_egov":
        if len(src.editions) != 1:
            raise DataError(
                path,
                "a file without a `Survey Year` column must cover one edition",
                f"give `{src.id}` exactly one entry under `editions:` in the catalogue",
            )
        df["year"] = src.editions[0]
        df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="country-code").to_numpy()
    df = numeric(df, ["year", "rank", *INDICES], path)
    # In UN Data Center files EGDI is never blank (not assessed = 0) and an assessed country has
    # its three components, so a blank means a cut or damaged row. The UNU repackaging leaves
    # not-assessed rows blank instead (South Sudan 2010; Kiribati's HCI 2010): allowed there.
    blank = df[list(INDICES)].isna()
    blank.loc[:, ["epi"]] = False
    not_assessed = df["egdi"].fillna(0) == 0 if layout == "unu_egov" else df["egdi"] == 0
    blank.loc[not_assessed, ["egdi", "osi", "hci", "tii"]] = False
    if blank.any().any():
        i = int(blank.any(axis=1).to_numpy().nonzero()[0][0])
        col = blank.columns[blank.iloc[i]].tolist()
        raise DataError(
            path,
            f"empty score cell(s) {col} on line {int(df.index[i]) + 2} "
            f"({df['country'].iloc[i]!r}); the file may be truncated or damaged",
            "restore the file from the data mirror (not-assessed countries carry 0, not blanks)",
        )
    if df["year"].isna().any():
        line = int(df.index[df["year"].isna()][0]) + 2
        raise DataError(path, f"empty `Survey Year` on line {line}", "fill in the survey year")
    df["year"] = df["year"].astype(int)
    extra = sorted(set(df["year"]) - set(src.editions))
    absent = sorted(set(src.editions) - set(df["year"]))
    if extra or absent:
        raise DataError(
            path,
            f"file holds editions {sorted(set(df['year']))}; catalogue says {list(src.editions)}",
            f"make `editions:` of `{src.id}` in data/sources.yml match the file",
        )
    if layout != "unu_egov":
        name_col = next(k for k, v in LAYOUTS[layout].items() if v == "country")
        df["iso3"] = to_iso3(df["country"], file=str(path), column=name_col).to_numpy()
    df = check_duplicates(df, ["iso3", "year"], path, ["rank", *INDICES])
    _check_universe(df, path)
    df = _flag_published_quirks(df, path)
    check_egdi_is_mean(df, path)
    check_ranks(df, path)
    return df.assign(source=src.id)


def check_egdi_is_mean(df: pd.DataFrame, path: Path) -> None:
    """The published EGDI is the mean of the published OSI, HCI and TII (UN method).

    Within `EGDI_MEAN_TOLERANCE` (rounding), or within the published departure of an edition
    listed in `EGDI_DEPARTURES` (2008, 2010). A larger gap means a damaged or edited file.
    ``df`` is indexed by the file's data lines (line = index + 2).
    """
    assessed = df[df["assessed"]]
    mean = assessed[list(EGDI_COMPONENTS)].mean(axis=1)
    gap = (mean - assessed["egdi"]).abs()
    allowed = assessed["year"].map(
        lambda y: EGDI_DEPARTURES[y].max_departure if y in EGDI_DEPARTURES else EGDI_MEAN_TOLERANCE
    )
    bad = gap > allowed
    if bad.any():
        cells = "; ".join(
            f"{r.country} ({r.iso3}) {r.year}, line {i + 2}: EGDI {r.egdi:.5f}, mean "
            f"{mean[i]:.5f} (gap {gap[i]:.5f})"
            for i, r in assessed[bad].head(3).iterrows()
        )
        listed = ", ".join(map(str, sorted(EGDI_DEPARTURES)))
        raise DataError(
            path,
            f"{int(bad.sum())} EGDI value(s) differ from the mean of OSI, HCI and TII: {cells}. "
            f"Published EGDIs equal that mean within {EGDI_MEAN_TOLERANCE:g} in every edition "
            f"but {listed}",
            "restore the file from the data mirror; if UN DESA published these values, record "
            f"the edition with a citation in {judgement_path('egdi_departures')}",
        )


def check_ranks(df: pd.DataFrame, path: Path) -> None:
    """Published ranks: one per assessed country, in EGDI order; shared only by equal EGDIs.

    UN DESA ranks the assessed countries of an edition by EGDI (1 = highest). Two countries
    share a rank only when their EGDIs are equal as published (2018: Serbia and Slovakia 49th);
    countries with equal printed EGDIs may still be ranked apart (2020, ties broken on more
    digits). A shared rank between different EGDIs, a rank against the EGDI order, or a rank
    beyond the number of assessed countries means a damaged or edited file.
    """
    for year, grp in df[df["assessed"]].groupby("year"):
        g = grp.assign(line=grp.index + 2).sort_values(["rank", "egdi"], ascending=[True, False])
        problems = []
        missing = g[g["rank"].isna()]
        if len(missing):
            problems.append(f"no rank for {', '.join(missing['iso3'].head(5))}")
        g = g.dropna(subset=["rank"])
        shared = g[g.duplicated("rank", keep=False)]
        for rank, tie in shared.groupby("rank"):
            if not (tie["egdi"] == tie["egdi"].iloc[0]).all():
                who = ", ".join(
                    f"{r.iso3} (line {r.line}, EGDI {r.egdi:.4f})" for r in tie.itertuples()
                )
                problems.append(f"rank {rank} is given to {who} whose EGDIs differ")
        inverted = g[g["egdi"].diff() > 0]
        for r in inverted.head(3).itertuples():
            above = g.loc[g.index[g.index.get_loc(r.Index) - 1]]
            problems.append(
                f"{r.iso3} (line {r.line}) is ranked {r.rank} with EGDI {r.egdi:.4f}, below "
                f"{above['iso3']} ranked {above['rank']} with a lower EGDI {above['egdi']:.4f}"
            )
        over = g[g["rank"] > len(grp)]
        if len(over):
            problems.append(
                f"rank(s) {sorted(over['rank'].astype(int).tolist())[:5]} exceed the "
                f"{len(grp)} assessed countries"
            )
        if problems:
            raise DataError(
                path,
                f"ranks of edition {year} are inconsistent: " + "; ".join(problems[:4]),
                "restore the file from the data mirror (ranks follow the published EGDI: "
                "1 = highest, shared only by equal EGDIs)",
            )


def _check_universe(df: pd.DataFrame, path: Path) -> None:
    """Every edition lists exactly the 193 UN member states (the survey's universe)."""
    members = set(un_members())
    for year, grp in df.groupby("year"):
        missing, extra = members - set(grp["iso3"]), set(grp["iso3"]) - members
        if missing or extra:
            raise DataError(
                path,
                f"edition {year} lists {grp['iso3'].nunique()} countries; the survey covers the "
                f"193 UN member states. Missing: {sorted(missing) or 'none'}; "
                f"not UN members: {sorted(extra) or 'none'}",
                "restore the complete file from the data mirror (a truncated download drops rows)",
            )


def _flag_published_quirks(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Mark not-assessed countries and the published anomalies; refuse other impossible scores.

    Zero EGDI = not assessed (scores of 0 and the placeholder rank become missing); HCI above 1
    is allowed only for the published 2003 anomalies (`PUBLISHED_ANOMALIES`, with their values);
    any other value outside [0, 1] raises.
    """
    df = df.copy()
    df["assessed"] = df["egdi"].fillna(0) > 0
    for col in INDICES:
        df.loc[~df["assessed"] & (df[col] == 0), col] = np.nan
    df.loc[~df["assessed"], ["egdi", "rank"]] = np.nan
    df["hci_above_one"] = False
    for col in INDICES:
        out = (df[col] < 0) | (df[col] > 1)
        for i in df.index[out]:
            key = (int(df.at[i, "year"]), df.at[i, "iso3"], col)
            known = PUBLISHED_ANOMALIES.get(key)
            if known is not None and abs(df.at[i, col] - known.value) < 1e-9:
                df.at[i, "hci_above_one"] = True
                continue
            published = f" (published: {known.value:g})" if known is not None else ""
            raise DataError(
                path,
                f"score outside [0, 1] in column `{col}` for {df.at[i, 'country']} "
                f"({key[1]}), edition {key[0]}, line {i + 2}: {df.at[i, col]}{published}",
                "correct the value from the published survey; published anomalies that must be "
                f"kept are listed with their value in {judgement_path('egdi_anomalies')}",
            )
    df["rank"] = df["rank"].round().astype("Int64")
    return df


@register("egdi", EGDI, "UN E-Government Survey: EGDI, OSI, HCI, TII, EPI, rank, all editions")
def read_egdi(files):
    """Every primary EGDI file -> one row per country and edition (one file per edition)."""
    parts = [parse_egdi_file(src, path) for src, path in files if src.role == "primary"]
    df = pd.concat(parts, ignore_index=True)
    dup = df.duplicated(["iso3", "year"], keep=False)
    if dup.any():
        years = sorted(df.loc[dup, "year"].unique())
        srcs = sorted(df.loc[dup, "source"].unique())
        raise DataError(
            None,
            f"edition(s) {years} are provided by more than one primary file: {srcs}",
            "keep one primary file per edition; mark the others `role: crosscheck` in sources.yml",
        )
    cols = ["iso3", "country", "year", "rank", *INDICES, "assessed", "hci_above_one", "source"]
    return df[cols].sort_values(["year", "iso3"]).reset_index(drop=True)


def crosscheck_editions(primary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compare each `role: crosscheck` EGDI file with the primary file of the same edition.

    Parameters
    ----------
    primary : DataFrame, optional
        The ``egdi`` table to compare with (default `load_table("egdi")`, and the comparison is
        cached with it: it parses every cross-check file); ``egov data verify`` passes the table
        it parsed afresh.

    Returns
    -------
    pandas.DataFrame
        One row per cross-check file: ``file, edition, countries, max_abs_diff, rank_mismatches``.
    """
    if primary is None:
        return load_derived("egdi_crosscheck", "egdi", lambda: _crosscheck(load_table("egdi")))
    return _crosscheck(primary)


def _crosscheck(primary: pd.DataFrame) -> pd.DataFrame:
    primary = primary.set_index(["iso3", "year"])
    rows = []
    for src in files_for_reader("egdi"):
        if src.role != "crosscheck":
            continue
        other = parse_egdi_file(src, verified_path(src)).set_index(["iso3", "year"])
        both = primary.merge(other, left_index=True, right_index=True, suffixes=("", "_x"))
        diffs = [(both[c] - both[f"{c}_x"]).abs().max() for c in INDICES]
        rows.append(
            {
                "file": src.id,
                "edition": int(src.editions[0]),
                "countries": len(both),
                "max_abs_diff": float(np.nanmax(diffs)),
                "rank_mismatches": int(
                    (both["rank"].fillna(-1) != both["rank_x"].fillna(-1)).sum()
                ),
            }
        )
    return pd.DataFrame(rows)
