"""One figure style for every notebook: titles, labelled axes with units, a source line."""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Iterable, Iterator

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.rcsetup import cycler  # validated cycler, typed (matplotlib.cycler is not)

from .sources import load_catalogue

#: Colour of the focus country in every chart; peers get the muted palette.
FOCUS_COLOUR = "#c0392b"
PEER_COLOUR = "#7f8c8d"
FRONTIER_COLOUR = "#1f4e79"
PALETTE = "colorblind"


#: Resolution of figure images relative to the figure's own dpi: sharp on screens and in print.
FIGURE_SCALE = 2
#: Width of the report's text column in CSS pixels (``--egov-width`` in templates/report.css):
#: no figure is shown wider, so a wider figure's image needs no more than FIGURE_SCALE times it.
PAGE_WIDTH = 980

#: Matplotlib settings of the project style (on top of seaborn's "whitegrid" theme).
STYLE_RC = {
    "figure.figsize": (9, 5),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    # Titles sit at the top of their axes, and matplotlib is not asked on every draw and layout
    # pass whether tick labels above the axes push them up (none of our figures has any): that
    # check measures every y tick label each time, ~15% of drawing a heatmap. Same images.
    "axes.titley": 1.0,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "figure.autolayout": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def style_rc() -> dict:
    """The full set of matplotlib settings of the project style (seaborn theme + `STYLE_RC`)."""
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    rc["axes.prop_cycle"] = cycler(color=sns.color_palette(PALETTE))
    return {**rc, **STYLE_RC}


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Build figures in the project style without changing global settings.

    Importing `egovlib` changes no matplotlib setting; a figure function builds its figure inside
    ``with figure_style():`` (or is decorated with `styled`), so the style applies to that
    figure only and nothing leaks into the next notebook or the user's own charts.
    """
    with mpl.rc_context(style_rc()):
        yield


def styled(func):
    """Decorator: run a figure-building function inside `figure_style`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with figure_style():
            return func(*args, **kwargs)

    return wrapper


def use_style() -> None:
    """Apply the project style globally (for interactive work; library figures do not need it).

    Titles then stay at the top of their axes (``axes.titley``): a chart with a y-axis scale
    text ("1e6") needs its values in another unit, or its title would cover that text.
    """
    mpl.rcParams.update(style_rc())


def source_text(source_ids: Iterable[str]) -> str:
    """Source line from catalogue ids: publisher and title, e.g. for `add_source`."""
    cat = load_catalogue()
    seen: list[str] = []
    for sid in source_ids:
        src = cat[sid]
        label = f"{src.publisher.split(',')[0].split(' (')[0]}"
        if label not in seen:
            seen.append(label)
    return "Source: " + "; ".join(seen) + "."


def strip_dots(
    ax: plt.Axes, rows: Iterable, *, spread: float = 0.2, seed: int = 0, **scatter_kw
) -> None:
    """Dots of every observation around each category row, with seeded vertical jitter.

    Parameters
    ----------
    ax : matplotlib Axes
    rows : iterable of array-like
        Values of row 0, 1, 2, ... (drawn at y = 0, 1, 2, ...).
    spread : float
        Half-height of the jitter band.
    seed : int
        Seed of the jitter, so that a report draws the same figure on every run (seaborn's
        stripplot uses numpy's global generator instead).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    kw = {"color": PEER_COLOUR, "s": 8, "alpha": 0.45, "linewidths": 0, "zorder": 3, **scatter_kw}
    for k, values in enumerate(rows):
        values = np.asarray(values, dtype=float)
        ax.scatter(values, k + rng.uniform(-spread, spread, len(values)), **kw)


def finish(
    fig: plt.Figure, title: str, source: str | Iterable[str], *, subtitle: str | None = None
) -> plt.Figure:
    """Give a figure its title, optional subtitle and a source line, then tidy the layout.

    Parameters
    ----------
    fig : matplotlib Figure
    title : str
        What the figure shows, in words.
    source : str or list of str
        Free text, or catalogue file ids turned into a source line by `source_text`.
    subtitle : str, optional
        One line under the title (e.g. edition, sample size, how to read the chart).
    """
    text = source if isinstance(source, str) else source_text(source)
    # Positions in inches, converted to figure fractions, so tall and short figures get the same
    # spacing between title, subtitle, axes and source line.
    height = fig.get_figheight()
    title_y = 1 - 0.12 / height
    fig.suptitle(title, x=0.01, y=title_y, ha="left", va="top", fontsize=14, fontweight="bold")
    top_inches = 0.3
    if subtitle:
        n_lines = subtitle.count("\n") + 1
        fig.text(
            0.01, 1 - 0.45 / height, subtitle, ha="left", va="top", fontsize=10, color="#444444"
        )
        top_inches += 0.18 * n_lines
    fig.text(
        0.01,
        0.08 / height,
        text,
        ha="left",
        va="bottom",
        fontsize=8.5,
        color="#555555",
        style="italic",
        wrap=True,
    )
    rect = (0, 0.32 / height, 1, 1 - top_inches / height)
    if _own_agg_canvas(fig) is not None:
        # Laid out at the resolution the report draws it at, on the canvas that will draw it:
        # the drawing then reuses the text sizes the layout measured (matplotlib keeps them per
        # renderer and dpi), instead of measuring every label again.
        with _at_dpi(fig, image_dpi(fig)):
            tight_layout_in(fig, rect)
    else:
        tight_layout_in(fig, rect)
    _SOURCES[fig] = text  # repeated as HTML text under the image by `report.show_figure`
    return fig


_SUBPLOT_PARAMS = ("left", "bottom", "right", "top", "wspace", "hspace")


def wrap_once(text: mpl.text.Text, renderer) -> None:
    """Break a ``wrap=True`` text into the lines matplotlib would draw, once, and fix them.

    Matplotlib wraps such a text again at every layout pass and every draw, measuring longer
    and longer runs of words from the start of each line until one is too wide: about thirty
    measurements of new strings for a report's source line, the largest text cost of drawing a
    figure (each new string is laid out by FreeType). Here the longest run that fits is found
    by bisection (a run's width grows with its words), with matplotlib's own rule: the line
    width is the distance from the text to the figure's right edge, widths are rounded up to
    whole pixels, a line keeps its first word even when that is too wide, and newlines in the
    text always break. The lines are then set as the text, with ``wrap`` off (`png_bytes` does
    this for one drawing, at its resolution, and gives the text back afterwards). Only
    left-aligned, unrotated, non-mathtext texts are handled; any other is left to matplotlib.
    ``tests/test_plots.py`` checks the lines against matplotlib's wrapping.
    """
    import math

    from matplotlib import cbook

    content = text.get_text()
    if not text.get_wrap() or text.get_usetex() or cbook.is_math_text(content):
        return
    if text.get_horizontalalignment() != "left" or text.get_rotation() != 0:
        return
    fig = text.get_figure(root=True)
    if fig is None:
        return
    x0 = text.get_transform().transform(text.get_position())[0]
    line_width = fig.get_window_extent().x1 - x0
    prop = text.get_fontproperties()

    def fits(words: list[str]) -> bool:
        line = " ".join(words)
        width, _, _ = renderer.get_text_width_height_descent(line, prop, cbook.is_math_text(line))
        return math.ceil(width) <= line_width

    lines = []
    for paragraph in content.split("\n"):
        words = paragraph.split(" ")
        while words:
            ok, bad = 1, len(words)  # words[:ok] is a line (at least a word); words[:bad] is not
            if fits(words):
                ok = bad
            while bad - ok > 1:
                mid = (ok + bad) // 2
                ok, bad = (mid, bad) if fits(words[:mid]) else (ok, mid)
            lines.append(" ".join(words[:ok]))
            words = words[ok:]
    text.set_text("\n".join(lines))
    text.set_wrap(False)
    text.set_rotation_mode("anchor")  # as matplotlib's wrapping leaves it (no effect at 0°)


def image_dpi(fig: plt.Figure) -> float:
    """The resolution `report.show_figure` draws ``fig`` at.

    `FIGURE_SCALE` device pixels per CSS pixel, however wide the page shows it: a figure wider
    than the column (at most `PAGE_WIDTH` CSS pixels) is drawn at the resolution the page can
    show, not more (drawing and compressing pixels no screen shows took most of the time).
    """
    return min(fig.dpi * FIGURE_SCALE, FIGURE_SCALE * PAGE_WIDTH / fig.get_figwidth())


def _own_agg_canvas(fig: plt.Figure):
    """``fig``'s own canvas if it is the off-screen Agg canvas `png_bytes` draws with, else None.

    It is under the notebook's inline backend and ``agg``; an interactive window's canvas is
    left alone (changing its figure's dpi would resize the window).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    return canvas if type(canvas) is FigureCanvasAgg else None


@contextlib.contextmanager
def _at_dpi(fig: plt.Figure, dpi: float) -> Iterator[None]:
    old = fig.dpi
    fig.dpi = dpi
    try:
        yield
    finally:
        fig.dpi = old


def tight_layout_in(fig: plt.Figure, rect: tuple[float, float, float, float]) -> None:
    """``fig.tight_layout(rect=rect)`` with one measuring pass instead of two.

    Given a ``rect``, matplotlib's tight layout measures every axes' decorations twice: once to
    find the margins, then again, unchanged (the axes have not moved yet), to place them in the
    shrunken rectangle. Measuring is most of a layout's cost (each tick label is laid out
    again). Here matplotlib's own tight layout measures once, without a ``rect``, and its
    second step is done on the subplot parameters it set: the same arithmetic as
    ``matplotlib._tight_layout.get_tight_layout_figure`` (matplotlib has no public function
    for it; ``tests/test_plots.py`` checks the result against ``fig.tight_layout(rect=...)`` on
    every figure layout the reports use). Whenever matplotlib would warn (a layout it cannot
    apply, axes it cannot lay out), the figure is laid out by ``fig.tight_layout(rect=rect)``
    itself, warning included.
    """
    import warnings

    pars = fig.subplotpars
    before = {k: getattr(pars, k) for k in _SUBPLOT_PARAMS}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.tight_layout()  # one pass; sets the margins of the whole figure
    after = None if caught else _shrink_into(fig, rect)
    if after is None:
        fig.subplots_adjust(**before)
        fig.tight_layout(rect=rect)
    else:
        fig.subplots_adjust(**after)


def _shrink_into(fig: plt.Figure, rect: tuple[float, float, float, float]) -> dict | None:
    """The subplot parameters of matplotlib's second tight-layout pass, from its first one.

    None when matplotlib's second pass would refuse the layout (margins too large).
    """
    pars = fig.subplotpars
    specs = [ax.get_subplotspec() for ax in fig.axes]
    grids = {s.get_topmost_subplotspec().get_gridspec() for s in specs if s is not None}
    if not grids:
        return None
    rows = max(g.nrows for g in grids)
    cols = max(g.ncols for g in grids)
    # The first pass's margins (figure fractions) and the spaces between subplots it found
    # (the same measurements matplotlib's second pass repeats).
    left, bottom, right, top = rect
    left += pars.left
    bottom += pars.bottom
    right -= 1 - pars.right
    top -= 1 - pars.top
    if not (left and bottom and right and top):
        return None  # matplotlib would measure a margin again
    m_left, m_bottom, m_right, m_top = left, bottom, 1 - right, 1 - top
    if m_left + m_right >= 1 or m_bottom + m_top >= 1:
        return None
    out = {"left": m_left, "right": 1 - m_right, "bottom": m_bottom, "top": 1 - m_top}
    if cols > 1:
        width = (1 - (1 - pars.right) - pars.left) / (cols + pars.wspace * (cols - 1))
        gap = pars.wspace * width  # between columns, figure fraction
        new_width = (1 - m_right - m_left - gap * (cols - 1)) / cols
        if new_width < 0:
            return None
        out["wspace"] = gap / new_width
    if rows > 1:
        height = (1 - (1 - pars.top) - pars.bottom) / (rows + pars.hspace * (rows - 1))
        gap = pars.hspace * height
        new_height = (1 - m_top - m_bottom - gap * (rows - 1)) / rows
        if new_height < 0:
            return None
        out["hspace"] = gap / new_height
    return out


#: zlib level of the figure PNGs (`encode_png`, unfiltered rows). zlib's default (6) takes twice
#: as long for a fifth smaller images: the 17 figures of the 2024 reports, 0.88 s for 2.49 MB at
#: 6, 0.40 s for 3.12 MB at 3 (about 7 s of CPU over `--all-years`, which has no time to spare).
PNG_COMPRESS_LEVEL = 3


def png_bytes(fig: plt.Figure, dpi: float, *, pad_inches: float = 0.1) -> bytes:
    """The figure as PNG bytes, cropped to its content like ``savefig(bbox_inches="tight")``.

    ``savefig(bbox_inches="tight")`` lays the figure out twice before it draws it (a pass with
    drawing disabled to measure the content, then the real draw on a resized canvas). Here the
    figure is drawn once at ``dpi`` on a white background, the content box is measured on that
    drawing (text sizes are cached by then) and the image is cut out of the drawn pixels with
    ``pad_inches`` of margin: the same picture at a fraction of the cost. Content that reaches
    beyond the canvas (e.g. a legend placed outside the figure) would be cut by this, so such a
    figure goes through ``savefig(bbox_inches="tight")``, which enlarges the canvas instead.

    Parameters
    ----------
    fig : matplotlib Figure
    dpi : float
        Resolution of the image.
    pad_inches : float
        White margin around the content (matplotlib's default for tight boxes).
    """
    import io

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    old_canvas, old_dpi, old_face = fig.canvas, fig.dpi, fig.get_facecolor()
    # Wrapped figure texts (the source line) are broken into lines once for this drawing
    # (`wrap_once`), and given back their own text afterwards.
    wrapped = [(t, t.get_text()) for t in fig.texts if t.get_wrap()]
    try:
        # Off-screen, whatever backend the figure was made with: its own canvas when that is
        # the Agg canvas (it holds the text sizes `finish` measured at this dpi), else a new one.
        canvas = _own_agg_canvas(fig) or FigureCanvasAgg(fig)
        fig.dpi = dpi
        fig.set_facecolor("white")
        for text, _ in wrapped:
            wrap_once(text, canvas.get_renderer())
        canvas.draw()
        _check_titles_clear(fig)
        box = fig.get_tightbbox(canvas.get_renderer())  # inches
        pixels = np.asarray(canvas.buffer_rgba())
    finally:
        for text, content in wrapped:
            text.set_text(content)
            text.set_wrap(True)
        fig.dpi = old_dpi
        fig.set_facecolor(old_face)
        fig.set_canvas(old_canvas)
    width, height = fig.get_size_inches()
    slack = 0.5 / dpi  # half a pixel: rounding, not content
    if box.x0 < -slack or box.y0 < -slack or box.x1 > width + slack or box.y1 > height + slack:
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            bbox_inches="tight",
            facecolor="white",
            pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
        )
        return buf.getvalue()
    box = box.padded(pad_inches)
    # The same pixel grid as savefig's: the image starts at the box's corner, and its size is the
    # box's size truncated to whole pixels; the Agg buffer counts rows from the top.
    left, top = round(box.x0 * dpi), round((height - box.y1) * dpi)
    w, h = int(box.width * dpi), int(box.height * dpi)
    if top >= 0 and left >= 0 and top + h <= pixels.shape[0] and left + w <= pixels.shape[1]:
        out = pixels[top : top + h, left : left + w]  # inside the canvas: a view, no copy
    else:  # the pad reaches past the canvas: white there
        out = np.full((h, w, 4), 255, dtype=np.uint8)
        rows = slice(max(top, 0), min(top + h, pixels.shape[0]))
        cols = slice(max(left, 0), min(left + w, pixels.shape[1]))
        out[rows.start - top : rows.stop - top, cols.start - left : cols.stop - left] = pixels[
            rows, cols
        ]
    # An opaque figure is saved as RGB: a quarter fewer bytes to compress, a smaller file.
    return encode_png(out if out[..., 3].min() < 255 else out[..., :3], dpi)


def encode_png(pixels, dpi: float) -> bytes:
    """A lossless PNG of ``pixels`` (height x width x 3 or 4 bytes: RGB or RGBA) at ``dpi``.

    Written here with zlib because Pillow offers no choice of the PNG row filter: it tries all
    five filters on every row, which took two thirds of its encoding time on the reports'
    charts, and its files were larger than unfiltered rows give (flat colours and antialiased
    edges gain nothing from prediction; deflate finds the repeats itself). The 17 figures of the
    2024 reports: Pillow 1.15 s for 3.22 MB, this 0.5 s for 3.14 MB, the same pixels
    (``tests/test_plots.py`` decodes both). The chunks are Pillow's: IHDR, pHYs (the dpi, in
    pixels per metre, rounded as Pillow does), one IDAT, IEND.
    """
    import struct
    import zlib

    import numpy as np

    height, width, channels = pixels.shape
    if pixels.dtype != np.uint8 or channels not in (3, 4):
        raise ValueError(
            f"encode_png: {pixels.dtype} pixels with {channels} channels; need uint8 RGB(A)"
        )
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) on every row
    # Copied channel by channel, straight from a cropped view: numpy copies one byte in every
    # ``channels`` several times faster than whole pixels out of a wider (RGBA) buffer.
    for k in range(channels):
        rows[:, 1 + k :: channels] = pixels[..., k]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    per_metre = int(dpi / 0.0254 + 0.5)
    colour_type = 6 if channels == 4 else 2  # RGBA or RGB, 8 bits per channel
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESS_LEVEL)),
            chunk(b"IEND", b""),
        )
    )


def _check_titles_clear(fig: plt.Figure) -> None:
    """Refuse a drawn figure with both an axes title and a y-axis scale text ("1e6") on top.

    The house style fixes titles at the top of their axes (``axes.titley``), so matplotlib no
    longer moves a title above that text: the two would overlap. Scale the values instead.
    """
    for ax in fig.axes:
        offset = ax.yaxis.offsetText
        titles = [t for t in (ax.get_title(loc=loc) for loc in ("left", "center", "right")) if t]
        if titles and offset.get_visible() and offset.get_text():
            raise ValueError(
                f"figure {fig.get_suptitle()!r}: the y axis's scale '{offset.get_text()}' would "
                f"run into the axes title {titles[0]!r}. Fix: plot the values in a unit that "
                "needs no scale (e.g. millions), or format the ticks."
            )


# The source line of each finished figure (weak keys: a closed figure takes its line with it).
_SOURCES: weakref.WeakKeyDictionary[plt.Figure, str] = weakref.WeakKeyDictionary()


def figure_source(fig: plt.Figure) -> str | None:
    """The source line `finish` drew on ``fig`` (None if the figure was not finished)."""
    return _SOURCES.get(fig)


def mark_breaks(
    ax: plt.Axes,
    indices: Iterable[str] | str | None,
    years: Iterable[int],
    *,
    label: bool = True,
) -> list[int]:
    """Mark documented method changes between the editions shown on a trajectory chart.

    A dashed vertical line is drawn halfway between the edition before a break and the break
    edition, labelled with the edition and the indices whose method changed.

    Parameters
    ----------
    ax : matplotlib Axes
        With survey editions on the x axis.
    indices : str or list of str or None
        Indices plotted (None: all); the EGDI inherits its components' breaks.
    years : iterable of int
        Editions shown on the chart.
    label : bool
        Write the break's label at the top of the axes.

    Returns
    -------
    list of int
        The break editions marked.
    """
    from .vocabulary import EGDI_COMPONENTS, METHOD_CHANGES, method_breaks

    ys = sorted({int(y) for y in years})
    if isinstance(indices, str):
        indices = [indices]
    wanted = set(indices) if indices is not None else None
    if wanted is not None and "egdi" in wanted:
        wanted |= set(EGDI_COMPONENTS)
    marked = []
    for b in method_breaks(indices):
        before = [y for y in ys if y < b]
        if not before or b > ys[-1]:
            continue
        x = (before[-1] + b) / 2
        what = sorted(
            {
                c.index.upper()
                for c in METHOD_CHANGES
                if c.edition == b and (wanted is None or c.index in wanted)
            }
        )
        ax.axvline(x, color="#888888", ls="--", lw=1, zorder=1)
        if label:
            ax.annotate(
                f"{b}: {', '.join(what)} method",
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8,
                color="#555555",
            )
        marked.append(b)
    return marked
