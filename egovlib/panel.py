"""The analysis panel: EGDI editions plus covariates joined by a documented vintage rule."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import sources
from .countries import country_table, resolve_group
from .errors import EgovError
from .indices import level_group
from .judgements import load_judgements
from .readers import Variable, load_table, variables
from .readers.registry import generation
from .vocabulary import INDICES

log = logging.getLogger(__name__)

#: The vintage rule every notebook shares: a covariate value for survey edition ``Y`` is the
#: latest reference year at or before ``Y - VINTAGE_LAG`` and no older than ``Y - VINTAGE_LAG -
#: VINTAGE_MAX_AGE``. The survey uses the previous year's statistics, hence the lag of one year;
#: older values are treated as missing (a literacy rate from 2003 says little about 2024).
VINTAGE_LAG = 1
VINTAGE_MAX_AGE = 5


def vintage_rule_text(lag: int = VINTAGE_LAG, max_age: int | None = VINTAGE_MAX_AGE) -> str:
    """The vintage rule in words.

    For example "latest reference year <= survey year - 1 and >= survey year - 6".
    """
    return f"latest reference year <= survey year - {lag}" + (
        f" and >= survey year - {lag + max_age}" if max_age is not None else ""
    )


@dataclass(frozen=True)
class UNAdmission:
    """A state admitted to the United Nations after the first survey edition was prepared.

    Attributes
    ----------
    iso3 : str
    admitted : int
        Year of admission (General Assembly resolution).
    event : str
        What happened (independence, succession), in a few words.
    citation : str
    """

    iso3: str
    admitted: int
    event: str
    citation: str


#: UN admissions that fall inside the survey's history (``judgements/un_admissions.yml``).
UN_ADMISSIONS: tuple[UNAdmission, ...] = load_judgements("un_admissions", UNAdmission)


def not_yet_members(year: int) -> dict[str, UNAdmission]:
    """States that were not yet UN member states when edition ``year`` was prepared.

    An edition assesses the states that were UN members in the year before publication, so a
    state admitted in year ``A`` first appears in an edition after ``A``. Such a state is "not yet
    a UN member" in earlier editions, never "not assessed".

    Returns
    -------
    dict
        ISO3 -> its `UNAdmission` entry.
    """
    return {a.iso3: a for a in UN_ADMISSIONS if int(year) <= a.admitted}


def income_classification_year() -> int | None:
    """Reference year of the World Bank income classification the country table carries.

    One current classification, applied to every edition; None if the catalogue has none.
    """
    from .sources import load_catalogue

    for src in load_catalogue().values():
        if src.reader == "countries" and "world bank" in src.publisher.lower():
            return max(src.years) if src.years else None
    return None


class _LoaderMemo:
    """Tables a loader built, by its arguments and the checksums of the files it reads.

    Every call still checks and records the files (`sources.verified_path`, as `load_table`
    does), so a notebook that gets a remembered table is still recorded as reading them (the
    runner's incremental cache relies on it). Tables are handed out as copies: a caller that
    changes one cannot change what the next caller gets. Forgotten with the tables
    (`readers.registry.generation`).
    """

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._memo: dict[tuple, pd.DataFrame] = {}
        self._generation = -1

    def get(self, args: tuple, readers: Iterable[str], build: Callable[[], pd.DataFrame]):
        """``build()``'s table (a copy) for ``args`` and the current files of ``readers``."""
        files = [f for r in readers for f in sources.files_for_reader(r)]
        for f in files:
            sources.verified_path(f)
        if self._generation != generation():
            self._memo.clear()
            self._generation = generation()
        key = (args, *(f"{f.id}:{f.sha256}" for f in files))
        if key not in self._memo:
            if len(self._memo) >= self._size:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = build()
        return self._memo[key].copy()


_EGDI_PANELS = _LoaderMemo()
_COVARIATES = _LoaderMemo()


def load_egdi_panel(years: Iterable[int] | int | None = None) -> pd.DataFrame:
    """The UN EGDI panel: one row per country (193) and survey edition.

    Parameters
    ----------
    years : int or list of int, optional
        Editions to keep; default all (2003 ... latest).

    Returns
    -------
    pandas.DataFrame
        ``iso3, country, year, rank, egdi, osi, hci, tii, epi, assessed, hci_above_one,
        source, level_group, region, subregion, income_group``. Scores of countries not assessed
        in an edition are missing (``assessed`` False), never 0.
    """
    if years is not None:
        years = [years] if isinstance(years, int) else list(years)
    # remembered: several analyses of one report load the panel, each for a few milliseconds
    return _EGDI_PANELS.get(
        (None if years is None else tuple(years),), ["egdi"], lambda: _egdi_panel(years)
    )


def _egdi_panel(years: list[int] | None) -> pd.DataFrame:
    """`load_egdi_panel` without the memo."""
    df = load_table("egdi")
    if years is not None:
        check_editions(years)
        df = df[df["year"].isin(years)]
    meta = country_table()[["region", "subregion", "income_group"]]
    df = df.join(meta, on="iso3")
    df["level_group"] = level_group(df["egdi"]).to_numpy()
    return df.reset_index(drop=True)


def editions() -> list[int]:
    """Survey editions available in the data (from the catalogue's EGDI files)."""
    return sorted(load_table("egdi")["year"].unique().tolist())


def latest_edition() -> int:
    """Most recent survey edition in the data."""
    return editions()[-1]


def check_editions(years: Iterable[int]) -> None:
    """Raise a clear error for a year that is not a survey edition, listing the valid ones."""
    valid = editions()
    bad = [y for y in years if int(y) not in valid]
    if bad:
        verb = "is not a survey edition" if len(bad) == 1 else "are not survey editions"
        raise EgovError(
            f"{', '.join(map(str, bad))} {verb}. Valid editions: {', '.join(map(str, valid))}. "
            "A new edition is added with one entry in data/sources.yml "
            "(README: 'A new survey year')."
        )


def _mobile_broadband_per100(wide: pd.DataFrame) -> pd.Series:
    return wide["itu_mobile_broadband_subs"] / wide["population"] * 100


#: Variables computed from two readers' outputs (name -> (inputs, function, Variable kwargs)).
# name -> (inputs, function of the wide input table, `Variable` fields)
DERIVED: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], pd.Series], dict[str, Any]]] = {
    "mobile_broadband_per100": (
        ("itu_mobile_broadband_subs", "population"),
        _mobile_broadband_per100,
        {
            "label": "Active mobile-broadband subscriptions per 100 people",
            "unit": "per 100 people",
            "theme": "ict",
            "inputs_of": ("tii", "egdi"),
            "notes": "ITU counts divided by WDI population (2018-2024), so 2018-2022 only; "
            "ITU's own per-100 figures use ITU population and differ slightly.",
        },
    ),
}


def covariate_catalogue() -> dict[str, Variable]:
    """Every covariate that can be loaded.

    Reader variables plus the derived variables whose inputs exist (a derived `Variable` has
    ``reader=""``; its inputs are in `DERIVED`).
    """
    known = variables()
    derived = {
        name: Variable(name=name, **kw)
        for name, (inputs, _, kw) in DERIVED.items()
        if set(inputs) <= set(known)
    }
    return {**known, **derived}


def load_covariates(names: Iterable[str] | None = None) -> pd.DataFrame:
    """All covariates in long format: ``iso3, year, variable, value, source``.

    Parameters
    ----------
    names : list of str, optional
        Variables to return (see `egovlib.variables()`); default all.
    """
    known = variables()
    wanted = list(covariate_catalogue()) if names is None else list(names)
    unknown = [n for n in wanted if n not in known and n not in DERIVED]
    if unknown:
        raise EgovError(
            f"unknown variable(s) {unknown}. Known: {', '.join(sorted([*known, *DERIVED]))}"
        )
    # In the order asked (a set here gave a column order that changed with the hash seed).
    need_base = [n for n in wanted if n in known]
    for n in wanted:
        if n in DERIVED:
            need_base += [i for i in DERIVED[n][0] if i not in need_base]
    by_reader: dict[str, list[str]] = {}
    for n in need_base:
        by_reader.setdefault(known[n].reader, []).append(n)
    # remembered: a report joins covariates more than once (coverage, vintage sensitivity, ...)
    return _COVARIATES.get(
        (tuple(wanted),), list(by_reader), lambda: _covariates(wanted, by_reader)
    )


def _covariates(wanted: list[str], by_reader: dict[str, list[str]]) -> pd.DataFrame:
    """`load_covariates` without the memo, for the variables ``by_reader`` reads."""
    parts = [
        (t := load_table(r))[t["variable"].isin(vs)].reset_index(drop=True)
        for r, vs in by_reader.items()
    ]
    long = pd.concat(parts, ignore_index=True) if parts else _empty_long()
    for n in wanted:
        if n in DERIVED:
            inputs, fn, _ = DERIVED[n]
            wide = long[long["variable"].isin(inputs)].pivot_table(
                index=["iso3", "year"], columns="variable", values="value"
            )
            vals = fn(wide).dropna()
            long = pd.concat(
                [
                    long,
                    pd.DataFrame(
                        {
                            "iso3": vals.index.get_level_values(0),
                            "year": vals.index.get_level_values(1),
                            "variable": n,
                            "value": vals.to_numpy(),
                            "source": "+".join(inputs),
                        }
                    ),
                ],
                ignore_index=True,
            )
    return long[long["variable"].isin(wanted)].reset_index(drop=True)


def _empty_long() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "iso3": pd.Series(dtype=str),
            "year": pd.Series(dtype=int),
            "variable": pd.Series(dtype=str),
            "value": pd.Series(dtype=float),
            "source": pd.Series(dtype=str),
        }
    )


@dataclass
class Panel:
    """An analysis panel and its provenance.

    Attributes
    ----------
    data : DataFrame
        One row per country and edition: the EGDI panel columns plus one column per covariate.
    ref_years : DataFrame
        Same rows; for each covariate the reference year whose value was used.
    coverage : DataFrame
        Share of countries with data, per variable (rows) and country group (columns).
    log : list of str
        One line per join: rows before and after, cells filled, economies left out.
    rule : str
        The vintage rule, in words.
    """

    data: pd.DataFrame
    ref_years: pd.DataFrame
    coverage: pd.DataFrame
    log: list[str] = field(default_factory=list)
    rule: str = ""


def build_panel(
    years: Iterable[int] | int | None = None,
    covariates: Iterable[str] | None = None,
    *,
    lag: int = VINTAGE_LAG,
    max_age: int | None = VINTAGE_MAX_AGE,
    coverage_groups: Iterable[str] = ("GCC",),
    coverage: bool = True,
) -> Panel:
    """Join covariates to survey editions by the shared vintage rule.

    Vintage rule: for survey edition ``Y`` each covariate takes its latest reference year not
    after ``Y - lag`` (default ``lag=1``: the survey uses the previous year's data) and, if
    ``max_age`` is not None, not before ``Y - lag - max_age`` (default 5 years). Missing stays
    missing. Every notebook uses the defaults; pass other values only in a sensitivity analysis
    (`vintage_sensitivity`).

    Parameters
    ----------
    years : int or list of int, optional
        Survey editions; default all.
    covariates : list of str, optional
        Covariate names (`egovlib.variables()`); default all.
    lag, max_age : int
        The vintage rule (see above; ``max_age=None`` sets no age limit).
    coverage_groups : list of str
        Named groups (besides all countries, regions and income groups) for the coverage table.
    coverage : bool
        False skips the coverage table (``Panel.coverage`` is then empty), for callers that
        use only the joined data (the index engine, once per report).

    Returns
    -------
    Panel
    """
    if lag < 0 or (max_age is not None and max_age < 0):
        raise EgovError("lag and max_age must be >= 0")
    base = load_egdi_panel(years)
    long = load_covariates(covariates)
    # (pandas' unique keeps the order of appearance; iterating the string column in Python, as
    # dict.fromkeys did, took a third of this function)
    names = list(long["variable"].unique()) if covariates is None else list(covariates)
    rule = vintage_rule_text(lag, max_age)
    lines = [
        f"EGDI panel: {len(base)} rows ({base['iso3'].nunique()} countries x "
        f"{base['year'].nunique()} editions). Vintage rule: {rule}."
    ]
    universe = set(base["iso3"])
    data, refs = base.copy(), base[["iso3", "year"]].copy()
    if base.duplicated(["iso3", "year"]).any():
        raise EgovError("the EGDI panel has duplicated (iso3, year) rows; cannot join covariates")
    picked = _vintage_all(long, names, base[["iso3", "year"]], lag, max_age)
    pairs = long.loc[~long["iso3"].isin(universe), ["variable", "iso3"]].drop_duplicates()
    outside_of = pairs.sort_values("iso3").groupby("variable", sort=False)["iso3"].agg(list)
    values, ref_years = {}, {}
    for k, name in enumerate(names):
        outside = outside_of.get(name, [])
        # rows k*n ... (k+1)*n of `picked` are this covariate's, in the order of `base`
        block = picked.iloc[k * len(base) : (k + 1) * len(base)]
        before = len(data)
        values[name] = block["value"].array
        ref_years[name] = block["ref_year"].array
        filled = int(block["value"].notna().sum())
        lines.append(
            f"{name}: {before} rows before join, {len(data)} after; {filled} filled "
            f"({filled / max(len(data), 1):.0%}); {len(outside)} economies in the source are "
            f"outside the 193-country universe and not joined"
            + (
                f" ({', '.join(outside[:12])}{' ...' if len(outside) > 12 else ''})"
                if outside
                else ""
            )
        )
    data = pd.concat([data, pd.DataFrame(values, index=data.index)], axis=1)
    refs = pd.concat([refs, pd.DataFrame(ref_years, index=refs.index)], axis=1)
    for line in lines:
        log.info(line)
    cov = coverage_table(data, [*INDICES, *names], coverage_groups) if coverage else pd.DataFrame()
    return Panel(data=data, ref_years=refs, coverage=cov, log=lines, rule=rule)


def apply_vintage_rule(
    series: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    lag: int = VINTAGE_LAG,
    max_age: int | None = VINTAGE_MAX_AGE,
) -> pd.DataFrame:
    """Pick, for each country and survey edition, the value of the latest admissible reference year.

    Parameters
    ----------
    series : DataFrame
        One variable in long format: ``iso3, year, value`` (``year`` = reference year).
    targets : DataFrame
        ``iso3, year`` pairs (``year`` = survey edition).
    lag, max_age : int
        Reference year must be <= edition - lag and, if ``max_age`` is not None, >= edition -
        lag - max_age (defaults: the shared rule, `VINTAGE_LAG` and `VINTAGE_MAX_AGE`).

    Returns
    -------
    DataFrame
        ``iso3, year, value, ref_year`` aligned with ``targets`` (missing where nothing qualifies).
    """
    right = series.rename(columns={"year": "ref_year"})[["iso3", "ref_year", "value"]]
    right = right.dropna(subset=["value"]).astype({"ref_year": "int64"}).sort_values("ref_year")
    left = targets[["iso3", "year"]].astype({"year": "int64"}).copy()
    left["cutoff"] = left["year"] - lag
    out = pd.merge_asof(
        left.sort_values("cutoff"),
        right,
        left_on="cutoff",
        right_on="ref_year",
        by="iso3",
        direction="backward",
        tolerance=max_age,
    )
    out = targets[["iso3", "year"]].merge(
        out.drop(columns="cutoff"), on=["iso3", "year"], how="left", validate="one_to_one"
    )
    out["ref_year"] = out["ref_year"].astype("Int64")
    return out


def _vintage_all(
    long: pd.DataFrame,
    names: list[str],
    targets: pd.DataFrame,
    lag: int,
    max_age: int | None,
) -> pd.DataFrame:
    """`apply_vintage_rule` for every covariate of ``names`` in one pass.

    Returns the targets repeated once per covariate, in the order of ``names`` then
    ``targets``, with ``iso3, year, ref_year, value, variable``: the values of one
    `apply_vintage_rule` call per covariate (``tests/test_panel.py`` compares them on every
    edition and rule). Done with numpy rather than pandas' ``merge_asof`` (see `_VintageIndex`).
    This is called for every panel; pandas' merges and string keys took 0.1 s a call.
    """
    return _VintageIndex(long, names, targets).pick(lag, max_age)


class _VintageIndex:
    """Covariate values sorted for the vintage rule, to apply it under one rule or several.

    Each (covariate, country, reference year) becomes one integer, the values are sorted by it,
    and each (covariate, country, edition) finds its latest admissible year by one binary
    search. Sorting is most of the work and does not depend on the rule: `vintage_sensitivity`
    sorts once and searches once per rule.
    """

    def __init__(self, long: pd.DataFrame, names: list[str], targets: pd.DataFrame) -> None:
        self.names, self.targets = names, targets
        if not names:
            return
        n_targets = len(targets)
        t_iso = targets["iso3"].to_numpy(dtype=object)
        self.t_year = targets["year"].to_numpy(dtype="int64")
        position = {n: i for i, n in enumerate(names)}
        codes, uniques = pd.factorize(long["variable"])
        var_code = np.array([position.get(u, -1) for u in uniques] + [-1], dtype="int64")[codes]
        has = (var_code >= 0) & long["value"].notna().to_numpy()
        # one code per country over the data's rows, then the targets' (split again below)
        iso_code, iso = pd.factorize(
            np.concatenate([long["iso3"].to_numpy(dtype=object)[has], t_iso]),
            use_na_sentinel=False,
        )
        ref = long["year"].to_numpy(dtype="int64")[has]
        if len(ref) and (ref.min() < 0 or ref.max() >= _YEAR_SPAN):
            raise EgovError(f"covariate reference years outside 0-{_YEAR_SPAN - 1}: cannot join")
        # (covariate, country) pair -> one integer; with the reference year, one sortable key
        pair = var_code[has] * len(iso) + iso_code[: len(ref)]
        key = pair * _YEAR_SPAN + ref
        order = np.argsort(key, kind="stable")
        key, ref = key[order], ref[order]
        value = long["value"].to_numpy(dtype="float64")[has][order]
        if (dup := np.flatnonzero(key[1:] == key[:-1])).size:
            row = order[dup[0]]
            name, country = long["variable"].to_numpy()[has][row], long["iso3"].to_numpy()[has][row]
            raise EgovError(
                f"covariate {name!r} has two values for {country} in {ref[dup[0]]}: the vintage "
                "rule cannot pick one. Fix: its reader must give one value per country and year."
            )
        self.key, self.ref, self.value = key, ref, value
        self.want_pair = np.arange(len(names), dtype="int64").repeat(n_targets) * len(
            iso
        ) + np.tile(iso_code[len(ref) :], len(names))
        # (arrow takes: building string columns from Python objects cost as much again)
        self.iso3 = targets["iso3"].array.take(np.tile(np.arange(n_targets), len(names)))
        self.variable = pd.array(names, dtype="str").take(np.arange(len(names)).repeat(n_targets))

    def pick(self, lag: int, max_age: int | None) -> pd.DataFrame:
        """`_vintage_all`'s table under the rule (``lag``, ``max_age``)."""
        names = self.names
        if not names:
            return pd.DataFrame(columns=["iso3", "year", "value", "ref_year", "variable"])
        key, ref, value = self.key, self.ref, self.value
        cutoff = np.tile(self.t_year - lag, len(names))
        at = np.searchsorted(key, self.want_pair * _YEAR_SPAN + cutoff, side="right") - 1
        found = at >= 0
        at = np.where(found, at, 0)
        if len(key):
            found &= key[at] // _YEAR_SPAN == self.want_pair
            if max_age is not None:
                found &= ref[at] >= cutoff - max_age
        else:
            found[:] = False
        return pd.DataFrame(
            {
                "iso3": self.iso3,
                "year": np.tile(self.t_year, len(names)),
                "ref_year": pd.array(np.where(found, ref[at] if len(key) else 0, 0), dtype="Int64"),
                "value": np.where(found, value[at] if len(key) else np.nan, np.nan),
                "variable": self.variable,
            }
        ).assign(ref_year=lambda d: d["ref_year"].where(found))


#: Reference years are joined as ``pair * _YEAR_SPAN + year`` (`_vintage_all`).
_YEAR_SPAN = 10_000


#: Alternative vintage rules compared with the default in `vintage_sensitivity` (lag, max_age).
VINTAGE_ALTERNATIVES: tuple[tuple[int, int | None], ...] = (
    (VINTAGE_LAG, 3),
    (VINTAGE_LAG, 10),
    (VINTAGE_LAG, None),
    (0, VINTAGE_MAX_AGE),
    (2, VINTAGE_MAX_AGE),
)


def vintage_sensitivity(
    year: int,
    covariates: Iterable[str] | None = None,
    rules: Iterable[tuple[int, int | None]] = VINTAGE_ALTERNATIVES,
) -> pd.DataFrame:
    """How much each covariate's data for edition ``year`` depend on the vintage rule.

    For the default rule and each alternative ``(lag, max_age)``: how many of the edition's UN
    member states (`not_yet_members` left out) get a value, the median age of the values used
    (edition minus reference year), and, against the default, how many countries gain or lose a
    value and how many get a different value.

    Parameters
    ----------
    year : int
        Survey edition.
    covariates : list of str, optional
        Default: every covariate (`covariate_catalogue`).
    rules : iterable of (lag, max_age)
        Alternatives to the default rule (``max_age=None``: no age limit).

    Returns
    -------
    DataFrame
        One row per covariate and rule: ``variable, rule, lag, max_age, default`` (True for the
        default rule), ``countries, median_age, gained, lost, changed``.
    """
    check_editions([year])
    names = list(covariate_catalogue()) if covariates is None else list(covariates)
    long = load_covariates(names)
    targets = load_egdi_panel(year)[["iso3", "year"]]
    targets = targets[~targets["iso3"].isin(list(not_yet_members(year)))]
    default = (VINTAGE_LAG, VINTAGE_MAX_AGE)
    all_rules = [default, *[r for r in rules if tuple(r) != default]]
    # One vintage-rule pass per rule over every covariate at once (the rule is applied per
    # covariate and country: the pair is the key), and the counts per covariate by one groupby
    # per rule, not one pandas call per covariate and rule: the same values in a fraction of the
    # time (pandas' per-call overhead dominated the data overview). `_vintage_all` returns the
    # same (covariate, country) rows in the same order for every rule, so rules compare by
    # position.
    index = _VintageIndex(long, names, targets)  # sorted once, searched once per rule
    base = index.pick(*default)
    base_has = base["value"].notna().to_numpy()
    parts: list[pd.DataFrame] = []
    for lag, max_age in all_rules:
        got = base if (lag, max_age) == default else index.pick(lag, max_age)
        has = got["value"].notna().to_numpy()
        both = has & base_has
        age = (year - got["ref_year"]).astype("float64").where(has)
        part = pd.DataFrame(
            {
                "variable": got["variable"].to_numpy(),
                "countries": has,
                "age": age.to_numpy(),
                "gained": has & ~base_has,
                "lost": ~has & base_has,
                "changed": both & (got["value"].to_numpy() != base["value"].to_numpy()),
            }
        )
        sums = part.groupby("variable", sort=False).agg(
            countries=("countries", "sum"),
            median_age=("age", "median"),
            gained=("gained", "sum"),
            lost=("lost", "sum"),
            changed=("changed", "sum"),
        )
        sums = sums.reindex(names)
        parts.append(
            pd.DataFrame(
                {
                    "variable": names,
                    "rule": vintage_rule_text(lag, max_age),
                    "lag": lag,
                    "max_age": max_age,
                    "default": (lag, max_age) == default,
                    "countries": sums["countries"].fillna(0).astype("int64").to_numpy(),
                    "median_age": sums["median_age"].astype("float64").to_numpy(),
                    "gained": sums["gained"].fillna(0).astype("int64").to_numpy(),
                    "lost": sums["lost"].fillna(0).astype("int64").to_numpy(),
                    "changed": sums["changed"].fillna(0).astype("int64").to_numpy(),
                },
                index=[i * len(all_rules) + len(parts) for i in range(len(names))],
            )
        )
    out = pd.concat(parts).sort_index().reset_index(drop=True)
    out["max_age"] = out["max_age"].astype("Int64")
    return out


def coverage_table(
    data: pd.DataFrame, columns: Iterable[str], groups: Iterable[str] = ("GCC",)
) -> pd.DataFrame:
    """Share of countries with a value, per variable (rows) and country group (columns).

    Groups: all countries, the named ``groups``, UN regions and World Bank income groups.
    With several editions in ``data`` the share is over country-editions.
    """
    columns = [c for c in columns if c in data.columns]
    masks = {"All countries": pd.Series(True, index=data.index)}
    for g in groups:
        masks[g] = data["iso3"].isin(resolve_group(g))
    for col in ("region", "income_group"):
        for val in sorted(data[col].dropna().unique()):
            masks[val] = data[col] == val
    # Counts of countries with a value by one matrix product (groups x rows, rows x variables)
    # rather than a `.loc` selection and mean per group: counts are whole numbers, exact in
    # floating point, and count / size is the division pandas' mean makes, so the shares are
    # the same to the last bit (``tests/test_panel.py`` compares them).
    member = np.array([np.asarray(m, dtype=float) for m in masks.values()]).reshape(
        len(masks), len(data)
    )
    counts = member @ data[columns].notna().to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / member.sum(axis=1)[:, None]
    out = pd.DataFrame(shares.T, index=pd.Index(columns, name="variable"), columns=list(masks))
    return out


__all__ = [
    "UN_ADMISSIONS",
    "VINTAGE_ALTERNATIVES",
    "VINTAGE_LAG",
    "VINTAGE_MAX_AGE",
    "Panel",
    "UNAdmission",
    "not_yet_members",
    "income_classification_year",
    "vintage_rule_text",
    "vintage_sensitivity",
    "covariate_catalogue",
    "apply_vintage_rule",
    "build_panel",
    "check_editions",
    "coverage_table",
    "editions",
    "latest_edition",
    "load_covariates",
    "load_egdi_panel",
]
