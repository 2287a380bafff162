"""How recommendations write numbers, call sites and examples."""

import re

EXAMPLES = 5  # correlation IDs per recommendation

_TABLE = re.compile(r"\bFROM\s+[\"`]?([\w.]+)", re.IGNORECASE)


def ms(value):
    return None if value is None else round(float(value), 1)


def counted(number, noun):
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def durations(finding):
    """The median, p95 and slowest duration of a percentile rule's finding, for its evidence."""
    return {
        "p50_ms": ms(finding.spread["p50"]),
        "p95_ms": ms(finding.spread["p95"]),
        "max_ms": ms(finding.group["max_ms"]),
    }


def kib(size):
    return f"{size / 1024:,.0f} KB"


def where(call_site):
    """The call site as a recommendation names it; one in an installed package says so (no
    frame of the host's own code was on the stack)."""
    if not call_site:
        return "an unknown call site"
    library = ", library code" if call_site.get("in_app") is False else ""
    function = f"{call_site.get('function')}{library}"
    return f"{call_site.get('file')}:{call_site.get('line')} (in {function})"


def distinct_examples(rows, field="cid"):
    """Up to ``EXAMPLES`` distinct correlation IDs, in the order of ``rows``."""
    return list(dict.fromkeys(row[field] for row in rows if row.get(field)))[:EXAMPLES]


def table_of(sql):
    match = _TABLE.search(sql or "")
    return match.group(1) if match else None
