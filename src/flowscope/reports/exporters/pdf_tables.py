"""The PDF's tables: cells as wrapping Paragraphs, columns sized to their content, the
header repeated on every page, and multi-line columns (stack traces) drawn as full-width
rows under their row, as on the HTML page.

Those full-width rows hold plain strings, not Paragraphs: ReportLab can split a row that
spans the table's columns across pages only when it holds plain lines (a Paragraph there
is re-wrapped to the first column's width). Plain strings are drawn as they are, never
parsed as markup; their lines are wrapped here, which the monospace font makes exact.
"""

import textwrap

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from . import pdf_fonts, pdf_style, shape, values

# Column sizing (pt): a cell's padding, and the most a word or a line may ask for.
CELL_PADDING, MAX_WORD_PT, MAX_LINE_PT, SAMPLE = 13, 85, 320, 200
# A step tree's leading space indents its cell by this much (pt).
INDENT_PT = 3
# The monospace font's advance, in em, for wrapping the full-width rows.
MONO_ADVANCE = 0.61
# A row split across pages leaves at least this much (pt) on the first page.
MIN_SPLIT = 24


def table(columns, rows, width):
    details = shape.detail_columns(columns, rows)
    inline = [i for i in range(len(columns)) if i not in details]
    data, style = _grid(columns, rows, inline, details, width)
    widths = _widths([columns[i] for i in inline], [[r[i] for i in inline] for r in rows], width)
    # With full-width rows, split inside a row first: split between rows, the rest of the
    # table (with its repeated header) would start on the same page above a long trace.
    grid = Table(
        data,
        colWidths=widths,
        repeatRows=1,
        splitByRow=0 if details else 1,
        splitInRow=MIN_SPLIT,
        hAlign="LEFT",
    )
    grid.setStyle(TableStyle(style))
    return grid


def _grid(columns, rows, inline, details, width):
    """``(data, style commands)``: the header, then each row and its full-width rows."""
    numeric = shape.numeric_columns(rows, len(columns))
    data = [[_header(columns[i], numeric[i]) for i in inline]]
    # One command for all the rules when each row is one table row: ReportLab copies every
    # style command each time it splits a table, which makes long tables slow.
    style = [*pdf_style.TABLE, *([] if details else [pdf_style.RULES])]
    for row in rows:
        start = len(data)
        data.append([cell(row[i], "number" if numeric[i] else "cell") for i in inline])
        for i in details:
            text = _detail(columns[i], row[i], width)
            if text:
                data.append([text] + [""] * (len(inline) - 1))
                style += _detail_style(len(data) - 1)
        end = len(data) - 1
        if details:  # a rule under the row's last full-width row, none between them
            style.append(("LINEBELOW", (0, end), (-1, end), 0.25, pdf_style.LINE))
        if any(values.tone(value) == "bad" for value in row):
            style.append(("BACKGROUND", (0, start), (-1, end), pdf_style.BAD_ROW))
    return data, style


def cell(value, style):
    """A cell as a wrapping Paragraph, a status word in its colour, a step tree's
    indentation as a left indent (so that a long step's wrapped lines stay under it)."""
    text = values.text(value)
    if not text:
        return Paragraph("—", pdf_style.styles()["blank"])
    base = pdf_style.styles()["code" if "\n" in text else style]
    indent, rest = values.split_indent(text) if "\n" not in text else (0, text)
    if indent:
        base = ParagraphStyle(f"{base.name}-indented", parent=base, leftIndent=indent * INDENT_PT)
    tone = values.tone(value)
    markup = pdf_style.markup(rest)
    return Paragraph(pdf_style.toned(markup, tone) if tone else markup, base)


def _header(column, numeric):
    style = pdf_style.styles()["header_number" if numeric else "header"]
    return Paragraph(pdf_style.markup(column), style)


def _detail(column, value, width):
    """The plain text of a full-width row: the column's name, then the value's lines."""
    text = values.text(value)
    if not text.strip():
        return ""
    per_line = max(int((width - CELL_PADDING) / (MONO_ADVANCE * pdf_style.CODE_SIZE)), 20)
    lines = [part for line in text.split("\n") for part in _wrap(line, per_line)]
    return "\n".join([f"{values.text(column)}:", *lines])


def _detail_style(n):
    font = ("FONT", (0, n), (-1, n), pdf_fonts.fonts()["mono"], pdf_style.CODE_SIZE)
    return [
        ("SPAN", (0, n), (-1, n)),
        ("TOPPADDING", (0, n), (-1, n), 0),
        (*font, pdf_style.CODE_LEADING),
    ]


def _wrap(line, per_line):
    """A line in parts of at most ``per_line`` characters, continuations indented."""
    indent, _ = values.split_indent(line)
    wrapped = textwrap.wrap(
        line,
        per_line,
        subsequent_indent=" " * min(indent + 4, per_line // 2),
        break_on_hyphens=False,
    )
    return wrapped or [""]


def _widths(columns, rows, width):
    """Each column gets room for its longest word (up to a limit), and what is left goes
    in proportion to its longest line (up to a limit): short words (``external``,
    ``critical``) stay whole, long text wraps. Rows are sampled: the first 200 tell."""
    need, want = [], []
    for i, column in enumerate(columns):
        texts = [(values.text(row[i]), False) for row in rows[:SAMPLE]]
        texts.append((values.text(column), True))
        words = [_width(w, bold) for text, bold in texts for w in text.split()]
        lines = [_width(ln, bold) for text, bold in texts for ln in text.split("\n")]
        need.append(min(max(words, default=0), MAX_WORD_PT) + CELL_PADDING)
        want.append(min(max(lines, default=0), MAX_LINE_PT) + CELL_PADDING)
    if sum(need) >= width:
        return [width * n / sum(need) for n in need]
    spare = width - sum(need)
    extra = [w - n for w, n in zip(want, need, strict=True)]
    if sum(extra) <= spare:
        return [w + (spare - sum(extra)) * w / sum(want) for w in want]
    return [n + spare * e / sum(extra) for n, e in zip(need, extra, strict=True)]


def _width(text, bold):
    """The width (pt) of ``text`` in the cell font, or the header's bold one."""
    fonts = pdf_fonts.fonts()
    if bold:
        return stringWidth(text, fonts["bold"], pdf_style.HEADER_SIZE)
    return stringWidth(text, fonts["body"], pdf_style.CELL_SIZE)
