"""Report views of `Determinants`: key findings, answers, tables, prose and figure alt texts.

Views return text and tables; they never display. Everything a reader sees is generated from the
numbers, names the group by the name it was given, and uses no internal code names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report import join_names, signed_format
from .analysis import CONTROLS_ONLY, Determinants
from .diagnostics import display_name
from .estimation import Fit, has_level
from .inference import adjust_pvalues, contrast
from .specs import (
    CATEGORICAL,
    ESTIMATOR_LABELS,
    INDICES,
    PREVIOUS_OUTCOME,
    Hypothesis,
    base_variable,
    codes,
    effect_step,
    primary_family,
    short_label,
    spec_config,
    term_label,
)

CAUTION = (
    "These are associations in observational, cross-country data: they describe which "
    "countries score higher, holding the other variables in the model fixed, not what would "
    "happen if a country changed one of them. Omitted factors, reverse causation (countries "
    "with better online services may also be quicker to build a cloud or publish an AI "
    "strategy) and shared measurement can all produce such associations."
)

_signed = signed_format(3)
ADJUST_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg"}


def format_p(p: float) -> str:
    """A p-value for reports: three decimals, ``< 0.001`` below that, "–" if not finite."""
    if p is None or not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _p(p: float) -> str:
    """A p-value after "p": ``"< 0.001"`` or ``"= 0.012"``."""
    text = format_p(p)
    return text if text.startswith(("<", "–")) else f"= {text}"


def _ci(lo: float, hi: float) -> str:
    return f"95% CI {lo:.3f} to {hi:.3f}"


def _y(det: Determinants) -> str:
    return det.outcome.upper()


def stars(p_adj: float) -> str:
    """Stars for the primary family only (adjusted p): ** < 0.01, * < 0.05."""
    if not np.isfinite(p_adj):
        return ""
    return "**" if p_adj < 0.01 else "*" if p_adj < 0.05 else ""


# --------------------------------------------------------------------------- the hypotheses


def hypotheses_table(det: Determinants) -> pd.DataFrame:
    """The primary hypotheses as declared: question, measure, codes, limits, testable or not."""
    why = {h.id: reason for h, reason in det.untestable}
    rows = []
    for h in det.hypotheses:
        c = codes()[h.variable]
        rows.append(
            {
                "Hypothesis": f"{h.id} {h.name}",
                "Question": h.question,
                "Measured by": h.measures,
                "Codes": ", ".join(c.levels.values()),
                "What it cannot measure": h.cannot_measure,
                f"Testable in {det.year}": "yes" if h.id not in why else f"no: {why[h.id]}",
            }
        )
    return pd.DataFrame(rows)


def hypotheses_prose(det: Determinants) -> str:
    """Markdown: how the three questions are tested (or why they cannot be, this edition)."""
    method, alpha = primary_family()
    y = _y(det)
    if not det.testable:
        return (
            f"None of the three questions can be answered with the {det.year} edition: the "
            "items behind them are more recent (last column of the table). This report "
            f"therefore describes what the data of that time can say: how the {y} goes with "
            f"{_controls_words(det)} and schooling, and how countries moved within the "
            "methodology era."
        )
    ids = join_names([h.id for h in det.testable])
    text = (
        f"Each question is answered by one contrast between two codes of one item ({ids}), "
        f"estimated in one model of the {y} that holds all {len(det.testable)} items and the "
        f"controls ({_controls_words(det)}) fixed: the *headline model*. The contrasts form one "
        f"family of {len(det.testable)} tests whose p-values are {ADJUST_NAMES[method]}-adjusted "
        f"(a result counts at adjusted p < {alpha:g}); only these carry stars. A result that "
        "does not pass is reported with the largest effect the report still allows: the far "
        "end of its 95% interval, or a larger estimate of an alternative specification."
    )
    if det.untestable:
        text += (
            f" {join_names([f'{h.id} ({h.name})' for h, _ in det.untestable])} cannot be tested "
            f"in {det.year} (last column of the table)."
        )
    return text


def _controls_words(det: Determinants) -> str:
    words = []
    for t in det.controls:
        words.append(short_label(base_variable(t)) if t.startswith("log_") else short_label(t))
    return join_names(words)


# ------------------------------------------------------------------------------ the answers


def _curve_row(det: Determinants, hid: str) -> pd.Series | None:
    s = det.curve_summary
    if s.empty or hid not in set(s["id"]):
        return None
    return s.set_index("id").loc[hid]


def _hypothesis(det: Determinants, hid: str) -> Hypothesis:
    return next(h for h in det.testable if h.id == hid)


def within_contrast(det: Determinants, hid: str):
    """The hypothesis' contrast in the within-country (two-edition panel) check.

    In SD of the outcome, or None where there is no such check.
    """
    if det.two_wave is None or not det.two_wave.ok:
        return None
    h = _hypothesis(det, hid)
    return contrast(det.two_wave, h.variable, *h.contrast)


def within_confirms(det: Determinants, row: pd.Series) -> bool | None:
    """True if the within-country check shows the same sign with a 95% interval excluding zero.

    False if it does not; None where there is no check.
    """
    k = within_contrast(det, row["id"])
    if k is None:
        return None
    return bool(k.ci_low > 0) if row["estimate"] > 0 else bool(k.ci_high < 0)


def control_sensitivity(det: Determinants, hid: str, *, ratio: float = 2 / 3) -> list[dict]:
    """The specification curve's control sets that shrink the headline estimate.

    Those whose median estimate is below ``ratio`` times the headline estimate, the one nearest
    zero first.

    Returns
    -------
    list of dict
        ``label, added (the added controls in words), lagged (the previous edition's score is
        among them), median, min, max, share`` (median over the headline estimate); empty when
        no control set moves the estimate that much.
    """
    if det.curve is None or det.curve.empty:
        return []
    part = det.curve_rows[det.curve_rows["id"] == hid].dropna(subset=["estimate"])
    head = float(det.primary.set_index("id").loc[hid, "estimate"])
    if part.empty or head == 0:
        return []
    from .specs import control_sets

    by = part.groupby("controls")["estimate"].agg(["median", "min", "max"])
    by["share"] = by["median"] / head
    out = []
    for label, r in by[by["share"] < ratio].sort_values("share").iterrows():
        added = [t for t in control_sets()[label] if t not in det.controls]
        words = [
            f"the previous edition's {_y(det)}"
            if t == PREVIOUS_OUTCOME
            else short_label(base_variable(t))
            for t in added
        ]
        out.append(
            {"label": label, "added": words, "lagged": PREVIOUS_OUTCOME in added, **r.to_dict()}
        )
    return out


def report_extreme(det: Determinants, hid: str) -> float:
    """The estimate of ``hid`` farthest from zero anywhere in the report.

    The compared models and the specification curve (signed).
    """
    lo, hi = _range(det, hid)
    return hi if abs(hi) >= abs(lo) else lo


def null_bound_text(det: Determinants, row: pd.Series) -> str:
    """What a null result rules out, consistently with everything the report shows.

    The far end of the headline model's 95% interval, unless some compared model or alternative
    specification estimates more, in which case differences at least that large are not ruled
    out (the key finding and the answer paragraph say it in the same words).
    """
    y = _y(det)
    far = max(abs(row["ci_low"]), abs(row["ci_high"]))
    ext = report_extreme(det, row["id"])
    if np.isfinite(ext) and abs(ext) > far:
        return (
            f"the headline model's 95% interval reaches {_signed(far if ext > 0 else -far)}, "
            f"but an alternative specification estimates {_signed(ext)}, so differences at "
            f"least that large on the 0-1 {y} are not ruled out"
        )
    return (
        f"the data rule out differences larger than {far:.3f} on the 0-1 {y} either way (the "
        "far end of the 95% interval; no alternative specification estimates more)"
    )


def certainty(det: Determinants, row: pd.Series) -> str:
    """How sure we are about one primary contrast, in words.

    Strong: adjusted p < 0.01, the same sign in at least 95% of the specification curve and a
    95% interval excluding zero in at least 80% of it, and no control set of the curve taking
    its median below a third of the headline. Moderate: passes at the family's alpha.
    A cross-country result that the within-country check does not confirm (its interval
    includes zero or has the other sign) is labelled as such, one step down. Otherwise no
    evidence, with the bound the report supports.
    """
    _, alpha = primary_family()
    curve = _curve_row(det, row["id"])
    if row["p_adj"] < alpha:
        strong = row["p_adj"] < 0.01 and (
            curve is None or (curve["same_sign"] >= 0.95 and curve["significant_same_sign"] >= 0.8)
        )
        # a reasonable control set that takes away two thirds of it: not strong, whatever the
        # shares of the whole curve say
        strong &= not any(c["share"] < 1 / 3 for c in control_sensitivity(det, row["id"]))
        if curve is not None and curve["significant_same_sign"] < 0.5:
            return (
                "weak evidence: it depends on the analysis choices (the 95% interval excludes "
                f"zero in only {curve['significant_same_sign']:.0%} of the specifications)"
            )
        if within_confirms(det, row) is False:
            return (
                "consistent cross-country association, not confirmed within countries"
                if strong
                else "cross-country association depending on the model, not confirmed within "
                "countries"
            )
        return "strong evidence of an association" if strong else "moderate evidence"
    if _unadjusted_clear(row):
        return "weak evidence, not significant after the adjustment"
    return "no evidence of a difference"


def caveat_clauses(det: Determinants, row: pd.Series) -> list[str]:
    """The clauses a significant headline must carry when other evidence in the report disagrees.

    A control set that shrinks it, and a within-country check that does not confirm it.
    """
    out = []
    bits = [
        f"to {_signed(c['median'])} with "
        + (join_names(c["added"]) if c["added"] else f"the controls '{c['label']}'")
        + f" added (range {_signed(c['min'])} to {_signed(c['max'])})"
        for c in control_sensitivity(det, row["id"])
    ]
    if bits:
        out.append("it falls (median over those specifications) " + " and ".join(bits))
    k = within_contrast(det, row["id"])
    if k is not None and det.two_wave is not None and within_confirms(det, row) is False:
        eds = det.two_wave.stats["editions"]
        out.append(
            f"within countries ({eds[0]} to {eds[-1]}) it is {_signed(k.estimate)} SD of the "
            f"{_y(det)} ({_ci(k.ci_low, k.ci_high)})"
        )
    return out


def short_caveats(det: Determinants, row: pd.Series) -> list[str]:
    """The `caveat_clauses` of a key finding, in their shortest form.

    The control set that shrinks the estimate most (its median) and the within-country estimate;
    the full clauses, with ranges, are in the report's answer paragraphs.
    """
    out = []
    shrink = control_sensitivity(det, row["id"])
    if shrink:
        c = shrink[0]
        added = join_names(c["added"]) if c["added"] else f"the controls '{c['label']}'"
        text = f"{_signed(c['median'])} with {added} added"
        if c["lagged"]:
            # Holding the previous edition's score fixed asks another question: whether the
            # countries with the feature gained more since that edition.
            from ..panel import editions

            before = max(e for e in editions() if e < det.year)
            text += f" (that is, no faster gain since {before})" if c["share"] < 1 / 3 else ""
        out.append(text)
    k = within_contrast(det, row["id"])
    if k is not None and det.two_wave is not None and within_confirms(det, row) is False:
        eds = det.two_wave.stats["editions"]
        # In the same unit as the cross-country estimate: SD of the edition's outcome.
        sd = det.data.loc[det.data["year"] == det.year, det.outcome].std()
        out.append(
            f"{_signed(k.estimate)} SD within countries, {eds[0]} to {eds[-1]} "
            f"({_ci(k.ci_low, k.ci_high)}; the cross-country gap is "
            f"{signed_format(2)(row['estimate'] / sd)} SD)"
        )
    return out


def coded_low(det: Determinants, h: Hypothesis) -> pd.DataFrame:
    """The edition's assessed countries coded at the low level of ``h``'s contrast.

    Highest outcome first: ``iso3, country, score`` and the item's reference year ``ref_year``.
    """
    d = det.data[(det.data["year"] == det.year) & (det.data[h.variable] == h.contrast[1])]
    ref = det.panel.ref_years
    years = ref.loc[ref["year"] == det.year].set_index("iso3")[h.variable]
    out = pd.DataFrame(
        {
            "iso3": d["iso3"],
            "country": d["iso3"].map(display_name),
            "score": d[det.outcome],
            "ref_year": d["iso3"].map(years),
        }
    )
    return out.sort_values("score", ascending=False).reset_index(drop=True)


def coded_low_sentence(det: Determinants, h: Hypothesis, *, top: int | None = None) -> str:
    """Who the countries at the low level of a proxy item are.

    All of them, or the ``top`` scoring on the outcome, so a reader can judge what the item
    records.
    """
    low = coded_low(det, h)
    if low.empty:
        return ""
    c = codes()[h.variable]
    yrs = sorted({int(y) for y in low["ref_year"].dropna()})
    when = f" in the {join_names([str(y) for y in yrs])} data" if yrs else ""
    n = len(low)
    if top is not None and n > top:
        names = join_names(low["country"].head(top).tolist())
        return (
            f"The {n} countries coded '{c.word(h.contrast[1])}'{when} include {names} (the "
            f"{top} with the highest {_y(det)} among them)."
        )
    verb = "is" if n == 1 else "are"
    names = join_names(low["country"].tolist())
    return f"The {n} countries coded '{c.word(h.contrast[1])}'{when} {verb} {names}."


def _unadjusted_clear(row: pd.Series) -> bool:
    """True if the 95% interval excludes zero although the adjusted test does not pass."""
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)


def answer_sentences(det: Determinants) -> list[str]:
    """One paragraph per testable hypothesis.

    The contrast, its interval, the adjusted p-value, the other levels, the specification curve and
    how sure we are (Markdown).
    """
    method, _ = primary_family()
    y = _y(det)
    k = len(det.testable)
    others = {2: "other item", 3: "other two items"}.get(k, f"other {k - 1} items")
    held = f", with the {others} held fixed" if k > 1 else ""
    out = []
    for _, r in det.primary.iterrows():
        h = next(h for h in det.testable if h.id == r["id"])
        c = codes()[h.variable]
        hi, lo = c.phrase(h.contrast[0]), c.phrase(h.contrast[1])
        adj = f"{ADJUST_NAMES[method]}-adjusted p {_p(r['p_adj'])}"
        text = (
            f"**{h.id} {h.name}.** Countries {h.reporting} {hi} score {_signed(r['estimate'])} on "
            f"the {y} (0-1 scale) compared with countries {h.reporting} {lo}, at the same "
            f"{_controls_words(det)}{held} ({_ci(r['ci_low'], r['ci_high'])}; {adj}; "
            f"n = {r['n']})"
        )
        if r["significant"]:
            text += "."
        else:
            what = (
                f"a difference that does not survive the adjustment for testing {len(det.primary)} "
                "questions"
                if _unadjusted_clear(r)
                else "no detectable difference"
            )
            text += f": {what}. {_cap(null_bound_text(det, r))}."
        if h.proxy_note:
            text += f" {h.proxy_note} {coded_low_sentence(det, h)}".rstrip()
        others = _other_levels(det.headline, h)
        if others:
            text += f" {others}"
        curve = _curve_row(det, h.id)
        if curve is not None:
            text += (
                f" Across {int(curve['specs'])} alternative specifications "
                f"({int(curve['distinct'])} distinct estimates) the estimate runs "
                f"from {_signed(curve['min'])} to {_signed(curve['max'])}, keeps this sign in "
                f"{curve['same_sign']:.0%} of them, and its 95% interval excludes zero on that "
                f"side in {curve['significant_same_sign']:.0%}."
            )
        caveats = caveat_clauses(det, r) if r["significant"] else []
        if caveats:
            text += " But " + "; and ".join(caveats) + "."
        text += f" Verdict: {certainty(det, r)}."
        out.append(text)
    return out


def _other_levels(fit: Fit, h: Hypothesis) -> str:
    """The item's other levels against the reference (secondary, unadjusted)."""
    c = codes()[h.variable]
    bits = []
    for lv in sorted(c.levels):
        if lv in (c.reference, h.contrast[0]):
            continue
        k = contrast(fit, h.variable, lv, c.reference)
        if k is None:
            continue
        bits.append(
            f"*{c.word(lv)}* vs *{c.word(c.reference)}*: {_signed(k.estimate)} "
            f"({_ci(k.ci_low, k.ci_high)}, unadjusted p {_p(k.p)})"
        )
    return (
        ("Other level: " if len(bits) == 1 else "Other levels: ") + "; ".join(bits) + "."
        if (bits)
        else ""
    )


def primary_view(det: Determinants) -> pd.DataFrame:
    """The primary family as shown.

    Contrast, estimate, interval, p and adjusted p (stars), and the range of the estimate across
    the compared models and the specification curve.
    """
    method, _ = primary_family()
    t = det.primary
    return pd.DataFrame(
        {
            "Hypothesis": t["id"] + " " + t["name"],
            "Contrast": t["contrast"],
            f"Difference in {_y(det)}": t["estimate"],
            "95% CI low": t["ci_low"],
            "95% CI high": t["ci_high"],
            "p": t["p"].map(format_p),
            f"{ADJUST_NAMES[method]}-adjusted p": [format_p(p) + stars(p) for p in t["p_adj"]],
            "Lowest estimate, any specification": [_range(det, h)[0] for h in t["id"]],
            "Highest estimate, any specification": [_range(det, h)[1] for h in t["id"]],
            "n": t["n"],
        }
    )


def _range(det: Determinants, hid: str) -> tuple[float, float]:
    """Lowest and highest estimate of ``hid`` in the compared models and the curve."""
    h = _hypothesis(det, hid)
    ests = [
        k.estimate
        for f in det.compared.ok
        if (k := contrast(f, h.variable, *h.contrast)) is not None
    ]
    if det.curve is not None and not det.curve.empty:
        ests += det.curve_rows.loc[det.curve_rows["id"] == hid, "estimate"].dropna().tolist()
    return (float(min(ests)), float(max(ests))) if ests else (np.nan, np.nan)


def _codes_in_group(det: Determinants, h: Hypothesis) -> dict[float, list[str]]:
    """The group's countries by their code of ``h``'s item, highest code first (NaN last)."""
    rows = det.data[(det.data["year"] == det.year) & det.data["iso3"].isin(det.group)]
    out: dict[float, list[str]] = {}
    for iso3, v in rows.set_index("iso3")[h.variable].items():
        out.setdefault(float(v), []).append(display_name(iso3))
    return dict(sorted(out.items(), key=lambda kv: (np.isnan(kv[0]), -np.nan_to_num(kv[0]))))


def ceiling_sentences(det: Determinants) -> list[str]:
    """Where the group's countries stand on each testable item.

    And what cross-country data cannot say for those at the top code.
    """
    if not det.testable:
        return []
    out, top_any = [], False
    n = len(det.group)
    for h in det.testable:
        c = codes()[h.variable]
        bits = []
        for code, names in _codes_in_group(det, h).items():
            if np.isnan(code):
                bits.append(f"no value for {join_names(names)}")
                continue
            who = f"all {n}" if len(names) == n else join_names(names)
            verb = h.verb(len(names))
            bits.append(f"{who} {verb} {c.phrase(code)}")
            top_any |= code == h.top_level
        out.append(f"{h.name}: " + "; ".join(bits) + ".")
    if top_any:
        out.append(
            "For countries already at the top code, cross-country data only compare countries "
            "with and without the feature: they cannot say what a further upgrade (more services "
            "on the cloud, an upgraded national key, a new AI programme) would add, because no "
            "country reports anything above the top code."
        )
    return out


# ---------------------------------------------------------------------------- the sample


def lost_text(lost: pd.DataFrame) -> str:
    """Countries left out, grouped by what they lack.

    For example "no national AI strategy value (2): Micronesia (Federated States of) and Palau;
    no income (GNI per capita) value (1): ...".
    """
    if not len(lost):
        return ""
    parts = []
    for missing, part in lost.groupby("missing", sort=False):
        what = join_names(missing.split("; "))
        parts.append(f"no {what} value ({len(part)}): {join_names(part['country'].tolist())}")
    return "; ".join(parts)


def sample_prose(det: Determinants) -> str:
    """Markdown: the common sample, the countries it loses (named), the group's among them."""
    cs = det.common
    lost = cs.lost
    text = (
        f"Every model compared in this section uses the same **{cs.n} countries**: those of the "
        f"{cs.assessed} with a published {_y(det)} in {det.year} with a value for every "
        "variable."
    )
    if len(lost):
        text += f" Left out ({len(lost)}): {lost_text(lost)}."
    text += " " + _group_lost(det, lost)
    return text


def _group_lost(det: Determinants, lost: pd.DataFrame) -> str:
    out = lost[lost["iso3"].isin(det.group)] if len(lost) else lost
    if out is None or not len(out):
        return f"No country of {det.group_name} is left out."
    return (
        f"Of {det.group_name}, **{join_names(out['country'].tolist())}** "
        f"{'is' if len(out) == 1 else 'are'} left out."
    )


def _table_rows(fits) -> list[tuple[str, str]]:
    """The rows of `side_by_side` as (key, label): the items first, the controls last."""
    order: list[tuple[str, str]] = []
    for role in ("main", "control"):
        for f in fits:
            for r in f.coefs[f.coefs["role"] == role].itertuples():
                if r.variable in CATEGORICAL:
                    row = (str(r.variable), f"{term_label(str(r.variable))} (categories)")
                elif has_level(r.level):
                    row = (str(r.term), str(r.label))
                else:
                    row = (str(r.term), _continuous_label(str(r.term)))
                if row not in order:
                    order.append(row)
    return order


def _table_cell(f, c: pd.DataFrame, key: str, digits: int) -> str:
    """One fit's entry for row ``key``: the estimate with its 95% interval, "yes" or blank."""
    if key in CATEGORICAL:
        return "yes" if (f.coefs["variable"] == key).any() else ""
    if key not in c.index:
        return ""
    r = c.loc[key]
    mult = 1.0 if has_level(r["level"]) else effect_step(key)[0]
    return (
        f"{r['estimate'] * mult:+.{digits}f} "
        f"[{r['ci_low'] * mult:.{digits}f}, {r['ci_high'] * mult:.{digits}f}]"
    )


def side_by_side(results, *, digits: int = 3) -> pd.DataFrame:
    """Regression table, one column per fitted spec: contrasts and effects with 95% intervals.

    Coded items are shown as contrasts with their reference level; logged controls per doubling;
    other continuous terms per their step (`model_specs.yml` ``steps``); region dummies as
    "yes". No stars: the primary family's adjusted tests are in `primary_view`.
    """
    fits = results.ok
    order = _table_rows(fits)
    table = {}
    for f in fits:
        c = f.coefs.set_index("term")
        col = {label: _table_cell(f, c, key, digits) for key, label in order}
        col["Estimator"] = ESTIMATOR_LABELS[f.spec.estimator]
        col["n"] = str(f.n)
        col["Fit"] = f"{f.stats['r2_kind']} = {f.stats['r2']:.3f}"
        table[f.name] = col
    out = pd.DataFrame(table)
    out.index.name = "term"
    return out.reset_index()


def side_by_side_caption(det: Determinants) -> str:
    """Caption of the compared-models table."""
    tail = (
        "unadjusted; the tests of the questions are in the table of answers"
        if det.testable
        else "unadjusted, descriptive"
    )
    return (
        f"{_y(det)} {det.year}: each model on the same {det.common.n} countries; differences "
        f"between codes and effects with 95% intervals ({tail})"
    )


def _continuous_label(term: str) -> str:
    _, words = effect_step(term)
    return (
        f"{term_label(term)} (per {words.removeprefix('+')})"
        if not term.startswith("log_")
        else f"{term_label(base_variable(term))} (per doubling)"
    )


def contrast_data(det: Determinants) -> pd.DataFrame:
    """Every code contrast of the compared models (the data of `figures.contrast_plot`)."""
    coefs = det.compared.coefficients()
    items = {h.variable for h in det.testable}
    out = coefs[coefs["variable"].isin(items)].copy()
    cols = ["spec", "variable", "level", "label", "estimate", "ci_low", "ci_high", "p"]
    return out[cols].reset_index(drop=True)


def contrast_figure_data(det: Determinants) -> pd.DataFrame:
    """The data of the contrast figure, with headers and values in words."""
    d = contrast_data(det)
    return pd.DataFrame(
        {
            "Model": d["spec"],
            "Contrast": d["label"],
            f"Difference in {_y(det)}": d["estimate"],
            "95% CI low": d["ci_low"],
            "95% CI high": d["ci_high"],
            "p (unadjusted)": d["p"],
        }
    )


def contrast_alt(det: Determinants) -> str:
    """Alt text of the contrast figure."""
    data = contrast_data(det)
    y = _y(det)
    bits = []
    for _, r in det.primary.iterrows():
        h = next(h for h in det.testable if h.id == r["id"])
        part = data[(data["variable"] == h.variable) & (data["level"] == h.contrast[0])]
        label = part["label"].iloc[0]
        bits.append(
            f"{label}: {_signed(r['estimate'])} in the headline model "
            f"({_ci(r['ci_low'], r['ci_high'])}), between {_signed(part['estimate'].min())} and "
            f"{_signed(part['estimate'].max())} across the {len(part)} compared models"
        )
    return (
        f"Dot-and-interval chart of the difference in {y} between code levels of each item, "
        f"one marker per compared model, all on the same {det.common.n} countries. "
        + "; ".join(bits)
        + "."
    )


# ------------------------------------------------------------------- specification curve


def curve_prose(det: Determinants) -> str:
    """Markdown: what the specification curve varies and what it shows."""
    cfg = spec_config()["spec_curve"]
    if det.curve is None or det.curve.empty:
        return "No specification curve: none of the three questions can be tested in this edition."
    s = det.curve_summary
    n_specs = int(s["specs"].max())
    distinct = join_names([f"{int(r.distinct)} for {r.id}" for r in s.itertuples()])
    parts = []
    for r in s.itertuples():
        h = next(h for h in det.testable if h.id == r.id)
        parts.append(
            f"{h.id} ({h.contrast_words}): {_signed(r.min)} to {_signed(r.max)}, same sign in "
            f"{r.same_sign:.0%}, interval excluding zero in {r.significant_same_sign:.0%}"
        )
    lags = join_names([str(x) for x in cfg["lags"]])
    ages = join_names([str(x) for x in cfg["max_ages"]])
    text = (
        f"Each primary contrast is re-estimated under every combination of the choices an "
        f"analyst could reasonably make ({n_specs} specifications per question): the control "
        "set ("
        + "; ".join(f"'{c}'" for c in dict.fromkeys(det.curve_rows["controls"]))
        + "); the vintage rule "
        f"(covariates from {lags} years before the edition, at most {ages} years old); the "
        "estimator (OLS, fractional logit, median regression); the sample (all countries with "
        "data, without the countries with large influence on the OLS fit, without the "
        f"countries of {det.group_name}); and the model (the items together or one at a "
        "time). Choices that leave the data unchanged (a longer maximum age when no value is "
        f"that old) repeat a fit: the estimates that differ number {distinct}; the shares below "
        "count every specification. The default specification of this report is marked.\n\n- "
        + "\n- ".join(parts)
    )
    if PREVIOUS_OUTCOME in {t for ts in _control_sets_used(det) for t in ts}:
        text += (
            f"\n\nHolding the previous edition's {_y(det)} fixed asks whether countries with the "
            "feature moved further since that edition: it removes whatever the feature (or "
            "anything that came with it) had already done, so it is a demanding test, and a "
            "feature can matter although it fails it."
        )
    if det.curve_notes:
        text += "\n\n" + " ".join(det.curve_notes)
    return text


def _control_sets_used(det: Determinants) -> list[tuple[str, ...]]:
    from .specs import control_sets

    used = set(det.curve_rows["controls"])
    return [v for k, v in control_sets().items() if k in used]


def _question_names(det: Determinants) -> dict[str, str]:
    """Hypothesis id -> "H1 Government cloud (operational vs none)"."""
    return {h.id: f"{h.id} {h.name} ({h.contrast_words})" for h in det.testable}


def curve_data(det: Determinants) -> pd.DataFrame:
    """The specification curve's rows with headers and choices in words."""
    c = det.curve_rows
    names = _question_names(det)
    return pd.DataFrame(
        {
            "Question": c["id"].map(names),
            "Controls": c["controls"],
            "Vintage lag (years)": c["lag"],
            "Maximum age (years)": c["max_age"],
            "Estimator": c["estimator"].map(ESTIMATOR_LABELS),
            "Sample": c["sample"],
            "Model": c["model"],
            f"Difference in {_y(det)}": c["estimate"],
            "95% CI low": c["ci_low"],
            "95% CI high": c["ci_high"],
            "p (unadjusted)": c["p"],
            "n": c["n"],
            "This report's specification": c["is_default"],
        }
    )


def curve_alt(det: Determinants) -> str:
    """Alt text of the specification-curve figure."""
    s = det.curve_summary
    bits = []
    for r in s.itertuples():
        h = next(h for h in det.testable if h.id == r.id)
        bits.append(
            f"{h.id} {h.name} ({h.contrast_words}) ranges from {_signed(r.min)} to "
            f"{_signed(r.max)} over {r.specs} specifications, positive in "
            f"{(det.curve_rows.loc[det.curve_rows['id'] == r.id, 'estimate'] > 0).mean():.0%} "
            "and with a "
            f"95% interval excluding zero in {r.significant_same_sign:.0%}"
        )
    return (
        "Specification curve: for each question, the estimated contrast in every specification, "
        "sorted from lowest to highest with 95% intervals, above a grid marking the choices "
        "behind each estimate. " + "; ".join(bits) + "."
    )


# ----------------------------------------------------------------------------- residuals


#: Standardised residuals beyond this are called above or below the expected range (about 1
#: country in 20 by chance); every other country is within it.
RESIDUAL_THRESHOLD = 2.0


def _reading(z: float) -> str:
    if z >= RESIDUAL_THRESHOLD:
        return "above the expected range"
    if z <= -RESIDUAL_THRESHOLD:
        return "below the expected range"
    return "within the expected range"


def residual_table(det: Determinants) -> pd.DataFrame:
    """The group's countries: actual, predicted, standardised residual, percentile, reading.

    Countries outside the sample with the reason.
    """
    r = det.residuals
    inside = r[r["iso3"].isin(det.group)].copy()
    inside["reading"] = inside["z"].map(_reading)
    lost = det.common.lost.set_index("iso3")["missing"] if len(det.common.lost) else {}
    outside = [
        {"iso3": c, "country": display_name(c), "reading": f"not in the sample: no {lost[c]} value"}
        for c in det.group
        if c not in set(r["iso3"]) and c in lost
    ]
    out = pd.concat([inside, pd.DataFrame(outside)], ignore_index=True) if outside else inside
    return out.sort_values("z", ascending=False, na_position="last").reset_index(drop=True)


def residual_prose(det: Determinants) -> str:
    """Markdown: how to read the residuals, the group's countries, every country beyond ±2."""
    y = _y(det)
    fit = det.bounded
    if fit is None:
        return "The bounded model could not be fitted, so no residuals are shown."
    model = (
        f"the headline model ({join_names([short_label(h.variable) for h in det.testable])}, "
        f"with {_controls_words(det)})"
        if det.testable
        else f"the controls ({_controls_words(det)})"
    )
    text = (
        f"The prediction for each country comes from {model}, estimated as a fractional logit: a "
        f"model bounded by 0 and 1 like the {y} itself, so no prediction exceeds the scale. The "
        "standardised residual is the gap between a country's score and its prediction, in "
        "units of the model's typical error: about 1 country in 20 lies beyond ±2 by chance, "
        "so only those are called above or below the expected range; every other country is "
        "within it, whatever the sign of its residual.\n\n"
    )
    lines = []
    for r in residual_table(det).itertuples():
        if not np.isfinite(getattr(r, "z", np.nan)):
            lines.append(f"- **{r.country}**: {r.reading}.")
            continue
        lines.append(
            f"- **{r.country}**: {y} {r.actual:.3f} against {r.predicted:.3f} predicted "
            f"(standardised residual {r.z:+.2f}, {_rank_words(r.percentile)}): {r.reading}."
        )
    text += "\n".join(lines)
    far = det.residuals[det.residuals["z"].abs() >= 2]
    above = far[far["z"] > 0].sort_values("z", ascending=False)
    below = far[far["z"] < 0]
    text += (
        f"\n\nBeyond ±2 among all {len(det.residuals)} countries: "
        + (
            "above: " + join_names([f"{r.country} ({r.z:+.2f})" for r in above.itertuples()])
            if len(above)
            else "none above"
        )
        + "; "
        + (
            "below: " + join_names([f"{r.country} ({r.z:+.2f})" for r in below.itertuples()])
            if len(below)
            else "none below"
        )
        + "."
    )
    return text


def _rank_words(percentile: float) -> str:
    if percentile >= 99.95:
        return "the highest of all countries"
    if percentile <= 0.05:
        return "the lowest of all countries"
    return f"higher than {percentile:.0f}% of the other countries"


def residual_view(det: Determinants) -> pd.DataFrame:
    """`residual_table` as shown, with headers in words."""
    t = residual_table(det)
    cols = {
        "country": "Country",
        "actual": f"{_y(det)}",
        "predicted": "Predicted",
        "z": "Standardised residual",
        "percentile": "Percentile of residual",
        "reading": "Reading",
    }
    return t[[c for c in cols if c in t.columns]].rename(columns=cols)


def residual_data(det: Determinants) -> pd.DataFrame:
    """Every country's residual (the data of the residual figure), headers in words."""
    r = det.residuals
    return pd.DataFrame(
        {
            "Country": r["country"],
            _y(det): r["actual"],
            "Predicted": r["predicted"],
            "Standardised residual": r["z"],
            "Percentile of residual": r["percentile"],
            f"In {det.group_name}": r["iso3"].isin(det.group),
        }
    )


def residual_alt(det: Determinants) -> str:
    """Alt text of the residual figure."""
    t = residual_table(det).dropna(subset=["z"])
    who = join_names([f"{r.country} {r.z:+.2f}" for r in t.itertuples()])
    far = int((det.residuals["z"].abs() >= 2).sum())
    return (
        f"Dot chart of the standardised residuals of all {len(det.residuals)} countries, sorted, "
        f"with the countries of {det.group_name} highlighted: {who}. {far} countries lie beyond "
        "±2."
    )


# ---------------------------------------------------------------------------- near-outcomes


def near_prose(det: Determinants) -> str:
    """Markdown: why the composites are near-outcomes, their sample.

    And what their models show about income.
    """
    y = _y(det)
    if det.near is None:
        return f"No near-outcome composite has data for the {det.year} edition" + (
            ": " + " ".join(det.near_notes) if det.near_notes else "."
        )
    cfg = spec_config().get("built_from_un_indices", {})
    why = []
    for v in det.collinearity["variable"]:
        ev = cfg.get(v)
        if ev and det.outcome in ev["indices"]:
            why.append(f"{term_label(v)}: {ev['evidence']}")
    cs = det.near_sample
    text = (
        "Composite indices of GovTech maturity and AI readiness are tempting regressors, but "
        f"they are near-outcomes: they are built partly from the UN indices (or from the same "
        "sources) and they track income closely, so their association with the "
        f"{y} mixes the policy they describe with income and with the outcome itself. Each is "
        f"therefore fitted alone with the controls, never in the headline model, on one common "
        f"sample of **{cs.n} countries**"
    )
    before = set(det.common.lost["iso3"]) if len(det.common.lost) else set()
    extra = cs.lost[~cs.lost["iso3"].isin(before)] if len(cs.lost) else cs.lost
    if not len(cs.lost):
        text += "."
    elif not len(extra):
        text += ", without the countries left out of the common sample above."
    else:
        again = " the countries left out of the common sample above, and" if before else ""
        text += f". Left out:{again} {lost_text(extra)}."
    text += " " + _group_lost(det, cs.lost)
    if why:
        text += "\n\nBuilt partly from the UN indices:\n\n- " + "\n- ".join(why)
    lines = []
    for r in det.collinearity.itertuples():
        shrink = (r.income_without - r.income_with) / r.income_without
        step, words = effect_step(r.variable)
        reading = (
            "the composite and income carry largely the same information, so its coefficient "
            "cannot be read as an effect over and above income"
            if shrink > 0.5 or r.income_with_low < 0 < r.income_with_high
            else "income keeps most of its association"
        )
        lines.append(
            f"- **{term_label(r.variable)}** correlates {r.r_income:.2f} with log income and "
            f"{r.r_outcome:.2f} with the {y}. Adding it moves the income coefficient from "
            f"{_signed(r.income_without * np.log(2))} to {_signed(r.income_with * np.log(2))} per "
            f"doubling of income (VIF {r.vif:.1f}) and the R² from {r.r2_without:.2f} to "
            f"{r.r2_with:.2f}: {reading}. Per {words.removeprefix('+')}: "
            f"{_signed(r.estimate * step)} ({_ci(r.ci_low * step, r.ci_high * step)})."
        )
    text += "\n\n" + "\n".join(lines)
    if det.near_notes:
        text += "\n\n" + " ".join(det.near_notes)
    return text


def collinearity_view(det: Determinants) -> pd.DataFrame:
    """The collinearity table as shown (income effects per doubling)."""
    c = det.collinearity
    ln2 = np.log(2)
    return pd.DataFrame(
        {
            "Composite": [term_label(v) for v in c["variable"]],
            "Correlation with log income": c["r_income"],
            f"Correlation with the {_y(det)}": c["r_outcome"],
            "VIF": c["vif"],
            "Income effect per doubling, controls only": c["income_without"] * ln2,
            "Income effect per doubling, with the composite": c["income_with"] * ln2,
            "R², controls only": c["r2_without"],
            "R², with the composite": c["r2_with"],
            "n": c["n"],
        }
    )


def near_figure_data(det: Determinants) -> pd.DataFrame:
    """Composite values and log income of the near-outcome sample (data of the scatter)."""
    rows = det.data[
        (det.data["year"] == det.year) & det.data["iso3"].isin(det.near_sample.countries)
    ]
    out = pd.DataFrame({"Country": [display_name(c) for c in rows["iso3"]]})
    out["GNI per capita (2017 PPP $)"] = rows["hdr_gnipc"].to_numpy()
    out["log GNI per capita"] = np.log(out["GNI per capita (2017 PPP $)"])
    for v in det.collinearity["variable"]:
        out[term_label(v)] = rows[v].to_numpy()
    out[f"In {det.group_name}"] = rows["iso3"].isin(det.group).to_numpy()
    return out


def near_alt(det: Determinants) -> str:
    """Alt text of the near-outcome scatter."""
    bits = [f"{term_label(r.variable)} r = {r.r_income:.2f}" for r in det.collinearity.itertuples()]
    return (
        "Scatter plots of each composite index against log GNI per capita, "
        f"{det.near_sample.n} countries, {det.group_name} highlighted; every composite rises "
        f"with income: {join_names(bits)}."
    )


# ------------------------------------------------------------------------------ exploratory


def term_sentences(fit: Fit, *, within: bool = False, unit: str = "") -> list[str]:
    """Plain words for the main continuous terms of one fit.

    With the far end of the 95% interval for an interval that includes zero (unadjusted:
    exploratory).
    """
    out = []
    unit = unit or f"on the {fit.spec.outcome.upper()}"
    for r in fit.coefs[(fit.coefs["role"] == "main") & fit.coefs["level"].isna()].itertuples():
        step, words = effect_step(r.term)
        e, lo, hi = r.estimate * step, r.ci_low * step, r.ci_high * step
        where = "Within a country, " if within else ""
        text = (
            f"{where}{words.removeprefix('+') if r.term.startswith('log_') else words} goes with "
            f"{_signed(e)} {unit} ({_ci(lo, hi)}; unadjusted p {_p(r.p)})"
        )
        if lo < 0 < hi:
            text += (
                f"; no clear association, and the 95% interval rules out effects beyond "
                f"{max(abs(lo), abs(hi)):.3f} either way"
            )
        out.append(text[0].upper() + text[1:] + ".")
    return out


def exploratory_prose(det: Determinants) -> str:
    """Markdown: the exploratory models, their samples and effects."""
    if det.exploratory is None or not det.exploratory.fits:
        return f"No exploratory model can be fitted for {det.year}."
    parts = []
    for f in det.exploratory.fits:
        if not f.ok:
            parts.append(f"*{f.name}* could not be fitted: {f.message}")
            continue
        lost = f.dropped
        text = (
            f"*{f.name}* (with the same controls; own sample of {f.n} countries, "
            f"{len(lost)} of the assessed left out for missing data"
        )
        group_lost = lost[lost["iso3"].isin(det.group)]["country"].tolist()
        text += f", including {join_names(group_lost)})" if group_lost else ")"
        text += ":\n\n- " + "\n- ".join(term_sentences(f))
        parts.append(text)
    return (
        "Secondary questions, each on its own sample and without multiplicity adjustment: read "
        "them as descriptions, not tests.\n\n" + "\n\n".join(parts)
    )


# ------------------------------------------------------------------------------------ panels


def era_prose(det: Determinants) -> str:
    """Markdown: the panel over the methodology era.

    With the correct account of what the within-edition standardisation removes.
    """
    y = _y(det)
    if det.era_fit is None:
        return det.era_note
    f = det.era_fit
    if not f.ok:
        return f"The panel could not be fitted: {f.message}"
    st = f.stats
    eds = st["editions"]
    from ..vocabulary import method_breaks

    brk = [b for b in method_breaks(det.outcome) if b <= det.year]
    era = f"since the method change of {brk[-1]}" if brk else "of the first methodology era"
    text = (
        f"The panel follows countries over the {len(eds)} editions {era} "
        f"({eds[0]}-{eds[-1]}); editions across a method change are never pooled. The UN "
        "rescales every edition against that year's countries, so a raw score can move because "
        "others moved or because the spread changed; year effects alone would remove only the "
        f"shift. The {y} is therefore first standardised within each edition (a z-score over the "
        "assessed countries), and country effects remove everything stable about a country. "
        f"The estimates compare each country with itself over time, in standard deviations of "
        f"the edition's {y}: {f.n} country-editions from {f.n_countries} countries, "
        f"{st['countries_multi']} of them seen in two or more editions; errors clustered by "
        "country.\n\n- " + "\n- ".join(term_sentences(f, within=True, unit=f"SD of the {y}"))
    )
    return text


def two_wave_prose(det: Determinants) -> str:
    """Markdown: the items' two-edition panel (appendix), with its changers and limits."""
    f = det.two_wave
    if f is None:
        return (
            "The items behind the three questions exist for fewer than two editions up to "
            f"{det.year}, so no within-country check is possible."
        )
    if not f.ok:
        return f"The within-country check could not be fitted: {f.message}"
    eds = f.stats["editions"]
    ch = det.two_wave_changes
    moves = join_names(
        [f"{short_label(r.variable)}: {r.up} up, {r.down} down" for r in ch.itertuples()]
    )
    lines = []
    for h in det.testable:
        k = contrast(f, h.variable, *h.contrast)
        if k is not None:
            lines.append(
                f"{h.id} ({h.contrast_words}): {_signed(k.estimate)} SD "
                f"({_ci(k.ci_low, k.ci_high)})"
            )
    return (
        f"With only two editions ({eds[0]} and {eds[-1]}), the within-country estimates rest on "
        f"the countries whose codes changed between the two GovTech and AI-readiness rounds "
        f"({moves}), and a changed answer may be a real upgrade or a reporting change. The "
        f"{_y(det)} is standardised within each edition. A check, not an answer:\n\n- "
        + "\n- ".join(lines)
    )


# ----------------------------------------------------------------------------- appendices


def methods_prose(det: Determinants) -> str:
    """Markdown: the methods behind every number, with the run's notes and guard warnings."""
    method, alpha = primary_family()
    lag, age = det.lag, det.max_age
    y = _y(det)
    lines = [
        f"**Outcome**: the {y} of the {det.year} edition (0-1, relative to that edition's "
        "countries).",
        f"**Vintage**: each covariate takes its latest reference year at or before "
        f"{det.year - lag}"
        + (f", no older than {age} years" if age is not None else "")
        + "; no value with a later reference year is used. The values are today's releases "
        "of those years (e.g. the 2023/24 Human Development Report series), which revise what "
        "was published at the time.",
        f"**Controls**: {_controls_words(det)}, the same in every edition: income and "
        "population come from the UNDP Human Development Report series, the only ones in the "
        "data that cover every edition, and region from the UN classification.",
        "**Codes as categories**: government cloud, e-ID or digitised national ID, AI strategy "
        "and the other GovTech "
        "items are codes, not quantities; each level enters as a dummy and is read as a "
        "contrast with the reference level (e.g. operational vs no government cloud).",
        "**Estimators**: OLS with HC3 standard errors (the headline); fractional logit, a "
        "model bounded by 0 and 1, reported as average marginal effects (AME: for a code, the "
        "average difference in predicted score between the two levels); median regression, "
        "robust to outliers.",
        f"**Multiplicity**: the {len(det.testable)} primary contrasts are one family, "
        f"{ADJUST_NAMES[method]}-adjusted at {alpha:g}; every other p-value is unadjusted and "
        "carries no stars."
        if det.testable
        else "**Multiplicity**: no primary hypothesis is testable in this edition, so every "
        "p-value shown is unadjusted and descriptive.",
        "**What a null result rules out**: for a result that is not significant, the far end "
        "of its 95% interval in the headline model, unless a compared model or an alternative "
        "specification estimates more: then effects of that size are not ruled out.",
        "**Guards**: a regressor that is an input of the outcome index is refused (circularity), "
        "and a composite is never in a model with one of its own items (the aggregate guard: "
        "the GovTech core-systems index contains government cloud and the service bus; the AI "
        "readiness index contains the AI-strategy item).",
        f"**Caution**: {CAUTION}",
    ]
    notes = list(dict.fromkeys(det.control_notes + det.curve_notes + det.near_notes))
    warnings = []  # the near-outcome caveats are listed in their own section
    for res in (det.compared, det.exploratory):
        for f in res.fits if res is not None else []:
            warnings += [w for w in f.warnings if w not in warnings]
    if notes:
        lines.append("**Choices left out**: " + " ".join(notes))
    if warnings:
        lines.append("**Caveats from the guards**: " + " ".join(warnings))
    return "- " + "\n- ".join(lines)


def mice_view(det: Determinants) -> pd.DataFrame:
    """Complete-case vs multiple-imputation estimates of the primary contrasts."""
    m = det.mice_rows
    names = _question_names(det)
    return pd.DataFrame(
        {
            "Hypothesis": m["id"].map(names),
            "Complete cases": m["complete_estimate"],
            "Complete cases, 95% CI": [
                f"{a:.3f} to {b:.3f}"
                for a, b in zip(m["complete_low"], m["complete_high"], strict=True)
            ],
            "Complete cases, n": m["complete_n"],
            "Multiple imputation": m["mice_estimate"],
            "Multiple imputation, 95% CI": [
                f"{a:.3f} to {b:.3f}" for a, b in zip(m["mice_low"], m["mice_high"], strict=True)
            ],
            "Multiple imputation, n": m["mice_n"],
        }
    )


def mice_prose(det: Determinants) -> str:
    """Markdown: what the multiple imputation adds back and whether it changes the answers."""
    if det.mice is None:
        return "No multiple-imputation check: none of the three questions is testable here."
    m = det.mice_rows
    gap = float((m["mice_estimate"] - m["complete_estimate"]).abs().max())
    flips = [
        r.id
        for r in m.itertuples()
        if (r.complete_low > 0) != (r.mice_low > 0) or (r.complete_high < 0) != (r.mice_high < 0)
    ]
    cfg = spec_config()["mice"]
    text = (
        f"The headline model is refitted on all {int(m['mice_n'].iloc[0])} assessed countries, "
        f"filling the {len(det.mice_imputed)} countries' missing values (the countries left out "
        "of the common sample) by multiple imputation by chained equations (MICE: "
        f"{cfg['imputations']} imputed data sets, predictive mean matching, so every imputed "
        "code is one that some country reported; results combined by Rubin's rules; seed "
        f"{det.seed}). The estimates move by at most {gap:.3f}"
    )
    text += (
        " and no conclusion changes."
        if not flips
        else f"; the conclusion changes for {join_names(flips)}."
    )
    return text


def diagnostics_table(det: Determinants) -> pd.DataFrame:
    """OLS diagnostics of the compared and near-outcome models.

    Largest VIF, Breusch-Pagan and RESET p-values, influential countries (Cook's D above 4/n).
    """
    rows = []
    for res in (det.compared, det.near):
        for f in res.ok if res is not None else []:
            d = f.diagnostics
            if not d:
                continue
            vif = d["vif"].sort_values("vif", ascending=False)
            top = vif.iloc[0] if len(vif) else None
            infl = d["influential"]
            rows.append(
                {
                    "Model": f.name if res is det.compared else f"{f.name} (near-outcome)",
                    "n": f.n,
                    "Largest VIF": f"{top['vif']:.1f} ({_design_label(f, top['term'])})"
                    if top is not None
                    else "–",
                    "Breusch-Pagan p": format_p(d["breusch_pagan"]["p"]),
                    "RESET p": format_p(d["reset"]["p"]),
                    "Countries with Cook's D above 4/n": len(infl),
                    "Most influential": ", ".join(infl["country"].head(3)),
                }
            )
    return pd.DataFrame(rows)


def _design_label(fit: Fit, term: str) -> str:
    c = fit.coefs.set_index("term")
    return str(c.loc[term, "label"]) if term in c.index else term


def diagnostics_prose(det: Determinants) -> str:
    """Markdown: what the diagnostics of the headline model say, in plain words."""
    f = det.headline
    d = f.diagnostics
    if not d:
        return "No OLS diagnostics."
    bits = []
    high = d["vif"][d["vif"]["vif"] > 5]
    bits.append(
        "collinearity is moderate (no VIF above 5)"
        if high.empty
        else "collinearity above 5 for "
        + join_names(
            [
                f"{_design_label(f, t)} ({v:.1f})"
                for t, v in zip(high["term"], high["vif"], strict=True)
            ]
        )
    )
    if d["breusch_pagan"]["p"] < 0.05:
        bits.append(
            "the error spread differs across countries (Breusch-Pagan p "
            f"{_p(d['breusch_pagan']['p'])}), which the HC3 standard errors allow for"
        )
    if np.isfinite(d["reset"]["p"]) and d["reset"]["p"] < 0.05:
        bits.append(
            f"the RESET test suggests non-linearity (p {_p(d['reset']['p'])}), e.g. scores "
            "flattening near the top of the scale: the fractional logit (bounded by 0 and 1) "
            "shows whether it matters"
        )
    infl = d["influential"]
    if len(infl):
        bits.append(
            f"{len(infl)} countries have a large influence (Cook's D above 4/n), led by "
            f"{join_names(infl['country'].head(3).tolist())}"
            + ("; the specification curve drops them" if det.curve is not None else "")
        )
    return f"Headline model (n = {f.n}): " + "; ".join(bits) + "."


def vintage_table(det: Determinants) -> pd.DataFrame:
    """Which reference years of each covariate the vintage rule used for the edition.

    Counted over the edition's UN member states: a state admitted later (South Sudan before
    2012) has covariate values but was not a country of that edition.
    """
    from ..panel import not_yet_members

    refs = det.panel.ref_years
    refs = refs[(refs["year"] == det.year) & ~refs["iso3"].isin(list(not_yet_members(det.year)))]
    rows = []
    for col in refs.columns.drop(["iso3", "year"]):
        r = refs[col].dropna()
        if not len(r):
            continue
        rows.append(
            {
                "variable": term_label(col),
                "countries_with_data": len(r),
                "oldest_ref_year": int(r.min()),
                "median_ref_year": int(r.median()),
                "newest_ref_year": int(r.max()),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- key findings


def key_findings(det: Determinants) -> list[str]:
    """Three to five generated sentences for the report's Key findings box."""
    y = _y(det)
    method, _ = primary_family()
    out = []
    for _, r in det.primary.iterrows():
        h = next(h for h in det.testable if h.id == r["id"])
        curve = _curve_row(det, h.id)
        robust = (
            f"; same sign in {curve['same_sign']:.0%} of {int(curve['specs'])} alternative "
            f"specifications, {int(curve['distinct'])} of them with distinct estimates"
            if curve is not None
            else ""
        )
        c = codes()[h.variable]
        hi, lo = c.phrase(h.contrast[0]), c.phrase(h.contrast[1])
        if r["significant"]:
            # The verdict first (what a reader in a hurry needs), then the numbers behind it.
            text = (
                f"**{h.name} ({h.id})**: {certainty(det, r)}; not proof of a cause. Countries "
                f"{h.reporting} {hi} score {_signed(r['estimate'])} on the {y} (0-1) compared "
                f"with similar countries {h.reporting} {lo} ({_ci(r['ci_low'], r['ci_high'])}, "
                f"{ADJUST_NAMES[method]}-adjusted p {_p(r['p_adj'])}{robust})"
            )
            caveats = short_caveats(det, r)
            out.append(text + (", but " + " and ".join(caveats) if caveats else "") + ".")
        else:  # the verdict says whether it passes unadjusted but not after the adjustment
            out.append(
                f"**{h.name} ({h.id})**: {certainty(det, r)}; "
                f"{null_bound_text(det, r)}. "
                f"Countries {h.reporting} {hi} score {_signed(r['estimate'])} on the {y} "
                f"compared with similar countries {h.reporting} {lo} "
                f"({_ci(r['ci_low'], r['ci_high'])})."
            )
        if h.proxy_note:
            out[-1] += f" {h.proxy_note} {coded_low_sentence(det, h, top=3)}".rstrip()
    if not det.testable:
        out.append(
            f"The three questions (government cloud, digital ID, AI) cannot be answered for "
            f"{det.year}: the items behind them start in 2020, after this edition."
        )
        out += _early_findings(det)
    out += _group_findings(det)
    return out[:5]


def _early_findings(det: Determinants) -> list[str]:
    """Findings of an edition without the items: income, and the within-country panel."""
    y = _y(det)
    out = []
    c = det.headline.coefs.set_index("term")
    inc = next((t for t in det.controls if base_variable(t) == "hdr_gnipc"), None)
    if inc and inc in c.index:
        r = c.loc[inc]
        ln2 = np.log(2)
        out.append(
            f"Across {det.headline.n} countries, a doubling of GNI per capita goes with "
            f"{_signed(r['estimate'] * ln2)} on the {y} "
            f"({_ci(r['ci_low'] * ln2, r['ci_high'] * ln2)}) at the same population and region"
            + (
                ": a clear association, not proof of a cause."
                if r["ci_low"] > 0 or r["ci_high"] < 0
                else ": no clear association."
            )
        )
    f = det.era_fit
    if f is not None and f.ok:
        sig = f.coefs[(f.coefs["ci_low"] > 0) | (f.coefs["ci_high"] < 0)]
        eds = f.stats["editions"]
        if len(sig):
            r = sig.iloc[sig["p"].argmin()]
            step, words = effect_step(r["term"])
            what = words.removeprefix("+") if r["term"].startswith("log_") else words
            # The clearest of several within-country terms: say whether it survives Holm's
            # adjustment for their number (the selection would otherwise overstate it).
            adjusted = adjust_pvalues(f.coefs["p"].to_numpy(), "holm")
            p_adj = float(pd.Series(adjusted, index=f.coefs.index)[r.name])
            tested = f"the {len(f.coefs)} variables tested"
            held = (
                f"Holm-adjusted p {_p(p_adj)} for {tested}"
                if p_adj < 0.05
                else f"not significant after Holm's adjustment for {tested} (p {_p(p_adj)}): it "
                "may be chance"
            )
            out.append(
                f"Within countries over {eds[0]}-{eds[-1]}, {what} goes with "
                f"{_signed(r['estimate'] * step)} SD of the edition's {y} "
                f"({_ci(r['ci_low'] * step, r['ci_high'] * step)}), the clearest of the "
                f"within-country associations; {held}."
            )
        else:
            out.append(
                f"Within countries over {eds[0]}-{eds[-1]}, no change in income, schooling or "
                f"internet use goes clearly with a change in the {y}."
            )
    return out


def _group_findings(det: Determinants) -> list[str]:
    """The group's position against its prediction, and its ceiling on the codes."""
    out = []
    t = residual_table(det).dropna(subset=["z"])
    if len(t):
        hi, lo = t.iloc[0], t.iloc[-1]
        far = t[t["z"].abs() >= 2]
        out.append(
            f"**{_cap(det.group_name)}** against what the covariates predict: "
            f"{hi['country']} lies furthest above its predicted score (standardised residual "
            f"{hi['z']:+.2f}) and {lo['country']} furthest below ({lo['z']:+.2f}); "
            + (
                join_names(far["country"].tolist())
                + (" lies" if len(far) == 1 else " lie")
                + " beyond ±2"
                if len(far)
                else "none lies beyond ±2, the range where chance alone puts 1 country in 20"
            )
            + "."
        )
    ceiling = _ceiling_summary(det)
    if ceiling:
        out.append(ceiling)
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ceiling_summary(det: Determinants) -> str:
    """One sentence: how many of the group report the top code of each item.

    And what that means for reading the contrasts.
    """
    n = len(det.group)
    sig = set(det.primary.loc[det.primary["significant"], "id"]) if len(det.primary) else set()
    bits: list[str] = []
    top_any = below_sig = False
    for h in det.testable:
        top = len(_codes_in_group(det, h).get(h.top_level, []))
        who = f"all {n}" if top == n else "none" if top == 0 else f"{top} of {n}"
        # the first self-reported item carries "report"; desk-coded items say so each time
        verb = "" if bits and h.self_reported else f"{h.verb(max(top, 2))} "
        bits.append(f"{who} {verb}{codes()[h.variable].phrase(h.top_level)}")
        top_any |= top > 0
        below_sig |= top < n and h.id in sig
    if not bits:
        return ""
    text = f"In {det.group_name}, {join_names(bits)} (the top code of each item)"
    notes = []
    if top_any:
        notes.append(
            "for those at the top, cross-country data cannot say what a further upgrade would add"
        )
    if below_sig:
        notes.append(
            "for the others, the differences above describe comparable countries that have the "
            "feature, not what adopting it would bring"
        )
    return text + (": " + "; ".join(notes) if notes else "") + "."


def source_ids(det: Determinants) -> list[str]:
    """Catalogue file ids behind the report.

    EGDI files plus each covariate's reader, for `egovlib.plots.finish`.
    """
    from ..panel import DERIVED
    from ..sources import files_for_reader
    from .specs import variable_meta

    meta = variable_meta()
    readers = ["egdi"]
    fits = [
        f for res in (det.compared, det.near, det.exploratory) if res is not None for f in res.ok
    ] + [f for f in (det.era_fit, det.two_wave) if f is not None and f.ok]
    for f in fits:
        for t in f.spec.terms:
            b = base_variable(t)
            if b in INDICES or b in CATEGORICAL:
                continue
            names = [meta[b].reader] if meta[b].reader else [meta[i].reader for i in DERIVED[b][0]]
            readers += [r for r in names if r not in readers]
    return [s.id for r in readers for s in files_for_reader(r)]


__all__ = [
    "CAUTION",
    "CONTROLS_ONLY",
    "answer_sentences",
    "ceiling_sentences",
    "collinearity_view",
    "contrast_alt",
    "contrast_data",
    "contrast_figure_data",
    "curve_data",
    "curve_alt",
    "curve_prose",
    "diagnostics_prose",
    "diagnostics_table",
    "era_prose",
    "exploratory_prose",
    "format_p",
    "hypotheses_prose",
    "hypotheses_table",
    "key_findings",
    "methods_prose",
    "mice_prose",
    "mice_view",
    "near_alt",
    "near_figure_data",
    "near_prose",
    "primary_view",
    "residual_alt",
    "residual_data",
    "residual_prose",
    "residual_view",
    "residual_table",
    "sample_prose",
    "side_by_side",
    "side_by_side_caption",
    "source_ids",
    "term_sentences",
    "two_wave_prose",
    "vintage_table",
]
