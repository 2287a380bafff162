"""JSON: the report itself, indented for people and loadable back unchanged."""

import json


def render(report):
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
