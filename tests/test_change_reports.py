"""Reports 02 and 06 run in batch speak of their own edition and their own group."""

from __future__ import annotations

import re

import nbformat
import pytest

from egovlib import cli, config

PARAMS = config.NOTEBOOKS_DIR / "params"


def report_text(path) -> str:
    """What a reader sees in an executed notebook, up to the glossary (the glossary and the data
    sources list are reference text about the whole project, not results)."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append(data.get("text/markdown") or data.get("text/plain") or out.get("text", ""))
    return "\n".join(parts).split("## Glossary")[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("change-reports")
    args = ["run", "--notebooks", "02", "06", "--jobs", "1"]
    assert cli.main([*args, "--year", "2008", "--out", str(out / "y2008")]) == 0
    maghreb = ["run", "--notebooks", "02", "06", "--jobs", "1", "--year", "2024"]
    maghreb += ["--params", str(PARAMS / "maghreb_tunisia.yml"), "--out", str(out / "maghreb")]
    assert cli.main(maghreb) == 0
    return out


@pytest.mark.parametrize("name", ["02_group_benchmark", "06_digital_twinning"])
def test_a_2008_report_quotes_nothing_later(runs, name):
    (path,) = (runs / "y2008").rglob(f"{name}.ipynb")
    text = report_text(path)
    later = sorted({int(y) for y in re.findall(r"\b20[1-9]\d\b", text) if int(y) > 2008})
    assert not later, f"{name} (2008) mentions {later}"
    assert "Traceback" not in text and "Key findings" in text


def test_another_groups_report_does_not_speak_of_the_gcc(runs):
    (path,) = (runs / "maghreb").rglob("02_group_benchmark.ipynb")
    text = report_text(path)
    assert "GCC" not in text and "Gulf" not in text and "Bahrain" not in text
    assert "DZA, LBY" not in text  # a code list is "the selected countries", never its codes
    assert "the selected countries" in text and "Tunisia" in text


def test_a_run_for_tunisia_leads_with_tunisia(runs):
    # The Maghreb params ask 06 for partners of Tunisia (propose_for: TUN, mentor BHR): the key
    # findings lead with Tunisia's mentors, and Bahrain's own mentee list is not shown.
    (path,) = (runs / "maghreb").rglob("06_digital_twinning.ipynb")
    nb = nbformat.read(path, as_version=4)
    kf = next(
        o["data"]["text/markdown"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("egovlib", {}).get("kind") == "key_findings"
    )
    first = kf.split("\n- ")[1] if "\n- " in kf else kf
    assert "For Tunisia, the best-scoring mentor among" in kf, kf
    assert "Tunisia" in first and "Bahrain, this run's mentor, ranks" in kf
    # ... with how stable that is: the share of weightings under which the best stays first and
    # Bahrain's range of ranks, from the sensitivity table shown under the proposals.
    assert re.search(r"Bahrain, this run's mentor, ranks \d+\w\w \(\d+\w\w to \d+\w\w across", kf)
    assert re.search(
        r"is \w[\w ]+, first under (all|\d+% of the) \d+ variants of the weights tried", kf
    )
    text = report_text(path)
    assert "Mentees proposed for Bahrain" not in text and "mentees of Bahrain" not in kf
    assert "this run's mentee" not in kf
    assert "Mentors proposed for Tunisia" in text


def test_a_2008_report_sets_no_later_yardstick(runs):
    (path,) = (runs / "y2008").rglob("02_group_benchmark.ipynb")
    text = report_text(path)
    # Level groups may be shown with "today's thresholds applied retroactively", but no later
    # threshold is set as a target, and nothing introduced after 2008 is named.
    assert not re.search(r"today's threshold(?!s applied)", text)
    for later in ("LOSI", "Local Online Service", "rating class", "Rating class"):
        assert later not in text, later


def test_end_matter_of_an_earlier_edition_lists_no_later_source_or_term():
    from egovlib import report

    ids = ["un_egdi_2003_2020", "un_egdi_2022", "oxford_gairi_2019", "un_m49", "undp_hdr"]
    md = report.end_matter_markdown("The rating class and the LOSI of the EGDI.", ids, edition=2008)
    glossary, sources_part = md.split("## Data sources")
    assert "Rating class" not in glossary and "LOSI" not in glossary and "EGDI" in glossary
    assert "2 further files with reference years only after 2008" in sources_part
    assert "(2022)" in sources_part  # the country table (UN M49) is listed whatever its vintage
    assert "Oxford" not in sources_part and "2022. *UN E-Government" not in sources_part
    md24 = report.end_matter_markdown("The rating class and the LOSI.", ids, edition=2024)
    assert "Rating class" in md24 and "LOSI" in md24 and "further file" not in md24


def test_a_default_run_shows_the_mentors_the_brief_recommends(runs):
    """The brief recommends a mentor for its focus country and links to 06's automatic pairing:
    a run without a country to pair (the default) shows the mentors proposed for its mentor
    there, with their sensitivity, but does not add them to its key findings."""
    from egovlib import brief
    from egovlib.countries import country_name

    (path,) = (runs / "y2008").rglob("06_digital_twinning.ipynb")
    text = report_text(path)
    rec = next(f for f in brief.build_brief(2008, "GCC", "BHR").recommendations if "twin" in f.key)
    assert rec.section.notebook == "06_digital_twinning"
    key_findings, after = text.split(f"## {rec.section.heading}")
    assert "Mentors proposed for Bahrain (2008)" in after
    assert f"Best-scoring mentor for Bahrain: **{country_name(rec.params['mentor'])}**" in after
    assert "Sensitivity of the mentors ranked for Bahrain to the weights (2008)" in after
    assert "best-scoring mentor" not in key_findings
