"""AI-readiness readers: Oxford Insights GAIRI 2019-2024, IMF AI Preparedness Index, Tortoise."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..countries import harmonise_codes, to_iso3
from ..errors import DataError
from ..schemas import LONG
from ..sources import files_for_reader, verified_path
from .parsing import (
    check_duplicates,
    numeric,
    read_excel,
    read_text_csv,
    rename_columns,
    wide_to_long,
)
from .registry import Variable, load_table, register

log = logging.getLogger(__name__)

# -------------------------------------------------------------------------------- Oxford GAIRI

#: Detail sheet (full precision) and ranking sheet of the 2020-2024 workbooks; names vary by year.
GAIRI_DETAIL_SHEETS = (
    "Detailed scores",
    "Pillar & dimension scores",
    "Scores per pillar and dimension",
)
GAIRI_RANKING_SHEETS = ("Global ranking", "Global rankings", "Ranking")
#: The total column is named differently in each edition.
GAIRI_TOTAL_COLUMNS = ("Overall score", "Total score", "Total")
GAIRI_PILLARS = {
    "Government": "gairi_government",
    "Technology Sector": "gairi_technology",
    "Data and Infrastructure": "gairi_data_infra",
}
#: Dimensions; `Size` (2020-21) was replaced by `Maturity` (2022-24) and is kept separate.
GAIRI_DIMENSIONS = {
    "Vision": "gairi_dim_vision",
    "Governance and Ethics": "gairi_dim_governance_ethics",
    "Digital Capacity": "gairi_dim_digital_capacity",
    "Adaptability": "gairi_dim_adaptability",
    "Innovation Capacity": "gairi_dim_innovation_capacity",
    "Human Capital": "gairi_dim_human_capital",
    "Infrastructure": "gairi_dim_infrastructure",
    "Data Availability": "gairi_dim_data_availability",
    "Data Representativeness": "gairi_dim_data_representativeness",
}
GAIRI_TECH_DIMENSIONS = {"Size": "gairi_dim_size", "Maturity": "gairi_dim_maturity"}

_GAIRI_NOTE = (
    "Oxford Insights Government AI Readiness Index (0-100). Oxford warns that scores "
    "are not comparable year to year (indicators, sources and coverage change: 172, "
    "160, 181, 193, 188 countries in 2020-2024); compare ranks or within-year z-scores. "
    "'N/A' cells are missing (pillars are then means of the available dimensions)."
)


_GAIRI_OSI = (
    " The Digital Capacity dimension (Government pillar) includes the UN E-Government "
    "Online Service Index among its indicators (2023 indicator sheet), so this variable "
    "is partly built from an EGDI input."
)


#: Composite -> components (Oxford's construction: total = mean of the three pillars, each pillar
#: = mean of its dimensions; checked in PROVENANCE 10.1). Used by the models' aggregate guard.
GAIRI_COMPONENTS = {
    "gairi_government": (
        "gairi_dim_vision",
        "gairi_dim_governance_ethics",
        "gairi_dim_digital_capacity",
        "gairi_dim_adaptability",
    ),
    "gairi_technology": (
        "gairi_dim_size",
        "gairi_dim_maturity",
        "gairi_dim_innovation_capacity",
        "gairi_dim_human_capital",
    ),
    "gairi_data_infra": (
        "gairi_dim_infrastructure",
        "gairi_dim_data_availability",
        "gairi_dim_data_representativeness",
    ),
}
GAIRI_COMPONENTS["gairi_total"] = tuple(GAIRI_COMPONENTS)


def _gairi_var(name: str, label: str, extra: str = "") -> Variable:
    return Variable(
        name,
        label,
        "score 0-100",
        "ai",
        comparable_over_time=False,
        notes=_GAIRI_NOTE + extra,
        components=GAIRI_COMPONENTS.get(name, ()),
    )


GAIRI_VARIABLES = (
    _gairi_var("gairi_total", "Government AI Readiness Index (Oxford Insights)", _GAIRI_OSI),
    _gairi_var("gairi_government", "GAIRI pillar: Government", _GAIRI_OSI),
    _gairi_var("gairi_technology", "GAIRI pillar: Technology sector"),
    _gairi_var(
        "gairi_data_infra",
        "GAIRI pillar: Data and infrastructure",
        " The Infrastructure dimension includes telecom infrastructure (close to the TII).",
    ),
    *(
        _gairi_var(v, f"GAIRI dimension: {k}")
        for k, v in GAIRI_DIMENSIONS.items()
        if k != "Digital Capacity"
    ),
    Variable(
        "gairi_dim_digital_capacity",
        "GAIRI dimension: Digital Capacity",
        "score 0-100",
        "ai",
        inputs_of=("osi", "egdi"),
        comparable_over_time=False,
        notes=_GAIRI_NOTE + _GAIRI_OSI,
    ),
    _gairi_var(
        "gairi_dim_size",
        "GAIRI dimension: Size of the technology sector (2020-21)",
        " Only 2020-2021; replaced by Maturity from 2022.",
    ),
    _gairi_var(
        "gairi_dim_maturity",
        "GAIRI dimension: Maturity of the technology sector (2022-24)",
        " Only 2022-2024; replaces Size.",
    ),
    Variable(
        "gairi2019_score",
        "Government AI Readiness Index 2019 (old framework)",
        "score 0-10",
        "ai",
        comparable_over_time=False,
        notes="Oxford Insights 2019 ('2018/19') edition: a different index (0-10 scale, 4 "
        "clusters, 11 indicators, 194 countries); not comparable with gairi_total. "
        "Two of its indicators are UN E-Government Survey 2018 values (EGDI-based data "
        "capability, OSI-based digital public services).",
    ),
)


def _drop_blank_rows(df: pd.DataFrame, path: Path, sheet: str) -> pd.DataFrame:
    """Drop rows without a country name; a nameless row that holds numbers raises."""
    name = df["country"].astype("string").str.strip()
    blank = name.isna() | (name == "")
    stray = blank & df.drop(columns="country").notna().any(axis=1)
    if stray.any():
        raise DataError(
            path,
            f"sheet {sheet!r}: values without a country name on row(s) {list(df.index[stray][:5])}",
            "restore the workbook from the data mirror",
        )
    return df.loc[~blank].assign(country=name[~blank])


def _one_of(columns, candidates: tuple[str, ...], path: Path, what: str) -> str:
    found = [c for c in candidates if c in columns]
    if len(found) != 1:
        raise DataError(
            path,
            f"expected exactly one {what} column among {list(candidates)}; "
            f"found {found} in {list(columns)}",
            "restore the workbook, or add the new column name to egovlib/readers/ai.py",
        )
    return found[0]


def _sheet(path: Path, candidates: tuple[str, ...], what: str) -> str:
    import openpyxl

    try:
        names = openpyxl.load_workbook(path, read_only=True).sheetnames
    except Exception as exc:
        raise DataError(
            path, f"cannot open the workbook ({exc})", "restore the workbook from the data mirror"
        ) from exc
    return _one_of(names, candidates, path, f"{what} sheet")


def parse_gairi_detail(src, path: Path) -> pd.DataFrame:
    """Parse one 2020-2024 GAIRI workbook's full-precision detail sheet (wide, one row a country).

    Returns columns ``iso3, year, country`` and the ``gairi_*`` variables of that edition.
    """
    sheet = _sheet(path, GAIRI_DETAIL_SHEETS, "detail")
    raw = read_excel(path, sheet_name=sheet, header=1)
    raw.columns = [str(c).strip() for c in raw.columns]
    total = _one_of(raw.columns, GAIRI_TOTAL_COLUMNS, path, "total")
    tech = _one_of(raw.columns, tuple(GAIRI_TECH_DIMENSIONS), path, "Size/Maturity dimension")
    mapping = {
        "Country": "country",
        total: "gairi_total",
        **GAIRI_PILLARS,
        **GAIRI_DIMENSIONS,
        tech: GAIRI_TECH_DIMENSIONS[tech],
    }
    # Convert under the workbook's own column names so that errors name the cell the user sees.
    df = rename_columns(raw, {c: c for c in mapping}, path).rename(columns={"Country": "country"})
    df.index = df.index + 3  # spreadsheet rows: two header rows
    df = _drop_blank_rows(df, path, sheet)
    df = numeric(
        df, [c for c in mapping if c != "Country"], path, row_offset=0, na_values=("N/A",)
    ).rename(columns=mapping)
    values = [c for c in df.columns if c != "country"]
    df["year"] = _single_year(src, path)
    where = f"{path} (sheet {sheet!r})"
    df["iso3"] = to_iso3(df["country"], file=where, column="Country").to_numpy()
    return check_duplicates(df, ["iso3", "year"], path, values)


def parse_gairi_2019(src, path: Path) -> pd.DataFrame:
    """Parse the 2019 workbook's `Data` sheet: country and ``INDEX SCORE`` (0-10, full precision).

    Country rows follow the ``Max Score`` row; the column is found by its header, not position.
    """
    raw = read_excel(path, sheet_name="Data", header=None)
    header = raw.iloc[0].astype("string").str.strip()
    score_cols = list(raw.columns[(header == "INDEX SCORE").fillna(False).to_numpy()])
    first = raw.index[raw[0].astype("string").str.strip() == "Max Score"]
    if len(score_cols) != 1 or len(first) != 1:
        raise DataError(
            path,
            "sheet 'Data': cannot find one `INDEX SCORE` column in row 1 and one "
            "`Max Score` row in column A",
            "restore the workbook from the data mirror",
        )
    df = raw.loc[first[0] + 1 :, [0, score_cols[0]]].set_axis(
        ["country", "gairi2019_score"], axis=1
    )
    df.index = df.index + 1  # spreadsheet row numbers
    df = _drop_blank_rows(df, path, "Data")
    df = numeric(df, ["gairi2019_score"], path, row_offset=0)
    df["year"] = _single_year(src, path)
    df["iso3"] = to_iso3(df["country"], file=f"{path} (sheet 'Data')", column="A").to_numpy()
    return check_duplicates(df, ["iso3", "year"], path, ["gairi2019_score"])


def parse_gairi(src, path: Path) -> pd.DataFrame:
    """Wide table of one GAIRI workbook: the 2019 layout or the 2020-2024 layout, by edition."""
    return (
        parse_gairi_2019(src, path)
        if _single_year(src, path) == 2019
        else parse_gairi_detail(src, path)
    )


@register(
    "oxford_gairi",
    LONG,
    "Oxford Insights Government AI Readiness Index 2019 (0-10) and 2020-2024 (0-100): "
    "total, pillars, dimensions",
    variables=GAIRI_VARIABLES,
)
def read_oxford_gairi(files):
    """Every GAIRI workbook (2019 layout or 2020-2024 detail sheet) -> long table."""
    parts = []
    for src, path in files:
        wide = parse_gairi(src, path)
        values = [c for c in wide.columns if c.startswith("gairi")]
        log.info("%s: %d countries", path.name, len(wide))
        parts.append(wide_to_long(wide, values, src.id))
    return pd.concat(parts, ignore_index=True)


def read_gairi_ranking(src, path: Path) -> pd.DataFrame:
    """The ranking sheet of one GAIRI workbook: ``iso3, year, rank, score`` (blank rows dropped).

    2020's ranking scores are rounded to 3 decimals; the 2019 sheet carries an ``AVERAGE`` row
    (dropped) and regional side tables (ignored).
    """
    year = _single_year(src, path)
    if year == 2019:
        raw = read_excel(path, sheet_name="Rankings", header=1, usecols="A:C")
        sheet = "Rankings"
    else:
        sheet = _sheet(path, GAIRI_RANKING_SHEETS, "ranking")
        raw = read_excel(path, sheet_name=sheet, usecols="A:C")
    df = raw.set_axis(["rank", "country", "score"], axis=1)
    df = _drop_blank_rows(df, path, sheet)
    df = df[df["country"].str.upper() != "AVERAGE"]
    df = numeric(df, ["rank", "score"], path)
    where = f"{path} (sheet {sheet!r})"
    df["iso3"] = to_iso3(df["country"], file=where, column="Country").to_numpy()
    return df.assign(year=year)[["iso3", "year", "rank", "score"]]


def crosscheck_gairi_rankings() -> pd.DataFrame:
    """Compare each GAIRI ranking sheet with the totals read from the detail sheets.

    Returns
    -------
    pandas.DataFrame
        One row per edition: ``year, ranked, detailed, only_in_one, max_abs_diff``.
    """
    table = load_table("oxford_gairi")
    total = table[table["variable"].isin(["gairi_total", "gairi2019_score"])]
    rows = []
    for src in files_for_reader("oxford_gairi"):
        rank = read_gairi_ranking(src, verified_path(src))
        year = int(rank["year"].iloc[0])
        det = total[total["year"] == year].set_index("iso3")["value"]
        both = rank.set_index("iso3").join(det, how="outer")
        rows.append(
            {
                "year": year,
                "ranked": len(rank),
                "detailed": len(det),
                "only_in_one": int(both[["score", "value"]].isna().any(axis=1).sum()),
                "max_abs_diff": float((both["score"] - both["value"]).abs().max()),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- IMF AIPI

AIPI_COLUMNS = {
    "Country": "country",
    "iso3": "code",
    "AIPI": "aipi",
    "Digitial Infrastructure": "aipi_digital_infra",  # sic, as published
    "Innovation and Economic Integration": "aipi_innovation",
    "Human Capital and Labor Market Policies": "aipi_human_capital",
    "Regulation and Ethics": "aipi_regulation",
}
_AIPI_NOTE = (
    "IMF AI Preparedness Index 2023 (Cazzaniga et al. 2024, SDN/2024/001), 174 "
    "countries, one cross-section. The AIPI is the sum of its four components."
)
AIPI_VARIABLES = (
    Variable(
        "aipi",
        "IMF AI Preparedness Index (AIPI)",
        "index 0-1",
        "ai",
        notes=_AIPI_NOTE,
        components=tuple(v for v in AIPI_COLUMNS.values() if v.startswith("aipi_")),
    ),
    Variable(
        "aipi_digital_infra",
        "AIPI: digital infrastructure",
        "index points",
        "ai",
        inputs_of=("tii", "egdi"),
        notes=_AIPI_NOTE + " Built partly on ICT-access indicators close to the TII.",
    ),
    Variable(
        "aipi_innovation",
        "AIPI: innovation and economic integration",
        "index points",
        "ai",
        notes=_AIPI_NOTE,
    ),
    Variable(
        "aipi_human_capital",
        "AIPI: human capital and labour-market policies",
        "index points",
        "ai",
        notes=_AIPI_NOTE,
    ),
    Variable(
        "aipi_regulation", "AIPI: regulation and ethics", "index points", "ai", notes=_AIPI_NOTE
    ),
)


@register(
    "imf_aipi",
    LONG,
    "IMF AI Preparedness Index 2023: AIPI and its four components",
    variables=AIPI_VARIABLES,
)
def read_imf_aipi(files):
    """The IMF AIPI sheet (two header rows) -> AIPI and its four components, long."""
    parts = []
    for src, path in files:
        # Two header rows: "Components of AIPI" above the column names.
        raw = read_excel(path, sheet_name="AIPI", header=1)
        df = rename_columns(raw, {c: c for c in AIPI_COLUMNS}, path).rename(
            columns={"Country": "country"}
        )
        df.index = df.index + 3
        df = _drop_blank_rows(df, path, "AIPI")
        scores = [c for c, v in AIPI_COLUMNS.items() if v.startswith("aipi")]
        df = numeric(df, scores, path, row_offset=0).rename(columns=AIPI_COLUMNS)
        values = [AIPI_COLUMNS[c] for c in scores]
        df["iso3"] = harmonise_codes(df["code"], file=str(path), column="iso3").to_numpy()
        bad = ~df["iso3"].str.fullmatch(r"[A-Z]{3}")
        if bad.any():
            raise DataError(
                path,
                f"malformed `iso3` on row(s) {list(df.index[bad][:5])}",
                "correct the code or restore the workbook",
            )
        df["year"] = _single_year(src, path)
        df = check_duplicates(df, ["iso3", "year"], path, values)
        parts.append(wide_to_long(df, values, src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------- Tortoise Media

TORTOISE_COLUMNS = {
    "Country": "country",
    "Total score": "tortoise_total",
    "Talent": "tortoise_talent",
    "Infrastructure": "tortoise_infrastructure",
    "Operating Environment": "tortoise_operating_environment",
    "Research": "tortoise_research",
    "Development": "tortoise_development",
    "Government Strategy": "tortoise_government_strategy",
    "Commercial": "tortoise_commercial",
}
_TORTOISE_NOTE = (
    "Tortoise Media Global AI Index, Kaggle copy (62 countries; Oman and Kuwait "
    "absent). The file states no year: the edition is believed to be December 2021 "
    "(the ranking order matches it) and is recorded as 2021 - treat the year as "
    "uncertain. Scores 0-100 relative to the leader (USA = 100)."
)
TORTOISE_VARIABLES = (
    Variable(
        "tortoise_total",
        "Tortoise Global AI Index: total score",
        "score 0-100",
        "ai",
        notes=_TORTOISE_NOTE,
        components=tuple(
            v for k, v in TORTOISE_COLUMNS.items() if k not in ("Country", "Total score")
        ),
    ),
    *(
        Variable(
            v, f"Tortoise Global AI Index pillar: {k}", "score 0-100", "ai", notes=_TORTOISE_NOTE
        )
        for k, v in TORTOISE_COLUMNS.items()
        if k not in ("Country", "Total score")
    ),
)


@register(
    "tortoise_ai",
    LONG,
    "Tortoise Media Global AI Index (edition believed 2021): total and 7 pillars",
    variables=TORTOISE_VARIABLES,
)
def read_tortoise_ai(files):
    """The Tortoise Global AI Index CSV -> total and seven pillars, long (country names mapped)."""
    parts = []
    for src, path in files:
        # Region/Cluster/Income group/Political regime were added by the Kaggle author: not read.
        raw = read_text_csv(path, usecols=lambda c: c in TORTOISE_COLUMNS)
        df = rename_columns(raw, {c: c for c in TORTOISE_COLUMNS}, path).rename(
            columns={"Country": "country"}
        )
        df = _drop_blank_rows(df, path, "csv")
        scores = [c for c in TORTOISE_COLUMNS if c != "Country"]
        df = numeric(df, scores, path).rename(columns=TORTOISE_COLUMNS)
        values = [TORTOISE_COLUMNS[c] for c in scores]
        df["iso3"] = to_iso3(df["country"], file=str(path), column="Country").to_numpy()
        df["year"] = _single_year(src, path)
        df = check_duplicates(df, ["iso3", "year"], path, values)
        parts.append(wide_to_long(df, values, src.id))
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------------------- helpers


def _single_year(src, path: Path) -> int:
    if len(src.years) != 1:
        raise DataError(
            path,
            f"catalogue entry `{src.id}` lists years {list(src.years)}; this "
            "file is one cross-section",
            f"give `{src.id}` exactly one year under `years:` in data/sources.yml",
        )
    return int(src.years[0])
