"""A step-by-step diff of two workflows: a failed checkout against the last good one.

Requests are matched by route and by order (the second ``GET /products/<pk>/`` of one with
the second of the other); deltas are ``subject - baseline``.
"""

from collections import Counter, defaultdict

from flowscope.analysis.timing import time_per_layer


def _api_steps(steps):
    occurrences = Counter()
    keyed = {}
    for step in sorted((s for s in steps if s.layer == "api"), key=lambda s: s.started_at):
        keyed[(step.name, occurrences[step.name])] = step
        occurrences[step.name] += 1
    return keyed


def _request_summary(step):
    if step is None:
        return None
    return {
        "name": step.name,
        "status": step.status,
        "duration_ms": step.duration_ms,
        "status_code": step.metadata.get("status_code"),
        "span_id": step.span_id,
    }


def matched_requests(subject_steps, baseline_steps):
    subject, baseline = _api_steps(subject_steps), _api_steps(baseline_steps)
    # The subject's requests in its order, then what only the baseline did (usually the
    # steps the subject never reached).
    order = [*subject, *(key for key in baseline if key not in subject)]
    rows = []
    for key in order:
        mine, theirs = subject.get(key), baseline.get(key)
        rows.append(
            {
                "name": key[0],
                "occurrence": key[1] + 1,
                "subject": _request_summary(mine),
                "baseline": _request_summary(theirs),
                "duration_delta_ms": (
                    round(mine.duration_ms - theirs.duration_ms, 3) if mine and theirs else None
                ),
                "diverged": _diverged(mine, theirs),
            }
        )
    return rows


def _diverged(mine, theirs):
    if mine is None or theirs is None:
        return "missing in subject" if mine is None else "missing in baseline"
    if mine.metadata.get("status_code") != theirs.metadata.get("status_code"):
        return "status code differs"
    if mine.status != theirs.status:
        return "status differs"
    return ""


def _queries(steps):
    return Counter(s.metadata.get("sql", s.name) for s in steps if s.layer == "database")


def query_changes(subject_steps, baseline_steps):
    mine, theirs = _queries(subject_steps), _queries(baseline_steps)
    return {
        "added": [{"sql": sql, "count": mine[sql]} for sql in sorted(set(mine) - set(theirs))],
        "missing": [{"sql": sql, "count": theirs[sql]} for sql in sorted(set(theirs) - set(mine))],
        "count_changed": [
            {"sql": sql, "subject": mine[sql], "baseline": theirs[sql]}
            for sql in sorted(set(mine) & set(theirs))
            if mine[sql] != theirs[sql]
        ],
    }


def _cache_outcomes(steps):
    outcomes = defaultdict(set)
    for step in steps:
        if step.layer == "cache" and "hit" in step.metadata:
            outcomes[step.metadata.get("key", step.name)].add(step.metadata["hit"])
    return outcomes


def cache_changes(subject_steps, baseline_steps):
    """Keys the baseline found in the cache that the subject missed."""
    mine, theirs = _cache_outcomes(subject_steps), _cache_outcomes(baseline_steps)
    return [key for key in sorted(mine) if True in theirs.get(key, ()) and True not in mine[key]]


def layer_deltas(subject_steps, baseline_steps):
    mine, theirs = time_per_layer(subject_steps), time_per_layer(baseline_steps)
    return {
        layer: round(
            mine.get(layer, {}).get("self_ms", 0.0) - theirs.get(layer, {}).get("self_ms", 0.0), 3
        )
        for layer in sorted(set(mine) | set(theirs))
    }


def compare(subject, subject_steps, subject_errors, baseline, baseline_steps, baseline_errors):
    requests = matched_requests(subject_steps, baseline_steps)
    first = next((row for row in requests if row["diverged"]), None)
    known = {error.fingerprint for error in baseline_errors}
    return {
        "subject": subject.correlation_id,
        "baseline": baseline.correlation_id,
        "status": {"subject": subject.status, "baseline": baseline.status},
        "duration_delta_ms": (
            round(subject.duration_ms - baseline.duration_ms, 3)
            if subject.duration_ms is not None and baseline.duration_ms is not None
            else None
        ),
        "first_divergence": first,
        "requests": requests,
        "layer_self_time_delta_ms": layer_deltas(subject_steps, baseline_steps),
        "queries": query_changes(subject_steps, baseline_steps),
        "cache_hits_became_misses": cache_changes(subject_steps, baseline_steps),
        "new_errors": [
            {"error_type": e.error_type, "message": e.message, "fingerprint": e.fingerprint}
            for e in subject_errors
            if e.fingerprint not in known
        ],
    }
