"""The files users expect: licence, citation, changelog, one version."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import metadata

import jsonschema
import yaml

import egovlib
from egovlib import config

ROOT = config.REPO_ROOT
#: The CFF 1.2.0 JSON schema, as shipped in cffconvert 2.0.0 (cffconvert itself pins
#: jsonschema 3, which conflicts with jupyterlab, so it is not in the lock).
CFF_SCHEMA = ROOT / "tests" / "data" / "cff-1.2.0.schema.json"


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_version_is_written_once():
    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "egovlib.__version__"
    }
    assert metadata.version("egovlib") == egovlib.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", egovlib.__version__)


def test_licence_is_mit_as_pyproject_says():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 ")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_citation_is_valid_cff_1_2_0():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    schema = json.loads(CFF_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(cff)]
    assert not errors
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == egovlib.__version__
    assert cff["license"] == _pyproject()["project"]["license"]
    # The same holder in the licence and the citation (reports cite the CFF authors).
    holder = re.search(r"^Copyright \(c\) \d{4} (.+)$", (ROOT / "LICENSE").read_text(), re.M)
    assert [a["name"] for a in cff["authors"]] == [holder.group(1)]


def test_cff_schema_catches_a_broken_citation():
    """The vendored schema is the real one: a bad date, licence and missing authors fail."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    cff["date-released"] = "2026-13-40"
    cff["license"] = "MIT-ish"
    del cff["authors"]
    validator = jsonschema.Draft7Validator(
        json.loads(CFF_SCHEMA.read_text()),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    assert len(list(validator.iter_errors(cff))) >= 3


def test_changelog_keeps_a_changelog_and_its_newest_release_is_the_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, flags=re.M)
    assert headings[0] == ("Unreleased", ""), "the first section is [Unreleased]"
    releases = headings[1:]
    assert releases and all(date for _, date in releases), "every release has a date"
    assert releases[0][0] == egovlib.__version__
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["date-released"] == releases[0][1]
    sections = set(re.findall(r"^### (\w+)$", text, flags=re.M))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
