// Releases: those seen (the RELEASE setting tags each workflow), and two compared per
// workflow type and step, with what got slower or chattier and the queries behind it.

import { badge, emptyState, fmt, h, panel, replace, table, timeEl } from "../dom.js";
import { reloadOn } from "../live.js";

// Workflows end in bursts: one read of the comparison for the burst.
const RELOAD_MS = 2000;
const ENDED = ["completed", "failed"];

const delta = (pick, format) => (row) => {
  const before = row.base ? pick(row.base) : null;
  const after = row.head ? pick(row.head) : null;
  if (before === null || after === null) return format(after ?? before);
  return `${format(before)} → ${format(after)}`;
};
const FIGURES = [
  { label: "p95", class: "num", render: delta((f) => f.p95_ms, fmt.ms) },
  { label: "Queries / request", class: "num", render: delta((f) => f.queries_per_request, (v) => fmt.num(v, 2)) },
  { label: "Error rate", class: "num", render: delta((f) => f.error_rate, fmt.pct) },
];

function callSite(site) {
  if (!site) return h("span", { class: "muted", text: "—" });
  return h("code", { text: `${site.file}:${site.line} in ${site.function}` });
}

function queryList(queries) {
  return table([
    { label: "Query", render: (q) => h("code", { class: "sql-inline", text: q.sql }) },
    { label: "Per request", class: "num", render: (q) => `${fmt.num(q.base_per_request, 2)} → ${fmt.num(q.head_per_request, 2)}` },
    { label: "Time per request", class: "num", render: (q) => `${fmt.ms(q.base_ms_per_request)} → ${fmt.ms(q.head_ms_per_request)}` },
    { label: "Call site", render: (q) => callSite(q.call_site) },
  ], queries.map((q) => ({ ...q, __dataset: { new: q.new ? "true" : "false" } })), { empty: "No query ran more or longer." });
}

function change(row) {
  return h("article", { class: "release-change", "data-testid": "release-change", dataset: { step: row.step } },
    h("h3", {}, `${row.workflow_type} · `, h("code", { text: row.step }), " ", row.changes.map((c) => badge(c, "change"))),
    table([{ label: "", render: () => "" }, ...FIGURES], [row]),
    queryList(row.queries));
}

function picker(name, label, rows, value) {
  return h("label", {}, `${label} `, h("select", { name, "aria-label": label },
    rows.map((r) => h("option", { value: r.release, text: r.release, selected: r.release === value }))));
}

// Everything the view shows, read again: the releases seen and, given two, their comparison.
async function content(params, ctx) {
  const listed = (await ctx.api("releases/")).results;
  const head = h("div", { class: "view-head" }, h("h1", { text: "Releases" }),
    h("p", { class: "muted", text: "Tagged workflows that completed or failed · updated live" }));
  const seen = panel("Releases seen", table([
    { label: "Release", render: (r) => h("code", { text: r.release }) },
    { label: "First seen", render: (r) => timeEl(r.first_seen) },
    { label: "Last seen", render: (r) => timeEl(r.last_seen) },
    { label: "Workflows", class: "num", render: (r) => String(r.workflows) },
    { label: "Failed", class: "num", render: (r) => String(r.failed) },
  ], listed, { testid: "releases" }), { wide: true });
  if (listed.length < 2) {
    return { compared: null, nodes: [head, emptyState("Fewer than two releases seen",
      h("p", { class: "muted", text: "Set RELEASE in FLOWSCOPE (or FLOWSCOPE_RELEASE in the environment) at each deploy to compare them." })), seen] };
  }
  const base = params.query.get("base") || listed[1].release;
  const headRelease = params.query.get("head") || listed[0].release;
  const form = h("form", { class: "filters", "data-testid": "release-pick" },
    picker("base", "Base", listed, base), picker("head", "Head", listed, headRelease),
    h("button", { type: "submit", text: "Compare" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams(new FormData(form));
    location.hash = `#/releases?${chosen}`;
  });
  const comparison = await ctx.api("releases/compare/", { query: { base, head: headRelease } });
  return { compared: [base, headRelease], nodes: [head, form,
    panel(`What changed from ${base} to ${headRelease}`, comparison.changes.length
      ? comparison.changes.map(change)
      : h("p", { class: "muted", text: "Nothing got slower, chattier or failed more." }), { wide: true, testid: "release-changes" }),
    panel("Per workflow type", table([
      { label: "Workflow type", render: (r) => r.workflow_type },
      { label: "Workflows", class: "num", render: delta((f) => f.workflows, String) },
      ...FIGURES,
    ], comparison.workflow_types, { testid: "release-types" }), { wide: true }),
    panel("Per step", table([
      { label: "Workflow type", render: (r) => r.workflow_type },
      { label: "Step", render: (r) => h("code", { class: "sql-inline", text: r.step }) },
      ...FIGURES,
      { label: "", render: (r) => r.changes.map((c) => badge(c, "change")) },
    ], comparison.steps, { testid: "release-steps" }), { wide: true }),
    h("p", { class: "muted small", text: `p95 and per-step figures from the latest ${comparison.sample_size} workflows of each release.` }),
    seen] };
}

export async function render(container, params, ctx) {
  container.dataset.title = "Releases";
  let shown = await content(params, ctx);
  replace(container, ...shown.nodes);
  // A workflow of a compared release that ends moves its figures (any tagged one, while
  // fewer than two releases are seen: it may be the second): read them again.
  const concerns = ({ workflow }) => ENDED.includes(workflow.status) && Boolean(workflow.release)
    && (!shown.compared || shown.compared.includes(workflow.release));
  return reloadOn(ctx.bus, "workflow_update", concerns, async () => {
    shown = await content(params, ctx);
    replace(container, ...shown.nodes);
  }, RELOAD_MS);
}
