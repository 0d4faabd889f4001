"""Text and tables of the index engine's reports (notebooks 03 and 05); no display here.

Every sentence is generated from the results: who, how much, compared with what, and how sure.
Group-neutral: the group is named by the label the report was run with, never assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..countries import country_name
from ..report import join_names
from . import audit, figures
from .assess import Assessment, ProposalResult
from .data import LAG, MAX_AGE
from .spec import method_words
from .uncertainty import design_text

SOURCE_05 = (
    "Source: UN DESA E-Government Survey; UNESCO UIS (SDG 4.4.1); World Bank GTMI; Coursera "
    "Global Skills Index 2020; UNDP HDR; OWID/World Bank (education); egovlib calculations."
)


def _places(k: float) -> str:
    k = int(round(k))
    return f"{abs(k)} place{'s' if abs(k) != 1 else ''} {'up' if k > 0 else 'down'}"


def _move(k) -> str:
    if pd.isna(k):
        return "not ranked"
    return "no change" if int(k) == 0 else _places(k)


def _interval(lo: float, hi: float) -> str:
    return f"{lo:+.0f} to {hi:+.0f}"


def focus_shift(p: ProposalResult, focus: str) -> dict | None:
    """The focus country's implied-EGDI rank change under a proposal, with its interval."""
    if p.shifts is None or focus not in p.shifts.index:
        return None
    r = p.shifts.loc[focus]
    return {
        "baseline": r["baseline"],
        "nominal": r["nominal"],
        "median": r["median"],
        "lower": r["lower"],
        "upper": r["upper"],
        "finding": bool(r["finding"]),
    }


def _shift_words(s: dict) -> str:
    """A rank change in words: the median of the Monte Carlo builds, never the nominal alone.

    For example "a median of +4 places across the Monte Carlo builds (90% interval +1 to +6;
    +6 as specified)".
    """
    med = int(round(s["median"]))
    return (
        f"{med:+d} place{'s' if abs(med) != 1 else ''} (median of the Monte Carlo builds; 90% "
        f"interval {_interval(s['lower'], s['upper'])}; {s['nominal']:+.0f} as specified)"
    )


def _verdict(s: dict) -> str:
    return (
        "the interval excludes zero, so the change is larger than its uncertainty"
        if s["finding"]
        else "the interval includes zero, so this is not a finding"
    )


def _focus_shifts(a: Assessment) -> list[tuple[ProposalResult, dict]]:
    """`focus_shift` of every evaluable proposal that ranks the focus country."""
    out = []
    for p in a.evaluable:
        s = focus_shift(p, a.focus)
        if s is not None and pd.notna(s["nominal"]):
            out.append((p, s))
    return out


def _shift_sentence(p: ProposalResult, focus: str) -> str:
    s = focus_shift(p, focus)
    name = country_name(focus)
    if s is None or pd.isna(s["baseline"]):
        return f"{name} is not ranked"
    text = (
        f"{name} would move {_move(s['median'])} in the EGDI (from {int(s['baseline'])}; median "
        f"of the Monte Carlo builds, 90% interval {_interval(s['lower'], s['upper'])} places, "
        f"{s['nominal']:+.0f} as specified)"
    )
    if not s["finding"]:
        text += ": the interval includes zero, so this is not a finding"
    return text


def intro(a: Assessment) -> str:
    """Edition, focus country and comparison group (the title cell says what the report does)."""
    return (
        f"**Edition {a.year}.** Focus: {country_name(a.focus)}, compared with {a.group_label} "
        f"({join_names([country_name(c) for c in a.group])})."
    )


def coverage_text(a: Assessment) -> str:
    """Coverage in words, naming the focus country's imputed inputs."""
    t = pd.concat([p.coverage for p in a.proposals]).drop_duplicates("variable")
    name = country_name(a.focus)
    parts = [
        f"{r['component']} is observed for {r['observed']} of {len(a.data.countries)} countries "
        f"({r['share_observed']:.0%})" + ("" if r["eligible"] else ", below the 70% gate")
        for _, r in t.iterrows()
    ]
    imputed = []
    for p in a.evaluable:
        if a.focus in p.built.imputed.index:
            row = p.built.imputed.loc[a.focus]
            imputed += [p.spec.labels[v] for v in row.index[row]]
    imputed = list(dict.fromkeys(imputed))
    text = "; ".join(parts) + ". "
    text += (
        f"**{name}'s imputed inputs:** {join_names(imputed)} (group median, not data): any gain "
        f"{name} shows from {'it' if len(imputed) == 1 else 'them'} is an assumption."
        if imputed
        else f"None of {name}'s inputs is imputed."
    )
    return text


def face_table(p: ProposalResult) -> pd.DataFrame:
    """The published EGDI top 20 under the proposal (imputed items named per country)."""
    t = p.face.table.reset_index()
    return t.rename(
        columns={
            "egdi_rank": "EGDI rank",
            "new_egdi_rank": "New EGDI rank",
            "egdi_shift": "EGDI shift",
            "index_rank": "HCI rank",
            "new_index_rank": "New HCI rank",
            "index_shift": "HCI shift",
            "imputed": "Imputed items",
        }
    )


def sensitivity_text(a: Assessment) -> str:
    """The Monte Carlo design and what moves ranks most."""
    mcs = [(p, p.mc, p.sensitivity) for p in a.evaluable]
    done = [(p, mc, sens) for p, mc, sens in mcs if mc is not None and sens is not None]
    if not done:
        return ""
    parts = []
    for p, _, sens in done:
        top = sens.iloc[0]
        parts.append(
            f"*{p.spec.label}*: {top['factor']} (total-order {top['total_order']:.2f}, "
            f"first-order {top['first_order']:.2f})"
        )
    return (
        f"**Design.** Per proposal, {design_text(done[0][1])} The output whose variance is "
        "decomposed is one metric: the mean absolute change in EGDI rank of all countries from "
        "the proposal's nominal ranks. A first-order index is the share of that variance due "
        "to one choice alone; a total-order index adds its interactions with the other choices, "
        "so it is at least as large (small negative values and first > total are sampling "
        "noise, about ±0.05 at this number of builds). **What moves ranks most:** "
        + "; ".join(parts)
        + "."
    )


def not_evaluable_text(a: Assessment) -> str:
    """One sentence for an edition where no proposal can be evaluated ("" otherwise)."""
    if a.evaluable:
        return ""
    items = join_names(list(dict.fromkeys(c for p in a.proposals for c in p.coverage["component"])))
    lo, hi = a.year - LAG - MAX_AGE, a.year - LAG
    return (
        f"No proposal can be evaluated for {a.year}: none of the candidate items ({items}) has a "
        f"value with a reference year between {lo} and {hi} (they were first collected later), "
        "so every proposal would equal the published HCI."
    )


def _top10_moves(p: ProposalResult) -> list[tuple[str, str, int, int, int]]:
    """Moves of the flagged top-10 countries beyond the threshold.

    EGDI moves first (the ranking a reader knows), largest first: (country, "EGDI" or "HCI",
    from, to, |shift|).
    """
    t = p.face.table.reindex(p.face.flagged)
    moves: dict[str, list[tuple[str, str, int, int, int, bool]]] = {"EGDI": [], "HCI": []}
    for iso, r in t.iterrows():
        for which, a, b, sh in (
            ("EGDI", "egdi_rank", "new_egdi_rank", "egdi_shift"),
            ("HCI", "index_rank", "new_index_rank", "index_shift"),
        ):
            if pd.notna(r[sh]) and abs(r[sh]) > p.face.threshold:
                top = which == "EGDI" and r["egdi_rank"] <= 10
                moves[which].append(
                    (country_name(iso), which, int(r[a]), int(r[b]), int(abs(r[sh])), top)
                )
                break
    return [
        m[:5] for w in ("EGDI", "HCI") for m in sorted(moves[w], key=lambda m: (not m[5], -m[4]))
    ]


def key_findings(a: Assessment) -> list[str]:
    """Three to five headline sentences for the top of the report."""
    name = country_name(a.focus)
    if not a.evaluable:
        out = [not_evaluable_text(a)]
        if pos := _position_headline(a):
            out.append(pos)
        out.append(
            "The proposals can only be judged on editions whose data include the candidate "
            "items; for this edition the report explains the published HCI only."
        )
        return out
    out = []
    ok = [p for p in a.evaluable if p.recommendable]
    out.append(
        f"None of the {len(a.evaluable)} tested HCI proposals passes the checks a UN DESA "
        "review would apply (what the items measure, coverage of at least "
        f"{audit.MIN_OBSERVED_SHARE:.0%} of countries, stability of the top 10, effective "
        "weights)."
        if not ok
        else f"{join_names([p.spec.label for p in ok])} pass every check "
        f"({len(ok)} of {len(a.evaluable)} proposals)."
    )
    moved = [(p, _top10_moves(p)) for p in a.evaluable]
    moved = [(p, m) for p, m in moved if m]
    if moved:
        # the proposal with the largest move of an EGDI top-10 country (the table readers know)
        p, m = max(moved, key=lambda t: (t[1][0][1] == "EGDI", t[1][0][4]))
        shown = "; ".join(f"{c} {frm} → {to} in the {which}" for c, which, frm, to, _ in m[:3])
        out.append(
            f"*{p.spec.label}* would reshuffle the top of the table ({shown}), although these "
            "countries' education did not change; "
            + (
                f"{len(p.face.flagged)} countries of the EGDI or HCI top 10 move more than "
                f"{p.face.threshold} places"
                if len(p.face.flagged) > 1
                else f"one country of the EGDI or HCI top 10 moves more than "
                f"{p.face.threshold} places"
            )
            + (
                f", and {len(moved) - 1} other proposal{'s' if len(moved) > 2 else ''} also "
                "fail this check."
                if len(moved) > 1
                else "."
            )
        )
    shifts = _focus_shifts(a)
    if shifts:
        p, s = max(shifts, key=lambda t: (t[1]["median"], t[1]["nominal"]))
        imputed = _focus_imputed(p, a.focus)
        out.append(
            f"{name}'s largest expected EGDI gain is under *{p.spec.label}*: "
            f"{_shift_words(s)}; {_verdict(s)}"
            + (f"; it rests on an imputed {join_names(imputed)}" if imputed else "")
            + ("; that proposal fails the checks above." if p.reasons else ".")
        )
    out.append(
        "Judgement (this report's, not a finding of the data): the realistic route is a Member "
        "States Questionnaire item on digital skills, piloted and reported beside the HCI before "
        "any change to the index itself."
    )
    return out[:5]


def _focus_imputed(p: ProposalResult, focus: str) -> list[str]:
    """Labels of the focus country's imputed inputs under a proposal."""
    if focus not in p.built.imputed.index:
        return []
    row = p.built.imputed.loc[focus]
    return [p.spec.labels[v] for v in row.index[row]]


def _hci_rank(a: Assessment) -> tuple[int, int] | None:
    hci = a.data.frame["hci"]
    if a.focus not in hci.index or pd.isna(hci[a.focus]):
        return None
    return int(hci.rank(ascending=False, method="min")[a.focus]), int(hci.notna().sum())


def _gaps(a: Assessment, n: int = 10) -> pd.DataFrame | None:
    """`audit.input_gaps` of the focus country against the HCI top ``n`` (None if no recipe)."""
    if a.recipe is None or a.focus not in a.recipe.inputs.index:
        return None
    top = a.data.frame["hci"].sort_values(ascending=False).index[:n]
    return audit.input_gaps(a.recipe, a.focus, top)


def _missing_inputs(a: Assessment) -> list[str]:
    """Recipe inputs the focus country has no value for (observed or imputed)."""
    r = a.recipe
    if r is None:  # no recipe, no inputs
        return []
    return [
        r.spec.labels[v].lower()
        for v in r.spec.variables
        if not (r.observed.loc[a.focus, v] or r.imputed.loc[a.focus, v])
    ]


def rebuild_check(a: Assessment, n: int = 10) -> dict | None:
    """How far the rebuilt HCI misses the published one for the focus country.

    Beside the gap to the HCI top ``n`` on both scales: the attribution input by input holds for the
    rebuilt index, and is only as good as that miss is small against the costs.

    Returns
    -------
    dict or None
        ``published, rebuilt, error`` (rebuilt minus published), ``published_gap`` and
        ``rebuilt_gap`` (focus minus the top-``n`` mean), ``largest_cost`` (absolute) and
        ``error_exceeds`` (the miss is larger than the largest input cost).
    """
    gaps, recipe = _gaps(a, n), a.recipe
    if gaps is None or recipe is None or _missing_inputs(a):
        return None
    pub = a.data.frame["hci"]
    reb = recipe.scores
    if pd.isna(reb.get(a.focus)) or pd.isna(pub.get(a.focus)):
        return None
    top = [c for c in pub.sort_values(ascending=False).index[:n] if c != a.focus]
    error = float(reb[a.focus] - pub[a.focus])
    largest = float(gaps["cost"].abs().max())
    return {
        "published": float(pub[a.focus]),
        "rebuilt": float(reb[a.focus]),
        "error": error,
        "published_gap": float(pub[a.focus] - pub[top].mean()),
        "rebuilt_gap": float(reb[a.focus] - reb[top].mean()),
        "largest_cost": largest,
        "error_exceeds": abs(error) > largest,
    }


def top_inputs_tied(gaps: pd.DataFrame, check: dict | None) -> bool:
    """Whether the two costliest HCI inputs differ by less than the rebuild's miss.

    The order of the first two inputs holds only if their costs differ by more than the rebuilt
    index misses the focus country's published gap to the top 10; otherwise neither can be
    called the larger (report 05 and the brief name both).
    """
    if not check or len(gaps) < 2:
        return False
    first, second = (abs(float(c)) for c in gaps["cost"].iloc[:2])
    return first - second < abs(check["rebuilt_gap"] - check["published_gap"])


def _rebuild_sentence(a: Assessment, check: dict) -> str:
    """The focus country's rebuild error, said before any attribution.

    On its level and on its gap to the top 10 (what the attribution splits).
    """
    name = country_name(a.focus)
    size = "larger" if check["error_exceeds"] else "smaller"
    text = (
        "The UN does not publish the HCI's inputs, so the explanation below uses the HCI rebuilt "
        f"from public proxies, which puts {name} at {check['rebuilt']:.3f} against "
        f"{check['published']:.3f} published: an error of {check['error']:+.3f}, {size} than the "
        f"cost of any single input below (largest {check['largest_cost']:.3f}). "
    )
    miss = abs(check["rebuilt_gap"] - check["published_gap"])
    fair = miss < check["largest_cost"]
    text += (
        f"{name}'s gap to the HCI top 10 is {check['rebuilt_gap']:+.3f} on the rebuilt index "
        f"against {check['published_gap']:+.3f} published (a miss of {miss:.3f}): "
        + (
            "the split of that gap by input is a fair guide"
            + (", the rebuilt level is not. " if check["error_exceeds"] else ". ")
            if fair
            else "the split of that gap by input is indicative only. "
        )
    )
    return text


def _position_headline(a: Assessment) -> str:
    """One sentence: the focus country's HCI rank and the input that costs it most."""
    name, rank, gaps = country_name(a.focus), _hci_rank(a), _gaps(a)
    if rank is None:
        return ""
    text = f"{name}'s HCI ranks {rank[0]} of {rank[1]} in {a.year}"
    if gaps is None:
        return text + "."
    missing = _missing_inputs(a)
    if missing:
        return (
            text + f"; it cannot be rebuilt from public proxies, because {name} has no "
            f"{join_names(missing)} value within the vintage rule."
        )
    worst = gaps.iloc[0]
    check = rebuild_check(a)
    miss = (
        f"; the rebuilt HCI misses {name}'s published value by {check['error']:+.3f} and its "
        f"gap to the top 10 by {abs(check['rebuilt_gap'] - check['published_gap']):.3f}"
        if check
        else ""
    )
    what, verb = worst["input"].lower(), "costs"
    if top_inputs_tied(gaps, check):
        what, verb = f"{what} and {gaps.iloc[1]['input'].lower()}", "cost"
    return (
        text + f"; against the HCI top 10, its {what} {verb} it most on the "
        f"HCI rebuilt from proxies (about {abs(worst['cost']):.3f} HCI points"
        + (", and that value is imputed" if worst["imputed"] else "")
        + f"){miss}."
    )


def baseline_text(a: Assessment) -> str:
    """The identity check and the fit of the HCI rebuilt from proxies."""
    pub = a.published
    dev = (pub.scores - a.data.frame["hci"]).abs().max()
    text = (
        # an identity build (the published HCI in, the published HCI out): a plumbing check,
        # not a reproduction of the UN method
        f"The engine passes the published HCI {a.year} through unchanged for all "
        f"{int(pub.scores.notna().sum())} assessed countries "
        + (
            "(a check of the engine, not of the UN method)."
            if dev == 0
            else f"(largest difference {dev:.1e})."
        )
    )
    if a.recipe is not None:
        r = a.recipe
        ok = r.scores.notna()
        fit = r.scores[ok].corr(a.data.frame.loc[ok, "hci"])
        mae = (r.scores[ok] - a.data.frame.loc[ok, "hci"]).abs().mean()
        n_imp = int(r.imputed.any(axis=1).sum())
        text += (
            " Rebuilt from public proxies of its inputs ("
            f"{join_names([c.name.lower() for c in r.spec.components])}) for {int(ok.sum())} "
            f"countries, it correlates with the published HCI at r = {fit:.3f} (mean absolute "
            f"error {mae:.3f}); "
            + (
                "no country has an input imputed"
                if n_imp == 0
                else f"{n_imp} {'country has' if n_imp == 1 else 'countries have'} an input imputed"
            )
            + ". The proxies track the HCI but not exactly, so the proposals keep the "
            "**published** HCI and add items to it."
        )
    return text


def position_table(a: Assessment, n: int = 10) -> pd.DataFrame:
    """The focus country's HCI inputs against the top ``n`` of the published HCI."""
    gaps = _gaps(a, n)
    if gaps is None or _missing_inputs(a):
        return pd.DataFrame()
    gaps["input"] = gaps["input"] + np.where(gaps["imputed"], " (imputed)", "")
    check = rebuild_check(a, n)
    if check is not None:
        # the proxy's own miss, beside the costs it is compared with
        gaps = pd.concat(
            [
                gaps,
                pd.DataFrame(
                    [
                        {
                            "input": f"Error of the rebuilt HCI (rebuilt {check['rebuilt']:.3f} "
                            f"minus published {check['published']:.3f})",
                            "cost": check["error"],
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    return gaps.drop(columns=["imputed", "focus_z", "reference_z"]).rename(
        columns={
            "input": "Input",
            "focus": country_name(a.focus),
            "reference_mean": f"Mean of the HCI top {n}",
            "weight": "Weight",
            "cost": "Cost in HCI points",
        }
    )


def position_text(a: Assessment, n: int = 10) -> str:
    """Why the focus country's HCI ranks where it does."""
    gaps, rank = _gaps(a, n), _hci_rank(a)
    recipe = a.recipe
    if gaps is None or rank is None or recipe is None:
        return ""
    name = country_name(a.focus)
    head = f"**Why {name}'s HCI ranks {rank[0]} of {rank[1]}.** "
    missing = _missing_inputs(a)
    if missing:
        return head + (
            f"{name} has no {join_names(missing)} value with a reference year between "
            f"{a.year - LAG - recipe.spec.max_age} and {a.year - LAG}, so its HCI cannot be "
            "rebuilt from public proxies and its position cannot be explained input by input."
        )
    worst = gaps.iloc[0]
    imputed = gaps.loc[gaps["imputed"], "input"].tolist()
    refs = recipe.ref_years.loc[a.focus]
    check = rebuild_check(a, n)
    text = head + (_rebuild_sentence(a, check) if check else "")
    tied = top_inputs_tied(gaps, check)

    def said(r) -> str:
        return (
            f"**{r['input'].lower()}** ({r['focus']:.1f} against {r['reference_mean']:.1f}; "
            f"about {abs(r['cost']):.3f} HCI points on the rebuilt index)"
        )

    if tied and check is not None:  # tied needs the rebuild check
        # the order of the first two holds only if they differ by more than the rebuild's miss
        miss = abs(check["rebuilt_gap"] - check["published_gap"])
        text += (
            f"Against the mean of the HCI top {n}, two inputs cost {name} about the same, closer "
            f"than the rebuild's miss of {miss:.3f}, so neither can be called the larger: "
            f"{said(gaps.iloc[0])} and {said(gaps.iloc[1])}. "
        )
    else:
        text += (
            f"Against the mean of the HCI top {n}, the input that costs {name} most is "
            f"{said(worst)}. "
        )
    others = gaps.iloc[2:] if tied else gaps.iloc[1:]
    if len(others):
        text += (
            ("The other: " if len(others) == 1 else "The others: ")
            + "; ".join(
                f"{r['input'].lower()} {r['focus']:.1f} against {r['reference_mean']:.1f} "
                f"({r['cost']:+.3f})"
                for _, r in others.iterrows()
            )
            + ". "
        )
    if imputed:
        text += (
            f"{name}'s {join_names([i.lower() for i in imputed])} "
            f"{'is' if len(imputed) == 1 else 'are'} **imputed** (no value within the vintage "
            f"rule; the {method_words(recipe.spec.impute)} is used), so that part of the "
            "comparison is an assumption, not data. "
        )
    years = ", ".join(
        f"{recipe.spec.labels[v].lower()} {int(refs[v])}"
        for v in recipe.spec.variables
        if pd.notna(refs[v]) and recipe.observed.loc[a.focus, v]
    )
    if years:
        text += f"Reference years used: {years}."
    return text


def proposals_table(a: Assessment) -> pd.DataFrame:
    """One row per proposal: items with weights, what they measure, method, missing data."""
    concepts = audit.items()
    rows = []
    for p in a.proposals:
        s = p.spec
        rows.append(
            {
                "Proposal": s.label,
                "Components (weight)": "; ".join(f"{c.name}: {c.weight:.3g}" for c in s.components),
                "What the new items measure": "; ".join(
                    f"{s.labels[v]}: {concepts[v].concept if v in concepts else 'not classified'}"
                    for v in s.new_components
                ),
                "Method": f"{method_words(s.normalisation)}, {method_words(s.aggregation)}"
                + (", rescaled to [0, 1]" if s.rescale == "minmax" else ""),
                "Missing data": (
                    f"{method_words(s.impute)} if at least {s.min_coverage:.0%} of items "
                    "observed (marked as imputed)"
                    if s.impute != "none"
                    else "not imputed"
                ),
            }
        )
    return pd.DataFrame(rows)


def coverage_table(a: Assessment) -> pd.DataFrame:
    """Coverage gate of every new item (each item once)."""
    t = pd.concat([p.coverage for p in a.proposals]).drop_duplicates("variable")
    return t.drop(columns=["variable"]).rename(
        columns={
            "not_scored": "Neither observed nor imputed",
            "share_observed": "Share observed",
            "eligible": f"Passes the {audit.MIN_OBSERVED_SHARE:.0%} gate",
            "reference_years": "Reference years (countries)",
            "concept": "Measures",
            "home": "Where it belongs",
        }
    )


def face_text(p: ProposalResult) -> str:
    """Every top-10 country's move named, and the flag."""
    moves = "; ".join(
        f"{r['country']} {_move(r['egdi_shift'])} (HCI rank {int(r['index_rank'])} → "
        f"{int(r['new_index_rank'])})"
        for _, r in p.face.top10.iterrows()
    )
    names = join_names([country_name(i) for i in p.face.flagged])
    k = len(p.face.flagged)
    flag = (
        f"**Flag: {k} {'country' if k == 1 else 'countries'} of the EGDI or HCI top 10 "
        f"move{'s' if k == 1 else ''} more than {p.face.threshold} places** in the EGDI or the "
        f"HCI ({names}): their education did not change; the moves come from the new items "
        "alone."
        if p.face.flagged
        else f"No country of the EGDI or HCI top 10 moves more than {p.face.threshold} places."
    )
    return f"*{p.spec.label}*, EGDI top 10: {moves}. {flag}"


def weights_table(a: Assessment) -> pd.DataFrame:
    """Nominal and effective weights of every evaluable proposal's components."""
    frames = [p.weights.assign(proposal=p.spec.label) for p in a.evaluable]
    if not frames:
        return pd.DataFrame()
    t = pd.concat(frames)
    return t[
        [
            "proposal",
            "component",
            "nominal_weight",
            "r2",
            "eta2",
            "effective_weight",
            "ratio",
            "flag",
        ]
    ].rename(
        columns={
            "nominal_weight": "Nominal weight",
            "r2": "Squared correlation",
            "eta2": "Correlation ratio",
            "effective_weight": "Effective weight",
            "ratio": "Effective / nominal",
            "flag": "More than twice nominal",
        }
    )


def _flagged_weights(a: Assessment) -> list[str]:
    return [
        f"{r['component']} in *{p.spec.label}* ({r['effective_weight']:.0%} for "
        f"{r['nominal_weight']:.1%})"
        for p in a.evaluable
        for _, r in p.weights[p.weights["flag"]].iterrows()
    ]


def weights_text(a: Assessment) -> str:
    """What effective weights show."""
    flagged = _flagged_weights(a)
    text = (
        "A nominal weight says how much an item is meant to count; its **effective weight** is "
        "its share of the index's variance across countries (the correlation ratio of the index "
        "on the item, normalised over the items; Paruolo, Saisana and Saltelli 2013), computed "
        "with imputed values included. The published HCI is bunched near the top for most "
        "countries, so a new item that spreads countries from 0 to 1 drives the ranking beyond "
        "its nominal weight. "
    )
    return text + (
        "More than twice the nominal weight: " + "; ".join(flagged) + "."
        if flagged
        else "No item carries more than twice its nominal weight."
    )


def summary_table(a: Assessment) -> pd.DataFrame:
    """One row per evaluable proposal: the checks, the focus country's shift and its interval."""
    rows = []
    name = country_name(a.focus)
    for p in a.evaluable:
        s = focus_shift(p, a.focus) or {}
        cov = p.coverage
        imputed = _focus_imputed(p, a.focus)
        rows.append(
            {
                "Proposal": p.spec.label,
                "Items measure human capital": bool((cov["concept"] == "human capital").all()),
                f"Coverage ≥ {audit.MIN_OBSERVED_SHARE:.0%}": bool(cov["eligible"].all()),
                "Top 10 stable": p.face.passed,
                "Effective weights ≤ 2× nominal": not bool(p.weights["flag"].any()),
                f"{name}: EGDI rank change, as specified": s.get("nominal", np.nan),
                f"{name}: EGDI rank change, Monte Carlo median": s.get("median", np.nan),
                "5%": s.get("lower", np.nan),
                "95%": s.get("upper", np.nan),
                "Interval excludes zero": s.get("finding", False),
                f"{name}'s imputed items": ", ".join(imputed),
            }
        )
    return pd.DataFrame(rows)


def sensitivity_table(a: Assessment) -> pd.DataFrame:
    """First- and total-order indices of each factor, per proposal."""
    frames = [
        p.sensitivity.assign(proposal=p.spec.label)
        for p in a.evaluable
        if p.sensitivity is not None
    ]
    if not frames:
        return pd.DataFrame()
    t = pd.concat(frames)
    return t[["proposal", "factor", "first_order", "total_order"]].rename(
        columns={
            "factor": "Choice varied",
            "first_order": "First-order index",
            "total_order": "Total-order index",
        }
    )


def shift_interval_view(a: Assessment):
    """Figure of the group's EGDI rank changes with intervals: (figure, alt text, data)."""
    rows = []
    for p in a.evaluable:
        if p.shifts is None:
            continue
        for iso in a.group:
            if iso in p.shifts.index:
                r = p.shifts.loc[iso]
                rows.append(
                    {
                        "proposal": p.spec.label,
                        "iso3": iso,
                        "country": country_name(iso),
                        "nominal": r["nominal"],
                        "median": r["median"],
                        "lower": r["lower"],
                        "upper": r["upper"],
                    }
                )
    data = pd.DataFrame(rows)
    if data.empty:
        return None
    fig = figures.shift_intervals(
        data,
        a.focus,
        f"{a.group_label}: EGDI rank change under each HCI proposal, {a.year}",
        SOURCE_05,
        subtitle="Dot: median of the Monte Carlo builds; bar: 5–95% of them; cross: the "
        "proposal as specified",
    )
    f = data[data["iso3"] == a.focus]
    alt = (
        f"Interval chart of the change in EGDI rank (dot: median of the Monte Carlo builds; "
        f"bar: 90% interval; cross: as specified) under each HCI proposal, for each of the "
        f"{data['iso3'].nunique()} countries compared. "
        + " ".join(
            f"{country_name(a.focus)} under {r['proposal']}: median {r['median']:+.0f} "
            f"({_interval(r['lower'], r['upper'])}; {r['nominal']:+.0f} as specified)."
            for _, r in f.iterrows()
        )
    )
    return fig, alt, data


def weights_view(a: Assessment):
    """Figure of nominal against effective weights: (figure, alt text, data)."""
    frames = [p.weights.assign(proposal=p.spec.label) for p in a.evaluable]
    if not frames:
        return None
    data = pd.concat(frames, ignore_index=True)[
        ["proposal", "component", "nominal_weight", "effective_weight"]
    ]
    fig = figures.weight_bars(
        data,
        f"Nominal and effective weights of each proposal's items, {a.year}",
        SOURCE_05,
        subtitle="Effective weight = share of the index variance the item drives",
    )
    new = data[data["component"] != "HCI (published)"]
    top = new.loc[(new["effective_weight"] / new["nominal_weight"]).idxmax()] if len(new) else None
    flagged = int((data["effective_weight"] > 2 * data["nominal_weight"]).sum())
    alt = (
        f"Bar chart of the nominal and effective weights of the {len(data)} components of "
        f"{data['proposal'].nunique()} proposals: {flagged} carry more than twice their nominal "
        "weight"
        + (
            f"; the largest excess is {top['component']} in {top['proposal']} "
            f"({top['effective_weight']:.0%} for a nominal {top['nominal_weight']:.1%})."
            if top is not None
            else "."
        )
    )
    return fig, alt, data


def memo(a: Assessment) -> str:
    """The methodology memo: neutral, applying its own rules, with the realistic route.

    Empty for an edition where no proposal can be evaluated (the key findings say so once).
    """
    if not a.evaluable:
        return ""
    name = country_name(a.focus)
    lines = ["## 6. Methodology memo", ""]
    ok = [p for p in a.evaluable if p.recommendable]
    lines.append(
        f"**Revising the Human Capital Index: the evidence of edition {a.year}.** Rules applied "
        "before anything is recommended: an item must measure human capital (a government's "
        "strategy or programme is institutional capacity); it must be observed, not imputed, "
        f"for at least {audit.MIN_OBSERVED_SHARE:.0%} of assessed countries; no country of the "
        f"EGDI or HCI top 10 may move more than {audit.MAX_TOP10_MOVE} places; no item may "
        "drive more than twice its nominal weight of the index variance; and a rank change "
        "whose 90% Monte Carlo interval includes zero is not a finding."
    )
    lines.append("")
    for p in a.evaluable:
        verdict = (
            "passes every check" if p.recommendable else "not recommended: " + "; ".join(p.reasons)
        )
        lines.append(f"- *{p.spec.label}*: {verdict}. {_shift_sentence(p, a.focus)}.")
    lines.append("")
    policy = sorted(
        {
            (r["component"], r["home"])
            for p in a.evaluable
            for _, r in p.coverage.iterrows()
            if r["concept"] != "human capital"
        }
    )
    if policy:
        homes = list(dict.fromkeys(h for _, h in policy))
        lines.append(
            "**Where the policy items belong.** "
            + (
                f"{join_names([c for c, _ in policy])}: {homes[0]}"
                if len(homes) == 1
                else "; ".join(f"{c}: {h}" for c, h in policy)
            )
            + ". Scoring them in the HCI would reward having a plan, not people's skills."
        )
        lines.append("")
    if ok:
        lines.append(
            f"**Recommendation.** {join_names([p.spec.label for p in ok])} pass the checks on "
            f"{a.year} data; even so, the item should first be collected and piloted."
        )
    else:
        lines.append(
            "**Recommendation.** No tested proposal should change the HCI now. The realistic "
            "route is to propose a **Member States Questionnaire item** on the population's "
            "digital skills (SDG 4.4.1 shares from household ICT surveys) and on recognised "
            "ICT certifications, **piloted and reported beside the HCI** for at least one "
            "edition, so that coverage, face validity and effective weights can be checked on "
            "real returns before any change to the index."
        )
    needs = list(dict.fromkeys(p.spec.data_needed for p in a.evaluable if p.spec.data_needed))
    if needs:
        lines.append("")
        lines.append("**Data the questionnaire would need.** " + " ".join(needs))
    lines.append("")
    lines.append(f"**What {name} should expect.** " + _expectation(a))
    return "\n".join(lines)


def _expectation(a: Assessment) -> str:
    """The focus country's outlook in one or two sentences (no proposal repeated verbatim)."""
    name = country_name(a.focus)
    ok = [p for p in a.evaluable if p.recommendable]
    shifts = _focus_shifts(a)
    if not shifts:
        return f"{name} is not ranked in the EGDI of {a.year}, so no change can be estimated."
    real = [(p, s) for p, s in shifts if s["finding"]]
    lo = min(s["median"] for _, s in shifts)
    hi = max(s["median"] for _, s in shifts)
    text = (
        f"Across the {len(shifts)} proposals, {name}'s EGDI rank would change by "
        f"{lo:+.0f} to {hi:+.0f} places (medians of the Monte Carlo builds). "
    )
    if real:
        text += (
            "The 90% interval excludes zero only under "
            + "; ".join(f"*{p.spec.label}*: {_shift_words(s)}" for p, s in real)
            + (
                "; "
                + ("that proposal fails" if len(real) == 1 else "those proposals fail")
                + " the checks, so no change should be counted on."
                if all(p.reasons for p, _ in real)
                else "."
            )
        )
    else:
        text += (
            "Every 90% interval includes zero: no change is larger than its uncertainty, so no "
            "change should be counted on."
        )
    if not ok and not real:
        text = text.rstrip(".") + ", and no proposal passes the checks."
    return text


def group_label(group) -> str:
    """How the report names the group: its name, or "the selected countries" for a list."""
    return group if isinstance(group, str) else "the selected countries"


def log_text(a: Assessment) -> str:
    """The build log of every proposal (COINr: each step with its arguments)."""
    if not a.evaluable:
        return (
            f"No proposal could be evaluated for {a.year}, so there is no Monte Carlo, "
            "sensitivity analysis or build log to show."
        )
    return "\n\n".join(
        f"*{p.spec.label}*: " + "; ".join(p.built.log[len(a.data.log) :]) for p in a.proposals
    )
