"""Server-side SVG charts: well-formed, escaped, accessible, deterministic, drawn in bounds."""

import ast
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from diagnostics.charts import (
    DASHES,
    NO_DATA,
    PALETTE,
    bar_chart,
    compact,
    line_chart,
    nice_axis,
)

MODULE = Path(__file__).resolve().parents[2] / "diagnostics" / "charts.py"
NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2025, 3, 4, 0, tzinfo=UTC)
HOURS = [T0 + timedelta(hours=h) for h in range(24)]
NASTY = """<script>alert("x")</script> & 'quotes' "too" ]]> <!--"""


def parse(svg: str) -> ET.Element:
    assert isinstance(svg, str) and type(svg) is str  # a plain str, not a SafeString
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def viewbox(root: ET.Element) -> tuple[float, float]:
    x, y, width, height = map(float, root.get("viewBox").split())
    assert (x, y) == (0, 0)
    return width, height


def every(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{NS}{tag}"))


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in every(root, "text")]


def polyline_points(element: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in element.get("points").split()]


def gridlines(root: ET.Element) -> list[ET.Element]:
    return [line for line in every(root, "line") if line.get("stroke") == "currentColor"]


def latency_series():
    p50 = [(t, 40.0 + (i % 5) * 3) for i, t in enumerate(HOURS)]
    p95 = [(t, 230.0 if i == 14 else 100.0 + i) for i, t in enumerate(HOURS[:17])]
    p95[16] = (HOURS[16], 120.0)
    return {"p50": p50, "p95": p95}


# --- Pure Python -----------------------------------------------------------------------------


def test_charts_import_only_the_standard_library():
    imported = set()
    for node in ast.walk(ast.parse(MODULE.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: they would reach the Django app"
            imported.add(node.module)
    assert "xml.sax.saxutils" in imported
    assert {name.split(".")[0] for name in imported} <= sys.stdlib_module_names | {"__future__"}


def test_charts_load_without_django():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('charts', {str(MODULE)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert module.bar_chart([('a', 1)], title='t', unit='ms').startswith('<svg')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- Numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.25, "0.25"),
        (0.05, "0.05"),
        (2.5, "2.5"),
        (3.0, "3"),
        (9.96, "10"),
        (10.4, "10"),
        (230.6, "231"),
        (999.4, "999"),
        (999.6, "1k"),
        (1234, "1.2k"),
        (12_345, "12k"),
        (123_456, "123k"),
        (999_950, "1M"),
        (3_400_000, "3.4M"),
        (5.6e9, "5.6G"),
        (7e12, "7T"),
        (-1234, "-1.2k"),
        (math.nan, "n/a"),
        (math.inf, "∞"),
    ],
)
def test_numbers_are_compact(value, text):
    assert compact(value) == text


@pytest.mark.parametrize(
    ("peak", "top", "gridlines"),
    [
        (0, 1, 5),
        (-3, 1, 5),
        (0.3, 0.5, 5),
        (1, 1, 5),
        (1.0001, 2, 4),
        (7, 10, 5),
        (100, 100, 5),
        (101, 200, 4),
        (230, 250, 5),
        (251, 500, 5),
        (12_345, 20_000, 4),
        (0.001, 0.001, 5),
    ],
)
def test_axis_tops_are_nice_numbers(peak, top, gridlines):
    axis_top, ticks = nice_axis(peak)
    assert axis_top == pytest.approx(top, rel=1e-12)
    mantissa = axis_top / 10 ** math.floor(math.log10(axis_top) + 1e-9)
    assert round(mantissa, 9) in (1, 2, 2.5, 5)
    assert len(ticks) == gridlines
    assert ticks[-1] == axis_top
    step = ticks[0]
    assert ticks == pytest.approx([step * k for k in range(1, len(ticks) + 1)])


def test_axis_of_infinity_is_refused():
    with pytest.raises(ValueError, match="finite"):
        nice_axis(math.inf)


# --- Line chart: structure and accessibility -------------------------------------------------


def test_line_chart_is_an_accessible_scalable_image():
    svg = line_chart(latency_series(), title="API latency", unit="ms")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "API latency"
    assert root.find(f"{NS}title").text == "API latency"
    assert root[0].tag == f"{NS}title"  # the first child, where readers look for it
    assert root.get("viewBox") == "0 0 640.0 200.0"
    assert root.get("width") is None and root.get("height") is None  # scales to its box
    desc = root.find(f"{NS}desc").text
    assert "p95 max 230 ms at 14:00, latest 120 ms at 16:00." in desc
    assert "p50 max 52 ms at 04:00, latest 49 ms at 23:00." in desc
    assert "Axis 0 to 250 ms." in desc


def test_line_chart_is_deterministic():
    first = line_chart(latency_series(), title="API latency", unit="ms")
    assert line_chart(latency_series(), title="API latency", unit="ms") == first
    assert line_chart(dict(latency_series()), title="API latency", unit="ms") == first
    assert line_chart(latency_series(), title="API latency", unit="s") != first


def test_charts_need_no_style_or_script_the_csp_would_block():
    for svg in (
        line_chart(latency_series(), title=NASTY, unit=NASTY),
        bar_chart([(NASTY, 3)], title=NASTY, unit=NASTY),
        line_chart({}, title=NASTY, unit="ms"),
    ):
        root = parse(svg)
        for element in root.iter():
            assert "style" not in element.attrib
            assert not any(name.startswith("on") for name in element.attrib)
            assert element.tag not in (f"{NS}style", f"{NS}script", f"{NS}foreignObject")


def test_every_text_is_escaped():
    series = {NASTY: [("<b>a</b>", 1.0), ('x"y', 2.0), ("z'", 3.0)]}
    svg = line_chart(series, title=NASTY, unit=NASTY)
    assert "<script" not in svg and "<b>" not in svg and "<!--" not in svg
    root = parse(svg)  # the quotes did not end any attribute early
    assert root.get("aria-label") == NASTY
    assert root.find(f"{NS}title").text == NASTY
    shown = texts(root)
    assert NASTY in shown  # the legend (the visible title is cut to fit)
    assert {"<b>a</b>", "z'"} <= set(shown)  # first and last x labels
    assert any(text.endswith(NASTY) for text in shown)  # a y label with the unit
    assert f"{NASTY} max 3 {NASTY} at z'" in root.find(f"{NS}desc").text


def test_bar_chart_text_is_escaped():
    svg = bar_chart([(NASTY, 3), ("b'\"", 2)], title=NASTY, unit="ms")
    assert "<script" not in svg
    root = parse(svg)
    assert root.get("aria-label") == NASTY
    tooltips = [title.text for rect in every(root, "rect") for title in rect]
    assert tooltips == [f"{NASTY}: 3 ms", "b'\": 2 ms"]
    assert "b'\"" in texts(root)


def test_characters_xml_cannot_hold_are_dropped():
    svg = line_chart({"a\x00b\x1b": [(1, 1.0), (2, 2.0)]}, title="t\x08\ud800i\ufffe", unit="ms")
    root = parse(svg)
    assert root.get("aria-label") == "ti"
    assert "ab" in texts(root)


def test_too_small_a_chart_is_refused():
    with pytest.raises(ValueError, match="at least"):
        line_chart(latency_series(), title="t", unit="ms", width=100)
    with pytest.raises(ValueError, match="at least"):
        bar_chart([("a", 1)], title="t", unit="ms", height=50)


# --- Line chart: drawing ---------------------------------------------------------------------


def test_gaps_split_the_line():
    values = [1, 2, None, 3, 4, math.nan, None, 5, 6, 7, None, 8]
    root = parse(line_chart({"calls": list(enumerate(values))}, title="t", unit=""))
    lines = every(root, "polyline")
    assert [len(polyline_points(line)) for line in lines] == [2, 2, 3]
    dots = every(root, "circle")  # 8 is alone after the last gap: a dot, not a polyline
    assert len(dots) == 1
    root = parse(line_chart({"calls": list(enumerate([1, 2, 3, 4]))}, title="t", unit=""))
    assert len(every(root, "polyline")) == 1 and not every(root, "circle")


def test_each_series_has_its_own_colour_and_dash():
    series = {f"s{i}": [(t, float(i + 1)) for t in HOURS[:3]] for i in range(3)}
    root = parse(line_chart(series, title="t", unit="ms"))
    lines = every(root, "polyline")
    assert [line.get("stroke") for line in lines] == list(PALETTE[:3])
    assert [line.get("stroke-dasharray") for line in lines] == [None, *DASHES[1:3]]


def test_legend_names_every_series_with_its_swatch():
    series = {"p50": [(t, 1.0) for t in HOURS], "p95 & up": [(t, 2.0) for t in HOURS]}
    root = parse(line_chart(series, title="t", unit="ms"))
    shown = texts(root)
    assert "p50" in shown and "p95 & up" in shown
    swatches = [line for line in every(root, "line") if line.get("stroke") in PALETTE]
    assert [swatch.get("stroke") for swatch in swatches] == list(PALETTE[:2])
    assert [line.get("stroke") for line in every(root, "polyline")] == list(PALETTE[:2])


def test_y_axis_runs_from_0_to_a_nice_max_with_labelled_gridlines():
    root = parse(line_chart(latency_series(), title="t", unit="ms"))
    shown = texts(root)
    assert [text for text in shown if text.endswith(" ms")] == [
        "0 ms",
        "50 ms",
        "100 ms",
        "150 ms",
        "200 ms",
        "250 ms",
    ]
    assert 4 <= len(gridlines(root)) - 1 <= 5  # besides the axis line at 0
    root = parse(line_chart({"x": [(1, 1200.0), (2, 3400.0)]}, title="t", unit=""))
    assert {"0", "1k", "2k", "3k", "4k", "5k"} <= set(texts(root))


def test_points_are_scaled_inside_the_plot_and_the_viewbox():
    root = parse(line_chart({"p95": [(0, 0.0), (1, 250.0), (2, 125.0)]}, title="t", unit="ms"))
    width, height = viewbox(root)
    levels = sorted({float(line.get("y1")) for line in gridlines(root)})
    top, bottom = levels[0], levels[-1]  # the 250 ms gridline and the axis at 0
    lefts = {float(line.get("x1")) for line in gridlines(root)}
    rights = {float(line.get("x2")) for line in gridlines(root)}
    assert len(lefts) == len(rights) == 1
    left, right = lefts.pop(), rights.pop()
    (line,) = every(root, "polyline")
    points = polyline_points(line)
    assert points == [
        (left, bottom),
        (pytest.approx((left + right) / 2, abs=0.1), top),
        (right, pytest.approx((top + bottom) / 2, abs=0.1)),
    ]
    assert 0 < left < right < width and 0 < top < bottom < height


@pytest.mark.parametrize(
    ("series", "width", "height"),
    [
        ({"a": [(t, 10.0**i) for i, t in enumerate(HOURS[:8])]}, 640, 200),
        ({"neg": [(t, -5.0 + i) for i, t in enumerate(HOURS)]}, 200, 100),
        ({f"series {i} " * 9: [(t, i * 7.0) for t in HOURS] for i in range(12)}, 300, 120),
        ({"one": [(T0, 3.0)]}, 640, 200),
        ({"dates": [(date(2025, 1, d), d * 1.5) for d in range(1, 29)]}, 640, 200),
    ],
)
def test_everything_is_drawn_inside_the_viewbox(series, width, height):
    root = parse(
        line_chart(series, title="A long title " * 20, unit="ms", width=width, height=height)
    )
    box_width, box_height = viewbox(root)
    assert box_width == width and box_height >= height
    grid = gridlines(root)
    top, bottom = min(float(g.get("y1")) for g in grid), max(float(g.get("y1")) for g in grid)
    left, right = float(grid[0].get("x1")), float(grid[0].get("x2"))
    assert 0 < left < right <= box_width and 0 < top < bottom < box_height
    points = [point for line in every(root, "polyline") for point in polyline_points(line)]
    points += [(float(dot.get("cx")), float(dot.get("cy"))) for dot in every(root, "circle")]
    assert points
    for x, y in points:  # inside the plot, not just the viewBox
        assert left <= x <= right and top <= y <= bottom
    for element in every(root, "line"):
        for x in (element.get("x1"), element.get("x2")):
            assert 0 <= float(x) <= box_width
        for y in (element.get("y1"), element.get("y2")):
            assert 0 <= float(y) <= box_height
    for element in every(root, "text"):
        x, y = float(element.get("x")), float(element.get("y"))
        assert 0 <= x <= box_width and 0 < y <= box_height
        if element.get("text-anchor") in (None, "start"):  # runs right from x: must fit
            assert x + len(element.text) * 6.6 <= box_width + 0.1, element.text


def test_points_are_drawn_in_time_order():
    shuffled = [(HOURS[i], float(i)) for i in (5, 1, 3, 0, 4, 2)]
    root = parse(line_chart({"calls": shuffled}, title="t", unit=""))
    (line,) = every(root, "polyline")
    xs = [x for x, _y in polyline_points(line)]
    ys = [y for _x, y in polyline_points(line)]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)  # the values rise with time


def test_times_are_placed_by_time_not_by_order():
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=10)]
    root = parse(line_chart({"a": [(t, 1.0) for t in times]}, title="t", unit=""))
    (line,) = every(root, "polyline")
    (x0, _), (x1, _), (x2, _) = polyline_points(line)
    assert x1 - x0 == pytest.approx((x2 - x0) / 10, abs=0.1)


def test_x_axis_labels_the_first_middle_and_last_points():
    root = parse(line_chart(latency_series(), title="t", unit="ms"))
    assert [t for t in texts(root) if ":" in t] == ["00:00", "11:00", "23:00"]
    days = [T0 + timedelta(hours=6 * i) for i in range(9)]
    root = parse(line_chart({"a": [(t, 1.0) for t in days]}, title="t", unit=""))
    assert [t for t in texts(root) if ":" in t] == ["Mar 4 00:00", "Mar 5 00:00", "Mar 6 00:00"]
    midnights = [T0 + timedelta(days=i) for i in range(3)]
    root = parse(line_chart({"a": [(t, 1.0) for t in midnights]}, title="t", unit=""))
    assert {"Mar 4", "Mar 5", "Mar 6"} <= set(texts(root))
    years = [datetime(2024, 12, 31, 12, tzinfo=UTC), datetime(2025, 1, 1, 12, tzinfo=UTC)]
    root = parse(line_chart({"a": [(t, 1.0) for t in years]}, title="t", unit=""))
    assert {"Dec 31 2024 12:00", "Jan 1 2025 12:00"} <= set(texts(root))
    seconds = [T0 + timedelta(seconds=s) for s in (0, 30, 90)]
    root = parse(line_chart({"a": [(t, 1.0) for t in seconds]}, title="t", unit=""))
    assert {"00:00:00", "00:00:30", "00:01:30"} <= set(texts(root))
    root = parse(line_chart({"a": [("mon", 1.0), ("tue", 2.0), ("wed", 3.0)]}, title="t", unit=""))
    assert {"mon", "tue", "wed"} <= set(texts(root))


def test_a_single_point_is_a_dot_in_the_middle():
    root = parse(line_chart({"a": [(T0, 4.0)]}, title="t", unit="ms"))
    (dot,) = every(root, "circle")
    (line,) = [line for line in gridlines(root) if float(line.get("y1")) == float(dot.get("cy"))]
    middle = (float(line.get("x1")) + float(line.get("x2"))) / 2
    assert float(dot.get("cx")) == pytest.approx(middle, abs=0.1)
    assert "00:00" in texts(root)


@pytest.mark.parametrize(
    "series",
    [{}, {"p95": []}, {"p95": [(T0, None)], "p50": [(T0, math.nan), (HOURS[1], None)]}],
)
def test_no_data_is_a_small_chart_saying_so(series):
    root = parse(line_chart(series, title="API latency", unit="ms"))
    assert NO_DATA in texts(root)
    assert root.find(f"{NS}desc").text == NO_DATA
    assert root.get("aria-label") == "API latency" and root.get("role") == "img"
    assert not every(root, "polyline") and not every(root, "circle")
    assert viewbox(root)[1] < 100


def test_a_series_with_only_gaps_is_summarised_as_such():
    series = {"p50": [(T0, 5.0), (HOURS[1], 6.0)], "p99": [(T0, None)]}
    desc = parse(line_chart(series, title="t", unit="ms")).find(f"{NS}desc").text
    assert "p99: no data." in desc
    assert "p50 max 6 ms at 01:00, latest 6 ms at 01:00." in desc


# --- Bar chart -------------------------------------------------------------------------------


def test_bar_chart_prints_each_value_beside_its_bar():
    bars = [("GET /contacts", 1234.0), ("POST /contacts", 617.0), ("DELETE", 0.0)]
    root = parse(bar_chart(bars, title="Calls", unit="ms"))
    assert root.get("aria-label") == "Calls" and root.get("role") == "img"
    rects = every(root, "rect")
    assert len(rects) == 3
    widths = [float(rect.get("width")) for rect in rects]
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1) and widths[2] == 0
    shown = {element.text: element for element in every(root, "text")}
    for rect, value in zip(rects, ("1.2k ms", "617 ms", "0 ms"), strict=True):
        text = shown[value]
        end = float(rect.get("x")) + float(rect.get("width"))
        assert end < float(text.get("x")) <= end + 8
        assert float(text.get("x")) + len(value) * 6.6 <= viewbox(root)[0]  # the text fits
        middle = float(rect.get("y")) + float(rect.get("height")) / 2
        assert abs(float(text.get("y")) - middle) <= 6  # on the bar's row
    assert {"GET /contacts", "POST /contacts", "DELETE"} <= set(shown)
    desc = root.find(f"{NS}desc").text
    assert desc == "3 bars: GET /contacts 1.2k ms; POST /contacts 617 ms; DELETE 0 ms."


def test_bar_chart_is_deterministic_and_in_bounds():
    bars = [(f"endpoint {i} " * 8, float(i * i)) for i in range(52)] + [
        ("neg", -5.0),
        ("nan", math.nan),
        ("inf", math.inf),
    ]
    svg = bar_chart(bars, title="Many", unit="ms", width=300)
    assert bar_chart(bars, title="Many", unit="ms", width=300) == svg
    root = parse(svg)
    width, height = viewbox(root)
    assert height >= 30 + 14 * len(bars)  # taller than asked, to fit the rows
    for rect in every(root, "rect"):
        x, y = float(rect.get("x")), float(rect.get("y"))
        assert x >= 0 and x + float(rect.get("width")) <= width
        assert y >= 0 and y + float(rect.get("height")) <= height
    tails = {rect.find(f"{NS}title").text.split(": ")[0]: rect for rect in every(root, "rect")}
    assert [float(tails[name].get("width")) for name in ("neg", "nan", "inf")] == [0, 0, 0]
    assert {"-5 ms", "n/a ms", "∞ ms"} <= set(texts(root))
    assert "; and 5 more." in root.find(f"{NS}desc").text
    assert any(text.endswith("…") for text in texts(root))  # long labels cut to fit


def test_few_bars_make_a_short_chart():
    root = parse(bar_chart([("a", 1.0)], title="t", unit=""))
    assert viewbox(root)[1] < 100


def test_no_bars_is_a_small_chart_saying_so():
    root = parse(bar_chart([], title="Calls", unit="ms"))
    assert NO_DATA in texts(root) and not every(root, "rect")
    assert root.get("aria-label") == "Calls"


# --- Colours ---------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("colour", PALETTE)
@pytest.mark.parametrize("background", ["#ffffff", "#f6f7f9"])  # cards and the page
def test_palette_colours_contrast_with_the_background(colour, background):
    assert re.fullmatch(r"#[0-9a-f]{6}", colour)
    ratio = (_luminance(background) + 0.05) / (_luminance(colour) + 0.05)
    assert ratio >= 4.5, f"{colour} on {background}: {ratio:.2f}"


def test_palette_colours_are_distinct():
    assert len(set(PALETTE)) == len(PALETTE) >= 6
