"""Markdown for pasting into a ticket (GitHub-flavoured): a title, the facts, the summary
and each section as a table, multi-line text as a fenced block.

Captured strings must stay text. Every character that opens inline markup (emphasis,
code, links, raw HTML, entities, strikethrough, math) is backslash-escaped, ``|`` too so
it cannot split a cell, and a newline inside a cell becomes ``<br>`` (which GitHub renders
as a line break in a table cell). Leading spaces become ``&nbsp;``: renderers trim cell
whitespace, and the step tree's indentation is its shape.
"""

import re

from . import shape, values

_MARKUP = re.compile(r"([\\`*_\[\]<>&~|$#])")


def render(report):
    blocks = [f"# {_inline(report.get('title') or shape.type_label(report))}", _facts(report)]
    summary = report.get("summary") or {}
    if summary:
        blocks += ["## Summary", _table(["Field", "Value"], [list(i) for i in summary.items()])]
    for section in report.get("sections") or []:
        blocks += _section(section)
    return ("\n\n".join(blocks) + "\n").encode()


def _facts(report):
    return "\n".join(f"- **{label}:** {_inline(text)}" for label, text in shape.meta(report))


def _section(section):
    blocks = [f"## {_inline(section.get('title') or section.get('key') or '')}"]
    if section.get("note"):
        blocks.append(f"_{_inline(section['note'])}_")
    kind = shape.kind(section)
    if kind == "text":
        blocks.append(_text(values.text(section.get("text"))))
        return blocks
    columns, rows = shape.table(section) if kind == "table" else shape.fields(section)
    blocks.append(_table(columns, rows) if rows else "_None._")
    return blocks


def _table(columns, rows):
    numeric = shape.numeric_columns(rows, len(columns))
    lines = [
        _row(columns),
        "| " + " | ".join("---:" if right else "---" for right in numeric) + " |",
    ]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells):
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(value):
    """One cell on one line: each line's indentation kept, lines joined with ``<br>``."""
    lines = values.text(value).split("\n")
    spelled = []
    for line in lines:
        indent, rest = values.split_indent(line)
        spelled.append("&nbsp;" * indent + _escape(rest))
    return "<br>".join(spelled).strip() or " "


def _inline(value):
    """Text for a heading or a paragraph: one line, escaped."""
    return _escape(" ".join(values.text(value).split()))


def _escape(text):
    return _MARKUP.sub(r"\\\1", text)


def _text(text):
    """One line as a paragraph; several as a fenced block, fenced with more backticks
    than the longest run in the text so that the text cannot close it."""
    if not text.strip():
        return "_None._"
    if "\n" not in text.strip():
        return _inline(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text.strip("\n")
    return f"{fence}text\n{body}\n{fence}"
