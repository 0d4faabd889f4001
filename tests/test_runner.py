"""The batch runner `egov run`: parameters, reports, index, manifest, safety, errors, real batch."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from egovlib import cli, editions
from egovlib.runner import notebook_parameters, select_notebooks
from egovlib.runner.html import table_of_contents
from egovlib.runner.publish import publish_dir
from egovlib.sources import data_root, load_catalogue

REPO = Path(__file__).resolve().parent.parent
FIGURE = "data:image/png;base64,"
#: Markup nbconvert gives code inputs and prompts (markdown cells also sit in a `jp-InputArea`,
#: so that class alone does not mean code): none may appear in the body when code is hidden.
CODE_MARKERS = ("jp-CodeMirrorEditor", "jp-InputPrompt", "highlight hl-ipython3", "cm-editor")


def code_markers(page: str) -> list[str]:
    """Code-cell markup found in the page body (the CSS in <style> names every class)."""
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return [m for m in CODE_MARKERS if m in body]


PARAMS_CELL = """\
year = None  # survey edition; None = latest in the data
group = ["BHR", "OMN"]  # countries (ISO3) shown in the table
weights = {"osi": 0.5, "tii": 0.5}  # weights of the toy composite
seed = 1  # seed of the random line in the figure
"""
BODY = """\
import json
import matplotlib.pyplot as plt
import numpy as np
from egovlib import load_egdi_panel, report
year = report.resolve_year(year)
df = load_egdi_panel(year)
sub = df[df["iso3"].isin(group)].sort_values("iso3")
toy = sum(w * sub[k] for k, w in weights.items())
print("INJECTED", json.dumps({"year": year, "group": group, "weights": weights, "seed": seed}))
print("RESULT", json.dumps([round(v, 6) for v in toy], sort_keys=True))
print("DRAW", json.dumps(np.random.default_rng(seed).random(3).round(6).tolist()))
"""


def write_notebook(
    path: Path,
    title: str,
    code: list[str],
    params: str | None = PARAMS_CELL,
    sections: int = 3,
    figure: bool = True,
) -> Path:
    """A small notebook: title, parameters cell, code, headings, a table and a figure."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(f"# {title}\n\nWhat this report shows.")]
    if params is not None:
        p = v4.new_code_cell(params)
        p.metadata["tags"] = ["parameters"]
        cells.append(p)
    cells += [v4.new_code_cell(c) for c in code]
    for i in range(sections):
        cells.append(v4.new_markdown_cell(f"## Section {i + 1}\n\nText of section {i + 1}."))
    cells += (
        [
            v4.new_code_cell(
                "report.show_table(sub[['iso3', 'egdi', 'rank']], caption=f'EGDI {year}')\n"
                "fig, ax = plt.subplots()\n"
                "ax.plot(np.random.default_rng(seed).random(10))\n"
                "ax.set(xlabel='step', ylabel='value')\nplt.show()"
            )
        ]
        if figure
        else []
    )
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def make_notebooks(folder: Path, failing: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_notebook(folder / "01_first.ipynb", "First report", [BODY])
    write_notebook(folder / "02_second.ipynb", "Second report", [BODY], sections=1)
    if failing:
        write_notebook(
            folder / "03_broken.ipynb",
            "Broken report",
            [BODY, "raise ValueError('deliberate failure for the test')"],
        )
    return folder


def egov(*args) -> int:
    return cli.main(["run", *map(str, args)])


def outputs_of(nb_path: Path) -> dict[str, str]:
    """Printed lines of an executed notebook, keyed by their first word."""
    nb = nbformat.read(nb_path, as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                for line in o["text"].splitlines():
                    key, _, rest = line.partition(" ")
                    out[key] = rest
    return out


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """Two notebooks, a YAML parameters file (list + dict + per-notebook value), two workers."""
    base = tmp_path_factory.mktemp("runner")
    nbs = make_notebooks(base / "nbs")
    params = base / "params.yml"
    params.write_text(
        "group: [KWT, BHR, QAT]\nweights: {osi: 0.25, tii: 0.75}\nnotebooks:\n  '02': {seed: 7}\n"
    )
    out = base / "out"
    rc = egov("--notebooks-dir", nbs, "--out", out, "--year", 2022, "--params", params, "--jobs", 2)
    return {"rc": rc, "out": out, "nbs": nbs, "params": params, "base": base}


def test_good_run_publishes_year_folder(good_run):
    assert good_run["rc"] == 0
    pub = good_run["out"] / "2022"
    assert sorted(p.name for p in pub.iterdir()) == [
        "01_first.html",
        "01_first.ipynb",
        "01_first.xlsx",
        "02_second.html",
        "02_second.ipynb",
        "02_second.xlsx",
        "index.html",
        "manifest.json",
    ]
    assert not list(good_run["out"].glob(".build-*")), "build folder left behind"
    assert (good_run["out"] / "index.html").is_file()


def test_parameters_injected_from_yaml(good_run):
    first = outputs_of(good_run["out"] / "2022" / "01_first.ipynb")
    second = outputs_of(good_run["out"] / "2022" / "02_second.ipynb")
    assert json.loads(first["INJECTED"]) == {
        "year": 2022,
        "group": ["KWT", "BHR", "QAT"],
        "weights": {"osi": 0.25, "tii": 0.75},
        "seed": 1,
    }
    assert json.loads(second["INJECTED"])["seed"] == 7  # per-notebook value
    # The numbers come from the data: 2022 OSI/TII of Bahrain, Kuwait, Qatar (sorted by iso3).
    from egovlib import load_egdi_panel

    df = load_egdi_panel(2022).set_index("iso3").loc[["BHR", "KWT", "QAT"]]
    expected = (0.25 * df["osi"] + 0.75 * df["tii"]).round(6).tolist()
    assert json.loads(first["RESULT"]) == pytest.approx(expected, abs=1e-6)


def test_reports_hide_code_embed_figures_and_work_offline(good_run):
    for name in ("01_first", "02_second"):
        page = (good_run["out"] / "2022" / f"{name}.html").read_text()
        assert not code_markers(page), f"{name}: code in a report"
        assert "load_egdi_panel" not in page  # no source code at all
        m = re.search(r'src="data:image/png;base64,([^"]+)"', page)
        assert m, f"{name}: no embedded figure"
        assert base64.b64decode(m.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
        assert not re.search(r'<script[^>]+src="https?://', page), "script from a CDN"
        assert "mathjax" not in page.lower() and "require.min.js" not in page
        assert '<h1 class="egov-title">' in page and "Survey edition" in page
        has_toc = '<nav class="egov-toc">' in page  # 01 has 3 sections, 02 only one
        assert has_toc == (name == "01_first")


def test_show_code_includes_code(good_run, tmp_path):
    out = tmp_path / "out"
    rc = egov(
        "--notebooks-dir",
        good_run["nbs"],
        "--out",
        out,
        "--year",
        2022,
        "--notebooks",
        "2",
        "--show-code",
    )
    assert rc == 0
    page = (out / "2022" / "02_second.html").read_text()
    assert code_markers(page) and "load_egdi_panel" in page


def test_index_links_every_report_with_status(good_run):
    page = (good_run["out"] / "2022" / "index.html").read_text()
    for name in ("01_first", "02_second"):
        assert f'href="{name}.html"' in page and f'href="{name}.ipynb"' in page
    assert page.count("egov-status egov-status-ok") == 2
    assert "First report" in page and "Second report" in page
    assert "KWT" in page  # parameters table


def test_manifest_checksums_match_files(good_run):
    pub = good_run["out"] / "2022"
    m = json.loads((pub / "manifest.json").read_text())
    assert m["status"] == "ok" and m["survey_edition"] == 2022
    assert m["git"]["commit"] and len(m["git"]["commit"]) == 40
    assert {"pandas", "numpy", "papermill", "nbconvert", "python"} <= set(m["packages"])
    assert [nb["name"] for nb in m["notebooks"]] == ["01_first", "02_second"]
    assert all(nb["duration_s"] > 0 for nb in m["notebooks"])
    ids = {f["id"] for f in m["data_files"]}
    egdi_files = {s.id for s in load_catalogue().values() if s.reader == "egdi"}
    assert egdi_files <= ids, "the EGDI files the notebooks read are not all listed"
    root, cat = data_root(), load_catalogue()
    for f in m["data_files"]:
        actual = hashlib.sha256((root / f["path"]).read_bytes()).hexdigest()
        assert f["sha256"] == actual == cat[f["id"]].sha256 and f["verified"]
    for name, sha in m["outputs_sha256"].items():
        assert hashlib.sha256((pub / name).read_bytes()).hexdigest() == sha


def test_same_inputs_same_numbers(good_run, tmp_path):
    """A second run (one worker this time) gives identical executed notebooks."""
    out = tmp_path / "out"
    assert (
        egov(
            "--notebooks-dir",
            good_run["nbs"],
            "--out",
            out,
            "--year",
            2022,
            "--params",
            good_run["params"],
            "--jobs",
            1,
        )
        == 0
    )
    for name in ("01_first.ipynb", "02_second.ipynb"):
        a = nbformat.read(good_run["out"] / "2022" / name, as_version=4)
        b = nbformat.read(out / "2022" / name, as_version=4)
        assert a == b, f"{name} differs between two runs with the same inputs"


def test_reused_kernel_starts_clean(tmp_path):
    """A worker reuses its kernel, but the second notebook sees nothing of the first."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(
        nbs / "01_dirty.ipynb",
        "Dirty",
        [
            "import os, sys, warnings\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
            "LEAK = 1\npd.set_option('display.max_rows', 3)\nplt.rcParams['lines.linewidth'] = 9\n"
            "sys.path.append('/nowhere')\nwarnings.simplefilter('error')\nos.chdir('/')\n"
            "import numpy as np\nprint('DRAW', np.random.random())"
        ],
        params=None,
        sections=0,
        figure=False,
    )
    write_notebook(
        nbs / "02_check.ipynb",
        "Check",
        [
            "import os, sys, warnings\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
            "import numpy as np\n"
            "print('LEAK', 'LEAK' in globals())\n"
            "print('ROWS', pd.get_option('display.max_rows'))\n"
            "print('WIDTH', plt.rcParams['lines.linewidth'])\n"
            "print('PATH', '/nowhere' in sys.path)\nprint('CWD', os.getcwd())\n"
            "print('DRAW', np.random.random())"
        ],
        params=None,
        sections=0,
        figure=False,
    )
    out = tmp_path / "out"
    assert egov("--notebooks-dir", nbs, "--out", out, "--year", 2024, "--jobs", 1) == 0
    m = json.loads((out / "2024" / "manifest.json").read_text())
    assert [nb["kernel"] for nb in m["notebooks"]] == ["new", "reused"]
    dirty = outputs_of(out / "2024" / "01_dirty.ipynb")
    check = outputs_of(out / "2024" / "02_check.ipynb")
    assert check["LEAK"] == "False" and check["ROWS"] == "60" and check["PATH"] == "False"
    assert check["WIDTH"] != "9.0" and check["CWD"] == str(nbs)
    assert check["DRAW"] == dirty["DRAW"], "global RNG not re-seeded for each notebook"
    nb = nbformat.read(out / "2024" / "02_check.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"][0] == 1


def test_failure_keeps_last_good_set(good_run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    before = file_hashes(out / "2022")
    nbs = make_notebooks(tmp_path / "nbs", failing=True)
    rc = egov("--notebooks-dir", nbs, "--out", out, "--year", 2022)
    assert rc == 1
    assert file_hashes(out / "2022") == before, "a failed run replaced the published set"
    (failed,) = out.glob("2022.failed-*")
    # The other notebooks still ran; the broken one keeps its traceback and is marked failed.
    nb = nbformat.read(failed / "03_broken.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "deliberate failure for the test"
    assert "deliberate failure" in (failed / "03_broken.html").read_text()
    index = (failed / "index.html").read_text()
    assert index.count("egov-status egov-status-ok") == 2
    assert index.count("egov-status egov-status-failed") == 1
    m = json.loads((failed / "manifest.json").read_text())
    assert m["status"] == "failed"
    assert {nb["name"]: nb["status"] for nb in m["notebooks"]} == {
        "01_first": "ok",
        "02_second": "ok",
        "03_broken": "failed",
    }
    assert "NOT published" in capsys.readouterr().out


def test_timeout_stops_a_runaway_notebook(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(
        nbs / "01_slow.ipynb",
        "Slow",
        ["import time\ntime.sleep(600)"],
        params=None,
        sections=0,
        figure=False,
    )
    rc = egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--year", 2024, "--timeout", 3)
    assert rc == 1
    (failed,) = (tmp_path / "out").glob("2024.failed-*")
    m = json.loads((failed / "manifest.json").read_text())
    assert m["notebooks"][0]["status"] == "timeout"
    assert m["notebooks"][0]["duration_s"] < 60
    nb = nbformat.read(failed / "01_slow.ipynb", as_version=4)
    assert any(o.get("ename") == "NotebookTimeout" for c in nb.cells for o in c.get("outputs", []))


# ------------------------------------------------------------------ clear errors (no execution)
def test_unknown_year_lists_valid_editions(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    assert egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--year", 2023) == 2
    err = capsys.readouterr().err
    assert "2023" in err and "2022, 2024" in err
    assert all(str(y) in err for y in editions())
    assert not (tmp_path / "out").exists()


def test_unknown_notebook_lists_valid_names(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    assert egov("--notebooks-dir", nbs, "--notebooks", "07_nothing") == 2
    err = capsys.readouterr().err
    assert "07_nothing" in err and "01_first" in err and "02_second" in err


def test_unknown_parameter_in_params_file(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    params = tmp_path / "p.yml"
    params.write_text("gruop: GCC\n")
    assert egov("--notebooks-dir", nbs, "--params", params) == 2
    err = capsys.readouterr().err
    assert "gruop" in err and "group" in err
    params.write_text("year: 2022\n")
    assert egov("--notebooks-dir", nbs, "--params", params) == 2
    assert "--year" in capsys.readouterr().err


def test_example_params_files_fit_the_notebooks():
    """Every notebooks/params/*.yml names only real parameters and resolvable groups."""
    from egovlib import resolve_group
    from egovlib.runner import discover_notebooks, load_params, plan_parameters

    notebooks = discover_notebooks()
    files = sorted((REPO / "notebooks" / "params").glob("*.yml"))
    assert files
    for f in files:
        common, per = load_params(f)
        plan = plan_parameters(notebooks, common, per, str(f))
        assert any(plan.values()), f"{f.name} sets nothing"
        for values in plan.values():
            for key in ("group",):
                if key in values:
                    assert len(resolve_group(values[key])) >= 2
    # A subset run ignores per-notebook entries of notebooks it does not run.
    common, per = load_params(REPO / "notebooks" / "params" / "gcc_bahrain.yml")
    plan = plan_parameters(notebooks[:1], common, per, available=notebooks)
    assert list(plan) == notebooks[:1]


def test_select_notebooks_by_number_and_name(tmp_path):
    nbs = sorted(make_notebooks(tmp_path / "nbs").glob("*.ipynb"))
    assert select_notebooks(nbs, ["2"]) == [nbs[1]]
    assert select_notebooks(nbs, ["02", "01_first"]) == nbs
    assert select_notebooks(nbs, ["second,first"]) == nbs


def test_parameters_cell_parsed_even_with_equals_in_comments(tmp_path):
    # papermill's own parser drops `year = None  # None = latest` (two `=`); ours must not.
    path = write_notebook(tmp_path / "01_x.ipynb", "X", [])
    assert notebook_parameters(path) == {
        "year": "survey edition; None = latest in the data",
        "group": "countries (ISO3) shown in the table",
        "weights": "weights of the toy composite",
        "seed": "seed of the random line in the figure",
    }


def test_publish_swaps_whole_folder(tmp_path):
    dest, build = tmp_path / "2024", tmp_path / ".build"
    dest.mkdir()
    (dest / "old.html").write_text("old")
    build.mkdir()
    (build / "new.html").write_text("new")
    publish_dir(build, dest)
    assert [p.name for p in dest.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]


def test_toc_only_for_long_reports():
    body = "".join(
        f'<h2 id="s{i}">Part {i}<a class="anchor-link" href="#s{i}">¶</a></h2>' for i in range(4)
    )
    toc = table_of_contents(body)
    assert toc.count("<li") == 4 and 'href="#s0"' in toc and "¶" not in toc
    assert table_of_contents(body[: body.index('<h2 id="s2"')]) == ""


# ------------------------------------------------------------------ the real batch (CI)
def published_real_reports(tmp_path_factory) -> Path:
    """Run every notebook in notebooks/ for 2024 once per session; return outputs/2024."""
    out = tmp_path_factory.getbasetemp() / "egov-real-batch"
    marker = out / "rc"
    if not marker.exists():
        out.mkdir(parents=True, exist_ok=True)
        rc = egov("--out", out, "--year", 2024)
        marker.write_text(str(rc))
    return out


@pytest.fixture(scope="session")
def real_batch(tmp_path_factory):
    return published_real_reports(tmp_path_factory)


@pytest.mark.slow
def test_real_batch_2024(real_batch):
    notebooks = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks in notebooks/"
    failed = sorted(real_batch.glob("2024.failed-*"))
    detail = ""
    if failed:
        m = json.loads((failed[-1] / "manifest.json").read_text())
        detail = "; ".join(f"{n['name']}: {n['error']}" for n in m["notebooks"] if n["error"])
    assert (real_batch / "rc").read_text() == "0", f"batch failed: {detail}"
    pub = real_batch / "2024"
    index = (pub / "index.html").read_text()
    m = json.loads((pub / "manifest.json").read_text())
    assert [n["name"] for n in m["notebooks"]] == notebooks
    for name in notebooks:
        nb = nbformat.read(pub / f"{name}.ipynb", as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
        page = (pub / f"{name}.html").read_text()
        assert FIGURE in page, f"{name}: no embedded figure"
        assert not code_markers(page), f"{name}: code in the report"
        assert f'href="{name}.html"' in index
    root = data_root()
    assert m["data_files"], "manifest lists no data files"
    for f in m["data_files"]:
        assert hashlib.sha256((root / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    for name, sha in m["outputs_sha256"].items():
        assert hashlib.sha256((pub / name).read_bytes()).hexdigest() == sha
