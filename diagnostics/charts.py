"""Charts for the Diagnostics tab, drawn on the server as inline SVG: no JavaScript, and no
style attribute or element (the CSP allows neither), only presentation attributes. Pure Python.

Each function returns a plain `str`, and the caller marks it safe for the template. So every
piece of text that goes into the SVG (titles, labels, series names, units) passes through
`_text`, which XML-escapes it, quotes included, and drops the characters XML cannot hold.

The output is deterministic (the same input gives the same string) and well-formed XML. Sizes
are in the viewBox only, so a chart scales to its container; text and axes draw in
`currentColor`, so they follow the page's text colour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

# Series colours, each at least 4.5:1 against white and the page background (tested), so the
# lines and swatches stay visible; series are told apart by their dash pattern as well.
PALETTE: tuple[str, ...] = (
    "#2454d6",  # blue, the app's accent
    "#c2410c",  # orange
    "#18794e",  # green
    "#7c3aed",  # violet
    "#be123c",  # crimson
    "#0e7490",  # teal
    "#a15c07",  # amber
    "#4b5563",  # grey
)
DASHES: tuple[str, ...] = ("", "6 3", "2 3", "8 3 2 3")  # solid, dashed, dotted, dash-dot

NO_DATA = "No data yet"
FONT_SIZE = 11
CHAR_WIDTH = FONT_SIZE * 0.6  # an average glyph, to lay text out without measuring it
PAD = 8
TITLE_BASELINE = 17
PLOT_TOP = 30  # below the title
LEGEND_ROW = 16
MIN_WIDTH, MIN_HEIGHT = 200, 100

_QUOTES = {'"': "&quot;", "'": "&#x27;"}
# Characters an XML 1.0 document cannot contain, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- Text and numbers ----------------------------------------------------------------------


def _text(value: object) -> str:
    """Any text bound for the SVG, as element content or attribute value."""
    return escape(_NOT_XML.sub("", str(value)), _QUOTES)


def _clip(text: str, chars: int) -> str:
    """Text cut to at most `chars` characters, an ellipsis marking the cut."""
    chars = max(chars, 1)
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _fits(width: float) -> int:
    """How many characters fit in a width (a hair of slack for float rounding)."""
    return int(width / CHAR_WIDTH + 1e-6)


def _n(coordinate: float) -> str:
    """A coordinate with one decimal, never '-0.0'."""
    text = f"{coordinate:.1f}"
    return "0.0" if text == "-0.0" else text


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plain(magnitude: float) -> str:
    if magnitude >= 10:
        return f"{magnitude:.0f}"
    if magnitude >= 1:
        return _trim(f"{magnitude:.1f}")
    return _trim(f"{magnitude:.2g}") if magnitude else "0"


def compact(value: float) -> str:
    """A number in a few characters: no decimals from 10 up, one below 10, two significant
    digits below 1, and k / M / G / T from a thousand up (1.2k, 34k, 3.4M)."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude < 999.5:  # what would round to 1000 is shown as 1k
        return sign + _plain(magnitude)
    for scale, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "G")):
        if magnitude / scale < 999.5:
            return sign + _plain(magnitude / scale) + suffix
    return sign + _plain(magnitude / 1e12) + "T"


def _with_unit(value: float, unit: str) -> str:
    if not unit:
        return compact(value)
    return compact(value) + ("" if unit == "%" else " ") + unit


def nice_axis(peak: float) -> tuple[float, list[float]]:
    """The top of a y axis from 0 that holds `peak`: the smallest 1, 2, 2.5 or 5 x 10^n not
    below it (1 when there is nothing above 0), and its 4 or 5 gridlines above 0."""
    if not math.isfinite(peak):
        raise ValueError(f"an axis holds finite values, not {peak!r}")
    peak = peak if peak > 0 else 1.0

    def scaled(tenths: int, exponent: int) -> float:  # tenths x 10^(exponent - 1), exactly
        if exponent >= 1:
            return float(tenths * 10 ** (exponent - 1))
        return tenths / 10 ** (1 - exponent)

    exponent = math.floor(math.log10(peak))
    # From one power below: log10 may land one off either side of a power of ten.
    for power in (exponent - 1, exponent, exponent + 1):
        for top, step in ((10, 2), (20, 5), (25, 5), (50, 10)):
            if scaled(top, power) >= peak:
                return scaled(top, power), [
                    scaled(k * step, power) for k in range(1, top // step + 1)
                ]
    raise AssertionError("unreachable: 10 x 10^(exponent + 1) is above peak")  # pragma: no cover


# --- Frame ---------------------------------------------------------------------------------


def _check_size(width: float, height: float) -> None:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"a chart is at least {MIN_WIDTH} x {MIN_HEIGHT}, not {width} x {height}")


def _svg(title: str, desc: str, width: float, height: float, body: list[str]) -> str:
    """The root element: role="img" with the title as its accessible name (aria-label and
    <title>) and a <desc> of the numbers; the title is shown at the top, cut to fit."""
    shown = _clip(title, _fits((width - 2 * PAD) / 1.2))  # the title's font is 13, not 11
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}"'
            f' role="img" aria-label="{_text(title)}" class="chart"'
            f' font-size="{FONT_SIZE}" fill="currentColor">',
            f"<title>{_text(title)}</title>",
            f"<desc>{_text(desc)}</desc>",
            f'<text x="{_n(PAD)}" y="{_n(TITLE_BASELINE)}" font-size="13" font-weight="600">'
            f"{_text(shown)}</text>",
            *body,
            "</svg>",
        ]
    )


def _no_data(title: str, width: float) -> str:
    """A small chart that says there is nothing to show yet."""
    height = 56
    body = [
        f'<text x="{_n(width / 2)}" y="{_n(44)}" text-anchor="middle" fill-opacity="0.7">'
        f"{_text(NO_DATA)}</text>"
    ]
    return _svg(title, NO_DATA, width, height, body)


# --- Line chart ----------------------------------------------------------------------------


def _is_temporal(keys: list[Any]) -> bool:
    return bool(keys) and (
        all(isinstance(key, datetime) for key in keys)
        or all(isinstance(key, date) and not isinstance(key, datetime) for key in keys)
    )


def _day(moment: date) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day}"


def _x_labeller(keys: list[Any], temporal: bool):
    """How to show an x value: text as given; datetimes by hour of day when they all fall on
    one day, by day (and time unless all at midnight) otherwise, the year when they span
    several. Datetimes are shown as given: convert them to the viewer's timezone first."""
    if not temporal:
        return str
    years = len({key.year for key in keys}) > 1

    def day(moment: date) -> str:
        return f"{_day(moment)} {moment.year}" if years else _day(moment)

    if not isinstance(keys[0], datetime):
        return day
    seconds = any(key.second or key.microsecond for key in keys)

    def clock(moment: datetime) -> str:
        return f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"

    if len({key.date() for key in keys}) == 1:
        return clock
    if all(not (key.hour or key.minute or key.second or key.microsecond) for key in keys):
        return day
    return lambda moment: f"{day(moment)} {clock(moment)}"


def _positions(keys: list[Any], temporal: bool) -> dict[Any, float]:
    """Each x value's place across the plot, 0 to 1: by time for dates and datetimes, evenly
    in order of first appearance for anything else; a single value sits in the middle."""
    if len(keys) == 1:
        return {keys[0]: 0.5}
    if temporal:
        first, span = keys[0], keys[-1] - keys[0]  # distinct sorted keys: span > 0
        return {key: (key - first) / span for key in keys}
    return {key: index / (len(keys) - 1) for index, key in enumerate(keys)}


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _legend_rows(names: list[str], width: float) -> list[list[tuple[str, float]]]:
    """The legend's items (name cut to fit, x) in rows that wrap within the width."""
    rows: list[list[tuple[str, float]]] = [[]]
    x = PAD
    for name in names:
        shown = _clip(name, _fits(width - 2 * PAD - 20))
        item = 20 + len(shown) * CHAR_WIDTH + 14
        if rows[-1] and x + item > width - PAD:
            rows.append([])
            x = PAD
        rows[-1].append((shown, x))
        x += item
    return rows


def line_chart(
    series: Mapping[str, Sequence[tuple[object, float | None]]],
    *,
    title: str,
    unit: str,
    width: float = 640,
    height: float = 200,
) -> str:
    """An SVG line chart: one polyline per series, in the order given, through its (x, value)
    points. x values are datetimes (or dates), placed by time, or labels, placed evenly in
    order of first appearance; points are drawn in x order. A None (or NaN) value is a gap
    that splits the line; a point alone between gaps is drawn as a dot. The y axis runs from
    0 (negative values are drawn on it) to a nice maximum with its gridlines and labels; the
    first, middle and last x values are labelled; a legend names the series. Nothing to plot
    at all (no series, no points, only gaps): a small "No data yet" chart."""
    _check_size(width, height)
    keys = list(dict.fromkeys(key for points in series.values() for key, _value in points))
    values = [v for points in series.values() for _k, v in points if _finite(v)]
    if not values:
        return _no_data(title, width)
    temporal = _is_temporal(keys)
    if temporal:
        keys.sort()
    place = _positions(keys, temporal)
    label = _x_labeller(keys, temporal)
    top, ticks = nice_axis(max(values))

    names = [str(name) for name in series]
    legend = _legend_rows(names, width)
    below = 18 + len(legend) * LEGEND_ROW + 4  # x labels, then the legend
    height = max(height, PLOT_TOP + 40 + below)  # at least 40 high for the plot itself
    tick_text = [_with_unit(0, unit), *(_with_unit(tick, unit) for tick in ticks)]
    left = PAD + min(max(len(text) for text in tick_text) * CHAR_WIDTH, width / 3) + 6
    right = width - PAD
    bottom = height - below

    def x_at(key: Any) -> float:
        return left + place[key] * (right - left)

    def y_at(value: float) -> float:
        return bottom - max(0.0, value) / top * (bottom - PLOT_TOP)

    body: list[str] = []
    for tick, text in zip((0.0, *ticks), tick_text, strict=True):
        y = y_at(tick)
        opacity = "0.45" if tick == 0 else "0.15"
        body.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}"'
            f' stroke="currentColor" stroke-opacity="{opacity}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill-opacity="0.75">'
            f"{_text(_clip(text, _fits(left - 6 - PAD)))}</text>"
        )
    body.extend(_x_axis_labels(keys, label, x_at, bottom, _fits((right - left) / 3)))

    summary: list[str] = []
    for index, (name, points) in enumerate(zip(names, series.values(), strict=True)):
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        ordered = sorted(points, key=lambda point: place[point[0]])
        body.extend(_series_marks(ordered, colour, dash, x_at, y_at))
        summary.append(_series_summary(name, ordered, unit, label))

    for row_index, row in enumerate(legend):
        y = bottom + 18 + (row_index + 1) * LEGEND_ROW - 4
        for item_index, (shown, x) in enumerate(row):
            index = sum(len(previous) for previous in legend[:row_index]) + item_index
            colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(
                f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + 16)}" y2="{_n(y - 4)}"'
                f' stroke="{colour}" stroke-width="2.5"{dashed}/>'
            )
            body.append(f'<text x="{_n(x + 20)}" y="{_n(y)}">{_text(shown)}</text>')

    desc = f"Axis 0 to {_with_unit(top, unit)}. " + " ".join(summary)
    return _svg(title, desc, width, height, body)


def _x_axis_labels(keys: list[Any], label, x_at, bottom: float, room: int) -> list[str]:
    """Labels under the first, middle and last x values (one in the middle when there is a
    single value); the middle one only where it does not run into the other two."""
    texts = [_clip(label(key), room) for key in keys]

    def mark(index: int, anchor: str) -> str:
        return (
            f'<text x="{_n(x_at(keys[index]))}" y="{_n(bottom + 15)}" text-anchor="{anchor}"'
            f' fill-opacity="0.75">{_text(texts[index])}</text>'
        )

    last = len(keys) - 1
    if not last:
        return [mark(0, "middle")]
    marks = [mark(0, "start")]
    middle = last // 2
    if middle:
        half = len(texts[middle]) * CHAR_WIDTH / 2
        after_first = x_at(keys[0]) + len(texts[0]) * CHAR_WIDTH + 4
        before_last = x_at(keys[last]) - len(texts[last]) * CHAR_WIDTH - 4
        if after_first <= x_at(keys[middle]) - half and x_at(keys[middle]) + half <= before_last:
            marks.append(mark(middle, "middle"))
    marks.append(mark(last, "end"))
    return marks


def _series_marks(ordered, colour: str, dash: str, x_at, y_at) -> list[str]:
    """The series' runs between gaps: a polyline for two points or more, a dot for one."""
    runs: list[list[tuple[float, float]]] = [[]]
    for key, value in ordered:
        if _finite(value):
            runs[-1].append((x_at(key), y_at(value)))
        elif runs[-1]:
            runs.append([])
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    marks = []
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
            marks.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
                f' stroke-linejoin="round" stroke-linecap="round"{dashed}/>'
            )
        elif run:
            ((x, y),) = run
            marks.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{colour}"/>')
    return marks


def _series_summary(name: str, ordered, unit: str, label) -> str:
    """'p95 max 230 ms at 14:00, latest 120 ms at 16:00.' (the first of equal maxima)."""
    present = [(key, value) for key, value in ordered if _finite(value)]
    if not present:
        return f"{name}: no data."
    peak_key, peak = max(present, key=lambda point: point[1])  # max keeps the first
    last_key, last = present[-1]
    return (
        f"{name} max {_with_unit(peak, unit)} at {label(peak_key)},"
        f" latest {_with_unit(last, unit)} at {label(last_key)}."
    )


# --- Bar chart -----------------------------------------------------------------------------


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str,
    width: float = 640,
    height: float = 200,
) -> str:
    """An SVG chart of horizontal bars, one per (label, value) in the order given: the label
    on the left (cut to fit; the full text in the bar's tooltip), the value printed beside
    the bar's end. Bars are scaled to the largest value; negative, NaN or infinite values draw
    no bar but still print. The bars share the height at 14 to 28 a row, and the chart takes the
    height its rows need: shorter for a few bars, taller for many. No bars: a small "No data
    yet" chart."""
    _check_size(width, height)
    if not bars:
        return _no_data(title, width)
    labels = [str(label) for label, _value in bars]
    values = [float(value) for _label, value in bars]
    shown_values = [_with_unit(value, unit) for value in values]
    inner = width - 2 * PAD
    label_width = min(max(len(label) for label in labels) * CHAR_WIDTH, inner * 0.4)
    value_width = min(max(len(text) for text in shown_values) * CHAR_WIDTH, inner * 0.25)
    start = PAD + label_width + 6
    length = width - PAD - value_width - 4 - start
    row = min(28.0, max(14.0, (height - PLOT_TOP - PAD) / len(bars)))
    height = PLOT_TOP + row * len(bars) + PAD
    drawn = [value if math.isfinite(value) and value > 0 else 0.0 for value in values]
    peak = max(drawn)

    body: list[str] = []
    summary: list[str] = []
    for index, (label, value, text) in enumerate(zip(labels, drawn, shown_values, strict=True)):
        middle = PLOT_TOP + row * index + row / 2
        size = value / peak * length if peak else 0.0
        thickness = row * 0.7
        body.append(
            f'<text x="{_n(start - 6)}" y="{_n(middle + 4)}" text-anchor="end">'
            f"{_text(_clip(label, _fits(label_width)))}</text>"
        )
        body.append(
            f'<rect x="{_n(start)}" y="{_n(middle - thickness / 2)}" width="{_n(size)}"'
            f' height="{_n(thickness)}" fill="{PALETTE[0]}">'
            f"<title>{_text(f'{label}: {text}')}</title></rect>"
        )
        body.append(
            f'<text x="{_n(start + size + 4)}" y="{_n(middle + 4)}" fill-opacity="0.85">'
            f"{_text(text)}</text>"
        )
        summary.append(f"{label} {text}")
    shown = summary[:50]
    more = f"; and {len(summary) - 50} more" if len(summary) > 50 else ""
    desc = f"{len(bars)} bars: " + "; ".join(shown) + more + "."
    return _svg(title, desc, width, height, body)
