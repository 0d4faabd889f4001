"""World Bank GovTech Maturity Index (GTMI) readers: group scores and question-level indicators."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..countries import harmonise_codes
from ..errors import DataError
from ..schemas import LONG
from ..sources import load_catalogue, verified_path
from .parsing import (
    check_duplicates,
    numeric,
    read_csv,
    read_excel,
    read_text_csv,
    rename_columns,
    wide_to_long,
)
from .registry import Variable, load_table, register

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------ group scores

#: groups_data.xlsx column -> output name (group scores are the published GTMI and its components).
GROUP_COLUMNS = {
    "year": "year",
    "country_code": "code",
    "country_name": "country",
    "grp": "grp",
    "gtmi": "gtmi",
    "cgsi": "gtmi_cgsi",
    "psdi": "gtmi_psdi",
    "dcei": "gtmi_dcei",
    "gtei": "gtmi_gtei",
}
GROUP_SCORES = ["gtmi", "gtmi_cgsi", "gtmi_psdi", "gtmi_dcei", "gtmi_gtei"]
#: GTMI group letter -> ordinal points (A = most mature).
GROUP_POINTS = {"A": 4, "B": 3, "C": 2, "D": 1}

#: The GTMI is the mean of its four group indices; the World Bank describes the CGSI as covering
#: "government cloud, interoperability framework and other platforms" (I-1, I-4) and the GTEI as
#: covering "strategy, institutions, laws, and regulations, as well as digital skills, and
#: innovation" (I-35, I-45, I-46) (worldbank.org/en/programs/govtech/gtmi-Intro). Items whose
#: group is not documented (national ID I-40, e-ID I-41) are not listed as `components`.
_GTEI_ITEMS = ("gtmi_dt_strategy", "gtmi_digital_skills_strategy", "gtmi_digital_skills_programme")

_GROUP_NOTE = (
    "World Bank GTMI (0-1, higher = more mature). Official group scores compiled by the "
    "WB-PIDA gtmiR team from the WB GovTech datasets of Dec 2020, Oct 2022 and "
    "Dec 2025. "
    "The GTMI is re-normalised in each edition, so levels are not strictly comparable "
    "across 2020/2022/2025."
)

GROUP_VARIABLES = (
    Variable(
        "gtmi",
        "GovTech Maturity Index (GTMI)",
        "score 0-1",
        "govtech",
        comparable_over_time=False,
        notes=_GROUP_NOTE + " One quarter of it is the PSDI, which embeds the UN Online "
        "Service Index (an EGDI input).",
        components=("gtmi_cgsi", "gtmi_psdi", "gtmi_dcei", "gtmi_gtei"),
    ),
    Variable(
        "gtmi_cgsi",
        "GTMI Core Government Systems Index (CGSI)",
        "score 0-1",
        "govtech",
        comparable_over_time=False,
        notes=_GROUP_NOTE,
        components=("gtmi_gov_cloud", "gtmi_service_bus"),
    ),
    Variable(
        "gtmi_psdi",
        "GTMI Public Service Delivery Index (PSDI)",
        "score 0-1",
        "govtech",
        # PSDI includes the UN Online Service Index (question I-18): an OSI/EGDI proxy.
        inputs_of=("osi", "egdi"),
        comparable_over_time=False,
        notes=_GROUP_NOTE + " PSDI embeds the UN Online Service Index (an EGDI input).",
    ),
    Variable(
        "gtmi_dcei",
        "GTMI Digital Citizen Engagement Index (DCEI)",
        "score 0-1",
        "govtech",
        comparable_over_time=False,
        notes=_GROUP_NOTE,
    ),
    Variable(
        "gtmi_gtei",
        "GTMI GovTech Enablers Index (GTEI)",
        "score 0-1",
        "govtech",
        comparable_over_time=False,
        notes=_GROUP_NOTE,
        components=_GTEI_ITEMS,
    ),
    Variable(
        "gtmi_group",
        "GTMI group (A=4, B=3, C=2, D=1)",
        "ordinal 1-4",
        "govtech",
        comparable_over_time=False,
        notes="GTMI maturity group coded A (very high) = 4, B = 3, C = 2, D (minimal) = 1. "
        + _GROUP_NOTE,
        components=("gtmi",),
    ),
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_gtmi_groups(src, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse groups_data.xlsx into a long table, and return the rows dropped as non-economies.

    The sheet ends with legend and summary rows whose ``country_code`` is a number (group
    thresholds 0.75/0.5/0.25 with counts, and two averages with ``gtmi`` = 648.5). Exactly those
    rows are dropped; any other row that is not a well-formed economy raises `DataError`.

    Returns
    -------
    (long, dropped) : tuple of DataFrame
        ``long`` in the `schemas.LONG` layout; ``dropped`` holds the dropped raw rows with their
        spreadsheet row number in ``line``.
    """
    raw = read_excel(path, sheet_name="Sheet1", dtype=str)
    df = rename_columns(raw, {c: c for c in GROUP_COLUMNS}, path)
    df.index = df.index + 2  # spreadsheet row numbers (header on row 1)
    # numbers are converted under the sheet's own column names, so errors name what users see
    file_scores = [c for c, v in GROUP_COLUMNS.items() if v in GROUP_SCORES]
    df = df.rename(columns={c: GROUP_COLUMNS[c] for c in ("country_code", "grp")})
    code = df["code"].fillna("").str.strip()
    junk = code.map(_is_number)
    dropped = raw.loc[junk.to_numpy()].assign(line=df.index[junk])
    if junk.any():
        log.info(
            "%s: dropped %d legend/summary rows (numeric country_code) on lines %s",
            path,
            int(junk.sum()),
            list(df.index[junk]),
        )
    df = df.loc[~junk].copy()

    bad_grp = ~df["grp"].isin(list(GROUP_POINTS))
    if bad_grp.any():
        lines = list(df.index[bad_grp][:5])
        raise DataError(
            path,
            f"column `grp` is not one of A-D on line(s) {lines}: "
            f"{df.loc[bad_grp, 'grp'].head(5).tolist()}",
            "restore the file; if a new group letter was introduced, extend "
            "GROUP_POINTS in egovlib/readers/gtmi.py",
        )
    df = numeric(df, ["year", *file_scores], path, row_offset=0).rename(columns=GROUP_COLUMNS)
    df["gtmi_group"] = df["grp"].map(GROUP_POINTS).astype("float64")
    df["year"] = df["year"].astype(int)
    _check_years(df, src, path)
    df["iso3"] = _iso3(df["code"], df.index, path, "country_code")
    df = check_duplicates(df, ["iso3", "year"], path, [*GROUP_SCORES, "gtmi_group"])
    return wide_to_long(df, [*GROUP_SCORES, "gtmi_group"], src.id), dropped


@register(
    "gtmi_groups",
    LONG,
    "World Bank GTMI group scores (GTMI, CGSI, PSDI, DCEI, GTEI, group A-D), 2020/2022/2025",
    variables=GROUP_VARIABLES,
)
def read_gtmi_groups(files):
    """GTMI group scores of every edition in groups_data.xlsx -> long table."""
    return pd.concat([parse_gtmi_groups(src, path)[0] for src, path in files], ignore_index=True)


# ------------------------------------------------------------------------------ question indicators


@dataclass(frozen=True)
class Indicator:
    """One GTMI question used as a covariate.

    ``columns`` maps the GTMI edition to the question code holding it in gtmiwide_clean.csv
    (the questionnaire was renumbered in places between 2020 and 2022); ``codes`` are the only
    values the question may take.
    """

    variable: str
    columns: dict
    codes: tuple[int, ...]
    label: str
    notes: str
    comparable_over_time: bool = True


_CODING = (
    "Codes as in the World Bank GovTech dataset (higher = more mature; 0 = none). "
    "Placeholders '-' and 'New' (question not asked that year) are missing. "
)

#: Question codes mapped by comparing the 2020 values with the labelled UNDP conversion of the
#: GTMI 2020 dataset (Egov_strategy.csv): each pair below is one-to-one for all 191 economies
#: there (see `crosscheck_gtmi_2020`), and the 2022 sub-item texts were read to confirm meaning.
INDICATORS = (
    Indicator(
        "gtmi_gov_cloud",
        {2020: "I-1", 2022: "I-1"},
        (0, 1, 2),
        "Government cloud (GTMI I-1: 0 none, 1 partial, 2 operational)",
        _CODING + "I-1 'Government Cloud': 0 = no government cloud, 1 = under development "
        "or partial, 2 = operational shared government cloud. 2020 labelled `GCL`.",
    ),
    Indicator(
        "gtmi_service_bus",
        {2020: "I-4", 2022: "I-4"},
        (0, 1, 2, 3),
        "Government service bus / interoperability platform (GTMI I-4, 0-3)",
        _CODING + "I-4 'Government Service Bus (GSB) / interoperability platform' "
        "(2020 label `GSB`, platform names in `Interop Platform`, e.g. X-Road): 0 = none, "
        "1 = partial, 2 = operational; 3 is used by 4 economies in 2020 only (most "
        "advanced). The 2022 sub-items name data-exchange platforms.",
    ),
    Indicator(
        "gtmi_national_id",
        {2020: "I-40", 2022: "I-40"},
        (0, 1),
        "National ID system (GTMI I-40, 0/1)",
        _CODING + "I-40 'National ID' (2020 label `Nat ID`): 1 = a national ID system "
        "exists, 0 = none.",
    ),
    Indicator(
        "gtmi_eid",
        {2020: "I-41", 2022: "I-41"},
        (0, 1),
        "e-ID or digitised national ID records (GTMI I-41, 0/1)",
        _CODING + "I-41, labelled `e-ID` in the 2020 dataset (1 = an electronic/digital ID "
        "exists, 0 = none). The World Bank gtmiR team's code book labels the 2022 question "
        "'National ID digitized records' and its 2025 reuse of the number a different question "
        "(WB-PIDA-Data-Science-Shop/gtmiR, raw-data/2.gtmi_indicators_logic.R), and the 2022 "
        "item 'Digital ID for online service access' (I-26) is empty in this file: read the item "
        "as 'a digital or digitised national ID', not as an e-ID for online services.",
    ),
    Indicator(
        "gtmi_digital_signature",
        {2020: "I-42", 2022: "I-42"},
        (0, 1, 2, 3),
        "Digital signature regulation and PKI (GTMI I-42, 0-3)",
        _CODING + "I-42 'Is there a digital signature regulation and PKI to support service "
        "delivery?' (2020 label `dSign` / `Dsign Sta` in the UNDP copy, with the instrument's "
        "URL and year): 0 = none, 1-3 = in place, higher = more mature. The data mirror holds no "
        "code book for codes 1-3; in the 2020 evidence URLs, code 1 mostly cites an "
        "electronic-transactions or signature law, code 2 a certification authority and code 3 "
        "a signature or PKI service used online (a reading of the URLs, not the World Bank's "
        "definition).",
    ),
    Indicator(
        "gtmi_digital_skills_strategy",
        {2020: "I-45", 2022: "I-45"},
        (0, 1, 2),
        "Digital-skills strategy (GTMI I-45)",
        _CODING + "I-45 'national strategy for digital skills' (2020 label `DSSt`, strategy "
        "name in I-45.1). 2020 is coded 0/1 (no/yes); 2022 is coded 0/1/2 (none, "
        "partial, comprehensive), so the scales differ between editions.",
        comparable_over_time=False,
    ),
    Indicator(
        "gtmi_digital_skills_programme",
        {2020: "I-46", 2022: "I-45.5"},
        (0, 1),
        "Digital-skills programme (GTMI 2020 I-46 / 2022 I-45.5, 0/1)",
        _CODING + "Whether a digital-skills programme exists (1) or not (0). 2020: I-46, "
        "the 'digital skills initiative' programme (UNDP label `DSI`, programme name in "
        "`DSI Prg Name`, e.g. 'IT Academy Program'). 2022: I-46 became the public-sector "
        "innovation strategy, and the programme question is I-45.5 (programme URL in "
        "I-45.5.2). Different questions in the two editions.",
        comparable_over_time=False,
    ),
    Indicator(
        "gtmi_dt_strategy",
        {2020: "I-35", 2022: "I-35"},
        (0, 1, 2, 3),
        "Digital government / transformation strategy (GTMI I-35, 0-3)",
        _CODING + "I-35 'digital government (GovTech) strategy' (2020 label `DG St`, "
        "strategy URL in I-35.1): 0 = none, 1-3 = strategy in place, higher = more "
        "comprehensive / whole-of-government. Differs from the UNDP 2020 copy for 8 "
        "economies (the World Bank revised 2020 answers).",
    ),
)

#: Keys of gtmiwide_clean.csv. Only these and the question columns are parsed: respondents'
#: names, organisations, positions, free-text clarifications and attachments never leave the parser.
WIDE_KEYS = ["year", "country_code"]
#: Columns of gtmiwide_clean.csv that carry personal data or free text; never read.
PERSONAL_COLUMNS = (
    "Submitted by",
    "Organization",
    "Position",
    "Additional clarification",
    "Supporting documents",
    *(f"Attach-{i}" for i in range(1, 11)),
)
WIDE_PLACEHOLDERS = ("-", "New")


def _wide_columns(extra: list[str]) -> list[str]:
    cols = [*WIDE_KEYS, *extra]
    leak = set(cols) & set(PERSONAL_COLUMNS)
    if leak:  # a guard against a future edit of the column lists
        raise DataError(
            None,
            f"gtmi reader asks for personal-data column(s) {sorted(leak)}",
            "never read respondents' names or free text (egovlib/readers/gtmi.py)",
        )
    return cols


def read_gtmiwide(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read ``year``, ``country_code`` and the given columns of gtmiwide_clean.csv, as text.

    Reads with ``usecols`` so that personal-data columns are never loaded; raises naming any
    expected column that is absent. The index is the file's line number.
    """
    cols = _wide_columns(columns)
    raw = read_text_csv(path, usecols=lambda c: c in cols)
    df = rename_columns(raw, {c: c for c in cols}, path)
    df.index = df.index + 2
    return df


def parse_gtmi_indicators(src, path: Path) -> pd.DataFrame:
    """Parse the GTMI question-level file into the `schemas.LONG` layout (see `INDICATORS`)."""
    needed = sorted({c for ind in INDICATORS for c in ind.columns.values()})
    df = read_gtmiwide(path, needed)
    df = numeric(df, ["year"], path, row_offset=0)
    df["year"] = df["year"].astype(int)
    _check_years(df, src, path)
    unknown = sorted(set(df["year"]) - {y for ind in INDICATORS for y in ind.columns})
    if unknown:
        raise DataError(
            path,
            f"edition(s) {unknown} have no question-code mapping",
            "add the edition's question codes to INDICATORS in egovlib/readers/gtmi.py",
        )
    df = numeric(df, needed, path, row_offset=0, na_values=WIDE_PLACEHOLDERS)
    df["iso3"] = _iso3(df["country_code"], df.index, path, "country_code")
    parts = []
    for ind in INDICATORS:
        for year, col in ind.columns.items():
            rows = df.loc[df["year"] == year, ["iso3", "year", col]]
            bad = rows[col].notna() & ~rows[col].isin(ind.codes)
            if bad.any():
                lines = list(rows.index[bad][:5])
                raise DataError(
                    path,
                    f"column `{col}` ({ind.variable}, {year}) holds "
                    f"{sorted(rows.loc[bad, col].unique())} on line(s) {lines}; "
                    f"allowed codes are {list(ind.codes)}",
                    "restore the file, or update the codes of this question in "
                    "INDICATORS (egovlib/readers/gtmi.py)",
                )
            parts.append(rows.rename(columns={col: "value"}).assign(variable=ind.variable))
    out = pd.concat(parts)
    out = check_duplicates(out, ["iso3", "year", "variable"], path, ["value"])
    out = out.dropna(subset=["value"]).assign(source=src.id)
    return out[["iso3", "year", "variable", "value", "source"]].reset_index(drop=True)


@register(
    "gtmi_indicators",
    LONG,
    "World Bank GTMI 2020/2022 questions: government cloud, service bus, national ID, e-ID, "
    "digital signature and PKI, digital-skills strategy and programme, digital-government "
    "strategy",
    variables=tuple(
        Variable(
            i.variable,
            i.label,
            "GTMI code",
            "govtech",
            comparable_over_time=i.comparable_over_time,
            notes=i.notes,
        )
        for i in INDICATORS
    ),
)
def read_gtmi_indicators(files):
    """GTMI question-level answers (`INDICATORS`) of 2020 and 2022 -> long table."""
    return pd.concat([parse_gtmi_indicators(src, path) for src, path in files], ignore_index=True)


#: gtmiwide_clean.csv score columns -> names used in groups_data.xlsx
WIDE_SCORES = {
    "Grp": "grp",
    "GTMI": "gtmi",
    "CGSI": "gtmi_cgsi",
    "PSDI": "gtmi_psdi",
    "DCEI": "gtmi_dcei",
    "GTEI": "gtmi_gtei",
}


def crosscheck_gtmi_scores() -> pd.DataFrame:
    """Compare the group scores inside gtmiwide_clean.csv with the `gtmi_groups` table.

    Returns
    -------
    pandas.DataFrame
        One row per edition in both files: ``year, economies, max_abs_diff, group_mismatches``.
    """
    path = verified_path(load_catalogue()["gtmi_indicators"])
    wide = read_gtmiwide(path, list(WIDE_SCORES)).rename(columns=WIDE_SCORES)
    wide = numeric(wide, ["year", *GROUP_SCORES], path, row_offset=0, na_values=WIDE_PLACEHOLDERS)
    wide["year"] = wide["year"].astype(int)
    wide["iso3"] = _iso3(wide["country_code"], wide.index, path, "country_code")
    wide["gtmi_group"] = wide["grp"].map(GROUP_POINTS)
    groups = load_table("gtmi_groups").pivot_table(
        index=["iso3", "year"], columns="variable", values="value"
    )
    both = wide.merge(
        groups.add_suffix("_g"), left_on=["iso3", "year"], right_index=True, how="inner"
    ).set_index(["iso3", "year"])
    rows = []
    for year, part in both.groupby(level="year"):
        diff = np.nanmax([(part[c] - part[f"{c}_g"]).abs().max() for c in GROUP_SCORES])
        rows.append(
            {
                "year": int(year),
                "economies": len(part),
                "max_abs_diff": float(diff),
                "group_mismatches": int((part["gtmi_group"] != part["gtmi_group_g"]).sum()),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ GTMI 2020, UNDP conversion

#: Egov_strategy.csv (UNDP conversion of the GTMI 2020 dataset) label -> gtmiwide question code.
#: The file is not a reader input: every GTMI indicator in it is also in gtmiwide_clean.csv,
#: where it is coded 0/1/2 instead of as scoring weights (e.g. GCL -0.03/0.01/0.05).
UNDP_2020_LABELS = {
    "GCL": "I-1",
    "GSB": "I-4",
    "NatID": "I-40",
    "e-ID": "I-41",
    "DSSt": "I-45",
    "DSI": "I-46",
    "DG St": "I-35",
    "WoG": "I-36",
    "DT": "I-17",
    "PSI": "I-47",
    "dSign": "I-42",
    "GCL Yr": "I-1.3",
}
UNDP_2020_FIELDS = 332


def parse_undp_gtmi_2020(path: Path) -> pd.DataFrame:
    """Parse Egov_strategy.csv: economy rows only, with the records split by line breaks rejoined.

    Records end with CRLF; seven records (AUT BFA CRI ETH HND LSO TJK) hold a bare line feed
    inside an unquoted cell, which splits them in two. Splitting on CRLF only and turning the bare
    line feed into a space restores them; every record must then have the header's field count.
    The legend block after the last economy (rows with an empty ``Code``) is dropped.
    """
    text = path.read_bytes().decode("utf-8")
    records = [r.replace("\n", " ") for r in text.split("\r\n")]
    df = read_csv(io.StringIO("\n".join(records)), file=path, dtype=str, keep_default_na=False)
    if df.shape[1] != UNDP_2020_FIELDS:
        raise DataError(
            path,
            f"{df.shape[1]} columns after rejoining records, expected {UNDP_2020_FIELDS}",
            "restore the file from the data mirror",
        )
    df.index = df.index + 2
    code = df["Code"].str.strip()
    economies = code.str.fullmatch(r"[A-Z]{3}")
    stray = ~economies & (code != "")
    if stray.any():
        raise DataError(
            path,
            f"malformed `Code` on line(s) {list(df.index[stray][:5])}: "
            f"{code[stray].head(5).tolist()}",
            "a record is still split across lines; restore the file",
        )
    return df.loc[economies, ["Code", "Economy", *UNDP_2020_LABELS]].copy()


def crosscheck_gtmi_2020() -> pd.DataFrame:
    """Compare the UNDP GTMI 2020 file with the 2020 answers in gtmiwide_clean.csv.

    Returns
    -------
    pandas.DataFrame
        One row per UNDP label: ``label, question, economies, undp_levels, question_levels,
        agree``; ``agree`` is the share of economies whose question code is the one most often
        paired with their UNDP value (1.0 = the UNDP column is a relabelling of the question;
        below 1 where the World Bank later revised a 2020 answer).
    """
    cat = load_catalogue()
    undp_path = verified_path(cat["gtmi_2020_strategy"])
    undp = parse_undp_gtmi_2020(undp_path)
    undp["iso3"] = _iso3(undp["Code"], undp.index, undp_path, "Code")
    wide_path = verified_path(cat["gtmi_indicators"])
    wide = read_gtmiwide(wide_path, sorted(set(UNDP_2020_LABELS.values())))
    wide = wide[wide["year"] == "2020"]
    wide["iso3"] = _iso3(wide["country_code"], wide.index, wide_path, "country_code")
    both = undp.merge(wide, on="iso3", how="inner")
    rows = []
    for label, q in UNDP_2020_LABELS.items():
        modal = both.groupby(label)[q].agg(lambda s: s.value_counts().index[0])
        rows.append(
            {
                "label": label,
                "question": q,
                "economies": len(both),
                "undp_levels": both[label].nunique(),
                "question_levels": both[q].nunique(),
                "agree": float((both[label].map(modal) == both[q]).mean()),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- helpers


def _check_years(df: pd.DataFrame, src, path: Path) -> None:
    """The file's years must be exactly the catalogue's ``years:`` list (a list is exact)."""
    found, listed = sorted(set(df["year"])), sorted(src.years)
    if found != listed:
        raise DataError(
            path,
            f"file holds years {found}; the catalogue says {listed}",
            f"make `years:` of `{src.id}` in data/sources.yml match the file",
        )


def _iso3(codes: pd.Series, lines: pd.Index, path, column: str) -> np.ndarray:
    """World Bank codes -> ISO3 (legacy codes via country_overrides.yml); malformed codes raise."""
    iso3 = harmonise_codes(codes, file=str(path), column=column)
    bad = ~iso3.str.fullmatch(r"[A-Z]{3}")
    if bad.any():
        where = [int(lines[i]) for i in np.flatnonzero(bad.to_numpy())[:5]]
        raise DataError(
            path,
            f"malformed country code(s) in `{column}` on line(s) {where}: "
            f"{iso3[bad].head(5).tolist()}",
            "correct the code, or map a legacy code under `codes:` in "
            "egovlib/country_overrides.yml",
        )
    return iso3.to_numpy()
