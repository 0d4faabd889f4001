"""One figure style: no global settings changed at import, every figure built in the style."""

from __future__ import annotations

import ast
import subprocess
import sys

import matplotlib as mpl

from egovlib import config, plots


def test_importing_egovlib_changes_no_matplotlib_setting():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import egovlib, egovlib.standing, egovlib.twinning, egovlib.overview, egovlib.brief, "
        "egovlib.models.figures, egovlib.engine.figures; "
        "changed = [k for k, v in mpl.rcParams.items() if before[k] != v]; print(changed)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_style_applies_inside_and_not_after():
    before = mpl.rcParams["axes.titlelocation"]
    with plots.figure_style():
        assert mpl.rcParams["axes.titlelocation"] == "left"
        assert not mpl.rcParams["axes.spines.top"]
    assert mpl.rcParams["axes.titlelocation"] == before


def test_every_figure_function_is_built_in_the_house_style():
    """A public function that creates a matplotlib figure must be decorated with `plots.styled`
    (or build it inside `plots.figure_style()`), so that no figure depends on global state."""
    unstyled = []
    for path in sorted(config.PACKAGE_DIR.rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            body = ast.get_source_segment(src, node) or ""
            if "plt.subplots(" not in body and "plt.figure(" not in body:
                continue
            decorators = {ast.unparse(d) for d in node.decorator_list}
            if not decorators & {"styled", "plots.styled"} and "figure_style()" not in body:
                unstyled.append(f"{path.relative_to(config.PACKAGE_DIR)}:{node.name}")
    assert not unstyled, f"decorate with plots.styled: {unstyled}"
