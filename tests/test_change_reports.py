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
    maghreb = ["run", "--notebooks", "02", "--jobs", "1", "--year", "2024"]
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
