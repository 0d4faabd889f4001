"""Country names in the UN languages, name resolution and named groups."""

from __future__ import annotations

import pytest

from egovlib.countries import country_name, un_members
from egovlib.errors import EgovError

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
