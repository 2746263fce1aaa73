"""Server-rendered bar charts: inline SVG, no JavaScript (the owner dashboard's charts)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 180
_PAD = 24
#: Bar colours of the series, in order.
COLOURS = ("#4f6d8f", "#4caf7d", "#e0a030")


def bar_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str
) -> Markup:
    """Grouped vertical bars, one group per label, one bar per series.

    Args:
        labels: the x-axis labels (e.g. ``"11-23"``), one per group.
        series: ``(name, values)`` pairs; each ``values`` has one number per label.
        title: the chart's accessible title.

    Returns:
        An ``<svg>`` element, safe to put in a page (every text is escaped).
    """
    top = max((v for _, values in series for v in values), default=0) or 1
    group = (WIDTH - 2 * _PAD) / max(len(labels), 1)
    bar = max(group * 0.8 / max(len(series), 1), 1.0)
    plot = HEIGHT - 2 * _PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="{_PAD}" y="14" font-size="11">max {top}</text>',
    ]
    for i, label in enumerate(labels):
        x0 = _PAD + i * group
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = plot * value / top
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{HEIGHT - _PAD - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{escape(label)} {escape(name)}: {value}</title></rect>"
            )
        if len(labels) <= 16 or i % max(len(labels) // 10, 1) == 0:
            parts.append(
                f'<text x="{x0:.1f}" y="{HEIGHT - 6}" font-size="10">{escape(label)}</text>'
            )
    legend = "".join(
        f'<tspan fill="{COLOURS[j % len(COLOURS)]}">&#9632; {escape(name)}</tspan> '
        for j, (name, _) in enumerate(series)
    )
    parts.append(f'<text x="{WIDTH - 400}" y="14" font-size="11">{legend}</text></svg>')
    return Markup("".join(parts))
