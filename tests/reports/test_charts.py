"""The SVG builder is pure: plain data in, one SVG string out (parsed here as XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reports.charts import Chart, Series, _runs, label_stride, nice_scale, render_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, (1.0, 0.2)),
        (1, (1.0, 0.2)),
        (7, (8.0, 2.0)),
        (10, (10.0, 2.0)),
        (143, (150.0, 50.0)),
        (0.35, (0.4, 0.1)),
        (26.4, (30.0, 10.0)),
    ],
)
def test_the_y_axis_ends_on_a_round_tick(largest: float, expected: tuple[float, float]) -> None:
    assert nice_scale(largest) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("largest", "expected"), [(0, (1.0, 1.0)), (1, (1.0, 1.0)), (3, (3.0, 1.0)), (7, (8.0, 2.0))]
)
def test_counts_get_whole_number_ticks(largest: float, expected: tuple[float, float]) -> None:
    assert nice_scale(largest, whole=True) == expected


@pytest.mark.parametrize(("count", "stride"), [(1, 1), (7, 1), (12, 1), (13, 2), (30, 3), (90, 8)])
def test_at_most_twelve_x_labels_are_drawn(count: int, stride: int) -> None:
    assert label_stride(count) == stride


@pytest.mark.parametrize(
    ("points", "runs"),
    [
        ([], []),
        ([(0, 1), (1, 2)], [[(0, 1), (1, 2)]]),
        ([(0, 1), None, (2, 3), (3, 4)], [[(0, 1)], [(2, 3), (3, 4)]]),
        ([None, None], []),
    ],
)
def test_a_day_without_data_breaks_the_line(points: list, runs: list) -> None:
    assert _runs(points) == runs


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(render_svg(chart))  # noqa: S314 (our own output)


def bars(key: str = "c") -> Chart:
    return Chart(
        key=key,
        title="Conversations created",
        unit="conversations",
        x_labels=("2026-03-28", "2026-03-29", "2026-03-30"),
        series=(Series("Support", (2.0, 3.0, 0.0)), Series("Sales", (1.0, 1.0, 4.0))),
    )


def test_stacked_bars_are_as_tall_as_their_values() -> None:
    root = parse(bars())
    rects = root.findall(f"{SVG}g[@class='chart-bars']/{SVG}rect")
    heights = [(r.get("fill"), float(r.get("height", 0))) for r in rects]
    unit = heights[0][1] / 2  # 2 conversations of Support on the first day
    assert [(fill, round(height / unit, 3)) for fill, height in heights] == [
        ("url(#c-p0)", 2.0),
        ("url(#c-p1)", 1.0),
        ("url(#c-p0)", 3.0),
        ("url(#c-p1)", 1.0),
        ("url(#c-p1)", 4.0),  # a zero draws nothing
    ]
    # The tallest stack (4) fits under the top tick (4 on a step of 1).
    ticks = [t.text for t in root.findall(f"{SVG}g[@class='chart-axis chart-axis--y']/{SVG}text")]
    assert ticks[:-1] == ["0", "1", "2", "3", "4"] and ticks[-1] == "conversations"


def test_each_series_has_its_own_pattern_and_a_legend_entry() -> None:
    root = parse(bars())
    patterns = root.findall(f"{SVG}defs/{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["c-p0", "c-p1"]
    # Not colour alone: the second pattern carries marks the first has not.
    assert len(list(patterns[0])) == 1 and len(list(patterns[1])) == 2
    legend = [t.text for t in root.findall(f"{SVG}g[@class='chart-legend']/{SVG}text")]
    assert legend == ["Support", "Sales"]


def test_the_chart_is_named_for_screen_readers_and_escapes_text() -> None:
    chart = Chart(
        key="x",
        title='Mail <from> "us"',
        unit="hours & more",
        x_labels=("a<b",),
        series=(Series("<script>", (1.0,)),),
    )
    svg = render_svg(chart)
    assert "<script>" not in svg
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "x-title x-desc"
    assert root.find(f"{SVG}title").text == 'Mail <from> "us"'
    assert "the table below has the numbers" in root.find(f"{SVG}desc").text


def test_lines_have_distinct_markers_and_dashes_and_skip_missing_values() -> None:
    chart = Chart(
        key="r",
        title="Resolution",
        unit="hours",
        x_labels=("d1", "d2", "d3"),
        series=(Series("Median", (1.0, None, 2.0)), Series("90th percentile", (3.0, None, 5.0))),
        stacked=False,
    )
    root = parse(chart)
    lines = root.find(f"{SVG}g[@class='chart-lines']")
    polylines = lines.findall(f"{SVG}polyline")
    assert len(polylines) == 4  # two runs per series: the missing day is a gap
    assert {p.get("stroke-dasharray") for p in polylines} == {None, "6 3"}
    assert len(lines.findall(f"{SVG}circle")) == 2  # the median's markers
    assert len(lines.findall(f"{SVG}rect")) == 2  # the 90th percentile's square markers


def test_an_empty_chart_still_draws_its_axes() -> None:
    chart = Chart(key="e", title="Nothing", unit="messages", x_labels=("d1",), series=())
    root = parse(chart)
    assert root.find(f"{SVG}g[@class='chart-axis chart-axis--y']") is not None
