"""The building blocks of a report: every report is a title, a summary and sections, each a
table, a set of fields or a text, so that every exporter can render every report."""


def table(key, title, columns, rows, note=""):
    section = {
        "key": key,
        "title": title,
        "kind": "table",
        "columns": list(columns),
        "rows": [list(row) for row in rows],
    }
    if note:
        section["note"] = note
    return section


def fields(key, title, values):
    return {"key": key, "title": title, "kind": "fields", "fields": dict(values)}


def text(key, title, body):
    return {"key": key, "title": title, "kind": "text", "text": body}


def ms(value):
    return None if value is None else round(value, 1)


def ratio(value):
    return None if value is None else round(value, 4)
