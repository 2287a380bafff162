// A workflow's trace as a waterfall: one bar per step on a shared time axis, nested by
// parent, coloured by layer, the critical path marked, N+1 and slow steps flagged; a
// step's details (SQL and its parameters, cache key, HTTP, scrubbed payloads) on click,
// and a SELECT's plan on demand (EXPLAIN on the database it ran on).

import { api } from "../api.js";
import { badge, fmt, h, json, replace } from "../dom.js";

const SLOW_MS = { api: 500, frontend: 1000, task: 1000, default: 100 };
const MAX_ROWS = 2000;

function start(step) {
  return new Date(step.started_at).getTime();
}

function end(step) {
  return start(step) + (step.duration_ms || 0);
}

// Same rules as the server (flowscope.analysis.timing): a step whose parent is not in
// the trace is a root; under each root, the chain of children that finished last.
export function tree(steps) {
  const known = new Set(steps.map((s) => s.span_id));
  const children = new Map();
  const sorted = [...steps].sort((a, b) => start(a) - start(b) || (a.id || 0) - (b.id || 0));
  for (const step of sorted) {
    const parent = known.has(step.parent_span_id) ? step.parent_span_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(step);
  }
  const rows = [];
  const stack = (children.get(null) || []).map((s) => [s, 0]).reverse();
  while (stack.length) {
    const [step, depth] = stack.pop();
    rows.push({ step, depth });
    for (const child of [...(children.get(step.span_id) || [])].reverse()) stack.push([child, depth + 1]);
  }
  const critical = new Set();
  for (const root of children.get(null) || []) {
    let step = root;
    while (step) {
      critical.add(step.span_id);
      const kids = children.get(step.span_id) || [];
      step = kids.length ? kids.reduce((a, b) => (end(b) > end(a) ? b : a)) : null;
    }
  }
  return { rows, critical };
}

function flags(step, nPlusOne) {
  const out = [];
  const meta = step.metadata || {};
  if (meta.repeated || (step.layer === "database" && nPlusOne.has(meta.sql))) out.push(["N+1", "n1"]);
  if (step.duration_ms >= (SLOW_MS[step.layer] || SLOW_MS.default)) out.push(["slow", "slow"]);
  if (step.status === "error") out.push(["error", "error"]);
  return out;
}

// The stored parameters beside the SQL: $1, $2... (or their names), masked ones marked.
function sqlParams(meta) {
  if (meta.params === undefined) return null;
  const withheld = new Set((meta.params_withheld || []).map(String));
  const entries = Array.isArray(meta.params)
    ? meta.params.map((value, index) => [String(index + 1), value])
    : Object.entries(meta.params);
  return [
    h("h4", { text: `Parameters (${entries.length}${meta.params_cut ? "+, the rest not kept" : ""})` }),
    entries.length
      ? h("ol", { class: "sql-params", "data-testid": "sql-params" }, entries.map(([key, value]) =>
        h("li", { dataset: { param: key }, class: withheld.has(key) ? "withheld" : null },
          h("span", { class: "muted", text: Array.isArray(meta.params) ? `$${key}` : key }), " ",
          h("code", { text: JSON.stringify(value) }),
          withheld.has(key) ? h("span", { class: "muted small", text: " not stored as sent" }) : null)))
      : h("p", { class: "muted small", text: "None." }),
  ];
}

function explainBox(step, plan, onExplain) {
  const meta = step.metadata || {};
  if (step.layer !== "database" || meta.operation !== "SELECT") return null;
  const button = h("button", {
    type: "button", class: "button ghost small", "data-testid": "explain-button",
    disabled: plan && plan.loading ? true : null, onclick: () => onExplain(step),
  }, plan && plan.loading ? "Explaining…" : "Explain");
  let outcome = null;
  if (plan && plan.error) {
    outcome = [
      h("p", { class: "alert", role: "alert", "data-testid": "explain-error", text: plan.error }),
      plan.code === "param_withheld" ? suppliedValues(step, plan, onExplain) : null,
    ];
  } else if (plan && plan.result) {
    const { result } = plan;
    outcome = h("div", { "data-testid": "explain-plan" },
      h("p", { class: "muted small", text: `${result.vendor}, database “${result.alias}”` }),
      result.text !== null
        ? h("pre", { class: "sql", text: result.text })
        : h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, result.columns.map((c) => h("th", { scope: "col", text: c })))),
          h("tbody", {}, result.rows.map((row) => h("tr", {}, row.map((cell) => h("td", { text: cell === null ? "—" : String(cell) }))))))));
  }
  return [h("h4", { text: "Plan" }), h("p", {}, button), outcome];
}

// The real values of parameters stored masked, typed by the person asking for the plan;
// kept in the plan's state, so a redraw (a live step arriving) does not lose them.
function suppliedValues(step, plan, onExplain) {
  const withheld = (step.metadata.params_withheld || []).map(String);
  return h("form", {
    class: "explain-values", "data-testid": "explain-values",
    onsubmit: (event) => { event.preventDefault(); onExplain(step, plan.supplied); },
  },
  withheld.map((key) => h("label", {}, `Parameter ${key} `, h("input", {
    type: "text", name: key, autocomplete: "off", value: plan.supplied[key] ?? "",
    oninput: (event) => { plan.supplied[key] = event.target.value; },
  }))),
  h("button", { type: "submit", class: "button small", text: "Explain with these values" }));
}

function details(step, critical, plan, onExplain) {
  const meta = step.metadata || {};
  const fields = [
    ["Layer", step.layer], ["Status", step.status], ["Started", fmt.time(step.started_at)],
    ["Duration", fmt.ms(step.duration_ms)], ["Span", step.span_id], ["Parent", step.parent_span_id || "—"],
  ];
  const http = meta.method || meta.status_code !== undefined
    ? [meta.method, meta.url || meta.path, meta.status_code].filter((v) => v !== undefined && v !== null).join(" ")
    : null;
  return h("div", { class: "wf-details", "data-testid": "step-details", tabindex: "-1" },
    h("h3", {}, h("span", { class: `swatch layer-${step.layer}`, "aria-hidden": "true" }), step.name),
    critical ? h("p", { class: "muted small", text: "On the critical path: it decided when the workflow ended." }) : null,
    h("dl", { class: "kv" }, fields.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: String(v) })))),
    meta.sql ? [h("h4", { text: "SQL" }), h("pre", { class: "sql", text: meta.sql })] : null,
    sqlParams(meta),
    explainBox(step, plan, onExplain),
    meta.key !== undefined ? [h("h4", { text: "Cache key" }), h("pre", { class: "sql", text: String(meta.key) })] : null,
    http ? [h("h4", { text: "HTTP" }), h("pre", { class: "sql", text: http })] : null,
    h("h4", { text: "Metadata (scrubbed)" }), json(meta));
}

export class Waterfall {
  constructor({ analysis }) {
    this.steps = new Map();
    this.analysis = analysis || {};
    this.selected = null;
    this.plans = new Map(); // span id -> {loading} | {result} | {error}, kept across redraws
    this.fresh = new Set();
    this.body = h("div", { class: "wf-body", role: "list", "data-testid": "waterfall" });
    this.axis = h("div", { class: "wf-axis", "aria-hidden": "true" });
    this.detailBox = h("div", { class: "wf-detail-box" },
      h("p", { class: "muted", text: "Select a step to see its SQL, cache key, HTTP details and payloads." }));
    this.legend = h("p", { class: "wf-legend small" },
      ["frontend", "api", "database", "cache", "external", "custom", "task"].map((layer) =>
        h("span", {}, h("span", { class: `swatch layer-${layer}`, "aria-hidden": "true" }), layer)),
      h("span", {}, h("span", { class: "swatch critical", "aria-hidden": "true" }), "critical path"),
      h("span", {}, badge("N+1", "flag"), " repeated query"), h("span", {}, badge("slow", "flag")));
    this.count = h("span", { class: "muted small", "data-testid": "step-count" });
    this.element = h("div", { class: "waterfall" }, h("div", { class: "wf-top" }, this.legend, this.count),
      h("div", { class: "wf-layout" }, h("div", { class: "wf-chart" }, this.axis, this.body), this.detailBox));
    this.scheduled = false;
  }

  setAnalysis(analysis) {
    this.analysis = analysis || {};
    this.schedule();
  }

  setSteps(steps) {
    this.steps = new Map(steps.map((s) => [s.span_id, s]));
    this.schedule();
  }

  addStep(step) {
    if (!this.steps.has(step.span_id)) this.fresh.add(step.span_id);
    this.steps.set(step.span_id, step);
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  draw() {
    const steps = [...this.steps.values()];
    this.count.textContent = `${steps.length} step${steps.length === 1 ? "" : "s"}`;
    if (!steps.length) {
      replace(this.body, h("p", { class: "muted", text: "No steps yet. They appear here as the workflow runs." }));
      replace(this.axis);
      return;
    }
    const { rows, critical } = tree(steps);
    const t0 = Math.min(...steps.map(start));
    const total = Math.max(Math.max(...steps.map(end)) - t0, 1);
    const nPlusOne = new Set((this.analysis.n_plus_one || []).map((q) => q.sql));
    replace(this.axis, [0, 0.25, 0.5, 0.75, 1].map((f) =>
      h("span", { class: "tick", style: { left: `${f * 100}%` }, text: fmt.ms(total * f) })));
    replace(this.body, rows.slice(0, MAX_ROWS).map(({ step, depth }) => {
      const left = ((start(step) - t0) / total) * 100;
      const width = Math.max(((step.duration_ms || 0) / total) * 100, 0.4);
      const stepFlags = flags(step, nPlusOne);
      const onPath = critical.has(step.span_id);
      const row = h("button", {
        type: "button",
        class: `wf-row${onPath ? " critical" : ""}${this.selected === step.span_id ? " selected" : ""}${this.fresh.has(step.span_id) ? " fresh" : ""}`,
        role: "listitem",
        "aria-pressed": this.selected === step.span_id ? "true" : "false",
        "data-testid": "waterfall-row",
        dataset: { layer: step.layer, span: step.span_id, flags: stepFlags.map((f) => f[1]).join(" ") },
        title: `${step.layer}: ${step.name} — ${fmt.ms(step.duration_ms)}`,
        onclick: () => this.select(step.span_id),
      },
      h("span", { class: "wf-label", style: { paddingLeft: `${Math.min(depth, 12) * 14 + 6}px` } },
        h("span", { class: `swatch layer-${step.layer}`, "aria-hidden": "true" }),
        h("span", { class: "wf-name", text: step.name }),
        stepFlags.map(([label, kind]) => h("span", { class: `badge flag-${kind}`, text: label }))),
      h("span", { class: "wf-track" },
        h("span", { class: `wf-bar layer-${step.layer}${step.status === "error" ? " is-error" : ""}`, style: { left: `${left}%`, width: `${width}%` } }),
        h("span", {
          class: "wf-dur",
          // Past 80 % of the axis the label goes before the bar, not off the edge.
          style: left + width > 80 ? { right: `${100 - left}%` } : { left: `${left + width}%` },
          text: fmt.ms(step.duration_ms),
        })));
      return row;
    }));
    this.fresh.clear();
    if (this.selected && this.steps.has(this.selected)) {
      const step = this.steps.get(this.selected);
      replace(this.detailBox, details(step, critical.has(this.selected), this.plans.get(this.selected), (s, supplied) => this.explain(s, supplied)));
    }
  }

  async explain(step, supplied = {}) {
    this.plans.set(step.span_id, { loading: true });
    this.draw();
    try {
      const result = await api(`steps/${step.id}/explain/`, { method: "POST", body: { params: supplied } });
      this.plans.set(step.span_id, { result });
    } catch (error) {
      const body = error.body && typeof error.body === "object" ? error.body : {};
      this.plans.set(step.span_id, { error: body.detail || error.message, code: body.code, supplied });
    }
    this.draw();
  }

  select(spanId) {
    this.selected = spanId;
    this.draw();
  }
}
