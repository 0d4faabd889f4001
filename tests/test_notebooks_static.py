"""Notebook conventions: one documented parameters cell, no committed outputs, thin cells."""

from __future__ import annotations

import ast

import nbformat
import pytest
from papermill.translators import PythonTranslator

from egovlib import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_the_brief_and_the_six_reports_exist():
    prefixes = [p.name[:2] for p in NOTEBOOKS]
    assert prefixes == ["00", "01", "02", "03", "04", "05", "06"], [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_documented_and_parsable(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged `parameters`"
    cell = cells[0]
    assigned = [
        t.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
    ]
    parsed = PythonTranslator.inspect(cell)
    assert [p.name for p in parsed] == assigned, "papermill must parse every parameter line"
    assert "year" in assigned
    undocumented = [p.name for p in parsed if not p.help.strip()]
    assert not undocumented, f"parameters without a comment: {undocumented}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_starts_with_a_title(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("# ")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin(path):
    """Logic lives in egovlib: no function or class definitions, no long code cells."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defs = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defs, f"move {defs} into egovlib"
        assert len(cell.source.splitlines()) <= 40, "a long code cell belongs in egovlib"
