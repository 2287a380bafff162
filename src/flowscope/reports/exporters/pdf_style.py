"""The PDF's look — colours, paragraph styles, the table grid — and the one way captured
text enters ReportLab's Paragraph mini-markup: escaped."""

from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from . import pdf_fonts, values

INK = colors.HexColor("#1f2933")
MUTED_HEX = "#616e7c"
MUTED = colors.HexColor(MUTED_HEX)
LINE = colors.HexColor("#d9dee4")
PANEL = colors.HexColor("#f5f7fa")
BAD_ROW = colors.HexColor("#fff1ef")
TONES = {"good": "#1f7a45", "warn": "#8a5300", "bad": "#b42318"}
# Font sizes (pt) of table cells and headers, and of multi-line text (stack traces) with
# its leading: 1.2 times the size, which is what ReportLab assumes when it splits such a row.
CELL_SIZE, HEADER_SIZE = 8, 7.5
CODE_SIZE = 6.5
CODE_LEADING = 1.2 * CODE_SIZE
TABLE = (
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("BACKGROUND", (0, 0), (-1, 0), PANEL),
    ("LINEBELOW", (0, 0), (-1, 0), 0.25, LINE),
    ("BOX", (0, 0), (-1, -1), 0.5, LINE),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
)
RULES = ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE)


def markup(value):
    """Any value as Paragraph markup: escaped (``&``, ``<``, ``>``, so never a tag or an
    entity), lines kept as ``<br/>``, each line's indentation as ``&nbsp;``."""
    lines = []
    for line in values.text(value).split("\n"):
        indent, rest = values.split_indent(line)
        lines.append("&nbsp;" * indent + escape(rest))
    return "<br/>".join(lines)


def muted(label):
    """Markup for a label of this code's own, in the muted colour."""
    return f'<font color="{MUTED_HEX}">{escape(label)}</font>'


def toned(markup_text, tone):
    """Markup for a status word in its colour."""
    return f'<font color="{TONES[tone]}"><b>{markup_text}</b></font>'


@cache
def styles():
    fonts = pdf_fonts.fonts()
    body = ParagraphStyle("body", fontName=fonts["body"], fontSize=8.5, leading=11, textColor=INK)
    bold = ParagraphStyle("bold", parent=body, fontName=fonts["bold"])
    cell = ParagraphStyle("cell", parent=body, fontSize=CELL_SIZE, leading=10)
    header = ParagraphStyle("header", parent=bold, fontSize=HEADER_SIZE, textColor=MUTED)
    return {
        "title": ParagraphStyle("title", parent=bold, fontSize=17, leading=21, spaceAfter=4),
        "meta": ParagraphStyle("meta", parent=body, leading=12),
        "heading": ParagraphStyle(
            "heading", parent=bold, fontSize=11.5, leading=14, spaceBefore=10, spaceAfter=5
        ),
        "note": ParagraphStyle("note", parent=body, textColor=MUTED, spaceAfter=4),
        "label": ParagraphStyle("label", parent=body, fontSize=7, leading=9, textColor=MUTED),
        "value": ParagraphStyle("value", parent=bold, fontSize=10.5),
        "header": header,
        "header_number": ParagraphStyle("header_number", parent=header, alignment=TA_RIGHT),
        "cell": cell,
        "number": ParagraphStyle("number", parent=cell, alignment=TA_RIGHT),
        "blank": ParagraphStyle("blank", parent=cell, textColor=LINE),
        "code": ParagraphStyle(
            "code", parent=cell, fontName=fonts["mono"], fontSize=CODE_SIZE, leading=CODE_LEADING
        ),
        "text": ParagraphStyle(
            "text",
            parent=body,
            leading=12.5,
            backColor=PANEL,
            borderPadding=(6, 8, 6, 8),
            leftIndent=8,
            rightIndent=8,
            spaceBefore=4,
        ),
        "empty": ParagraphStyle("empty", parent=body, textColor=MUTED),
    }
