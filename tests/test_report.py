"""The report API: year resolution, table formatting, escaping, figures with alt text and data,
key findings, glossary, end matter, and what the HTML export makes of them."""

from __future__ import annotations

import base64
import io
import re
from unittest import mock

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from egovlib import config, plots, report, sources  # noqa: E402
from egovlib.errors import EgovError, SpecError  # noqa: E402
from egovlib.runner import html as report_html  # noqa: E402

INJECTION = "<img src=x onerror=alert(1)>"


def test_resolve_year():
    assert report.resolve_year(None) == 2024
    assert report.resolve_year("2012") == 2012
    with pytest.raises(EgovError, match="2023 .*not a survey edition.*2022, 2024"):
        report.resolve_year(2023)


def test_show_table_formats_and_precision():
    df = pd.DataFrame(
        {"a": [1.23456, None], "b": [2.5, 3.0], "rank": [1, 2], "pop": [1234567.0, 2.0]}
    )
    with mock.patch.object(report, "display") as shown:
        report.show_table(df, "Caption here", formats={"b": "{:.1f}"}, precision=2)
    html = shown.call_args[0][0]["text/html"]
    cells = re.findall(r">([^<>]+)</td>", html)
    assert cells == ["1.23", "2.5", "1", "1,234,567.00", "–", "3.0", "2", "2.00"]
    assert "Caption here" in html


def test_show_table_shades_cells_by_value_with_readable_text():
    df = pd.DataFrame({"name": ["none", "half", "all"], "share": [0.0, 50.0, 100.0]})
    with mock.patch.object(report, "display") as shown:
        report.show_table(df, "Coverage", shade=["share"], formats={"share": "{:.0f}"})
    html = shown.call_args[0][0]["text/html"]
    # One rule per shaded cell: its colour from light to dark blue, dark text on the light
    # cell and light text on the dark ones; the text column is not shaded.
    rules = re.findall(
        r"#T_\w+_(row\d_col\d) \{\s*background-color: (#\w+);\s*color: (#\w+);", html
    )
    assert rules == [
        ("row0_col1", "#f7fbff", "#000000"),
        ("row1_col1", "#6aaed6", "#f1f1f1"),
        ("row2_col1", "#08306b", "#f1f1f1"),
    ]
    assert re.findall(r">([^<>]+)</td>", html) == ["none", "0", "half", "50", "all", "100"]
    assert re.search(r"td:first-child \{\s*min-width: 13em;", html)  # room for the row labels
    with pytest.raises(SpecError, match=r"shade names \['Shares'\].*Fix: name some of"):
        report.show_table(df, "Coverage", shade=["Shares"])


def test_signed_format_drops_the_sign_of_a_rounded_zero():
    fmt = report.signed_format(4)
    assert fmt(0.01234) == "+0.0123"
    assert fmt(-0.01236) == "-0.0124"
    assert fmt(-0.00004) == "0.0000"
    assert fmt(float("nan")) == "–"
    assert report.signed_format(5)(-0.000004) == "0.00000"


def test_join_names():
    assert report.join_names([]) == ""
    assert report.join_names(["Oman"]) == "Oman"
    assert report.join_names(["Oman", "Qatar", "Kuwait"]) == "Oman, Qatar and Kuwait"


# ------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def fresh_report():
    report.reset()
    yield
    report.reset()
    plt.close("all")


def outputs_of(call) -> list:
    """Run ``call()`` and return what it displayed as notebook outputs."""
    shown = []

    def fake_display(bundle, raw=False, metadata=None):
        assert raw, "the report API displays raw MIME bundles"
        shown.append(nbformat.v4.new_output("display_data", data=bundle, metadata=metadata or {}))

    with mock.patch.object(report, "display", fake_display):
        call()
    return shown


def a_figure(title="EGDI of the GCC, 2024"):
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(["Bahrain", "Oman"], [0.9196, 0.8])
    return plots.finish(fig, title, ["un_egdi_2024"])


TABLE = pd.DataFrame(
    {
        "country": ["Bahrain", INJECTION, "Côte d'Ivoire"],
        "egdi": [0.919612345, 0.5, None],
        "rank": [18, 100, 150],
        "in_egdi": [True, False, True],
    }
)


# ------------------------------------------------------------------ escaping (issue 10)
def test_show_markdown_escapes_html_but_keeps_markdown_and_code():
    (out,) = outputs_of(
        lambda: report.show_markdown(
            f"**{INJECTION}** ranks 18th, p < 0.05 & `a<b` [x](javascript:alert(1))"
        )
    )
    md = out.data["text/markdown"]
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)>" in md
    assert "**" in md and "`a<b`" in md  # Markdown and code spans are left alone
    assert "javascript:" not in md and "p &lt; 0.05 &amp;" in md
    html = report_html._exporter(False).markdown2html({}, md)
    assert "<img" not in html and "&lt;img src=x" in html and "<code>a&lt;b</code>" in html


def test_show_table_escapes_caption_headers_and_cells():
    df = TABLE.rename(columns={"rank": "<b>rank</b>"})
    (out,) = outputs_of(lambda: report.show_table(df, f"Caption {INJECTION}"))
    html = out.data["text/html"]
    assert "<img" not in html and "<b>" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # caption and cell
    assert "&lt;b&gt;rank&lt;/b&gt;" in html


# ------------------------------------------------------------------ tables as data
def test_show_table_records_full_precision_values_under_the_headers_shown():
    (out,) = outputs_of(lambda: report.show_table(TABLE, "GCC ranks", formats={"egdi": "{:.2f}"}))
    meta = out.metadata[report.META_KEY]
    assert meta["kind"] == "table" and meta["caption"] == "GCC ranks"
    assert meta["name"] == "gcc-ranks"
    back = report.frame_from_json(meta["data"])
    assert list(back.columns) == ["Country", "EGDI", "Rank", "In EGDI?"]
    assert back["EGDI"].tolist()[:2] == [0.919612345, 0.5] and pd.isna(back["EGDI"][2])
    assert back["Rank"].tolist() == [18, 100, 150]
    assert back["In EGDI?"].tolist() == ["Yes", "No", "Yes"]  # as shown
    assert ">0.92<" in out.data["text/html"]  # the table shows the rounded value


def test_show_table_with_index_exports_the_index():
    df = TABLE.set_index("country")
    (out,) = outputs_of(lambda: report.show_table(df, "By country", hide_index=False))
    back = report.frame_from_json(out.metadata[report.META_KEY]["data"])
    assert back.columns[0] == "Country" and back.iloc[1, 0] == INJECTION


def test_download_names_are_unique_within_a_report():
    outs = outputs_of(lambda: [report.show_table(TABLE, "Same caption") for _ in range(3)])
    names = [o.metadata[report.META_KEY]["name"] for o in outs]
    assert names == ["same-caption", "same-caption-2", "same-caption-3"]


def test_csv_keeps_accents_for_spreadsheets():
    raw = report.csv_bytes(TABLE)
    assert raw.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert back["country"].tolist()[2] == "Côte d'Ivoire"


def test_a_table_too_large_for_a_download_is_refused():
    big = pd.DataFrame({"x": ["y" * 200] * 10_000})
    with pytest.raises(SpecError, match="too large.*egov data export"):
        outputs_of(lambda: report.show_table(big, "Everything"))


# ------------------------------------------------------------------ figures
def test_show_figure_needs_real_alt_text():
    for alt in ("", "   ", "Figure", "A chart"):
        fig = a_figure()
        with pytest.raises(SpecError, match="alt text"):
            outputs_of(lambda fig=fig, alt=alt: report.show_figure(fig, alt=alt))
    with pytest.raises(TypeError):
        report.show_figure(a_figure())  # alt is required


def test_show_figure_shows_png_with_alt_source_and_data_and_closes_the_figure():
    fig = a_figure()
    alt = "Bahrain's EGDI of 0.92 is above Oman's 0.80 in 2024."
    data = pd.DataFrame({"country": ["Bahrain", "Oman"], "egdi": [0.9196, 0.8]})
    (out,) = outputs_of(lambda: report.show_figure(fig, alt=alt, data=data))
    png = base64.b64decode(out.data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    meta = out.metadata[report.META_KEY]
    assert meta["alt"] == alt and out.metadata["image/png"]["alt"] == alt
    assert meta["title"] == "EGDI of the GCC, 2024"
    assert meta["source"] == plots.source_text(["un_egdi_2024"]) == "Source: UN DESA."
    assert report.frame_from_json(meta["data"]).to_dict("list") == {
        "Country": ["Bahrain", "Oman"],
        "EGDI": [0.9196, 0.8],
    }
    # shown at the figure's size, drawn at twice its resolution
    assert out.metadata["image/png"]["width"] == int.from_bytes(png[16:20], "big") // 2
    assert not plt.fignum_exists(fig.number)


def test_wide_figures_are_drawn_for_the_width_the_page_can_show():
    """A figure wider than the report's column gets FIGURE_SCALE image pixels per CSS pixel of the
    column, no more; it is still declared at its own size (the page scales it down)."""
    css = (config.PACKAGE_DIR / "templates" / "report.css").read_text(encoding="utf-8")
    assert f"--egov-width: {plots.PAGE_WIDTH}px;" in css
    fig = a_figure()
    fig.set_size_inches(13, 4)  # wider than the column at any usual dpi
    own_dpi = fig.dpi
    (out,) = outputs_of(lambda: report.show_figure(fig, alt="a wide figure of five words"))
    png = base64.b64decode(out.data["image/png"])
    pixels = int.from_bytes(png[16:20], "big")
    assert 0.95 * plots.FIGURE_SCALE * plots.PAGE_WIDTH <= pixels <= 2 * plots.PAGE_WIDTH
    drawn_dpi = plots.FIGURE_SCALE * plots.PAGE_WIDTH / 13
    assert abs(out.metadata["image/png"]["width"] - pixels * own_dpi / drawn_dpi) <= 1


def test_show_figure_rejects_data_that_is_not_a_table():
    with pytest.raises(SpecError, match="DataFrame"):
        outputs_of(lambda: report.show_figure(a_figure(), alt="five words of alt text", data=[1]))


# ------------------------------------------------------------------ key findings
def test_key_findings_box():
    findings = ["Bahrain is 18th.", f"The median {INJECTION} is 0.85.", "Third."]
    (out,) = outputs_of(lambda: report.show_key_findings(findings))
    md = out.data["text/markdown"]
    assert md.startswith("## Key findings\n") and md.count("\n- ") == 3 and "<img" not in md
    assert out.metadata[report.META_KEY] == {"kind": "key_findings"}
    for bad in ([], ["one", " "], ["x"] * 6):
        with pytest.raises(SpecError, match="three to five"):
            outputs_of(lambda bad=bad: report.show_key_findings(bad))


# ------------------------------------------------------------------ glossary and end matter
#: Jargon issue 15 names, each of which the glossary must explain.
ISSUE_15_JARGON = [
    "HC3", "AME", "RESET", "Cook's D", "Cronbach's alpha", "first-order index",
    "total-order index", "Monte Carlo", "min-max normalisation", "z-score", "geometric mean",
    "effective weight", "Holm", "Benjamini-Hochberg", "equivalence bound",
    "specification curve", "fractional logit", "median regression", "fixed effects", "VIF",
    "prediction interval", "EGDI", "OSI", "HCI", "TII", "EPI", "level group", "rating class",
]  # fmt: skip


@pytest.mark.parametrize("term", ISSUE_15_JARGON)
def test_glossary_explains_the_jargon_of_issue_15(term):
    found = report.glossary_terms(f"We report the {term} here.")
    assert len(found) == 1, f"{term!r} matches {[e.term for e in found]}"
    assert len(found[0].definition.split()) >= 8


def test_glossary_matching_respects_acronyms_words_and_plurals():
    terms = lambda text: [e.term for e in report.glossary_terms(text)]  # noqa: E731
    assert terms("we reset the counter; an amended rule; epidemic") == []
    assert terms("two z-scores and Cook’s D") == ["Cook's D", "z-score"]
    assert terms("AMEs and the RESET test") == ["AME", "RESET"]
    assert terms("rating classes by level groups") == ["level group", "rating class"]


@pytest.mark.parametrize(
    "text",
    [
        "GEOMETRIC MEANS, Geometric mean-based scores and a geometric meaner",
        "the ſpecification curve and the Specification Curves; fıxed effects",  # re.I's extras
        "İstanbul's OSI, OSIs, OSI-based, X-OSI and osi",  # lower() lengthens İ: full scan
        "median regression beside regression, Holm-adjusted p; Monte Carlo Monte Carlo",
        # names with caseless non-ASCII characters (dashes, superscripts) take the fast search
        "MIN–MAX and min–max rescaling; R² and pseudo R²s; eta² ; Breusch–Pagan, BREUSCH-PAGAN",
        "ſpecification R²; Benjamini–Hochberg FDR, fdr and FDRs; İ min–max",  # full scan again
    ],
)
def test_glossary_matching_is_the_full_scan_of_every_entry(text):
    """The fast search (names found by substring, then matched there) equals one full regex
    scan per entry, the definition of a match."""
    folded = report._fold(text)
    assert any(not n.isascii() for e in report.load_glossary() for n in e.names)  # tested here
    for entry in report.load_glossary():
        fast = [(m.start(), m.end()) for m in entry.finditer(text, folded)]
        assert fast == [(m.start(), m.end()) for m in entry.pattern.finditer(text)], entry.term


def test_glossary_file_is_checked(tmp_path):
    bad = tmp_path / "g.yml"
    bad.write_text("terms:\n  - term: OSI\n    definition: a\n  - term: X\n    definition: b\n"
                   "    aliases: [osi]\n")  # fmt: skip
    with pytest.raises(SpecError, match="'osi' already names the entry 'OSI'"):
        report.load_glossary(bad)
    bad.write_text("terms:\n  - term: OSI\n    meaning: a\n")
    with pytest.raises(SpecError, match="unknown keys"):
        report.load_glossary(bad)


def test_a_term_may_have_entries_for_separate_editions(tmp_path):
    """An entry per range of editions (``since``/``until``): a report takes the one of its own
    edition; ranges that overlap are refused."""
    g = tmp_path / "g.yml"
    g.write_text("terms:\n  - term: HCI\n    until: 2012\n    definition: old recipe\n"
                 "  - term: HCI\n    since: 2014\n    definition: new recipe\n")  # fmt: skip
    old, new = report.load_glossary(g)
    assert (old.applies_to(2008), old.applies_to(2014), old.applies_to(None)) == (
        True,
        False,
        False,
    )
    assert (new.applies_to(2008), new.applies_to(2024), new.applies_to(None)) == (False, True, True)
    g = tmp_path / "overlap.yml"  # another file: load_glossary is cached per path
    g.write_text("terms:\n  - term: HCI\n    until: 2014\n    definition: old recipe\n"
                 "  - term: HCI\n    since: 2014\n    definition: new recipe\n")  # fmt: skip
    with pytest.raises(SpecError, match="do not overlap"):
        report.load_glossary(g)


@pytest.mark.parametrize("edition", [2003, 2008, 2012])
def test_glossary_of_an_old_edition_names_no_later_edition(edition):
    """The entries a report for an early edition can show (the UN indices and method terms)
    speak of that edition's HCI and name no later edition."""
    text = (
        "EGDI, OSI, HCI, TII, method break, rating class, level group, departure from the "
        "component mean"
    )
    for entry in report.glossary_terms(text, edition):
        years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", entry.definition)]
        assert all(y <= edition for y in years), (entry.term, years)
    (hci,) = [e for e in report.glossary_terms("HCI", edition)]
    assert "expected and mean years" not in hci.definition


def test_files_read_lists_each_verified_file_once_in_catalogue_order():
    sources.forget_files_read()
    sources.verified_path("un_egdi_2024")
    sources.verified_path("un_egdi_2003_2020")
    sources.verified_path("un_egdi_2024")
    assert sources.files_read() == ["un_egdi_2003_2020", "un_egdi_2024"]
    report.reset()
    assert sources.files_read() == []


def test_end_matter_lists_terms_used_sources_read_and_a_citation():
    outputs_of(
        lambda: report.show_markdown("Standard errors are HC3; ranks come from a Monte Carlo.")
    )
    sources.verified_path("un_egdi_2024")
    (out,) = outputs_of(report.show_end_matter)
    md = out.data["text/markdown"]
    glossary = md.split("## Data sources")[0]
    assert "**HC3**" in glossary and "**Monte Carlo**" in glossary and "**VIF**" not in glossary
    cat = sources.load_catalogue()["un_egdi_2024"]
    assert cat.title in md and cat.url in md and f"Licence: {cat.licence}" in md
    assert "## How to cite this report" in md
    assert out.metadata[report.META_KEY] == {"kind": "end_matter", "sources": ["un_egdi_2024"]}


# ------------------------------------------------------------------ the HTML export
#: A table wider than an A4 page unless it wraps (14 columns of long headers and numbers).
WIDE = pd.DataFrame({f"population_in_region_{i}": [1234567.891 * (i + 1), 2.5] for i in range(14)})


def small_report(tmp_path, *, wide: bool = False):
    """A report built with every piece of the API, exported to HTML as the runner does."""
    figure_alt = "Bahrain's EGDI of 0.92 is above Oman's 0.80 in 2024."

    def body():
        report.show_key_findings(["Bahrain is 18th.", "Oman is 41st.", "Both are Very High."])
        report.show_table(TABLE, "GCC ranks, 2024", formats={"egdi": "{:.4f}"})
        report.show_figure(a_figure(), alt=figure_alt, data=TABLE[["country", "egdi"]])
        if wide:
            report.show_table(WIDE, "A wide table")

    cells = [
        nbformat.v4.new_markdown_cell("# GCC report\n\nIntro."),
        nbformat.v4.new_code_cell(outputs=outputs_of(body)),
        nbformat.v4.new_markdown_cell("## Appendix A: Diagnostics\n\nA RESET test."),
        nbformat.v4.new_code_cell(
            outputs=outputs_of(lambda: report.show_table(TABLE.head(1), "Diagnostic table"))
        ),
        nbformat.v4.new_markdown_cell("## Back in the main text\n\nMore prose."),
        nbformat.v4.new_markdown_cell("## Appendix B: Forensics\n\nDetail with Cook's D."),
        nbformat.v4.new_code_cell(outputs=outputs_of(report.show_end_matter)),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "02_test.ipynb"
    nbformat.write(nb, path)
    facts = [
        ("Survey edition", "2024"),
        ("Run date", "2026-05-01 10:00 UTC"),
        ("Git commit", "abc"),
    ]
    report_html.export_html(
        path, path.with_suffix(".html"), facts=facts, year=2024, status="ok", error="",
        show_code=False, version="0.1.0",
    )  # fmt: skip
    return path.with_suffix(".html"), figure_alt


def test_export_gives_figures_their_alt_text_and_source_line(tmp_path):
    page, alt = small_report(tmp_path)
    text = page.read_text()
    assert "No description has been provided" not in text
    imgs = re.findall(r"<img [^>]*>", text)
    assert len(imgs) == 1 and f'alt="{alt}"' in imgs[0].replace("&#x27;", "'").replace("&#39;", "'")
    assert re.search(r'<span class="egov-source">Source: UN DESA\.</span>', text)


@pytest.mark.parametrize(
    "tag, expected",
    [
        ('<img src="a.png">', '<img src="a.png" alt="{}">'),
        ('<img src="a.png" />', '<img src="a.png" alt="{}" />'),
        ('<img src="a.png"  \n/>', '<img src="a.png" alt="{}"  \n/>'),
        ('<img src="a" / >', '<img src="a" / alt="{}" >'),
        ("<img/>", '<img alt="{}"/>'),
        ('<img src="//">', '<img src="//" alt="{}">'),
        ('<img alt="x" src=y>', '<img alt="x" src=y>'),
        ("<imgx src=y>", "<imgx src=y>"),
    ],
)
def test_images_without_alt_text_get_the_placeholder_before_the_tag_end(tag, expected):
    """Where nbconvert's page puts it: before the tag's closing spaces and slash (the faster
    greedy pattern gives what the lazy ``<img\\b([^>]*?)(\\s*/?)>`` gave)."""
    page = f"<p>{tag}</p>"
    out = report_html._IMG.sub(report_html._with_alt, page)
    assert out == f"<p>{expected.format(report_html.NO_ALT_TEXT)}</p>"


@pytest.mark.parametrize("show_code", [False, True])
def test_exporter_gives_nbconvert_page_without_its_beautifulsoup_pass(show_code):
    """Our exporter skips HTMLExporter's parse-and-rewrite pass and makes its two edits itself:
    BeautifulSoup's re-serialisation of our page is nbconvert's page, character for character
    (tabindex on outputs and code inputs, placeholder alt text on images without any)."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    png = base64.b64encode(plots.png_bytes(a_figure(), 50)).decode("ascii")
    outputs = [
        *outputs_of(lambda: report.show_table(TABLE, "GCC ranks, 2024")),
        *outputs_of(lambda: report.show_figure(a_figure(), alt="Bahrain is above Oman in 2024.")),
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "plot"}),
        nbformat.v4.new_output("stream", text="printed\n"),
        nbformat.v4.new_output("execute_result", data={"text/html": "<b>x</b>"}, execution_count=1),
    ]
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                f"# T\n\n![](data:image/png;base64,{png}) ![a map](x.png)"
            ),
            nbformat.v4.new_code_cell("x = 1", outputs=outputs),
        ]
    )
    ours = report_html._exporter(show_code)
    theirs = HTMLExporter(
        template_file="report.html.j2", extra_template_paths=[str(report_html.TEMPLATES_DIR)]
    )
    for option in (
        "exclude_input",
        "exclude_input_prompt",
        "exclude_output_prompt",
        "embed_images",
    ):
        setattr(theirs, option, getattr(ours, option))
    resources = report_html._resources("T", [], 2024, "ok", "", notebook="t.ipynb", version="0")
    page, _ = ours.from_notebook_node(nb, resources=dict(resources))
    expected, _ = theirs.from_notebook_node(nb, resources=dict(resources))
    assert str(BeautifulSoup(page, features="html.parser")) == expected
    assert page.count(report_html.NO_ALT_TEXT) == 1  # the plain image output (markdown: alt="")
    # every output, the markdown cell and, when shown, the code input
    assert page.count('tabindex="0"') == len(outputs) + 1 + show_code


def test_export_csv_links_decode_to_the_tables_and_match_the_xlsx(tmp_path):
    page, _ = small_report(tmp_path)
    text = page.read_text()
    links = re.findall(
        r'<a download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)"', text
    )
    assert [n for n, _ in links] == [
        "02_test_gcc-ranks-2024.csv", "02_test_egdi-of-the-gcc-2024.csv",
        "02_test_diagnostic-table.csv",
    ]  # fmt: skip
    csvs = [pd.read_csv(io.BytesIO(base64.b64decode(b)), encoding="utf-8-sig") for _, b in links]
    assert csvs[0]["Country"].tolist() == TABLE["country"].tolist()
    assert csvs[0]["EGDI"].tolist()[:2] == [0.919612345, 0.5]
    xlsx = pd.read_excel(page.with_suffix(".xlsx"), sheet_name=None)
    assert list(xlsx) == ["Contents", "Table 1", "Figure 1", "Table 2"]
    for csv, sheet in zip(csvs, ["Table 1", "Figure 1", "Table 2"], strict=True):
        pd.testing.assert_frame_equal(csv, xlsx[sheet], check_dtype=False)
    contents = pd.read_excel(page.with_suffix(".xlsx"), sheet_name="Contents", header=2)
    assert contents["Title"].tolist() == [
        "GCC ranks, 2024",
        "EGDI of the GCC, 2024",
        "Diagnostic table",
    ]
    assert 'href="02_test.xlsx"' in text


def test_xlsx_is_byte_identical_when_rewritten(tmp_path):
    page, _ = small_report(tmp_path)
    first = page.with_suffix(".xlsx").read_bytes()
    again, _ = small_report(tmp_path)
    assert again.with_suffix(".xlsx").read_bytes() == first


def test_xlsx_cells_keep_data_strings_as_text(tmp_path):
    """A country name or label that looks like a formula, a link or a number stays text; a
    missing or non-finite number is an empty cell; the header row is frozen."""
    import openpyxl

    from egovlib.runner.html import ReportItem, write_xlsx

    data = {
        "columns": ["Label", "Value"],
        "data": [["=1+1", 0.5], ["https://example.org", None], ["007", float("nan")], [True, 3]],
    }
    item = ReportItem("table", 1, "Odd labels", "Source: test.", "", data)
    write_xlsx([item], tmp_path / "r.xlsx", title="Report")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    rows = list(book["Table 1"].iter_rows(values_only=True))
    assert rows == [
        ("Label", "Value"),
        ("=1+1", 0.5),
        ("https://example.org", None),
        ("007", None),
        (True, 3),
    ]
    assert book["Table 1"]["A2"].data_type == "s" and not book["Table 1"]["A3"].hyperlink
    assert book["Table 1"].freeze_panes == "A2" and book["Contents"].freeze_panes == "A4"
    assert book["Contents"]["A1"].value == "Report" and book.properties.creator == "egovlib"


def test_export_collapses_appendices_up_to_the_next_section(tmp_path):
    page, _ = small_report(tmp_path)
    text = page.read_text()
    blocks = re.findall(r'<details class="egov-appendix">(.*?)</details>', text, re.S)
    assert len(blocks) == 2
    assert "Appendix A: Diagnostics" in blocks[0] and "Diagnostic table" in blocks[0]
    assert "Back in the main text" not in blocks[0] and "Back in the main text" in text
    assert "Appendix B: Forensics" in blocks[1] and "Glossary" not in blocks[1]
    assert text.index("</details>", text.index("Appendix B")) < text.index('id="Glossary"')


def test_export_completes_the_end_matter_for_the_whole_report(tmp_path):
    page, _ = small_report(tmp_path)
    end = page.read_text().split('class="egov-end-matter"')[1]
    # RESET and Cook's D appear only in Markdown cells: the export adds them.
    for term in ("RESET", "Cook's D", "EGDI"):
        assert f"<strong>{term}</strong>" in end.replace("&#39;", "'").replace("&#x27;", "'")
    assert (
        "egovlib contributors (2026). GCC report. Report on the UN E-Government Survey 2024" in end
    )


def test_contents_do_not_number_headings_twice():
    heads = "".join(f'<h2 id="s{i}">{i}. Section {i}</h2>' for i in range(1, 4))
    assert 'class="egov-toc egov-toc-plain"' in report_html.table_of_contents(heads)
    plain = re.sub(r"\d\. ", "", heads)
    assert '<nav class="egov-toc">' in report_html.table_of_contents(plain)


def test_contents_number_sections_without_skipping_their_sub_headings():
    """The contents are one flat list: a sub-heading (h3) must take no number of its own, or the
    sections after it skip numbers (06 went 1, 2, 3, 6, 7 ...; checked in headless Chromium)."""
    heads = '<h2 id="a">A</h2><h3 id="a1">A1</h3><h3 id="a2">A2</h3><h2 id="b">B</h2>'
    heads += '<h2 id="c">C</h2>'
    toc = report_html.table_of_contents(heads)
    assert toc.count('class="egov-toc-h3"') == 2 and toc.count('class="egov-toc-h2"') == 3
    css = report_html.report_css()
    rule = re.search(r"\.egov-toc li\.egov-toc-h3 \{([^}]*)\}", css)
    assert rule and "counter-increment: list-item 0" in rule.group(1)
