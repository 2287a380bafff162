"""The messages clients receive, built from what the recorder committed. Shapes match what
``dashboard-data/realtime_updates/`` answers, so polling and the socket say the same."""

from django.utils import timezone

from flowscope.wire import SnapshotSerializer, StepSerializer, WorkflowSerializer, json_ready


def server_time():
    return timezone.now().isoformat()


def workflow_trace(correlation_id, workflow, steps):
    """The trace so far, sent when a client starts watching a workflow; "pending" for a
    workflow not stored yet."""
    if workflow is None:
        data = {
            "correlation_id": correlation_id,
            "status": "pending",
            "steps": [],
            "server_time": server_time(),
        }
    else:
        data = {
            "correlation_id": correlation_id,
            "status": workflow.status,
            "workflow": WorkflowSerializer(workflow).data,
            "steps": StepSerializer(steps, many=True).data,
        }
    return {"type": "workflow_trace", "data": json_ready(data)}


def dashboard_snapshot(snapshot):
    return {"type": "dashboard_snapshot", "data": snapshot}


def serialized_workflows(workflows):
    """``{id: workflow as the API shows it}`` for a batch's workflows: one serializer for
    all of them (a serializer an object built its fields again for each, a millisecond a
    workflow)."""
    data = WorkflowSerializer(workflows, many=True).data
    return {workflow.pk: item for workflow, item in zip(workflows, data, strict=True)}


def workflow_update(workflow, previous_status, data):
    """``data``: the workflow serialized (``serialized_workflows``)."""
    if previous_status is None:
        change = "created"
    elif previous_status != workflow.status:
        change = workflow.status
    else:
        change = "updated"
    return {"type": "workflow_update", "change": change, "workflow": data}


def workflow_status(workflow, data):
    return {
        "type": "workflow_status",
        "correlation_id": workflow.correlation_id,
        "status": workflow.status,
        "workflow": data,
    }


def workflow_completed(workflow):
    return {
        "type": "workflow_completed",
        "correlation_id": workflow.correlation_id,
        "status": workflow.status,
        "duration_ms": workflow.duration_ms,
        "error_count": workflow.error_count,
    }


def trace_step(step, correlation_id):
    return {
        "type": "trace_step",
        "correlation_id": correlation_id,
        "step": StepSerializer(step).data,
    }


def error_notification(error, correlation_id):
    return {
        "type": "error_notification",
        "error": {
            "id": error.pk,
            "fingerprint": error.fingerprint,
            "error_type": error.error_type,
            "message": error.message,
            "severity": error.severity,
            "layer": error.layer,
            "created_at": error.created_at.isoformat(),
            "correlation_id": correlation_id,
        },
    }


def performance_alert(snapshot):
    data = SnapshotSerializer(snapshot).data
    return {
        "type": "performance_alert",
        "metric": snapshot.metric,
        "layer": snapshot.layer,
        "component": snapshot.component,
        "value": snapshot.value,
        "threshold": snapshot.threshold,
        "severity": snapshot.severity,
        "snapshot": data,
    }


def system_health(overall, layers):
    return {
        "type": "system_health",
        "overall_status": overall,
        "layers": layers,
        "server_time": server_time(),
    }
