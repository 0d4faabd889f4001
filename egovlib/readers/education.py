"""Education and skills readers: UNDP HDR, OWID literacy/tertiary/spending, UNESCO UIS, Coursera."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from ..countries import OVERRIDES_PATH, country_table, harmonise_codes, normalise_name, to_iso3
from ..errors import CountryNotMapped, DataError
from ..schemas import LONG, PlausibleRange
from .parsing import check_duplicates, numeric, read_excel, read_text_csv, rename_columns
from .registry import Variable, register

log = logging.getLogger(__name__)

#: Real economies that are not in the country table (so cannot be checked against it) but are not
#: aggregates either; they stay in the tables (outside the UN 193, so outside the EGDI panel).
NON_TABLE_ECONOMIES = {"ANT": "Netherlands Antilles (dissolved 2010)", "ASC": "Ascension"}

LONG_COLUMNS = ["iso3", "year", "variable", "value", "source"]


# ------------------------------------------------------------------------------ shared helpers
def economy_codes() -> set[str]:
    """ISO3 codes of economies, plus `NON_TABLE_ECONOMIES`.

    Economies are the country-table rows with a UN region or a World Bank income group (the
    table could hold aggregates, e.g. WLD, ARB, which have neither).
    """
    t = country_table()
    return set(t.index[t["region"].notna() | t["income_group"].notna()]) | set(NON_TABLE_ECONOMIES)


def keep_economies(
    df: pd.DataFrame, path: Path, *, is_aggregate: pd.Series, rule: str
) -> pd.DataFrame:
    """Drop the aggregate rows; every other code must be an economy, else a `DataError`.

    Aggregates are the rows flagged ``is_aggregate``, by the stated ``rule``; every other code
    must be an economy of the country table (or `NON_TABLE_ECONOMIES`).

    Parameters
    ----------
    df : DataFrame
        With an ``iso3`` column already passed through `harmonise_codes`.
    is_aggregate : Series of bool
        Aligned with ``df``; True for rows that are regions, income groups, World, etc.
    rule : str
        The aggregate rule in words, logged and quoted in errors.
    """
    out = df.loc[~is_aggregate.to_numpy()]
    unknown = sorted(set(out["iso3"]) - economy_codes())
    if unknown:
        raise DataError(
            path,
            f"code(s) {unknown} are not economies of the country table (World Bank aggregate "
            "codes such as WLD count as aggregates), nor aggregates "
            f"under the rule '{rule}'",
            f"map legacy codes to ISO3 under `codes:` in {OVERRIDES_PATH}; if they are aggregates, "
            f"extend the aggregate rule in {__file__}",
        )
    log.info("%s: dropped %d aggregate rows (%s)", path.name, int(is_aggregate.sum()), rule)
    return out


def to_long(df: pd.DataFrame, variable: str, source: str) -> pd.DataFrame:
    """``iso3, year, value`` rows with a value -> the LONG layout for one variable and file."""
    out = df.loc[df["value"].notna(), ["iso3", "year", "value"]].copy()
    out["year"] = out["year"].astype(int)
    return out.assign(variable=variable, source=source)[LONG_COLUMNS]


#: OWID rows exported with a blank ``Code`` that are countries, not aggregates: mapped here.
OWID_BLANK_CODE_ECONOMIES = {"Syrian Arab Republic": "SYR"}
#: Blank-code OWID entities that are not read, and why (neither an aggregate nor mappable).
OWID_BLANK_CODE_SKIPPED = {
    "Micronesia": "OWID region (the country is 'Micronesia (country)', code FSM); one 1980 value",
    "Virgin Islands": "ambiguous (U.S. or British Virgin Islands); one 2005 literacy value",
}


def read_owid_csv(path: Path, value_column: str) -> pd.DataFrame:
    """An OWID grapher export (``Entity, Code, Year, <value>``) -> ``entity, iso3, year, value``.

    Aggregates are dropped by rule: rows with a blank ``Code`` (OWID and World Bank regions,
    income and lending groups) and ``OWID_*`` codes (``OWID_WRL`` = World). ``OWID_KOS`` is Kosovo
    (mapped to ``XKX`` by the override file). Blank-code countries are mapped through
    `OWID_BLANK_CODE_ECONOMIES`; a blank-code entity whose name is a country's and which is in
    neither that map nor `OWID_BLANK_CODE_SKIPPED` raises, so no country is dropped silently.
    Exact duplicate rows are dropped; conflicting ones raise (as in `read_wdi_api_csv`).
    """
    raw = read_text_csv(path)
    if "Year.1" in raw.columns:
        # Export quirk: the header repeats `Year` but the rows have four fields, so the value sits
        # under `Year.1` and the named value column is empty.
        if value_column in raw.columns and raw[value_column].notna().any():
            raise DataError(
                path,
                "header repeats `Year` but the value column is not empty",
                "restore the original OWID export; the layout is not the known one",
            )
        raw = raw.drop(columns=[value_column], errors="ignore").rename(
            columns={"Year.1": value_column}
        )
    df = rename_columns(
        raw, {"Entity": "entity", "Code": "iso3", "Year": "year", value_column: "value"}, path
    )
    df = numeric(df, ["year", "value"], path)
    blank = df["iso3"].isna()
    mapped = blank & df["entity"].isin(OWID_BLANK_CODE_ECONOMIES)
    df.loc[mapped, "iso3"] = df.loc[mapped, "entity"].map(OWID_BLANK_CODE_ECONOMIES)
    skipped = blank & df["entity"].isin(OWID_BLANK_CODE_SKIPPED)
    blank = blank & ~mapped & ~skipped
    economies = economy_codes()
    lost = []
    for name in sorted(set(df.loc[blank, "entity"])):
        try:
            code = to_iso3([name], file=str(path), column="Entity").iloc[0]
        except CountryNotMapped:
            continue  # not a country name: an OWID or World Bank aggregate
        if code in economies:
            lost.append(f"{name} ({code})")
    if lost:
        raise DataError(
            path,
            f"country rows with a blank `Code`: {lost}",
            "map them in OWID_BLANK_CODE_ECONOMIES (or list them in "
            "OWID_BLANK_CODE_SKIPPED) in egovlib/readers/education.py",
        )
    log.info(
        "%s: %d blank-code rows mapped to a country, %d skipped (%s)",
        path.name,
        int(mapped.sum()),
        int(skipped.sum()),
        ", ".join(OWID_BLANK_CODE_SKIPPED),
    )
    df = df.loc[~skipped]
    blank = df["iso3"].isna()
    df.loc[~blank, "iso3"] = harmonise_codes(
        df.loc[~blank, "iso3"], file=str(path), column="Code"
    ).to_numpy()
    is_agg = blank | df["iso3"].fillna("").str.startswith("OWID_")
    df = keep_economies(
        df,
        path,
        is_aggregate=is_agg,
        rule="blank `Code` (regions, income groups) or OWID_* code (World)",
    )
    return check_duplicates(df, ["iso3", "year"], path, ["value"])


def read_wdi_api_csv(path: Path) -> tuple[str, pd.DataFrame]:
    """A WDI API extract -> (indicator code, ``iso3, year, value`` table).

    Columns ``iso3, year, country_name, value, wb_indicator, canonical_name``; one indicator per
    file, aggregates already removed by the extractor.
    """
    raw = read_text_csv(path)
    df = rename_columns(
        raw, {"iso3": "iso3", "year": "year", "value": "value", "wb_indicator": "indicator"}, path
    )
    codes = df["indicator"].dropna().unique()
    if len(codes) != 1:
        raise DataError(
            path,
            f"expected one indicator in `wb_indicator`, found {list(codes)}",
            "restore the file: each WDI extract holds one indicator",
        )
    df = numeric(df, ["year", "value"], path)
    df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="iso3").to_numpy()
    df = keep_economies(
        df,
        path,
        is_aggregate=pd.Series(False, index=df.index),
        rule="none expected: the extractor dropped WDI aggregates",
    )
    df = check_duplicates(df, ["iso3", "year"], path, ["value"])
    return str(codes[0]), df


def is_wdi_api_csv(path: Path) -> bool:
    """True when the file has the header of a WDI API extract (2026 vintage)."""
    with open(path, encoding="utf-8-sig") as fh:
        return fh.readline().strip().startswith("iso3,year,country_name,value,wb_indicator")


# ------------------------------------------------------------------------------ UNDP HDR
HDR_VARIABLES = {
    "eys": "hdr_eys",
    "mys": "hdr_mys",
    "hdi": "hdr_hdi",
    "gnipc": "hdr_gnipc",
    "pop_total": "hdr_pop",
}


@register(
    "undp_hdr",
    LONG,
    "UNDP HDR 2023/24: expected and mean years of schooling, HDI, GNI per capita, population",
    variables=(
        Variable(
            "hdr_eys",
            "Expected years of schooling",
            "years",
            "education",
            ("hci", "egdi"),
            notes="UNDP HDR 2023/24 series (UNESCO UIS based); a UN HCI component.",
        ),
        Variable(
            "hdr_mys",
            "Mean years of schooling",
            "years",
            "education",
            ("hci", "egdi"),
            notes="UNDP HDR 2023/24 series (UNESCO UIS, Barro-Lee); a UN HCI component.",
        ),
        Variable(
            "hdr_hdi",
            "Human Development Index",
            "index 0-1",
            "education",
            ("hci", "egdi"),
            notes="Contains expected and mean years of schooling (HCI components).",
            # the HDI's education and income dimensions (life expectancy is not read)
            components=("hdr_eys", "hdr_mys", "hdr_gnipc"),
        ),
        Variable(
            "hdr_gnipc",
            "GNI per capita (2017 PPP $)",
            "2017 PPP $",
            "income",
            notes="UNDP HDR 2023/24; whole series revised each report: do not mix reports.",
        ),
        Variable(
            "hdr_pop",
            "Population (UNDP HDR)",
            "million people",
            "population",
            notes="UNDP HDR 2023/24 (UN World Population Prospects), 1990-2022: the one "
            "population series in the mirror that covers every survey edition.",
        ),
    ),
)
def read_undp_hdr(files):
    """Wide HDR file (1990-2022) -> long; the 11 aggregate rows (iso3 starting ``ZZ``) dropped."""
    parts = []
    for src, path in files:
        raw = read_text_csv(path)
        if "iso3" not in raw.columns:
            raise DataError(
                path,
                f"no `iso3` column; header starts {list(raw.columns[:5])}",
                "restore the original HDR file (UTF-8 with BOM)",
            )
        raw["iso3"] = harmonise_codes(raw["iso3"], file=str(path), column="iso3").to_numpy()
        raw = keep_economies(
            raw,
            path,
            is_aggregate=raw["iso3"].str.startswith("ZZ"),
            rule="iso3 starting ZZ (HDI groups, UNDP regions, World)",
        )
        for prefix, variable in HDR_VARIABLES.items():
            cols = [c for c in raw.columns if re.fullmatch(rf"{prefix}_\d{{4}}", c)]
            if not cols:
                raise DataError(
                    path,
                    f"no `{prefix}_YYYY` columns found",
                    "restore the original HDR file, or update HDR_VARIABLES",
                )
            wide = numeric(raw[["iso3", *cols]], cols, path)
            long = wide.melt(id_vars="iso3", var_name="year", value_name="value")
            long["year"] = long["year"].str[-4:].astype(int)
            parts.append(to_long(long, variable, src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ OWID literacy
#: Earliest year kept: older values are historical reconstructions (van Zanden et al.) and
#: single old census values, not the UIS series the UN HCI uses (PROVENANCE 10.5).
LITERACY_FIRST_YEAR = 2000
LITERACY_COLUMN = "Historical and more recent literacy estimates"


@register(
    "owid_literacy",
    LONG,
    "Adult literacy rate (OWID, UIS/WDI based), 2000-2022",
    variables=(
        Variable(
            "literacy_rate",
            "Adult literacy rate",
            "% of people 15+",
            "education",
            ("hci", "egdi"),
            notes="OWID newer vintage, years >= 2000 only; mixes sources (no source column); "
            "many high-income countries have one old value. UN HCI component.",
        ),
    ),
)
def read_owid_literacy(files):
    """OWID literacy export -> ``literacy_rate`` for years >= `LITERACY_FIRST_YEAR`."""
    parts = []
    for src, path in files:
        df = read_owid_csv(path, LITERACY_COLUMN)
        df = df[df["year"] >= LITERACY_FIRST_YEAR]
        parts.append(to_long(df, "literacy_rate", src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ tertiary GER
TERTIARY_OWID_COLUMN = "Gross enrolment ratio, tertiary, both sexes (%) (%)"
#: First year taken from the 2026 WDI vintage; earlier years come from the OWID (2020) export.
TERTIARY_NEW_FROM = 2018


@register(
    "tertiary_enrolment",
    LONG,
    "Gross enrolment ratio, tertiary: OWID to 2015, WDI 2026 vintage 2018+",
    variables=(
        Variable(
            "tertiary_ger",
            "Gross enrolment ratio, tertiary",
            "%",
            "education",
            ("hci", "egdi"),
            notes="Spliced: OWID export of SE.TER.ENRR (to 2015) and WDI 2026 vintage "
            "(2018+); no 2016-2017 values; source per value in `source`. "
            "See docs/series_breaks.md. GER enters the UN HCI.",
            # a gross ratio counts enrolled students of any age: it passes 100 (Greece 166)
            valid_range=PlausibleRange(0, 200),
        ),
    ),
)
def read_tertiary(files):
    """OWID tertiary GER for years < `TERTIARY_NEW_FROM`, WDI 2026 vintage from then on."""
    parts = []
    for src, path in files:
        if is_wdi_api_csv(path):
            code, df = read_wdi_api_csv(path)
            if code != "SE.TER.ENRR":
                raise DataError(
                    path,
                    f"expected indicator SE.TER.ENRR, found {code}",
                    "point this catalogue entry at the right reader",
                )
            df = df[df["year"] >= TERTIARY_NEW_FROM]
        else:
            df = read_owid_csv(path, TERTIARY_OWID_COLUMN)
            df = df[df["year"] < TERTIARY_NEW_FROM]
        parts.append(to_long(df, "tertiary_ger", src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ education spending
SPENDING_OWID_COLUMN = "Government expenditure on education, total (% of GDP) (% of GDP)"
UIS_INDICATORS = {
    "Government expenditure on education as a percentage of GDP (%)": "edu_spending_gdp",
    "Expenditure on education as a percentage of total government expenditure (%)": (
        "edu_spending_share_govt"
    ),
}
#: First year taken from the UIS Sept 2023 release; earlier years from the OWID (WDI) export.
SPENDING_NEW_FROM = 2015


def read_uis_finance(path: Path) -> pd.DataFrame:
    """UIS SDG 4 finance extract -> ``iso3, year, variable, value`` for `UIS_INDICATORS`.

    The workbook names countries (no codes); names go through `to_iso3`. Rows whose ``Country``
    is a region name (a value of the ``Region`` column, or ``World``) would be aggregates and are
    dropped by that rule; the Sept 2023 extract has none. Central Asian countries appear under two
    ``Region`` labels with identical values; exact duplicates are dropped.
    """
    raw = read_excel(path, sheet_name="Sheet1", dtype=str)
    df = rename_columns(
        raw,
        {
            "Region": "region",
            "Country": "country",
            "Indicator Name": "indicator",
            "Year": "year",
            "Value": "value",
        },
        path,
    )
    df = df[df["indicator"].isin(UIS_INDICATORS)]
    absent = set(UIS_INDICATORS) - set(df["indicator"])
    if absent:
        raise DataError(
            path,
            f"indicator(s) {sorted(absent)} not in column `Indicator Name`",
            "restore the UIS extract, or update UIS_INDICATORS in egovlib/readers/education.py",
        )
    df = numeric(df, ["year", "value"], path)
    region_names = {normalise_name(r) for r in raw["Region"].dropna()} | {"world"}
    is_agg = df["country"].map(normalise_name).isin(region_names)
    df = df.assign(iso3="")
    df.loc[~is_agg, "iso3"] = to_iso3(
        df.loc[~is_agg, "country"], file=str(path), column="Country"
    ).to_numpy()
    df = keep_economies(
        df, path, is_aggregate=is_agg, rule="`Country` equal to an SDG region name or World"
    )
    df["variable"] = df["indicator"].map(UIS_INDICATORS)
    return check_duplicates(df, ["iso3", "year", "variable"], path, ["value"])


@register(
    "education_spending",
    LONG,
    "Government expenditure on education: OWID (WDI) to 2014, UIS Sept 2023 release 2015-2022",
    variables=(
        Variable(
            "edu_spending_gdp",
            "Government expenditure on education",
            "% of GDP",
            "education",
            notes="Spliced: OWID export of WDI SE.XPD.TOTL.GD.ZS for years <= 2014, UIS SDG 4 "
            "release (Sept 2023) for 2015-2022; source per value in `source`. "
            "See docs/series_breaks.md.",
        ),
        Variable(
            "edu_spending_share_govt",
            "Education expenditure, share of government expenditure",
            "% of government expenditure",
            "education",
            notes="UIS SDG 1.a.2 (Sept 2023 release), 2015-2022. Holy See reported as 0.",
        ),
    ),
)
def read_education_spending(files):
    """OWID spending (% GDP) for years < `SPENDING_NEW_FROM`, UIS from then on (+ UIS share)."""
    parts = []
    for src, path in files:
        if path.suffix.lower() == ".xlsx":
            df = read_uis_finance(path)
            df = df[df["year"] >= SPENDING_NEW_FROM]
            for variable, sub in df.groupby("variable"):
                parts.append(to_long(sub, str(variable), src.id))
        else:
            df = read_owid_csv(path, SPENDING_OWID_COLUMN)
            df = df[df["year"] < SPENDING_NEW_FROM]
            parts.append(to_long(df, "edu_spending_gdp", src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ UIS ICT skills
#: SDG 4.4.1 skill types (UIS series code, both sexes) -> variable name and label.
ICT_SKILLS = {
    "ICTSKILLCOPI": ("ict_skills_copy_file", "Copied or moved a file or folder"),
    "ICTSKILLDUPLIC": ("ict_skills_copy_paste", "Used copy and paste within a document"),
    "ICTSKILLATTACH": ("ict_skills_email_attach", "Sent e-mails with attached files"),
    "ICTSKILLFORMULA": ("ict_skills_formula", "Used basic arithmetic formulae in a spreadsheet"),
    "ICTSKILLCONNEC": ("ict_skills_connect_device", "Connected and installed new devices"),
    "ICTSKILLSOFTWARE": (
        "ict_skills_install_software",
        "Found, downloaded, installed and configured software",
    ),
    "ICTSKILLCREAT": ("ict_skills_presentation", "Created electronic presentations"),
    "ICTSKILLTRANSFERFILE": (
        "ict_skills_transfer_file",
        "Transferred files between a computer and other devices",
    ),
    "ICTSKILLPROGLANG": (
        "ict_skills_programming",
        "Wrote a computer program in a programming language",
    ),
}
#: ``ict_skills_mean`` needs at least this many of the 9 skill types in a country-year.
ICT_MEAN_MIN_SKILLS = 5
_SKILL_NOTE = (
    "UIS SDG 4.4.1, both sexes, 'youth and adults' (the SDG 4.4.1 population aged 15+; "
    "the age band follows each national ICT-use survey and is not stated in the file); "
    "2014-2019."
)


@register(
    "uis_ict_skills",
    LONG,
    "UNESCO UIS SDG 4.4.1: share of youth and adults with 9 ICT skills",
    variables=tuple(
        Variable(
            var, f"ICT skill: {label.lower()}", "% of youth and adults", "skills", notes=_SKILL_NOTE
        )
        for var, label in ICT_SKILLS.values()
    )
    + (
        Variable(
            "ict_skills_mean",
            "ICT skills, mean over skill types",
            "% of youth and adults",
            "skills",
            notes="Unweighted mean of the available SDG 4.4.1 skill types (both sexes) "
            f"for the country-year, missing if fewer than {ICT_MEAN_MIN_SKILLS} of 9 "
            "are reported. Skill sets differ by country (programming is the lowest), so "
            "compare with care. " + _SKILL_NOTE,
            components=tuple(var for var, _ in ICT_SKILLS.values()),
        ),
    ),
)
def read_uis_ict_skills(files):
    """Both-sexes SDG 4.4.1 series -> one variable per skill type, plus their mean."""
    parts = []
    for src, path in files:
        raw = read_text_csv(path)
        df = rename_columns(
            raw, {"SDG_IND": "series", "LOCATION": "iso3", "TIME": "year", "Value": "value"}, path
        )
        by_sex = {f"{c}_{s}" for c in ICT_SKILLS for s in ("F", "M")}
        unknown = sorted(set(df["series"]) - set(ICT_SKILLS) - by_sex)
        if unknown:
            raise DataError(
                path,
                f"unknown series in column `SDG_IND`: {unknown}",
                "map the new series in ICT_SKILLS in egovlib/readers/education.py",
            )
        # Sex-specific series (suffix _F/_M) are not read: one variable per skill, both sexes.
        df = numeric(df[df["series"].isin(ICT_SKILLS)], ["year", "value"], path)
        df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="LOCATION").to_numpy()
        df = keep_economies(
            df,
            path,
            is_aggregate=pd.Series(False, index=df.index),
            rule="none expected: the SDG 4.4.1 extract holds countries only",
        )
        df["variable"] = df["series"].map(lambda c: ICT_SKILLS[c][0])
        df = check_duplicates(df, ["iso3", "year", "variable"], path, ["value"])
        for variable, sub in df.groupby("variable"):
            parts.append(to_long(sub, str(variable), src.id))
        stats = df.groupby(["iso3", "year"])["value"].agg(["mean", "count"]).reset_index()
        stats = stats[stats["count"] >= ICT_MEAN_MIN_SKILLS].rename(columns={"mean": "value"})
        parts.append(to_long(stats, "ict_skills_mean", src.id))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ Coursera GSI
COURSERA_COLUMNS = {
    "Country and Region": "country",
    "Year": "year",
    "Technology": "coursera_technology",
    "Data Science": "coursera_data_science",
}


@register(
    "coursera_gsi",
    LONG,
    "Coursera Global Skills Index 2020: technology and data-science percentiles",
    variables=(
        Variable(
            "coursera_technology",
            "Coursera technology skills (percentile)",
            "percentile 0-1",
            "skills",
            notes="Coursera GSI 2020, learners on Coursera only; 108 countries, "
            "Bahrain absent. Proprietary report data.",
        ),
        Variable(
            "coursera_data_science",
            "Coursera data-science skills (percentile)",
            "percentile 0-1",
            "skills",
            notes="Coursera GSI 2020, learners on Coursera only; 108 countries, Bahrain absent.",
        ),
    ),
)
def read_coursera(files):
    """Coursera GSI country table -> two percentile variables (names mapped with `to_iso3`)."""
    parts = []
    for src, path in files:
        raw = read_text_csv(path)
        df = rename_columns(raw, COURSERA_COLUMNS, path)
        values = ["coursera_technology", "coursera_data_science"]
        df = numeric(df, ["year", *values], path)
        out_of_range = df[values].stack().loc[lambda s: (s < 0) | (s > 1)]
        if len(out_of_range):
            i, col = out_of_range.index[0]
            raise DataError(
                path,
                f"percentile outside [0, 1] in `{col}` on line {i + 2}: {out_of_range.iloc[0]}",
                "correct the value from the Coursera report or restore the file",
            )
        df["iso3"] = to_iso3(df["country"], file=str(path), column="Country and Region").to_numpy()
        df = check_duplicates(df, ["iso3", "year"], path, values)
        for v in values:
            parts.append(to_long(df.rename(columns={v: "value"}), v, src.id))
    return pd.concat(parts, ignore_index=True)
