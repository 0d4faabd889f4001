"""Country harmonisation: names and codes to ISO3, UN regions, income groups, named groups."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar

import pandas as pd
import pycountry

from . import config
from .errors import CountryNotMapped, EgovError, SpecError
from .judgements import judgement_path, load_judgements
from .readers.registry import generation, load_table
from .yamltext import parse_yaml

OVERRIDES_PATH = config.PACKAGE_DIR / "country_overrides.yml"

T = TypeVar("T")


@dataclass(frozen=True)
class CountryGroup:
    """A named group of countries (a regional body), from ``judgements/country_groups.yml``.

    Attributes
    ----------
    name : str
        The name used in parameters, e.g. ``"GCC"``.
    title : str
        Full name, e.g. ``"Gulf Cooperation Council"`` (also accepted as the group's name).
    members : tuple of str
        ISO3 codes (or country names) of the members.
    citation : str
        The founding treaty or official list that defines the membership.
    """

    name: str
    title: str
    members: tuple[str, ...]
    citation: str


class _per_table_generation(Generic[T]):  # lower case: used as a decorator
    """Cache ``fn()`` (built from loaded tables) until the tables are forgotten.

    Keyed on `readers.registry.generation`, so the country table seen here is never older than
    the tables (after `readers.clear_memory_cache`) nor from outside `readers.fresh_tables`.
    ``cache_clear()`` forgets the value, as `functools.cache` offers.
    """

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._memo: dict[int, T] = {}
        functools.update_wrapper(self, fn)

    def __call__(self) -> T:
        gen = generation()
        if gen not in self._memo:
            value = self._fn()
            self._memo.clear()
            self._memo[gen] = value
        return self._memo[gen]

    def cache_clear(self) -> None:
        """Forget the cached value."""
        self._memo.clear()


def normalise_name(name: str) -> str:
    """Key used to compare country names: case, accents, '(the)', punctuation and spaces ignored."""
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    s = s.casefold().replace("&", " and ")
    s = re.sub(r"\(the\)|^the\s+|,\s*the$", " ", s.strip())
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


@cache
def _overrides() -> dict:
    return parse_yaml(OVERRIDES_PATH.read_text(encoding="utf-8"))


def _pycountry_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                out.setdefault(normalise_name(getattr(c, attr)), c.alpha_3)
    return out


@_per_table_generation
def _alias_table() -> dict[str, str]:
    """Normalised name -> ISO3, built from the M49 table, the UN list, the WB list and pycountry."""
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
    series = pd.Series(list(names), dtype="object")
    aliases = _alias_table()
    codes = series.map(lambda n: aliases.get(normalise_name(n)) if isinstance(n, str) else None)
    unmatched = sorted({str(n).strip() for n, c in zip(series, codes, strict=True) if pd.isna(c)})
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


@_per_table_generation
def country_table() -> pd.DataFrame:
    """One row per country or area: ISO3, name, UN region and sub-region, income group, flags.

    Columns: ``iso3, name, region, subregion, intermediate_region, income_group, un_member,
    ldc, lldc, sids``. The 193 UN member states have ``un_member`` True.
    """
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
    names = _names()
    if iso3 not in names["name"]:
        raise EgovError(f"unknown ISO3 code {iso3!r}; use a code from egovlib.country_table()")
    if lang == "en":
        col = "m49_formal_name" if formal else "name"
    else:
        col = f"formal_name_{lang}" if formal else f"name_{lang}"
    name = names[col][iso3]
    if not isinstance(name, str) or not name:
        raise EgovError(
            f"the UN M49 table has no {'formal' if formal else 'short'} name in {lang!r} for "
            f"{iso3} ({names['name'][iso3]}); names in the six UN languages cover the UN member "
            "states and a few others. Fix: use lang='en' for this territory."
        )
    return name


@_per_table_generation
def _names() -> dict[str, dict[str, object]]:
    # Column -> {iso3: name}: plain dicts, because reports look names up ~15,000 times per
    # edition and a DataFrame's `.at` costs ~0.1 ms a lookup (1.3 s per edition).
    t = load_table("countries").set_index("iso3")
    others = [lang for lang in NAME_LANGUAGES if lang != "en"]
    cols = ["name", "m49_formal_name"] + [
        f"{kind}_{lang}" for lang in others for kind in ("name", "formal_name")
    ]
    return {c: t[c].to_dict() for c in cols}


@_per_table_generation
def named_groups() -> dict[str, CountryGroup]:
    """The named groups of ``judgements/country_groups.yml`` (GCC, ...), members as ISO3 codes.

    Raises
    ------
    SpecError
        A member that is not a known country, naming the file, the group and close matches.
    """
    path = judgement_path("country_groups")
    out = {}
    for g in load_judgements("country_groups", CountryGroup):
        try:
            members = tuple(resolve_country(m) for m in g.members)
        except SpecError as exc:
            raise SpecError(f"{path}, group {g.name}: {exc}") from None
        out[g.name] = CountryGroup(g.name, g.title, members, g.citation)
    return out


def group_names() -> list[str]:
    """Every named group: GCC, UN regions and sub-regions, World Bank income groups."""
    t = country_table()
    found = [*named_groups()]
    for col in ("region", "subregion", "income_group"):
        found += sorted(t[col].dropna().unique())
    return found


@_per_table_generation
def _economies() -> pd.DataFrame:
    """Country-table rows that are countries or territories (not World Bank aggregates)."""
    t = country_table()
    return t[t["region"].notna() | t["income_group"].notna()]


def resolve_country(country: str) -> str:
    """ISO3 code of a country given by its code or its name.

    Parameters
    ----------
    country : str
        An ISO3 code in any case (``"BHR"``, ``"bhr"``) or a name as any of the UN, the World
        Bank or ISO 3166 write it (``"Bahrain"``, ``"Kingdom of Bahrain"``, ``"Korea, Rep."``,
        ``"Türkiye"``; case, accents and punctuation are ignored).

    Returns
    -------
    str
        The ISO3 code, e.g. ``resolve_country("Bahrain") == "BHR"``.

    Raises
    ------
    SpecError
        For an unknown code or name, listing close matches and how to find the valid ones.
    """
    text = str(country).strip()
    economies = _economies()
    if text.upper() in economies.index:
        return text.upper()
    code = _alias_table().get(normalise_name(text))
    if code is not None and code in economies.index:
        return code
    raise SpecError(f"{_unknown_country(text, economies)} Fix: {_COUNTRY_FIX}")


_COUNTRY_FIX = (
    "give an ISO3 code or a country name as listed by egovlib.country_table() "
    "(columns iso3 and name)"
)


def _unknown_country(text: str, economies: pd.DataFrame) -> str:
    """``unknown ISO3 code or country name 'X'. Close matches: Bahrain (BHR), ...``."""
    key = normalise_name(text)
    aliases = {k: v for k, v in _alias_table().items() if v in economies.index}
    keys = difflib.get_close_matches(key, list(aliases), n=8, cutoff=0.7)
    if len(key) >= 3:  # a first word ("Saudi") or a word of the name ("Emirates")
        keys += sorted(k for k in aliases if k.startswith(key) or f" {key}" in k)
    codes = [*dict.fromkeys(aliases[k] for k in keys)]
    codes += [c for c in economies.index if c.startswith(text.upper()[:2]) and len(text) <= 3]
    codes = [*dict.fromkeys(codes)][:5]
    close = ", ".join(f"{economies.at[c, 'name']} ({c})" for c in codes)
    return f"unknown ISO3 code or country name {text!r}." + (
        f" Close matches: {close}." if close else ""
    )


def resolve_group(group: str | Iterable[str]) -> list[str]:
    """ISO3 codes of a group.

    Parameters
    ----------
    group : str or list of str
        A named group (``"GCC"`` or ``"Gulf Cooperation Council"``, see `named_groups`; a UN
        region such as ``"Asia"``, a sub-region such as ``"Western Asia"``, an income group such
        as ``"High income"``), one country, or a list of countries, each an ISO3 code or a name
        (``["Algeria", "LBY", "Morocco"]``).

    Raises
    ------
    SpecError
        For an unknown group name or country, listing close matches and the valid names.
    """
    t = country_table()
    if isinstance(group, str):
        key = group.strip().casefold()
        for g in named_groups().values():
            if key in (g.name.casefold(), g.title.casefold()):
                return list(g.members)
        for col in ("region", "subregion", "income_group"):
            hit = t.loc[(t[col].str.casefold() == key) & t["un_member"], "iso3"]
            if len(hit):
                return sorted(hit)
        try:
            return [resolve_country(group)]
        except SpecError:
            raise SpecError(
                f"unknown country group {group!r} (neither a group nor a country). "
                f"Valid group names: {', '.join(group_names())}. Fix: use one of these names, "
                "or a list of countries (ISO3 codes or names)"
            ) from None
    codes, unknown = [], []
    for c in group:
        try:
            codes.append(resolve_country(c))
        except SpecError:
            unknown.append(_unknown_country(str(c).strip(), _economies()))
    if unknown:
        raise SpecError(" ".join(unknown) + f" Fix: {_COUNTRY_FIX}")
    return codes
