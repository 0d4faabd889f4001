"""ICT, income and population readers: World Bank WDI (two vintages, spliced) and ITU counts."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..countries import harmonise_codes
from ..errors import DataError
from ..schemas import LONG, PlausibleRange
from ..sources import files_for_reader, verified_path
from .education import is_wdi_api_csv, keep_economies, read_wdi_api_csv, to_long
from .parsing import check_duplicates, numeric, read_excel, read_text_csv, rename_columns
from .registry import Variable, register

log = logging.getLogger(__name__)

#: WDI indicator code -> variable name.
WDI_INDICATORS = {
    "IT.NET.USER.ZS": "internet_users",
    "IT.CEL.SETS.P2": "mobile_subs_per100",
    "IT.NET.BBND.P2": "fixed_broadband_per100",
    "SP.POP.TOTL": "population",
}
#: Splice rule: the 2026 API vintage is used from this year on, the 2021 Excel vintage before it.
#: The two disagree on 2018-2020 (revised ITU data and population denominators; see
#: docs/series_breaks.md), and the newer vintage is the publisher's current series.
NEW_VINTAGE_FROM = 2018
#: WB codes that are in the `Data` sheet but not in `Metadata - Countries`, with what they are.
WB_EXTRA_AGGREGATES = {"INX": "Not classified"}

#: Blavatnik-standardised WDI context variables (latest year per country) -> variable name.
CONTEXT_VARIABLES = {
    "wb_gdppc_ppp": "gdp_pc_ppp",
    "wb_gdppc_usd": "gdp_pc_usd",
    "wb_gdp_ppp": "gdp_ppp",
    "wb_govt_spending": "govt_consumption_gdp",
}
#: Context variables deliberately not read, and why.
CONTEXT_NOT_READ = {
    "wb_gdp_usd": "GDP in current US$ is not used by any analysis (GDP per capita is)",
    "wb_pop_total": "population comes from SP.POP.TOTL, 2026 vintage, with every year 2018-2024",
}

_CONTEXT_NOTE = "WDI via Blavatnik Index (2024-06 pull): latest year per country, 2018-2022."
_ICT_NOTE = (
    "Spliced: WDI 2021 vintage for years <= 2017, WDI 2026 vintage for 2018+ "
    "(source per value in `source`); see docs/series_breaks.md."
)


def read_wdi_excel(path: Path) -> tuple[str, pd.DataFrame]:
    """A WDI Excel download (2021 vintage, legacy .xls) -> (indicator, iso3/year/value).

    Aggregates are the codes whose ``Region`` is blank in the ``Metadata - Countries`` sheet (World,
    regions, income and lending groups), plus `WB_EXTRA_AGGREGATES`.
    """
    with warnings.catch_warnings():
        # pandas deprecates the xlrd engine; xlrd is still the reader for BIFF .xls files.
        warnings.filterwarnings("ignore", message=".*xlrd.*")
        raw = read_excel(path, sheet_name="Data", skiprows=3, dtype=str)
        meta = read_excel(path, sheet_name="Metadata - Countries", dtype=str)
    meta = rename_columns(meta, {"Country Code": "iso3", "Region": "region"}, path)
    years = [c for c in raw.columns if str(c).isdigit()]
    df = rename_columns(
        raw, {"Country Code": "iso3", "Indicator Code": "indicator", **{y: y for y in years}}, path
    )
    codes = df["indicator"].dropna().unique()
    if len(codes) != 1:
        raise DataError(
            path,
            f"expected one indicator in `Indicator Code`, found {list(codes)}",
            "restore the file: each WDI download holds one indicator",
        )
    # line numbers: 4 header rows above the frame (3 skipped + the header)
    df = numeric(df, years, path, row_offset=5)
    aggregates = set(meta.loc[meta["region"].isna(), "iso3"]) | set(WB_EXTRA_AGGREGATES)
    unlisted = sorted(set(df["iso3"]) - set(meta["iso3"]) - set(WB_EXTRA_AGGREGATES))
    if unlisted:
        raise DataError(
            path,
            f"code(s) {unlisted} in sheet `Data` are not in `Metadata - Countries`",
            "restore the file, or list the code in WB_EXTRA_AGGREGATES "
            "(egovlib/readers/ict.py) if it is an aggregate",
        )
    is_agg = df["iso3"].isin(aggregates)
    df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="Country Code").to_numpy()
    df = keep_economies(
        df,
        path,
        is_aggregate=is_agg,
        rule="blank Region in `Metadata - Countries` (World, regions, income "
        "groups) or INX (not classified)",
    )
    long = df.melt(id_vars="iso3", value_vars=years, var_name="year", value_name="value")
    long["year"] = long["year"].astype(int)
    long = long[long["value"].notna()]
    return str(codes[0]), check_duplicates(long, ["iso3", "year"], path, ["value"])


def read_wdi_context(path: Path) -> pd.DataFrame:
    """Blavatnik WDI extract (``cc_iso3c, ref_year, variable, value``) -> long table."""
    raw = read_text_csv(path)
    df = rename_columns(
        raw, {"cc_iso3c": "iso3", "ref_year": "year", "variable": "code", "value": "value"}, path
    )
    unknown = sorted(set(df["code"]) - set(CONTEXT_VARIABLES) - set(CONTEXT_NOT_READ))
    if unknown:
        raise DataError(
            path,
            f"unknown variable(s) {unknown} in column `variable`",
            "map them in CONTEXT_VARIABLES (or CONTEXT_NOT_READ) in egovlib/readers/ict.py",
        )
    df = numeric(df[df["code"].isin(CONTEXT_VARIABLES)], ["year", "value"], path)
    df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="cc_iso3c").to_numpy()
    df = keep_economies(
        df,
        path,
        is_aggregate=pd.Series(False, index=df.index),
        rule="none expected: the Blavatnik extract holds economies only",
    )
    df["variable"] = df["code"].map(CONTEXT_VARIABLES)
    df["year"] = df["year"].astype(int)
    return check_duplicates(df, ["iso3", "year", "variable"], path, ["value"])[
        ["iso3", "year", "variable", "value"]
    ]


def wdi_vintages(files=None) -> pd.DataFrame:
    """Every WDI indicator value of every vintage, before splicing.

    Parameters
    ----------
    files : list of (SourceFile, Path), optional
        Default: the verified catalogue files with ``reader: wdi``.

    Returns
    -------
    DataFrame
        ``iso3, year, variable, value, source, vintage`` with vintage ``"2021"`` (Excel
        downloads), ``"2026"`` (API extracts) or ``"context"`` (Blavatnik latest-year extract).
    """
    if files is None:
        files = [(src, verified_path(src)) for src in files_for_reader("wdi")]
    parts = []
    for src, path in files:
        if path.suffix.lower() == ".xls":
            code, df, vintage = *read_wdi_excel(path), "2021"
        elif is_wdi_api_csv(path):
            code, df, vintage = *read_wdi_api_csv(path), "2026"
        else:
            parts.append(read_wdi_context(path).assign(source=src.id, vintage="context"))
            continue
        if code not in WDI_INDICATORS:
            raise DataError(
                path,
                f"indicator {code} is not read by the `wdi` reader",
                "add it to WDI_INDICATORS in egovlib/readers/ict.py or point the "
                "catalogue entry at another reader",
            )
        parts.append(to_long(df, WDI_INDICATORS[code], src.id).assign(vintage=vintage))
    out = pd.concat(parts, ignore_index=True)
    dup = out[out["vintage"] != "context"].duplicated(["iso3", "year", "variable", "vintage"])
    if dup.any():
        raise DataError(
            None,
            "two catalogue files give the same WDI indicator and vintage",
            "keep one file per indicator and vintage under `reader: wdi`",
        )
    return out


def vintage_overlap(vintages: pd.DataFrame | None = None, tol: float = 1e-6) -> pd.DataFrame:
    """Agreement of the 2021 and 2026 WDI vintages on the years both cover (per variable).

    Returns
    -------
    DataFrame
        Index variable; columns ``years``, ``n_overlap`` (country-years in both), ``n_identical``
        (|difference| <= ``tol``), ``share_identical``, ``n_within_1`` (within 1 unit),
        ``max_abs_diff``, ``max_diff_at`` (iso3 year), ``old_only`` (country-years >= the break
        year that only the old vintage has, hence dropped by the splice).
    """
    v = wdi_vintages() if vintages is None else vintages
    rows = {}
    for variable, sub in v[v["vintage"].isin(["2021", "2026"])].groupby("variable"):
        wide = sub.pivot_table(index=["iso3", "year"], columns="vintage", values="value")
        if not {"2021", "2026"} <= set(wide.columns):
            continue
        both = wide.dropna()
        diff = (both["2026"] - both["2021"]).abs()
        at = diff.idxmax()
        late_old = wide[
            (wide.index.get_level_values("year") >= NEW_VINTAGE_FROM)
            & wide["2021"].notna()
            & wide["2026"].isna()
        ]
        yrs = both.index.get_level_values("year")
        rows[variable] = {
            "years": f"{yrs.min()}-{yrs.max()}",
            "n_overlap": len(both),
            "n_identical": int((diff <= tol).sum()),
            "share_identical": float((diff <= tol).mean()),
            "n_within_1": int((diff <= 1).sum()),
            "max_abs_diff": float(diff.max()),
            "max_diff_at": f"{at[0]} {at[1]}",
            "old_only": len(late_old),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("variable")


@register(
    "wdi",
    LONG,
    "World Bank WDI: ICT (2021 and 2026 vintages, spliced), population, income",
    variables=(
        Variable(
            "internet_users",
            "Individuals using the Internet",
            "% of population",
            "ict",
            ("tii", "egdi"),
            notes=_ICT_NOTE,
        ),
        Variable(
            "mobile_subs_per100",
            "Mobile cellular subscriptions",
            "per 100 people",
            "ict",
            ("tii", "egdi"),
            notes=_ICT_NOTE + " Population denominators were revised.",
        ),
        Variable(
            "fixed_broadband_per100",
            "Fixed broadband subscriptions",
            "per 100 people",
            "ict",
            ("tii", "egdi"),
            notes=_ICT_NOTE,
            # a fixed line serves a household or firm: at most one per person (max 76 in 2024)
            valid_range=PlausibleRange(0, 100),
        ),
        Variable(
            "population",
            "Population, total",
            "people",
            "population",
            notes="SP.POP.TOTL, WDI 2026 vintage, 2018-2024 only.",
        ),
        Variable(
            "gdp_pc_ppp",
            "GDP per capita, PPP",
            "current international $",
            "income",
            notes=_CONTEXT_NOTE,
            valid_range=PlausibleRange(0, 500_000, lo_open=True),  # per capita, not a total
        ),
        Variable("gdp_pc_usd", "GDP per capita", "current US$", "income", notes=_CONTEXT_NOTE),
        Variable("gdp_ppp", "GDP, PPP", "current international $", "income", notes=_CONTEXT_NOTE),
        Variable(
            "govt_consumption_gdp",
            "General government final consumption expenditure",
            "% of GDP",
            "income",
            notes=_CONTEXT_NOTE,
        ),
    ),
)
def read_wdi(files):
    """All WDI files: old vintage before `NEW_VINTAGE_FROM`, new vintage from then on."""
    v = wdi_vintages(files)
    has_new = v.groupby("variable")["vintage"].agg(lambda s: "2026" in set(s))
    spliced = v["vintage"].isin(["2021", "2026"]) & v["variable"].map(has_new)
    keep = (
        ~spliced
        | ((v["vintage"] == "2021") & (v["year"] < NEW_VINTAGE_FROM))
        | ((v["vintage"] == "2026") & (v["year"] >= NEW_VINTAGE_FROM))
    )
    out = v.loc[keep, ["iso3", "year", "variable", "value", "source"]]
    log.info("wdi: %d of %d values kept after the vintage splice", len(out), len(v))
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------ ITU
ITU_COLUMNS = {
    "seriesCode": "series",
    "seriesUnits": "units",
    "entityIso": "iso3",
    "dataValue": "value",
    "dataYear": "year",
    "dataNote": "note",
    "dataSource": "data_source",
}
ITU_COLUMNS_REV = {v: k for k, v in ITU_COLUMNS.items()}


def reported_zero(df: pd.DataFrame) -> pd.Series:
    """True for zero counts that a national body reported (kept as 0).

    A zero is treated as not reported (missing) when its ``dataSource`` is blank or ITU's own
    (``ITU estimate.``, ``ITU research ...``: ITU's placeholders for pre-launch years), or when it
    follows a positive value for the same economy (a service does not vanish; e.g. Guatemala 2022,
    whose note says the data are not collected).
    """
    zero = df["value"] == 0
    src = df["data_source"].fillna("").str.strip()
    itu_or_blank = (src == "") | src.str.match(r"(?i)^itu\b")
    prev_max = (
        df.sort_values("year")
        .groupby("iso3")["value"]
        .cummax()
        .groupby(df["iso3"])
        .shift()
        .reindex(df.index)
        .fillna(0)
    )
    return zero & ~itu_or_blank & (prev_max == 0)


@register(
    "itu_mobile_broadband",
    LONG,
    "ITU active mobile-broadband subscriptions (count), 2002-2022",
    variables=(
        Variable(
            "itu_mobile_broadband_subs",
            "Active mobile-broadband subscriptions",
            "count",
            "ict",
            ("tii", "egdi"),
            notes="ITU DataHub i271mw. Zero counts kept only where a national body reported "
            "them; ITU-estimated or unsourced zeros and zeros after a positive year "
            "are treated as missing. Positive ITU estimates are kept.",
        ),
    ),
)
def read_itu_mobile_broadband(files):
    """ITU long file -> counts by country and year (see `reported_zero` for the zero rule)."""
    parts = []
    for src, path in files:
        raw = read_text_csv(path)
        df = rename_columns(raw, ITU_COLUMNS, path)
        for col, expected in (("series", "i271mw"), ("units", "count")):
            other = sorted(set(df[col].dropna()) - {expected})
            if other:
                raise DataError(
                    path,
                    f"column `{ITU_COLUMNS_REV[col]}` holds {other}, expected only {expected!r}",
                    "restore the ITU download of series i271mw (counts)",
                )
        df = numeric(df, ["value", "year"], path)
        df["iso3"] = harmonise_codes(df["iso3"], file=str(path), column="entityIso").to_numpy()
        df = keep_economies(
            df,
            path,
            is_aggregate=pd.Series(False, index=df.index),
            rule="none expected: the ITU file holds economies only",
        )
        df = check_duplicates(df, ["iso3", "year"], path, ["value"])
        drop = (df["value"] == 0) & ~reported_zero(df)
        log.info("%s: %d zero counts treated as missing", path.name, int(drop.sum()))
        df = df.loc[~drop].assign(value=lambda d: d["value"].astype(np.float64))
        parts.append(to_long(df, "itu_mobile_broadband_subs", src.id))
    return pd.concat(parts, ignore_index=True)
