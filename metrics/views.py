"""Delivery-metrics pages: the dashboard, the drill-down behind every number, and CSV of every table.

Views stay thin: filters come from ``metrics.filters``, figures from ``metrics.dashboard`` / ``metrics.dora``,
figures for the browser from ``metrics.charts``. HTMX filter changes get only the ``panel`` partial.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render

from access.scope import require_in_scope
from metrics import charts
from metrics.dashboard import BENCHMARK_YEAR, DORA_2024, dashboard_data
from metrics.dora import DRILLDOWN, dora_rows
from metrics.filters import WINDOWS, filters_from
from metrics.models import Deployment, DeploymentCommit, Incident

DRILLDOWN_LIMIT = 500

# figure key in dora_metrics -> (label, drill-down metric)
DISTRIBUTIONS = {
    "lead_time_s": ("Lead time for changes", "lead_time"),
    "recovery_time_s": ("Failed-deployment recovery time", "recovery_time"),
    "time_to_restore_s": ("Incident time to restore", "time_to_restore"),
    "time_to_detect_s": ("Time to detect", "time_to_restore"),
}
METRIC_TITLES = {
    "deployments": "Deployments",
    "lead_time": "Lead time for changes",
    "change_failure_rate": "Change failure rate",
    "recovery_time": "Failed-deployment recovery time",
    "time_to_restore": "Incident time to restore",
    "rework_rate": "Deployment rework rate",
}


def csv_response(filename: str, rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None):
    """Rows as a CSV download; the columns are the first row's keys unless given."""
    rows = list(rows)
    columns = list(columns or (rows[0].keys() if rows else []))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return response


def summary_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures as one table: distributions with percentiles and n, rates with both counts."""
    rows: list[dict[str, Any]] = [
        {"metric": "deployments", "value": figures["deployments"], "n": figures["deployments"]},
        {
            "metric": "deployment_frequency_per_day",
            "value": figures["deployment_frequency_per_day"],
            "n": figures["deployments"],
        },
    ]
    for key in DISTRIBUTIONS:
        rows.append({"metric": key, **figures[key]})
    cfr, rework = figures["change_failure_rate"], figures["rework_rate"]
    rows.append({"metric": "change_failure_rate", "numerator": cfr["failed"], "denominator": cfr["total"],
                 "rate": cfr["rate"]})  # fmt: skip
    rows.append({"metric": "rework_rate", "numerator": rework["rework"], "denominator": rework["total"],
                 "rate": rework["rate"]})  # fmt: skip
    return rows


SUMMARY_COLUMNS = ["metric", "value", "p50", "p75", "p90", "n", "numerator", "denominator", "rate"]


def _dashboard_csv(table: str, data: dict[str, Any], filters) -> HttpResponse:
    name = f"{filters.service.slug}-{filters.environment.name}-{table}"
    if table == "summary":
        return csv_response(name, summary_rows(data["figures"]), SUMMARY_COLUMNS)
    if table == "trend":
        return csv_response(name, data["trend"])
    if table == "gates":
        return csv_response(name, data["gates"])
    if table == "breakdown":
        return csv_response(name, [{"segment": k, **v} for k, v in data["breakdown"].items()])
    if table == "coverage":
        coverage = data["figures"]["data_coverage"]
        rows = [{"item": k, **(v if isinstance(v, dict) else {"count": v})} for k, v in coverage.items()]
        return csv_response(name, rows, ["item", "linked", "attributed", "n", "total", "rate", "count"])
    raise Http404(f"no table {table!r}")


def _chart_data(data: dict[str, Any]) -> dict[str, Any]:
    figures = data["figures"]
    return {
        **charts.trend_figures(data["trend"]),
        "percentiles": charts.percentile_figure(
            "Median, p75, p90 (hours)", {DISTRIBUTIONS[k][0]: figures[k] for k in DISTRIBUTIONS}
        ),
        "lead-time-histogram": charts.lead_time_histogram(data["histogram"]),
        "gate-stack": charts.gate_stack(data["gates"]),
    }


def dashboard(request):
    """/metrics/: the DORA figures of one service and environment over a window, with charts and coverage."""
    filters = filters_from(request)
    context: dict[str, Any] = {"filters": filters, "windows": WINDOWS, "benchmark_year": BENCHMARK_YEAR,
                               "dora_2024": DORA_2024}  # fmt: skip
    if filters.ready:
        data = dashboard_data(service=filters.service, environment=filters.environment, start=filters.start,
                              end=filters.end)  # fmt: skip
        if request.GET.get("format") == "csv":
            return _dashboard_csv(request.GET.get("table", "summary"), data, filters)
        context |= {
            "data": data,
            "summary": summary_rows(data["figures"]),
            "distributions": [(k, label, metric, data["figures"][k]) for k, (label, metric) in DISTRIBUTIONS.items()],
            "charts": _chart_data(data),
            "query": filters.query(),
            "api_query": filters.api_query(),
        }
    template = "metrics/dashboard.html#panel" if request.htmx else "metrics/dashboard.html"
    return render(request, template, context)


def _rule_labels(metric: str, row: dict[str, Any]) -> str:
    """The rule(s) that classified a drill-down row, in words."""
    if metric == "lead_time":
        text = DeploymentCommit.Origin(row["origin"]).label
        return text if row["counted"] else f"{text}; no lead time (not its first successful deployment)"
    if metric == "time_to_restore":
        return Incident.AttributionRule(row["attribution_rule"]).label
    parts = []
    if row["is_baseline"]:
        parts.append("baseline (first deployment)")
    if row["failure_rule"]:
        parts.append("failed: " + Deployment.FailureRule(row["failure_rule"]).label)
    if row["recovery_rule"]:
        parts.append("recovered: " + Deployment.RecoveryRule(row["recovery_rule"]).label)
    if row["rework_rule"]:
        parts.append("rework: " + Deployment.ReworkRule(row["rework_rule"]).label)
    return "; ".join(parts) or "succeeded"


def drilldown(request, metric: str):
    """/metrics/rows/<metric>/: the rows a figure was computed from and the rule that classified each."""
    if metric not in DRILLDOWN:
        raise Http404(f"no figure {metric!r}")
    filters = filters_from(request)
    if not filters.ready:
        raise Http404("no service or environment to show")
    require_in_scope(request.user, service_id=filters.service.pk)
    queryset = dora_rows(service=filters.service, environment=filters.environment, start=filters.start,
                         end=filters.end, metric=metric)  # fmt: skip
    if request.GET.get("format") == "csv":
        rows = [row | {"rule": _rule_labels(metric, row)} for row in queryset.iterator()]
        return csv_response(f"{filters.service.slug}-{filters.environment.name}-{metric}", rows)
    total = queryset.count()
    rows = [row | {"rule": _rule_labels(metric, row)} for row in queryset[:DRILLDOWN_LIMIT]]
    counted = sum(1 for row in rows if row["counted"])
    columns = [c for c in (rows[0].keys() if rows else []) if c not in ("counted", "rule")]
    return render(request, "metrics/drilldown.html", {
        "filters": filters, "metric": metric, "title": METRIC_TITLES[metric], "rows": rows, "columns": columns,
        "total": total, "counted": counted, "limit": DRILLDOWN_LIMIT, "query": filters.query(),
    })  # fmt: skip
