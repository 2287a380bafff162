"""HTML: a self-contained printable page — inline CSS, no scripts, no external assets — so
it can be attached to a ticket, opened offline and printed.

Its Content-Security-Policy allows nothing but its one stylesheet (by its hash): no script,
no style attribute, nothing fetched. The page carries the policy in a ``<meta>`` (it holds
when the file is opened from disk) and the export answers it as a header too. What varies
per report (a step's indent, a bar's length) is a class whose rule the stylesheet holds.

It renders with a private template engine that always autoescapes: a host project's
TEMPLATES settings (autoescape off, string_if_invalid, builtins) cannot change what a
captured string becomes here. The template only places values; what each cell looks
like (number, status, indented step, stack trace) is decided in this module.
"""

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from django.template import Context, Engine
from django.utils.safestring import mark_safe

from . import shape, values

TEMPLATE = "flowscope/reports/report.html"
STYLESHEET = "flowscope/reports/report.css"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# The step tree indents a child by two spaces; one space draws as this many em.
INDENT_EM = 0.6
# Paths and URLs may break after a slash (``<wbr>``); a piece still longer than this may
# break anywhere, shorter ones are kept whole.
LONG_WORD = 40
BREAK_AFTER = re.compile(r"(?<=[/\\])(?=.)")
# Fields sections whose title says they measure time get proportional bars.
TIMED = re.compile(r"\b(ms|time|times|duration)\b", re.IGNORECASE)


@cache
def _engine():
    return Engine(dirs=[str(TEMPLATES_DIR)], autoescape=True)


def render(report):
    return render_with_policy(report)[0]


def render_with_policy(report):
    """``(page, policy)``: the page's bytes and the Content-Security-Policy it holds."""
    context = _page(report)
    stylesheet = _engine().get_template(STYLESHEET).render(Context(_rules(context)))
    policy = content_security_policy(stylesheet)
    context.update(stylesheet=mark_safe(stylesheet), policy=policy)  # our own CSS, no data
    return _engine().get_template(TEMPLATE).render(Context(context)).encode(), policy


def content_security_policy(stylesheet):
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode()).digest()).decode()
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src 'sha256-{digest}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _rules(page):
    """What the stylesheet needs beyond its fixed rules: the page's orientation, the step
    indents and the bar lengths this report uses."""
    cells = [
        cell
        for section in page["sections"]
        for row in section.get("rows") or ()
        for cell in row["cells"]
    ]
    bars = {field["bar"] for section in page["sections"] for field in section.get("fields") or ()}
    return {
        "landscape": page["landscape"],
        "indents": [
            (spaces, f"{spaces * INDENT_EM:.1f}")
            for spaces in sorted({cell["indent"] for cell in cells} - {0})
        ],
        "bars": [(bar, f"{bar / 10:.1f}") for bar in sorted(bars - {None})],
    }


def _page(report):
    summary = report.get("summary") or {}
    status = summary.get("Status")
    return {
        "title": values.text(report.get("title")) or shape.type_label(report),
        "type_label": shape.type_label(report),
        "meta": shape.meta(report),
        "status": _cell(status) if status is not None else None,
        "summary": [{"label": values.text(k), **_cell(v)} for k, v in summary.items()],
        "sections": [_section(section) for section in report.get("sections") or []],
        "landscape": shape.wide(report),
        "generated_at": values.text(report.get("generated_at")),
    }


def _section(section):
    kind = shape.kind(section)
    title = values.text(section.get("title") or section.get("key"))
    view = {"title": title, "note": values.text(section.get("note")), "kind": kind}
    if kind == "text":
        return {**view, "text": values.text(section.get("text")).strip("\n")}
    if kind == "fields":
        return {**view, "fields": _fields(section.get("fields") or {}, TIMED.search(title))}
    return {**view, **_table(*shape.table(section))}


def _table(columns, rows):
    """Columns, and rows of cells; multi-line columns (stack traces) become each row's
    ``details``, drawn full width under it."""
    numeric = shape.numeric_columns(rows, len(columns))
    details = shape.detail_columns(columns, rows)
    inline = [i for i in range(len(columns)) if i not in details]
    return {
        "columns": [{"name": values.text(columns[i]), "numeric": numeric[i]} for i in inline],
        "rows": [
            {
                "cells": [_cell(row[i], columns[i], tree=i == 0) for i in inline],
                "details": [
                    {"name": values.text(columns[i]), "text": values.text(row[i])}
                    for i in details
                    if values.text(row[i]).strip()
                ],
                "bad": any(values.tone(value) == "bad" for value in row),
            }
            for row in rows
        ],
        "width": len(inline),
        "tree": any(values.split_indent(values.text(row[0]))[0] for row in rows if row),
    }


def _cell(value, column="", tree=False):
    """What a cell shows and how: ``indent``, a step tree's leading spaces,
    ``pre`` for multi-line text, ``flags`` as chips, ``tone`` as a badge, ``parts``
    between which a long path may break."""
    text = values.text(value)
    indent, rest = values.split_indent(text) if tree and "\n" not in text else (0, text)
    flags = str(column).lower() == "flags"
    return {
        "text": rest,
        "numeric": values.is_number(value),
        "tone": values.tone(value),
        "pre": "\n" in text,
        "indent": indent,
        "flags": [flag.strip() for flag in rest.split(",") if flag.strip()] if flags else [],
        "parts": BREAK_AFTER.split(rest),
        "long": any(len(word) > LONG_WORD for word in BREAK_AFTER.sub(" ", rest).split()),
        "empty": not text.strip(),
    }


def _fields(fields, timed):
    """Fields, each with a bar when the section measures time and every value is a
    non-negative number: then the proportions are the point (where did the time go)."""
    numbers = [v for v in fields.values() if values.is_number(v)]
    bars = timed and len(numbers) == len(fields) and min(numbers) >= 0 and max(numbers) > 0
    top = max(numbers) if bars else 0
    return [
        {
            "label": values.text(key),
            **_cell(value),
            "bar": round(1000 * value / top) if bars else None,  # per mille of the longest
        }
        for key, value in fields.items()
    ]
