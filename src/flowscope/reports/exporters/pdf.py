"""PDF with ReportLab's platypus: the HTML page's content, laid out for paper.

Captured strings enter Paragraph mini-markup only through ``pdf_style.markup`` (escaped),
so they are never tags. Long tables repeat their header on every page, long cells wrap
and a 200-line stack trace flows across pages (``pdf_tables``). A report with a wide
table is set in landscape A4, others in portrait.
"""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import pdf_fonts, pdf_style, pdf_tables, shape, values

MARGIN = 14 * mm
FRAME_PADDING = 6  # platypus' Frame pads its content by this much on each side
SUMMARY_COLUMNS = 4
FIELDS_WIDTH = 110 * mm  # a fields section is a narrow two-column table
# A section this short moves to the next page whole rather than leave a row behind.
SMALL_ROWS = 15
# A heading starts a new page unless this much room (pt) is left under it.
KEEP_WITH_HEADING = 72


def render(report):
    buffer = io.BytesIO()
    title = values.text(report.get("title")) or shape.type_label(report)
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if shape.wide(report) else A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=title,
        author="Flowscope",
        creator="Flowscope",
        invariant=True,  # the same report gives the same bytes
    )
    decorate = _decoration(f"Flowscope · {shape.type_label(report)} report")
    width = document.width - 2 * FRAME_PADDING
    document.build(_story(report, title, width), decorate, decorate)
    return buffer.getvalue()


def _story(report, title, width):
    styles = pdf_style.styles()
    facts = " &nbsp;·&nbsp; ".join(
        f"{pdf_style.muted(label)} {pdf_style.markup(text)}" for label, text in shape.meta(report)
    )
    story = [Paragraph(pdf_style.markup(title), styles["title"]), Paragraph(facts, styles["meta"])]
    story.append(Spacer(0, 4 * mm))
    summary = report.get("summary") or {}
    if summary:
        story += [*_heading("Summary"), _summary(summary, width)]
    for section in report.get("sections") or []:
        story += _section(section, width)
    return story


def _heading(text):
    """A heading, never alone at the foot of a page. (Not keepWithNext: that would move a
    heading and a table longer than the rest of the page to the next page whole.)"""
    style = pdf_style.styles()["heading"]
    return [CondPageBreak(KEEP_WITH_HEADING), Paragraph(pdf_style.markup(text), style)]


def _section(section, width):
    styles = pdf_style.styles()
    flowables = _heading(values.text(section.get("title") or section.get("key")))
    if section.get("note"):
        flowables.append(Paragraph(pdf_style.markup(section["note"]), styles["note"]))
    kind = shape.kind(section)
    if kind == "text":
        text = values.text(section.get("text")).strip("\n") or "None."
        return [*flowables, Paragraph(pdf_style.markup(text), styles["text"])]
    columns, rows = shape.table(section) if kind == "table" else shape.fields(section)
    if not rows:
        return [*flowables, Paragraph("None.", styles["empty"])]
    width = min(width, FIELDS_WIDTH) if kind == "fields" else width
    flowables.append(pdf_tables.table(columns, rows, width))
    small = len(rows) <= SMALL_ROWS and not shape.detail_columns(columns, rows)
    return [KeepTogether(flowables)] if small else flowables


def _summary(summary, width):
    """The summary as a grid of label-over-value cards, like the HTML page."""
    label = pdf_style.styles()["label"]
    cards = [
        [Paragraph(pdf_style.markup(key), label), pdf_tables.cell(value, "value")]
        for key, value in summary.items()
    ]
    cards += [""] * (-len(cards) % SUMMARY_COLUMNS)
    grid = [cards[i : i + SUMMARY_COLUMNS] for i in range(0, len(cards), SUMMARY_COLUMNS)]
    table = Table(grid, colWidths=[width / SUMMARY_COLUMNS] * SUMMARY_COLUMNS, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, -1), pdf_style.PANEL),
                ("INNERGRID", (0, 0), (-1, -1), 2, colors.white),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _decoration(caption):
    """Draws the running head and the page number on every page."""

    def draw(canvas, document):
        canvas.saveState()
        canvas.setFont(pdf_fonts.fonts()["body"], 7.5)
        canvas.setFillColor(pdf_style.MUTED)
        left = document.leftMargin + FRAME_PADDING
        right = document.pagesize[0] - document.rightMargin - FRAME_PADDING
        canvas.drawString(left, document.pagesize[1] - MARGIN + 2 * mm, caption)
        canvas.drawRightString(right, MARGIN - 6 * mm, f"Page {document.page}")
        canvas.restoreState()

    return draw
