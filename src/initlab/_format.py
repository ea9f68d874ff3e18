"""Number and table formatting (internal, shared by the reports, the verdicts, the plots and
the statistics): one number formatter, one text-table aligner, one HTML-table writer."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np


def number(value: float, digits: int = 4, *, small: float = 1e-3, large: float = 1e4,
           outside: int | None = None, exponent: bool = False,
           trailing_zeros: bool = False) -> str:
    """``value`` with ``digits`` significant digits; ``outside`` digits (default ``digits``)
    when ``|value| < small`` or ``|value| >= large`` (in ``e`` notation with ``exponent``).

    ``nan``, ``inf``, ``-inf`` and ``0`` are spelled as such; ``trailing_zeros`` keeps the
    zeros after the point (``1.00``) and spells zero with them too.

    >>> number(0.123456), number(123456.0), number(1.5e-5, exponent=True)
    ('0.1235', '1.235e+05', '1.500e-05')
    >>> number(1e-4, 3, outside=2), number(1.0, 3, trailing_zeros=True), number(float("nan"))
    ('0.0001', '1.00', 'nan')
    """
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 and not trailing_zeros:
        return "0"
    alt = "#" if trailing_zeros else ""
    if v != 0 and (abs(v) < small or abs(v) >= large):
        n = digits if outside is None else outside
        text = f"{v:.{n - 1}e}" if exponent else f"{v:{alt}.{n}g}"
    else:
        text = f"{v:{alt}.{digits}g}"
    return text.rstrip(".") if trailing_zeros else text


def cell(value: object) -> str:
    """A table cell: ``yes``/``no``, integers as such, ``-`` for None, strings unchanged,
    other numbers by :func:`number` (4 significant digits, ``e`` notation outside
    ``[1e-3, 1e4)``)."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return number(float(value), 4, exponent=True)  # type: ignore[arg-type]


def align(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned text columns, two spaces apart, the header first."""
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
              for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]],
               footer: str = "") -> str:
    """An escaped HTML table (for ``_repr_html_``) with a caption and an optional footer."""
    out = ["<table class=\"initlab-report\">",
           f"<caption style=\"text-align:left\">{html.escape(caption)}</caption>", "<thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td style=\"text-align:right\">{html.escape(c)}</td>"
                                    for c in r) + "</tr>")
    out.append("</tbody></table>")
    if footer:
        out.append(f"<p>{html.escape(footer)}</p>")
    return "\n".join(out)
