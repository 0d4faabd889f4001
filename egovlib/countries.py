"""Country harmonisation: names and codes to ISO3, UN regions, income groups, named groups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import pandas as pd
import pycountry
import yaml

from . import config
from .errors import CountryNotMapped, EgovError

OVERRIDES_PATH = config.PACKAGE_DIR / "country_overrides.yml"

#: Named country groups. Regions, sub-regions and income groups are added from the metadata.
NAMED_GROUPS: dict[str, tuple[str, ...]] = {
    "GCC": ("BHR", "KWT", "OMN", "QAT", "SAU", "ARE"),
}


def normalise_name(name: str) -> str:
    """Key used to compare country names: case, accents, '(the)', punctuation and spaces ignored."""
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    s = s.casefold().replace("&", " and ")
    s = re.sub(r"\(the\)|^the\s+|,\s*the$", " ", s.strip())
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@cache
def _overrides() -> dict:
    return yaml.safe_load(OVERRIDES_PATH.read_text(encoding="utf-8"))


def _pycountry_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                out.setdefault(normalise_name(getattr(c, attr)), c.alpha_3)
    return out


@cache
def _alias_table() -> dict[str, str]:
    """Normalised name -> ISO3, built from the M49 table, the UN list, the WB list and pycountry."""
    from .readers import load_table  # local: readers use this module

    aliases = _pycountry_aliases()
    meta = load_table("countries")
    for col in ("name", "un_common_name", "un_official_name", "m49_formal_name", "wb_name"):
        for iso3, name in zip(meta["iso3"], meta[col], strict=True):
            if isinstance(name, str) and name:
                aliases[normalise_name(name)] = iso3
    for name, iso3 in _overrides()["names"].items():
        aliases[normalise_name(name)] = iso3
    return aliases


def to_iso3(names: Iterable[str], *, file: str, column: str) -> pd.Series:
    """Map country names to ISO3 codes; every name must match.

    Parameters
    ----------
    names : iterable of str
        Country names as printed in the source (trailing spaces and accents are fine).
    file, column : str
        Where the names come from, for the error message.

    Returns
    -------
    pandas.Series
        ISO3 codes, aligned with ``names``.

    Raises
    ------
    CountryNotMapped
        Listing every unmatched name and where to map it.
    """
    names = pd.Series(list(names), dtype="object")
    aliases = _alias_table()
    codes = names.map(lambda n: aliases.get(normalise_name(n)) if isinstance(n, str) else None)
    unmatched = sorted({str(n).strip() for n, c in zip(names, codes, strict=True) if pd.isna(c)})
    if unmatched:
        raise CountryNotMapped(
            file,
            f"{len(unmatched)} country name(s) in column `{column}` could not be mapped to ISO3: "
            + ", ".join(repr(n) for n in unmatched),
            f"add each name with its ISO3 code under `names:` in {OVERRIDES_PATH} "
            "(or correct the name in the source file if it is a typo)",
        )
    return codes.astype("str")


def harmonise_codes(codes: Iterable[str], *, file: str, column: str) -> pd.Series:
    """Clean publisher codes (e.g. World Bank ``ADO`` for Andorra) to ISO3.

    Unknown codes are returned unchanged (aggregates such as ``WLD`` are filtered by the caller
    against the country table); legacy codes are mapped through the override file.
    """
    legacy = _overrides()["codes"]
    s = pd.Series(list(codes), dtype="object").astype("str").str.strip().str.upper()
    return s.map(lambda c: legacy.get(c, c))


@cache
def country_table() -> pd.DataFrame:
    """One row per country or area: ISO3, name, UN region and sub-region, income group, flags.

    Columns: ``iso3, name, region, subregion, intermediate_region, income_group, un_member,
    ldc, lldc, sids``. The 193 UN member states have ``un_member`` True.
    """
    from .readers import load_table

    meta = load_table("countries")
    cols = [
        "iso3",
        "name",
        "region",
        "subregion",
        "intermediate_region",
        "income_group",
        "un_member",
        "ldc",
        "lldc",
        "sids",
    ]
    return meta[cols].set_index("iso3", drop=False)


def un_members() -> list[str]:
    """ISO3 codes of the 193 UN member states (the E-Government Survey's universe)."""
    t = country_table()
    return sorted(t.loc[t["un_member"], "iso3"])


#: Languages of `country_name`: the six official UN languages (UN M49 names).
NAME_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")


def country_name(iso3: str, lang: str = "en", *, formal: bool = False) -> str:
    """Name of a country as the UN writes it (UN M49 table, UNSD), in one of the UN languages.

    Parameters
    ----------
    iso3 : str
        ISO3 code.
    lang : str
        ``"en"`` (default), ``"ar"``, ``"zh"``, ``"fr"``, ``"ru"`` or ``"es"``.
    formal : bool
        The formal name ("Kingdom of Bahrain", "مملكة البحرين") instead of the short one
        ("Bahrain", "البحرين").

    Returns
    -------
    str
        Short names without M49's sorting article ("United Arab Emirates", not "... (the)";
        "Algérie", not "Algérie (l')").

    Raises
    ------
    EgovError
        For an unknown code or language, or a territory the M49 table names only in English
        (e.g. Kosovo, Hong Kong): the six-language names cover the 193 UN member states, the
        two observer states (Holy See, State of Palestine), the Cook Islands and Niue.
    """
    if lang not in NAME_LANGUAGES:
        raise EgovError(
            f"unknown language {lang!r} for a country name; use one of {', '.join(NAME_LANGUAGES)}"
        )
    t = _names()
    if iso3 not in t.index:
        raise EgovError(f"unknown ISO3 code {iso3!r}; use a code from egovlib.country_table()")
    if lang == "en":
        col = "m49_formal_name" if formal else "name"
    else:
        col = f"formal_name_{lang}" if formal else f"name_{lang}"
    name = t.at[iso3, col]
    if not isinstance(name, str) or not name:
        raise EgovError(
            f"the UN M49 table has no {'formal' if formal else 'short'} name in {lang!r} for "
            f"{iso3} ({t.at[iso3, 'name']}); names in the six UN languages cover the UN member "
            "states and a few others. Fix: use lang='en' for this territory."
        )
    return name


@cache
def _names() -> pd.DataFrame:
    from .readers import load_table

    return load_table("countries").set_index("iso3")


def group_names() -> list[str]:
    """Every named group: GCC, UN regions and sub-regions, World Bank income groups."""
    t = country_table()
    found = [*NAMED_GROUPS]
    for col in ("region", "subregion", "income_group"):
        found += sorted(t[col].dropna().unique())
    return found


def resolve_group(group: str | Iterable[str]) -> list[str]:
    """ISO3 codes of a group.

    Parameters
    ----------
    group : str or list of str
        A named group (``"GCC"``, a UN region such as ``"Asia"``, a sub-region such as
        ``"Western Asia"``, an income group such as ``"High income"``), or a list of ISO3 codes.

    Raises
    ------
    EgovError
        For an unknown group name or ISO3 code, listing the valid names.
    """
    t = country_table()
    if isinstance(group, str):
        if group in NAMED_GROUPS:
            return list(NAMED_GROUPS[group])
        for col in ("region", "subregion", "income_group"):
            hit = t.loc[(t[col] == group) & t["un_member"], "iso3"]
            if len(hit):
                return sorted(hit)
        if group.upper() in t.index:
            return [group.upper()]
        raise EgovError(
            f"unknown country group {group!r}. Valid names: {', '.join(group_names())}; "
            "or pass a list of ISO3 codes"
        )
    codes = [str(c).upper() for c in group]
    bad = [c for c in codes if c not in t.index]
    if bad:
        raise EgovError(f"unknown ISO3 code(s) {bad}; see egovlib.country_table() for valid codes")
    return codes
