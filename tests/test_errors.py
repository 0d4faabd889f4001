"""Errors are one line: on the command line, and in JupyterLab instead of a traceback."""

from __future__ import annotations

import re

import nbformat
from nbclient import NotebookClient

from egovlib.errors import DataError, EgovError, SpecError

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_data_error_is_one_line_with_file_problem_and_fix():
    e = DataError("data/x.csv", "value 'n/a' in column `egdi`\n  on line 3", "restore it")
    assert str(e) == "data/x.csv: value 'n/a' in column `egdi` on line 3. Fix: restore it"
    assert (e.file, e.fix) == ("data/x.csv", "restore it")


def test_render_traceback_is_the_message():
    e = SpecError("unknown country 'Bahrein'. Fix: use BHR")
    assert [ANSI.sub("", line) for line in e._render_traceback_()] == [
        "SpecError: unknown country 'Bahrein'. Fix: use BHR"
    ]


def test_jupyter_kernel_shows_one_line_not_a_traceback(tmp_path):
    """What JupyterLab receives from the kernel: the error's message, not 40 lines of stack."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from egovlib.sources import load_catalogue\n"
            f"load_catalogue({str(tmp_path / 'missing.yml')!r})"
        ),
        nbformat.v4.new_code_cell("1 / 0"),  # other errors keep their usual traceback
    ]
    NotebookClient(nb, timeout=120, allow_errors=True, kernel_name="python3").execute(
        cwd=str(tmp_path)
    )
    (err,) = nb.cells[0].outputs
    assert err.output_type == "error" and err.ename == "DataError"
    assert len(err.traceback) == 1, err.traceback
    shown = ANSI.sub("", err.traceback[0])
    assert shown.startswith(f"DataError: {tmp_path / 'missing.yml'}: cannot read the data")
    assert "Fix:" in shown and "Traceback" not in shown
    assert len(nb.cells[1].outputs[0].traceback) > 1


def test_every_egovlib_error_renders_as_one_line():
    for cls in (EgovError, SpecError):
        assert len(cls("x. Fix: y")._render_traceback_()) == 1
    assert len(DataError(None, "x", "y")._render_traceback_()) == 1
