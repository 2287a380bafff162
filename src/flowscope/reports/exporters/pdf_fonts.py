"""Fonts for the PDF. PDF's built-in Helvetica and Courier draw Latin-1 only, and captured
text is any Unicode; DejaVu covers far more and is present on most Linux systems, so it is
embedded when found. Without it the built-in fonts are used (other characters show as
boxes) rather than failing the export."""

from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

BUILT_IN = {"body": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier"}
DEJAVU = {"body": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}
SEARCH = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)


@cache
def fonts():
    """``{"body", "bold", "mono"}`` → registered font names; ``<b>`` in a body-font
    Paragraph picks the bold one."""
    folder = next((d for d in SEARCH if all((d / f).is_file() for f in DEJAVU.values())), None)
    if folder is None:
        return BUILT_IN
    names = {role: f"Flowscope-{file.removesuffix('.ttf')}" for role, file in DEJAVU.items()}
    for role, file in DEJAVU.items():
        pdfmetrics.registerFont(TTFont(names[role], str(folder / file)))
    addMapping(names["body"], 0, 0, names["body"])
    addMapping(names["body"], 1, 0, names["bold"])
    addMapping(names["body"], 0, 1, names["body"])
    addMapping(names["body"], 1, 1, names["bold"])
    return names
