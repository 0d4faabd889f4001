"""The leaders' brief (report 00): generated findings, one chart and recommendations, per language.

Shape as in `egovlib.models`: `build_brief` computes language-neutral findings (template keys
and the values that fill them: ISO3 codes, ranks, scores), the views turn them into sentences in
any language of `egovlib.i18n`, `plot_ranks` draws the chart in a language, and the page functions
at the end write the Arabic page and the index headlines from the data the notebook hands to the
runner (`attach_data`). The same computed findings feed every language, so the numbers agree.

Every finding links to the section of another report that supports it (`SECTIONS`); every
recommendation is computed from the functions those reports call, never from their output files.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from urllib.parse import quote

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import config, indices, plots, standing
from .countries import country_table, named_groups
from .errors import EgovError
from .i18n import LANGUAGES, Catalog, GroupSpec, catalog
from .panel import load_egdi_panel
from .vocabulary import EGDI_COMPONENTS, METHOD_CHANGES, method_breaks

#: Confidence labels of a finding, strongest first.
CONFIDENCE = ("fact", "estimate", "judgement")
#: Editions from which the UN publishes level groups; earlier ones get the current thresholds
#: with a note (see `egovlib.indices`: introduced in the 2020 Survey).
LEVEL_GROUPS_PUBLISHED_FROM = 2020
#: MIME type under which the notebook hands the computed brief to the runner.
DATA_MIME = "application/vnd.egovlib.brief+json"
#: Name of the brief notebook; its companion pages are ``<stem>.<lang>.html``.
BRIEF_NOTEBOOK = "00_brief"


# ------------------------------------------------------------------------------ links
@dataclass(frozen=True)
class Section:
    """A heading of another report that supports a finding (``notebook`` without ``.ipynb``)."""

    notebook: str
    heading: str

    @property
    def number(self) -> str:
        """The report number ("02")."""
        return self.notebook[:2]

    def href(self) -> str:
        """Link to the heading in the published HTML report (same folder)."""
        anchor = heading_anchor(self.heading) if heading_exists(self) else ""
        return f"{self.notebook}.html" + (f"#{anchor}" if anchor else "")


#: The report sections the findings and recommendations rest on (heading text as written).
SECTIONS: dict[str, Section] = {
    "ranks": Section("02_group_benchmark", "Ranks and scores"),
    "trajectory": Section("02_group_benchmark", "Rank over the editions"),
    "change": Section("02_group_benchmark", "What moved since the previous edition"),
    "profile": Section("02_group_benchmark", "Profile against the frontier and peers"),
    "levels": Section("01_data_overview", "Distribution of the indices"),
    "hci_position": Section(
        "05_hci_variants", "1. The published HCI, and why the focus country ranks where it does"
    ),
    "hci_face": Section(
        "05_hci_variants", "3. Face validity: what happens to the top of the table"
    ),
    "pairing": Section("06_digital_twinning", "Automatic pairing"),
}


def heading_anchor(heading: str) -> str:
    """The ``id`` nbconvert gives a Markdown heading.

    nbconvert's rule (``nbconvert.filters.strings.add_anchor``: spaces become hyphens, then
    URL-quoting), written out here because importing nbconvert in the kernel costs about two
    seconds per brief; a test checks that both give the same id for every linked heading.
    """
    return quote(heading.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


@cache
def _notebook_headings(notebook: str) -> frozenset[str]:
    path = config.NOTEBOOKS_DIR / f"{notebook}.ipynb"
    if not path.is_file():
        return frozenset()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = set()
    for cell in cells:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            found |= {m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", src, re.M)}
        else:  # a heading a code cell shows, e.g. report.show_markdown("## 3. Face validity")
            found |= {m.group(1).strip() for m in _CODE_HEADING.finditer(src)}
    return frozenset(found)


#: A Markdown heading written as a string literal in a code cell.
_CODE_HEADING = re.compile(r"""["']#{1,6}\s+([^"'\\{}]+)["']""")


def heading_exists(section: Section) -> bool:
    """Whether the report's notebook still has this heading (else the link goes to its top)."""
    return section.heading in _notebook_headings(section.notebook)


# ------------------------------------------------------------------------------ data classes
@dataclass(frozen=True)
class Finding:
    """One generated sentence: a template key, the values that fill it and how sure it is.

    Attributes
    ----------
    key : str
        Template key in the language files (``findings.levels.all``).
    params : dict
        Language-neutral values that fill the template: ISO3 codes, index codes, ranks, scores,
        years, a `GroupSpec`.
    confidence : str
        ``fact`` (published, or arithmetic on published numbers), ``estimate`` (a model result,
        with ``interval``) or ``judgement`` (this project's reading).
    section : Section
        The report section that supports it.
    notes : tuple of (key, values)
        Further sentences (a method change crossed, a retroactive classification).
    interval : (level, low, high), optional
        The interval of an estimate.
    """

    key: str
    params: Mapping
    confidence: str
    section: Section
    notes: tuple[tuple[str, Mapping], ...] = ()
    interval: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Brief:
    """Everything the brief says for one edition, group and focus country, in no language."""

    year: int
    previous: int | None
    group: GroupSpec
    focus: str
    findings: tuple[Finding, ...]
    recommendations: tuple[Finding, ...]
    chart: pd.DataFrame
    pending: tuple[str, ...] = field(default=())

    @property
    def editions(self) -> list[int]:
        """The editions the brief compares."""
        return [self.year] if self.previous is None else [self.previous, self.year]


# ------------------------------------------------------------------------------ compute
def group_spec(group: str | Iterable[str], members: Sequence[str]) -> GroupSpec:
    """How prose names a group: a named group (GCC), a UN/World Bank category or a list."""
    if isinstance(group, str):
        if group in named_groups():
            return GroupSpec("named", group, tuple(members))
        t = country_table()
        if any((t[c] == group).any() for c in ("region", "subregion", "income_group")):
            return GroupSpec("category", group, tuple(members))
    return GroupSpec("list", "", tuple(members))


def _edition(panel: pd.DataFrame, year: int | None) -> pd.DataFrame:
    if year is None:
        return pd.DataFrame()
    ed = panel[panel["year"] == year].set_index("iso3", drop=False)
    return ed.join(standing.component_ranks(ed))


def build_brief(
    year: int,
    group: str | Iterable[str] = "GCC",
    focus: str = "BHR",
    egdi: pd.DataFrame | None = None,
) -> Brief:
    """Compute the brief's findings, recommendations and chart data for one edition.

    Only editions up to ``year`` are read: a brief for edition Y compares it with the edition
    before it and quotes nothing published later.

    Parameters
    ----------
    year : int
        Survey edition.
    group : str or list of str
        A named group (``"GCC"``), a UN region or income group, or ISO3 codes.
    focus : str
        ISO3 code of the focus country (may be outside the group).
    egdi : DataFrame, optional
        The EGDI panel (default `load_egdi_panel()`), for tests on small inputs.
    """
    panel = load_egdi_panel() if egdi is None else egdi
    eds = sorted(e for e in panel["year"].unique().tolist() if e <= int(year))
    if int(year) not in eds:
        raise EgovError(f"{year} is not a survey edition. Valid editions: {eds}")
    panel = panel[panel["year"].isin(eds)]
    members = standing.group_members(group, panel)
    focus = standing.check_focus(focus, panel)
    prev = eds[-2] if len(eds) > 1 else None
    cur, pre = _edition(panel, int(year)), _edition(panel, prev)
    g = group_spec(group, members)
    findings = [
        _standing(cur, g, focus, int(year)),
        _levels(cur, pre, g, int(year), prev),
        _rank_moves(cur, pre, g, int(year), prev),
        _component_moves(cur, pre, focus, int(year), prev),
        _margin(cur, focus),
    ]
    recs = [
        _rec_costliest_gap(panel, cur, focus, int(year)),
        _rec_hci(int(year), focus, members, group),
        _rec_twinning(panel, focus, int(year)),
    ]
    return Brief(
        year=int(year),
        previous=prev,
        group=g,
        focus=focus,
        findings=_without_repeated_notes([f for f in findings if f is not None]),
        recommendations=tuple(r for r in recs if r is not None),
        chart=chart_data(cur, pre, members, focus),
        pending=PENDING,
    )


#: Recommendations and findings whose inputs are not yet computed by the other reports'
#: functions on this branch (listed in the notebook's appendix, never faked).
PENDING: tuple[str, ...] = ()


def _without_repeated_notes(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Say a note (e.g. a method change crossed) once, with the first finding that needs it."""
    seen, out = [], []
    for f in findings:
        notes = tuple(n for n in f.notes if n not in seen)
        seen += list(notes)
        out.append(replace(f, notes=notes))
    return tuple(out)


def _assessed(ed: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    sub = ed.loc[[c for c in codes if c in ed.index]]
    return sub[sub["assessed"].astype(bool)]


def _standing(cur: pd.DataFrame, g: GroupSpec, focus: str, year: int) -> Finding:
    n = int(cur["assessed"].sum())
    row = cur.loc[focus]
    base = {"focus": focus, "year": year, "n": n, "group": g}
    if not bool(row["assessed"]):
        return Finding("findings.standing.not_assessed", base, "fact", SECTIONS["ranks"])
    inside = _assessed(cur, g.members).sort_values(["rank", "egdi"], ascending=[True, False])
    values = {**base, "rank": int(row["rank"]), "egdi": float(row["egdi"]), "n_group": len(inside)}
    if focus in inside.index:
        values["pos"] = list(inside.index).index(focus) + 1
        return Finding("findings.standing.member", values, "fact", SECTIONS["ranks"])
    values["above"] = int((inside["rank"] < row["rank"]).sum())
    return Finding("findings.standing.outside", values, "fact", SECTIONS["ranks"])


def _levels(
    cur: pd.DataFrame, pre: pd.DataFrame, g: GroupSpec, year: int, prev: int | None
) -> Finding | None:
    now = _assessed(cur, g.members)
    if now.empty:
        return None
    order = indices.LEVEL_ORDER
    top = min(now["level_group"].astype(str), key=order.index)  # best level any member reached
    values = {
        "group": g,
        "year": year,
        "level": top,
        "n": len(now),
        "n_top": int((now["level_group"].astype(str) == top).sum()),
    }
    which = "all" if values["n_top"] == len(now) else "some"
    if prev is not None:
        before = _assessed(pre, g.members)
        values |= {
            "prev": prev,
            "n_prev": len(before),
            "n_top_prev": int((before["level_group"].astype(str) == top).sum()),
        }
    else:
        which += "_first"
    notes: tuple[tuple[str, Mapping], ...] = ()
    if year < LEVEL_GROUPS_PUBLISHED_FROM:
        notes = (("findings.levels.retro", {"year": year}),)
    return Finding(f"findings.levels.{which}", values, "fact", SECTIONS["ranks"], notes)


def _break_note(prev: int, year: int, idx: Sequence[str]) -> tuple[tuple[str, Mapping], ...]:
    crossed = [b for b in method_breaks(idx) if prev < b <= year]
    if not crossed:
        return ()
    edition = crossed[-1]
    changed = [c.index for c in METHOD_CHANGES if c.edition == edition and c.index in idx]
    if "egdi" in idx:
        changed = [c.index for c in METHOD_CHANGES if c.edition == edition]
    changed = [c for c in (*EGDI_COMPONENTS, "epi") if c in changed]
    return (("findings.method_break", {"indices": changed, "edition": edition}),)


def _rank_moves(
    cur: pd.DataFrame, pre: pd.DataFrame, g: GroupSpec, year: int, prev: int | None
) -> Finding | None:
    if prev is None:
        return None
    both = [
        c
        for c in g.members
        if bool(cur.loc[c, "assessed"]) and c in pre.index and bool(pre.loc[c, "assessed"])
    ]
    if len(both) < 2:
        return None
    before = pre.loc[both, "rank"].astype(int)
    after = cur.loc[both, "rank"].astype(int)
    fell = [c for c in both if after[c] > before[c]]
    up = [c for c in both if after[c] < before[c]]
    values = {"group": g, "year": year, "prev": prev, "n": len(both), "n_up": len(up)}
    notes = _break_note(prev, year, ["egdi"])
    sec = SECTIONS["trajectory"]
    if len(fell) == 1:
        c = fell[0]
        values |= {
            "fell": c,
            "before": int(before[c]),
            "after": int(after[c]),
            "n_other": len(both) - 1,
        }
        which = "one_fell_others_up" if len(up) == len(both) - 1 else "one_fell"
        return Finding(f"findings.moves.{which}", values, "fact", sec, notes)
    if fell:
        fell = sorted(fell, key=lambda c: after[c])
        values |= {
            "n_fell": len(fell),
            "fell": [(c, int(before[c]), int(after[c])) for c in fell],
        }
        return Finding("findings.moves.several_fell", values, "fact", sec, notes)
    values["n_same"] = len(both) - len(up)
    which = "all_up" if len(up) == len(both) else "none_fell"
    return Finding(f"findings.moves.{which}", values, "fact", sec, notes)


def _component_moves(
    cur: pd.DataFrame, pre: pd.DataFrame, focus: str, year: int, prev: int | None
) -> Finding | None:
    if prev is None or not bool(cur.loc[focus, "assessed"]) or focus not in pre.index:
        return None
    if not bool(pre.loc[focus, "assessed"]):
        return None
    moves = [
        (c, int(pre.loc[focus, f"{c}_rank"]), int(cur.loc[focus, f"{c}_rank"]))
        for c in EGDI_COMPONENTS
    ]
    if all(a < b for _, b, a in moves):
        which = "all_up"
    elif all(a > b for _, b, a in moves):
        which = "all_down"
    else:
        which = "mixed"
    values = {"focus": focus, "year": year, "prev": prev, "moves": moves}
    notes = _break_note(prev, year, list(EGDI_COMPONENTS)) + _change_screens(focus, year)
    return Finding(f"findings.components.{which}", values, "fact", SECTIONS["change"], notes)


def _change_screens(focus: str, year: int) -> tuple[tuple[str, Mapping], ...]:
    """Notes from report 02's screens of the change.

    A previous edition that is an odd baseline (`standing.rank_baselines`), and component
    moves unusually large against all countries' (`standing.unusual_moves`), which may be data
    revisions.
    """
    notes: list[tuple[str, Mapping]] = []
    bl = standing.rank_baselines(year, focus)
    if bl is not None and bl["disagree"]:
        keys = ("year", "rank", "previous", "rank_previous", "before_last", "rank_before_last")
        notes.append(("findings.baseline", {"focus": focus} | {k: bl[k] for k in keys}))
    change = standing.edition_change(year, focus)
    if change.status == "ok":
        # The finding is about the EGDI's three components: the EPI's move is not screened here.
        unusual = [i for i in standing.unusual_moves(change.three_ways) if i in EGDI_COMPONENTS]
        if unusual:
            share = 1 - standing.UNUSUAL_QUANTILE
            notes.append(("findings.unusual", {"indices": unusual, "share": share}))
    return tuple(notes)


def _margin(cur: pd.DataFrame, focus: str) -> Finding | None:
    if not bool(cur.loc[focus, "assessed"]):
        return None
    a = cur[cur["assessed"].astype(bool)].sort_values(["rank", "egdi"], ascending=[True, False])
    rank = int(a.loc[focus, "rank"])
    tied = [c for c in a.index[a["rank"] == rank] if c != focus]
    if tied:
        values = {"focus": focus, "rank": rank, "tied": tied}
        return Finding("findings.margin.tied", values, "fact", SECTIONS["ranks"])
    pos = list(a.index).index(focus)
    if pos + 1 >= len(a):
        return None
    nxt = a.index[pos + 1]
    window = a.iloc[max(0, pos - 2) : pos + 3]
    values = {
        "focus": focus,
        "rank": rank,
        "margin": float(a.loc[focus, "egdi"] - a.loc[nxt, "egdi"]),
        "next": nxt,
        "rank_next": int(a.loc[nxt, "rank"]),
        "lo": int(window["rank"].min()),
        "hi": int(window["rank"].max()),
        "spread": float(window["egdi"].max() - window["egdi"].min()),
    }
    return Finding("findings.margin.below", values, "fact", SECTIONS["ranks"])


def _rec_costliest_gap(
    panel: pd.DataFrame, cur: pd.DataFrame, focus: str, year: int
) -> Finding | None:
    """Recommendation from report 02: the component gap that costs the focus country most.

    The component whose gap to the frontier (rank 1) costs the focus country most EGDI points,
    named alone only when the best score and the top-10 mean point to the same component
    (otherwise both components and both yardsticks are named); when its rank rests on one of the
    smallest margins, a note advises quoting the level group.
    """
    if not bool(cur.loc[focus, "assessed"]):
        return None
    gaps = standing.frontier_gaps(year, focus, egdi=panel)
    worst = standing.costliest_gap(gaps)
    frontier = gaps.attrs["frontier"]
    fragile = _fragile_rank(cur, focus, year)
    notes = (fragile,) if fragile else ()
    if worst is None:
        values = {"focus": focus, "frontier": frontier}
        return Finding(
            "recommendations.ahead_everywhere", values, "judgement", SECTIONS["profile"], notes
        )
    values = {
        "focus": focus,
        "frontier": frontier,
        "component": worst,
        "points": float(gaps.loc[worst, "egdi_points"]),
    }
    if standing.robust_costliest_gap(gaps) is None:
        # The priority flips with the yardstick: name both components, with both yardsticks.
        other = standing.costliest_gap_by_benchmark(gaps)["top_mean"]
        if other is not None and other != worst:
            values |= {
                "other": other,
                "other_points": float(gaps.loc[other, "gap_to_top_mean"]) / 3,
                "top": standing.GAP_TOP_K,
            }
            key = "recommendations.gaps_depend"
            return Finding(key, values, "judgement", SECTIONS["profile"], notes)
    return Finding("recommendations.costliest_gap", values, "judgement", SECTIONS["profile"], notes)


def _fragile_rank(cur: pd.DataFrame, focus: str, year: int) -> tuple[str, Mapping] | None:
    """Note "quote the level, not the rank", or None when the rank is not fragile.

    A rank is fragile when the focus country's margin over the next country is among the
    smallest `standing.FRAGILE_RULE` share of neighbour margins in the edition (as in 02).
    """
    margins = standing.rank_margins(cur).dropna()
    if focus not in margins.index or margins[focus] > standing.fragile_cut(cur):
        return None
    share = standing.report_rule(standing.FRAGILE_RULE)
    values = {
        "rank": int(cur.loc[focus, "rank"]),
        "margin": float(margins[focus]),
        "share": share,
        "year": year,
    }
    return ("recommendations.fragile_rank", values)


#: Checks of report 05 an HCI proposal can fail, in the order the brief names them.
HCI_CHECKS = ("concept", "coverage", "face", "weights")


def hci_failed_checks(p) -> list[str]:
    """The checks of `HCI_CHECKS` an evaluated HCI proposal fails (`engine.ProposalResult`).

    The same tests as the engine's verdict (`engine.assess`): an item that measures policy rather
    than human capital, an item observed for too few countries, a top-10 country moving too far,
    an item whose effective weight is far above its nominal weight.
    """
    cov = p.coverage
    failed = {
        "concept": bool((cov["concept"] != "human capital").any()),
        "coverage": bool((~cov["eligible"]).any()),
        "face": bool(p.face.flagged),
        "weights": bool(len(p.weights) and p.weights["flag"].any()),
    }
    return [c for c in HCI_CHECKS if failed[c]]


def _rec_hci(year: int, focus: str, members: Sequence[str], group) -> Finding | None:
    """Recommendation from report 05: which HCI proposal survives the checks.

    A note adds the input of the published HCI that costs the focus country most.

    Runs the engine's checks without its Monte Carlo (``n_draws=0``: a second or so instead of
    report 05's 10,000 draws per proposal). The Monte Carlo cannot rescue a proposal that fails
    a check, so the verdict "do not adopt" needs no draws; a proposal that passes is
    recommended only subject to report 05's Monte Carlo, and the sentence says so.
    """
    from . import engine
    from .engine import views as engine_views

    try:
        a = engine.assess_proposals(year, focus, members, standing.group_label(group), n_draws=0)
    except EgovError:  # the HCI inputs of this edition cannot be read: say nothing
        return None
    values: dict = {"focus": focus, "year": year, "n": len(a.proposals)}
    notes = _hci_cost_note(a, engine_views)
    passing = [p.spec.name for p in a.evaluable if p.recommendable]
    if passing:
        values["names"] = [f"proposals.{n}" for n in passing]
        key, section = "recommendations.hci.adopt", SECTIONS["hci_face"]
    elif a.evaluable:
        failed = [c for c in HCI_CHECKS if any(c in hci_failed_checks(p) for p in a.evaluable)]
        values |= {
            "fails": [f"hci_checks.{c}" for c in failed],
            "needs": [f"hci_needs.{c}" for c in failed],
            "n_eval": len(a.evaluable),
        }
        key, section = "recommendations.hci.reject", SECTIONS["hci_face"]
    else:
        key, section = "recommendations.hci.untestable", SECTIONS["hci_position"]
    return Finding(key, values, "judgement", section, notes)


def _hci_cost_note(a, engine_views) -> tuple[tuple[str, Mapping], ...]:
    """The HCI input that costs the focus country most against the HCI top 10 (report 05, 1)."""
    rank = engine_views._hci_rank(a)  # noqa: SLF001 - the engine's own reading of report 05
    gaps = engine_views._gaps(a)  # noqa: SLF001
    if rank is None or gaps is None or gaps.empty or engine_views._missing_inputs(a):  # noqa: SLF001
        return ()
    worst = gaps.iloc[0]
    if float(worst["cost"]) >= 0:
        return ()
    variable = {v: k for k, v in a.recipe.spec.labels.items()}
    values = {
        "focus": a.focus,
        "rank": rank[0],
        "n": rank[1],
        "input": f"hci_inputs.{variable[worst['input']]}",
        "cost": abs(float(worst["cost"])),
    }
    if engine_views.top_inputs_tied(gaps, engine_views.rebuild_check(a)):
        # closer than the rebuilt index's own miss: name both, as report 05 does
        second = gaps.iloc[1]
        values |= {
            "input2": f"hci_inputs.{variable[second['input']]}",
            "cost2": abs(float(second["cost"])),
        }
        return (("recommendations.hci.cost_tied", values),)
    return (("recommendations.hci.cost", values),)


def _rec_twinning(panel: pd.DataFrame, focus: str, year: int) -> Finding | None:
    """Recommendation from report 06: the best-scoring mentor and its transfer area.

    The mentor must lead the focus country by at least `twinning.MIN_LEAD` on the component
    worth most EGDI points (`twinning.pairing_table`, the focus country as mentee).
    """
    from . import twinning

    scores = twinning.edition_scores(panel, year)
    if focus not in scores.index:
        return None
    context = twinning.load_context(year)
    table = twinning.pairing_table(scores, context.data, focus, role="mentee", reasons=False)
    ok = table[table["eligible"]]
    values: dict = {"focus": focus, "year": year, "min_lead": table.attrs["min_lead"]}
    if ok.empty:
        return Finding("recommendations.twinning.none", values, "judgement", SECTIONS["pairing"])
    top = ok.iloc[0]
    area = {a.component: a for a in twinning.TRANSFER_AREAS}[top["target"]]
    values |= {
        "mentor": top["iso3"],
        "target": top["target"],
        "lead": float(top["lead"]),
        "points": float(top["egdi_points"]),
        "n_eligible": len(ok),
        "horizon": f"horizons.{area.horizon}",
    }
    # How often it stays first when the weights change (report 06's sensitivity variants): a
    # recommendation that rests on chosen weights says how much.
    sens = twinning.pairing_sensitivity(
        scores, context.data, focus, role="mentee", features=context.features
    )
    stays = {"mentor": top["iso3"], "first": twinning.stays_first(sens), "n": len(sens)}
    notes = (("recommendations.twinning.stability", stays),)
    return Finding(
        "recommendations.twinning.mentor", values, "judgement", SECTIONS["pairing"], notes
    )


def chart_data(
    cur: pd.DataFrame, pre: pd.DataFrame, members: Sequence[str], focus: str
) -> pd.DataFrame:
    """The chart's table: EGDI rank and level of the group (and focus) in both editions."""
    codes = list(dict.fromkeys([*members, focus]))
    out = pd.DataFrame({"iso3": codes})
    out["in_group"] = out["iso3"].isin(members)
    out["focus"] = out["iso3"] == focus
    out["year"] = int(cur["year"].iloc[0])
    out["rank"] = [cur.loc[c, "rank"] if bool(cur.loc[c, "assessed"]) else pd.NA for c in codes]
    out["egdi"] = [cur.loc[c, "egdi"] for c in codes]
    out["level_group"] = [cur.loc[c, "level_group"] for c in codes]
    if len(pre):
        out["previous"] = int(pre["year"].iloc[0])
        out["rank_previous"] = [
            pre.loc[c, "rank"] if c in pre.index and bool(pre.loc[c, "assessed"]) else pd.NA
            for c in codes
        ]
        out["egdi_previous"] = [pre.loc[c, "egdi"] if c in pre.index else np.nan for c in codes]
    for col in ("rank", "rank_previous"):
        if col in out:
            out[col] = out[col].astype("Int64")
    return out.sort_values(["rank", "iso3"], na_position="last").reset_index(drop=True)


# ------------------------------------------------------------------------------ views
def finding_text(f: Finding, lang: str = "en") -> str:
    """The sentence(s) of a finding or recommendation in ``lang`` (Markdown bold allowed)."""
    c = catalog(lang)
    text = c.text(f.key, **f.params)
    for key, values in f.notes:
        text += " " + c.text(key, **values)
    return text


def confidence_label(f: Finding, lang: str = "en") -> str:
    """The confidence label ("Published fact"; "Estimate, 90% interval a to b"; "Judgement")."""
    c = catalog(lang)
    label = c.get(f"confidence.{f.confidence}")
    if any(key == "findings.unusual" for key, _ in f.notes):
        label += ", " + c.get("confidence.to_check")  # a move that may be a data revision
    if f.interval is not None:
        level, lo, hi = f.interval
        label += ", " + c.text("confidence.interval", level=level, lo=lo, hi=hi)
    return label


def link_text(section: Section, lang: str = "en") -> str:
    """Words of the link to a supporting section ("Details: report 02, “Ranks and scores”")."""
    return catalog(lang).text("page.see", number=section.number, heading=section.heading)


def items(brief: Brief, lang: str = "en", which: str = "findings") -> list[dict]:
    """Findings (or ``which="recommendations"``) as dicts: text, label, confidence, href, link."""
    return [
        {
            "text": finding_text(f, lang),
            "label": confidence_label(f, lang),
            "confidence": f.confidence,
            "href": f.section.href(),
            "link": link_text(f.section, lang),
        }
        for f in getattr(brief, which)
    ]


def markdown_items(brief: Brief, lang: str = "en", which: str = "findings") -> list[str]:
    """Findings or recommendations as Markdown lines, each with its label and link."""
    return [
        f"{i['text']} *({i['label']}.)* [{i['link']}]({i['href']})"
        for i in items(brief, lang, which)
    ]


#: Groups larger than this are named, not listed, in the brief's context line.
MAX_LISTED = 8


def context_line(brief: Brief, lang: str = "en") -> str:
    """One line saying which edition, countries and focus the brief covers."""
    c = catalog(lang)
    values = {
        "year": brief.year,
        "prev": brief.previous,
        "members": list(brief.group.members),
        "group": brief.group,
        "n": len(brief.group.members),
        "focus": brief.focus,
    }
    key = "page.context_first" if brief.previous is None else "page.context_prev"
    if len(brief.group.members) > MAX_LISTED:
        key += "_many"
    return c.text(key, **values)


def title(brief: Brief, lang: str = "en") -> str:
    """The brief's title in ``lang``."""
    return catalog(lang).text("page.title", group=brief.group, year=brief.year)


def chart_alt(brief: Brief, lang: str = "en") -> str:
    """Alt text of the chart: what it shows and its main message (the rank-moves finding)."""
    c = catalog(lang)
    if brief.previous is None:
        return c.text("chart.alt_first", group=brief.group, year=brief.year)
    moves = [f for f in brief.findings if f.key.startswith("findings.moves.")]
    summary = _plain(finding_text(moves[0], lang)) if moves else ""
    return c.text("chart.alt", group=brief.group, editions=brief.editions, summary=summary)


def labels_note(lang: str = "en") -> str:
    """What the three confidence labels mean."""
    return catalog(lang).get("page.labels_note")


def _plain(markdown: str) -> str:
    return markdown.replace("**", "").replace("*", "")


def chart_table(brief: Brief, lang: str = "en") -> pd.DataFrame:
    """The chart's data with country names in ``lang`` (offered as a CSV download)."""
    c = catalog(lang)
    out = brief.chart.copy()
    out.insert(1, "country", [c.country(x) for x in out["iso3"]])
    return out


# ------------------------------------------------------------------------------ figure
#: Colours of a rank that improved, fell or held (colourblind-safe blue / orange / grey).
MOVE_COLOURS = {"improved": "#0173b2", "fell": "#de8f05", "same": "#949494"}


@plots.styled
def plot_ranks(brief: Brief, lang: str = "en") -> plt.Figure:
    """Dot chart of each country's EGDI rank in the previous edition and this one.

    One row per country (best rank at the top), an arrow from the previous rank to the current
    one coloured by direction, rank 1 to the right. Arabic text is shaped by Matplotlib's text
    engine (libraqm, Matplotlib >= 3.11), so no reshaping is needed; in a right-to-left
    language the country names and the title sit on the right.
    """
    c = catalog(lang)
    rtl = c.dir == "rtl"
    data = brief.chart.dropna(subset=["rank"]).iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8.2, 0.4 * max(len(data), 3) + 1.7))
    has_prev = "rank_previous" in data
    for i, row in data.iterrows():
        now = float(row["rank"])
        before = (
            float(row["rank_previous"]) if has_prev and pd.notna(row["rank_previous"]) else None
        )
        # Labels sit outside the arrow, on the row's own line: the current rank beyond the
        # arrow head, the previous one behind the open circle, so they never meet each other
        # or the rows above and below, however close the ranks are.
        ahead = before is None or now <= before  # the current dot is right of the open circle
        if before is not None and before != now:
            move = "improved" if now < before else "fell"
            ax.annotate(
                "",
                xy=(now, i),
                xytext=(before, i),
                arrowprops={"arrowstyle": "-|>", "color": MOVE_COLOURS[move], "lw": 1.8},
            )
            ax.scatter([before], [i], s=38, facecolor="white", edgecolor="#555555", zorder=3)
            _rank_label(ax, before, i, right=not ahead, current=False, colour="#555555")
        colour = plots.FOCUS_COLOUR if row["focus"] else "#222222"
        ax.scatter([now], [i], s=60, color=colour, zorder=4)
        _rank_label(ax, now, i, right=ahead, current=True, colour=colour)
    ax.set_yticks(np.arange(len(data)))
    ax.set_yticklabels([c.country(x) for x in data["iso3"]], fontsize=10)
    if rtl:
        ax.yaxis.tick_right()
    for tick, focus in zip(ax.yaxis.get_major_ticks(), data["focus"], strict=True):
        if focus:
            for label in (tick.label1, tick.label2):
                label.set_fontweight("bold")
                label.set_color(plots.FOCUS_COLOUR)
    ranks = pd.concat([data["rank"], data["rank_previous"] if has_prev else data["rank"]]).dropna()
    lo, hi = float(ranks.min()), float(ranks.max())
    pad = max(3.0, 0.12 * (hi - lo))  # room for the rank labels beside the end dots
    ax.set_xlim(hi + pad, max(0.0, lo - pad))  # rank 1 to the right: further right = better
    ax.set_ylim(-0.7, len(data) - 0.35)
    ax.set_xlabel(c.get("chart.axis"))
    ax.grid(axis="y", visible=False)
    for side in ("left", "right"):
        ax.spines[side].set_visible(False)
    first = brief.previous is None
    fig = plots.finish(
        fig,
        c.text(
            "chart.title_first" if first else "chart.title",
            group=brief.group,
            editions=brief.editions,
            year=brief.year,
        ),
        c.text("chart.source", editions=brief.editions),
        subtitle=None if first else c.text("chart.subtitle", prev=brief.previous, year=brief.year),
    )
    if rtl:
        _mirror_figure_text(fig)
    return fig


def _rank_label(
    ax: plt.Axes, rank: float, y: float, *, right: bool, current: bool, colour: str
) -> None:
    """Write a rank beside its dot, on the dot's row (``right``: on the screen's right)."""
    ax.annotate(
        f"{int(rank)}",
        (rank, y),
        xytext=(7 if right else -7, 0),
        textcoords="offset points",
        ha="left" if right else "right",
        va="center",
        fontsize=9 if current else 8,
        fontweight="bold" if current else "normal",
        color=colour,
    )


def _mirror_figure_text(fig: plt.Figure) -> None:
    """Right-align the title, subtitle and source line that `plots.finish` left-aligns.

    They are also set upright: Arabic has no italics, and DejaVu Sans Oblique has no Arabic
    glyphs.
    """
    texts = list(fig.texts)
    sup = getattr(fig, "_suptitle", None)  # not in fig.texts before Matplotlib 3.11
    if sup is not None and all(t is not sup for t in texts):
        texts.append(sup)
    for t in texts:
        t.set_x(1 - t.get_position()[0])
        t.set_horizontalalignment("right")
        t.set_fontstyle("normal")


def figure_png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes (the same resolution as the reports' figures)."""
    dpi = plt.rcParams["savefig.dpi"]
    # Drawn once and cropped to its content (savefig's tight box would draw it twice).
    return plots.png_bytes(fig, fig.dpi if dpi == "figure" else dpi)


# ------------------------------------------------------------------------------ hand-over
def brief_data(brief: Brief, figures: Mapping[str, plt.Figure] | None = None) -> dict:
    """The brief in every language, as JSON-ready data for the runner's pages.

    Parameters
    ----------
    brief : Brief
    figures : mapping of language to Figure, optional
        Charts already drawn (default: drawn here with `plot_ranks`, then closed).
    """
    languages: dict[str, dict] = {}
    out = {
        "version": 1,
        "year": brief.year,
        "previous": brief.previous,
        "focus": brief.focus,
        "members": list(brief.group.members),
        "languages": languages,
    }
    for lang in LANGUAGES:
        fig = (figures or {}).get(lang) or plot_ranks(brief, lang)
        png = figure_png(fig)
        if not figures or lang not in figures:
            plt.close(fig)
        languages[lang] = {
            "title": title(brief, lang),
            "context": context_line(brief, lang),
            "findings": items(brief, lang, "findings"),
            "recommendations": items(brief, lang, "recommendations"),
            "chart_png": base64.b64encode(png).decode("ascii"),
            "chart_alt": chart_alt(brief, lang),
            "chart_csv": chart_table(brief, lang).to_csv(index=False),
        }
    return out


def attach_data(brief: Brief, figures: Mapping[str, plt.Figure] | None = None) -> None:
    """Hand the computed brief to the runner, which writes the other languages' pages from it.

    This is a data channel, not a display for readers: the output carries the MIME type
    `DATA_MIME`, and the runner removes it from the notebook before rendering the HTML
    (`write_brief_pages`).
    """
    from IPython.display import display

    note = "Brief data for the runner (the Arabic page and the index); not part of the report."
    display({DATA_MIME: brief_data(brief, figures), "text/plain": note}, raw=True)


def _payload(nb) -> tuple[dict | None, list[tuple[int, int]]]:
    found, where = None, []
    for i, cell in enumerate(nb.cells):
        for j, out in enumerate(cell.get("outputs", [])):
            if DATA_MIME in out.get("data", {}):
                found = out["data"][DATA_MIME]
                where.append((i, j))
    return found, where


def write_brief_pages(
    nb_path: Path, facts: Sequence[tuple[str, str]] = (), version: str = ""
) -> list[Path]:
    """Runner hook: write the brief's page in every language next to an executed notebook.

    Reads the data `attach_data` left in the notebook, removes that output from the published
    notebook, and writes ``<stem>.json`` (the brief in every language) and one page per language
    (``<stem>.html``, ``<stem>.ar.html``), all from the same template and the same computed
    findings. A notebook without brief data (any other report, or a brief that failed before
    handing its data over) is left alone and gets the usual notebook report.

    Parameters
    ----------
    nb_path : Path
        The executed notebook.
    facts : list of (label, value)
        Run facts (edition, run date, commit ...) shown under the English title.
    version : str
        egovlib version, for the footer.

    Returns
    -------
    list of Path
        The files written (empty for a notebook without brief data).
    """
    import nbformat

    nb_path = Path(nb_path)
    nb = nbformat.read(nb_path, as_version=4)
    data, where = _payload(nb)
    if data is None:
        return []
    for i, j in reversed(where):
        del nb.cells[i].outputs[j]
    nbformat.write(nb, nb_path)
    written = [nb_path.with_suffix(".json")]
    written[0].write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for lang in LANGUAGES:
        page = nb_path.with_name(page_name(nb_path.stem, lang))
        page.write_text(
            render_brief_page(
                data,
                lang,
                stem=nb_path.stem,
                facts=facts if lang == "en" else (),
                version=version,
            ),
            encoding="utf-8",
        )
        written.append(page)
    return written


def page_name(stem: str, lang: str) -> str:
    """File name of a page in a language: ``00_brief.html``, ``00_brief.ar.html``."""
    return f"{stem}.html" if lang == "en" else f"{stem}.{lang}.html"


def _markdown_inline(text: str) -> str:
    """Escape a generated sentence and turn its Markdown bold/italic into HTML."""
    s = html.escape(text, quote=False)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", s)


def _switch(stem: str, lang: str) -> list[dict]:
    return [
        {
            "lang": other,
            "dir": catalog(other).dir,
            "name": catalog(other).get("meta.language_name"),
            "href": page_name(stem, other),
        }
        for other in LANGUAGES
        if other != lang
    ]


@cache
def brief_css() -> str:
    """The CSS of the brief pages and the index headline (after the reports' CSS)."""
    from .runner.html import TEMPLATES_DIR

    return (TEMPLATES_DIR / "brief.css").read_text(encoding="utf-8")


def _environment():
    import jinja2

    from .runner.html import TEMPLATES_DIR

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page_items(entries: Sequence[dict]) -> list[dict]:
    return [{**e, "html": _markdown_inline(e["text"])} for e in entries]


def render_brief_page(
    data: Mapping,
    lang: str,
    *,
    stem: str = BRIEF_NOTEBOOK,
    facts: Sequence[tuple[str, str]] = (),
    version: str = "",
) -> str:
    """A self-contained brief page in ``lang`` (``lang``/``dir`` attributes, language switch)."""
    from .runner.html import report_css

    c = catalog(lang)
    d = data["languages"][lang]
    editions = [e for e in (data["previous"], data["year"]) if e is not None]
    return (
        _environment()
        .get_template("brief.html.j2")
        .render(
            lang=lang,
            dir=c.dir,
            t=c.get("page"),
            title=d["title"],
            context=d["context"],
            findings=_page_items(d["findings"]),
            recommendations=_page_items(d["recommendations"]),
            chart_png=d["chart_png"],
            chart_alt=d["chart_alt"],
            chart_csv=base64.b64encode(d["chart_csv"].encode("utf-8")).decode("ascii"),
            csv_name=f"{stem}_chart_{data['year']}_{lang}.csv",
            notebook=f"{stem}.ipynb",
            switch=_switch(stem, lang),
            index_href=page_name("index", lang),
            source=c.text("page.source", editions=editions, version=version),
            facts=facts,
            css=report_css(),
            brief_css=brief_css(),
        )
    )


def load_brief_data(folder: Path, stem: str = BRIEF_NOTEBOOK) -> dict | None:
    """The brief data a run wrote into ``folder`` (``<stem>.json``), or None."""
    path = Path(folder) / f"{stem}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def index_headline(folder: Path, lang: str = "en", stem: str = BRIEF_NOTEBOOK) -> str:
    """HTML block for the top of a run's index page ("" when the run has no brief).

    The brief's findings in ``lang``, with a link to the brief and the language switch.
    """
    data = load_brief_data(folder, stem)
    if data is None or lang not in data["languages"]:
        return ""
    d = data["languages"][lang]
    return (
        _environment()
        .get_template("brief_headline.html.j2")
        .render(
            lang=lang,
            dir=catalog(lang).dir,
            t=catalog(lang).get("page"),
            title=d["title"],
            findings=_page_items(d["findings"]),
            brief_href=page_name(stem, lang),
            switch=_switch("index", lang),
            brief_css=brief_css(),
        )
    )


def write_index_pages(
    folder: Path, rows: Sequence[Mapping], *, year: int, version: str = ""
) -> list[Path]:
    """Runner hook: ``index.<lang>.html`` for every language but English.

    Written only when the run has a brief. ``rows`` are the index rows (number, title, html,
    status) of the English index.
    """
    folder = Path(folder)
    if load_brief_data(folder) is None:
        return []
    from .runner.html import report_css

    written = []
    for lang in LANGUAGES:
        if lang == "en":
            continue
        c = catalog(lang)
        reports = [
            {
                **r,
                "title": c.doc.get("reports", {}).get(str(r["number"]), r["title"]),
                "html": page_name(BRIEF_NOTEBOOK, lang)
                if r["html"].startswith(BRIEF_NOTEBOOK)
                else r["html"],
            }
            for r in rows
        ]
        page = folder / page_name("index", lang)
        page.write_text(
            _environment()
            .get_template("index_lang.html.j2")
            .render(
                lang=lang,
                dir=c.dir,
                t=c.get("page"),
                title=c.text("page.index_title", year=year),
                headline=index_headline(folder, lang),
                reports=reports,
                switch=_switch("index", lang),
                version=version,
                css=report_css(),
                brief_css=brief_css(),
            ),
            encoding="utf-8",
        )
        written.append(page)
    return written


__all__ = [
    "CONFIDENCE",
    "SECTIONS",
    "Brief",
    "Catalog",
    "Finding",
    "Section",
    "attach_data",
    "brief_data",
    "build_brief",
    "chart_alt",
    "chart_table",
    "confidence_label",
    "context_line",
    "finding_text",
    "index_headline",
    "items",
    "markdown_items",
    "plot_ranks",
    "render_brief_page",
    "title",
    "write_brief_pages",
    "write_index_pages",
]
