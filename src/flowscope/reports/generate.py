"""Generating a report: build it, store it, and answer with it."""

from flowscope.models import Report
from flowscope.reports import performance, system_health, workflow


def _store(report_type, parameters, built, user):
    return Report.objects.create(
        report_type=report_type,
        parameters=parameters,
        title=built["title"],
        summary=built["summary"],
        sections=built["sections"],
        generated_by=user if getattr(user, "is_authenticated", False) else None,
    )


def workflow_report(session, user):
    return _store(
        Report.Type.WORKFLOW,
        {"correlation_id": session.correlation_id},
        workflow.build(session),
        user,
    )


def system_health_report(start, end, user):
    return _store(
        Report.Type.SYSTEM_HEALTH, _period(start, end), system_health.build(start, end), user
    )


def performance_report(start, end, routes, layers, user):
    parameters = {**_period(start, end), "routes": list(routes), "layers": list(layers)}
    return _store(
        Report.Type.PERFORMANCE, parameters, performance.build(start, end, routes, layers), user
    )


def _period(start, end):
    return {"start": start.isoformat(), "end": end.isoformat()}


def as_dict(report):
    return {
        "id": report.pk,
        "report_type": report.report_type,
        "title": report.title,
        "parameters": report.parameters,
        "generated_at": report.generated_at.isoformat(),
        "generated_by": report.generated_by.get_username() if report.generated_by else None,
        "summary": report.summary,
        "sections": report.sections,
    }
