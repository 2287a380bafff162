// Overview: health per layer, active workflows, recent error groups, charts, and the top
// recommendations — kept current by the dashboard socket.

import { lineChart } from "../charts.js";
import { coalesced } from "../live.js";
import { badge, code, emptyState, fmt, h, panel, replace, table, timeEl } from "../dom.js";
import { overBudgetNote } from "./budgets.js";
import { replayHref } from "./replay.js";

const LAYERS = ["frontend", "api", "database", "cache", "external"];
const ERRORS_RELOAD_MS = 300; // errors often come in bursts: one read for the burst
const CHARTS = [
  { metric: "throughput_rpm", title: "Throughput", format: (v) => `${fmt.num(v, 0)}/min`, pick: (p) => p.value },
  { metric: "response_time_ms", title: "p95 latency", format: fmt.ms, pick: (p) => p.p95 },
  { metric: "error_rate", title: "Error rate", format: fmt.pct, pick: (p) => p.value },
];

export function healthCard(layer, entry) {
  return h(
    "article",
    { class: `health status-${entry.status}`, "data-testid": `health-${layer}`, dataset: { status: entry.status } },
    h("header", {}, h("h3", { text: layer }), badge(entry.status)),
    h(
      "dl",
      {},
      h("div", {}, h("dt", { text: "rpm", title: "steps per minute" }), h("dd", { text: fmt.num(entry.throughput_rpm) })),
      h("div", {}, h("dt", { text: "errors" }), h("dd", { text: fmt.pct(entry.error_rate) })),
      h("div", {}, h("dt", { text: "p95" }), h("dd", { text: fmt.ms(entry.p95_ms) })),
    ),
  );
}

// What was recorded of a workflow, first step to last: a workflow in progress says "so far"
// (the time since it started is not its duration).
export function workflowDuration(w) {
  if (w.ended) return fmt.ms(w.duration_ms ?? w.elapsed_ms);
  return h("span", { title: "in progress: first step to last step so far", text: `${fmt.ms(w.elapsed_ms)} so far` });
}

export function workflowLink(id) {
  return h("a", { href: `#/workflows/${encodeURIComponent(id)}`, class: "mono", title: id, text: fmt.short(id) });
}

function workflowRows(workflows) {
  return table(
    [
      { label: "Workflow", render: (w) => workflowLink(w.correlation_id) },
      { label: "Type", render: (w) => w.workflow_type || "—" },
      { label: "Status", render: (w) => badge(w.status) },
      { label: "Errors", class: "num", render: (w) => String(w.error_count) },
      { label: "Duration", class: "num", render: workflowDuration },
    ],
    workflows,
    { testid: "active-workflows", empty: "No workflow is running right now." },
  );
}

export function errorGroupRows(groups, testid = "recent-errors") {
  return table(
    [
      {
        label: "Error",
        render: (g) => h("a", { href: `#/errors/${g.latest_id}`, class: "error-link" },
          h("strong", { text: g.error_type }), " ", h("span", { class: "muted", text: g.message })),
      },
      { label: "Layer", render: (g) => g.layer },
      { label: "Count", class: "num", render: (g) => String(g.count) },
      { label: "Last seen", render: (g) => timeEl(g.last_seen) },
    ],
    groups,
    { testid, empty: "No errors in this window." },
  );
}

export function recommendationList(recommendations, { evidence = false } = {}) {
  if (!recommendations.length) return h("p", { class: "muted", text: "Nothing to recommend in this window." });
  return h(
    "ol",
    { class: "recommendations", "data-testid": "recommendations" },
    recommendations.map((r) => h(
      "li",
      { class: `rec severity-${r.severity}` },
      h("div", { class: "rec-head" }, badge(r.severity, "severity"), h("strong", { text: r.title })),
      h("p", { class: "muted", text: r.suggestion }),
      r.evidence.sql && (r.evidence.examples || []).length
        ? h("a", { class: "button ghost small", href: replayHref(r.evidence.examples[0], r.evidence.sql), "data-testid": "replay-to-confirm", text: "Replay to confirm the fix" })
        : null,
      evidence ? h("details", {},
        h("summary", { text: "Evidence" }),
        h("p", { text: r.explanation }),
        (r.evidence.examples || []).length
          ? h("p", {}, "Workflows: ", r.evidence.examples.map((id) => [workflowLink(id), " "]))
          : null,
        r.evidence.sql ? h("pre", { class: "sql", text: r.evidence.sql }) : null) : null,
    )),
  );
}

function slowestRoutes(metrics) {
  const ratio = metrics.cache_hit_ratio;
  return [
    table([
      { label: "Route", render: (r) => h("code", { class: "sql-inline", text: r.component }) },
      { label: "Requests", class: "num", render: (r) => fmt.num(r.count, 0) },
      { label: "Avg", class: "num", render: (r) => fmt.ms(r.avg_ms) },
      { label: "p95", class: "num", render: (r) => fmt.ms(r.p95_ms) },
    ], metrics.slowest_routes.slice(0, 5), { testid: "slowest-routes", empty: "No rollups in this window yet." }),
    ratio === null || ratio === undefined ? null : h("p", { class: "muted small", text: `Cache hit ratio ${fmt.pct(ratio)}` }),
  ];
}

function isEmpty(data) {
  const counted = LAYERS.some((layer) => (data.system_health.layers[layer] || {}).count);
  return !counted && !data.active_workflows.length && !data.recent_errors.length;
}

function firstSteps() {
  return emptyState(
    "No traffic recorded yet",
    h("p", {}, "Flowscope shows workflows as soon as the app serves requests. Open the ",
      h("a", { href: "/shop/", text: "storefront at /shop/" }),
      ", sign in as alice / alice-demo-pass and buy something — or run ", code("make demo"),
      ", whose simulated customers send traffic every few seconds."),
    h("p", {}, "You can also send a workflow from the ", h("a", { href: "#/testing", text: "testing console" }), "."),
  );
}

async function charts(ctx) {
  const series = await Promise.all(CHARTS.map((chart) =>
    ctx.api("performance/", { query: { series: chart.metric, window: ctx.window } }).catch(() => ({ points: [] }))));
  return h("div", { class: "charts" }, CHARTS.map((chart, i) => {
    const points = series[i].points.map((p) => ({ t: p.t, v: chart.pick(p) }));
    return h("figure", { class: "chart", "data-testid": `chart-${chart.metric}` },
      h("figcaption", {}, chart.title,
        points.length ? h("span", { class: "muted", text: ` · last ${chart.format(points[points.length - 1].v)}` }) : null),
      points.length ? lineChart(points, { format: chart.format, label: `${chart.title} over the window` })
        : h("p", { class: "muted small", text: "Charts fill in once the first full minute is rolled up." }));
  }));
}

export async function render(container, params, ctx) {
  // The error counts are the API's. An error event says only that they changed: the load,
  // the socket and a catch-up can each tell of the same error (the load may already count
  // one the socket announces after it), so counting events would count some twice.
  let errorsChanged = false;
  const early = ctx.bus.on("error_notification", () => { errorsChanged = true; });
  let data;
  let chartBlock;
  try {
    [data, chartBlock] = await Promise.all([
      ctx.api("dashboard-data/", { query: { window: ctx.window } }),
      ctx.shows("charts") ? charts(ctx) : null,
    ]);
  } finally {
    early();
  }
  const loadedAt = Date.now();
  container.dataset.title = "Overview";
  const active = new Map(data.active_workflows.map((w) => [w.correlation_id, w]));
  const healthGrid = h("div", { class: "health-grid", "data-testid": "health" });
  const overall = h("span", {});
  const activeBody = h("div", {});
  const errorsBody = h("div", {});
  let groups = data.recent_errors;

  const drawHealth = (health) => {
    replace(overall, badge(health.overall_status));
    replace(healthGrid, LAYERS.map((layer) => healthCard(layer, health.layers[layer] || { status: "unknown" })));
  };
  const drawActive = () => {
    const list = [...active.values()].sort((a, b) => b.started_at.localeCompare(a.started_at)).slice(0, 20);
    replace(activeBody, workflowRows(list));
  };
  const drawErrors = () => replace(errorsBody, errorGroupRows(groups.slice(0, 10)));
  // The window moves on from the server's start of it, by the time the page has been open.
  const windowStart = () => new Date(Date.parse(data.window.since) + Date.now() - loadedAt).toISOString();
  const reloadErrors = coalesced(async () => {
    const page = await ctx.api("errors/", { query: { since: windowStart(), page_size: 10 } });
    groups = page.results;
    drawErrors();
  }, ERRORS_RELOAD_MS);
  const empty = isEmpty(data) ? firstSteps() : null;
  const dropEmpty = () => {
    if (empty) empty.remove(); // traffic arrived: the first-steps note has done its job
  };
  drawHealth(data.system_health);
  drawActive();
  drawErrors();

  replace(
    container,
    h("div", { class: "view-head" }, h("h1", { text: "Overview" }),
      h("p", { class: "muted" }, "System health ", overall, ` · last ${data.window.name} · updated live`)),
    empty,
    ctx.shows("system_health")
      ? panel("Health per layer", h("div", {}, healthGrid, overBudgetNote(data.system_health.over_budget)), { id: "health-panel", wide: true })
      : null,
    h("div", { class: "grid-2" },
      ctx.shows("active_workflows") ? panel("Active workflows", activeBody,
        { id: "active-panel", actions: h("a", { href: "#/workflows", text: "All workflows" }) }) : null,
      ctx.shows("recent_errors") ? panel("Recent errors", errorsBody,
        { id: "errors-panel", actions: h("a", { href: "#/errors", text: "All errors" }) }) : null),
    chartBlock ? panel("Over the window", chartBlock, { id: "charts-panel", wide: true }) : null,
    ctx.shows("performance_metrics") ? panel("Slowest routes", slowestRoutes(data.performance_metrics),
      { id: "routes-panel", wide: true, actions: h("a", { href: "#/performance", text: "Performance" }) }) : null,
    ctx.shows("optimization_recommendations") ? panel("Top recommendations", recommendationList(data.optimization_recommendations),
      { id: "recs-panel", wide: true, actions: h("a", { href: "#/performance", text: "Performance" }) }) : null,
  );

  const offs = [
    ctx.bus.on("system_health", drawHealth),
    ctx.bus.on("workflow_update", ({ workflow }) => {
      dropEmpty();
      if (workflow.status === "in_progress") active.set(workflow.correlation_id, workflow);
      else active.delete(workflow.correlation_id);
      drawActive();
    }),
    ctx.bus.on("error_notification", () => {
      dropEmpty();
      reloadErrors();
    }),
  ];
  if (errorsChanged) reloadErrors(); // an error came while the overview was loading
  return () => {
    offs.forEach((off) => off());
    reloadErrors.cancel();
  };
}
