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


def _content_box(png: bytes):
    """Image size and the (left, top, right, bottom) margins of its non-white pixels."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    ink = (pixels < 250).any(axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    h, w = ink.shape
    return (w, h), (cols[0], rows[0], w - 1 - cols[-1], h - 1 - rows[-1]), pixels


def _saved_tight(fig, dpi):
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _finished_figure(legend_outside: str | None = None):
    import matplotlib.pyplot as plt

    with plots.figure_style():
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([2003, 2024], [0.2, 0.9], label="a line with a long legend entry")
        ax.set_yticks([0.2, 0.9], ["a long tick label on the left side", "0.9"])
        ax.set_xlabel("Survey edition")
        if legend_outside == "axes":  # outside the axes, inside the figure (tight_layout fits it)
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        plots.finish(
            fig,
            "A title that says what the figure shows",
            "Source: a source line long enough to need most of the width of the figure.",
            subtitle="One line under the title",
        )
        if legend_outside == "figure":  # beyond the canvas: only an enlarged canvas shows it
            fig.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def test_png_is_the_tight_picture_with_nothing_cropped():
    """`png_bytes` draws a finished figure once and crops it like savefig(bbox_inches="tight"):
    the same size and picture, the title (top-left) and the source line (bottom) inside it with
    a white margin on every side."""
    import matplotlib.pyplot as plt
    import numpy as np

    for legend in (None, "axes"):
        fig = _finished_figure(legend)
        ours, theirs = plots.png_bytes(fig, 220), _saved_tight(fig, 220)
        (size, margins, pixels), (size_t, _, pixels_t) = _content_box(ours), _content_box(theirs)
        assert abs(size[0] - size_t[0]) <= 1 and abs(size[1] - size_t[1]) <= 1, (size, size_t)
        assert all(m >= 10 for m in margins), margins  # ~0.1 inch of white on each side
        h, w = min(size[1], size_t[1]), min(size[0], size_t[0])
        assert np.abs(pixels[:h, :w] - pixels_t[:h, :w]).mean() < 6  # the same picture
        # The suptitle starts near the top-left corner and the source line is the lowest ink.
        assert margins[0] < 40 and margins[1] < 40 and margins[3] < 40
        plt.close(fig)


def test_png_encoding_is_lossless_and_readable_like_pillows():
    """`plots.encode_png` (zlib, unfiltered rows) gives the pixels, size, mode and dpi Pillow's
    own PNG gives: RGB and RGBA, a drawn chart and random noise (the worst case for
    compression), odd sizes, one pixel."""
    import io

    import numpy as np
    import pytest
    from PIL import Image

    fig = _finished_figure()
    canvas = fig.canvas
    canvas.draw()
    chart = np.asarray(canvas.buffer_rgba()).copy()
    rng = np.random.default_rng(1)
    cases = [
        chart,  # RGBA
        np.ascontiguousarray(chart[..., :3]),  # RGB
        chart[5:-3, 7:-2, :3],  # a crop: not contiguous in memory
        rng.integers(0, 256, (37, 53, 4), dtype=np.uint8),
        rng.integers(0, 256, (1, 1, 3), dtype=np.uint8),
    ]
    for pixels in cases:
        ours, theirs = Image.open(io.BytesIO(plots.encode_png(pixels, 196))), io.BytesIO()
        Image.fromarray(pixels).save(theirs, format="png", dpi=(196, 196))
        theirs = Image.open(theirs)
        assert ours.mode == theirs.mode == ("RGBA" if pixels.shape[2] == 4 else "RGB")
        assert ours.size == theirs.size == (pixels.shape[1], pixels.shape[0])
        assert ours.info["dpi"] == theirs.info["dpi"]
        assert np.array_equal(np.asarray(ours), pixels)
        assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    with pytest.raises(ValueError, match="need uint8 RGB"):
        plots.encode_png(chart[..., :2], 110)
    with pytest.raises(ValueError, match="need uint8 RGB"):
        plots.encode_png(chart.astype(float), 110)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_png_keeps_content_that_reaches_beyond_the_canvas():
    """A legend placed outside the figure enlarges the image (as savefig's tight box does)."""
    import matplotlib.pyplot as plt

    fig = _finished_figure("figure")
    canvas_width = fig.get_figwidth() * 110
    (w, h), margins, _ = _content_box(plots.png_bytes(fig, 110))
    assert w > canvas_width + 50, (w, canvas_width)  # the legend is in the picture
    assert (w, h) == _content_box(_saved_tight(fig, 110))[0]
    assert all(m >= 5 for m in margins), margins
    plt.close(fig)


def test_png_leaves_the_figure_as_it_was():
    import matplotlib.pyplot as plt

    fig = _finished_figure()
    dpi, face, canvas = fig.dpi, fig.get_facecolor(), fig.canvas
    texts = [(t.get_text(), t.get_wrap()) for t in fig.texts]
    assert (plots.figure_source(fig), True) in texts  # the source line, wrapped by matplotlib
    plots.png_bytes(fig, 2 * dpi)
    assert (fig.dpi, fig.get_facecolor(), fig.canvas) == (dpi, face, canvas)
    assert [(t.get_text(), t.get_wrap()) for t in fig.texts] == texts
    plt.close(fig)


def test_a_scale_text_under_a_fixed_title_is_refused():
    """Titles stay at the top of their axes (``axes.titley``: matplotlib no longer measures
    every tick label to move them): a y-axis scale ("1e7") that would sit under the title is
    an error naming the fix; the same chart in millions is fine."""
    import matplotlib.pyplot as plt
    import pytest

    assert plots.style_rc()["axes.titley"] == 1.0
    for scale, refused in ((1e7, True), (1, False)):
        with plots.figure_style():
            fig, ax = plt.subplots()
            ax.plot([0, 1], [scale, 3 * scale])
            ax.set_title("Population")
            plots.finish(fig, "Population of a country", "Source: test.")
        if refused:
            with pytest.raises(ValueError, match="scale '1e7' would run into the axes title"):
                plots.png_bytes(fig, 110)
        else:
            assert plots.png_bytes(fig, 110).startswith(b"\x89PNG")
        plt.close(fig)


def test_one_pass_tight_layout_places_the_axes_as_matplotlibs_two_passes():
    """`plots.tight_layout_in` gives the subplot parameters of ``fig.tight_layout(rect=...)``
    on the layouts the reports use (one axes, a colorbar, rows, columns, a grid, long tick
    labels), and leaves a layout matplotlib refuses to matplotlib (which warns)."""
    import warnings

    import matplotlib.pyplot as plt
    import numpy as np
    import pytest

    def figure(rows, cols, colorbar=False, long_labels=False, height=5.0):
        with plots.figure_style():
            fig, axes = plt.subplots(rows, cols, figsize=(9, height), squeeze=False)
            for k, ax in enumerate(axes.flat):
                ax.plot(np.arange(5), np.arange(5) ** (k + 1))
                ax.set(title=f"Panel {k}", xlabel="Survey edition", ylabel="Score (0-1)")
                if long_labels:
                    ax.set_yticks(range(5), [f"A rather long country name {i}" for i in range(5)])
            if colorbar:
                mesh = axes[0, 0].pcolormesh(np.random.default_rng(0).random((4, 4)))
                fig.colorbar(mesh, ax=axes[0, 0], label="% of countries")
            fig.suptitle("Title", x=0.01, ha="left")
        return fig

    layouts = [(1, 1), (1, 1, True), (1, 2), (2, 1), (2, 2), (1, 3, False, True), (2, 2, True)]
    for layout in layouts:
        rect = (0.03, 0.32 / 5, 0.97, 1 - 0.48 / 5)  # the reports use 0 and 1 left and right
        ours, theirs = figure(*layout), figure(*layout)
        plots.tight_layout_in(ours, rect)
        theirs.tight_layout(rect=rect)
        for name in ("left", "bottom", "right", "top", "wspace", "hspace"):
            a, b = getattr(ours.subplotpars, name), getattr(theirs.subplotpars, name)
            assert a == pytest.approx(b, rel=1e-9, abs=1e-12), (layout, name, a, b)
        plt.close(ours)
        plt.close(theirs)
    # Too short for its decorations: matplotlib refuses and warns; so does the one-pass layout.
    short = figure(3, 1, height=1.2)
    before = [getattr(short.subplotpars, n) for n in ("left", "bottom", "right", "top")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plots.tight_layout_in(short, (0, 0.3, 1, 0.7))
    assert any("Tight layout not applied" in str(w.message) for w in caught)
    assert [getattr(short.subplotpars, n) for n in ("left", "bottom", "right", "top")] == before
    plt.close(short)


def test_wrapping_once_gives_matplotlibs_lines():
    """`plots.wrap_once` breaks a source line where matplotlib's ``wrap=True`` does (checked
    against matplotlib's own wrapping of the same text on the same canvas), on widths and texts
    that need none, one or several breaks, a forced newline, a word wider than the figure and
    double spaces; mathtext and centred texts are left to matplotlib."""
    import matplotlib.pyplot as plt

    words = "Source: UN DESA; UNDP Human Development Report Office; World Bank; ITU (2024)."
    texts = [
        "Source: a short line.",
        words,
        " ".join([words] * 3),
        words + "\n" + words,
        "A Wordthatisfarwiderthananyfigurecouldeverbeatthisfontsizeandresolutionofcourse x",
        "two  spaces  between  words " * 6,
    ]
    for width in (3.0, 7.5, 13.0):
        for content in texts:
            fig = plt.figure(figsize=(width, 3), dpi=150)
            ours = fig.text(0.01, 0.1, content, fontsize=8.5, style="italic", wrap=True)
            theirs = fig.text(0.01, 0.5, content, fontsize=8.5, style="italic", wrap=True)
            renderer = fig.canvas.get_renderer()
            theirs._renderer = renderer  # what a draw sets before matplotlib wraps
            plots.wrap_once(ours, renderer)
            assert not ours.get_wrap()
            assert ours.get_text() == theirs._get_wrapped_text(), (width, content)
            plt.close(fig)
    fig = plt.figure(figsize=(3, 3))
    for kw in ({"ha": "center"}, {"rotation": 90}):
        kept = fig.text(0.5, 0.5, " ".join([words] * 3), wrap=True, **kw)
        plots.wrap_once(kept, fig.canvas.get_renderer())
        assert kept.get_wrap() and "\n" not in kept.get_text()
    math = fig.text(0.01, 0.5, "costs $x^2$ " * 20, wrap=True)
    plots.wrap_once(math, fig.canvas.get_renderer())
    assert math.get_wrap() and "\n" not in math.get_text()
    plt.close(fig)
