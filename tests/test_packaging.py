"""Packaging: environment.yml and pyproject.toml agree; CI runs the README test command."""

from __future__ import annotations

import re
import tomllib

import yaml

from egovlib import config


def _norm(req: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    """environment.yml lists the runtime dependencies and the `test` extra, same bounds."""
    pyproject = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    deps = dict(
        _norm(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]
    )
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text())
    conda = {}
    for d in env["dependencies"]:
        if isinstance(d, str):
            name, spec = _norm(d.replace("=", "==", 1) if re.match(r"^\w+=[^=]", d) else d)
            if name not in ("python", "pip"):
                conda[name] = spec
    assert conda == deps
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ["-e ."]


def test_ci_runs_the_readme_test_command():
    readme = (config.REPO_ROOT / "README.md").read_text()
    ci = (config.REPO_ROOT / ".ci" / "run").read_text()
    blocks = re.findall(r"```bash\n(.+?)\n```", readme, flags=re.S)
    assert blocks[:2] == ["make report", "make test"], "README must open with the two commands"
    assert re.search(r"^make test$", ci, flags=re.M)


def test_outputs_ignored_and_no_raw_data_committed():
    ignore = (config.REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "outputs/*" in ignore and "data/raw/*" in ignore


def test_test_and_lint_tools_are_extras_not_runtime_dependencies():
    project = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_norm(d)[0] for d in project["dependencies"]}
    extras = {
        e: {_norm(d)[0] for d in reqs} for e, reqs in project["optional-dependencies"].items()
    }
    tools = {"pytest", "ruff", "mypy", "pre-commit", "nbstripout", "uv"}
    assert not runtime & tools
    assert "pytest" in extras["test"]
    assert {"ruff", "mypy", "pre-commit", "nbstripout", "uv"} <= extras["dev"]


def test_ci_lints_before_it_tests():
    ci = (config.REPO_ROOT / ".ci" / "run").read_text()
    steps = re.findall(r"^make (\S+)$", ci, flags=re.M)
    assert steps == ["lint", "test"]
