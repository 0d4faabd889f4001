"""The leaders' brief (report 00): facts against the published data, English = Arabic, RTL page."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from fontTools.ttLib import TTFont

from egovlib import brief, config
from egovlib.countries import country_name
from egovlib.i18n import LANGUAGES, catalog, flatten, placeholders
from egovlib.panel import load_egdi_panel
from egovlib.sources import data_root, load_catalogue

GCC = ["BHR", "KWT", "OMN", "QAT", "SAU", "ARE"]
MAGHREB = ["DZA", "LBY", "MAR", "MRT", "TUN"]
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def gcc2024():
    return brief.build_brief(2024, "GCC", "BHR")


@pytest.fixture(scope="module")
def panel():
    return load_egdi_panel()


def published(panel: pd.DataFrame, year: int) -> pd.DataFrame:
    return panel[panel["year"] == year].set_index("iso3")


def finding(b: brief.Brief, prefix: str) -> brief.Finding:
    (f,) = [f for f in b.findings if f.key.startswith(prefix)]
    return f


# ------------------------------------------------------------------ facts against the data
def test_gcc_2024_facts_match_the_published_data(gcc2024, panel):
    ed = published(panel, 2024)
    assert ed.loc[GCC, "egdi"].min() >= 0.75  # the published scores themselves
    text = brief.finding_text(finding(gcc2024, "findings.levels"), "en")
    assert "**All 6 GCC states** are in the Very High group" in text
    assert "against 4 of 6 in 2022" in text
    moves = finding(gcc2024, "findings.moves")
    assert moves.key == "findings.moves.one_fell_others_up"
    assert (moves.params["fell"], moves.params["before"], moves.params["after"]) == ("KWT", 61, 66)
    comp = finding(gcc2024, "findings.components")
    assert comp.key == "findings.components.all_up"
    assert comp.params["moves"] == [("osi", 54, 23), ("hci", 65, 32), ("tii", 65, 10)]
    standing = finding(gcc2024, "findings.standing")
    assert (standing.params["rank"], standing.params["n"], standing.params["pos"]) == (18, 193, 3)
    assert round(standing.params["egdi"], 4) == 0.9196  # UN DESA: Bahrain 18th, 0.9196
    margin = finding(gcc2024, "findings.margin")
    hand = ed.loc["BHR", "egdi"] - ed.loc[ed["rank"] == 19, "egdi"].iloc[0]
    assert margin.params["margin"] == pytest.approx(hand) == pytest.approx(0.00013, abs=5e-6)
    assert margin.params["next"] == "USA"


def test_gcc_2022_facts_match_the_published_data(panel):
    b = brief.build_brief(2022, "GCC", "BHR")
    ed, before = published(panel, 2022), published(panel, 2020)
    levels = finding(b, "findings.levels")
    assert levels.params["level"] == "Very High"
    assert levels.params["n_top"] == int((ed.loc[GCC, "egdi"] >= 0.75).sum()) == 4
    assert levels.params["n_top_prev"] == int((before.loc[GCC, "egdi"] >= 0.75).sum())
    assert b.previous == 2020
    table = b.chart.set_index("iso3")
    for c in GCC:
        assert table.loc[c, "rank"] == ed.loc[c, "rank"]
        assert table.loc[c, "rank_previous"] == before.loc[c, "rank"]
    moves = finding(b, "findings.moves")
    fell = [c for c in GCC if ed.loc[c, "rank"] > before.loc[c, "rank"]]
    named = moves.params["fell"]
    assert sorted([named] if isinstance(named, str) else [m[0] for m in named]) == sorted(fell)


def test_old_edition_speaks_of_its_own_time():
    b = brief.build_brief(2008, "GCC", "BHR")
    assert b.previous == 2005
    for lang in LANGUAGES:
        text = " ".join(
            i["text"] for w in ("findings", "recommendations") for i in brief.items(b, lang, w)
        )
        years = {int(y) for y in re.findall(r"(?<![\d.])(?:19|20)\d\d\b", text)}
        # the edition, the one before, and (for the baseline note) earlier editions; never later
        assert {2005, 2008} <= years <= {2003, 2004, 2005, 2008}, years
    levels = finding(b, "findings.levels")
    assert levels.notes and levels.notes[0][0] == "findings.levels.retro"  # retroactive groups
    # The HCI method change of 2008 is said once, not under every finding that crosses it.
    notes = [n for f in b.findings for n in f.notes if n[0] == "findings.method_break"]
    assert len(notes) == 1


def test_another_group_never_speaks_of_the_gcc():
    b = brief.build_brief(2024, MAGHREB, "TUN")
    en = " ".join(brief.markdown_items(b, "en") + brief.markdown_items(b, "en", "recommendations"))
    ar = " ".join(brief.markdown_items(b, "ar") + brief.markdown_items(b, "ar", "recommendations"))
    for text in (en, ar, brief.title(b, "en"), brief.title(b, "ar"), brief.chart_alt(b, "en")):
        for word in ("GCC", "Gulf", "Bahrain", "مجلس التعاون", "الخليج", "البحرين"):
            assert word not in text
    assert "Tunisia" in en and country_name("TUN", "ar") in ar
    assert "selected countries" in en


# ------------------------------------------------------------------ English = Arabic
@pytest.mark.parametrize(
    "args",
    [(2024, "GCC", "BHR"), (2008, "GCC", "BHR"), (2024, MAGHREB, "TUN"), (2003, "GCC", "OMN")],
)
def test_english_and_arabic_carry_the_same_numbers(args):
    b = brief.build_brief(*args)
    for which in ("findings", "recommendations"):
        en, ar = brief.items(b, "en", which), brief.items(b, "ar", which)
        assert len(en) == len(ar)
        for e, a in zip(en, ar, strict=True):
            assert Counter(NUMBER.findall(e["text"])) == Counter(NUMBER.findall(a["text"])), (
                e["text"],
                a["text"],
            )
            assert e["href"] == a["href"]
    assert 5 <= len(b.findings) <= 7 or args[0] == 2003  # the first edition has no change facts


def test_language_files_have_the_same_keys_and_placeholders():
    docs = {lang: flatten(catalog(lang).doc) for lang in LANGUAGES}
    optional = ("reports.",)  # report titles per language may be left to the English ones
    keys = {lang: {k for k in d if not k.startswith(optional)} for lang, d in docs.items()}
    assert keys["ar"] == keys["en"], keys["ar"] ^ keys["en"]
    for key in keys["en"]:
        en, ar = docs["en"][key], docs["ar"][key]
        if isinstance(en, str):
            assert placeholders(en) == placeholders(ar), key


def test_arabic_country_names_are_the_m49_ones(gcc2024):
    m49 = pd.read_csv(data_root() / load_catalogue()["un_m49"].path, dtype=str)
    official = dict(zip(m49["ISO-alpha3 Code"], m49["Arabic short"].str.strip(), strict=True))
    page = brief.render_brief_page(brief.brief_data(gcc2024), "ar")
    for iso3 in [*GCC, "USA", "DNK"]:
        assert country_name(iso3, "ar") == official[iso3]
    for iso3 in GCC:
        assert official[iso3] in page
        assert country_name(iso3) not in _visible_text(page)  # no English names left


# ------------------------------------------------------------------ links, chart, fonts
def test_every_link_points_to_an_existing_heading():
    for section in brief.SECTIONS.values():
        assert brief.heading_exists(section), (
            f"{section.notebook} has no heading {section.heading!r}"
        )
        anchor = brief.heading_anchor(section.heading)
        assert section.href() == f"{section.notebook}.html#{anchor}"


def test_heading_anchor_is_nbconverts():
    """The ids the brief links to are the ones nbconvert writes into the reports' headings."""
    import html
    import re

    from nbconvert.filters.strings import add_anchor

    headings = [s.heading for s in brief.SECTIONS.values()]
    headings += ["A & B <c> 'q' \"d\" 50% #1?", "Ranks, 2005–2024: ü é", "مؤشر تنمية الحكومة"]
    for heading in headings:
        tag = add_anchor(f"<h2>{html.escape(heading)}</h2>")
        nbconvert_id = html.unescape(re.search(r'id="([^"]+)"', tag).group(1))
        assert brief.heading_anchor(heading) == nbconvert_id, heading


def test_arabic_chart_text_is_shaped(gcc2024):
    """Matplotlib shapes Arabic (joined letters are narrower than the same letters kept apart)."""
    fig = plt.figure()
    renderer = fig.canvas.get_renderer()

    def width(s: str) -> float:
        t = fig.text(0, 0, s, fontsize=20)
        return t.get_window_extent(renderer).width

    name = country_name("BHR", "ar")
    assert width(name) < 0.85 * width("\u200c".join(name))
    plt.close(fig)
    fig = brief.plot_ranks(gcc2024, "ar")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert country_name("BHR", "ar") in labels
    assert fig.texts[0].get_horizontalalignment() == "right"  # title on the right
    plt.close(fig)


def _visible_text(page: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r'src="data:[^"]+"|href="data:[^"]+"', " ", body)
    return re.sub(r"<[^>]+>", " ", body)


def _dejavu_files() -> list[Path]:
    import matplotlib

    mpl = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    files = [mpl / "DejaVuSans.ttf", mpl / "DejaVuSans-Bold.ttf"]
    system = Path("/usr/share/fonts/truetype/dejavu")
    files += [
        system / n for n in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf") if (system / n).exists()
    ]
    return files


def test_dejavu_sans_covers_every_character_of_the_arabic_pages(gcc2024):
    """The fallback font of the pages and the chart's font have a glyph for every character."""
    data = brief.brief_data(gcc2024)
    text = _visible_text(brief.render_brief_page(data, "ar")) + json.dumps(
        data["languages"]["ar"], ensure_ascii=False
    )
    chars = {c for c in text if not c.isspace() and ord(c) > 0x7E}
    assert any("\u0600" <= c <= "\u06ff" for c in chars)
    for path in _dejavu_files():
        cmap = TTFont(path).getBestCmap()
        missing = sorted(f"U+{ord(c):04X} {c}" for c in chars if ord(c) not in cmap)
        assert not missing, f"{path} lacks {missing}"


# ------------------------------------------------------------------ pages in a browser
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Injected into a copy of the page: direction, and characters drawn as the "missing glyph" box
#: (compared pixel by pixel with a private-use character no font here draws).
PROBE = """<script>
(function () {
  function bitmap(ch, font) {
    const c = document.createElement('canvas'); c.width = 48; c.height = 48;
    const g = c.getContext('2d'); g.font = font; g.fillText(ch, 6, 34);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(',');
  }
  const out = {dir: document.documentElement.dir, lang: document.documentElement.lang};
  const list = document.querySelector('.egov-findings');
  out.listDirection = getComputedStyle(list).direction;
  // Text runs right to left: the first letter of the first finding is right of the fifth.
  const node = list.querySelector('li strong').firstChild;
  const at = i => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                    return r.getBoundingClientRect(); };
  out.firstRight = at(0).right; out.fifthRight = at(4).right;
  const li = list.querySelector('li').getBoundingClientRect();
  out.startGap = li.right - at(0).right; out.width = li.width;
  const font = '24px ' + getComputedStyle(list).fontFamily;
  const tofu = bitmap('\\uE000', font);
  const chars = [...new Set(document.body.innerText)].filter(c => c.trim());
  out.missing = chars.filter(c => bitmap(c, font) === tofu).map(c => c.codePointAt(0));
  out.probeWorks = bitmap('\\u08A0', font) === tofu;
  document.title = JSON.stringify(out);
})();
</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if path is None:
        pytest.fail("headless Chromium is missing: `apt-get install -y chromium` (.ci/run does)")
    return path


def _probe(chromium: str, page: Path) -> dict:
    probe = page.with_name(page.stem + ".probe.html")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1366,900",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    m = re.search(r"<title>(\{.*?\})</title>", proc.stdout, re.S)
    assert m, f"no probe result: {proc.stderr[-1500:]}"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.browser
@pytest.mark.parametrize("args", [(2024, "GCC", "BHR"), (2024, MAGHREB, "TUN")])
def test_arabic_brief_renders_right_to_left_without_missing_glyphs(chromium, tmp_path, args):
    b = brief.build_brief(*args)
    page = tmp_path / "00_brief.ar.html"
    page.write_text(brief.render_brief_page(brief.brief_data(b), "ar"), encoding="utf-8")
    out = _probe(chromium, page)
    assert out["probeWorks"], "the missing-glyph probe cannot tell a missing glyph"
    assert (out["lang"], out["dir"], out["listDirection"]) == ("ar", "rtl", "rtl")
    assert out["firstRight"] > out["fifthRight"], "the text does not run right to left"
    assert out["startGap"] < 0.05 * out["width"], "the findings do not start at the right edge"
    assert out["missing"] == [], [hex(c) for c in out["missing"]]
    png = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1366,900",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    img = plt.imread(png)[..., :3].mean(axis=2)
    assert (img < 0.9).mean() > 0.02, "the Arabic brief looks blank"


# ------------------------------------------------------------------ through the runner
@pytest.fixture(scope="module")
def brief_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("brief-run")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "egovlib.cli",
            "run",
            "--notebooks",
            "00",
            "--year",
            "2024",
            "--out",
            str(out),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=config.REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out / "2024"


@pytest.mark.slow
def test_runner_publishes_the_brief_in_both_languages(brief_run):
    names = {p.name for p in brief_run.iterdir()}
    assert {"00_brief.html", "00_brief.ar.html", "00_brief.json", "index.ar.html"} <= names
    en = (brief_run / "00_brief.html").read_text(encoding="utf-8")
    ar = (brief_run / "00_brief.ar.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in ar and '<html lang="en" dir="ltr">' in en
    assert 'href="00_brief.ar.html"' in en and 'href="00_brief.html"' in ar  # language switch
    index = (brief_run / "index.html").read_text(encoding="utf-8")
    index_ar = (brief_run / "index.ar.html").read_text(encoding="utf-8")
    assert 'href="index.ar.html"' in index and 'href="index.html"' in index_ar
    assert "Kuwait was the only one of the GCC states" in index
    assert '<html lang="ar" dir="rtl">' in index_ar and 'href="00_brief.ar.html"' in index_ar
    nb = nbformat.read(brief_run / "00_brief.ipynb", as_version=4)
    mimes = {m for c in nb.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert brief.DATA_MIME not in mimes  # the hand-over is not published
    data = json.loads((brief_run / "00_brief.json").read_text(encoding="utf-8"))
    png = base64.b64decode(data["languages"]["ar"]["chart_png"])
    assert png[:4] == b"\x89PNG"
    for which in ("findings", "recommendations"):
        for e, a in zip(
            data["languages"]["en"][which], data["languages"]["ar"][which], strict=True
        ):
            assert Counter(NUMBER.findall(e["text"])) == Counter(NUMBER.findall(a["text"]))


# ------------------------------------------------------------------ recommendations
def test_three_recommendations_follow_from_the_other_reports(gcc2024, panel):
    from egovlib import engine, standing, twinning

    recs = {r.key.split(".")[1]: r for r in gcc2024.recommendations}
    assert len(gcc2024.recommendations) == 3
    assert set(recs) == {"gaps_depend", "hci", "twinning"}
    assert all(r.confidence == "judgement" for r in gcc2024.recommendations)
    # 02: the costliest gap depends on the yardstick for Bahrain in 2024 (OSI against Denmark,
    # 0.0321 EGDI points; HCI against the best HCI and the top-10 mean), so both are named
    gaps = standing.frontier_gaps(2024, "BHR")
    assert standing.costliest_gap_by_benchmark(gaps) == {
        "frontier": "osi",
        "best": "hci",
        "top_mean": "hci",
    }
    params = recs["gaps_depend"].params
    assert (params["component"], params["other"]) == ("osi", "hci")
    assert round(params["points"], 4) == 0.0321 and round(params["other_points"], 4) == 0.0292
    assert recs["gaps_depend"].notes[0][0] == "recommendations.fragile_rank"  # 0.00013
    # 05: in 2024 every proposal fails the engine's own checks, so the advice is not to adopt
    a = engine.assess_proposals(2024, "BHR", GCC, "GCC", n_draws=0)
    assert a.evaluable and not any(p.recommendable for p in a.proposals)
    assert recs["hci"].key == "recommendations.hci.reject"
    for p in a.evaluable:
        assert bool(brief.hci_failed_checks(p)) == bool(p.reasons), p.spec.name
    # expected (0.050) and mean years of schooling (0.047) differ by less than the rebuilt
    # index misses Bahrain's gap to the top 10 (0.010), so the brief names both, as 05 does
    cost = dict(recs["hci"].notes)["recommendations.hci.cost_tied"]
    assert (cost["rank"], cost["input"], cost["input2"]) == (
        32,
        "hci_inputs.hdr_eys",
        "hci_inputs.hdr_mys",
    )
    # 06: the best-scoring mentor with a lead of at least 0.05 on its target component
    table = twinning.pairing_table(
        twinning.edition_scores(panel, 2024),
        twinning.load_context(2024).data,
        "BHR",
        role="mentee",
    )
    top = table[table["eligible"]].iloc[0]
    tw = recs["twinning"].params
    assert (tw["mentor"], tw["target"]) == (top["iso3"], top["target"]) == ("SAU", "osi")
    assert tw["lead"] >= twinning.MIN_LEAD == tw["min_lead"]
    # ... and how often it stays first when the weights change (report 06's variants)
    ctx = twinning.load_context(2024)
    sens = twinning.pairing_sensitivity(
        twinning.edition_scores(panel, 2024), ctx.data, "BHR", role="mentee",
        features=ctx.features,
    )  # fmt: skip
    stays = dict(recs["twinning"].notes)["recommendations.twinning.stability"]
    assert stays["n"] == len(sens) and 0 < stays["first"] <= len(sens)
    assert stays["first"] == (sens["top"].str.split(", ").str[0] == "Saudi Arabia").sum()
    assert f"stays first under {stays['first']} of the {len(sens)} variants" in (
        brief.finding_text(recs["twinning"])
    )
    assert [r.section.notebook for r in gcc2024.recommendations] == [
        "02_group_benchmark",
        "05_hci_variants",
        "06_digital_twinning",
    ]


@pytest.mark.parametrize("args", [(2008, "GCC", "BHR"), (2024, MAGHREB, "TUN")])
def test_three_recommendations_for_another_edition_and_group(args):
    b = brief.build_brief(*args)
    assert len(b.recommendations) == 3
    hci = b.recommendations[1]
    # 2008: the proposals' digital-skills items did not exist, so nothing can be tested
    expected = "untestable" if args[0] == 2008 else "reject"
    assert hci.key == f"recommendations.hci.{expected}"
    for lang in LANGUAGES:
        labels = {i["label"] for i in brief.items(b, lang, "recommendations")}
        assert labels == {catalog(lang).get("confidence.judgement")}


def test_arabic_links_say_the_report_is_in_english(gcc2024):
    for which in ("findings", "recommendations"):
        for i in brief.items(gcc2024, "ar", which):
            assert "(بالإنجليزية)" in i["link"]
            assert "#" in i["href"]  # to the heading, not the top of the report


@pytest.mark.parametrize("key", sorted(brief.SECTIONS))
def test_every_link_anchor_exists_in_the_published_html(key, tmp_path):
    """The runner's own HTML export of a report with the heading gives the id the link uses."""
    from egovlib.runner.html import export_html

    section = brief.SECTIONS[key]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {section.notebook}"),
        nbformat.v4.new_markdown_cell(f"## {section.heading}\n\nText."),
    ]
    path = tmp_path / f"{section.notebook}.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / f"{section.notebook}.html"
    export_html(
        path, out, facts=[], year=2024, status="ok", error="", show_code=False, version="test"
    )
    target, anchor = section.href().split("#")
    assert target == out.name
    assert f'id="{anchor}"' in out.read_text(encoding="utf-8")


def test_brief_page_escapes_data_strings(gcc2024):
    data = brief.brief_data(gcc2024)
    d = data["languages"]["en"]
    d["findings"][0]["text"] = "**Bold** <img src=x onerror=alert(1)> & *it*"
    d["title"] = "<script>alert(1)</script>"
    page = brief.render_brief_page(data, "en", facts=[("Parameters", "<b>x</b>")])
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; &amp;" in page
    assert "<strong>Bold</strong>" in page and "<em>it</em>" in page
    assert "<script>alert" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_chart_rank_labels_do_not_overlap():
    """In a dense group (Western Asia, 17 countries) no two rank labels touch."""
    b = brief.build_brief(2024, "Western Asia", "BHR")
    for lang in LANGUAGES:
        fig = brief.plot_ranks(b, lang)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().isdigit()]
        plt.close(fig)
        assert len(boxes) >= len(b.chart)
        for i, a in enumerate(boxes):
            for c in boxes[i + 1 :]:
                assert not a.overlaps(c), (a, c)


def test_change_finding_carries_report_02s_screens(gcc2024):
    """Bahrain's 2022 rank (54th) was its worst: the brief gives the 2020 rank beside it, and
    flags the component moves that are among the 5% largest of all countries' (net of the
    median), as report 02 does; Tunisia's move needs neither note."""
    notes = dict(finding(gcc2024, "findings.components").notes)
    base = notes["findings.baseline"]
    assert (base["before_last"], base["rank_before_last"], base["rank_previous"]) == (2020, 38, 54)
    # the finding is about the three EGDI components: the EPI's move is not among its screens
    assert notes["findings.unusual"]["indices"] == ["osi", "hci"]
    # a fact whose move may be a data revision is labelled so, in both languages
    f = finding(gcc2024, "findings.components")
    assert brief.confidence_label(f) == "Published fact, to be checked for a data revision"
    assert brief.confidence_label(f, "ar").endswith("يلزم التحقق من مراجعة البيانات")
    assert brief.confidence_label(finding(gcc2024, "findings.margin")) == "Published fact"
    tun = brief.build_brief(2024, ["DZA", "LBY", "MAR", "MRT", "TUN"], "TUN")
    assert dict(finding(tun, "findings.components").notes) == {}
