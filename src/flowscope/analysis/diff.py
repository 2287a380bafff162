"""A replay against the workflow it replayed, step by step: what changed since.

Steps are matched by layer and name in the order they ran (a longest common subsequence,
as ``diff`` matches lines): a step only the replay has was added, one only the original has
is gone. Queries and cache calls are not steps of their own here but the details of the step
that ran them: per matched step, the queries added or removed (by normalized SQL) and their
counts, and the cache keys it found before and missed now. A request's answer is compared by
status, and by the shape of its JSON body where both bodies were stored
(``CAPTURE_RESPONSE_BODIES``); otherwise the row says the shape was not compared. Browser
steps are left out: a replay sends the requests again, not the page.
"""

from collections import defaultdict
from difflib import SequenceMatcher

from flowscope.analysis.compare import cache_changes, query_changes
from flowscope.analysis.timing import time_per_layer

DETAIL_LAYERS = ("database", "cache")
NOT_REPLAYED = ("frontend",)
MAX_SHAPE_ITEMS = 20  # elements of a list whose shapes are merged into the list's shape
BODIES_NOT_STORED = "Response bodies were not stored (CAPTURE_RESPONSE_BODIES): status only."
BODY_CUT_SHORT = "A response body was stored cut short (MAX_BODY_BYTES): status only."


def diff(original, original_steps, replay, replay_steps, query=None):
    """The replay (``replay`` and its stored steps) against ``original``; with ``query``
    (normalized SQL, a recommendation's), whether the replay still runs it."""
    theirs, mine = _compared(original_steps), _compared(replay_steps)
    rows = matched_steps(theirs, mine, _details(original_steps), _details(replay_steps))
    return {
        "query": query_verdict(query, original_steps, replay_steps) if query else None,
        "original": original.correlation_id,
        "replay": replay.correlation_id,
        "status": {"original": original.status, "replay": replay.status},
        "summary": _summary(rows),
        "steps": rows,
        "time_per_layer": layer_times(original_steps, replay_steps),
        "browser_steps_left_out": sum(1 for s in original_steps if s.layer in NOT_REPLAYED),
    }


def _compared(steps):
    kept = [s for s in steps if s.layer not in DETAIL_LAYERS + NOT_REPLAYED]
    return sorted(kept, key=lambda s: (s.started_at, s.pk or 0))


def _details(steps):
    """The queries and cache calls of each step, by the step's span id."""
    details = defaultdict(list)
    for step in steps:
        if step.layer in DETAIL_LAYERS:
            details[step.parent_span_id].append(step)
    return details


def matched_steps(original, replay, original_details, replay_details):
    """One row per step of either, in order: matched pairs, and what was added or gone."""
    keys = SequenceMatcher(
        None, [_key(s) for s in original], [_key(s) for s in replay], autojunk=False
    )
    rows = []
    for tag, i1, i2, j1, j2 in keys.get_opcodes():
        if tag == "equal":
            for theirs, mine in zip(original[i1:i2], replay[j1:j2], strict=True):
                details = original_details[theirs.span_id], replay_details[mine.span_id]
                rows.append(_pair(theirs, mine, *details))
            continue
        rows += [_one_side("gone", s, original_details[s.span_id]) for s in original[i1:i2]]
        rows += [_one_side("added", s, replay_details[s.span_id]) for s in replay[j1:j2]]
    return rows


def _key(step):
    return step.layer, step.name


def _pair(theirs, mine, their_details, my_details):
    queries = query_changes(my_details, their_details)
    misses = cache_changes(my_details, their_details)
    payload = payload_change(theirs, mine)
    status_changed = _status(theirs) != _status(mine)
    changed = status_changed or misses or payload["changed"] or any(queries.values())
    return {
        "change": "changed" if changed else "same",
        "layer": mine.layer,
        "name": mine.name,
        "original": _summary_of(theirs, their_details),
        "replay": _summary_of(mine, my_details),
        "status_changed": status_changed,
        "queries": queries,
        "cache_hits_became_misses": misses,
        "payload": payload,
        "duration_delta_ms": round(mine.duration_ms - theirs.duration_ms, 3),
    }


def _one_side(change, step, details):
    summary = _summary_of(step, details)
    return {
        "change": change,
        "layer": step.layer,
        "name": step.name,
        "original": summary if change == "gone" else None,
        "replay": summary if change == "added" else None,
    }


def _status(step):
    return step.status, step.metadata.get("status_code")


def _summary_of(step, details):
    return {
        "span_id": step.span_id,
        "status": step.status,
        "status_code": step.metadata.get("status_code"),
        "duration_ms": step.duration_ms,
        "query_count": sum(1 for s in details if s.layer == "database"),
        "error": step.metadata.get("error", ""),
    }


def payload_change(original, replay):
    """How the JSON shape of the answer changed: paths added, removed, of another type;
    ``compared`` is False (and ``note`` says why) when a body was not stored."""
    bodies = original.metadata.get("response_body"), replay.metadata.get("response_body")
    unchanged = {"compared": False, "changed": False, "added": [], "removed": [], "retyped": []}
    if original.layer != "api":
        return {**unchanged, "note": ""}
    if None in bodies:
        return {**unchanged, "note": BODIES_NOT_STORED}
    if any(_cut_short(body) for body in bodies):  # a preview's shape is not the answer's
        return {**unchanged, "note": BODY_CUT_SHORT}
    theirs, mine = shape(bodies[0]), shape(bodies[1])
    added = sorted(set(mine) - set(theirs))
    removed = sorted(set(theirs) - set(mine))
    retyped = sorted(p for p in set(mine) & set(theirs) if mine[p] != theirs[p])
    return {
        "compared": True,
        "changed": bool(added or removed or retyped),
        "added": added,
        "removed": removed,
        "retyped": retyped,
        "note": "",
    }


def _cut_short(body):
    """Whether ``body`` is the scrubber's preview of an answer over MAX_BODY_BYTES."""
    return isinstance(body, dict) and body.get("_truncated") is True


def shape(value, path="$", into=None):
    """``{path: type}`` of a JSON value: ``$.items[].id: number``; the elements of a list
    share one path, their shapes merged."""
    into = {} if into is None else into
    into[path] = _type(value)
    if isinstance(value, dict):
        for key, item in value.items():
            shape(item, f"{path}.{key}", into)
    elif isinstance(value, list):
        for item in value[:MAX_SHAPE_ITEMS]:
            shape(item, f"{path}[]", into)
    return into


def _type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array"}.get(type(value), "string")


def query_verdict(sql, original_steps, replay_steps):
    """How often the original and the replay ran ``sql``, and what that says of a fix."""
    before, after = (
        sum(1 for s in steps if s.layer == "database" and s.metadata.get("sql", s.name) == sql)
        for steps in (original_steps, replay_steps)
    )
    if after == 0:
        verdict = "gone" if before else "never ran"
    else:
        verdict = "fewer" if after < before else "still there"
    return {"sql": sql, "original": before, "replay": after, "verdict": verdict}


def layer_times(original_steps, replay_steps):
    """Self time per layer, before and after (browser steps left out of both)."""
    theirs = time_per_layer([s for s in original_steps if s.layer not in NOT_REPLAYED])
    mine = time_per_layer([s for s in replay_steps if s.layer not in NOT_REPLAYED])
    times = {}
    for layer in sorted(set(theirs) | set(mine)):
        before = theirs.get(layer, {}).get("self_ms", 0.0)
        after = mine.get(layer, {}).get("self_ms", 0.0)
        times[layer] = {"original": before, "replay": after, "delta_ms": round(after - before, 3)}
    return times


def _summary(rows):
    matched = [r for r in rows if r["change"] in ("same", "changed")]
    return {
        "added": sum(1 for r in rows if r["change"] == "added"),
        "gone": sum(1 for r in rows if r["change"] == "gone"),
        "changed": sum(1 for r in rows if r["change"] == "changed"),
        "queries": {
            side: sum(r[side]["query_count"] for r in rows if r[side])
            for side in ("original", "replay")
        },
        "matched": len(matched),
    }
