"""Notebooks as JupyterLab saves them, without outputs: check, fix, or filter for git.

A committed notebook must be byte for byte what JupyterLab would save on the project's Python
(so opening it changes nothing and autosave has nothing to write: JupyterLab only marks a
notebook dirty when the kernel's metadata differs from the file's), with no outputs or execution
counts, no cell metadata but papermill's ``tags``, and a ``parameters`` cell whose first line is
``# fmt: off`` (so ``ruff format`` keeps each parameter on one line with its help comment).

    python tools/notebook_hygiene.py notebooks/*.ipynb         # check; exit 1 listing problems
    python tools/notebook_hygiene.py --fix notebooks/*.ipynb   # rewrite them in that form
    python tools/notebook_hygiene.py --filter < nb.ipynb       # git clean filter (stdout)

The git filter (``make setup``, ``tools/nbstripout-filter``) strips outputs with nbstripout and
sets the notebook metadata; it never edits cell sources (only ``--fix`` adds ``# fmt: off``).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import nbformat
from nbstripout import strip_output

#: What JupyterLab writes for the kernel `make setup` installs (name python3, display name below).
KERNELSPEC = {"display_name": "Python 3 (egovlib)", "language": "python", "name": "python3"}
#: ipykernel's kernel_info reply on the project's Python (CI and `make setup` on this team's
#: machines: CPython 3.11.7). tests/test_notebook_hygiene.py compares it with a live kernel.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}
METADATA = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
#: Cell metadata a committed notebook may carry: papermill's `parameters` tag.
CELL_METADATA_KEYS = {"tags"}
FMT_OFF = "# fmt: off"


def serialise(nb: nbformat.NotebookNode) -> str:
    """The file text jupyter_server writes for a notebook (nbformat.write: JSON, newline)."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def parameters_cells(nb: nbformat.NotebookNode) -> list:
    """The cells tagged ``parameters`` (papermill injects its values after such a cell)."""
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def problems(text: str) -> list[str]:
    """What differs from the committed form (an empty list: the notebook is clean)."""
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        return [f"not a notebook: {exc}"]
    found = _metadata_problems(nb) + _cell_problems(nb)
    if not found and text != serialise(nb):
        found.append("not in the JSON layout JupyterLab saves (nbformat.write)")
    return found


def _metadata_problems(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    if (nb.nbformat, nb.nbformat_minor) != (4, 5):
        found.append(f"nbformat {nb.nbformat}.{nb.nbformat_minor}, JupyterLab 4 writes 4.5")
    for key in sorted(set(nb.metadata) | set(METADATA)):
        if nb.metadata.get(key) != METADATA.get(key):
            found.append(
                f"metadata.{key} is {json.dumps(nb.metadata.get(key), sort_keys=True)}, "
                f"JupyterLab writes {json.dumps(METADATA.get(key), sort_keys=True)}"
            )
    return found


def _cell_problems(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            found.append(f"cell {i}: has outputs or an execution count")
        extra = set(cell.get("metadata", {})) - CELL_METADATA_KEYS
        if extra:
            found.append(f"cell {i}: cell metadata {sorted(extra)} (only {CELL_METADATA_KEYS})")
    for cell in parameters_cells(nb):
        if cell.source.splitlines()[:1] != [FMT_OFF]:
            found.append(f"parameters cell does not start with `{FMT_OFF}`")
    return found


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs, execution counts and UI state removed (nbstripout), metadata set as JupyterLab's."""
    nb = strip_output(
        copy.deepcopy(nb),
        keep_output=False,
        keep_count=False,
        keep_id=True,  # ids stay as committed (nbstripout would renumber them)
    )
    for cell in nb.cells:
        cell.metadata = {
            k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA_KEYS
        }
    nb.metadata = copy.deepcopy(METADATA)
    return nb


def fix(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`strip`, plus ``# fmt: off`` as the first line of the parameters cell."""
    nb = strip(nb)
    for cell in parameters_cells(nb):
        if cell.source.splitlines()[:1] != [FMT_OFF]:
            cell.source = f"{FMT_OFF}\n{cell.source}"
    return nb


def main(argv: list[str]) -> int:
    """Command line (see the module docstring)."""
    if argv[:1] == ["--filter"]:
        text = sys.stdin.read()
        try:
            nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        except Exception as exc:  # a half-merged file: give git the file as it is
            print(f"notebook_hygiene --filter: not a notebook ({exc}); left as is", file=sys.stderr)
            sys.stdout.write(text)
            return 0
        sys.stdout.write(serialise(strip(nb)))
        return 0
    fixing = argv[:1] == ["--fix"]
    paths = [Path(a) for a in argv[1:] if fixing] or [Path(a) for a in argv]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if fixing:
            new = serialise(fix(nbformat.reads(text, as_version=nbformat.NO_CONVERT)))
            if new != text:
                path.write_text(new, encoding="utf-8")
                print(f"{path}: rewritten")
            continue
        for problem in problems(text):
            print(f"{path}: {problem}. Fix: make notebooks-fix", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
