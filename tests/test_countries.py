"""Country names in the UN languages, name resolution and named groups."""

from __future__ import annotations

import pytest

from egovlib.countries import (
    country_name,
    named_groups,
    resolve_country,
    resolve_group,
    un_members,
)
from egovlib.errors import EgovError, SpecError

#: As printed in the UN M49 table (UNSD), Arabic short and formal names.
ARABIC = {
    "BHR": ("البحرين", "مملكة البحرين"),
    "SAU": ("المملكة العربية السعودية", "المملكة العربية السعودية"),
    "ARE": ("الإمارات العربية المتحدة", "الإمارات العربية المتحدة"),
    "KWT": ("الكويت", "دولة الكويت"),
    "OMN": ("عمان", "سلطنة عمان"),
    "QAT": ("قطر", "دولة قطر"),
    "TUN": ("تونس", "الجمهورية التونسية"),
    "COM": ("جزر القمر", "اتحاد جزر القمر"),
}


@pytest.mark.parametrize("iso3", sorted(ARABIC))
def test_arabic_names_of_the_gcc_and_twinning_partners(iso3):
    short, formal = ARABIC[iso3]
    assert country_name(iso3, lang="ar") == short
    assert country_name(iso3, "ar", formal=True) == formal


def test_every_un_member_has_a_name_in_each_un_language():
    for lang in ("ar", "zh", "en", "fr", "ru", "es"):
        names = [country_name(c, lang) for c in un_members()]
        formal = [country_name(c, lang, formal=True) for c in un_members()]
        assert len(set(names)) == 193, lang
        for n in names + formal:
            # no M49 footnote sign or sorting article left in a display name
            assert n == n.strip() and not n.endswith(("*", "(the)", "(l')", "(el)")), (lang, n)


def test_english_default_unchanged():
    assert country_name("BHR") == "Bahrain"
    assert country_name("ARE") == "United Arab Emirates"
    assert country_name("BHR", formal=True) == "Kingdom of Bahrain"
    assert country_name("PSE", "ar") == "دولة فلسطين"  # the M49 " *" footnote sign is dropped
    assert country_name("DZA", "fr") == "Algérie"  # not "Algérie (l')"


def test_unknown_language_or_untranslated_territory_is_a_clear_error():
    with pytest.raises(EgovError, match="unknown language 'de'.*ar, zh, en, fr, ru, es"):
        country_name("BHR", "de")
    with pytest.raises(EgovError, match=r"no short name in 'ar' for XKX \(Kosovo\).*lang='en'"):
        country_name("XKX", "ar")
    assert country_name("XKX") == "Kosovo"


# ------------------------------------------------------------------ names as well as ISO3 codes
@pytest.mark.parametrize(
    "given",
    ["BHR", "bhr", " Bahrain ", "Kingdom of Bahrain", "bahrain", "BAHRAIN"],
)
def test_resolve_country_accepts_codes_and_names(given):
    assert resolve_country(given) == "BHR"


def test_resolve_country_knows_the_names_other_sources_use():
    assert resolve_country("Türkiye") == resolve_country("Turkey") == "TUR"
    assert resolve_country("Korea, Rep.") == resolve_country("Republic of Korea") == "KOR"
    assert resolve_country("Côte d'Ivoire") == resolve_country("Cote d'Ivoire") == "CIV"
    assert resolve_country("United Arab Emirates (the)") == "ARE"


def test_unknown_country_lists_close_matches():
    with pytest.raises(SpecError) as info:
        resolve_country("Bahrein")
    msg = str(info.value)
    assert msg.startswith("unknown ISO3 code or country name 'Bahrein'. Close matches: Bahrain")
    assert "Fix: give an ISO3 code or a country name" in msg and "\n" not in msg
    with pytest.raises(SpecError, match=r"Close matches: Saudi Arabia \(SAU\)"):
        resolve_country("Saudi")
    with pytest.raises(SpecError, match=r"Republic of Korea \(KOR\).*\(PRK\)"):
        resolve_country("Korea")


def test_groups_take_names_titles_and_lists_of_names():
    gcc = ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]
    assert resolve_group("GCC") == resolve_group("Gulf Cooperation Council") == gcc
    assert resolve_group("gcc") == gcc
    assert resolve_group(["Algeria", "LBY", "Morocco", "mauritania", "Tunisia"]) == [
        "DZA",
        "LBY",
        "MAR",
        "MRT",
        "TUN",
    ]
    assert resolve_group("Bahrain") == ["BHR"]  # one country is a group of one
    assert resolve_group("Western Asia")[:2] == ["ARE", "ARM"]
    with pytest.raises(SpecError, match=r"'Bahrein'\. Close matches: Bahrain \(BHR\)"):
        resolve_group(["Bahrein", "QAT"])
    with pytest.raises(SpecError, match=r"unknown country group 'Gulf'.*GCC, AMU, Africa"):
        resolve_group("Gulf")


def test_named_groups_come_from_a_cited_judgement_table():
    groups = named_groups()
    assert set(groups) == {"GCC", "AMU"}
    assert groups["GCC"].members == ("BHR", "KWT", "OMN", "QAT", "SAU", "ARE")
    assert "Charter of the Cooperation Council" in groups["GCC"].citation
    assert groups["AMU"].title == "Arab Maghreb Union" and "Marrakesh" in groups["AMU"].citation


def test_a_group_member_that_is_no_country_names_the_file(tmp_path, monkeypatch):
    from egovlib import countries, judgements

    (tmp_path / "country_groups.yml").write_text(
        "entries:\n  - {name: X, title: X union, members: [BHR, Bahrein], citation: test}\n"
    )
    monkeypatch.setattr(judgements, "JUDGEMENTS_DIR", tmp_path)
    countries.named_groups.cache_clear()
    try:
        with pytest.raises(SpecError, match=r"country_groups.yml, group X: unknown .*'Bahrein'"):
            countries.named_groups()
    finally:
        monkeypatch.undo()
        countries.named_groups.cache_clear()


def test_focus_by_name_in_the_benchmark(egdi):
    from egovlib import standing

    assert standing.check_focus("Bahrain", egdi) == "BHR"
    assert standing.check_focus("tunisia", egdi) == "TUN"
