"""Export a report (the plain dict a report builder returns) as a downloadable file.

``export(report, fmt)`` gives an ``Export``: the content, its type, a filename and the
headers to answer it with; each format is one module with a ``render(report) -> bytes``,
imported only when asked for, so that the PDF library is loaded by PDF exports alone.
"""

from importlib import import_module
from typing import NamedTuple

from django.utils.text import slugify

FORMATS = ("json", "csv", "md", "html", "pdf")

_MODULES = {
    "json": ("json_export", "application/json"),
    "csv": ("csv_export", "text/csv; charset=utf-8"),
    "md": ("markdown", "text/markdown; charset=utf-8"),
    "html": ("html", "text/html; charset=utf-8"),
    "pdf": ("pdf", "application/pdf"),
}


class Export(NamedTuple):
    content: bytes
    content_type: str
    filename: str
    headers: dict


def export(report, fmt):
    """``report`` in ``fmt`` (one of ``FORMATS``)."""
    if fmt not in _MODULES:
        raise ValueError(f"Unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}.")
    module_name, content_type = _MODULES[fmt]
    module = import_module(f"{__name__}.{module_name}")
    if fmt == "html":  # a page a browser may show: it says what it may load
        content, policy = module.render_with_policy(report)
        # frame-ancestors works in a header only (a <meta> policy ignores it).
        headers = {"Content-Security-Policy": f"{policy}; frame-ancestors 'none'"}
    else:
        content, headers = module.render(report), {}
    return Export(content, content_type, filename(report, fmt), headers)


def media_type(fmt):
    """The media type of ``fmt``'s files, without parameters (``text/csv``)."""
    return _MODULES[fmt][1].split(";")[0]


def filename(report, fmt):
    """``flowscope-workflow-report-12.csv``: slugged, so it is safe in Content-Disposition."""
    kind = slugify(str(report.get("report_type") or "").replace("_", "-"))
    number = slugify(str(report.get("id") if report.get("id") is not None else ""))
    parts = ["flowscope", kind, "report", number]
    return "-".join(part for part in parts if part) + f".{fmt}"
