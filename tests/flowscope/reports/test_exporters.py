"""Report exporters: every format from a report full of hostile captured strings.

Captured text is data in every format: never HTML, Markdown markup, ReportLab mini-markup
or a spreadsheet formula; and each format must parse with an ordinary reader.
"""

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from flowscope.reports.exporters import FORMATS, export, filename

SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://evil")'
MARKUP = "*bold* _it_ `code` [link](http://evil) <b>unclosed &amp; &bogus; #1 $x$ ~~s~~"
UNICODE = "Ünïcødé — 日本語 ✓ 🚀"
FORMULAS = [HYPERLINK, "+1+1", "-2", "@SUM(A1)", "\tTabbed", "\rReturned"]
HOSTILE = [SCRIPT, *FORMULAS, "| pipe |", MARKUP, UNICODE, "a\\|b\\", "nul\x00 esc\x1b"]
STACK = "\n".join(
    [
        "Traceback (most recent call last):",
        *(f'  File "/srv/shop/module_{i}.py", line {i}, in frame_{i}' for i in range(198)),
        "PaymentError: <declined> & =cmd|' /C calc'!A0",
    ]
)
STEP_COLUMNS = ["Step", "Layer", "Status", "Start (ms)", "Duration (ms)", "Flags"]


def hostile_report():
    steps = [
        ["POST /api/v1/orders/checkout/", "api", "error", 0.0, 412.3, "critical path"],
        ["  SELECT ...", "database", "ok", 3.1, 2.2, "N+1"],
        *([f"    {text}", "cache", text, -5.5, -2, text] for text in HOSTILE),
        ["    tail", None, True, 7, 0, None],
    ]
    return {
        "id": 12,
        "report_type": "workflow",
        "title": f"Workflow report: checkout {SCRIPT} | =1+1",
        "parameters": {"correlation_id": "wf-123", "layers": ["api", "=db"]},
        "generated_at": "2026-11-26T09:00:00+00:00",
        "generated_by": "admin",
        "summary": {
            "Status": "failed",
            "Duration (ms)": 1234.5,
            "Steps": 14,
            "User": "@SUM(A1)",
            "Note": SCRIPT,
        },
        "sections": [
            {
                "key": "steps",
                "title": "Step tree",
                "kind": "table",
                "columns": STEP_COLUMNS,
                "rows": steps,
                "note": f"Note with {SCRIPT}\nand a second line",
            },
            {
                "key": "timing",
                "title": "Time per layer",
                "kind": "fields",
                "fields": {"api": 12.5, "database": 3.0, "=cmd": "-2"},
            },
            {
                "key": "errors",
                "title": "Errors",
                "kind": "table",
                "columns": ["Type", "Message", "Severity", "Stack trace"],
                "rows": [["PaymentError", HYPERLINK, "critical", STACK]],
            },
            {
                "key": "cache",
                "title": "Cache misses",
                "kind": "table",
                "columns": ["Key", "Count"],
                "rows": [],
            },
            {
                "key": "advice",
                "title": "Recommendations <i>",
                "kind": "text",
                "text": f"Add an index.\n```\n{SCRIPT}\n```\n{MARKUP}\n  - indented {UNICODE}",
            },
        ],
    }


def long_report(rows=300):
    report = hostile_report()
    report["sections"] = [
        {
            "key": "steps",
            "title": "Step tree",
            "kind": "table",
            "columns": STEP_COLUMNS,
            "rows": [
                [
                    f"{'  ' * (i % 4)}SELECT * FROM shop_product WHERE id = {i}",
                    *("database", "ok", i * 1.5, 0.75, "N+1" if i % 7 == 0 else ""),
                ]
                for i in range(rows)
            ],
        }
    ]
    return report


def failed_checkout_report():
    """A checkout that failed at the payment gateway, as the workflow report builder
    shapes it: what the HTML screenshot and a reader of a bug ticket see."""
    trace = "\n".join(
        [
            "* shop/api/orders.py:88 in checkout",
            "* shop/checkout.py:142 in place_order",
            "  django/db/transaction.py:290 in inner",
            "* shop/checkout.py:171 in _charge",
            "  flowscope/capture/steps.py:64 in wrapper",
            "* shop/payments.py:41 in charge",
        ]
    )
    rows = [
        ["POST /api/v1/orders/checkout/", "api", "error", 0.0, 412.3, "critical path"],
        ["  SELECT shop_cart … WHERE user_id = %s", "database", "ok", 2.1, 1.4, ""],
        ["  SELECT shop_cartitem … WHERE cart_id = %s", "database", "ok", 3.8, 1.1, ""],
        *(
            ["  SELECT shop_product … WHERE id = %s FOR UPDATE", "database", "ok", t, 0.9, f]
            for t, f in ((5.2, "N+1"), (6.4, "N+1"), (7.5, "N+1"))
        ),
        ["  cache.get product:1842", "cache", "ok", 8.9, 0.3, ""],
        ["  UPDATE shop_product SET stock = stock - %s", "database", "ok", 9.6, 2.4, ""],
        ["  payment_gateway.charge", "external", "error", 12.4, 389.7, "critical path, slow"],
        ["    POST https://gateway.example/v1/charges", "external", "error", 13.0, 388.9, "slow"],
        ["  ROLLBACK", "database", "ok", 403.1, 0.6, ""],
    ]
    product_sql = (
        'SELECT "shop_product"."id", "shop_product"."name", "shop_product"."price", '
        '"shop_product"."stock" FROM "shop_product" WHERE "shop_product"."id" = %s FOR UPDATE'
    )
    rows.insert(3, [f"  {product_sql}", "database", "ok", 4.6, 0.5, ""])
    return {
        "id": 42,
        "report_type": "workflow",
        "title": "Workflow report: checkout 7f3c9a2e-checkout",
        "parameters": {"correlation_id": "7f3c9a2e-checkout"},
        "generated_at": "2026-11-26T09:00:00+00:00",
        "generated_by": "admin",
        "summary": {
            "Correlation ID": "7f3c9a2e-checkout",
            "Type": "checkout",
            "Status": "failed",
            "User": "alice",
            "Started": "2026-11-26T08:57:12.480000+00:00",
            "Duration (ms)": 1234.5,
            "Requests": 4,
            "Steps": 23,
            "Errors": 1,
        },
        "sections": [
            {
                "key": "steps",
                "title": "Step tree",
                "kind": "table",
                "columns": STEP_COLUMNS,
                "rows": rows,
            },
            {
                "key": "time_per_layer",
                "title": "Time per layer (self, ms)",
                "kind": "fields",
                "fields": {"api": 10.6, "cache": 0.3, "database": 8.2, "external": 389.7},
            },
            {
                "key": "queries",
                "title": "Queries",
                "kind": "table",
                "columns": ["SQL", "Count", "Total (ms)", "N+1", "Repeated", "Called from"],
                "rows": [
                    [product_sql, 3, 2.7, True, True, "/srv/app/shop/checkout.py:158 _reserve"],
                    [
                        'SELECT "shop_cart"."id" FROM "shop_cart" WHERE "user_id" = %s',
                        1,
                        1.4,
                        False,
                        False,
                        "/srv/app/shop/views/cart.py:12 cart_data",
                    ],
                ],
            },
            {
                "key": "errors",
                "title": "Errors",
                "kind": "table",
                "columns": ["When", "Layer", "Severity", "Type", "Message", "Step", "Stack"],
                "rows": [
                    [
                        "2026-11-26T08:57:12.892000+00:00",
                        "external",
                        "critical",
                        "PaymentGatewayUnavailable",
                        "The payment gateway did not answer; try again.",
                        "payment_gateway.charge",
                        trace,
                    ]
                ],
            },
            {
                "key": "cache",
                "title": "Cache",
                "kind": "fields",
                "fields": {"Hits": 1, "Misses": 0, "Hit ratio": 1.0},
            },
            {
                "key": "frontend",
                "title": "Browser timings",
                "kind": "table",
                "columns": ["Step", "Duration (ms)", "Status"],
                "rows": [],
            },
            {
                "key": "recommendations",
                "title": "Recommendations",
                "kind": "text",
                "text": (
                    "[critical] Payment gateway failures on POST /api/v1/orders/checkout/\n"
                    "3 of the last 40 checkouts failed with PaymentGatewayUnavailable "
                    "after waiting about 390 ms.\n"
                    "Suggestion: retry the charge once with an idempotency key, and show "
                    "the customer a retry button instead of a generic error.\n\n"
                    "[warning] N+1 queries on shop_product\n"
                    "Each cart line loads its product with a separate query.\n"
                    "Suggestion: select_for_update() the products in one query "
                    "(id__in=…) before decrementing stock."
                ),
            },
            {
                "key": "comparison",
                "title": "Compared with similar workflows",
                "kind": "table",
                "columns": ["Measure", "This", "Median of similar", "Difference"],
                "rows": [
                    ["Duration (ms)", 1234.5, 318.2, 916.3],
                    ["database time (ms)", 8.2, 7.9, 0.3],
                    ["external time (ms)", 389.7, 121.4, 268.3],
                ],
                "note": "38 completed checkout workflows within 24 h.",
            },
        ],
    }


# --- the API ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_gives_bytes_a_content_type_and_a_filename(fmt):
    content, content_type, name, _ = export(hostile_report(), fmt)
    assert isinstance(content, bytes) and content
    assert content_type.split(";")[0] in {
        "application/json",
        "text/csv",
        "text/markdown",
        "text/html",
        "application/pdf",
    }
    assert name == f"flowscope-workflow-report-12.{fmt}"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="xlsx"):
        export(hostile_report(), "xlsx")


def test_filenames_are_slugs_of_the_type_and_the_id():
    assert filename({"report_type": "system_health", "id": 7}, "pdf") == (
        "flowscope-system-health-report-7.pdf"
    )
    assert filename({"report_type": "performance"}, "md") == "flowscope-performance-report.md"
    hostile = {"report_type": '../"x\r\n', "id": "1; rm"}
    assert filename(hostile, "csv") == "flowscope-x-report-1-rm.csv"


# --- JSON ------------------------------------------------------------------------------


def test_json_round_trips():
    report = hostile_report()
    assert json.loads(export(report, "json")[0]) == report


# --- CSV -------------------------------------------------------------------------------


def csv_rows(report):
    return list(csv.reader(io.StringIO(export(report, "csv")[0].decode(), newline="")))


def test_csv_neutralises_formulas_in_strings_only():
    rows = csv_rows(hostile_report())
    cells = [cell for row in rows for cell in row]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert "'@SUM(A1)" in cells  # a summary value too
    assert "'=cmd" in cells  # a field name too
    assert cells[cells.index("Parameter layers") + 1] == "api, =db"  # not at the start
    # Numbers are data: negative ones are written as they are.
    step = next(row for row in rows if row and row[0] == "    " + SCRIPT)
    assert step[3:5] == ["-5.5", "-2"]
    for cell in cells:
        if cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in ("=", "+", "-", "@"):
            float(cell)  # only real numbers may start like a formula
    assert '\'    =HYPERLINK("http://evil")' in cells  # behind the tree's indentation too
    assert "    <script>alert(1)</script>" in cells


def test_csv_has_a_header_block_then_one_block_per_section():
    rows = csv_rows(hostile_report())
    assert rows[0] == ["Title", "Workflow report: checkout <script>alert(1)</script> | =1+1"]
    assert ["Generated at", "2026-11-26T09:00:00+00:00"] in rows
    assert ["Duration (ms)", "1234.5"] in rows
    start = rows.index(["Step tree"])
    assert rows[start + 1] == STEP_COLUMNS
    root = ["POST /api/v1/orders/checkout/", "api", "error", "0.0", "412.3", "critical path"]
    assert rows[start + 2] == root
    assert rows[start + 3][0] == "  SELECT ..."  # the tree's indentation is kept
    assert rows[rows.index(["Time per layer"]) + 1 : rows.index(["Time per layer"]) + 3] == [
        ["Field", "Value"],
        ["api", "12.5"],
    ]
    errors = rows.index(["Errors"])
    assert rows[errors + 2][3] == STACK
    cache = rows.index(["Cache misses"])
    assert rows[cache + 1 : cache + 4] == [["Key", "Count"], ["(none)"], []]


# --- Markdown --------------------------------------------------------------------------

CELL = re.compile(r"(?:\\.|[^\\|])*")


def markdown_cells(line):
    """A table row's cells as GFM splits them: ``\\|`` (and any escaped character) is
    content, an unescaped ``|`` a border."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, position, body = [], 0, line[1:-1]
    while position <= len(body):
        match = CELL.match(body, position)
        cells.append(match.group())
        position = match.end() + 1
    return cells


def markdown_tables(text):
    tables, current = [], []
    for line in [*text.split("\n"), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_tables_have_as_many_cells_on_every_row_as_in_their_header():
    text = export(hostile_report(), "md")[0].decode()
    tables = markdown_tables(text)
    assert len(tables) == 4  # summary, steps, timing, errors (the empty one is "None.")
    for table in tables:
        width = len(markdown_cells(table[0]))
        assert re.fullmatch(r"\|( -{3}:? \|)+", table[1]), table[1]
        assert all(len(markdown_cells(line)) == width for line in table), table[0]
    steps = tables[1]
    assert len(steps) == 2 + len(hostile_report()["sections"][0]["rows"])


def test_markdown_escapes_captured_markup():
    text = export(hostile_report(), "md")[0].decode()
    outside_fences = re.sub(r"````text\n.*?\n````", "", text, flags=re.S)
    assert SCRIPT not in outside_fences and "<b>" not in outside_fences
    assert r"\<script\>alert(1)\</script\>" in text
    assert r"\| pipe \|" in text
    assert r"\*bold\* \_it\_ \`code\` \[link\](http://evil) \<b\>unclosed \&amp; \&bogus;" in text
    assert r"a\\\|b\\" in text
    assert text.startswith(r"# Workflow report: checkout \<script\>alert(1)\</script\> \| =1+1")


def test_markdown_keeps_indentation_and_lines_inside_cells():
    text = export(hostile_report(), "md")[0].decode()
    assert "| &nbsp;&nbsp;SELECT ... | database |" in text
    trace_row = next(line for line in text.split("\n") if "Traceback" in line)
    assert trace_row.count("<br>") == 199
    assert "<br>&nbsp;&nbsp;File" in trace_row


def test_markdown_fences_multi_line_text_beyond_its_own_backticks():
    text = export(hostile_report(), "md")[0].decode()
    assert "````text\nAdd an index.\n```\n" + SCRIPT + "\n```\n" in text
    assert text.count("````") == 2
    assert "## Cache misses\n\n_None._" in text


# --- HTML ------------------------------------------------------------------------------


class Collector(HTMLParser):
    """Tags, attributes, all text, and the text of each ``<pre>``."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.text, self.pres = [], [], [], []
        self.in_pre = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag == "pre":
            self.in_pre = True
            self.pres.append("")

    def handle_endtag(self, tag):
        self.in_pre = self.in_pre and tag != "pre"

    def handle_data(self, data):
        self.text.append(data)
        if self.in_pre:
            self.pres[-1] += data


def parse_html(report):
    page = export(report, "html")[0].decode()
    collector = Collector()
    collector.feed(page)
    collector.close()
    return page, collector


def test_html_has_no_script_and_no_external_reference():
    page, parsed = parse_html(hostile_report())
    assert "script" not in parsed.tags
    assert not [tag for tag in parsed.tags if tag in ("img", "link", "iframe", "object", "a")]
    for name, value in parsed.attributes:
        assert not name.startswith("on")
        if name in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", value or "")
    assert "@import" not in page and "url(" not in page


def test_html_shows_captured_strings_as_text():
    page, parsed = parse_html(hostile_report())
    text = "".join(parsed.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for string in [SCRIPT, HYPERLINK, "| pipe |", "@SUM(A1)", UNICODE, MARKUP]:
        assert string in text
    assert "<b>unclosed" not in page


def test_html_has_every_section_and_the_trace_in_a_pre():
    page, parsed = parse_html(hostile_report())
    text = "".join(parsed.text)
    for title in ["Summary", "Step tree", "Time per layer", "Errors", "Cache misses"]:
        assert title in text
    assert "Recommendations <i>" in text
    assert STACK in parsed.pres
    assert '<p class="empty">None.</p>' in page


def test_html_indents_child_steps():
    page, _ = parse_html(hostile_report())
    assert re.search(r'class="[^"]*\bindent-2\b[^"]*">\s*SELECT \.\.\.\s*</td>', page)
    assert "td.indent-2 { padding-left: calc(12px + 2ch + 1.2em); }" in page


# --- PDF -------------------------------------------------------------------------------


def page_count(pdf):
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_pdf_renders_hostile_strings():
    pdf = export(hostile_report(), "pdf")[0]
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) >= 2  # the 200-line trace flows onto the next page


def test_pdf_splits_a_long_table_across_pages():
    pdf = export(long_report(300), "pdf")[0]
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) >= 2


def test_pdf_is_reproducible():
    assert export(hostile_report(), "pdf")[0] == export(hostile_report(), "pdf")[0]


# --- every format, odd reports --------------------------------------------------------


def minimal_report():
    return {"id": None, "report_type": "performance", "sections": []}


def ragged_report():
    report = hostile_report()
    report["sections"] = [
        {
            "key": "odd",
            "title": "Ragged",
            "kind": "table",
            "columns": ["A", "B"],
            "rows": [["only a"], ["a", "b", "extra"]],
        },
        {"key": "guess", "title": "No kind", "rows": [["x"]], "columns": ["X"]},
        {"key": "huge", "title": "Huge", "kind": "table", "columns": ["Word", "Text"]},
    ]
    report["sections"][2]["rows"] = [["w" * 20_000, "long " * 4_000]]
    return report


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make", [minimal_report, ragged_report, failed_checkout_report])
def test_odd_reports_export_in_every_format(fmt, make):
    content, _, name, _ = export(make(), fmt)
    assert content
    assert name.startswith("flowscope-")


def test_ragged_rows_are_padded_in_markdown():
    text = export(ragged_report(), "md")[0].decode()
    table = markdown_tables(text)[1]
    assert [len(markdown_cells(line)) for line in table] == [3, 3, 3, 3]


def test_csv_writes_a_text_section_as_one_cell():
    rows = csv_rows(hostile_report())
    start = rows.index(["Recommendations <i>"])
    assert rows[start + 1][0].startswith("Add an index.\n```\n<script>")
    assert rows[start + 2] == []


def test_control_characters_show_as_replacement_characters():
    page, parsed = parse_html(hostile_report())
    assert "nul\ufffd esc\ufffd" in "".join(parsed.text)
    assert "\x00" not in page and "\x1b" not in page
    assert "nul\ufffd esc\ufffd" in export(hostile_report(), "md")[0].decode()


def test_html_reads_timestamps_and_numbers_the_same_way_everywhere():
    _, parsed = parse_html(failed_checkout_report())
    text = "".join(parsed.text)
    assert "2026-11-26 08:57:12.480 UTC" in text
    assert "1234.5" in text and "412.3" in text


def test_html_escapes_even_when_the_host_turns_autoescape_off(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"]}},
    ]
    settings.TEMPLATES[0]["OPTIONS"]["autoescape"] = False
    page, parsed = parse_html(hostile_report())
    assert "script" not in parsed.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def media_box(pdf):
    match = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return float(match[1]), float(match[2])


def test_pdf_is_landscape_only_for_wide_tables():
    width, height = media_box(export(hostile_report(), "pdf")[0])
    assert width > height
    narrow = hostile_report()
    narrow["sections"] = narrow["sections"][1:]
    width, height = media_box(export(narrow, "pdf")[0])
    assert width < height


@pytest.fixture
def without_dejavu(monkeypatch):
    """The PDF as on a system without DejaVu: PDF's built-in fonts."""
    from flowscope.reports.exporters import pdf_fonts, pdf_style

    monkeypatch.setattr(pdf_fonts, "SEARCH", ())
    pdf_fonts.fonts.cache_clear()
    pdf_style.styles.cache_clear()
    yield pdf_fonts.fonts()
    pdf_fonts.fonts.cache_clear()
    pdf_style.styles.cache_clear()


def test_pdf_falls_back_to_the_built_in_fonts(without_dejavu):
    assert without_dejavu["body"] == "Helvetica"
    pdf = export(hostile_report(), "pdf")[0]
    assert pdf.startswith(b"%PDF-")
    assert b"/BaseFont /Helvetica" in pdf
