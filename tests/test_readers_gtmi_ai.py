"""GTMI, Oxford GAIRI, IMF AIPI and Tortoise readers: published numbers, coverage, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from egovlib.countries import resolve_group
from egovlib.errors import DataError
from egovlib.readers import load_table, variables
from egovlib.readers.ai import crosscheck_gairi_rankings
from egovlib.readers.gtmi import (
    crosscheck_gtmi_2020,
    crosscheck_gtmi_scores,
    parse_gtmi_groups,
    parse_undp_gtmi_2020,
)
from egovlib.sources import load_catalogue, verified_path

GCC = resolve_group("GCC")


def wide(name: str, year: int) -> pd.DataFrame:
    t = load_table(name)
    return t[t["year"] == year].pivot(index="iso3", columns="variable", values="value")


# ---------------------------------------------------------------------------------- Oxford GAIRI


@pytest.mark.parametrize(
    ("year", "iso3", "total"),
    [
        (2023, "USA", 84.80),
        (2023, "SGP", 81.97),
        (2023, "GBR", 78.57),
        (2021, "USA", 88.16),
        (2022, "USA", 85.72),
        (2024, "USA", 87.03),
        (2020, "USA", 85.48),
        (2021, "SGP", 82.46),
    ],
)
def test_gairi_published_totals(year, iso3, total):
    assert round(wide("oxford_gairi", year).loc[iso3, "gairi_total"], 2) == total


def test_gairi_2019_is_its_own_variable_on_the_0_10_scale():
    w = wide("oxford_gairi", 2019)
    assert list(w.columns) == ["gairi2019_score"]
    assert round(w.loc["SGP", "gairi2019_score"], 3) == 9.186
    assert w["gairi2019_score"].idxmax() == "SGP" and w["gairi2019_score"].max() <= 10


def test_gairi_coverage_every_sheet_row_is_mapped():
    """Country counts per edition equal the non-blank rows of each detail sheet: none dropped."""
    t = load_table("oxford_gairi")
    got = t.groupby("year")["iso3"].nunique().to_dict()
    assert got == {2019: 194, 2020: 172, 2021: 160, 2022: 181, 2023: 193, 2024: 188}
    cat = load_catalogue()
    for fid in ("oxford_gairi_2020", "oxford_gairi_2023", "oxford_gairi_2024"):
        path = verified_path(cat[fid])
        sheets = pd.read_excel(path, sheet_name=None, header=1)
        detail = next(
            df for name, df in sheets.items() if "scor" in name.lower() and "Country" in df.columns
        )
        assert detail["Country"].notna().sum() == got[cat[fid].years[0]], fid


def test_gairi_detail_sheets_agree_with_ranking_sheets():
    check = crosscheck_gairi_rankings().set_index("year")
    assert (check["only_in_one"] == 0).all()
    assert (check["ranked"] == check["detailed"]).all()
    assert check.loc[2020, "max_abs_diff"] <= 5e-4  # the 2020 ranking sheet is rounded to 3 dp
    assert check.drop(index=2020)["max_abs_diff"].max() < 1e-9


GCC_GAIRI = {  # PROVENANCE.md sections 5 (2023) and 10.1
    2019: {"BHR": 3.962, "KWT": 4.725, "OMN": 5.321, "QAT": 6.035, "SAU": 4.779, "ARE": 7.445},
    2020: {"BHR": 54.75, "KWT": 50.61, "OMN": 52.10, "QAT": 56.78, "SAU": 56.23, "ARE": 72.40},
    2021: {"BHR": 53.54, "KWT": 50.97, "OMN": 57.26, "QAT": 67.18, "SAU": 63.42, "ARE": 71.60},
    2022: {"BHR": 53.59, "KWT": 47.68, "OMN": 57.83, "QAT": 62.37, "SAU": 61.96, "ARE": 68.54},
    2023: {"BHR": 56.13, "KWT": 49.86, "OMN": 58.94, "QAT": 63.59, "SAU": 67.04, "ARE": 70.42},
    2024: {"BHR": 54.33, "KWT": 51.26, "OMN": 62.91, "QAT": 68.22, "SAU": 72.36, "ARE": 75.66},
}


@pytest.mark.parametrize("year", sorted(GCC_GAIRI))
def test_gairi_gcc_totals(year):
    col = "gairi2019_score" if year == 2019 else "gairi_total"
    digits = 3 if year == 2019 else 2
    got = wide("oxford_gairi", year)[col].loc[GCC].round(digits).to_dict()
    assert got == GCC_GAIRI[year]


def test_gairi_size_and_maturity_are_separate_and_na_is_missing():
    t = load_table("oxford_gairi")
    years = t.groupby("variable")["year"].agg(lambda s: sorted(set(s)))
    assert years["gairi_dim_size"] == [2020, 2021]
    assert years["gairi_dim_maturity"] == [2022, 2023, 2024]
    # 'N/A' cells (e.g. Seychelles 2022, Data Representativeness) are absent, not zero.
    w22 = wide("oxford_gairi", 2022)
    assert pd.isna(w22.loc["SYC", "gairi_dim_data_representativeness"])
    assert not pd.isna(w22.loc["SYC", "gairi_total"])
    # pillar = mean of its dimensions (published identity)
    gov = w22[
        [
            "gairi_dim_vision",
            "gairi_dim_governance_ethics",
            "gairi_dim_digital_capacity",
            "gairi_dim_adaptability",
        ]
    ].mean(axis=1)
    assert (gov - w22["gairi_government"]).abs().max() < 0.011
    assert all(not v.comparable_over_time for k, v in variables().items() if k.startswith("gairi"))


# ------------------------------------------------------------------------------------------- GTMI


def test_gtmi_top_three():
    for year, top in ((2022, ["KOR", "BRA", "SAU"]), (2020, ["KOR", "EST", "FRA"])):
        assert list(wide("gtmi_groups", year)["gtmi"].nlargest(3).index) == top


def test_gtmi_groups_drop_exactly_the_legend_and_summary_rows():
    src = load_catalogue()["gtmi_groups"]
    long, dropped = parse_gtmi_groups(src, verified_path(src))
    assert dropped["line"].tolist() == [595, 596, 597, 598, 599]
    assert dropped["country_code"].tolist() == [
        "0.75",
        "0.5",
        "0.25",
        "0.65715225784495757",
        "0.4739137063540888",
    ]
    assert dropped["gtmi"].astype(float).round(1).tolist()[-2:] == [648.5, 648.5]
    counts = long[long["variable"] == "gtmi"].groupby("year").size().to_dict()
    assert counts == {2020: 198, 2022: 198, 2025: 197}  # 202 rows in 2025 minus the 5 dropped
    # legacy World Bank codes are harmonised; Kosovo and Hong Kong stay in
    codes = set(long["iso3"])
    assert {"AND", "ROU", "COD", "TLS", "PSE", "XKX", "HKG"} <= codes
    assert not {"ADO", "ROM", "ZAR", "TMP", "KSV", "WBG"} & codes


def test_gtmi_group_points():
    w = wide("gtmi_groups", 2022)
    assert set(w["gtmi_group"]) == {1.0, 2.0, 3.0, 4.0}
    assert w.loc["KOR", "gtmi_group"] == 4  # group A
    # groups follow the score: every A economy scores above every D economy
    assert w.loc[w["gtmi_group"] == 4, "gtmi"].min() > w.loc[w["gtmi_group"] == 1, "gtmi"].max()
    assert "A=4" in variables()["gtmi_group"].label


def test_gtmi_scores_in_indicator_file_equal_group_file():
    check = crosscheck_gtmi_scores().set_index("year")
    assert check.loc[2022, "economies"] == 198 and check.loc[2020, "economies"] == 198
    assert check["max_abs_diff"].max() < 1e-12
    assert (check["group_mismatches"] == 0).all()


def test_gtmi_cloud_counts_and_gcc_codes():
    t = load_table("gtmi_indicators")
    cloud = t[t["variable"] == "gtmi_gov_cloud"]
    counts = cloud.groupby(["year", "value"]).size().unstack().to_dict("index")
    assert counts == {2020: {0.0: 92, 1.0: 46, 2.0: 60}, 2022: {0.0: 73, 1.0: 42, 2.0: 83}}
    gcc22 = wide("gtmi_indicators", 2022)["gtmi_gov_cloud"].loc[GCC].to_dict()
    assert gcc22 == {"BHR": 2, "KWT": 1, "OMN": 2, "QAT": 2, "SAU": 2, "ARE": 2}
    gcc20 = wide("gtmi_indicators", 2020)["gtmi_gov_cloud"].loc[GCC].to_dict()
    assert gcc20 == {"BHR": 1, "KWT": 0, "OMN": 2, "QAT": 1, "SAU": 2, "ARE": 1}


def test_gtmi_eid_is_flagged_as_an_ambiguous_proxy():
    """I-41 is the only identity item beyond I-40 with answers: the 2022 'digital ID for online
    services' item (I-26) is empty, and the 2022 code book may mean digitised ID records."""
    raw = pd.read_csv(verified_path(load_catalogue()["gtmi_indicators"]), low_memory=False)
    assert raw.loc[raw["year"] == 2022, "I-26"].isna().all()
    assert set(raw.loc[raw["year"] == 2020, "I-26"]) == {"New"}
    eid = wide("gtmi_indicators", 2022)["gtmi_eid"]
    assert (eid.value_counts().to_dict(), eid.size) == ({1: 171, 0: 27}, 198)
    text = variables()["gtmi_eid"].label + variables()["gtmi_eid"].notes
    assert "digitised national ID" in text and "National ID digitized records" in text


def test_gtmi_indicator_codings_are_documented_and_in_range():
    t = load_table("gtmi_indicators")
    allowed = {
        "gtmi_gov_cloud": {0, 1, 2},
        "gtmi_service_bus": {0, 1, 2, 3},
        "gtmi_national_id": {0, 1},
        "gtmi_eid": {0, 1},
        "gtmi_digital_skills_strategy": {0, 1, 2},
        "gtmi_digital_skills_programme": {0, 1},
        "gtmi_dt_strategy": {0, 1, 2, 3},
    }
    for var, codes in allowed.items():
        assert set(t.loc[t["variable"] == var, "value"]) <= codes, var
        assert "I-" in variables()[var].label + variables()[var].notes, var
    # 2020 digital-skills strategy is 0/1, 2022 is 0/1/2: flagged as not comparable
    dss = t[t["variable"] == "gtmi_digital_skills_strategy"].groupby("year")["value"].max()
    assert dss.to_dict() == {2020: 1.0, 2022: 2.0}
    assert not variables()["gtmi_digital_skills_strategy"].comparable_over_time


def test_undp_gtmi_2020_adds_nothing_and_its_split_records_are_rejoined():
    """Why `Egov_strategy.csv` has `reader: null`: its GTMI fields relabel gtmiwide 2020."""
    check = crosscheck_gtmi_2020().set_index("label")
    assert (check["economies"] == 198).all()
    for label in ("GCL", "GCL Yr", "e-ID", "NatID", "DSI", "WoG", "DT"):
        assert check.loc[label, "agree"] == 1.0, label
    assert check.loc["GSB", "agree"] > 0.99 and check.loc["DG St", "agree"] > 0.94
    undp = parse_undp_gtmi_2020(verified_path(load_catalogue()["gtmi_2020_strategy"]))
    assert len(undp) == 198
    split = undp[undp["Code"].isin(["AUT", "BFA", "CRI", "ETH", "HND", "LSO", "TJK"])]
    assert len(split) == 7 and set(split["GCL"]) <= {"-0.03", "0.01", "0.05"}
    assert load_catalogue()["gtmi_2020_strategy"].reader is None


# --------------------------------------------------------------------------------- IMF, Tortoise


def test_imf_aipi_values():
    w = wide("imf_aipi", 2023)
    assert len(w) == 174
    assert w["aipi"].loc[GCC].round(3).to_dict() == {
        "BHR": 0.515,
        "KWT": 0.461,
        "OMN": 0.533,
        "QAT": 0.535,
        "SAU": 0.577,
        "ARE": 0.628,
    }
    assert list(w["aipi"].nlargest(3).index) == ["SGP", "DNK", "USA"]
    parts = ["aipi_digital_infra", "aipi_innovation", "aipi_human_capital", "aipi_regulation"]
    assert (w[parts].sum(axis=1) - w["aipi"]).abs().max() < 1e-9


def test_tortoise_coverage():
    t = load_table("tortoise_ai")
    assert set(t["year"]) == {2021}
    assert t["iso3"].nunique() == 62
    assert not {"OMN", "KWT"} & set(t["iso3"])
    w = wide("tortoise_ai", 2021)
    assert w.shape[1] == 8 and w["tortoise_total"].idxmax() == "USA"
    assert "uncertain" in variables()["tortoise_total"].notes


@pytest.mark.parametrize(
    ("reader", "years", "members"),
    [
        ("gtmi_groups", (2020, 2022, 2025), GCC),
        ("gtmi_indicators", (2020, 2022), GCC),
        ("oxford_gairi", (2019, 2020, 2021, 2022, 2023, 2024), GCC),
        ("imf_aipi", (2023,), GCC),
        ("tortoise_ai", (2021,), ["BHR", "QAT", "SAU", "ARE"]),
    ],
)
def test_gcc_present_in_every_source_that_covers_it(reader, years, members):
    t = load_table(reader)
    for year in years:
        present = set(t.loc[t["year"] == year, "iso3"])
        assert set(members) <= present, (reader, year, sorted(set(members) - present))


def test_readers_produce_exactly_their_declared_variables():
    from egovlib.readers import readers

    regs = readers()
    for name in ("gtmi_groups", "gtmi_indicators", "oxford_gairi", "imf_aipi", "tortoise_ai"):
        declared = {v.name for v in regs[name].variables}
        assert set(load_table(name)["variable"]) == declared, name
        assert all(v.notes for v in regs[name].variables), name


# ------------------------------------------------------------------------------------- bad input


def _assert_nothing_cached(temp_data, name):
    assert not list(temp_data.cache.glob(f"{name}-*.parquet"))


@pytest.mark.parametrize(
    ("reader", "old", "new", "fragments"),
    [
        pytest.param(
            "tortoise_ai",
            "Country,Talent,",
            "Country,Talents,",
            ["AI_index_db.csv", "'Talent'", "column map"],
            id="tortoise-renamed-column",
        ),
        pytest.param(
            "tortoise_ai",
            "China,16.51,",
            "China,n/a,",
            ["AI_index_db.csv", "`Talent`", "line 3", "correct the cell"],
            id="tortoise-non-numeric-score",
        ),
        pytest.param(
            "tortoise_ai",
            "\nChina,",
            "\nCathay,",
            ["'Cathay'", "country_overrides.yml"],
            id="tortoise-unknown-country",
        ),
        pytest.param(
            "gtmi_indicators",
            "country,I-1,I-1.1",
            "country,I-01,I-1.1",
            ["gtmiwide_clean.csv", "'I-1'"],
            id="gtmi-renamed-question",
        ),
    ],
)
def test_bad_edit_is_named_with_the_fix_and_not_cached(temp_data, reader, old, new, fragments):
    temp_data.edit(reader, old, new)
    with pytest.raises(DataError) as err:
        load_table(reader)
    msg = str(err.value)
    for fragment in fragments:
        assert fragment in msg
    _assert_nothing_cached(temp_data, reader)


def test_gtmi_cloud_code_outside_the_coding_is_refused(temp_data):
    path = temp_data.path("gtmi_indicators")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].startswith("2020,AFG,Afghanistan,0,")
    temp_data.edit("gtmi_indicators", "2020,AFG,Afghanistan,0,", "2020,AFG,Afghanistan,7,")
    with pytest.raises(DataError) as err:
        load_table("gtmi_indicators")
    msg = str(err.value)
    assert "`I-1`" in msg and "line(s) [2]" in msg and "allowed codes are [0, 1, 2]" in msg
    _assert_nothing_cached(temp_data, "gtmi_indicators")


def test_gtmi_years_must_match_the_catalogue_list_exactly(temp_data):
    # A listed edition missing from the file is an error, even between the first and last year.
    text = temp_data.catalogue.read_text(encoding="utf-8")
    assert "    years: [2020, 2022]\n" in text
    temp_data.catalogue.write_text(
        text.replace("    years: [2020, 2022]\n", "    years: [2020, 2021, 2022]\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_table("gtmi_indicators")
    msg = str(err.value)
    assert "holds years [2020, 2022]" in msg and "[2020, 2021, 2022]" in msg
    _assert_nothing_cached(temp_data, "gtmi_indicators")
