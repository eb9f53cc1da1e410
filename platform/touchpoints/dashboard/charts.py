"""Charts as inline SVG made on the server: no script, no asset from the internet, and nothing
the Content-Security-Policy forbids (presentation attributes, not style attributes). Every
chart is also given to the page as a table, for screen readers and for copying figures."""

from __future__ import annotations

from markupsafe import Markup, escape

DIGITAL = "#1f5fa8"
OFFLINE = "#d08a2e"
APPROVALS = "#1b7f3b"
GRID = "#d9dee6"
TEXT = "#1d2330"
MUTED = "#5b6575"
NOT_PERFORMED = "#c7ccd4"
FONT = 'font-family="Liberation Sans, DejaVu Sans, Arial, sans-serif"'

LABEL_W = 260
BAR_W = 420
ROW_H = 18


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(chart_id: str, title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-t" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" {FONT} font-size="11">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
    )


def _close(out: list[str]) -> Markup:
    out.append("</svg>")
    return Markup("".join(out))


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _row_label(label: str, baseline: int) -> str:
    """A row's name left of the plot, shortened (the full name is in the chart's table)."""
    return (
        f'<text x="{LABEL_W - 6}" y="{baseline}" text-anchor="end" fill="{TEXT}">'
        f"{escape(_short(label))}</text>"
    )


def _key(x: int, fill: str, text: str) -> str:
    """One entry of the legend above a chart: a coloured square and what it stands for."""
    return (
        f'<rect x="{x}" y="2" width="10" height="10" fill="{fill}"/>'
        f'<text x="{x + 14}" y="11" fill="{TEXT}">{text}</text>'
    )


def share_bars(chart_id: str, title: str, items: list[dict]) -> Markup:
    """Horizontal bars of a share (0..1): items have label, value (None: no data), href."""
    height = 24 + ROW_H * max(1, len(items))
    width = LABEL_W + BAR_W + 60
    out = [_open(chart_id, title, width, height)]
    for pct in (0, 25, 50, 75, 100):
        x = LABEL_W + BAR_W * pct / 100
        out.append(
            f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="10" text-anchor="middle" fill="{MUTED}">{pct}%</text>'
        )
    for i, item in enumerate(items):
        y = 18 + i * ROW_H
        value = item["value"]
        bar = _row_label(item["label"], y + 12)
        if value is None:
            bar += f'<text x="{LABEL_W + 4}" y="{y + 12}" fill="{MUTED}">нет строк</text>'
        else:
            w = BAR_W * value
            bar += (
                f'<rect x="{LABEL_W}" y="{y + 2}" width="{w:.1f}" height="{ROW_H - 5}" '
                f'fill="{DIGITAL}"><title>{escape(item["label"])}: {value:.0%}</title></rect>'
                f'<text x="{LABEL_W + w + 4:.1f}" y="{y + 12}" fill="{TEXT}">{value:.0%}</text>'
            )
        out.append(_link(item.get("href"), bar))
    return _close(out)


def stacked_bars(chart_id: str, title: str, items: list[dict]) -> Markup:
    """Digital and offline counts per agency: items have label, digital, offline, href."""
    top = max([i["digital"] + i["offline"] for i in items] + [1])
    height = 40 + ROW_H * max(1, len(items))
    width = LABEL_W + BAR_W + 70
    out = [_open(chart_id, title, width, height)]
    out.append(_key(LABEL_W, DIGITAL, "цифровые") + _key(LABEL_W + 90, OFFLINE, "офлайн"))
    for i, item in enumerate(items):
        y = 22 + i * ROW_H
        d = BAR_W * item["digital"] / top
        o = BAR_W * item["offline"] / top
        tip = escape(f"{item['label']}: цифровых {item['digital']}, офлайн {item['offline']}")
        bar = _row_label(item["label"], y + 12) + (
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{d:.1f}" height="{ROW_H - 5}" '
            f'fill="{DIGITAL}"><title>{tip}</title></rect>'
            f'<rect x="{LABEL_W + d:.1f}" y="{y + 2}" width="{o:.1f}" height="{ROW_H - 5}" '
            f'fill="{OFFLINE}"><title>{tip}</title></rect>'
            f'<text x="{LABEL_W + d + o + 4:.1f}" y="{y + 12}" fill="{TEXT}">'
            f"{item['digital'] + item['offline']}</text>"
        )
        out.append(_link(item.get("href"), bar))
    return _close(out)


def timeline(chart_id: str, title: str, months: list[tuple[str, int, int]]) -> Markup:
    """Monthly columns: changes to working lists and approved versions side by side."""
    n = max(1, len(months))
    col = max(8, min(36, 720 // n))
    left, bottom = 40, 36
    plot_h = 180
    width = left + col * n + 20
    height = plot_h + bottom + 24
    top = max([max(c, a) for _, c, a in months] + [1])
    out = [_open(chart_id, title, width, height)]
    out.append(
        _key(left, DIGITAL, "изменения перечней")
        + _key(left + 150, APPROVALS, "утверждённые редакции")
    )
    base = 20 + plot_h
    for frac in (0, 0.5, 1):
        y = base - plot_h * frac
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{round(top * frac)}</text>"
        )
    half = (col - 2) / 2
    for i, (month, changes, approvals) in enumerate(months):
        x = left + i * col + 1
        hc = plot_h * changes / top
        ha = plot_h * approvals / top
        label = f"{month[5:7]}.{month[:4]}"
        out.append(
            f'<rect x="{x:.1f}" y="{base - hc:.1f}" width="{half:.1f}" height="{hc:.1f}" '
            f'fill="{DIGITAL}"><title>{label}: изменений {changes}</title></rect>'
            f'<rect x="{x + half:.1f}" y="{base - ha:.1f}" width="{half:.1f}" height="{ha:.1f}" '
            f'fill="{APPROVALS}"><title>{label}: утверждено редакций {approvals}</title></rect>'
        )
        if n <= 18 or i % max(1, n // 12) == 0:
            out.append(
                f'<text x="{x + col / 2:.1f}" y="{base + 14}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="9">{label}</text>'
            )
    return _close(out)


def heatmap(
    chart_id: str,
    title: str,
    row_labels: list[tuple[str, str | None]],
    col_labels: list[str],
    values: list[list[int | None]],
) -> Markup:
    """Agencies × columns; a cell's darkness is its count, None is «не осуществляется»."""
    cell_w, cell_h = 64, 18
    head = 86
    width = LABEL_W + cell_w * len(col_labels) + 10
    height = head + cell_h * max(1, len(row_labels)) + 26
    top = max([v for row in values for v in row if v] + [1])
    out = [_open(chart_id, title, width, height)]
    for j, label in enumerate(col_labels):
        x = LABEL_W + j * cell_w + cell_w / 2
        out.append(
            f'<text transform="translate({x:.1f},{head - 6}) rotate(-35)" fill="{TEXT}">'
            f"{escape(_short(label, 22))}<title>{escape(label)}</title></text>"
        )
    for i, (label, href) in enumerate(row_labels):
        y = head + i * cell_h
        cells = [_row_label(label, y + 13)]
        for j, value in enumerate(values[i]):
            x = LABEL_W + j * cell_w
            if value is None:
                fill, text, tip = NOT_PERFORMED, "—", "не осуществляется"
            else:
                fill = _shade(value / top) if value else "#ffffff"
                text, tip = str(value), f"строк: {value}"
            ink = "#ffffff" if value and value / top > 0.55 else TEXT
            cells.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}" '
                f'stroke="{GRID}"><title>{escape(label)} — {escape(col_labels[j])}: {tip}</title>'
                f'</rect><text x="{x + cell_w / 2 - 1:.1f}" y="{y + 12}" text-anchor="middle" '
                f'fill="{ink}">{text}</text>'
            )
        out.append(_link(href, "".join(cells)))
    legend_y = head + cell_h * max(1, len(row_labels)) + 8
    out.append(
        f'<rect x="{LABEL_W}" y="{legend_y}" width="12" height="12" fill="{NOT_PERFORMED}"/>'
        f'<text x="{LABEL_W + 16}" y="{legend_y + 10}" fill="{MUTED}">не осуществляется</text>'
        f'<rect x="{LABEL_W + 140}" y="{legend_y}" width="12" height="12" fill="#ffffff" '
        f'stroke="{GRID}"/><text x="{LABEL_W + 156}" y="{legend_y + 10}" fill="{MUTED}">'
        f"нет строк</text>"
        f'<rect x="{LABEL_W + 230}" y="{legend_y}" width="12" height="12" fill="{_shade(1)}"/>'
        f'<text x="{LABEL_W + 246}" y="{legend_y + 10}" fill="{MUTED}">больше строк</text>'
    )
    return _close(out)


def _shade(t: float) -> str:
    """From a pale blue to the accent blue."""
    t = max(0.0, min(1.0, t))
    lo, hi = (0xE4, 0xEE, 0xF9), (0x1F, 0x5F, 0xA8)
    r, g, b = (round(lo[k] + (hi[k] - lo[k]) * (0.15 + 0.85 * t)) for k in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"
