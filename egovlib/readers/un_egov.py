"""UN E-Government Survey reader: EGDI, OSI, HCI, TII, EPI and rank for every edition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..countries import harmonise_codes, to_iso3, un_members
from ..errors import DataError
from ..schemas import EGDI
from ..sources import SourceFile
from ..vocabulary import INDICES
from . import register
from .parsing import check_duplicates, numeric, read_text_csv, rename_columns

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

#: Published values outside [0, 1], kept as published and flagged (UN DESA 2003 HCI).
PUBLISHED_ANOMALIES = {(2003, "FSM", "hci"), (2003, "TUV", "hci")}


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
    return _flag_published_quirks(df, path).assign(source=src.id)


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
    """Zero EGDI = not assessed (scores of 0 and the placeholder rank become missing);
    HCI above 1 is allowed only for the published 2003 anomalies; other values outside [0, 1]
    raise."""
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
            if key in PUBLISHED_ANOMALIES:
                df.at[i, "hci_above_one"] = True
                continue
            raise DataError(
                path,
                f"score outside [0, 1] in column `{col}` for {df.at[i, 'country']} "
                f"({key[1]}), edition {key[0]}, line {i + 2}: {df.at[i, col]}",
                "correct the value from the published survey; published anomalies that must be "
                "kept are listed in PUBLISHED_ANOMALIES in egovlib/readers/un_egov.py",
            )
    df["rank"] = df["rank"].round().astype("Int64")
    return df


@register("egdi", EGDI, "UN E-Government Survey: EGDI, OSI, HCI, TII, EPI, rank, all editions")
def read_egdi(files):
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


def crosscheck_editions() -> pd.DataFrame:
    """Compare each `role: crosscheck` EGDI file with the primary file of the same edition.

    Returns
    -------
    pandas.DataFrame
        One row per cross-check file: ``file, edition, countries, max_abs_diff, rank_mismatches``.
    """
    from ..sources import files_for_reader, verified_path
    from . import load_table

    primary = load_table("egdi").set_index(["iso3", "year"])
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
