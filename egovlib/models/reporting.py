"""Report views of fitted specs: side-by-side table, plain-words effects, diagnostics, residuals."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .diagnostics import display_name
from .estimation import Fit, ModelResults
from .specs import ESTIMATOR_LABELS, term_label, term_unit

CAUTION = (
    "These are associations in observational, cross-country data: they describe which "
    "countries score higher, holding the other variables in the model fixed, not what "
    "would happen if a country changed one of them. Omitted factors, reverse causation "
    "(good e-government may raise ICT use and GovTech scores) and measurement overlap can "
    "all produce such associations."
)


def stars(p: float) -> str:
    """Significance stars: *** p<0.01, ** p<0.05, * p<0.1."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def format_p(p: float) -> str:
    """A p-value for reports: three decimals, ``< 0.001`` below that, "–" if not finite."""
    if p is None or not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def side_by_side(
    results: ModelResults, *, value: str = "effect_sd", digits: int = 3
) -> pd.DataFrame:
    """Regression table with one column per fitted spec.

    Parameters
    ----------
    value : str
        ``"effect_sd"`` (default): change in the outcome for a one-standard-deviation higher
        regressor, with its standard error in brackets, so that variables on different scales
        compare; ``"estimate"``: the raw coefficient (average marginal effect for the fractional
        logit, within effect for panels).
    digits : int

    Returns
    -------
    DataFrame
        Rows: one per continuous term (main terms first), one per categorical control
        (``yes``), then estimator, N, countries dropped, fit statistic. Cells are strings
        such as ``0.052*** (0.012)``.
    """
    coefs = results.coefficients()
    fits = results.ok
    order: list[str] = []
    labels: dict[str, str] = {}
    for role in ("main", "control"):
        for _, r in coefs[coefs["role"] == role].iterrows():
            key = r["term"].split("[")[0]
            if key not in order:
                order.append(key)
                labels[key] = r["label"] if "[" not in r["term"] else r["label"].split(":")[0]
    table: dict[str, dict[str, str]] = {}
    for f in fits:
        col: dict[str, str] = {}
        c = f.coefs.set_index("term")
        for key in order:
            if key in c.index:
                r = c.loc[key]
                if value == "effect_sd":
                    est, se = r["effect_sd"], r["se"] * r["sd_x"]
                else:
                    est, se = r["estimate"], r["se"]
                col[labels[key]] = f"{est:.{digits}f}{stars(r['p'])} ({se:.{digits}f})"
            elif any(t.startswith(key + "[") for t in c.index):
                col[labels[key]] = "yes"
            else:
                col[labels[key]] = ""
        col["Estimator"] = ESTIMATOR_LABELS[f.spec.estimator]
        col["N"] = f"{f.n}" + (
            f" ({f.n_countries} countries × {f.n_editions} editions)"
            if f.spec.estimator == "panel_fe"
            else ""
        )
        col["Dropped for missing data"] = _dropped_text(f)
        col["Fit"] = f"{f.stats['r2_kind']} = {f.stats['r2']:.3f}"
        table[f.name] = col
    out = pd.DataFrame(table)
    out.index.name = "term"
    return out.reset_index()


def _dropped_text(f: Fit) -> str:
    if f.spec.estimator != "panel_fe":
        return f"{len(f.dropped)} countries"
    gone = set(f.dropped["iso3"]) - set(f.y.index.get_level_values("iso3"))
    return f"{len(f.dropped)} country-editions ({len(gone)} countries entirely)"


def effect_sentences(fit: Fit, *, roles: tuple[str, ...] = ("main",)) -> list[str]:
    """Plain-words effect sizes of one fit, one sentence per term.

    E.g. "A one-standard-deviation higher Expected years of schooling (SD = 2.9 years) goes
    with 0.052 higher OSI (95% CI 0.021 to 0.083), holding the other variables fixed."
    """
    y = fit.spec.outcome.upper()
    per = {
        "ols": "",
        "fraclogit": " on average (marginal effect)",
        "median": " at the median",
        "panel_fe": " within the same country over time",
    }
    out = []
    rows = fit.coefs[fit.coefs["role"].isin(roles) & fit.coefs["sd_x"].notna()]
    for _, r in rows.iterrows():
        e, lo, hi = r["effect_sd"], r["effect_sd_low"], r["effect_sd_high"]
        direction = "higher" if e >= 0 else "lower"
        sd_kind = "within-country SD" if fit.spec.estimator == "panel_fe" else "SD"
        unit = term_unit(r["term"])
        text = (
            f"A one-standard-deviation higher **{r['label']}** ({sd_kind} = "
            f"{r['sd_x']:.3g}{' ' + unit if unit else ''}) goes with {abs(e):.3f} {direction} "
            f"{y}{per[fit.spec.estimator]} (95% CI {lo:.3f} to {hi:.3f}; "
            f"p {_p_text(r['p'])}), i.e. {abs(r['beta']):.2f} SD of {y}."
        )
        if lo < 0 < hi:
            text += " The interval includes zero: the data do not pin down even the sign."
        out.append(text)
    return out


def diagnostics_table(results: ModelResults) -> pd.DataFrame:
    """OLS diagnostics per spec: n, largest VIF (with the term's label), Breusch-Pagan and RESET
    p-values (as text, `format_p`), and the observations with large Cook's distance."""
    rows = []
    for f in results.ok:
        d = f.diagnostics
        if not d:
            continue
        vif = d["vif"].sort_values("vif", ascending=False)
        top = vif.iloc[0] if len(vif) else None
        infl = d["influential"]
        rows.append(
            {
                "spec": f.name,
                "n": f.n,
                "largest VIF": (
                    f"{top['vif']:.1f} ({term_label_safe(top['term'])})" if top is not None else "–"
                ),
                "terms with VIF > 10": int((vif["vif"] > 10).sum()),
                # p-values as text (`format_p`): "< 0.001" reads better than 4.01e-12
                "Breusch-Pagan p": format_p(d["breusch_pagan"]["p"]),
                "RESET p": format_p(d["reset"]["p"]),
                "Cook's D > 4/n": len(infl),
                "most influential": ", ".join(infl["country"].head(3)),
            }
        )
    return pd.DataFrame(rows)


def dropped_by_spec(results: ModelResults) -> pd.DataFrame:
    """Per spec: how many countries were left out for missing data, and which (by name)."""
    rows = []
    for f in results.fits:
        if f.status == "refused":
            continue
        d = f.dropped
        if f.spec.estimator == "panel_fe" and f.y is not None:
            # in a panel, list the countries left out entirely; count the country-editions
            used = set(f.y.index.get_level_values("iso3"))
            names = sorted(set(d.loc[~d["iso3"].isin(used), "country"]))
            rows.append(
                {
                    "spec": f.name,
                    "used": f.n,
                    "dropped": _dropped_text(f),
                    "countries dropped": ", ".join(names) if names else "none entirely",
                }
            )
            continue
        names = sorted(set(d["country"])) if len(d) else []
        rows.append(
            {
                "spec": f.name,
                "used": f.n,
                "dropped": f"{len(names)} countries",
                "countries dropped": ", ".join(names) if names else "none",
            }
        )
    return pd.DataFrame(rows)


def focus_residuals(fit: Fit, focus: list[str], *, alpha: float = 0.05) -> pd.DataFrame:
    """Actual vs predicted outcome for the focus countries, with prediction intervals.

    Works for OLS fits (the prediction interval adds the residual variance to the HC3
    uncertainty of the fitted mean). Focus countries outside the sample are listed with the
    reason (missing variables).

    Returns
    -------
    DataFrame
        ``iso3, country, actual, predicted, pi_low, pi_high, residual, position`` where position
        is "above the interval", "below the interval", "within the interval" or the reason for
        being left out.
    """
    if not fit.ok or fit.spec.estimator != "ols":
        raise ValueError(
            f"focus residuals need a fitted OLS spec; {fit.name!r} is "
            f"{fit.status} / {fit.spec.estimator}"
        )
    iso3 = fit.y.index.get_level_values("iso3")
    inside = [c for c in focus if c in set(iso3)]
    mask = iso3.isin(inside)
    pred = fit.result.get_prediction(fit.X[mask]).summary_frame(alpha=alpha)
    actual = fit.y[mask].to_numpy()
    out = pd.DataFrame(
        {
            "iso3": iso3[mask],
            "country": [display_name(i) for i in iso3[mask]],
            "actual": actual,
            "predicted": pred["mean"].to_numpy(),
            "pi_low": pred["obs_ci_lower"].to_numpy(),
            "pi_high": pred["obs_ci_upper"].to_numpy(),
        }
    )
    out["residual"] = out["actual"] - out["predicted"]
    out["position"] = np.where(
        out["actual"] > out["pi_high"],
        "above the interval",
        np.where(out["actual"] < out["pi_low"], "below the interval", "within the interval"),
    )
    missing = fit.dropped.set_index("iso3")["missing"] if len(fit.dropped) else pd.Series()
    outside = pd.DataFrame(
        [
            {
                "iso3": c,
                "country": display_name(c),
                "position": "not in sample: missing " + str(missing.get(c, "?")),
            }
            for c in focus
            if c not in inside
        ]
    )
    out = pd.concat([out, outside], ignore_index=True) if len(outside) else out
    return out.sort_values("residual", ascending=False, na_position="last").reset_index(drop=True)


def residual_sentences(table: pd.DataFrame, outcome: str, spec_name: str) -> list[str]:
    """Plain words for `focus_residuals`: who scores above / below what the model predicts."""
    y = outcome.upper()
    out = []
    for _, r in table.iterrows():
        if not np.isfinite(r.get("residual", np.nan)):
            out.append(
                f"**{r['country']}** is not in the sample of *{spec_name}* "
                f"({r['position'].removeprefix('not in sample: ')})."
            )
            continue
        word = "above" if r["residual"] > 0 else "below"
        strength = "clearly " if r["position"] != "within the interval" else ""
        out.append(
            f"**{r['country']}**: {y} {r['actual']:.3f} vs {r['predicted']:.3f} predicted from "
            f"its covariates ({abs(r['residual']):.3f} {strength}{word}; 95% prediction interval "
            f"{r['pi_low']:.3f} to {r['pi_high']:.3f}"
            + ("" if strength else ", so within the range expected for a country like it")
            + ")."
        )
    return out


def vintage_table(results: ModelResults, year: int) -> pd.DataFrame:
    """Which reference years of each covariate the vintage rule used for edition ``year``.

    Returns
    -------
    DataFrame
        ``variable, label, countries with data, oldest, median, newest`` reference year.
    """
    if results.panel is None:
        raise ValueError("the results were fitted on data passed in; no vintage record")
    refs = results.panel.ref_years
    refs = refs[refs["year"] == year]
    rows = []
    for col in refs.columns.drop(["iso3", "year"]):
        r = refs[col].dropna()
        rows.append(
            {
                "variable": col,
                "label": term_label(col),
                "countries with data": len(r),
                "oldest": int(r.min()) if len(r) else None,
                "median": int(r.median()) if len(r) else None,
                "newest": int(r.max()) if len(r) else None,
            }
        )
    return pd.DataFrame(rows)


def headline_fit(results: ModelResults) -> Fit | None:
    """The fit the report describes in words: the OLS spec with the most main regressors
    (ties: the larger sample), or None if no OLS spec was fitted."""
    ols = [f for f in results.ok if f.spec.estimator == "ols" and f.spec.regressors]
    if not ols:
        return None
    return max(ols, key=lambda f: (len(f.spec.regressors), f.n))


def residual_fit(results: ModelResults) -> Fit | None:
    """The OLS fit used for the focus group's residuals: the one covering most focus
    countries, then with the most main regressors, then the larger sample."""
    ols = [f for f in results.ok if f.spec.estimator == "ols" and f.spec.regressors]
    if not ols:
        return None

    def covered(f: Fit) -> int:
        return len(set(results.focus) & set(f.y.index.get_level_values("iso3")))

    return max(ols, key=lambda f: (covered(f), len(f.spec.regressors), f.n))


def source_ids(results: ModelResults) -> list[str]:
    """Catalogue file ids behind the fitted specs (EGDI files plus each covariate's reader),
    for `egovlib.plots.finish`."""
    from ..panel import DERIVED
    from ..sources import files_for_reader
    from .specs import CATEGORICAL, INDICES, base_variable, variable_meta

    meta = variable_meta()
    readers = ["egdi"]
    for f in results.ok:
        for t in f.spec.terms:
            b = base_variable(t)
            if b in INDICES or b in CATEGORICAL:
                continue
            # a derived variable (no reader of its own) cites the readers of its inputs
            names = [meta[b].reader] if meta[b].reader else [meta[i].reader for i in DERIVED[b][0]]
            readers += [r for r in names if r not in readers]
    return [s.id for r in readers for s in files_for_reader(r)]


def status_prose(results: ModelResults, year: int | None = None) -> str:
    """Markdown: what was fitted, what was skipped or refused and why, guard warnings."""
    lines = []
    where = f"edition {year}" if year else "the chosen editions"
    for f in results.fits:
        if f.status == "refused":
            lines.append(f"- **{f.name}: refused.** {_ids_in_words(f.message)}")
        elif f.status == "skipped":
            lines.append(f"- **{f.name}: skipped** for {where}. {_ids_in_words(f.message)}")
    # the same note or warning often applies to several specs: say it once, name the specs
    for kind, attr in (("", "notes"), ("⚠ ", "warnings")):
        grouped: dict[str, list[str]] = {}
        for f in results.fits:
            for text in getattr(f, attr):
                grouped.setdefault(text, []).append(f.name)
        for text, names in grouped.items():
            lines.append(f"- {kind}{_ids_in_words(text)} (specs: {', '.join(names)})")
    if not lines:
        return "Every spec was fitted; no circularity warnings."
    return "\n".join(lines)


def _p_text(p: float) -> str:
    """A p-value after "p": ``"< 0.001"`` or ``"= 0.012"`` (`format_p`)."""
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


#: Backquoted variable ids in guard messages (`circularity` writes them for the error text).
_ID = re.compile(r"`([a-z][a-z0-9_]*)`")
_INPUTS_OF = re.compile(r"\(inputs_of = ([a-z0-9_, ]+)\)")


def _ids_in_words(text: str) -> str:
    """A guard message for the report: variable ids as their labels ("Label (`id`)" -> "Label"),
    the metadata field ``inputs_of`` in words; the id is kept once, where the user needs it
    (to list it in the ``allow_circular`` parameter)."""

    def label(m: re.Match) -> str:
        # ids already kept on purpose (in parentheses) or the parameter name stay as code
        if m.group(1) == "allow_circular" or m.string[max(m.start() - 1, 0)] == "(":
            return m.group(0)
        return term_label_safe(m.group(1))

    text = _INPUTS_OF.sub(
        lambda m: (
            "(it feeds " + " and ".join(i.strip().upper() for i in m.group(1).split(",")) + ")"
        ),
        text,
    )
    # the override needs the id: keep it there, in parentheses
    text = re.sub(
        r"Drop `([a-z][a-z0-9_]*)` or pass it in allow_circular",
        lambda m: (
            f"Drop {term_label_safe(m.group(1))} or pass it (`{m.group(1)}`) in `allow_circular`"
        ),
        text,
    )
    # "Label (`id`)": the label is already there, drop the id
    text = re.sub(
        r"(.+?) \(`([a-z][a-z0-9_]*)`\)",
        lambda m: m.group(1) if m.group(1).endswith(term_label(m.group(2))) else m.group(0),
        text,
    )
    return _ID.sub(label, text)


def diagnostics_prose(results: ModelResults) -> str:
    """Markdown: what the OLS diagnostics say, spec by spec, in plain words."""
    out = []
    for f in results.ok:
        d = f.diagnostics
        if not d:
            continue
        bits = []
        high = d["vif"][d["vif"]["vif"] > 10]
        if len(high):
            bits.append(
                "strong collinearity (VIF > 10) for "
                + ", ".join(
                    f"{term_label_safe(t)} ({v:.0f})"
                    for t, v in zip(high["term"], high["vif"], strict=True)
                )
                + ": their separate effects are poorly identified"
            )
        if d["breusch_pagan"]["p"] < 0.05:
            bp = _p_text(d["breusch_pagan"]["p"])
            bits.append(
                f"heteroskedastic errors (Breusch-Pagan p {bp};"
                " the HC3 standard errors allow for this)"
            )
        if np.isfinite(d["reset"]["p"]) and d["reset"]["p"] < 0.05:
            bits.append(
                f"signs of a misspecified functional form (RESET p "
                f"{_p_text(d['reset']['p'])}): effects may be non-linear, e.g. flattening "
                "near the top of the 0-1 scale, which the fractional logit allows for"
            )
        infl = d["influential"]
        if len(infl):
            bits.append(
                f"{len(infl)} influential countries (Cook's D > 4/n), led by "
                + ", ".join(infl["country"].head(3))
            )
        out.append(
            f"- *{f.name}* (n = {f.n}): " + ("; ".join(bits) if bits else "no warning signs") + "."
        )
    return "\n".join(out) if out else "No OLS spec was fitted, so no diagnostics."


def term_label_safe(term: str) -> str:
    """Label of a design column (``region[Asia]`` -> ``Region: Asia``)."""
    if "[" in term:
        base, cat = term.split("[", 1)
        return f"{term_label(base)}: {cat[:-1]}"
    return term_label(term)


def panel_prose(fit: Fit) -> str:
    """Markdown: how much data a panel spec rests on, honestly."""
    if not fit.ok:
        return f"**{fit.name}** was not estimated: {_ids_in_words(fit.message)}"
    st = fit.stats
    eds = st["editions"]
    text = (
        f"**{fit.name}**: {fit.n} country-editions from {fit.n_countries} countries and "
        f"{len(eds)} editions ({', '.join(map(str, eds))}); {st['countries_multi']} countries "
        f"appear in two or more editions and identify the within-country effects"
        + (
            f", {st['singletons']} appear once and only help the year effects"
            if st["singletons"]
            else ""
        )
        + f". {st['r2_kind']} = {st['r2']:.3f}."
    )
    if len(eds) <= 3 or st["countries_multi"] < 30:
        text += (
            f" This is a thin panel: with {len(eds)} editions the effects come from changes "
            "between few surveys, which are small and noisy relative to measurement changes "
            "between editions (scores are re-normalised each edition; GTMI and GAIRI change "
            "their methods too). Treat these estimates as fragile."
        )
    return text
