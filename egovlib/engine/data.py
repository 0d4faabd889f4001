"""The data an index is built from: one edition's assessed countries and their components."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..panel import VINTAGE_LAG, VINTAGE_MAX_AGE
from ..vocabulary import INDICES
from .spec import IndexSpec

#: The shared vintage rule of `egovlib.panel` (lag and maximum age); the engine's alternatives
#: (`egovlib.engine.assess.VINTAGE_ALTERNATIVES`) vary the maximum age around it.
LAG = VINTAGE_LAG
MAX_AGE = VINTAGE_MAX_AGE

_META = ("country", "region", "subregion", "income_group")


@dataclass
class IndexData:
    """One edition's assessed countries, published indices and covariates under vintage rules.

    Attributes
    ----------
    year : int
    frame : DataFrame
        Index iso3 (assessed countries, in a fixed order): country, region, subregion,
        income_group, the published osi, hci, tii, egdi, epi and the published EGDI ``rank``.
    by_age : dict of int -> DataFrame
        Per maximum age (years): the covariates of that vintage rule, same index as ``frame``.
    ref_years : dict of int -> DataFrame
        The reference year of each covariate value used, per maximum age.
    variables : list of str
        Covariates loaded.
    log : list of str
        How the data were assembled (row counts of each join).
    """

    year: int
    frame: pd.DataFrame
    by_age: dict[int, pd.DataFrame]
    ref_years: dict[int, pd.DataFrame]
    variables: list[str]
    log: list[str] = field(default_factory=list)

    @property
    def countries(self) -> pd.Index:
        """ISO3 codes of the assessed countries, in the order of every array."""
        return self.frame.index

    def matrix(self, variables: Iterable[str], max_age: int = MAX_AGE) -> pd.DataFrame:
        """Raw values of ``variables`` (published indices or covariates) under a vintage rule."""
        variables = list(variables)
        if max_age not in self.by_age:
            raise SpecError(
                f"the data for {self.year} were loaded for maximum ages {sorted(self.by_age)}, "
                f"not {max_age}. Fix: pass max_ages=[..., {max_age}] to index_data()."
            )
        cov = self.by_age[max_age]
        missing = [v for v in variables if v not in INDICES and v not in cov.columns]
        if missing:
            raise SpecError(
                f"the data for {self.year} lack {missing}. Fix: load them with "
                f"index_data({self.year}, variables=[..., {missing[0]!r}])."
            )
        return pd.DataFrame(
            {v: (self.frame[v] if v in INDICES else cov[v]).astype(float) for v in variables},
            index=self.frame.index,
        )

    def reference_years(self, variables: Iterable[str], max_age: int = MAX_AGE) -> pd.DataFrame:
        """Reference year of each covariate value (published indices: the edition)."""
        refs = self.ref_years[max_age]
        return pd.DataFrame(
            {v: (refs[v] if v in refs.columns else self.year) for v in variables},
            index=self.frame.index,
        )

    def groups(self, by: str) -> np.ndarray:
        """Integer group code of each country for an imputation group (-1 = no group)."""
        if by == "none":
            return np.full(len(self.frame), -1)
        codes, _ = pd.factorize(self.frame[by])
        return codes


def index_data(
    year: int,
    variables: Iterable[str] | Iterable[IndexSpec] = (),
    *,
    max_ages: Iterable[int] = (MAX_AGE,),
    lag: int = LAG,
) -> IndexData:
    """Load the data to build indices for one edition.

    Parameters
    ----------
    year : int
        Survey edition.
    variables : list of str or of IndexSpec
        Covariates (published index columns are always there), or specs whose variables to load.
    max_ages : list of int
        Vintage rules to load (the first is the nominal rule; the others are alternatives for
        the Monte Carlo's data uncertainty).
    lag : int
        Reference year at most ``year - lag``.
    """
    from ..panel import build_panel, vintage_rule_text

    names: list[str] = []
    for v in variables:
        names.extend(v.variables if isinstance(v, IndexSpec) else [v])
    covs = [v for v in dict.fromkeys(names) if v not in INDICES]
    ages = list(dict.fromkeys(int(a) for a in max_ages))
    # The vintage rule takes the latest value at or before year - lag and drops it if older
    # than the maximum age, so one panel with the longest age gives every shorter rule by
    # masking older reference years (one panel build instead of one per rule).
    # (the panel's coverage table is not used here: the engine reports its own, per build)
    panel = build_panel(year, covariates=covs, lag=lag, max_age=max(ages), coverage=False)
    d = panel.data
    keep = (d["year"] == year) & d["assessed"].astype(bool)
    sel = d.loc[keep].set_index("iso3")
    cols = [c for c in (*_META, *INDICES, "rank") if c in sel.columns]
    frame = sel[cols].copy()
    longest = sel[covs].astype(float)
    longest_refs = panel.ref_years.loc[keep.to_numpy()].set_index("iso3")[covs]
    log = [
        f"{year}: {len(frame)} assessed countries of {len(d)} in the edition; "
        f"covariates {', '.join(covs) or 'none'}."
    ]
    values, refs = {}, {}
    for age in ages:
        recent = longest_refs.ge(year - lag - age).fillna(False).to_numpy(bool)
        values[age] = longest.where(recent).reindex(frame.index)
        refs[age] = longest_refs.where(recent).reindex(frame.index)
        log.append(f"vintage rule {vintage_rule_text(lag, age)} (max age {age} years)")
    return IndexData(year, frame, values, refs, covs, log)
