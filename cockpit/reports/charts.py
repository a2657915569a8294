"""The report's charts: the screens' figure builders (``figures/``), restyled for print and drawn
as SVG (vector, with real text that stays selectable in the PDF).

The print theme is white with black and greys; series are told apart by fill patterns, dashes and
marker symbols rather than by colour, so a black-and-white print reads. SVGs are made by kaleido
through one headless browser kept for the whole report (``svg_session``): the first image starts
the browser (about 2–3 s), each further one takes a fraction of a second.
"""

from __future__ import annotations

import copy
import re
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator

FONT = '"Noto Sans CJK SC", sans-serif'
INK, GRID = "#111111", "#c8c8c8"
FILLS = ("#bdbdbd", "#ffffff", "#7a7a7a", "#e6e6e6", "#4d4d4d")
PATTERNS = ("", "/", "x", ".", "\\")
LINES = ("#111111", "#555555", "#888888", "#333333", "#777777")
DASHES = ("solid", "dash", "dashdot", "longdash", "solid")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x")
WIDTH, HEIGHT = 720, 260  # px at 96 dpi: about 19 × 7 cm, scaled to the column by the stylesheet


def print_theme(fig: dict[str, Any], *, height: int | None = None, legend: bool = True) -> dict[str, Any]:
    """A copy of a screen figure (plain dict) in the print theme."""
    fig = copy.deepcopy(fig)
    layout = fig.setdefault("layout", {})
    layout.update(paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", colorway=list(LINES),
                  font={"family": FONT, "color": INK, "size": 12}, hovermode=False)
    top = max(int((layout.get("margin") or {}).get("t", 0)), 30 if legend else 12)  # room for a builder's titles
    layout["margin"] = {**layout.get("margin", {}), "l": 8, "r": 16, "t": top, "b": 8}
    for key in [k for k in layout if re.match(r"^[xy]axis\d*$", k)]:
        axis = layout[key]
        if axis.get("visible", True):
            layout[key] = {**axis, "gridcolor": GRID, "linecolor": INK, "showline": True, "tickfont": {"color": INK},
                           "zeroline": False}
    if "legend" in layout or legend:
        layout["legend"] = {**layout.get("legend", {}), "font": {"family": FONT, "color": INK, "size": 11},
                            "bgcolor": "rgba(255,255,255,0)"}
    for note in layout.get("annotations") or []:
        note["font"] = {**note.get("font", {}), "family": FONT, "color": INK}
    layout["height"] = height or layout.get("height") or HEIGHT
    if legend and layout.get("showlegend") is not False:
        layout["showlegend"] = True  # a single series is named too (Plotly hides a lone trace's legend)
    bars = lines = 0
    for trace in fig.get("data", []):
        kind = trace.get("type", "scatter")
        trace.pop("hovertemplate", None)
        if kind == "bar":
            i = bars
            bars += 1
            trace["marker"] = {"color": FILLS[i % len(FILLS)], "line": {"color": INK, "width": 0.8},
                               "pattern": {"shape": PATTERNS[i % len(PATTERNS)], "fgcolor": INK, "size": 6,
                                           "solidity": 0.25}}
            trace["textfont"] = {"family": FONT, "color": INK, "size": 11}
            if trace.get("text") is not None and not trace.get("textposition"):
                trace["textposition"] = "outside"
            trace["cliponaxis"] = False
        elif kind == "scatter" and trace.get("fill") not in ("toself", "tonexty"):
            dotted = (trace.get("line") or {}).get("dash") == "dot"  # a target line stays dotted
            i = lines
            if not dotted:
                lines += 1
            colour = LINES[i % len(LINES)]
            trace["line"] = {"color": colour, "width": 1.2 if dotted else 2,
                             "dash": "dot" if dotted else DASHES[i % len(DASHES)]}
            if "markers" in str(trace.get("mode", "")) or not dotted:
                marker = trace.get("marker") or {}
                trace["marker"] = {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 7, "color": "#ffffff",
                                   "line": {"color": colour, "width": 1.5}, **({"size": marker["size"]} if
                                                                                isinstance(marker.get("size"), int) else {})}
            if trace.get("text") is not None:
                trace["textfont"] = {"family": FONT, "color": INK, "size": 11}
    if bars > 1 and layout.get("barmode") == "overlay":
        layout["barmode"] = "group"  # overlaid patterns blur in print; side by side reads
    return fig


_SERVER: dict[str, bool] = {"running": False}


@contextmanager
def svg_session() -> Iterator[None]:
    """One headless browser for all the SVGs made inside (started lazily by kaleido, stopped after)."""
    import kaleido

    if _SERVER["running"]:
        yield
        return
    restore = _keep_tabs()
    kaleido.start_sync_server(silence_warnings=True)
    _SERVER["running"] = True
    try:
        yield
    finally:
        _SERVER["running"] = False
        kaleido.stop_sync_server(silence_warnings=True)
        restore()


def _keep_tabs() -> Callable[[], None]:
    """Within a session, hand kaleido's tab back without reloading its page after each figure.

    kaleido 1.x reloads the page (Plotly.js parsed again) after every image, which is nine tenths of
    an SVG's cost; a report's own figures, drawn one after the other in one tab, come out the same
    without it (checked: the SVGs differ only in their random element ids). Returns what undoes
    it; if kaleido's internals differ from the 1.x ones, nothing is changed."""
    try:
        from kaleido.kaleido import Kaleido
    except ImportError:
        return lambda: None
    original = getattr(Kaleido, "_return_kaleido_tab", None)
    if original is None:
        return lambda: None

    async def hand_back(self: Any, tab: Any) -> None:
        queue = getattr(self, "tabs_ready", None)
        if queue is None:  # not the 1.x layout after all: do what kaleido does
            await original(self, tab)
            return
        await queue.put(tab)

    Kaleido._return_kaleido_tab = hand_back

    def restore() -> None:
        Kaleido._return_kaleido_tab = original

    return restore


def warm_up() -> None:
    """Draw a blank figure, so the browser is started (the first image's 2–3 s) while other work runs."""
    to_svg({"data": [], "layout": {"paper_bgcolor": "#ffffff"}}, width=10, height=10)


def to_svg(fig: dict[str, Any], *, width: int = WIDTH, height: int | None = None) -> str:
    """The figure as an SVG document (without the XML prolog, to be inlined in HTML)."""
    import plotly.io as pio

    h = height or int(fig.get("layout", {}).get("height") or HEIGHT)
    with warnings.catch_warnings():  # plotly warns that its options go unused when a browser is kept
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        svg = pio.to_image(fig, format="svg", width=width, height=h, validate=False).decode("utf-8")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # a fixed size in CSS pixels becomes a width that follows the column (the viewBox keeps the shape)
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height|viewBox|preserveAspectRatio)="[^"]*"', "", head)
    return f'{head} viewBox="0 0 {width} {h}" width="100%" preserveAspectRatio="xMidYMid meet">{rest}'


def chart(fig: dict[str, Any], *, height: int | None = None, legend: bool = True, width: int = WIDTH) -> str:
    """A screen figure in the print theme, as inline SVG."""
    themed = print_theme(fig, height=height, legend=legend)
    return to_svg(themed, width=width, height=themed["layout"]["height"])
