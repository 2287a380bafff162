"""Read-mostly admin pages so a developer can look at raw rows."""

from django.contrib import admin

from flowscope.models import ErrorLog, PerformanceSnapshot, TraceStep, WorkflowSession


class TraceStepInline(admin.TabularInline):
    model = TraceStep
    fields = ["started_at", "layer", "name", "status", "duration_ms", "span_id", "parent_span_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(WorkflowSession)
class WorkflowSessionAdmin(admin.ModelAdmin):
    list_display = [
        "correlation_id",
        "workflow_type",
        "status",
        "user",
        "started_at",
        "duration_ms",
        "request_count",
        "step_count",
        "error_count",
    ]
    list_filter = ["status", "workflow_type"]
    search_fields = ["correlation_id"]
    date_hierarchy = "started_at"
    raw_id_fields = ["user"]
    inlines = [TraceStepInline]


@admin.register(TraceStep)
class TraceStepAdmin(admin.ModelAdmin):
    list_display = ["name", "layer", "status", "duration_ms", "started_at", "workflow"]
    list_filter = ["layer", "status"]
    search_fields = ["name", "workflow__correlation_id"]
    raw_id_fields = ["workflow"]


@admin.register(ErrorLog)
class ErrorLogAdmin(admin.ModelAdmin):
    list_display = ["error_type", "message", "severity", "layer", "created_at", "resolved"]
    list_filter = ["severity", "layer", "resolved"]
    search_fields = ["error_type", "message", "fingerprint"]
    raw_id_fields = ["workflow", "step"]


@admin.register(PerformanceSnapshot)
class PerformanceSnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "metric",
        "layer",
        "component",
        "window_start",
        "count",
        "value",
        "p95",
        "is_alert",
        "severity",
    ]
    list_filter = ["metric", "layer", "is_alert", "severity"]
    search_fields = ["component"]
