"""Horizontal bar charts as plain SVG (no plotting library on the machines that run bench/run).

Horizontal, because the labels are long (target and workload names) and stay readable on the left.
A chart has a title, a label on the value axis, one bar per row with its figure written after it,
and optional target lines (a dashed vertical line with its own label).
"""
import math
from html import escape

ROW_HEIGHT_PX = 22
BAR_HEIGHT_PX = 15
LABEL_WIDTH_PX = 330
PLOT_WIDTH_PX = 480
VALUE_ROOM_PX = 110  # right of the plot, for the figure of the longest bar
TOP_PX = 46  # title and target labels
BOTTOM_PX = 46  # ticks and the axis label
PALETTE = {"baseline": "#8c8c8c", "tandem": "#1f77b4", "measure": "#2ca02c", "other": "#ff7f0e"}


def nice_ticks(top, count=5):
    """Round tick values from 0 to at least top."""
    if top <= 0:
        return [0, 1]
    raw_step = top / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


def log_ticks(low, high):
    return [10 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def format_value(value):
    if float(value).is_integer() and abs(value) < 1e6:
        return f"{value:,.0f}"  # axis ticks: 20, not 20.0
    if abs(value) >= 1e9:
        return f"{value / 1e9:,.3g} G"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.3g} M"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def horizontal_bars(title, value_label, bars, targets=(), log_scale=False):
    """bars: (label, value, kind) with kind a PALETTE key; targets: (value, label) drawn as dashed
    lines. Returns the SVG text."""
    values = [v for _, v, _ in bars if v is not None] + [t for t, _ in targets]
    if log_scale:
        positive = [v for v in values if v > 0] or [1]
        ticks = log_ticks(min(positive), max(positive))
        low, high = math.log10(ticks[0]), math.log10(ticks[-1])

        def x_of(v):
            return LABEL_WIDTH_PX + PLOT_WIDTH_PX * (math.log10(max(v, ticks[0])) - low) / (
                (high - low) or 1)
    else:
        ticks = nice_ticks(max(values + [0]))

        def x_of(v):
            return LABEL_WIDTH_PX + PLOT_WIDTH_PX * v / (ticks[-1] or 1)
    plot_height = ROW_HEIGHT_PX * len(bars)
    width = LABEL_WIDTH_PX + PLOT_WIDTH_PX + VALUE_ROOM_PX
    height = TOP_PX + plot_height + BOTTOM_PX
    bottom = TOP_PX + plot_height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="15" font-weight="bold">{escape(title)}</text>']
    for tick in ticks:
        x = x_of(tick)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP_PX}" y2="{bottom}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">'
                   f'{format_value(tick)}</text>')
    out.append(f'<text x="{LABEL_WIDTH_PX + PLOT_WIDTH_PX / 2}" y="{bottom + 36}" '
               f'text-anchor="middle">{escape(value_label)}</text>')
    for row, (label, value, kind) in enumerate(bars):
        y = TOP_PX + row * ROW_HEIGHT_PX + (ROW_HEIGHT_PX - BAR_HEIGHT_PX) / 2
        out.append(f'<text x="{LABEL_WIDTH_PX - 8}" y="{y + BAR_HEIGHT_PX - 3:.1f}" '
                   f'text-anchor="end">{escape(label)}</text>')
        if value is None:
            out.append(f'<text x="{LABEL_WIDTH_PX + 4}" y="{y + BAR_HEIGHT_PX - 3:.1f}" '
                       f'fill="#888">not measured</text>')
            continue
        end = x_of(value)
        out.append(f'<rect x="{LABEL_WIDTH_PX}" y="{y:.1f}" width="{max(end - LABEL_WIDTH_PX, 1):.1f}" '
                   f'height="{BAR_HEIGHT_PX}" fill="{PALETTE.get(kind, PALETTE["other"])}">'
                   f'<title>{escape(label)}: {format_value(value)}</title></rect>')
        out.append(f'<text x="{end + 4:.1f}" y="{y + BAR_HEIGHT_PX - 3:.1f}">'
                   f'{format_value(value)}</text>')
    out.append(f'<line x1="{LABEL_WIDTH_PX}" x2="{LABEL_WIDTH_PX}" y1="{TOP_PX}" y2="{bottom}" '
               f'stroke="black"/>')
    for index, (value, label) in enumerate(targets):
        x = x_of(value)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP_PX - 4}" y2="{bottom}" stroke="#d62728" '
                   f'stroke-width="1.5" stroke-dasharray="5,3"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP_PX - 8 - 12 * (index % 2)}" text-anchor="middle" '
                   f'fill="#d62728">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
