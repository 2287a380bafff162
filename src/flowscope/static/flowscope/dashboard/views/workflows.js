// Workflows: a searchable, filterable list, and one workflow's trace as a live waterfall.

import { url } from "../api.js";
import { LiveConnection, reloadOn } from "../live.js";
import { badge, emptyState, fmt, h, panel, replace, table, timeEl } from "../dom.js";
import { formState, fromAddress, keepInAddress, numberField, refused, selectField, textField, timeField } from "../filters.js";
import { attemptsNote, journeyLink } from "./journeys.js";
import { workflowDuration, workflowLink } from "./overview.js";
import { replayDiffHref } from "./replay.js";
import { Waterfall } from "./waterfall.js";

const RELOAD_MS = 1500; // one read for a burst of workflow updates
const STATUSES = [["", "any"], ...["in_progress", "completed", "failed", "timed_out"].map((s) => [s, s])];
const TYPES = ["login", "product_fetch", "cart_update", "checkout", "page_view", "unknown"];
const FILTERS = ["q", "kind", "user", "route", "type", "status", "error_type", "min_duration_ms", "max_duration_ms",
  "started_after", "started_before", "has_errors", "synthetic"];
const KINDS = [["", "workflows"], ["request", "requests outside workflows"], ["all", "both"]];

function filterForm(state) {
  return h("form", { class: "filters", role: "search" },
    textField("q", "Correlation ID or user", state.q, { placeholder: "e.g. 3f2a or alice", grow: true }),
    selectField("kind", "Show", KINDS, state.kind),
    textField("user", "User", state.user, { size: 10 }),
    textField("route", "Route", state.route, { placeholder: "POST /api/v1/orders/checkout/", size: 24 }),
    h("label", { class: "field" }, h("span", { class: "label", text: "Type" }),
      h("input", { name: "type", value: state.type, list: "workflow-types", placeholder: "any", size: 14, autocomplete: "off" }),
      h("datalist", { id: "workflow-types" }, TYPES.map((t) => h("option", { value: t })))),
    selectField("status", "Status", STATUSES, state.status),
    textField("error_type", "Error type", state.error_type, { placeholder: "e.g. HTTP 402" }),
    numberField("min_duration_ms", "Slower than (ms)", state.min_duration_ms),
    numberField("max_duration_ms", "Faster than (ms)", state.max_duration_ms),
    timeField("started_after", "Started from", state.started_after),
    timeField("started_before", "Started before", state.started_before),
    selectField("has_errors", "Errors", [["", "any"], ["true", "true"], ["false", "false"]], state.has_errors),
    selectField("synthetic", "Run by hand", [["", "any"], ["false", "no: real traffic"], ["true", "yes: manual tests"]], state.synthetic),
    h("button", { type: "submit", class: "button", text: "Filter" }));
}

export async function renderList(container, params, ctx) {
  container.dataset.title = "Workflows";
  const state = fromAddress(params.query, FILTERS);
  let page = 1;
  const results = h("div", {});
  const form = filterForm(state);
  const filtered = () => FILTERS.some((name) => state[name]);
  const noun = () => (state.kind === "request" ? "request" : state.kind === "all" ? "row" : "workflow");

  const show = (data) => {
    const pager = h("div", { class: "pager" },
      h("button", { type: "button", class: "button ghost", disabled: !data.previous, text: "← Newer",
        onclick: () => { page -= 1; load(); } }),
      h("span", { class: "muted", text: `${data.count} ${noun()}${data.count === 1 ? "" : "s"} · page ${page}` }),
      h("button", { type: "button", class: "button ghost", disabled: !data.next, text: "Older →",
        onclick: () => { page += 1; load(); } }));
    replace(results, data.count || filtered()
      ? [table([
        { label: "Workflow", render: (w) => workflowLink(w.correlation_id) },
        { label: "Type", render: (w) => [w.kind === "request" ? "request" : w.workflow_type || "—",
          w.metadata?.synthetic ? h("span", { class: "muted", text: " · manual test" }) : null] },
        { label: "Status", render: (w) => [badge(w.status), attemptsNote(w)] },
        { label: "User", render: (w) => w.user || "anonymous" },
        { label: "Journey", render: (w) => (w.journey_id ? journeyLink(w.journey_id) : "—") },
        { label: "Started", render: (w) => timeEl(w.started_at) },
        { label: "Duration", class: "num", render: workflowDuration },
        { label: "Requests", class: "num", render: (w) => String(w.request_count) },
        { label: "Steps", class: "num", render: (w) => String(w.step_count) },
        { label: "Errors", class: "num", render: (w) => (w.error_count ? h("strong", { class: "bad", text: String(w.error_count) }) : "0") },
      ], data.results, { testid: "workflow-list", empty: `No ${noun()} matches these filters.` }), pager]
      : emptyState("No workflows yet", h("p", {}, "Open the ", h("a", { href: "/shop/", text: "storefront" }),
        " or run a workflow from the ", h("a", { href: "#/testing", text: "testing console" }), ".")));
  };
  let latest = 0;
  const load = async () => {
    const mine = ++latest; // answers can arrive out of order: only the last asked is shown
    try {
      const data = await ctx.api("workflows/", { query: { ...state, page, page_size: 25 } });
      if (mine === latest) show(data);
    } catch (error) {
      if (mine === latest) replace(results, refused(error));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, formState(form));
    page = 1;
    keepInAddress("workflows", state);
    load();
  });
  form.addEventListener("change", () => form.requestSubmit());
  await load();
  const stop = reloadOn(ctx.bus, "workflow_update", () => page === 1, load, RELOAD_MS);
  replace(container, h("div", { class: "view-head" }, h("h1", { text: "Workflows" })), panel("Find a workflow", [form, results], { wide: true }));
  return stop;
}

function summary(workflow) {
  const item = (label, value) => h("div", {}, h("dt", { text: label }), h("dd", {}, value));
  return h("dl", { class: "summary", "data-testid": "workflow-summary" },
    item("Type", workflow.kind === "request" ? "request outside workflows" : workflow.workflow_type || "—"),
    item("Status", [badge(workflow.status), attemptsNote(workflow)]),
    item("User", workflow.user || "anonymous"),
    item("Journey", workflow.journey_id ? journeyLink(workflow.journey_id) : "none"),
    item("Release", workflow.release ? h("a", { href: `#/releases?head=${encodeURIComponent(workflow.release)}`, text: workflow.release }) : "untagged"),
    item("Started", fmt.time(workflow.started_at)),
    item("Duration", workflowDuration(workflow)),
    item("Requests", String(workflow.request_count)),
    item("Steps", String(workflow.step_count)),
    item("Errors", String(workflow.error_count)),
    workflow.metadata && workflow.metadata.replay_of ? item("Replay of", workflowLink(workflow.metadata.replay_of)) : null);
}

// The earlier replays of this workflow, newest first, each linked to its diff against it.
function replayList(history) {
  if (!history || !history.results.length) return h("p", { class: "muted", "data-testid": "replay-history-empty", text: "Never replayed. The Replay button above sends its requests again." });
  const shown = history.count > history.results.length ? h("p", { class: "muted small", text: `The latest ${history.results.length} of ${history.count}.` }) : null;
  return [table([
    { label: "When", render: (r) => timeEl(r.started_at) },
    { label: "By", render: (r) => r.replayed_by || "—" },
    { label: "Outcome", render: (r) => [badge(r.status), r.error_count ? h("span", { class: "muted small", text: ` ${r.error_count} error${r.error_count === 1 ? "" : "s"}` }) : null] },
    { label: "Requests", class: "num", render: (r) => String(r.request_count) },
    { label: "", render: (r) => h("a", { href: replayDiffHref(history.original, r.correlation_id), "data-testid": "replay-history-diff", text: "Diff against this →" }) },
  ], history.results.map((r) => ({ ...r, __dataset: { replay: r.correlation_id, status: r.status } })), { testid: "replay-history", caption: "Earlier replays of this workflow" }), shown];
}

function missing(id) {
  return h("div", { role: "status", "data-testid": "workflow-missing" },
    h("p", { text: `No workflow with id ${id}.` }),
    h("p", { class: "muted", text: "It may have been pruned, or the link is wrong. Should it be recorded, it shows here." }));
}

function errorList(errors) {
  if (!errors.length) return h("p", { class: "muted", text: "No errors in this workflow." });
  return h("ul", { class: "plain-list", "data-testid": "workflow-errors" }, errors.map((e) => h("li", {},
    badge(e.severity, "severity"), " ",
    h("a", { href: `#/errors/${e.id}` }, h("strong", { text: e.error_type }), " ", e.message),
    h("span", { class: "muted", text: ` · ${e.layer}${e.step ? ` · in ${e.step.name}` : ""}` }))));
}

// The business rules it was checked against when it ended: broken ones first, each linked
// to its error (one error group per rule), then those that held.
function invariantList(check) {
  if (!check) {
    return h("p", { class: "muted", "data-testid": "workflow-invariants", text: "Not checked: it has not completed or failed yet, or its type has no invariants." });
  }
  const broken = new Set(check.violated.map((v) => v.rule));
  const held = check.rules.filter((rule) => !broken.has(rule));
  const brokenItem = (v) => h("li", { dataset: { rule: v.rule, state: "broken" } },
    badge("broken", "status"), " ",
    v.error_id ? h("a", { href: `#/errors/${v.error_id}` }, h("strong", { text: v.rule })) : h("strong", { text: v.rule }),
    h("span", { class: "muted", text: ` · ${v.message}` }));
  const heldItem = (rule) => h("li", { dataset: { rule, state: "held" } }, badge("held", "status"), " ", rule);
  if (!check.rules.length) return h("p", { class: "muted", "data-testid": "workflow-invariants", text: `No rule of its type applies to a ${check.status} workflow.` });
  return h("ul", { class: "plain-list", "data-testid": "workflow-invariants" }, [...check.violated.map(brokenItem), ...held.map(heldItem)]);
}

function flatten(nodes, out = []) {
  for (const node of nodes) {
    const { children, offset_ms: ignored, ...step } = node;
    out.push(step);
    flatten(children || [], out);
  }
  return out;
}

function layerTimes(analysis) {
  const entries = Object.entries(analysis.time_per_layer || {});
  if (!entries.length) return h("p", { class: "muted", text: "No steps yet." });
  const max = Math.max(...entries.map(([, e]) => e.self_ms), 1);
  return h("ul", { class: "bars", "data-testid": "time-per-layer" }, entries.sort((a, b) => b[1].self_ms - a[1].self_ms).map(([layer, e]) => h("li", {},
    h("span", { class: "bar-label", text: layer }),
    h("span", { class: "bar-track" }, h("span", { class: `bar-fill layer-${layer}`, style: { width: `${(e.self_ms / max) * 100}%` } })),
    h("span", { class: "bar-value", text: `${fmt.ms(e.self_ms)} · ${e.count}` }))));
}

function queries(analysis) {
  return table([
    { label: "Query", render: (q) => h("code", { class: "sql-inline", text: q.sql }) },
    { label: "Count", class: "num", render: (q) => String(q.count) },
    { label: "Total", class: "num", render: (q) => fmt.ms(q.total_ms) },
    { label: "", render: (q) => (q.n_plus_one ? badge("N+1", "flag") : q.repeated ? badge("repeated", "flag") : "") },
  ], (analysis.queries || []).slice(0, 15), { empty: "No queries." });
}

// The workflow (or request trace), or null when none is stored under this id (the socket
// then says "pending", and streams it in if it is written after all). Asked through the
// list first: a 404 would be logged on the browser's console as an error.
async function loadWorkflow(ctx, id) {
  const found = await ctx.api("workflows/", { query: { q: id, kind: "all", page_size: 50 } });
  if (!found.results.some((w) => w.correlation_id === id)) return null;
  return ctx.api(`workflows/${encodeURIComponent(id)}/`);
}

export async function renderDetail(container, { id }, ctx) {
  const data = await loadWorkflow(ctx, id);
  container.dataset.title = `Workflow ${fmt.short(id)}`;
  const waterfall = new Waterfall({ analysis: data ? data.analysis : {} });
  waterfall.setSteps(data ? flatten(data.steps) : []);
  const summaryBox = h("div", {}, data ? summary(data.workflow) : missing(id));
  const liveNote = h("span", { class: "connection small", dataset: { state: "connecting" }, "data-testid": "trace-connection" },
    h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "text", text: "connecting" }));
  const errorsBox = h("div", {}, errorList(data ? data.errors : []));
  const invariantsBox = h("div", {}, invariantList(data ? data.invariants : null));
  const loadReplays = () => ctx.api(`workflows/${encodeURIComponent(id)}/replays/`);
  const replaysBox = h("div", {}, replayList(data ? await loadReplays() : null));
  const refresh = async () => {
    const fresh = await loadWorkflow(ctx, id);
    if (!fresh) return;
    replace(summaryBox, summary(fresh.workflow));
    replace(errorsBox, errorList(fresh.errors));
    replace(invariantsBox, invariantList(fresh.invariants));
    waterfall.setAnalysis(fresh.analysis);
    waterfall.setSteps(flatten(fresh.steps));
    replace(analysisBox, analysisBlock(fresh.analysis));
  };
  const analysisBlock = (analysis) => h("div", { class: "grid-2" },
    h("div", {}, h("h3", { text: "Time per layer (self)" }), layerTimes(analysis)),
    h("div", {}, h("h3", { text: "Queries" }), queries(analysis)));
  const analysisBox = h("div", {}, analysisBlock(data ? data.analysis : {}));

  let refreshTimer = null;
  const soon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh().catch(() => {}), 1000);
  };
  const socket = new LiveConnection(ctx.wsWorkflowPath(id), {
    onMessage(message) {
      if (message.type === "workflow_trace") {
        if (message.data.workflow) replace(summaryBox, summary(message.data.workflow));
        waterfall.setSteps(message.data.steps);
        // Steps written before the socket opened: the analysis beside them follows too.
        if (message.data.steps.length) soon();
      } else if (message.type === "trace_step") {
        waterfall.addStep(message.step);
        soon(); // the analysis (time per layer, queries, N+1) follows the new steps
      } else if (message.type === "workflow_status") {
        replace(summaryBox, summary(message.workflow));
      } else if (message.type === "workflow_completed" || message.type === "error_notification") {
        soon();
      }
    },
    onState(state) {
      liveNote.dataset.state = state;
      liveNote.querySelector(".text").textContent =
        state === "live" ? "live trace" : state === "off" ? "live updates off" : state;
    },
    async catchUp() {
      await refresh();
      return [];
    },
    sockets: ctx.sockets,
    offReason: ctx.liveOff,
  }).start();

  replace(container,
    h("div", { class: "view-head" },
      h("p", { class: "crumbs" }, h("a", { href: "#/workflows", text: "Workflows" }), " / "),
      h("h1", { class: "mono", "data-testid": "workflow-id", text: id }),
      h("div", { class: "actions" }, liveNote,
        h("a", { class: "button ghost small", href: `#/replay/${encodeURIComponent(id)}`, "data-testid": "replay-button", text: "Replay" }),
        h("a", {
          class: "button ghost small", href: url(`workflows/${encodeURIComponent(id)}/export-test/`), download: "",
          "data-testid": "export-test-button", text: "Export as test",
          title: "Its requests as a Django test: statuses, answer shapes, query counts",
        }),
        h("button", {
        type: "button",
        class: "button ghost small",
        text: "Generate a report",
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            const report = await ctx.api("reports/generate_workflow_report/", { method: "POST", body: { correlation_id: id } });
            ctx.navigate(`#/reports/${report.id}`);
          } catch (error) {
            event.target.disabled = false;
            event.target.textContent = `Report failed: ${error.message}`;
          }
        },
      }))),
    panel("Summary", summaryBox, { wide: true }),
    panel("Trace", waterfall.element, { id: "trace-panel", wide: true, testid: "waterfall-panel" }),
    panel("Errors", errorsBox, { wide: true }),
    panel("Invariants", invariantsBox, { wide: true, testid: "invariants-panel" }),
    panel("Where the time went", analysisBox, { wide: true }),
    panel("Replays", replaysBox, { wide: true, testid: "replays-panel" }));
  // A replay of this workflow started, moved on or ended: the list follows it.
  const stopReplays = reloadOn(ctx.bus, "workflow_update", ({ workflow }) => workflow.metadata?.replay_of === id,
    async () => replace(replaysBox, replayList(await loadReplays())), RELOAD_MS);
  return () => { socket.stop(); clearTimeout(refreshTimer); stopReplays(); };
}

