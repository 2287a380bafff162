// Errors: groups (by fingerprint) with counts, a sparkline of occurrences, first and last
// seen; a group's page with its stack trace (each frame's source lines and locals), the
// workflows it happened in, resolve/reopen.

import { sparkline } from "../charts.js";
import { badge, emptyState, fmt, h, json, panel, replace, table, timeEl } from "../dom.js";
import { formState, fromAddress, keepInAddress, numberField, refused, selectField, textField, timeField } from "../filters.js";
import { workflowLink } from "./overview.js";

const WINDOW_MS = { "15m": 9e5, "1h": 3.6e6, "6h": 2.16e7, "24h": 8.64e7, "7d": 6.048e8 };
const BUCKETS = 24;
const SPARKLINES = 25;

function buckets(times, since, until) {
  const counts = new Array(BUCKETS).fill(0);
  const span = until - since;
  for (const t of times) {
    const i = Math.floor(((t - since) / span) * BUCKETS);
    if (i >= 0 && i < BUCKETS) counts[i] += 1;
  }
  return counts;
}

async function occurrences(ctx, fingerprint, pageSize = 200) {
  const data = await ctx.api("errors/", { query: { group: "false", fingerprint, page_size: pageSize } });
  return data.results;
}

const FILTERS = ["resolved", "layer", "q", "user", "route", "type", "status", "error_type", "min_duration_ms",
  "max_duration_ms", "since", "until"];
const LAYERS = ["", "frontend", "api", "database", "cache", "external", "custom", "task"];
const STATUSES = ["", "in_progress", "completed", "failed", "timed_out"];

function filterForm(state) {
  return h("form", { class: "filters", role: "search" },
    selectField("resolved", "Show", [["false", "unresolved"], ["true", "resolved"], ["all", "all"]], state.resolved),
    selectField("layer", "Layer", LAYERS.map((v) => [v, v || "any"]), state.layer),
    textField("q", "Words", state.q, { placeholder: "type or message", grow: true }),
    textField("error_type", "Error type", state.error_type, { placeholder: "e.g. KeyError" }),
    textField("user", "User", state.user, { size: 10 }),
    textField("route", "Route", state.route, { placeholder: "GET /api/v1/shipping/estimate/", size: 24 }),
    textField("type", "Workflow type", state.type),
    selectField("status", "Workflow status", STATUSES.map((v) => [v, v || "any"]), state.status),
    numberField("min_duration_ms", "Workflow slower than (ms)", state.min_duration_ms),
    numberField("max_duration_ms", "Workflow faster than (ms)", state.max_duration_ms),
    timeField("since", "From", state.since),
    timeField("until", "Until", state.until),
    h("button", { type: "submit", class: "button", text: "Filter" }));
}

export async function renderList(container, params, ctx) {
  container.dataset.title = "Errors";
  const state = fromAddress(params.query, FILTERS);
  state.resolved = state.resolved || "false";
  const body = h("div", {});
  const spanNote = h("p", { class: "muted" });
  const filters = filterForm(state);
  // The time range given, else the window the header names.
  const range = () => {
    const until = state.until ? new Date(state.until).getTime() : Date.now();
    return { since: state.since ? new Date(state.since).getTime() : until - WINDOW_MS[ctx.window], until };
  };
  let latest = 0;
  const show = async (data, { since, until }, mine) => {
    const groups = data.results;
    const series = new Map(await Promise.all(groups.slice(0, SPARKLINES).map((g) =>
      occurrences(ctx, g.fingerprint)
        .then((list) => [g.fingerprint, buckets(list.map((e) => new Date(e.created_at).getTime()), since, until)])
        .catch(() => [g.fingerprint, []]))));
    if (mine !== latest) return; // answers can arrive out of order: only the last asked is shown
    if (!groups.length) {
      const filtered = FILTERS.some((name) => name !== "resolved" && state[name]);
      replace(body, emptyState(filtered ? "No error matches these filters"
        : state.resolved === "false" ? "No unresolved errors in this window" : "No errors in this window",
      h("p", { class: "muted", text: "Errors appear here as they happen: exceptions, 5xx answers, failed queries, browser errors." })));
      return;
    }
    replace(body, table([
      {
        label: "Error",
        render: (g) => h("a", { href: `#/errors/${g.latest_id}`, class: "error-link" },
          h("strong", { text: g.error_type }), h("span", { class: "muted msg", text: g.message })),
      },
      { label: "Layer", render: (g) => g.layer },
      { label: "Severity", render: (g) => badge(g.severity, "severity") },
      { label: "Count", class: "num", render: (g) => String(g.count) },
      { label: "Occurrences", render: (g) => sparkline(series.get(g.fingerprint) || [], { label: `${g.count} occurrences over the window` }) },
      { label: "First seen", render: (g) => timeEl(g.first_seen) },
      { label: "Last seen", render: (g) => timeEl(g.last_seen) },
      { label: "State", render: (g) => (g.resolved ? badge("resolved") : badge("open")) },
    ], groups.map((g) => ({ ...g, __dataset: { fingerprint: g.fingerprint } })), { testid: "error-groups" }));
  };
  const load = async () => {
    const times = range();
    const { resolved, ...rest } = state;
    const query = { ...rest, resolved: resolved === "all" ? "" : resolved, since: new Date(times.since).toISOString(), page_size: 50 };
    spanNote.textContent = `Grouped by fingerprint · ${state.since || state.until ? "in the time range given" : `last ${ctx.window}`}`;
    const mine = ++latest;
    try {
      await show(await ctx.api("errors/", { query }), times, mine);
    } catch (error) {
      if (mine === latest) replace(body, refused(error));
    }
  };
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, formState(filters));
    keepInAddress("errors", { ...state, resolved: state.resolved === "false" ? "" : state.resolved });
    load();
  });
  filters.addEventListener("change", () => filters.requestSubmit());
  await load();
  let pending = null;
  const off = ctx.bus.on("error_notification", () => {
    if (!pending) pending = setTimeout(() => { pending = null; load().catch(() => {}); }, 1500);
  });
  replace(container, h("div", { class: "view-head" }, h("h1", { text: "Errors" }), spanNote),
    panel("Error groups", [filters, body], { wide: true }));
  return () => { off(); clearTimeout(pending); };
}

function frameHead(f, tag = "div") {
  return h(tag, { class: "frame-head" },
    h("span", { class: "frame-fn", text: f.function || "?" }),
    h("span", { class: "frame-loc", text: ` ${f.file || f.filename || ""}:${f.line ?? f.lineno ?? ""}` }),
    f.in_app ? badge("app", "flag") : null);
}

// The lines around the frame's own, numbered as in the file; its own line is marked.
function sourceContext(f) {
  const pre = f.pre_context || [];
  const lines = [...pre, f.context_line, ...(f.post_context || [])];
  const first = Number(f.line) - pre.length;
  return h("pre", { class: "frame-source", "data-testid": "frame-source" }, lines.map((text, i) =>
    h("span", { class: i === pre.length ? "source-line current" : "source-line", "aria-current": i === pre.length ? "true" : null },
      h("span", { class: "line-no", text: String(first + i) }), h("span", { text: text || " " }))));
}

function localsTable(f) {
  const names = Object.keys(f.locals);
  return h("div", { class: "table-wrap" }, h("table", { class: "frame-locals", "data-testid": "frame-locals" },
    h("caption", { text: `Local variables${f.more_locals ? ` (${f.more_locals} more not kept)` : ""}` }),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Name" }), h("th", { scope: "col", text: "Value (scrubbed)" }))),
    h("tbody", {}, names.length
      ? names.map((name) => h("tr", {}, h("th", { scope: "row", text: name }), h("td", {}, h("code", { text: f.locals[name] }))))
      : h("tr", {}, h("td", { colspan: 2, class: "muted", text: "None" })))));
}

// A frame with its source lines (and, for the project's own code, its locals) opens to
// show them; one with only its line (a browser's, another service's) shows that line.
function frame(f, open = false) {
  const cls = f.in_app ? "frame in-app" : "frame lib";
  if (typeof f.context_line !== "string") {
    return h("li", { class: cls }, frameHead(f), f.code ? h("pre", { class: "frame-code", text: f.code }) : null);
  }
  return h("li", { class: cls }, h("details", { class: "frame-detail", open },
    h("summary", {}, frameHead(f, "span"), f.code ? h("code", { class: "frame-code", text: f.code }) : null),
    sourceContext(f), f.locals ? localsTable(f) : null));
}

// The project's own frames stand out (the innermost one open); runs of library frames fold
// into one line each.
function frames(stack) {
  if (!stack || !stack.length) return h("p", { class: "muted", text: "No stack trace was captured for this error." });
  const runs = [];
  for (const f of stack) {
    const last = runs[runs.length - 1];
    if (!f.in_app && last && !last.app) last.frames.push(f);
    else runs.push({ app: Boolean(f.in_app), frames: [f] });
  }
  const innermost = stack.findLast((f) => f.in_app);
  const show = (f) => frame(f, f === innermost);
  const hasApp = runs.some((run) => run.app);
  return h("ol", { class: "frames", "data-testid": "stack-trace" }, runs.map((run) => (run.app || !hasApp
    ? run.frames.map(show)
    : h("li", {}, h("details", { class: "lib-frames" },
      h("summary", { text: `${run.frames.length} library frame${run.frames.length === 1 ? "" : "s"}` }),
      h("ol", { class: "frames" }, run.frames.map(show)))))));
}

export async function renderDetail(container, { id }, ctx) {
  const error = await ctx.api(`errors/${encodeURIComponent(id)}/`);
  const list = await occurrences(ctx, error.fingerprint, 100);
  container.dataset.title = error.error_type;
  const stateBox = h("span", { "data-testid": "error-state" });
  const button = h("button", { type: "button", class: "button", "data-testid": "resolve-toggle" });
  let resolved = error.resolved;
  const draw = () => {
    replace(stateBox, resolved ? badge("resolved") : badge("open"));
    button.textContent = resolved ? "Reopen" : "Resolve";
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const group = await ctx.api(`errors/${error.id}/${resolved ? "reopen" : "resolve"}/`, { method: "POST" });
      resolved = group.resolved;
      draw();
    } finally {
      button.disabled = false;
    }
  });
  draw();
  const workflows = [...new Map(list.filter((e) => e.correlation_id).map((e) => [e.correlation_id, e])).values()];
  replace(container,
    h("div", { class: "view-head" },
      h("p", { class: "crumbs" }, h("a", { href: "#/errors", text: "Errors" }), " / "),
      h("h1", {}, error.error_type, " ", stateBox),
      h("p", { class: "lead", "data-testid": "error-message", text: error.message }),
      h("div", { class: "actions" }, button)),
    h("dl", { class: "summary" },
      [["Layer", error.layer], ["Severity", error.severity], ["Occurrences", String(error.occurrences)],
        ["First seen", fmt.time(list.length ? list[list.length - 1].created_at : error.created_at)],
        ["Last seen", fmt.time(list.length ? list[0].created_at : error.created_at)],
        ["Step", error.step ? error.step.name : "—"]].map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: v })))),
    panel("Stack trace", frames(error.stack_trace), { wide: true, actions: h("span", { class: "muted small", text: "your code is highlighted; open a frame for its source and locals" }) }),
    panel("Workflows it happened in", table([
      { label: "Workflow", render: (e) => workflowLink(e.correlation_id) },
      { label: "When", render: (e) => timeEl(e.created_at) },
      { label: "Message", render: (e) => e.message },
    ], workflows.slice(0, 20), { testid: "error-workflows", empty: "Not tied to a workflow." }), { wide: true }),
    panel("Request context (scrubbed)", json(error.request_context || {}), { wide: true }));
}
