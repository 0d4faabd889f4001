"""Notebooks stay clean in git: JupyterLab's metadata, no outputs, the nbstripout git filter."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from papermill.translators import PythonTranslator

from egovlib import config
from tools import notebook_hygiene as hygiene

ROOT = config.REPO_ROOT
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT)


def _fixed(path: Path) -> nbformat.NotebookNode:
    return hygiene.fix(_read(path))


def test_reference_metadata_is_what_jupyterlab_gets_from_the_kernel():
    """JupyterLab writes kernelspec {name, display_name, language} and the kernel's language_info.

    The reference's Python patch version is the project's (3.11.7); any 3.11 kernel must report
    the same fields otherwise.
    """
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        info = kc.kernel_info(reply=True, timeout=60)["content"]["language_info"]
        spec = km.kernel_spec
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert {
        "name": km.kernel_name,
        "display_name": spec.display_name,
        "language": spec.language,
    } == (hygiene.KERNELSPEC)
    reference = dict(hygiene.LANGUAGE_INFO)
    assert (
        info.pop("version").split(".")[:2]
        == reference.pop("version").split(".")[:2]
        == [
            "3",
            "11",
        ]
    )
    assert info == reference


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_fix_gives_a_clean_notebook_and_changes_no_cell_but_the_fmt_off_line(path):
    before = _read(path)
    after = hygiene.fix(before)
    text = hygiene.serialise(after)
    assert hygiene.problems(text) == []
    assert hygiene.serialise(hygiene.fix(after)) == text, "fix is idempotent"
    assert [c.id for c in after.cells] == [c.id for c in before.cells]
    for old, new in zip(before.cells, after.cells, strict=True):
        source = new.source
        if "parameters" in new.metadata.get("tags", []):
            assert source.startswith(hygiene.FMT_OFF + "\n")
            if not old.source.startswith(hygiene.FMT_OFF + "\n"):
                # added by fix; a notebook that already had it keeps its cell as it was
                source = source.removeprefix(hygiene.FMT_OFF + "\n")
        assert source == old.source


def test_check_names_each_problem():
    nb = _fixed(NOTEBOOKS[0])
    assert hygiene.problems(hygiene.serialise(nb)) == []

    code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    broken = copy.deepcopy(nb)
    broken.cells[code].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    broken.cells[code].execution_count = 3
    broken.cells[code].metadata["scrolled"] = True
    broken.metadata.kernelspec.display_name = "Python 3 (ipykernel)"
    broken.metadata.language_info.pop("codemirror_mode")
    params = hygiene.parameters_cells(broken)[0]
    params.source = params.source.removeprefix(hygiene.FMT_OFF + "\n")
    found = hygiene.problems(hygiene.serialise(broken))
    assert any(p.startswith(f"cell {code}: has outputs") for p in found)
    assert any(p.startswith(f"cell {code}: cell metadata ['scrolled']") for p in found)
    assert any(p.startswith("metadata.kernelspec is") for p in found)
    assert any(p.startswith("metadata.language_info is") for p in found)
    assert "parameters cell does not start with `# fmt: off`" in found
    assert len(found) == 5

    relaid = json.dumps(json.loads(hygiene.serialise(nb)), indent=2)
    assert hygiene.problems(relaid) == ["not in the JSON layout JupyterLab saves (nbformat.write)"]


def test_cli_check_exits_1_and_fix_rewrites(tmp_path):
    path = tmp_path / NOTEBOOKS[0].name
    nb = _fixed(NOTEBOOKS[0])
    nb.metadata.kernelspec.display_name = "Python 3"
    path.write_text(hygiene.serialise(nb), encoding="utf-8")
    tool = [sys.executable, str(ROOT / "tools" / "notebook_hygiene.py")]
    check = subprocess.run([*tool, str(path)], capture_output=True, text=True)
    assert check.returncode == 1
    assert (
        f"{path}: metadata.kernelspec is" in check.stderr and "make notebooks-fix" in check.stderr
    )
    subprocess.run([*tool, "--fix", str(path)], check=True, capture_output=True)
    assert hygiene.problems(path.read_text(encoding="utf-8")) == []


def test_ruff_format_leaves_a_fmt_off_parameters_cell_alone(tmp_path):
    """Why `# fmt: off`: the formatter would move a long parameter's help comment off its line."""
    long = (
        "year = None  # survey edition; None means the latest in the data\n"
        'comparisons = ["top10", "region", "income_group"]  # benchmarks: topN, region, subregion,'
        " income_group, level_group or a named group"
    )
    nb = _fixed(NOTEBOOKS[0])
    params = hygiene.parameters_cells(nb)[0]
    expected = {}
    for source in (long, f"{hygiene.FMT_OFF}\n{long}"):
        params.source = source
        path = tmp_path / "nb.ipynb"
        path.write_text(hygiene.serialise(nb), encoding="utf-8")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "format",
                "--config",
                str(ROOT / "pyproject.toml"),
                path,
            ],
            check=True,
            capture_output=True,
        )
        cell = hygiene.parameters_cells(_read(path))[0]
        expected[source == long] = cell.source
        helps = {p.name: p.help for p in PythonTranslator.inspect(cell)}
        if source != long:
            assert cell.source == source
            assert helps["comparisons"].startswith("benchmarks: topN")
    assert expected[True] != long, "without `# fmt: off` ruff rewrites the parameters cell"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def git_repo(tmp_path):
    """A repository with this project's filter setup (Makefile, .gitattributes, tools, .venv)."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.fail("git and make are needed (both are on every CI machine)")
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    for name in ("Makefile", ".gitattributes"):
        shutil.copy(ROOT / name, repo / name)
    for name in ("nbstripout-filter", "notebook_hygiene.py"):
        shutil.copy2(ROOT / "tools" / name, repo / "tools" / name)
    # The filter runs the work tree's .venv: here, the environment running the tests.
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (repo / ".gitignore").write_text(".venv\n")
    _git(repo, "init", "-q")
    return repo


def test_git_filter_strips_outputs_and_a_fresh_clone_works_without_it(git_repo, tmp_path):
    repo = git_repo
    subprocess.run(["make", "-s", "git-filter"], cwd=repo, check=True, capture_output=True)
    clean = _fixed(NOTEBOOKS[0])
    run = copy.deepcopy(clean)  # as saved after Run All on another 3.11 patch release
    code = next(c for c in run.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="output\n")]
    code.execution_count = 1
    run.metadata.language_info.version = "3.11.9"
    nb_path = repo / "notebooks" / "nb.ipynb"
    nb_path.write_text(hygiene.serialise(run), encoding="utf-8")

    _git(repo, "add", ".")
    staged = _git(repo, "show", ":notebooks/nb.ipynb")
    # The filter sets metadata and strips outputs, but never edits a cell's source.
    assert staged == hygiene.serialise(hygiene.strip(run)) == hygiene.serialise(clean)
    _git(repo, "commit", "-q", "-m", "notebook")
    # The work tree still holds the outputs: no content change for git (diff and add).
    assert _git(repo, "diff") == ""
    _git(repo, "add", ".")
    assert _git(repo, "status", "--porcelain") == ""

    # The committed form, saved again (as JupyterLab would): nothing to commit.
    nb_path.write_text(hygiene.serialise(clean), encoding="utf-8")
    _git(repo, "add", ".")
    assert _git(repo, "status", "--porcelain") == ""
    os.utime(nb_path, (1e9, 1e9))  # same bytes, new mtime: git re-reads through the filter
    nb_path.write_text(hygiene.serialise(clean), encoding="utf-8")
    assert _git(repo, "status", "--porcelain") == ""

    # A clone has no filter config (git config is not cloned): everything still works.
    clone = tmp_path / "clone"
    subprocess.run([*GIT, "clone", "-q", str(repo), str(clone)], check=True)
    config_out = subprocess.run(
        ["git", "-C", str(clone), "config", "--get", "filter.nbstripout.clean"],
        capture_output=True,
        text=True,
    )
    assert config_out.returncode == 1, "filter settings are not cloned"
    assert _git(clone, "status", "--porcelain") == ""
    (clone / "notebooks" / "nb.ipynb").write_text(hygiene.serialise(run), encoding="utf-8")
    _git(clone, "add", ".")  # no filter configured: staged as is, no error
    assert '"output\\n"' in _git(clone, "show", ":notebooks/nb.ipynb")


def test_filter_script_passes_notebooks_through_without_a_venv(git_repo):
    (git_repo / ".venv").unlink()
    text = hygiene.serialise(_fixed(NOTEBOOKS[0]))
    out = subprocess.run(
        [str(git_repo / "tools" / "nbstripout-filter")],
        cwd=git_repo,
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == text
    assert "run make setup" in out.stderr
