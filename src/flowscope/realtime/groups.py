"""Channel-layer group names: one per dashboard topic, one per workflow."""

import hashlib

TOPICS = ("workflows", "errors", "performance", "system_health")


def topic_group(topic):
    return f"flowscope.{topic}"


def workflow_group(correlation_id):
    # Group names allow only [A-Za-z0-9._-]: a correlation ID may hold ":".
    return f"flowscope.workflow.{hashlib.sha256(correlation_id.encode()).hexdigest()[:40]}"
