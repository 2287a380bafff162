"""Where a workflow's time went: its steps as a tree, time per layer, the critical path, the
slowest steps, and the queries it ran (N+1 and repeats flagged)."""

from collections import defaultdict
from datetime import timedelta

SLOWEST = 5


def _end(step):
    return step.started_at + timedelta(milliseconds=step.duration_ms)


def children_by_parent(steps):
    """``{parent span id: [steps]}``, each list in start order. Steps whose parent is not
    among ``steps`` (a request's API step, a browser fetch) are roots, under ``None``."""
    known = {step.span_id for step in steps}
    children = defaultdict(list)
    for step in sorted(steps, key=lambda s: (s.started_at, s.pk or 0)):
        parent = step.parent_span_id if step.parent_span_id in known else None
        children[parent].append(step)
    return children


def step_tree(steps, serialize):
    """Nested ``serialize(step)`` dicts with ``children`` and ``offset_ms`` from the first
    step's start. Built with an explicit stack: a deep tree cannot exhaust recursion."""
    if not steps:
        return []
    origin = min(step.started_at for step in steps)
    children = children_by_parent(steps)
    roots = []
    stack = [(step, roots) for step in reversed(children[None])]
    while stack:
        step, siblings = stack.pop()
        node = {
            **serialize(step),
            "children": [],
            "offset_ms": round((step.started_at - origin).total_seconds() * 1000, 3),
        }
        siblings.append(node)
        stack.extend((child, node["children"]) for child in reversed(children[step.span_id]))
    return roots


def time_per_layer(steps):
    """Total and self time per layer; self time leaves out what the step's children took,
    so a request's API time is not counted again as its queries' time."""
    return layer_times(self_times(steps))


def layer_times(timed):
    """``time_per_layer`` of ``(step, self ms)`` pairs already reckoned."""
    layers = defaultdict(lambda: {"count": 0, "total_ms": 0.0, "self_ms": 0.0})
    for step, own in timed:
        entry = layers[step.layer]
        entry["count"] += 1
        entry["total_ms"] += step.duration_ms
        entry["self_ms"] += own
    return {
        layer: {k: round(v, 3) if isinstance(v, float) else v for k, v in entry.items()}
        for layer, entry in layers.items()
    }


def self_times(steps):
    """``(step, self ms)`` of each step: its duration less its children's, never below 0
    (children that ran side by side can add up to more than their parent)."""
    children = children_by_parent(steps)
    for step in steps:
        own = step.duration_ms - sum(child.duration_ms for child in children[step.span_id])
        yield step, max(own, 0.0)


def critical_path(steps):
    """Span IDs of the steps that decided when the workflow ended: every top-level step (the
    requests ran one after another), and under each the chain of children that finished
    last, since a step cannot end before its last child has."""
    children = children_by_parent(steps)
    path = []
    for root in children[None]:
        step = root
        while step is not None:
            path.append(step.span_id)
            kids = children[step.span_id]
            step = max(kids, key=_end) if kids else None
    return path


def slowest_steps(steps, count=SLOWEST):
    leaves = [s for s in steps if s.layer != "api"] or steps
    return sorted(leaves, key=lambda s: -s.duration_ms)[:count]


def queries(steps):
    """The workflow's queries grouped by normalized SQL, most time first."""
    groups = {}
    for step in steps:
        if step.layer != "database":
            continue
        sql = step.metadata.get("sql", step.name)
        group = groups.setdefault(
            sql,
            {
                "sql": sql,
                "count": 0,
                "total_ms": 0.0,
                "n_plus_one": False,
                "call_site": step.metadata.get("call_site"),
            },
        )
        group["count"] += 1
        group["total_ms"] = round(group["total_ms"] + step.duration_ms, 3)
        group["n_plus_one"] = group["n_plus_one"] or bool(step.metadata.get("repeated"))
    for group in groups.values():
        group["repeated"] = group["count"] > 1
    return sorted(groups.values(), key=lambda g: -g["total_ms"])


def cache_summary(steps):
    hits = misses = 0
    for step in steps:
        if step.layer == "cache":
            meta = step.metadata
            hits += int(meta.get("hit") is True) + meta.get("hits", 0)
            misses += int(meta.get("hit") is False) + meta.get("misses", 0)
    lookups = hits + misses
    return {"hits": hits, "misses": misses, "hit_ratio": hits / lookups if lookups else None}


def analyze(steps):
    return {
        "time_per_layer": time_per_layer(steps),
        "critical_path": critical_path(steps),
        "slowest_steps": [s.span_id for s in slowest_steps(steps)],
        "queries": queries(steps),
        "n_plus_one": [q for q in queries(steps) if q["n_plus_one"]],
        "cache": cache_summary(steps),
    }
