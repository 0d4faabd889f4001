"""One figure style: no global settings changed at import, every figure built in the style."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import matplotlib as mpl

from egovlib import config, plots


#: Imports every egovlib module and what the kernel server imports ahead, then prints what
#: changed: matplotlib settings, pandas options, numpy's global random state, the environment.
IMPORT_STATE = """
import json, os, pkgutil, importlib, sys
import matplotlib as mpl, numpy as np, pandas as pd
def options(o, prefix=""):
    out = {}
    for k in dir(o):
        v = getattr(o, k)
        out.update(options(v, prefix + k + ".") if type(v).__name__ == "DictWrapper"
                   else {prefix + k: repr(v)})
    return out
def state():
    return {"rc": {k: repr(v) for k, v in mpl.rcParams.items()}, "pd": options(pd.options),
            "rng": repr(np.random.get_state()[1][:8].tolist()), "env": dict(os.environ)}
before = state()
import egovlib
from egovlib.runner.kernels import PREIMPORTS
names = [m.name for m in pkgutil.walk_packages(egovlib.__path__, "egovlib.")
         if not m.name.startswith("egovlib.runner")]
for name in [*PREIMPORTS, *names]:
    importlib.import_module(name)
after = state()
print(json.dumps({part: sorted(k for k in set(before[part]) | set(after[part])
                               if before[part].get(k) != after[part].get(k))
                  if isinstance(before[part], dict) else before[part] != after[part]
                  for part in before}))
"""


def test_importing_egovlib_changes_no_visible_state():
    """The kernel server imports egovlib's modules a batch's notebooks use before a notebook is
    assigned (egov run); a notebook must not be able to tell: no import changes a matplotlib
    setting, a pandas option, numpy's global random state or an environment variable."""
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", IMPORT_STATE],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "rc": [],
        "pd": [],
        "rng": False,
        "env": [],
    }, out.stdout


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
