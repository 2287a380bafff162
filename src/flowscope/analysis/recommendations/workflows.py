"""Workflow rules: chatty workflows."""

from django.db.models import F

from flowscope.analysis.period_stats import first_rows
from flowscope.analysis.recommendations.base import RateRule, Words
from flowscope.analysis.recommendations.wording import EXAMPLES, counted, distinct_examples


class ChattyWorkflow(RateRule):
    """Workflow types whose workflows take many requests each (those served here, and the
    server spans other services sent: ``ExternalSpans.request_count``)."""

    kind = "chatty_workflow"
    metric = "requests_per_workflow"
    key = "workflow_type"
    evidence = "workflows"

    def groups(self, window):
        return window.stats.workflow_types

    def observations(self, group):
        return group["workflows"]

    def rate(self, group):
        return float(group["avg_requests"])

    def samples(self, window, keys):
        """The busiest workflows of each type (of the last 2 hours only, in a long window)."""
        return first_rows(
            window.stats.sample_workflows(),
            F("workflow_type"),
            keys,
            per_group=EXAMPLES,
            order_by="-request_count",
            cid=F("correlation_id"),
        )

    def affected(self, finding):
        return finding.group["workflows"]

    def describe(self, finding):
        stats, per_workflow = finding.group, finding.value
        kind = stats["workflow_type"]
        return Words(
            f"Chatty workflow '{kind}': {per_workflow:.0f} requests per workflow",
            f"The {counted(stats['workflows'], 'workflow')} of type '{kind}' started in this "
            f"window made {per_workflow:.1f} requests on average (up to "
            f"{stats['max_requests']}); each request pays for latency, authentication and "
            "middleware again.",
            {
                "workflow_type": kind,
                "workflows": stats["workflows"],
                "avg_requests": round(per_workflow, 1),
                "max_requests": stats["max_requests"],
                "examples": distinct_examples(finding.sample),
            },
            "Look at the busiest example workflows for calls that repeat or always come "
            "together: batch them into one endpoint, embed related data in one response, or "
            "keep what the client already fetched instead of asking again.",
        )
