"""Build-time SVG charts: horizontal bar chart and histogram. No JavaScript.

Every chart is an inline ``<svg role="img">`` with ``<title>`` and ``<desc>`` (the desc
summarises the data in Italian; the page also shows the data table), scales with its
container through ``viewBox`` (no fixed width/height), uses only presentation
attributes (the site's CSP has no ``'unsafe-inline'`` styles; page CSS may restyle the
classes ``bar``, ``grid``, ``axis``, ``label``, ``value``), and is deterministic.
Text is escaped with :func:`markupsafe.escape`.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from typing import Callable, Sequence

from markupsafe import escape

from . import formatting

BAR = "#0066cc"  # 5.6:1 on white (WCAG 1.4.11 asks >= 3:1)
BAR_NEG = "#a64d00"  # negative values: 5.3:1 on white
TEXT = "#1a1a1a"  # 17:1 on white
MUTED = "#5c6f82"  # axis: 5.1:1 on white
GRID = "#dde3ea"  # decorative
FONT = 12  # user units; the viewBox is about as wide as the rendered chart
CHAR_W = 0.58  # average glyph width / font size, for layout estimates
FILE_FONT = "'Titillium Web', Arial, sans-serif"  # an SVG file has no page CSS


def _e(s) -> str:
    return str(escape(str(s)))


def _n(x: float) -> str:
    """Coordinate: at most one decimal, no trailing zeros (deterministic)."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def _pfx(kind: str, title: str, data) -> str:
    return kind[0] + hashlib.sha256(f"{kind}|{title}|{data!r}".encode()).hexdigest()[:8]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round values covering [lo, hi] with a 1, 2, 2.5 or 5 x 10^k step, the step whose
    number of intervals is closest to ``n`` (ties: fewer intervals)."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + 1
    n = max(1, n)
    mag = 10 ** math.floor(math.log10((hi - lo) / n))
    best = None
    for step in sorted({m * mag * f for m in (1, 2, 2.5, 5) for f in (0.1, 1, 10)}):
        start = math.floor(lo / step + 1e-9) * step
        count = max(1, math.ceil((hi - start) / step - 1e-9))
        key = (abs(count - n), count)
        if best is None or key < best[0]:
            best = (key, step, start, count)
    _, step, start, count = best
    return [round(start + i * step, 10) for i in range(count + 1)]


def _decimals(values: Sequence[float], cap: int = 6) -> int:
    """Fewest decimals that write every value exactly (round numbers from nice_ticks)."""
    for d in range(cap + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return cap


def _tick_fmt(ticks: list[float]) -> Callable[[float], str]:
    dec = _decimals(ticks)
    return lambda v: formatting.num(round(v, dec) if dec else int(round(v)), dec or None)


def standalone(svg: str) -> str:
    """An inline chart or map as a file of its own (download, ``<img>``, embedding on other
    sites): XML declaration, an intrinsic size from its ``viewBox`` and a font family on the
    root element, as nothing of the page styles it any more."""
    head, sep, rest = svg.partition(">")
    m = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', head)
    if m and " width=" not in head:
        head += f' width="{m.group(1)}" height="{m.group(2)}"'
    if " font-family=" not in head:
        head += f' font-family="{FILE_FONT}"'
    return '<?xml version="1.0" encoding="utf-8"?>\n' + head + sep + rest


def _truncate(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max(1, max_chars - 1)].rstrip() + "…"


# =====================================================================================
# Horizontal bar chart
# =====================================================================================
def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    unit_fmt: Callable[[float], str] = formatting.num,
    max_items: int = 30,
    *,
    desc: str | None = None,
    width: int = 640,
    id_prefix: str | None = None,
) -> str:
    """Horizontal bars in the given order, one per ``(label, value)``.

    Only the first ``max_items`` are drawn (the desc says how many were left out).
    ``None`` values are shown as "dato non disponibile" without a bar.  Labels longer
    than the label column are shortened with "…"; the full label is in each bar's
    ``<title>`` (hover) and in the data table.
    """
    all_items = list(items)
    shown = all_items[:max_items]
    pfx = id_prefix or _pfx("bar", title, shown)
    vals = [float(v) for _, v in shown if v is not None]
    lo = min([0.0] + vals)
    hi = max([0.0] + vals)
    if lo == hi == 0:
        hi = 1.0
    ticks = nice_ticks(lo, hi, 4)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    tfmt = _tick_fmt(ticks)

    vtexts = [unit_fmt(v) if v is not None else "dato non disponibile" for _, v in shown]
    label_chars = max([len(str(lab)) for lab, _ in shown] + [4])
    label_w = min(width * 0.4, label_chars * FONT * CHAR_W + 8)
    max_label_chars = int((label_w - 8) / (FONT * CHAR_W))
    value_w = max([len(t) for t in vtexts] + [4]) * FONT * CHAR_W + 8
    pad_l, pad_r, pad_t = 4, 8, 8
    x0 = pad_l + label_w
    plot_w = max(60.0, width - x0 - value_w - pad_r)
    row, bar_h = 22, 14
    axis_h = 24
    height = pad_t + max(1, len(shown)) * row + axis_h

    def sx(v: float) -> float:
        return x0 + (v - lo) / (hi - lo) * plot_w

    n_all = len(all_items)
    if desc is None:
        if vals:
            present = [i for i, (_, v) in enumerate(shown) if v is not None]
            imax = max(present, key=lambda i: float(shown[i][1]))
            imin = min(present, key=lambda i: float(shown[i][1]))
            desc = (
                f"Grafico a barre orizzontali con {len(shown)} voci"
                f"{f' (le prime {len(shown)} di {n_all})' if n_all > len(shown) else ''}. "
                f"Valore più alto: {shown[imax][0]}, {vtexts[imax]}; "
                f"più basso: {shown[imin][0]}, {vtexts[imin]}. "
                f"Gli stessi valori sono nella tabella dei dati."
            )
        else:
            desc = "Grafico a barre senza valori disponibili."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="bar-chart" role="img" aria-labelledby="{pfx}-t {pfx}-d">'
        f'<title id="{pfx}-t">{_e(title)}</title><desc id="{pfx}-d">{_e(desc)}</desc>'
        f'<g font-size="{FONT}" fill="{TEXT}">'
    ]
    # grid and axis
    y_axis = pad_t + len(shown) * row + 4
    out.append('<g class="grid">')
    for t in ticks:
        x = _n(sx(t))
        out.append(f'<line x1="{x}" x2="{x}" y1="{pad_t}" y2="{y_axis}" stroke="{GRID}"/>')
    out.append('</g><g class="axis">')
    out.append(
        f'<line x1="{_n(sx(0))}" x2="{_n(sx(0))}" y1="{pad_t}" y2="{y_axis}" stroke="{MUTED}"/>'
    )
    for t in ticks:
        out.append(
            f'<text x="{_n(sx(t))}" y="{y_axis + 15}" text-anchor="middle" '
            f'fill="{MUTED}">{_e(tfmt(t))}</text>'
        )
    out.append("</g>")
    # bars
    for i, ((label, v), vt) in enumerate(zip(shown, vtexts)):
        y = pad_t + i * row
        yb = y + (row - bar_h) / 2
        ty = _n(y + row / 2 + FONT * 0.35)
        out.append(
            f'<g class="item"><title>{_e(label)}: {_e(vt)}</title>'
            f'<text class="label" x="{_n(x0 - 6)}" y="{ty}" text-anchor="end">'
            f"{_e(_truncate(str(label), max_label_chars))}</text>"
        )
        if v is not None:
            a, b = sorted((sx(0), sx(float(v))))
            w = max(b - a, 1.0 if float(v) != 0 else 0.0)
            out.append(
                f'<rect class="bar" x="{_n(a)}" y="{_n(yb)}" width="{_n(w)}" '
                f'height="{bar_h}" fill="{BAR if float(v) >= 0 else BAR_NEG}"/>'
            )
            tx = _n(max(b, sx(0)) + 4)
        else:
            tx = _n(sx(0) + 4)
        out.append(f'<text class="value" x="{tx}" y="{ty}">{_e(vt)}</text></g>')
    out.append("</g></svg>")
    return "".join(out)


# =====================================================================================
# Histogram
# =====================================================================================
def histogram(
    values: Sequence[float | None],
    title: str,
    bins: int = 10,
    fmt: Callable[[float], str] | None = None,
    *,
    unit: str = "valori",
    x_label: str | None = None,
    nice: bool = True,
    desc: str | None = None,
    width: int = 640,
    height: int = 300,
    id_prefix: str | None = None,
) -> str:
    """Counts of ``values`` in about ``bins`` equal-width classes.

    With ``nice`` (default) the class bounds are round numbers (steps of 1, 2, 2.5, 5 x
    10^n) covering the data, so the number of classes may differ slightly from ``bins``;
    with ``nice=False`` exactly ``bins`` classes from the minimum to the maximum.
    Classes are ``[a, b)``, the last ``[a, b]``.  ``fmt`` formats the class bounds (default:
    it-IT with decimals suited to the class width); ``unit`` names what is counted
    ("comuni", "progetti"...; the y axis reads "Numero di <unit>"), ``x_label`` the measure
    under the x axis.  ``None``/NaN values are left out and counted in the desc.
    """
    clean = [float(v) for v in values if v is not None and not _isnan(v)]
    missing = len(values) - len(clean)
    pfx = id_prefix or _pfx("histogram", title, (bins, clean))
    bins = max(1, int(bins))
    if clean:
        vmin, vmax = min(clean), max(clean)
    else:
        vmin, vmax = 0.0, 1.0
    if vmax == vmin:
        edges = [vmin, vmin]
    elif nice:
        edges = nice_ticks(vmin, vmax, bins)  # round bounds, about ``bins`` classes
    else:
        step = (vmax - vmin) / bins
        edges = [vmin + i * step for i in range(bins)] + [vmax]
    bins = len(edges) - 1
    counts = [0] * bins
    for v in clean:
        i = bisect.bisect_right(edges, v) - 1
        counts[min(max(i, 0), bins - 1)] += 1
    if fmt is None:
        dec = (
            _decimals(edges, cap=3)
            if nice or vmax == vmin
            else max(0, 2 - math.floor(math.log10((vmax - vmin) / bins)))
        )

        def fmt(v, dec=dec):
            return formatting.num(
                round(float(v), dec) if dec else int(round(float(v))), dec or None
            )

    ticks = nice_ticks(0, max(counts + [1]), 4)
    ticks = [t for t in ticks if t == int(t)] or [0, 1]
    ymax = ticks[-1]
    yfmt = _tick_fmt(ticks)
    edge_txt = [fmt(e) for e in edges]
    longest = max(len(t) for t in edge_txt) * FONT * CHAR_W + 6
    pad_t, pad_r = FONT + 14, max(12.0, longest / 2)
    pad_l = max(max(len(yfmt(t)) for t in ticks) * FONT * CHAR_W + 14, longest / 2)
    pad_b = 40
    plot_w = width - pad_l - pad_r
    plot_h = height - pad_t - pad_b
    bw = plot_w / bins

    def sy(c: float) -> float:
        return pad_t + plot_h - c / ymax * plot_h

    if desc is None:
        if clean:
            parts = [
                f"Istogramma di {formatting.num(len(clean))} {unit} in {bins} "
                f"{'classe' if bins == 1 else 'classi'}"
                f"{'' if bins == 1 else ' di uguale ampiezza'}, "
                f"da {edge_txt[0]} a {edge_txt[-1]}."
            ]
            parts += [
                f"{_range_label(edge_txt, i, bins)}: {formatting.num(c)}."
                for i, c in enumerate(counts)
            ]
        else:
            parts = ["Istogramma senza valori disponibili."]
        if missing:
            parts.append(f"Valori mancanti, esclusi: {formatting.num(missing)}.")
        parts.append("Gli stessi valori sono nella tabella dei dati.")
        desc = " ".join(parts)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="histogram" role="img" aria-labelledby="{pfx}-t {pfx}-d">'
        f'<title id="{pfx}-t">{_e(title)}</title><desc id="{pfx}-d">{_e(desc)}</desc>'
        f'<g font-size="{FONT}" fill="{TEXT}"><g class="grid">'
    ]
    x_end = _n(pad_l + plot_w)
    for t in ticks:
        out.append(
            f'<line x1="{_n(pad_l)}" x2="{x_end}" y1="{_n(sy(t))}" y2="{_n(sy(t))}" '
            f'stroke="{GRID}"/>'
        )
    out.append('</g><g class="bars">')
    for i, c in enumerate(counts):
        x = pad_l + i * bw + 1
        h = sy(0) - sy(c)
        if c:
            h = max(h, 2.0)  # a class with few items stays visible
        out.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(sy(0) - h)}" '
            f'width="{_n(max(bw - 2, 1))}" height="{_n(h)}" fill="{BAR}"><title>'
            f"{_e(_range_label(edge_txt, i, bins))}: {_e(formatting.num(c))} {_e(unit)}"
            f"</title></rect>"
        )
    out.append('</g><g class="axis" fill="' + MUTED + '">')
    out.append(
        f'<line x1="{_n(pad_l)}" x2="{x_end}" y1="{_n(sy(0))}" y2="{_n(sy(0))}" stroke="{MUTED}"/>'
    )
    for t in ticks:
        out.append(
            f'<text x="{_n(pad_l - 6)}" y="{_n(sy(t) + FONT * 0.35)}" '
            f'text-anchor="end">{_e(yfmt(t))}</text>'
        )
    # x labels at class edges, thinned so they do not overlap
    every = max(1, math.ceil(longest / bw))
    for i, txt in enumerate(edge_txt):
        if i % every and i != len(edge_txt) - 1:
            continue
        if i == len(edge_txt) - 1 and i % every and (i - i % every) * bw + longest > i * bw:
            continue  # last label would collide with the previous one
        out.append(
            f'<text x="{_n(pad_l + i * bw)}" y="{_n(sy(0) + 16)}" '
            f'text-anchor="middle">{_e(txt)}</text>'
        )
    out.append(f'<text x="4" y="{FONT + 2}">Numero di {_e(unit)}</text>')
    if x_label:
        out.append(
            f'<text x="{_n(pad_l + plot_w / 2)}" y="{height - 4}" '
            f'text-anchor="middle">{_e(x_label)}</text>'
        )
    out.append("</g></g></svg>")
    return "".join(out)


def _range_label(edge_txt: list[str], i: int, bins: int) -> str:
    a, b = edge_txt[i], edge_txt[i + 1]
    if a == b:
        return a
    return f"da {a} a {b}" if i == bins - 1 else f"da {a} a meno di {b}"


def _isnan(v) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return True
