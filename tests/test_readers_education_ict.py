"""Education, skills, ICT, income and population readers: published values, splices, errors."""

from __future__ import annotations

import pytest

from egovlib.countries import OVERRIDES_PATH
from egovlib.errors import CountryNotMapped, DataError
from egovlib.panel import load_covariates
from egovlib.readers import load_table
from egovlib.readers.ict import NEW_VINTAGE_FROM, vintage_overlap

GCC = ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]
MY_READERS = [
    "undp_hdr",
    "owid_literacy",
    "tertiary_enrolment",
    "education_spending",
    "uis_ict_skills",
    "coursera_gsi",
    "wdi",
    "itu_mobile_broadband",
]


@pytest.fixture(scope="module")
def tables():
    return {name: load_table(name) for name in MY_READERS}


def value(table, iso3, year, variable):
    hit = table[(table["iso3"] == iso3) & (table["year"] == year) & (table["variable"] == variable)]
    assert len(hit) == 1, f"{iso3} {year} {variable}: {len(hit)} rows"
    return hit.iloc[0]


def test_hdr_2022_published_values(tables):
    hdr = tables["undp_hdr"]
    assert value(hdr, "CHE", 2022, "hdr_hdi")["value"] == pytest.approx(0.967)
    assert value(hdr, "NOR", 2022, "hdr_hdi")["value"] == pytest.approx(0.966)
    # Bahrain, read by hand from the raw CSV (eys_2022 16.29968071, mys_2022 11.04658985)
    assert value(hdr, "BHR", 2022, "hdr_eys")["value"] == pytest.approx(16.29968071)
    assert value(hdr, "BHR", 2022, "hdr_mys")["value"] == pytest.approx(11.04658985)
    assert value(hdr, "BHR", 2015, "hdr_mys")["value"] == pytest.approx(9.107093493)
    assert not hdr["iso3"].str.startswith("ZZ").any()
    assert hdr.loc[(hdr["year"] == 2022) & (hdr["variable"] == "hdr_hdi"), "iso3"].nunique() == 193


def test_literacy_gcc_latest(tables):
    lit = tables["owid_literacy"]
    latest = lit[lit["iso3"].isin(GCC)].sort_values("year").groupby("iso3").last()
    expected = {
        "BHR": (2015, 95.72),
        "KWT": (2020, 96.46),
        "OMN": (2022, 97.34),
        "QAT": (2015, 97.76),
        "SAU": (2020, 97.59),
        "ARE": (2022, 98.29),
    }
    for iso3, (year, val) in expected.items():
        assert latest.at[iso3, "year"] == year
        assert latest.at[iso3, "value"] == pytest.approx(val, abs=0.005)
    assert lit["year"].min() >= 2000
    assert not lit["iso3"].str.startswith("OWID").any()


def test_fixed_broadband_bahrain_both_vintages(tables):
    wdi = tables["wdi"]
    for year, val, src in [
        (2010, 12.5, "wdi_fixed_broadband_2021"),
        (2015, 18.4, "wdi_fixed_broadband_2021"),
        (2018, 8.43, "wdi_fixed_broadband_2026"),
        (2024, 16.99, "wdi_fixed_broadband_2026"),
    ]:
        row = value(wdi, "BHR", year, "fixed_broadband_per100")
        assert row["value"] == pytest.approx(val, abs=0.05)
        assert row["source"] == src


def test_bahrain_internet_and_mobile(tables):
    wdi = tables["wdi"]
    assert value(wdi, "BHR", 2018, "internet_users")["value"] == pytest.approx(98.6, abs=0.05)
    assert value(wdi, "BHR", 2021, "internet_users")["value"] == pytest.approx(100)
    assert value(wdi, "BHR", 2018, "mobile_subs_per100")["value"] == pytest.approx(139.7, abs=0.05)
    assert value(wdi, "BHR", 2024, "mobile_subs_per100")["value"] == pytest.approx(159.5, abs=0.05)


def test_vintage_rule_per_year(tables):
    wdi = tables["wdi"]
    old = wdi["source"].str.endswith("_2021")
    new = wdi["source"].str.endswith("_2026")
    assert (wdi.loc[old, "year"] < NEW_VINTAGE_FROM).all()
    assert (wdi.loc[new, "year"] >= NEW_VINTAGE_FROM).all()
    ter = tables["tertiary_enrolment"]
    assert set(ter.loc[ter["year"] >= 2018, "source"]) == {"wdi_tertiary_2026"}
    assert set(ter.loc[ter["year"] < 2018, "source"]) == {"owid_tertiary"}
    spend = tables["education_spending"]
    gdp = spend[spend["variable"] == "edu_spending_gdp"]
    assert set(gdp.loc[gdp["year"] >= 2015, "source"]) == {"uis_education_finance"}
    assert set(gdp.loc[gdp["year"] < 2015, "source"]) == {"owid_education_spending"}


def test_vintage_overlap_matches_provenance():
    ov = vintage_overlap()
    internet = ov.loc["internet_users"]
    assert (internet["n_identical"], internet["n_overlap"]) == (209, 324)
    assert internet["max_abs_diff"] == pytest.approx(31, abs=0.5)
    assert (
        ov.at["mobile_subs_per100", "n_identical"],
        ov.at["mobile_subs_per100", "n_overlap"],
    ) == (7, 498)
    assert ov.at["mobile_subs_per100", "max_abs_diff"] == pytest.approx(43, abs=0.5)
    assert ov.at["fixed_broadband_per100", "n_within_1"] == 421
    assert ov.at["fixed_broadband_per100", "n_overlap"] == 488


def test_uis_education_expenditure_bahrain(tables):
    spend = tables["education_spending"]
    assert value(spend, "BHR", 2015, "edu_spending_gdp")["value"] == pytest.approx(2.67)
    assert value(spend, "BHR", 2022, "edu_spending_gdp")["value"] == pytest.approx(1.99)
    assert value(spend, "BHR", 2014, "edu_spending_gdp")["source"] == "owid_education_spending"
    # Syria is exported without a code in the OWID file; it must not be lost as an aggregate
    assert (spend["iso3"] == "SYR").sum() > 20


def test_no_duplicate_country_year_variable(tables):
    for name, t in tables.items():
        assert not t.duplicated(["iso3", "year", "variable"]).any(), name


def test_gcc_present_in_every_source(tables):
    for name, t in tables.items():
        present = set(t["iso3"])
        expected = set(GCC) - {"BHR"} if name == "coursera_gsi" else set(GCC)
        assert expected <= present, f"{name} lacks {expected - present}"
    assert "BHR" not in set(tables["coursera_gsi"]["iso3"])
    for variable in [
        "hdr_eys",
        "literacy_rate",
        "tertiary_ger",
        "edu_spending_gdp",
        "ict_skills_mean",
        "internet_users",
        "population",
        "gdp_pc_ppp",
    ]:
        long = load_covariates([variable])
        assert set(GCC) <= set(long["iso3"]), variable


def test_ict_skills_mean_rule(tables):
    ict = tables["uis_ict_skills"]
    skills = ict[ict["variable"] != "ict_skills_mean"]
    counts = skills.groupby(["iso3", "year"])["value"].agg(["mean", "count"])
    means = ict[ict["variable"] == "ict_skills_mean"].set_index(["iso3", "year"])["value"]
    enough = counts[counts["count"] >= 5]
    assert set(means.index) == set(enough.index)
    assert means.loc[enough.index].to_numpy() == pytest.approx(enough["mean"].to_numpy())
    assert (counts["count"] < 5).sum() > 0  # the rule actually removes some country-years
    assert skills["variable"].nunique() == 9
    # Bahrain 2019: the 8 both-sexes values of the raw file (no transfer-file value)
    bhr = [66.5, 42.0, 71.1, 36.0, 57.9, 36.0, 18.1, 54.0]
    assert means.loc[("BHR", 2019)] == pytest.approx(sum(bhr) / len(bhr))


def test_mobile_broadband_per100_derived():
    long = load_covariates(["mobile_broadband_per100"])
    got = long[long["year"] == 2022].set_index("iso3")["value"]
    published = {"BHR": 152, "SAU": 143, "KWT": 141, "ARE": 220, "USA": 176, "JPN": 232}
    for iso3, val in published.items():
        assert got[iso3] == pytest.approx(val, abs=1.5), iso3


def test_itu_zero_rule(tables):
    itu = tables["itu_mobile_broadband"]
    # St Vincent 2013: the regulator reported 0 ("no mobile broadband services") -> kept
    assert value(itu, "VCT", 2013, "itu_mobile_broadband_subs")["value"] == 0
    # Guatemala 2022: 0 after positive years, note says "not collected" -> missing
    assert itu[(itu["iso3"] == "GTM") & (itu["year"] == 2022)].empty
    # Eritrea 2015: ITU-estimated zero for a pre-launch year -> missing
    assert itu[(itu["iso3"] == "ERI") & (itu["year"] == 2015)].empty


def test_non_numeric_wdi_value_is_an_error(temp_data):
    temp_data.edit(
        "wdi_fixed_broadband_2026", "BHR,2024,Bahrain,16.9915789748788", "BHR,2024,Bahrain,n/a"
    )
    with pytest.raises(DataError) as err:
        load_table("wdi")
    msg = str(err.value)
    assert "tarea47_fixed_broadband_per100.csv" in msg and "`value`" in msg and "'n/a'" in msg
    assert not list(temp_data.cache.glob("wdi-*.parquet"))


def test_unknown_coursera_country_names_the_override_file(temp_data):
    temp_data.edit("coursera_gsi", "MENA,Saudi Arabia,2020", "MENA,Saudi Arabiaa,2020")
    with pytest.raises(CountryNotMapped) as err:
        load_table("coursera_gsi")
    assert "'Saudi Arabiaa'" in str(err.value)
    assert str(OVERRIDES_PATH) in str(err.value)
    assert not list(temp_data.cache.glob("coursera_gsi-*.parquet"))
