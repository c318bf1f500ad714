"""SVG primitives shared by the report's maps (``figures``) and charts (``charts``): escaping,
text-width estimates, number display with the report's rounding, palettes and the document
wrapper. Hand-written SVG (no plotting library); 1 unit of a viewBox = 0.25 mm, so a figure
680 units wide fills a 170 mm A4 text column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from layers.report.labels import as_text, lang_index

#: Width of every figure in viewBox units (170 mm at 0.25 mm per unit).
WIDTH = 680.0
#: Millimetres per viewBox unit.
MM_PER_UNIT = 0.25
FONT = "'Noto Sans CJK SC', 'Noto Sans CJK', sans-serif"
#: Font sizes (viewBox units; 10 units = 2.5 mm ~ 7.1 pt).
SIZE_TITLE, SIZE_TEXT, SIZE_SMALL = 12.0, 10.0, 8.5
INK, MUTED, GRID = "#222222", "#666666", "#d9d9d9"
#: Estimated advance of a character, in em: CJK and full-width forms 1, everything else 0.55.
WIDE_EM, NARROW_EM = 1.0, 0.55

#: Line-breaking units: one CJK character, or a run of other non-space characters with the
#: spaces after it.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+\\s*|\\s+")
#: Characters that may not begin a line (closing brackets and punctuation stay with the text before).
_NO_LINE_START = set("）)」』】〉》、。，．,.：:；;！!？?%％")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def esc(text: Any) -> str:
    """``text`` as XML character data: ``&<>`` escaped, characters XML forbids removed."""
    return escape(_CONTROL.sub("", str(text)))


def attr(value: Any) -> str:
    """``value`` as a quoted XML attribute value (quotes included)."""
    return quoteattr(_CONTROL.sub("", str(value)))


def is_wide(ch: str) -> bool:
    """True for a character drawn about 1 em wide (CJK, full-width forms)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_width(text: str, size: float) -> float:
    """Estimated advance width of ``text`` at font ``size`` (CJK 1 em, others 0.55 em)."""
    return size * sum(WIDE_EM if is_wide(ch) else NARROW_EM for ch in str(text))


def wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines at most ``width`` wide (estimated): Latin words stay whole
    (unless a word alone is too wide), CJK may break between any two characters."""
    tokens = _TOKENS.findall(str(text))
    lines, line = [], ""
    for tok in tokens:
        if line and tok[0] not in _NO_LINE_START and text_width((line + tok).rstrip(), size) > width:
            lines.append(line.rstrip())
            line = tok.lstrip()
        else:
            line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def text(x: float, y: float, content: Any, size: float = SIZE_TEXT, *, anchor: str = "start",
         fill: str = INK, weight: str | None = None, cls: str | None = None, halo: bool = False,
         extra: str = "") -> str:
    """A ``<text>`` element (baseline at ``y``); ``halo`` draws a white outline under it first
    (two elements, so that renderers without ``paint-order`` show it too)."""
    common = f'x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"'
    if weight:
        common += f' font-weight="{weight}"'
    body = esc(content)
    out = ""
    if halo:
        out = (f'<text {common} fill="#ffffff" stroke="#ffffff" stroke-width="{size * 0.28:.1f}" '
               f'stroke-linejoin="round" aria-hidden="true">{body}</text>')
    klass = f' class="{cls}"' if cls else ""
    return out + f'<text{klass} {common} fill="{fill}"{extra}>{body}</text>'


def document(width: float, height: float, body: str, title: str, role_id: str) -> str:
    """A complete ``<svg>`` element of ``width`` x ``height`` viewBox units, printed at
    0.25 mm per unit, with a ``<title>`` and the report font."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" id={attr(role_id)} '
            f'viewBox="0 0 {width:g} {height:.1f}" width="{width * MM_PER_UNIT:g}mm" '
            f'height="{height * MM_PER_UNIT:.2f}mm" font-family={attr(FONT)} role="img">'
            f'<title>{esc(title)}</title>{body}</svg>')


def fmt(value: Any, column: str, lang: str = "zh") -> str:
    """A value as the report prints it everywhere (``labels.as_text``: the XLSX number format
    of the column's kind, rounded half-up; missing -> an em dash)."""
    return as_text(value, column, lang)


def nice_step(span: float, target: int = 5) -> float:
    """A 1/2/5 x 10^n step giving about ``target`` intervals over ``span`` (> 0)."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def nice_floor(value: float) -> float:
    """The largest 1/2/5 x 10^n not above ``value`` (> 0)."""
    power = 10 ** math.floor(math.log10(value))
    return max(m * power for m in (1, 2, 5) if m * power <= value * (1 + 1e-9))


def tick_label(value: float) -> str:
    """An axis tick: thousands separators, no trailing zeros."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,d}"
    return f"{value:,.6g}"


def check_lang(lang: str) -> int:
    """0 for 'zh', 1 for 'en'; ValueError naming the parameter otherwise."""
    return lang_index(lang)


def luminance(colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of a ``#rrggbb`` colour."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def mix(a: str, b: str, t: float) -> str:
    """The colour ``t`` of the way from ``a`` to ``b`` (``#rrggbb``)."""
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def ramp(stops: list[str], t: float) -> str:
    """A colour at ``t`` in 0..1 along evenly spaced ``stops``."""
    t = min(max(float(t), 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    return mix(stops[i], stops[i + 1], t - i)


def slug(*parts: Any) -> str:
    """An id fragment from ``parts`` (letters, digits, dashes), unique per figure in a page."""
    return "-".join(re.sub(r"[^A-Za-z0-9]+", "_", str(p)) for p in parts)
