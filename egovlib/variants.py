"""Index variants as data: declarative specs computed for any edition, rank shifts, coherence.

A variant (COINr / OECD-JRC Handbook practice) is a small frozen spec: components (each a panel
variable or a published index column, with its direction and weight), one normalisation, one
aggregation, an optional final min-max rescale, and a missing-data policy. `compute_variant` turns
a spec and a survey edition into scores, ranks and flags; `rank_shifts` compares it with the
published index; `coherence` gives the correlation matrix, Cronbach's alpha and the first
principal-component share. Named specs live in ``egovlib/hci_variants.yml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import config
from .errors import SpecError
from .indices import (
    AGGREGATIONS,
    NORMALISATIONS,
    aggregate,
    egdi_from_components,
    normalise,
    rank_desc,
)
from .vocabulary import INDICES

VARIANTS_PATH = config.PACKAGE_DIR / "hci_variants.yml"

#: Published index columns of the EGDI panel that a spec may use as components.
#: Normalisations a spec may name: those of `egovlib.indices` plus "none" (values as they are).
SPEC_NORMALISATIONS = ("none", *NORMALISATIONS)
#: Country groups whose median may replace a missing value.
IMPUTATION_GROUPS = ("none", "region", "subregion", "income_group")
WEIGHT_TOLERANCE = 1e-9
#: Reader-facing words for the method ids of a spec (normalisation, aggregation, imputation group).
METHOD_WORDS = {
    "none": "none",
    "minmax": "min-max",
    "zscore": "z-score",
    "rank": "rank",
    "distance_to_frontier": "distance to frontier",
    "arithmetic": "arithmetic mean",
    "geometric": "geometric mean",
    "region": "region",
    "subregion": "subregion",
    "income_group": "income-group",
}


def method_words(name: str) -> str:
    """Reader-facing words for a method id (`METHOD_WORDS`; other ids with spaces for ``_``)."""
    return METHOD_WORDS.get(name, str(name).replace("_", " "))


@dataclass(frozen=True)
class Component:
    """One component of an index variant.

    Attributes
    ----------
    variable : str
        A published index column (``hci``, ``osi``, ...) or a covariate (`egovlib.variables()`).
    weight : float
        Nominal weight; the weights of a spec sum to one.
    direction : {1, -1}
        1 = higher is better; -1 = lower is better (flipped as ``max + min - x``, which keeps
        the range and non-negativity).
    label : str
        Short human label for tables.
    proxy_for : str
        What the variable stands in for, said plainly (honest naming of proxies).
    """

    variable: str
    weight: float
    direction: int = 1
    label: str = ""
    proxy_for: str = ""

    def __post_init__(self):
        if self.direction not in (1, -1):
            raise SpecError(
                f"component {self.variable!r}: direction must be 1 or -1, not {self.direction!r}"
            )
        if not (isinstance(self.weight, (int, float)) and self.weight >= 0):
            raise SpecError(
                f"component {self.variable!r}: weight must be a number >= 0, not {self.weight!r}"
            )


@dataclass(frozen=True)
class MissingPolicy:
    """What to do with a country that lacks some components.

    Attributes
    ----------
    min_coverage : float
        Share of the components (by count) a country must have observed to be imputed.
    impute : {"none", "region", "subregion", "income_group"}
        Replace a missing raw value by the median of the observed values of the country's
        group in the same edition (flagged in ``VariantResult.imputed``).
    otherwise : {"reweight", "missing"}
        A country still lacking a component (below ``min_coverage``, imputation off, or no
        group value): ``reweight`` aggregates the components it has with their weights
        rescaled to sum to one (for ``hci`` + proxy this leaves it on the published HCI);
        ``missing`` leaves it unscored.
    """

    min_coverage: float = 1.0
    impute: str = "none"
    otherwise: str = "reweight"

    def __post_init__(self):
        if not 0 < self.min_coverage <= 1:
            raise SpecError(f"missing.min_coverage must be in (0, 1], not {self.min_coverage!r}")
        if self.impute not in IMPUTATION_GROUPS:
            raise SpecError(
                f"missing.impute {self.impute!r} unknown; choose one of {IMPUTATION_GROUPS}"
            )
        if self.otherwise not in ("reweight", "missing"):
            raise SpecError(
                f"missing.otherwise {self.otherwise!r} unknown; choose 'reweight' or 'missing'"
            )


@dataclass(frozen=True)
class VariantSpec:
    """A declarative index variant.

    Attributes
    ----------
    name : str
        Identifier (the YAML key).
    label : str
        Title for tables and figures.
    components : tuple of Component
        Their weights must sum to one.
    normalisation : {"none", "minmax", "zscore", "rank", "distance_to_frontier"}
    aggregation : {"arithmetic", "geometric"}
    rescale : {"none", "minmax"}
        Min-max rescale the aggregate to [0, 1] within the edition (UN practice for HCI).
    missing : MissingPolicy
    replaces : str or None
        The EGDI component the variant replaces in the implied EGDI (``"hci"``), or None.
    role : {"baseline", "proposal", "comparison"}
    description, proxy_note, data_needed : str
        Prose used in the report: what it is, how honest the proxy is, and the data the UN
        would need from member states to compute it properly.
    """

    name: str
    label: str
    components: tuple[Component, ...]
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    rescale: str = "minmax"
    missing: MissingPolicy = field(default_factory=MissingPolicy)
    replaces: str | None = "hci"
    role: str = "proposal"
    description: str = ""
    proxy_note: str = ""
    data_needed: str = ""

    def __post_init__(self):
        where = f"variant {self.name!r}"
        if not self.components:
            raise SpecError(f"{where}: needs at least one component")
        names = [c.variable for c in self.components]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"{where}: component(s) {dupes} listed twice")
        total = sum(c.weight for c in self.components)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise SpecError(
                f"{where}: weights must sum to 1; they sum to {total:.6g} "
                f"({self.weights}). "
                "Fix the weights in the spec."
            )
        if self.normalisation not in SPEC_NORMALISATIONS:
            raise SpecError(
                f"{where}: normalisation {self.normalisation!r} unknown; choose one "
                f"of {SPEC_NORMALISATIONS}"
            )
        if self.aggregation not in AGGREGATIONS:
            raise SpecError(
                f"{where}: aggregation {self.aggregation!r} unknown; choose one of {AGGREGATIONS}"
            )
        if self.aggregation == "geometric" and self.normalisation == "zscore":
            raise SpecError(
                f"{where}: geometric aggregation needs non-negative components; "
                "z-scores are signed (use minmax, rank or distance_to_frontier)"
            )
        if self.rescale not in ("none", "minmax"):
            raise SpecError(f"{where}: rescale {self.rescale!r} unknown; choose 'none' or 'minmax'")
        if self.replaces not in (None, "hci", "osi", "tii"):
            raise SpecError(f"{where}: replaces must be one of hci, osi, tii or null")
        if self.role not in ("baseline", "proposal", "comparison"):
            raise SpecError(f"{where}: role must be baseline, proposal or comparison")

    @property
    def variables(self) -> list[str]:
        """Component variable names, in order."""
        return [c.variable for c in self.components]

    @property
    def weights(self) -> dict[str, float]:
        """Nominal weights by variable."""
        return {c.variable: float(c.weight) for c in self.components}

    @property
    def covariates(self) -> list[str]:
        """Components that are covariates (not published index columns)."""
        return [v for v in self.variables if v not in INDICES]

    @property
    def new_components(self) -> list[str]:
        """Components other than the index the variant replaces (the proposal's additions)."""
        return [v for v in self.variables if v != self.replaces]


# --------------------------------------------------------------------------------------------
# Reading specs
# --------------------------------------------------------------------------------------------


def known_variables() -> list[str]:
    """Names a spec may use: published index columns, covariates and derived variables."""
    from .panel import covariate_catalogue

    return sorted({*INDICES, *covariate_catalogue()})


def check_variables(
    spec: VariantSpec, known: Iterable[str] | None = None, file: Path | str | None = None
) -> None:
    """Raise `SpecError` naming any component variable that does not exist, and the known ones."""
    known = sorted(known) if known is not None else known_variables()
    bad = [v for v in spec.variables if v not in known]
    if bad:
        where = f"{file}: " if file else ""
        raise SpecError(
            f"{where}variant {spec.name!r} uses unknown variable(s) {bad}. Known variables: "
            f"{', '.join(known)}. Fix the name in the spec, or add a reader that produces it."
        )


def spec_from_dict(name: str, entry: Mapping, file: Path | str | None = None) -> VariantSpec:
    """Build a `VariantSpec` from one YAML entry (see ``egovlib/hci_variants.yml``)."""
    where = f"{file}: " if file else ""
    if not isinstance(entry, Mapping):
        raise SpecError(f"{where}variant {name!r} must be a mapping, not {type(entry).__name__}")
    allowed = {
        "label",
        "components",
        "normalisation",
        "aggregation",
        "rescale",
        "missing",
        "replaces",
        "role",
        "description",
        "proxy_note",
        "data_needed",
    }
    extra = sorted(set(entry) - allowed)
    if extra:
        raise SpecError(
            f"{where}variant {name!r}: unknown key(s) {extra}; allowed: {sorted(allowed)}"
        )
    comps = entry.get("components") or []
    if not isinstance(comps, list):
        raise SpecError(
            f"{where}variant {name!r}: components must be a list of "
            "{variable, weight, direction, label, proxy_for}"
        )
    try:
        components = tuple(Component(**c) for c in comps)
        missing = MissingPolicy(**(entry.get("missing") or {}))
    except TypeError as exc:
        raise SpecError(f"{where}variant {name!r}: {exc}") from exc
    kwargs = {k: v for k, v in entry.items() if k not in ("components", "missing")}
    kwargs.setdefault("label", name)
    try:
        return VariantSpec(name=name, components=components, missing=missing, **kwargs)
    except SpecError as exc:
        raise SpecError(f"{where}{exc}") from exc


def load_specs(path: Path | str | None = None, *, check: bool = True) -> dict[str, VariantSpec]:
    """Read named variant specs from YAML (default ``egovlib/hci_variants.yml``).

    Parameters
    ----------
    path : path, optional
        YAML file with a top-level ``variants:`` mapping of name -> spec.
    check : bool
        Check every component variable against `known_variables()`.
    """
    path = Path(path) if path is not None else VARIANTS_PATH
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = doc.get("variants")
    if not isinstance(entries, Mapping) or not entries:
        raise SpecError(f"{path}: expected a top-level `variants:` mapping of name -> spec")
    specs = {name: spec_from_dict(name, entry, path) for name, entry in entries.items()}
    if check:
        known = known_variables()
        for spec in specs.values():
            check_variables(spec, known, path)
    return specs


def proposals(specs: Mapping[str, VariantSpec]) -> list[str]:
    """Names of the specs whose role is ``proposal``, in file order."""
    return [n for n, s in specs.items() if s.role == "proposal"]


# --------------------------------------------------------------------------------------------
# Computing a spec
# --------------------------------------------------------------------------------------------


@dataclass
class VariantResult:
    """A variant computed for one edition.

    Attributes
    ----------
    spec : VariantSpec
    year : int
    data : DataFrame
        One row per country (index iso3): ``country, region, subregion, income_group, osi, hci,
        tii, egdi``, the raw component values as used (after imputation), ``score``, ``rank``,
        ``n_observed``, ``coverage``, ``imputed_any``, ``reweighted``, ``scored``.
    raw : DataFrame
        Raw component values before imputation (direction not applied), index iso3.
    imputed : DataFrame of bool
        True exactly where a component value was imputed.
    group_values : DataFrame
        The group-median value each country would receive per component (NaN if the group has
        no observed value); used by the Monte Carlo when it switches imputation on.
    ref_years : DataFrame
        Reference year of each covariate value used (vintage rule), index iso3.
    coverage : DataFrame
        Per component: observed, imputed, still missing, share observed, reference years.
    log : list of str
    """

    spec: VariantSpec
    year: int
    data: pd.DataFrame
    raw: pd.DataFrame
    imputed: pd.DataFrame
    group_values: pd.DataFrame
    ref_years: pd.DataFrame
    coverage: pd.DataFrame
    log: list[str] = field(default_factory=list)

    @property
    def evaluable(self) -> bool:
        """False when none of the proposal's new components has any observed value."""
        new = self.spec.new_components
        return not new or bool(self.raw[new].notna().any().any())


def variant_panel(year: int, variables: Iterable[str], *, lag: int = 1, max_age: int | None = None):
    """The panel for one edition with the covariates the specs need (`egovlib.build_panel`).

    ``max_age=None`` (default) lets a sparse proxy reach back to its latest reference year not
    after ``year - lag``, however old; the reference years used are reported.
    """
    from .panel import build_panel

    covs = [v for v in dict.fromkeys(variables) if v not in INDICES]
    return build_panel(year, covariates=covs, lag=lag, max_age=max_age)


def compute_variant(
    spec: VariantSpec, year: int, panel=None, *, lag: int = 1, max_age: int | None = None
) -> VariantResult:
    """Compute an index variant for one survey edition.

    Parameters
    ----------
    spec : VariantSpec
    year : int
        Survey edition.
    panel : Panel or DataFrame, optional
        A `egovlib.Panel` (from `variant_panel`/`build_panel`) or its ``data`` for this edition,
        holding the component columns; built with `variant_panel` if omitted. Extra editions
        are ignored.
    lag, max_age : int
        Vintage rule, used only when ``panel`` is omitted.

    Returns
    -------
    VariantResult

    Notes
    -----
    Order of steps (OECD/JRC Handbook): select the edition's assessed countries; apply the
    missing-data policy to raw values (group-median imputation, flagged); flip lower-is-better
    components; normalise each component over the countries; aggregate with the nominal weights
    (`egovlib.indices.aggregate`; countries left with missing components are aggregated over
    what they have, weights rescaled, if ``missing.otherwise == "reweight"``); min-max rescale
    if asked; rank (1 = best, ties share the best rank).
    """
    if panel is None:
        panel = variant_panel(year, spec.variables, lag=lag, max_age=max_age)
    data = getattr(panel, "data", panel)
    refs_all = getattr(panel, "ref_years", None)
    bad = [v for v in spec.variables if v not in data.columns]
    if bad:
        raise SpecError(
            f"variant {spec.name!r}: the panel lacks column(s) {bad}; build it with "
            f"variant_panel(year, {spec.variables})"
        )
    in_edition = data["year"] == year
    if not in_edition.any():
        raise SpecError(f"variant {spec.name!r}: the panel has no rows for edition {year}")
    sel = in_edition & data["assessed"].astype(bool)
    base_cols = [
        c
        for c in ("country", "region", "subregion", "income_group", "osi", "hci", "tii", "egdi")
        if c in data.columns
    ]
    frame = data.loc[sel].set_index("iso3")
    raw = frame[spec.variables].astype(float)
    if refs_all is not None:
        refs = refs_all.loc[sel.to_numpy()].set_index("iso3")
        refs = refs[[c for c in spec.covariates if c in refs.columns]]
    else:
        refs = pd.DataFrame(index=raw.index)

    group_values = _group_medians(raw, frame, spec.missing.impute)
    values, imputed = apply_missing_policy(raw, group_values, spec.missing.min_coverage)
    score, reweighted = _score(values, spec)
    n_obs = raw.notna().sum(axis=1)
    out = frame[base_cols].copy()
    for v in spec.variables:
        out[f"value_{v}"] = values[v]
    out["n_observed"] = n_obs
    out["coverage"] = n_obs / len(spec.components)
    out["imputed_any"] = imputed.any(axis=1)
    out["reweighted"] = reweighted
    out["score"] = score
    out["scored"] = score.notna()
    out["rank"] = rank_desc(score)
    cov = _coverage_report(raw, imputed, values, refs, spec)
    log = [
        f"{spec.name} {year}: {int(out['scored'].sum())} of {len(out)} assessed countries "
        f"scored; {int(out['imputed_any'].sum())} with an imputed component "
        f"({spec.missing.impute} median); {int(reweighted.sum())} aggregated over the "
        "components they have (weights rescaled)."
    ]
    return VariantResult(
        spec=spec,
        year=year,
        data=out,
        raw=raw,
        imputed=imputed,
        group_values=group_values,
        ref_years=refs,
        coverage=cov,
        log=log,
    )


def _group_medians(raw: pd.DataFrame, frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """Median of the observed raw values of each country's group (NaN if none or no imputation)."""
    if group == "none":
        return raw * np.nan
    keys = frame[group]
    med = raw.groupby(keys, dropna=True).median()
    out = med.reindex(keys.to_numpy())
    out.index = raw.index
    return out.astype(float)


def apply_missing_policy(
    raw: pd.DataFrame, group_values: pd.DataFrame, min_coverage: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill missing raw values with group values for countries with enough coverage.

    Returns the values (imputed where allowed and a group value exists) and the boolean
    ``imputed`` flags (True exactly where a value was filled).
    """
    coverage = raw.notna().mean(axis=1)
    eligible = coverage >= min_coverage - 1e-12
    fill = raw.isna() & group_values.notna() & eligible.to_numpy()[:, None]
    values = raw.where(~fill, group_values)
    return values, fill


def oriented(values: pd.DataFrame, spec: VariantSpec) -> pd.DataFrame:
    """Flip lower-is-better components as max + min - x (keeps range and sign)."""
    out = values.copy()
    for c in spec.components:
        if c.direction == -1:
            x = out[c.variable]
            out[c.variable] = x.max() + x.min() - x
    return out


def normalise_components(values: pd.DataFrame, spec: VariantSpec) -> pd.DataFrame:
    """Oriented and normalised components (``none`` keeps the values)."""
    x = oriented(values, spec)
    return x if spec.normalisation == "none" else normalise(x, spec.normalisation)


def _score(values: pd.DataFrame, spec: VariantSpec) -> tuple[pd.Series, pd.Series]:
    """Aggregate per missingness pattern (weights rescaled over present components), rescale."""
    z = normalise_components(values, spec)
    w = pd.Series(spec.weights)
    present = z.notna()
    score = pd.Series(np.nan, index=z.index, dtype=float)
    reweighted = pd.Series(False, index=z.index)
    patterns = present.drop_duplicates()
    for _, pat in patterns.iterrows():
        rows = (present == pat).all(axis=1)
        cols = pat.index[pat.to_numpy()].tolist()
        if not cols:
            continue
        if len(cols) < len(pat):
            if spec.missing.otherwise == "missing" or w[cols].sum() <= 0:
                continue
            reweighted[rows] = True
        ww = (w[cols] / w[cols].sum()).to_dict()
        score[rows] = aggregate(z.loc[rows, cols], ww, spec.aggregation)
    if spec.rescale == "minmax":
        score = normalise(score, "minmax")
    return score, reweighted


def _coverage_report(raw, imputed, values, refs, spec) -> pd.DataFrame:
    rows = []
    for c in spec.components:
        v = c.variable
        ry = refs[v].dropna().astype(int) if v in refs.columns else pd.Series(dtype=int)
        counts = ry.value_counts().sort_index()
        rows.append(
            {
                "component": v,
                "label": c.label or v,
                "weight": c.weight,
                "observed": int(raw[v].notna().sum()),
                "imputed": int(imputed[v].sum()),
                "missing": int(values[v].isna().sum()),
                "countries": len(raw),
                "share_observed": float(raw[v].notna().mean()),
                "reference_years": ", ".join(f"{y} ({n})" for y, n in counts.items())
                if len(counts)
                else ("edition" if v in INDICES else "–"),
            }
        )
    return pd.DataFrame(rows).set_index("component")


# --------------------------------------------------------------------------------------------
# Effects
# --------------------------------------------------------------------------------------------


def implied_egdi(result: VariantResult) -> pd.Series:
    """EGDI with the replaced component swapped for the variant: mean(OSI, new HCI, TII)."""
    d = result.data
    rep = result.spec.replaces
    if rep is None:
        raise SpecError(f"variant {result.spec.name!r} replaces no EGDI component (replaces: null)")
    parts = {k: d[k] for k in ("osi", "hci", "tii")}
    parts[rep] = d["score"]
    return egdi_from_components(**parts)


def rank_shifts(result: VariantResult) -> pd.DataFrame:
    """Per country: the replaced index and the EGDI before/after, their ranks and the shifts.

    The baseline EGDI is the mean of the published OSI, HCI and TII (the published EGDI within
    1e-4 in every edition but 2008 and 2010), so a shift is due to the variant alone. A
    positive shift is a move up (a better rank).
    """
    d = result.data
    rep = result.spec.replaces or "hci"
    out = d[[c for c in ("country", "region", "income_group") if c in d.columns]].copy()
    out["index_published"] = d[rep]
    out["index_variant"] = d["score"]
    out["index_rank_published"] = rank_desc(d[rep])
    out["index_rank_variant"] = d["rank"]
    out["index_shift"] = out["index_rank_published"] - out["index_rank_variant"]
    base = egdi_from_components(d["osi"], d["hci"], d["tii"])
    new = implied_egdi(result) if result.spec.replaces else base
    out["egdi_baseline"] = base
    out["egdi_variant"] = new
    out["egdi_rank_baseline"] = rank_desc(base)
    out["egdi_rank_variant"] = rank_desc(new)
    out["egdi_shift"] = out["egdi_rank_baseline"] - out["egdi_rank_variant"]
    imp = result.imputed.reindex(out.index, fill_value=False).to_numpy(bool)
    # Component labels, not variable ids: this column is shown in the movers table.
    names = {c.variable: c.label or c.variable for c in result.spec.components}
    cols = [names.get(c, c) for c in result.imputed.columns]
    out["imputed"] = [", ".join(c for c, f in zip(cols, row, strict=True) if f) for row in imp]
    out["reweighted"] = d["reweighted"]
    return out


def shift_summary(shifts: pd.DataFrame, column: str = "egdi_shift") -> dict[str, float]:
    """Numbers for prose: countries ranked, moved, mean |shift|, largest up and down moves."""
    s = shifts[column].dropna().astype(float)
    if s.empty:
        return {
            "n": 0,
            "moved": 0,
            "share_moved": np.nan,
            "mean_abs": np.nan,
            "max_up": np.nan,
            "max_down": np.nan,
            "within_5": np.nan,
        }
    return {
        "n": int(len(s)),
        "moved": int((s != 0).sum()),
        "share_moved": float((s != 0).mean()),
        "mean_abs": float(s.abs().mean()),
        "max_up": float(s.max()),
        "max_down": float(s.min()),
        "within_5": float((s.abs() <= 5).mean()),
    }


def biggest_movers(shifts: pd.DataFrame, n: int = 10, column: str = "egdi_shift") -> pd.DataFrame:
    """The ``n`` largest moves up and the ``n`` largest moves down (ties by country code)."""
    s = shifts.dropna(subset=[column]).copy()
    s["_abs"] = s[column].astype(float)
    up = s[s["_abs"] > 0].sort_values(["_abs"], ascending=False, kind="stable").head(n)
    down = s[s["_abs"] < 0].sort_values(["_abs"], kind="stable").head(n)
    return pd.concat([up, down]).drop(columns="_abs")


def component_correlations(
    result: VariantResult, against: pd.DataFrame, method: str = "spearman"
) -> pd.DataFrame:
    """Correlation of each new component (observed values only) with existing measures.

    Parameters
    ----------
    result : VariantResult
    against : DataFrame
        Index iso3; columns such as ``hci``, ``osi``, ``tii`` and HCI input proxies.
    method : {"spearman", "pearson"}

    Returns
    -------
    DataFrame
        Rows: new components; columns: the ``against`` columns, plus ``n`` (countries with the
        component observed).
    """
    rows = {}
    for v in result.spec.new_components:
        x = result.raw[v]
        obs = x.notna()
        row = {}
        for col in against.columns:
            y = against[col].reindex(x.index)
            both = obs & y.notna()
            row[col] = x[both].corr(y[both], method=method) if both.sum() >= 3 else np.nan
        row["n"] = int(obs.sum())
        rows[v] = row
    return pd.DataFrame(rows).T


#: Existing measures a new component is compared with: the EGDI components and HCI input proxies.
EXISTING_MEASURES = ("hci", "osi", "tii", "literacy_rate", "tertiary_ger", "hdr_eys", "hdr_mys")


def existing_measures(panel, year: int, columns: Iterable[str] = EXISTING_MEASURES) -> pd.DataFrame:
    """The edition's existing measures (those present in the panel), index iso3."""
    data = getattr(panel, "data", panel)
    sel = data[(data["year"] == year) & data["assessed"].astype(bool)].set_index("iso3")
    return sel[[c for c in columns if c in sel.columns]].astype(float)


def correlation_matrix(
    panel, year: int, columns: Iterable[str], method: str = "spearman"
) -> pd.DataFrame:
    """Pairwise-complete correlation of ``columns`` over the edition's assessed countries."""
    data = getattr(panel, "data", panel)
    sel = data[(data["year"] == year) & data["assessed"].astype(bool)]
    cols = [c for c in dict.fromkeys(columns) if c in sel.columns]
    return sel[cols].astype(float).corr(method=method, min_periods=10)


def plot_correlations(corr: pd.DataFrame, labels: Mapping[str, str] | None = None):
    """Heat map of a correlation matrix (lower triangle), values printed."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    labels = labels or {}
    names = [labels.get(c, c) for c in corr.columns]
    mask = np.triu(np.ones(corr.shape, dtype=bool), k=1)
    fig, ax = plt.subplots(figsize=(1.0 * len(corr) + 4, 0.75 * len(corr) + 2.5))
    sns.heatmap(
        corr,
        mask=mask,
        annot=True,
        fmt=".2f",
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        xticklabels=names,
        yticklabels=names,
        ax=ax,
        cbar_kws={"label": "correlation"},
    )
    ax.tick_params(axis="x", rotation=40)
    for t in ax.get_xticklabels():
        t.set_ha("right")
    return fig


def coherence(result: VariantResult, observed_only: bool = True) -> dict:
    """Statistical coherence of the components: correlations, Cronbach's alpha, PC1 share.

    Computed on the normalised, oriented components over the countries with every component
    observed (``observed_only``) or as used after imputation.

    Returns
    -------
    dict
        ``corr`` (Pearson matrix), ``alpha`` (standardised Cronbach's alpha from the mean
        inter-item correlation), ``pc1_share`` (largest eigenvalue of the correlation matrix /
        number of components), ``n`` (countries used), ``k`` (components).
    """
    used = [f"value_{v}" for v in result.spec.variables]
    vals = result.raw if observed_only else result.data[used]
    vals = vals.set_axis(result.spec.variables, axis=1)
    z = oriented(vals, result.spec).dropna()
    k = z.shape[1]
    corr = z.corr()
    if k < 2 or len(z) < 3:
        return {"corr": corr, "alpha": np.nan, "pc1_share": np.nan, "n": len(z), "k": k}
    r = corr.to_numpy()
    rbar = r[np.triu_indices(k, 1)].mean()
    alpha = k * rbar / (1 + (k - 1) * rbar)
    eig = np.linalg.eigvalsh(r)
    return {
        "corr": corr,
        "alpha": float(alpha),
        "pc1_share": float(eig[-1] / k),
        "n": int(len(z)),
        "k": k,
    }


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Classical Cronbach's alpha: k/(k-1) * (1 - sum of item variances / variance of the sum).

    Rows with a missing item are dropped. Use standardised items for the standardised alpha.
    """
    x = items.dropna().astype(float)
    k = x.shape[1]
    if k < 2:
        raise SpecError("Cronbach's alpha needs at least two items")
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


__all__ = [
    "Component",
    "MissingPolicy",
    "VariantResult",
    "VariantSpec",
    "apply_missing_policy",
    "biggest_movers",
    "check_variables",
    "coherence",
    "component_correlations",
    "correlation_matrix",
    "existing_measures",
    "plot_correlations",
    "compute_variant",
    "cronbach_alpha",
    "implied_egdi",
    "known_variables",
    "load_specs",
    "normalise_components",
    "oriented",
    "proposals",
    "rank_shifts",
    "shift_summary",
    "spec_from_dict",
    "variant_panel",
]


# --------------------------------------------------------------------------------------------
# Report tables and prose (shared by any notebook that presents variants)
# --------------------------------------------------------------------------------------------


def select_proposals(
    specs: Mapping[str, VariantSpec], names: Iterable[str] | None = None
) -> list[str]:
    """The proposals to evaluate: ``names`` checked against ``specs``, or every proposal.

    Raises
    ------
    SpecError
        Naming the unknown specs and listing the known ones.
    """
    if names is None:
        return proposals(specs)
    names = list(names)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise SpecError(
            f"proposals {unknown} are not in the variants file; known: {', '.join(specs)}"
        )
    return names


def needed_variables(
    specs: Mapping[str, VariantSpec],
    names: Iterable[str],
    extra: Iterable[str] = ("hci_published", "hci_from_proxies"),
) -> list[str]:
    """Covariates to load: the variables of ``names`` and ``extra`` specs, and EXISTING_MEASURES."""
    wanted = [*names, *extra]
    return sorted(
        {v for n in wanted if n in specs for v in specs[n].variables} | set(EXISTING_MEASURES)
    )


def new_components(specs: Iterable[VariantSpec]) -> list[str]:
    """The new (non-published) components of ``specs``, each once, in order of appearance."""
    return list(dict.fromkeys(v for s in specs for v in s.new_components))


def component_labels(specs: Iterable[VariantSpec]) -> dict[str, str]:
    """``{variable: label}`` of the components of ``specs``."""
    return {c.variable: c.label for s in specs for c in s.components}


def proposal_table(specs: Iterable[VariantSpec]) -> pd.DataFrame:
    """One row per spec: label, name, components with weights, method, missing-data rule."""
    rows = []
    for s in specs:
        rows.append(
            {
                "proposal": s.label,
                "spec": s.name,
                "components (weight)": "; ".join(
                    f"{c.variable} ({c.weight:.3g})" for c in s.components
                ),
                "method": _method_text(s),
                "missing data": f"impute {s.missing.impute} median if coverage >= "
                f"{s.missing.min_coverage:.0%}; else {s.missing.otherwise}",
            }
        )
    return pd.DataFrame(rows)


def _method_text(s: VariantSpec) -> str:
    text = f"{method_words(s.normalisation)}, {method_words(s.aggregation)}"
    return text + (", rescaled to min-max" if s.rescale == "minmax" else "")


def _missing_text(s: VariantSpec) -> str:
    m = s.missing
    rest = (
        "keep the published HCI, weights rescaled over what they have"
        if m.otherwise == "reweight"
        else "left unscored"
    )
    if m.impute == "none":
        return f"not imputed; {rest}"
    return (
        f"{method_words(m.impute)} median if at least {m.min_coverage:.0%} of the "
        f"components are observed; else {rest}"
    )


def proposal_report_table(specs: Iterable[VariantSpec]) -> pd.DataFrame:
    """`proposal_table` in words for reports: component labels, method and missing-data rule.

    Columns ``proposal, spec, components (weight), method, missing data``.
    """
    rows = [
        {
            "proposal": s.label,
            "spec": s.name,
            "components (weight)": "; ".join(
                f"{c.label or c.variable} ({c.weight:.3g})" for c in s.components
            ),
            "method": _method_text(s),
            "missing data": _missing_text(s),
        }
        for s in specs
    ]
    return pd.DataFrame(
        rows, columns=["proposal", "spec", "components (weight)", "method", "missing data"]
    )


def coverage_table(results: Iterable[VariantResult]) -> pd.DataFrame:
    """Per proposal and new component: countries observed, imputed and left on the published HCI.

    Columns ``proposal, component, observed, imputed, left on published HCI, reference years
    (countries)`` from each result's ``coverage``.
    """
    rows = []
    for r in results:
        for v in r.spec.new_components:
            c = r.coverage.loc[v]
            rows.append(
                {
                    "proposal": r.spec.label,
                    "component": c["label"],
                    "observed": c["observed"],
                    "imputed": c["imputed"],
                    "left on published HCI": c["missing"],
                    "reference years (countries)": c["reference_years"],
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "proposal",
            "component",
            "observed",
            "imputed",
            "left on published HCI",
            "reference years (countries)",
        ],
    )


#: Report names of the `rank_shifts` columns shown in the movers table.
MOVERS_COLUMNS = {
    "iso3": "iso3",
    "country": "country",
    "index_published": "HCI",
    "index_variant": "new HCI",
    "egdi_rank_baseline": "EGDI rank",
    "egdi_rank_variant": "new EGDI rank",
    "egdi_shift": "shift",
    "imputed": "imputed components",
}


def movers_table(shifts: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """`biggest_movers` as a report table: iso3, country, HCI, new HCI, ranks, shift, imputed."""
    mv = biggest_movers(shifts, n).reset_index()
    return mv[list(MOVERS_COLUMNS)].rename(columns=MOVERS_COLUMNS)


def new_component_correlations(
    results: Iterable[VariantResult], against: pd.DataFrame
) -> pd.DataFrame:
    """`component_correlations` of several results stacked, each new component once."""
    frames = [component_correlations(r, against) for r in results]
    if not frames:
        return pd.DataFrame()
    corr = pd.concat(frames)
    return corr[~corr.index.duplicated()]


def redundancy_prose(
    correlations: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    *,
    redundant: float = 0.9,
    related: float = 0.5,
) -> str:
    """Sentence on each new component's rank correlation with the published HCI.

    |r| >= ``redundant``: largely redundant; >= ``related``: related but adds information;
    below: mostly new information.
    """
    labels = labels or {}

    def verdict(r: float) -> str:
        if abs(r) >= redundant:
            return "largely redundant"
        return "related but adds information" if abs(r) >= related else "mostly new information"

    return (
        "Correlation with the published HCI: "
        + "; ".join(
            f"{labels.get(v, v)} {r:.2f} ({verdict(r)})" for v, r in correlations["hci"].items()
        )
        + "."
    )


def baseline_prose(base: VariantResult, published: pd.Series, proxy_fit) -> str:
    """Check of the identity spec against the published HCI, and the fit of the proxy rebuild.

    Parameters
    ----------
    base : VariantResult
        The identity spec (``hci_published``) computed for the edition.
    published : Series
        Published HCI of the edition, index iso3.
    proxy_fit : egovlib.methodology.HciProxyResult
        Its ``message`` (why it could not be computed) or ``stats`` (n, pearson, spearman, mae).
    """
    dev = (base.data["score"] - published.reindex(base.data.index)).abs().max()
    text = (
        f"The identity spec reproduces the published HCI {base.year} for all "
        f"{base.data['scored'].sum()} assessed countries; the largest absolute difference "
        f"is {dev:.1e}."
    )
    if proxy_fit.message:
        return text + f" HCI from input proxies: {proxy_fit.message}"
    s = proxy_fit.stats
    return text + (
        f" Rebuilt from public proxies of its inputs (notebook 03), the HCI is matched "
        f"for {s['n']} countries with r = {s['pearson']:.3f} (Spearman "
        f"{s['spearman']:.3f}, mean absolute error {s['mae']:.3f}): the proxies track "
        "the HCI closely but not exactly, so the proposals below keep the "
        "**published** HCI and add new components to it rather than rebuilding it."
    )


__all__ += ["METHOD_WORDS", "method_words", "proposal_report_table"]
__all__ += [
    "MOVERS_COLUMNS",
    "baseline_prose",
    "component_labels",
    "coverage_table",
    "movers_table",
    "needed_variables",
    "new_component_correlations",
    "new_components",
    "proposal_table",
    "redundancy_prose",
    "select_proposals",
]
