// Budgets: per budgeted workflow type (FLOWSCOPE["BUDGETS"]), the budget used over the
// window — the p95 of its workflows' total, of each layer's and of each budgeted step's
// time per workflow, against the budget, in ms and percent — and, on the overview, what
// went over.

import { badge, code, emptyState, fmt, h, panel, replace, table } from "../dom.js";
import { reloadOn } from "../live.js";

// Workflows end in bursts: one read of budgets/ for the burst.
const RELOAD_MS = 2000;
const ENDED = ["completed", "failed"];

// A step's line is over the workflows that ran it, which may be fewer than the type's.
function label(line) {
  if (line.kind === "total") return "Total";
  if (line.kind === "layer") return line.name;
  return h("span", { class: "budget-step", title: line.name },
    h("span", { class: "muted small", text: "step " }), code(line.name),
    h("span", { class: "muted small", text: ` · ${fmt.num(line.workflows, 0)} workflow${line.workflows === 1 ? "" : "s"}` }));
}

function used(line) {
  if (line.used_percent === null) return "—";
  const width = Math.min(line.used_percent, 100);
  return h("span", { class: "budget-used" },
    h("span", { class: "bar-track" },
      h("span", { class: `bar-fill ${line.over ? "over" : "within"}`, style: { width: `${width}%` } })),
    h("span", { class: "bar-value", text: `${fmt.num(line.used_percent, 1)} %` }));
}

const COLUMNS = [
  { label: "Budget of", render: label },
  { label: "p95", class: "num", render: (l) => fmt.ms(l.p95_ms) },
  { label: "Budget", class: "num", render: (l) => fmt.ms(l.budget_ms) },
  { label: "Used", render: used },
  { label: "", render: (l) => (l.over ? badge("over", "budget") : null) },
];

function lines(usage) {
  const kinded = (kind) => (line) => ({ ...line, kind, __dataset: { name: line.name, kind, over: String(line.over) } });
  return [
    ...[usage.total].filter(Boolean).map(kinded("total")),
    ...usage.layers.map(kinded("layer")),
    ...usage.steps.map(kinded("step")),
  ];
}

function workflowBudget(usage) {
  const counted = usage.sampled < usage.workflows
    ? `p95 of the latest ${fmt.num(usage.sampled, 0)} of ${fmt.num(usage.workflows, 0)} workflows`
    : `${fmt.num(usage.workflows, 0)} workflow${usage.workflows === 1 ? "" : "s"} ended in the window`;
  return h("article", { class: "budget", "data-testid": `budget-${usage.workflow_type}`, dataset: { over: usage.over.join(" ") } },
    h("header", { class: "budget-head" },
      h("h3", { text: usage.workflow_type }),
      usage.workflows ? badge(usage.over.length ? "over" : "within", "budget") : null,
      h("span", { class: "muted small", text: counted })),
    table(COLUMNS, lines(usage), { caption: `${usage.workflow_type}: budget used` }));
}

function noBudgets() {
  return emptyState("No latency budgets",
    h("p", {}, "Declare the p95 each workflow type may take, in all, per layer and per step, in ",
      code('FLOWSCOPE["BUDGETS"]'), ", e.g. ",
      code('{"checkout": {"total_ms": 800, "layers": {"api": 250, "database": 100}}}'), "."));
}

const OVER_WORDS = { total: () => "in all", layer: (name) => name, step: (name) => `step ${name}` };

// One line per budget gone over, for the overview's health panel.
export function overBudgetNote(items) {
  if (!items || !items.length) return null;
  return h("div", { class: "over-budget", "data-testid": "over-budget" },
    h("strong", { text: "Over budget: " }),
    items.map((item, i) => [i ? " · " : "", h("a", {
      href: "#/budgets",
      dataset: { workflowType: item.workflow_type, kind: item.kind, name: item.name },
      text: `${item.workflow_type} ${OVER_WORDS[item.kind](item.name)} p95 ${fmt.ms(item.p95_ms)} of ${fmt.ms(item.budget_ms)} (${fmt.num(item.used_percent, 0)} %)`,
    })]));
}

function draw(body, data) {
  if (data.configuration_error) {
    replace(body, h("p", { class: "error", role: "alert", text: data.configuration_error }));
  } else {
    replace(body, data.budgets.length ? data.budgets.map(workflowBudget) : noBudgets());
  }
}

export async function render(container, params, ctx) {
  container.dataset.title = "Budgets";
  const load = () => ctx.api("budgets/", { query: { window: ctx.window } });
  const data = await load();
  const body = h("div", { class: "budgets" });
  draw(body, data);
  replace(container,
    h("div", { class: "view-head" }, h("h1", { text: "Budgets" }),
      h("p", { class: "muted", text: `Latency budget used · last ${data.window} · real workflows that completed or failed · updated live` })),
    panel("Budget used", body, { id: "budgets-panel", testid: "budgets", wide: true }));
  // A workflow that ends moves its type's p95s: read them again.
  const budgeted = new Set(data.budgets.map((usage) => usage.workflow_type));
  return reloadOn(ctx.bus, "workflow_update",
    ({ workflow }) => ENDED.includes(workflow.status) && budgeted.has(workflow.workflow_type),
    async () => draw(body, await load()), RELOAD_MS);
}
