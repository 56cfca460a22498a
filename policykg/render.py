"""Text output of query results: aligned tables (CJK-width aware), CSV and JSON.

Kept free of heavy imports: it runs on every query command.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any, Iterable, Sequence

FORMATS = ("table", "json", "csv")
Column = tuple[str, str]  # (key in the row, header)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())  # one line per row, whatever the data holds


def _clip(text: str, limit: int) -> str:
    if display_width(text) <= limit:
        return text
    out, used = [], 0
    for c in text:
        w = display_width(c)
        if used + w > limit - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], max_width: int = 60) -> str:
    """An aligned plain-text table with a header and a rule."""
    cells = [[_clip(_cell(r.get(k)), max_width) for k, _ in columns] for r in rows]
    headers = [h for _, h in columns]
    widths = [max([display_width(h)] + [display_width(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: Iterable[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(headers), line("─" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> str:
    """CSV with a header of the column keys."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([k for k, _ in columns])
    for r in rows:
        writer.writerow(["" if r.get(k) is None else _cell(r.get(k)) if isinstance(r.get(k), (list, tuple))
                         else r.get(k) for k, _ in columns])
    return buf.getvalue().rstrip("\n")


def json_text(data: Any) -> str:
    """Pretty, stable JSON with Chinese kept readable."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def render(data: Any, rows: Sequence[dict[str, Any]], columns: Sequence[Column], fmt: str) -> str:
    """``data`` as JSON, or ``rows`` as a table or CSV."""
    if fmt == "json":
        return json_text(data)
    if fmt == "csv":
        return csv_text(rows, columns)
    return table(rows, columns)
