"""Server-rendered SVG charts, pure: a chart is plain data in, one SVG string out.

Stacked bars and lines share the frame: a y axis with its unit and round ticks, x labels
thinned to fit, a legend. Colour is never the only cue: each series also has its own fill
pattern (bars) or marker shape and dash (lines), and the legend shows them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 12
# Colours chosen for contrast with white and with each other (also in greyscale print).
COLOURS = ("#1f5fa8", "#c2571a", "#2e7d32", "#7b3fa0", "#6b6b6b", "#a31545")
PATTERNS = ("solid", "stripes", "dots", "cross", "waves", "checks")
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: prefixes the SVG's ids
    title: str
    unit: str  # what the y axis counts: "conversations", "hours"
    x_labels: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool = True  # stacked bars; False draws lines
    whole: bool = True  # counts (whole-number ticks); False for durations

    @property
    def svg(self) -> str:
        return render_svg(self)


def nice_scale(largest: float, ticks: int = 5, *, whole: bool = False) -> tuple[float, float]:
    """(top, step): a round step (1, 2 or 5 x 10^n) and the first multiple of it at or above
    the largest value; (1, 0.2)-like for an empty chart, so the axis still reads. `whole`:
    the values are counts, so steps are whole numbers."""
    if largest <= 0:
        return (1.0, 1.0) if whole else (1.0, 0.2)
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(step, 1.0)
    return step * math.ceil(largest / step - 1e-9), step


def label_stride(count: int, most: int = MAX_X_LABELS) -> int:
    """Label every n-th x position so at most `most` labels are drawn."""
    return max(1, math.ceil(count / most))


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) or abs(value) >= 10 else f"{value:.1f}"


def _top(chart: Chart) -> float:
    if chart.stacked:
        totals = [
            sum(series.values[i] or 0 for series in chart.series)
            for i in range(len(chart.x_labels))
        ]
        return max(totals, default=0)
    return max((v for s in chart.series for v in s.values if v is not None), default=0)


def render_svg(chart: Chart) -> str:
    """The whole chart as an inline <svg> element, titled and described for screen readers."""
    top, step = nice_scale(_top(chart), whole=chart.whole)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT + _legend_height(chart)}" '
        f'role="img" aria-labelledby="{chart.key}-title {chart.key}-desc">',
        f'<title id="{chart.key}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.key}-desc">{escape(_description(chart))}</desc>',
        _defs(chart),
        _y_axis(top, step, chart.unit),
        _x_axis(chart.x_labels),
        _bars(chart, top) if chart.stacked else _lines(chart, top),
        _legend(chart),
        "</svg>",
    ]
    return "".join(parts)


def _description(chart: Chart) -> str:
    names = ", ".join(series.name for series in chart.series)
    shape = "Stacked bars" if chart.stacked else "Lines"
    return f"{shape} of {chart.unit} per period for {names}; the table below has the numbers."


def _defs(chart: Chart) -> str:
    if not chart.stacked:
        return ""
    patterns = []
    for index in range(len(chart.series)):
        colour = COLOURS[index % len(COLOURS)]
        mark = _pattern_mark(PATTERNS[index % len(PATTERNS)])
        patterns.append(
            f'<pattern id="{chart.key}-p{index}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>'
            f"{mark}</pattern>"
        )
    return "<defs>" + "".join(patterns) + "</defs>"


def _pattern_mark(pattern: str) -> str:
    marks = {
        "solid": "",
        "stripes": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="1.5"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
        "cross": '<path d="M0,4 h8 M4,0 v8" stroke="#fff" stroke-width="1.2"/>',
        "waves": '<path d="M0,6 q2,-4 4,0 t4,0" stroke="#fff" fill="none" stroke-width="1.2"/>',
        "checks": '<rect width="4" height="4" fill="#fff" fill-opacity="0.6"/>',
    }
    return marks[pattern]


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT - (value / top) * PLOT_HEIGHT


def _y_axis(top: float, step: float, unit: str) -> str:
    parts = ['<g class="chart-axis chart-axis--y">']
    count = round(top / step)
    for index in range(count + 1):
        value = step * index
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + PLOT_WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid" stroke="#d0d0d0"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
        )
    middle = TOP + PLOT_HEIGHT / 2
    parts.append(
        f'<text class="chart-unit" x="14" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(unit)}</text>'
    )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_HEIGHT}" stroke="#333"/></g>'
    )
    return "".join(parts)


def _slot(index: int, count: int) -> tuple[float, float]:
    """(left edge, width) of the index-th x position."""
    width = PLOT_WIDTH / max(count, 1)
    return LEFT + index * width, width


def _x_axis(labels: tuple[str, ...]) -> str:
    base = TOP + PLOT_HEIGHT
    parts = [
        f'<g class="chart-axis chart-axis--x"><line x1="{LEFT}" x2="{LEFT + PLOT_WIDTH}" '
        f'y1="{base}" y2="{base}" stroke="#333"/>'
    ]
    stride = label_stride(len(labels))
    for index, label in enumerate(labels):
        if index % stride:
            continue
        left, width = _slot(index, len(labels))
        x = left + width / 2
        parts.append(
            f'<text x="{x:.1f}" y="{base + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {base + 14})">{escape(label)}</text>'
        )
    return "".join(parts) + "</g>"


def _bars(chart: Chart, top: float) -> str:
    parts = ['<g class="chart-bars">']
    count = len(chart.x_labels)
    for index in range(count):
        left, width = _slot(index, count)
        stacked = 0.0
        for number, series in enumerate(chart.series):
            value = series.values[index] or 0
            if value <= 0:
                continue
            y_top, y_bottom = _y(stacked + value, top), _y(stacked, top)
            stacked += value
            parts.append(
                f'<rect x="{left + width * 0.15:.1f}" y="{y_top:.1f}" '
                f'width="{width * 0.7:.1f}" height="{y_bottom - y_top:.1f}" '
                f'fill="url(#{chart.key}-p{number})" stroke="#fff" stroke-width="0.5">'
                f"<title>{escape(series.name)}, {escape(chart.x_labels[index])}: "
                f"{_number(value)} {escape(chart.unit)}</title></rect>"
            )
    return "".join(parts) + "</g>"


def _lines(chart: Chart, top: float) -> str:
    parts = ['<g class="chart-lines">']
    count = len(chart.x_labels)
    for number, series in enumerate(chart.series):
        colour = COLOURS[number % len(COLOURS)]
        dash = DASHES[number % len(DASHES)]
        points: list[tuple[float, float] | None] = []
        for index, value in enumerate(series.values):
            if value is None:
                points.append(None)
                continue
            left, width = _slot(index, count)
            points.append((left + width / 2, _y(value, top)))
        for run in _runs(points):
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>'
            )
        for point in points:
            if point is not None:
                parts.append(_marker(MARKERS[number % len(MARKERS)], *point, colour))
    return "".join(parts) + "</g>"


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive known points: a day without data breaks the line instead of bridging it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f},{y - 4.5:.1f} l4.5,8 h-9 z" fill="{colour}"/>'
    return f'<path d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z" fill="{colour}"/>'


def _legend_height(chart: Chart) -> int:
    return 24 * math.ceil(len(chart.series) / 3)


def _legend(chart: Chart) -> str:
    parts = ['<g class="chart-legend">']
    for number, series in enumerate(chart.series):
        x = LEFT + (number % 3) * 210
        y = HEIGHT + 24 * (number // 3) + 4
        colour = COLOURS[number % len(COLOURS)]
        if chart.stacked:
            swatch = (
                f'<rect x="{x}" y="{y}" width="16" height="12" fill="url(#{chart.key}-p{number})" '
                f'stroke="#333" stroke-width="0.5"/>'
            )
        else:
            dash = DASHES[number % len(DASHES)]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            swatch = (
                f'<line x1="{x}" x2="{x + 22}" y1="{y + 6}" y2="{y + 6}" stroke="{colour}" '
                f'stroke-width="2"{dashed}/>'
            ) + _marker(MARKERS[number % len(MARKERS)], x + 11, y + 6, colour)
        parts.append(f'{swatch}<text x="{x + 28}" y="{y + 11}">{escape(series.name)}</text>')
    return "".join(parts) + "</g>"
