"""The batch runner `egov run`: parameters, reports, index, manifest, clean kernels, the cache,
publication that loses nothing, clear errors, no leaks, and the real batch."""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import run_real_batch

from egovlib import cli
from egovlib.runner import cache, notebook_parameters, select_notebooks
from egovlib.runner.html import table_of_contents
from egovlib.runner.params import (
    check_schema_covers,
    load_params,
    load_schema,
    notebook_info,
    plan_parameters,
)
from egovlib.runner.pool import plan_jobs
from egovlib.runner.publish import fail_dir, new_build, publish_dir
from egovlib.sources import data_root, load_catalogue

REPO = Path(__file__).resolve().parent.parent
EGOV = str(Path(sys.executable).parent / "egov")
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
SCHEMA = """\
parameters:
  year: {type: int, nullable: true}
  group: {type: group}
  weights: {type: dict, keys: [osi, tii, hci], values: {type: float, min: 0}}
  seed: {type: int, min: 0}
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
    (folder / "parameter_schema.yml").write_text(SCHEMA)
    write_notebook(folder / "01_first.ipynb", "First report", [BODY])
    write_notebook(folder / "02_second.ipynb", "Second report", [BODY], sections=1)
    if failing:
        write_notebook(
            folder / "03_broken.ipynb",
            "Broken <img src=x onerror=alert(1)> report",
            [BODY, "raise ValueError('<script>alert(\"deliberate failure\")</script>')"],
        )
    return folder


def simple_notebook(path: Path, title: str, code: str, params: str | None = None) -> Path:
    """A notebook of one code cell (no figure, no headings)."""
    return write_notebook(path, title, [code], params=params, sections=0, figure=False)


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
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def executed(folder: Path) -> list[str]:
    """Notebooks of a set executed by its last run (not reused, not kept)."""
    return [n["name"] for n in manifest(folder)["notebooks"] if not n["cached"]]


def without_run_facts(page: str) -> str:
    """A report without the facts that name the run (date, commit, run time)."""
    return re.sub(r'<dl class="egov-facts">.*?</dl>', "", page, flags=re.S)


# ------------------------------------------------------------------ a good run (two sets)
@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """The default set for 2022, then a named set (a parameters file) into the same folder."""
    base = tmp_path_factory.mktemp("runner")
    nbs = make_notebooks(base / "nbs")
    out = base / "out"
    rc_default = egov("--notebooks-dir", nbs, "--out", out, "--year", 2022, "--jobs", 2)
    default_hashes = file_hashes(out / "2022")
    params = base / "kwt_set.yml"
    params.write_text(
        "group: [KWT, BHR, QAT]\nweights: {osi: 0.25, tii: 0.75}\nnotebooks:\n  '02': {seed: 7}\n"
    )
    rc = egov("--notebooks-dir", nbs, "--out", out, "--year", 2022, "--params", params, "--profile")
    return {
        "rc": (rc_default, rc),
        "out": out,
        "nbs": nbs,
        "params": params,
        "base": base,
        "default_hashes": default_hashes,
        "set": out / "2022" / "kwt_set",
    }


def test_default_and_named_sets_are_published_side_by_side(good_run):
    assert good_run["rc"] == (0, 0)
    pub = good_run["out"] / "2022"
    names = [f"{nb}.{ext}" for nb in ("01_first", "02_second") for ext in ("html", "ipynb", "xlsx")]
    assert sorted(p.name for p in pub.iterdir()) == sorted(
        [*names, "index.html", "manifest.json", "kwt_set"]
    )
    assert sorted(p.name for p in good_run["set"].iterdir()) == sorted(
        [*names, "index.html", "manifest.json"]
    )
    # The parameter set did not touch the default set's reports.
    after = file_hashes(pub)
    before = good_run["default_hashes"]
    assert {k: after[k] for k in names} == {k: before[k] for k in names}
    assert not list(good_run["out"].glob(".build-*")), "build folder left behind"
    # The year's index lists the other set; the top index lists both.
    year_index = (pub / "index.html").read_text()
    assert 'href="kwt_set/index.html"' in year_index
    top = (good_run["out"] / "index.html").read_text()
    assert 'href="2022/index.html"' in top and 'href="2022/kwt_set/index.html"' in top
    assert manifest(good_run["set"])["set"] == "kwt_set"


def test_set_index_gives_the_parameters_in_words_and_as_set(good_run):
    """The named set's index: each parameter in words (countries by name), the value as set
    (to copy into a parameters file) and the reports it applies to, by number."""
    import html as html_lib

    page = html_lib.unescape((good_run["set"] / "index.html").read_text())
    text = " ".join(re.sub(r"<[^>]+>", " ", page.split("<h2>Parameters</h2>", 1)[1]).split())
    assert 'group Kuwait, Bahrain and Qatar group = ["KWT", "BHR", "QAT"] all reports' in text
    assert "seed 7 seed = 7 report 02" in text  # set for one notebook only
    entry = manifest(good_run["set"])["notebooks"][0]
    assert entry["parameters_in_words"]["group"] == "Kuwait, Bahrain and Qatar"


def test_parameters_injected_from_yaml(good_run):
    first = outputs_of(good_run["set"] / "01_first.ipynb")
    second = outputs_of(good_run["set"] / "02_second.ipynb")
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
        page = (good_run["set"] / f"{name}.html").read_text()
        assert not code_markers(page), f"{name}: code in a report"
        assert "load_egdi_panel" not in page  # no source code at all
        m = re.search(r'src="data:image/png;base64,([^"]+)"', page)
        assert m, f"{name}: no embedded figure"
        assert base64.b64decode(m.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
        assert not re.search(r'<script[^>]+src="https?://', page), "script from a CDN"
        assert "mathjax" not in page.lower() and "require.min.js" not in page
        assert '<h1 class="egov-title">' in page and "Survey edition" in page
        assert "Report set" in page and "kwt set" in page  # the file name in words
        has_toc = '<nav class="egov-toc">' in page  # 01 has 3 sections, 02 only one
        assert has_toc == (name == "01_first")


def test_show_code_includes_code(good_run, tmp_path):
    out = tmp_path / "out"
    args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022, "--notebooks", "2")
    assert egov(*args, "--show-code") == 0
    page = (out / "2022" / "02_second.html").read_text()
    assert code_markers(page) and "load_egdi_panel" in page


def test_index_links_every_report_with_status(good_run):
    page = (good_run["set"] / "index.html").read_text()
    for name in ("01_first", "02_second"):
        assert f'href="{name}.html"' in page and f'href="{name}.ipynb"' in page
    assert page.count("egov-status egov-status-ok") == 2
    assert "First report" in page and "Second report" in page
    assert "KWT" in page  # parameters table
    assert 'href="../index.html"' in page  # back to the year's sets


def test_manifest_records_data_environment_and_outputs(good_run):
    pub = good_run["set"]
    m = manifest(pub)
    assert m["generator"] == "egov run" and m["status"] == "ok" and m["survey_edition"] == 2022
    assert m["git"]["commit"] and len(m["git"]["commit"]) == 40
    if m["git"]["dirty"]:
        assert m["git"]["diff"].startswith("diff --git")
    env = m["environment"]
    assert env["python"] and env["platform"]
    assert {"pandas", "numpy", "papermill", "nbconvert", "egovlib"} <= set(env["packages"])
    assert "--params" in m["command"] and str(good_run["params"]) in m["command"]
    # the exact command: its arguments as given, the folder they are relative to, the variables
    inv = m["invocation"]
    assert inv["argv"][0] == "egov" and shlex.join(inv["argv"]) == m["command"]
    assert Path(inv["cwd"]).is_dir() and "EGOV_ACCESS_LOG" not in inv["environment_variables"]
    assert env["lock_differences"] is None or isinstance(env["lock_differences"], list)
    assert m["params_file_sha256"] == hashlib.sha256(good_run["params"].read_bytes()).hexdigest()
    assert m["kernels"]["mode"] in ("fork", "spawn")
    assert [nb["name"] for nb in m["notebooks"]] == ["01_first", "02_second"]
    for nb in m["notebooks"]:
        assert nb["duration_s"] > 0 and not nb["cached"]
        assert set(nb["timings_s"]) == {
            *("kernel_wait", "execution", "finalise", "export", "kernel_cpu", "export_cpu")
        }
        assert 0 < nb["timings_s"]["kernel_cpu"] < 60
        assert nb["memory_mb"]["kernel_peak"] > 50
    # The data files each notebook read, recorded where they were read (the access log).
    egdi_files = {s.id for s in load_catalogue().values() if s.reader == "egdi"}
    for nb in m["notebooks"]:
        assert egdi_files <= set(nb["data_files"]), nb["name"]
    root, cat = data_root(), load_catalogue()
    for f in m["data_files"]:
        actual = hashlib.sha256((root / f["path"]).read_bytes()).hexdigest()
        assert f["sha256"] == actual == cat[f["id"]].sha256 and f["verified"]
    for name, sha in m["outputs_sha256"].items():
        assert hashlib.sha256((pub / name).read_bytes()).hexdigest() == sha


def test_manifest_records_the_lock_file(monkeypatch, tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==3.0.0\n")
    monkeypatch.setattr(cache, "LOCK_FILE", lock)
    cache.environment.cache_clear()
    try:
        env = cache.environment()
        assert env["lock_sha256"] == hashlib.sha256(lock.read_bytes()).hexdigest()
        before = cache.environment_fingerprint()
        lock.write_text("pandas==3.0.1\n")
        cache.environment.cache_clear()
        from egovlib.sources import _sha256

        _sha256.cache_clear()
        assert cache.environment_fingerprint() != before, "a new lock file must rerun notebooks"
    finally:
        cache.environment.cache_clear()


def test_manifest_lists_packages_that_differ_from_the_lock(tmp_path):
    """A past Monte Carlo reruns exactly only on the locked versions: the manifest says which
    installed packages are not the locked ones."""
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# a comment\nnumpy==2.3.1 \\\n    --hash=sha256:abc\nJinja2==3.1.6\n"
        "pandas[excel]==3.0.0 ; python_version >= '3.11'\nscipy==1.16.0\n    # via x\n"
    )
    installed = {"numpy": "2.3.2", "jinja2": "3.1.6", "pandas": "3.0.0"}
    assert cache.lock_differences(lock, installed) == [
        "numpy: locked 2.3.1, installed 2.3.2",
        "scipy: locked 1.16.0, not installed",
    ]
    # this project's own lock, against this environment (made by `make setup` from it)
    real = REPO / cache.LOCK_FILE
    if real.is_file():
        env = cache.environment()
        assert env["lock_sha256"] == hashlib.sha256(real.read_bytes()).hexdigest()
        assert env["lock_differences"] == cache.lock_differences(real, env["packages"])


def test_manifest_records_the_diff_of_a_dirty_tree(monkeypatch, tmp_path):
    from egovlib import config
    from egovlib.runner.manifest import git_info

    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "a.txt").write_text("one\n")
    run("add", "a.txt")
    run("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x")
    monkeypatch.setattr(config, "REPO_ROOT", repo)
    assert git_info()["dirty"] is False and "diff" not in git_info()
    (repo / "a.txt").write_text("two\n")
    info = git_info()
    assert info["dirty"] and "-one" in info["diff"] and "+two" in info["diff"]
    assert info["label"].endswith("+uncommitted changes")


def test_profile_prints_where_the_time_went(tmp_path, good_run, capsys):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022, "--notebooks", "1")
    assert egov(*args, "--profile", "--force") == 0
    text = capsys.readouterr().out
    assert "kernel wait" in text and "execution" in text and "export" in text
    assert "publish" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("2022") and " ran " in ln)
    assert "01_first" in row
    wait, execution, cpu, export, publish = (float(x) for x in row.split()[-5:])
    # publishing one small notebook can take under 5 ms, printed as 0.00
    assert execution > 0 and cpu > 0 and export > 0 and wait >= 0 and publish >= 0
    assert re.search(r"phases: check [\d.]+, cache [\d.]+, execute [\d.]+, publish [\d.]+", text)


# ------------------------------------------------------------------ clean kernels
LEAKY = """\
import dataclasses, os, sys, warnings
import pandas as pd
import matplotlib.pyplot as plt
import numpy as np
from egovlib import countries
groups = countries.named_groups()  # cached by the library: changing it changes library state
groups["GCC"] = dataclasses.replace(groups["GCC"], members=("BHR", "OMN"))
LEAK = 1
pd.set_option("display.max_rows", 3)
plt.rcParams["lines.linewidth"] = 9
sys.path.append("/nowhere")
warnings.simplefilter("error")
os.environ["EGOV_LEAK"] = "1"
os.chdir("/")
print("DRAW", np.random.random())
print("GCC", len(countries.resolve_group("GCC")))
"""
CHECK = """\
import os, sys, warnings
import pandas as pd
import matplotlib.pyplot as plt
import numpy as np
from egovlib import countries
print("GCC", len(countries.resolve_group("GCC")))
print("LEAK", "LEAK" in globals())
print("ROWS", pd.get_option("display.max_rows"))
print("WIDTH", plt.rcParams["lines.linewidth"])
print("PATH", "/nowhere" in sys.path)
print("ENV", os.environ.get("EGOV_LEAK"))
print("CWD", os.getcwd())
print("DRAW", np.random.random())
"""


def test_a_notebook_cannot_change_the_next_one(tmp_path):
    """Two notebooks on one worker: the first changes library state, the second sees none of it
    (and gives exactly what it gives when run alone)."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    simple_notebook(nbs / "01_dirty.ipynb", "Dirty", LEAKY)
    simple_notebook(nbs / "02_check.ipynb", "Check", CHECK)
    out = tmp_path / "out"
    assert egov("--notebooks-dir", nbs, "--out", out, "--jobs", 1) == 0
    (year,) = [p for p in out.iterdir() if p.name.isdigit()]
    dirty = outputs_of(year / "01_dirty.ipynb")
    check = outputs_of(year / "02_check.ipynb")
    assert dirty["GCC"] == "2", "the test notebook did not change the group"
    assert check["GCC"] == "6", "a named group changed by the first notebook leaked"
    assert check["LEAK"] == "False" and check["ROWS"] == "60" and check["PATH"] == "False"
    assert check["WIDTH"] != "9.0" and check["CWD"] == str(nbs) and check["ENV"] == "None"
    assert check["DRAW"] == dirty["DRAW"], "global RNG not seeded the same for each notebook"
    m = manifest(year)
    assert all(nb["kernel"] in ("fork", "spawn") for nb in m["notebooks"])
    nb = nbformat.read(year / "02_check.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"][0] == 1
    alone = tmp_path / "alone"
    assert egov("--notebooks-dir", nbs, "--out", alone, "--notebooks", "02", "--jobs", 1) == 0
    assert (alone / year.name / "02_check.ipynb").read_bytes() == (
        year / "02_check.ipynb"
    ).read_bytes()


def test_forked_and_spawned_kernels_give_the_same_bytes(good_run, tmp_path):
    """A kernel forked from the pre-warmed server is no different from a fresh process."""
    runs = {}
    for mode in ("fork", "spawn"):
        out = tmp_path / mode
        args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022)
        assert egov(*args, "--notebooks", "1", "--kernels", mode) == 0
        assert manifest(out / "2022")["notebooks"][0]["kernel"] == mode
        runs[mode] = (out / "2022" / "01_first.ipynb").read_bytes()
    assert runs["fork"] == runs["spawn"]


def test_same_outputs_as_plain_papermill(good_run, tmp_path):
    """What a user gets from the papermill CLI in a fresh kernel, cell output for cell output."""
    from egovlib.runner.execute import finalise_notebook

    plain = tmp_path / "plain.ipynb"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "papermill"),
            str(good_run["nbs"] / "01_first.ipynb"),
            str(plain),
            "-p",
            "year",
            "2022",
            "--cwd",
            str(good_run["nbs"]),
            "--no-progress-bar",
        ],
        check=True,
        capture_output=True,
    )
    finalise_notebook(plain)
    ours = nbformat.read(good_run["out"] / "2022" / "01_first.ipynb", as_version=4)
    theirs = nbformat.read(plain, as_version=4)
    assert [c.get("outputs") for c in ours.cells] == [c.get("outputs") for c in theirs.cells]


# ------------------------------------------------------------------ incremental reruns
CACHE_01 = BODY
CACHE_02 = """\
import json
from egovlib import load_table
t = load_table("tortoise_ai")
talent = t.query("iso3 == 'CHN' and variable == 'tortoise_talent'")["value"]
print("TALENT", json.dumps(talent.tolist()))
"""


def test_cache_reruns_exactly_what_changed(temp_data, tmp_path, capsys):
    """Unchanged: nothing runs, same bytes. A data file changed: only its reader reruns. Code
    changed: everything reruns. --force: everything reruns, with the same bytes as the cache."""
    nbs = make_notebooks(tmp_path / "nbs")
    (nbs / "02_second.ipynb").unlink()
    simple_notebook(nbs / "02_ai.ipynb", "AI", CACHE_02, params="year = None  # edition\n")
    out = tmp_path / "out"
    run = lambda *a: egov("--notebooks-dir", nbs, "--out", out, "--year", 2024, *a)  # noqa: E731
    pub = out / "2024"

    assert run() == 0
    assert executed(pub) == ["01_first", "02_ai"]
    capsys.readouterr()
    m = manifest(pub)
    reads = {nb["name"]: set(nb["data_files"]) for nb in m["notebooks"]}
    assert "tortoise_ai" in reads["02_ai"] and "tortoise_ai" not in reads["01_first"]
    assert "un_egdi_2024" in reads["01_first"] and "un_egdi_2024" not in reads["02_ai"]
    first = file_hashes(pub)

    t0 = time.monotonic()
    assert run() == 0  # unchanged: nothing executed, nothing rewritten
    assert time.monotonic() - t0 < 5
    assert "up to date" in capsys.readouterr().out
    assert file_hashes(pub) == first

    temp_data.edit("tortoise_ai", "China,16.51,", "China,16.61,")  # new content, new checksum
    assert run() == 0
    assert executed(pub) == ["02_ai"], "only the notebook that read the changed file reruns"
    assert manifest(pub)["notebooks"][0]["cached"], "the manifest says 01 was reused"
    assert outputs_of(pub / "02_ai.ipynb")["TALENT"] == "[16.61]"
    assert file_hashes(pub)["01_first.ipynb"] == first["01_first.ipynb"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache, "code_fingerprint", lambda: "egovlib code changed")
        assert run() == 0
        assert executed(pub) == ["01_first", "02_ai"], "a code change reruns everything"

    assert run() == 0  # the code "changed back": everything reruns again
    assert executed(pub) == ["01_first", "02_ai"]
    cached = {k: (pub / k).read_bytes() for k in ("01_first.ipynb", "01_first.html")}
    assert run() == 0 and "up to date" in capsys.readouterr().out
    assert (pub / "01_first.ipynb").read_bytes() == cached["01_first.ipynb"]
    assert run("--force") == 0
    assert executed(pub) == ["01_first", "02_ai"]
    # Byte-identical executed notebooks with and without the cache; the report differs only in
    # the facts naming the run (its date).
    assert (pub / "01_first.ipynb").read_bytes() == cached["01_first.ipynb"]
    assert without_run_facts((pub / "01_first.html").read_text()) == without_run_facts(
        cached["01_first.html"].decode()
    )


def test_subset_run_updates_only_its_notebooks(good_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    before = file_hashes(out / "2022")
    args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022)
    assert egov(*args, "--notebooks", "02", "--force") == 0
    after = file_hashes(out / "2022")
    assert after["01_first.ipynb"] == before["01_first.ipynb"]
    assert after["01_first.html"] == before["01_first.html"]
    assert after["02_second.html"] != before["02_second.html"]  # rerun: new run date
    m = manifest(out / "2022")
    entries = {nb["name"]: nb for nb in m["notebooks"]}
    assert set(entries) == {"01_first", "02_second"}
    assert entries["01_first"]["kept_from_earlier_run"] and not entries["02_second"]["cached"]
    assert (out / "2022" / "kwt_set" / "index.html").is_file(), "the named set was lost"


# ------------------------------------------------------------------ never lose work
def test_failure_keeps_last_good_set_and_escapes_the_index(good_run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    before = file_hashes(out / "2022")
    nbs = make_notebooks(tmp_path / "nbs", failing=True)
    rc = egov("--notebooks-dir", nbs, "--out", out, "--year", 2022)
    assert rc == 1
    after = file_hashes(out / "2022")
    del before["index.html"], after["index.html"]  # the year's index now lists the failed run
    assert after == before, "a failed run replaced the published set"
    (failed,) = out.glob("2022.failed-*")
    assert f'href="../{failed.name}/index.html"' in (out / "2022" / "index.html").read_text()
    # The other notebooks were reused (unchanged); the broken one keeps its traceback.
    nb = nbformat.read(failed / "03_broken.ipynb", as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and "deliberate failure" in errors[0].evalue
    assert "deliberate failure" in (failed / "03_broken.html").read_text()
    index = (failed / "index.html").read_text()
    assert index.count("egov-status egov-status-ok") == 2
    assert index.count("egov-status egov-status-failed") == 1
    # Data strings are text in the index, never markup.
    assert "<img src=x" not in index and "&lt;img src=x onerror=alert(1)&gt;" in index
    assert "<script>alert" not in index and "&lt;script&gt;" in index
    m = manifest(failed)
    assert m["status"] == "failed"
    assert {nb["name"]: nb["status"] for nb in m["notebooks"]} == {
        "01_first": "ok",
        "02_second": "ok",
        "03_broken": "failed",
    }
    assert "NOT published" in capsys.readouterr().out
    assert f'href="{failed.name}/index.html"' in (out / "index.html").read_text()


def test_failed_folders_never_collide(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stamp = "20261127T101500Z"
    folders = []
    for _ in range(2):  # two failing runs in the same second
        build = new_build(out, 2024, "", stamp)
        (build / "manifest.json").write_text(json.dumps({"generator": "egov run"}))
        folders.append(fail_dir(build, out, 2024, "", stamp))
    assert folders[0] != folders[1] and all(f.is_dir() for f in folders)
    assert all(f.name.startswith(f"2024.failed-{stamp}-") for f in folders)


def test_out_refuses_what_the_runner_did_not_make(good_run, tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "2022").mkdir(parents=True)
    (out / "2022" / "thesis.docx").write_text("a user's file")
    args = ("--notebooks-dir", good_run["nbs"], "--year", 2022, "--notebooks", "1")
    assert egov(*args, "--out", out) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR") and str(out / "2022") in err and "Fix:" in err
    assert len(err.strip().splitlines()) == 1
    assert (out / "2022" / "thesis.docx").read_text() == "a user's file"
    assert egov(*args, "--out", "/") == 2
    assert "--out /" in capsys.readouterr().err
    # A user's index page in the output folder is not overwritten either.
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("<html>my page</html>")
    assert egov(*args, "--out", other) == 2
    assert (other / "index.html").read_text() == "<html>my page</html>"
    capsys.readouterr()


def test_leftovers_removed_but_user_folders_kept(good_run, tmp_path):
    """Build folders of killed runs go; folders the runner did not make stay, whatever the name."""
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    stale = new_build(out, 2022, "", "20200101T000000Z")  # a killed run's build (marked)
    (out / ".build-mine").mkdir()  # a user's folder with a build-like name (no marker)
    (out / "2022.previous-1").mkdir()  # a user's folder with an old fallback name
    (out / "2022.previous-1" / "notes.txt").write_text("keep me")
    args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022)
    assert egov(*args) == 0  # everything reused
    assert not stale.exists()
    assert (out / ".build-mine").is_dir()
    assert (out / "2022.previous-1" / "notes.txt").read_text() == "keep me"


def test_user_file_in_a_published_set_survives(good_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    (out / "2022" / "my notes.txt").write_text("mine")
    args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022)
    assert egov(*args, "--force") == 0
    assert (out / "2022" / "my notes.txt").read_text() == "mine"


def test_second_run_into_the_same_folder_is_refused(good_run, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(good_run["out"], out)
    fd = os.open(out / ".egov-run.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.pwrite(fd, json.dumps({"pid": 4242, "host": "elsewhere", "command": "egov run"}).encode(), 0)
    try:
        args = ("--notebooks-dir", good_run["nbs"], "--out", out, "--year", 2022)
        assert egov(*args) == 2
        err = capsys.readouterr().err
        assert "another egov run" in err and "pid 4242 on elsewhere" in err and "--wait" in err
    finally:
        os.close(fd)
    # With --wait, a second run queues behind the first and then runs.
    fd = os.open(out / ".egov-run.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    proc = subprocess.Popen(
        [EGOV, "run", "--notebooks-dir", str(good_run["nbs"]), "--out", str(out)]
        + ["--year", "2022", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(3)
    assert proc.poll() is None, "the waiting run did not wait"
    os.close(fd)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "waiting for the run writing" in text


def test_publish_swaps_whole_folder(tmp_path):
    dest, build = tmp_path / "2024", tmp_path / ".build"
    dest.mkdir()
    (dest / "old.html").write_text("old")
    build.mkdir()
    (build / "new.html").write_text("new")
    publish_dir(build, dest)
    assert [p.name for p in dest.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024"]


def test_timeout_stops_a_runaway_notebook(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    simple_notebook(nbs / "01_slow.ipynb", "Slow", "import time\ntime.sleep(600)")
    rc = egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--timeout", 3)
    assert rc == 1
    (failed,) = (tmp_path / "out").glob("*.failed-*")
    m = manifest(failed)
    assert m["notebooks"][0]["status"] == "timeout"
    assert m["notebooks"][0]["duration_s"] < 60
    nb = nbformat.read(failed / "01_slow.ipynb", as_version=4)
    assert any(o.get("ename") == "NotebookTimeout" for c in nb.cells for o in c.get("outputs", []))


# ------------------------------------------------------------------ no leaks
def _descendants_alive(pgid: int) -> list[int]:
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            alive.append(int(stat.parent.name))
    return alive


def _start_slow_batch(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """`egov run` in a subprocess on two slow notebooks; returns it once its kernels run."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for i in (1, 2):
        simple_notebook(nbs / f"0{i}_slow.ipynb", "Slow", "import time\ntime.sleep(300)")
    tmp = tmp_path / "t"
    tmp.mkdir()
    proc = subprocess.Popen(
        [EGOV, "run", "--notebooks-dir", str(nbs), "--out", str(tmp_path / "out"), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(tmp.glob("egov-run-*/k*/s-*"))) < 10:
        time.sleep(0.2)  # until both kernels listen on their sockets (five each)
    assert len(list(tmp.glob("egov-run-*/k*/s-*"))) == 10, "the kernels did not start"
    time.sleep(2)  # the workers are running the notebooks now
    server_pgid = None
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == proc.pid and int(fields[2]) != os.getpgid(proc.pid):
            server_pgid = int(fields[2])
    assert server_pgid, "no children found"
    assert len(_descendants_alive(server_pgid)) >= 5  # server, 2 workers, 2 kernels
    return proc, server_pgid, tmp


def _gone(pgid: int, tmp: Path, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _descendants_alive(pgid) and not any(tmp.iterdir()):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_egov_run_leaves_nothing_behind(tmp_path, sig):
    """kill -9 or SIGTERM: no worker, kernel or server survives; no temporary folder stays."""
    proc, pgid, tmp = _start_slow_batch(tmp_path)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert _gone(pgid, tmp, within=10), (
        f"left behind: processes {_descendants_alive(pgid)}, folders {list(tmp.iterdir())}"
    )
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
    # The next run removes the killed run's build folder.
    out = tmp_path / "out"
    if sig == signal.SIGKILL:
        assert list(out.glob(".build-*"))
    nbs = tmp_path / "nbs"
    for p in nbs.glob("*.ipynb"):
        p.unlink()
    simple_notebook(nbs / "01_quick.ipynb", "Quick", "print('hi')")
    assert egov("--notebooks-dir", nbs, "--out", out) == 0
    assert not list(out.glob(".build-*"))


def test_ctrl_c_stops_quickly_with_one_line(tmp_path):
    proc, pgid, tmp = _start_slow_batch(tmp_path)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 5
    assert proc.returncode == 130
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert _gone(pgid, tmp, within=5)
    assert not list((tmp_path / "out").glob(".build-*")) and not list(
        (tmp_path / "out").glob("[0-9]*")
    )


# ------------------------------------------------------------------ clear errors (exit 2)
def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR"), err
    return lines[0]


def test_unknown_year_lists_valid_editions(tmp_path, capsys):
    from egovlib import editions

    nbs = make_notebooks(tmp_path / "nbs")
    assert egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--year", 2023) == 2
    err = one_error_line(capsys)
    assert "2023" in err and "2022, 2024" in err
    assert all(str(y) in err for y in editions())
    assert not (tmp_path / "out").exists()


def test_notebook_without_year_refused_for_another_edition(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    simple_notebook(nbs / "01_fixed.ipynb", "Fixed", "print(1)")
    assert egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--year", 2012) == 2
    err = one_error_line(capsys)
    assert "01_fixed" in err and "`year`" in err and "2012" in err and "Fix:" in err
    assert egov("--notebooks-dir", nbs, "--out", tmp_path / "o2", "--all-years") == 2
    one_error_line(capsys)


def test_unknown_notebook_lists_valid_names(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    assert egov("--notebooks-dir", nbs, "--notebooks", "07_nothing") == 2
    err = one_error_line(capsys)
    assert "07_nothing" in err and "01_first" in err and "02_second" in err


def test_half_saved_notebook_is_a_clear_error(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    text = (nbs / "02_second.ipynb").read_text()
    (nbs / "02_second.ipynb").write_text(text[: len(text) // 2])
    assert egov("--notebooks-dir", nbs, "--notebooks", "01", "--out", tmp_path / "out") == 2
    err = one_error_line(capsys)
    assert "02_second.ipynb" in err and "half-saved" in err and "Fix:" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_bad_timeout_is_one_line(tmp_path, capsys, value):
    nbs = make_notebooks(tmp_path / "nbs")
    with pytest.raises(SystemExit) as exc:
        egov("--notebooks-dir", nbs, "--timeout", value)
    assert exc.value.code == 2
    err = one_error_line(capsys)
    assert "--timeout" in err and value in err


def test_out_is_a_file_or_read_only(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert egov("--notebooks-dir", nbs, "--out", afile) == 2
    assert "is a file" in one_error_line(capsys)
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        assert egov("--notebooks-dir", nbs, "--out", ro / "reports") == 2
        assert "cannot" in one_error_line(capsys) or "not writable" in capsys.readouterr().err
        return
    # root ignores permission bits: mount a read-only file system there (mount namespace).
    proc = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            f"mount -t tmpfs -o ro,size=1m tmpfs {ro} && exec {EGOV} run --notebooks-dir {nbs} "
            f"--out {ro}/reports",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR") and "Fix:" in lines[0]
    assert f"{ro}/reports" in lines[0]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_full_disk_is_one_line_and_leaves_space(tmp_path):
    """A disk that fills up during the run: one ERROR line, and the partial output is removed."""
    nbs = make_notebooks(tmp_path / "nbs")
    small = tmp_path / "small"
    small.mkdir()
    userns = [] if os.geteuid() == 0 else ["-r"]
    script = (
        f"mount -t tmpfs -o size=400k tmpfs {small} && {EGOV} run --notebooks-dir {nbs} "
        f"--out {small}/reports --year 2022; echo RC=$?; df -k {small} | tail -1; "
        f"find {small} -mindepth 2 -maxdepth 2"
    )
    proc = subprocess.run(
        ["unshare", *userns, "-m", "sh", "-c", script], capture_output=True, text=True
    )
    assert "RC=2" in proc.stdout, proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
    assert len(errors) == 1 and "disk is full" in errors[0] and "Fix:" in errors[0]
    assert "Traceback" not in proc.stderr
    used_kb = int(proc.stdout.split("RC=2")[1].split()[2])
    assert used_kb < 100, "the failed run left the disk full"
    assert ".build-" not in proc.stdout and ".failed-" not in proc.stdout


def test_unreadable_data_file_is_one_line(temp_data, tmp_path, capsys, monkeypatch):
    nbs = make_notebooks(tmp_path / "nbs")
    target = temp_data.path("tortoise_ai")  # a file the notebooks never read
    if os.geteuid() != 0:
        target.chmod(0)
    else:  # root reads any file: make reading it fail the way it fails for a user
        from egovlib import sources

        real = sources._sha256

        def unreadable(path, *a):
            if path == str(target):
                raise PermissionError(errno.EACCES, "Permission denied", path)
            return real(path, *a)

        monkeypatch.setattr(sources, "_sha256", unreadable)
    assert egov("--notebooks-dir", nbs, "--out", tmp_path / "out", "--notebooks", "1") == 2
    err = one_error_line(capsys)
    assert target.name in err and "Fix:" in err
    assert not (tmp_path / "out" / "2024").exists()


# ------------------------------------------------------------------ parameters
def test_unknown_parameter_in_params_file(tmp_path, capsys):
    nbs = make_notebooks(tmp_path / "nbs")
    params = tmp_path / "p.yml"
    params.write_text("gruop: GCC\n")
    assert egov("--notebooks-dir", nbs, "--params", params) == 2
    err = one_error_line(capsys)
    assert "gruop" in err and "did you mean `group`" in err
    params.write_text("year: 2022\n")
    assert egov("--notebooks-dir", nbs, "--params", params) == 2
    assert "--year" in one_error_line(capsys)


REAL = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def real_plan(text: str, tmp_path: Path) -> dict:
    f = tmp_path / "p.yml"
    f.write_text(text)
    common, per = load_params(f)
    schema = load_schema(REPO / "notebooks")
    plan = plan_parameters(REAL, common, per, str(f), schema=schema)
    return {nb.stem: v for nb, v in plan.items()}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("n_draws: 0\n", ["n_draws", "0", "below the minimum 1", "1 to 100000"]),
        ("n_draws: -5\n", ["n_draws", "-5", "minimum"]),
        ("n_draws: 2.5\n", ["n_draws", "2.5", "not a whole number"]),
        ("n_draws: 1000000000\n", ["n_draws", "above the maximum 100000"]),
        ("seed: abc\n", ["seed", "'abc'", "not a number", "whole number"]),
        ("notebooks:\n  '06': {mentees: []}\n", ["mentees", "empty list", "ISO3"]),
        ("notebooks:\n  '04': {outcome: osl}\n", ["outcome", "did you mean osi", "egdi"]),
        ("focus: ''\n", ["focus", "empty text is not a country", "a name such as Bahrain"]),
        ("n_drawz: 10\n", ["n_drawz", "did you mean `n_draws`"]),
    ],
)
def test_parameters_checked_against_the_schema(tmp_path, text, words):
    with pytest.raises(Exception) as exc:
        real_plan(text, tmp_path)
    msg = str(exc.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_single_code_accepted_as_a_list(tmp_path):
    plan = real_plan("notebooks:\n  '06': {mentees: TUN}\n", tmp_path)
    (tw,) = [k for k in plan if k.startswith("06")]
    assert plan[tw]["mentees"] == ["TUN"]


def test_bad_parameter_stops_the_run_before_any_kernel(tmp_path, capsys):
    params = tmp_path / "p.yml"
    params.write_text("n_draws: 0\n")
    t0 = time.monotonic()
    assert egov("--params", params, "--out", tmp_path / "out") == 2
    assert time.monotonic() - t0 < 10
    err = one_error_line(capsys)
    assert "n_draws" in err and "valid:" in err
    assert not (tmp_path / "out").exists()


def test_unknown_country_code_in_parameters(tmp_path, capsys):
    params = tmp_path / "p.yml"
    params.write_text("notebooks:\n  '06': {mentees: [TUN, XYZ]}\n")
    assert egov("--params", params, "--out", tmp_path / "out") == 2
    err = one_error_line(capsys)
    assert "mentees" in err and "XYZ" in err


def test_country_names_are_accepted_and_become_codes(tmp_path):
    """`focus: Bahrain` works like `focus: BHR` in every notebook (issue 17), and so do names in
    the other country parameters; the notebooks receive ISO3 codes."""
    from egovlib.runner.params import check_countries

    f = tmp_path / "p.yml"
    f.write_text(
        "focus: Kingdom of Bahrain\ngroup: [Algeria, lby, Morocco]\n"
        "notebooks:\n  '06': {mentor: united arab emirates, mentees: Tunisia, propose_for: bhr}\n"
    )
    common, per = load_params(f)
    schema = load_schema(REPO / "notebooks")
    plan = plan_parameters(REAL, common, per, str(f), schema=schema)
    check_countries(plan, schema, str(f))
    by = {nb.stem: v for nb, v in plan.items()}
    with_focus = [nb.stem for nb in REAL if "focus" in notebook_info(nb).parameters]
    assert {s[:2] for s in with_focus} >= {"00", "01", "02", "03", "05"}
    for name in with_focus:
        assert by[name]["focus"] == "BHR", name
        assert schema.spec(name, "focus").type == "iso3", name
    assert all(v["group"] == ["DZA", "LBY", "MAR"] for v in by.values() if "group" in v)
    (tw,) = [k for k in by if k.startswith("06")]
    assert by[tw]["mentor"] == "ARE" and by[tw]["mentees"] == ["TUN"]
    assert by[tw]["propose_for"] == "BHR"
    # a group name stays a name (the reports show it)
    f.write_text("group: GCC\n")
    plan = plan_parameters(REAL, *load_params(f), str(f), schema=schema)
    check_countries(plan, schema, str(f))
    assert {v["group"] for v in plan.values() if "group" in v} == {"GCC"}


def test_unknown_country_name_lists_close_matches(tmp_path, capsys):
    params = tmp_path / "p.yml"
    params.write_text("focus: Bahrian\n")
    assert egov("--params", params, "--out", tmp_path / "out") == 2
    err = one_error_line(capsys)
    assert "`focus`" in err and "'Bahrian'" in err and "Bahrain (BHR)" in err and "Fix:" in err
    assert not (tmp_path / "out").exists()


def test_every_notebook_parameter_is_declared_with_a_valid_default():
    """Helpers adding a parameter declare it in notebooks/parameter_schema.yml."""
    problems = check_schema_covers(REAL, load_schema(REPO / "notebooks"))
    assert problems == []


def test_example_params_files_fit_the_notebooks():
    """Every notebooks/params/*.yml names only real parameters with valid values."""
    from egovlib import resolve_group
    from egovlib.runner import discover_notebooks
    from egovlib.runner.params import check_countries

    notebooks = discover_notebooks()
    schema = load_schema(REPO / "notebooks")
    files = sorted((REPO / "notebooks" / "params").glob("*.yml"))
    assert files
    for f in files:
        common, per = load_params(f)
        plan = plan_parameters(notebooks, common, per, str(f), schema=schema)
        check_countries(plan, schema, str(f))
        assert any(plan.values()), f"{f.name} sets nothing"
        for values in plan.values():
            if "group" in values:
                assert len(resolve_group(values["group"])) >= 2
    # A subset run ignores per-notebook entries of notebooks it does not run.
    common, per = load_params(REPO / "notebooks" / "params" / "gcc_bahrain.yml")
    plan = plan_parameters(notebooks[:1], common, per, available=notebooks, schema=schema)
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


# ------------------------------------------------------------------ workers and memory
def test_jobs_capped_by_memory(monkeypatch):
    from egovlib.runner import pool

    monkeypatch.setattr(pool, "memory_available_mb", lambda: 2000.0)
    jp = plan_jobs(8, 72, 700, cpus=16, server_mb=0)
    assert jp.jobs == 2  # 80 % of 2000 MB / 700 MB per notebook
    assert "--jobs 8 lowered to 2" in jp.note and "700 MB" in jp.note
    # the kernel server's memory comes first: (1600 - 300) / 700 -> 1
    assert plan_jobs(8, 72, 700, cpus=16, server_mb=300).jobs == 1
    # the default (one notebook per CPU) is capped too, and says so
    jp = plan_jobs(None, 72, 700, cpus=16, server_mb=0)
    assert jp.jobs == 2 and "one notebook per CPU (16) lowered to 2" in jp.note
    assert plan_jobs(None, 1, 700, cpus=16).jobs == 1  # never more workers than notebooks
    assert not plan_jobs(None, 1, 700, cpus=16).note
    monkeypatch.setattr(pool, "memory_available_mb", lambda: 64000.0)
    assert plan_jobs(None, 72, 700, cpus=2).jobs == 2 and not plan_jobs(None, 72, 700, 2).note


def test_jobs_follow_the_memory_measured_by_earlier_runs(good_run, monkeypatch):
    """The cap uses what the manifests in the output folder measured, not a guess."""
    from egovlib.runner import pool
    from egovlib.runner.batch import measured_memory_mb

    per_job, server = measured_memory_mb(good_run["out"])
    m = manifest(good_run["set"])
    peak = max(nb["memory_mb"]["kernel_peak"] for nb in m["notebooks"])
    worker = max(nb["memory_mb"]["worker_peak"] for nb in m["notebooks"])
    base = m["kernels"]["server_rss_mb"] if m["kernels"]["mode"] == "fork" else 0
    assert server >= m["kernels"]["server_rss_mb"] > 50
    assert per_job >= 1.25 * (max(peak - base, 0) + worker) and 100 < per_job < 4000
    assert measured_memory_mb(good_run["out"] / "nothing-here") == (None, None)
    # room for the server and two and a half notebooks (after the 20 % kept free): 2 workers
    monkeypatch.setattr(pool, "memory_available_mb", lambda: (server + 2.5 * per_job) / 0.8)
    assert plan_jobs(None, 10, per_job, cpus=8, server_mb=server).jobs == 2


def test_manifest_of_an_older_runner_is_not_a_measurement(tmp_path):
    """An output folder holding a manifest of an earlier runner version (``kernels`` as a
    sentence, notebooks without memory) starts a run instead of crashing."""
    from egovlib.runner.batch import measured_memory_mb

    old = tmp_path / "2024"
    old.mkdir()
    (old / "manifest.json").write_text(
        json.dumps(
            {
                "kernels": "reused per worker after a success",
                "notebooks": [{"notebook": "01_data_overview", "memory_mb": "n/a"}, "odd"],
            }
        )
    )
    assert measured_memory_mb(tmp_path) == (None, None)


def test_runner_does_not_import_the_command_line():
    """No import cycle: egovlib.runner never imports egovlib.cli or argparse."""
    code = (
        "import sys; import egovlib.runner, egovlib.runner.kernels, egovlib.runner.worker; "
        "print('egovlib.cli' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for path in (REPO / "egovlib" / "runner").glob("*.py"):
        assert "argparse" not in path.read_text(), f"{path.name} parses a command line"


def test_access_log_records_each_file_read(tmp_path, monkeypatch):
    from egovlib.sources import read_access_log, verified_path

    log = tmp_path / "access.log"
    monkeypatch.setenv("EGOV_ACCESS_LOG", str(log))
    verified_path("tortoise_ai")
    verified_path("un_egdi_2024")
    got = read_access_log(log)
    cat = load_catalogue()
    assert got == {
        "tortoise_ai": cat["tortoise_ai"].sha256,
        "un_egdi_2024": cat["un_egdi_2024"].sha256,
    }
    monkeypatch.delenv("EGOV_ACCESS_LOG")
    verified_path("coursera_gsi")
    assert "coursera_gsi" not in read_access_log(log)


def test_toc_only_for_long_reports():
    body = "".join(
        f'<h2 id="s{i}">Part {i}<a class="anchor-link" href="#s{i}">¶</a></h2>' for i in range(4)
    )
    toc = table_of_contents(body)
    assert toc.count("<li") == 4 and 'href="#s0"' in toc and "¶" not in toc
    assert table_of_contents(body[: body.index('<h2 id="s2"')]) == ""


# ------------------------------------------------------------------ the real batch (CI)
def published_real_reports(tmp_path_factory) -> Path:
    """The real 2024 batch's output folder (kept for tests/test_browser.py)."""
    return run_real_batch(tmp_path_factory)


@pytest.mark.slow
def test_real_batch_2024(real_batch):
    notebooks = sorted(p.stem for p in REAL)
    assert notebooks, "no notebooks in notebooks/"
    failed = sorted(real_batch.glob("2024.failed-*"))
    detail = ""
    if failed:
        m = manifest(failed[-1])
        detail = "; ".join(f"{n['name']}: {n['error']}" for n in m["notebooks"] if n["error"])
    assert (real_batch / "rc").read_text() == "0", f"batch failed: {detail}"
    pub = real_batch / "2024"
    index = (pub / "index.html").read_text()
    m = manifest(pub)
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


def test_durations_of_earlier_runs_order_the_next_run(tmp_path, monkeypatch):
    """Execution times are remembered per edition and notebook in the cache folder (executed
    notebooks only; reused and failed ones are not measurements) and read back for scheduling;
    an unreadable file is no error."""
    from egovlib.runner import batch
    from egovlib.runner.execute import NotebookResult

    monkeypatch.setenv("EGOV_CACHE_DIR", str(tmp_path))
    assert batch.known_durations() == {}
    batch.remember_durations(
        [
            NotebookResult("04_determinants", 2024, "ok", 9.5, {}),
            NotebookResult("01_data_overview", 2024, "ok", 8.25, {}),
            NotebookResult("02_group_benchmark", 2024, "failed", 0.5, {}),
            NotebookResult("03_egdi_methodology", 2024, "ok", 3.0, {}, cached=True),
        ]
    )
    batch.remember_durations([NotebookResult("04_determinants", 2022, "ok", 12.0, {})])
    assert batch.known_durations() == {
        (2024, "04_determinants"): 9.5,
        (2024, "01_data_overview"): 8.25,
        (2022, "04_determinants"): 12.0,
    }
    (tmp_path / batch.DURATIONS_FILE).write_text("{not json")
    assert batch.known_durations() == {}


def test_the_workers_warm_up_renders_with_the_report_template():
    """A worker renders a tiny report while its first kernel starts (errors there are ignored,
    so this test is what notices a warm-up that no longer fits the template)."""
    from egovlib.runner import html

    html.warm_up()


def test_the_workers_warm_up_imports_the_modules_of_the_brief_export():
    """A batch with a brief has its workers import the brief's module while they wait for their
    first kernel (a fresh interpreter: the import is visible)."""
    code = (
        "import sys\n"
        "from egovlib.runner import worker\n"
        "assert 'egovlib.brief' not in sys.modules\n"
        "worker._warm_up_export(['egovlib.brief'])\n"
        "assert 'egovlib.brief' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_parameters_under_a_title_are_in_words():
    """ISO3 codes become country names and the notebooks' code words become words (no
    `income_group` or `top10` under a report's title); other values stay as given."""
    from egovlib.runner.params import parameters_in_words

    text = parameters_in_words(
        {"comparisons": ["top10", "region", "income_group"], "focus": "TUN", "n": 5, "x": None}
    )
    assert text == ("comparisons: top 10, region and income group; focus: Tunisia; n: 5; x: none")


def test_kernels_inherit_the_tables_but_no_record_of_reading_them(temp_data):
    """The kernel server loads every table for its kernels; what a kernel reads is still
    recorded, also the country table a parse built in the server (a cold parquet cache here)."""
    from egovlib import countries, sources
    from egovlib.runner.kernels import _prefetch_tables

    _prefetch_tables()
    assert sources.files_read() == []
    assert len(countries.country_table()) >= 193
    assert countries.resolve_country("Kingdom of Bahrain") == "BHR"
    assert {"un_m49", "unu_countries", "wb_class"} <= set(sources.files_read())


def test_kernel_server_warm_up_leaves_the_glossary_ready_for_its_kernels(temp_data, tmp_path):
    """Forked kernels inherit the glossary and its compiled term patterns: a report's end
    matter then compiles nothing."""
    from egovlib import report
    from egovlib.runner.kernels import KernelServer

    report.load_glossary.cache_clear()
    report._entry_pattern.cache_clear()
    KernelServer(tmp_path, "fork", 1, 1, ["egovlib.report"]).warm_up()
    misses = report._entry_pattern.cache_info().misses
    assert misses == len({e.names for e in report.load_glossary()}) > 100
    report.glossary_terms("The EGDI is the mean of the OSI, HCI and TII; a z-score, a median.")
    assert report._entry_pattern.cache_info().misses == misses


def test_served_client_is_ready_when_the_kernel_is_idle_and_leaves_nothing_to_read():
    """The workers' client ends its handshake on the kernel's idle status, not after 0.2 s of
    silence: nothing of the handshake is left on IOPub, and the kernel then runs code."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    from egovlib.runner.served import ServedKernelClient, ServedKernelManager

    async def handshake():
        km = AsyncKernelManager(kernel_name="python3")
        await km.start_kernel()
        try:
            served = ServedKernelManager(
                {"pid": km.provisioner.process.pid, "connection_file": km.connection_file}
            )
            kc = served.client()
            assert isinstance(kc, ServedKernelClient)
            kc.start_channels()
            await kc.wait_for_ready(timeout=60)
            left = await kc.iopub_channel.msg_ready()
            reply = await kc.execute_interactive("x = 6 * 7", timeout=60)
            kc.stop_channels()
            return left, reply["content"]["status"]
        finally:
            await km.shutdown_kernel(now=True)

    left, status = asyncio.run(handshake())
    assert not left and status == "ok"


def test_kernel_server_imports_what_a_kernel_imports_to_start_and_can_still_fork(tmp_path):
    """The server imports the kernel's start-up modules (its debugger's debugpy among them:
    ~0.1 s of every kernel's start otherwise) without starting a thread, so kernels are still
    forked from it; debugpy's frozen-modules warning is not printed."""
    code = (
        "import sys, threading, pathlib\n"
        "from egovlib.runner.kernels import KERNEL_APP_IMPORTS, KernelServer\n"
        f"KernelServer(pathlib.Path({str(tmp_path)!r}), 'fork', 1, 1, []).warm_up()\n"
        "print(threading.active_count(), all(m in sys.modules for m in KERNEL_APP_IMPORTS),"
        " 'pydevd' in sys.modules)\n"
    )
    env = {**os.environ, "EGOV_DATA_DIR": str(tmp_path / "no-data")}
    env.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "True", "True"]
    assert "Debugger warning" not in proc.stderr
