// Performance: per-layer numbers and charts, slowest routes and queries, alerts, and the
// recommendations with their evidence linked to workflows.

import { lineChart } from "../charts.js";
import { badge, fmt, h, panel, replace, table, timeEl } from "../dom.js";
import { recommendationList } from "./overview.js";

const SERIES = [
  { metric: "response_time_ms", title: "p95 response time", format: fmt.ms, pick: (p) => p.p95, threshold: "response_time_ms" },
  { metric: "throughput_rpm", title: "Throughput (requests/min)", format: (v) => fmt.num(v, 0), pick: (p) => p.value },
  { metric: "error_rate", title: "Error rate", format: fmt.pct, pick: (p) => p.value, threshold: "error_rate" },
  { metric: "query_count", title: "Queries per request", format: (v) => fmt.num(v), pick: (p) => p.value },
  { metric: "cache_hit_ratio", title: "Cache hit ratio", format: fmt.pct, pick: (p) => p.value },
];
const LAYERS = ["api", "database", "cache", "external"];

// A rollup's figure in its unit, by metric (the unit the API's `metric` names).
function bytes(value) {
  if (value >= 1024 * 1024) return `${fmt.num(value / (1024 * 1024))} MB`;
  if (value >= 1024) return `${fmt.num(value / 1024)} KB`;
  return `${fmt.num(value, 0)} bytes`;
}
const UNITS = {
  response_time_ms: fmt.ms,
  response_size_bytes: bytes,
  error_rate: fmt.pct,
  layer_error_rate: fmt.pct,
  cache_hit_ratio: fmt.pct,
  query_count: (v) => `${fmt.num(v)} queries`,
  throughput_rpm: (v) => `${fmt.num(v, 0)}/min`,
};

function inUnit(metric, value) {
  if (value === null || value === undefined) return "—";
  return (UNITS[metric] || ((v) => fmt.num(v, 3)))(value);
}

// An alert's value is the figure its threshold judged (a window's p95 for response times
// and sizes), named as such.
const ALERT_COLUMNS = [
  { label: "When", render: (a) => timeEl(a.window_start) },
  { label: "Metric", render: (a) => a.metric },
  { label: "Where", render: (a) => `${a.layer} ${a.component}` },
  { label: "Value that fired", class: "num", render: (a) => `${a.judged_on === "p95" ? "p95 " : ""}${inUnit(a.metric, a.judged_value)}` },
  { label: "Threshold", class: "num", render: (a) => inUnit(a.metric, a.threshold) },
  { label: "Severity", render: (a) => badge(a.severity, "severity") },
];

function chart(spec, points) {
  const data = points.map((p) => ({ t: p.t, v: spec.pick(p) }));
  return h("figure", { class: "chart", "data-testid": `perf-${spec.metric}` }, h("figcaption", { text: spec.title }),
    data.length ? lineChart(data, { format: spec.format, label: spec.title })
      : h("p", { class: "muted small", text: "No rollups in this window yet." }));
}

export async function render(container, params, ctx) {
  container.dataset.title = "Performance";
  const query = { window: ctx.window };
  const [data, alerts, ...series] = await Promise.all([
    ctx.api("dashboard-data/", { query }),
    ctx.api("performance/", { query: { alerts: "true", page_size: 20 } }),
    ...SERIES.map((s) => ctx.api("performance/", { query: { series: s.metric, ...query } })),
  ]);
  const layerSeries = await Promise.all(LAYERS.map((layer) =>
    ctx.api("performance/", { query: { series: "response_time_ms", layer, ...query } })));
  const metrics = data.performance_metrics;
  const routeSelect = h("select", { "aria-label": "Route" },
    h("option", { value: "", text: "choose a route" }),
    metrics.slowest_routes.map((r) => h("option", { value: r.component, text: r.component })));
  const routeChart = h("div", {}, h("p", { class: "muted small", text: "Pick a route to chart its p95." }));
  routeSelect.addEventListener("change", async () => {
    if (!routeSelect.value) return;
    const points = await ctx.api("performance/", { query: { series: "response_time_ms", component: routeSelect.value, ...query } });
    replace(routeChart, chart({ ...SERIES[0], title: `p95 of ${routeSelect.value}` }, points.points));
  });
  const routeTable = (rows, label) => table([
    { label, render: (r) => h("code", { class: "sql-inline", text: r.component }) },
    { label: "Count", class: "num", render: (r) => String(r.count) },
    { label: "Avg", class: "num", render: (r) => fmt.ms(r.avg_ms) },
    { label: "p95", class: "num", render: (r) => fmt.ms(r.p95_ms) },
    { label: "p99", class: "num", render: (r) => fmt.ms(r.p99_ms) },
  ], rows, { empty: "No rollups in this window yet." });
  replace(container,
    h("div", { class: "view-head" }, h("h1", { text: "Performance" }), h("p", { class: "muted", text: `last ${ctx.window}` })),
    panel("Per layer", table([
      { label: "Layer", render: (r) => r.layer },
      { label: "Steps", class: "num", render: (r) => String(r.count) },
      { label: "Throughput", class: "num", render: (r) => `${fmt.num(r.throughput_rpm)}/min` },
      { label: "Error rate", class: "num", render: (r) => fmt.pct(r.error_rate) },
      { label: "p50", class: "num", render: (r) => fmt.ms(r.p50_ms) },
      { label: "p95", class: "num", render: (r) => fmt.ms(r.p95_ms) },
    ], Object.entries(metrics.layers).map(([layer, v]) => ({ layer, ...v })), { testid: "perf-layers" }), { wide: true }),
    panel("Over the window", h("div", { class: "charts" },
      SERIES.map((spec, i) => chart(spec, series[i].points)),
      LAYERS.map((layer, i) => chart({ ...SERIES[0], metric: `layer-${layer}`, title: `p95 · ${layer}` }, layerSeries[i].points))), { wide: true }),
    panel("Per route", [routeSelect, routeChart], { wide: true }),
    h("div", { class: "grid-2" },
      panel("Slowest routes", routeTable(metrics.slowest_routes, "Route")),
      panel("Slowest queries", routeTable(metrics.slowest_queries, "Query"))),
    panel("Alerts", table(ALERT_COLUMNS, alerts.results, { testid: "alerts", empty: "No alerts raised." }), { wide: true }),
    panel("Recommendations", recommendationList(data.optimization_recommendations, { evidence: true }), { wide: true }));
}
