// Reports: generate each kind, list them, open one, export it in each format.

import { url } from "../api.js";
import { emptyState, h, json, panel, replace, table, timeEl } from "../dom.js";

const FORMATS = ["json", "csv", "md", "html", "pdf"];

function exports(report) {
  return h("span", { class: "exports" }, FORMATS.map((format) => h("a", {
    class: "button ghost small", href: url(`reports/${report.id}/export/`, { format }), download: "",
    "data-testid": `export-${format}`, text: format.toUpperCase(),
  })));
}

export async function renderList(container, params, ctx) {
  container.dataset.title = "Reports";
  const listBox = h("div", {});
  const message = h("p", { class: "muted", role: "status" });
  const load = async () => {
    const data = await ctx.api("reports/", { query: { page_size: 50 } });
    replace(listBox, data.results.length ? table([
      { label: "Report", render: (r) => h("a", { href: `#/reports/${r.id}`, text: r.title || r.report_type }) },
      { label: "Kind", render: (r) => r.report_type },
      { label: "Generated", render: (r) => timeEl(r.generated_at) },
      { label: "By", render: (r) => r.generated_by || "—" },
      { label: "Export", render: exports },
    ], data.results, { testid: "report-list" }) : emptyState("No reports yet", h("p", { class: "muted", text: "Generate one above." })));
  };
  const generate = async (kind, body) => {
    message.textContent = "Generating…";
    try {
      const report = await ctx.api(`reports/generate_${kind}_report/`, { method: "POST", body });
      message.textContent = `Generated “${report.title || report.report_type}”.`;
      await load();
    } catch (error) {
      message.textContent = `Could not generate: ${error.message}`;
    }
  };
  const hours = h("select", { name: "hours", "aria-label": "Period" },
    [1, 6, 24, 168].map((n) => h("option", { value: n, text: n < 24 ? `last ${n} h` : `last ${n / 24} d` })));
  const cid = h("input", { name: "correlation_id", placeholder: "correlation ID", "aria-label": "Correlation ID", class: "mono" });
  const forms = h("div", { class: "report-forms" },
    h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); generate("workflow", { correlation_id: cid.value.trim() }); } },
      h("label", { class: "field grow" }, h("span", { class: "label", text: "One workflow" }), cid),
      h("button", { class: "button", type: "submit", text: "Workflow report" })),
    h("div", { class: "filters" },
      h("label", { class: "field" }, h("span", { class: "label", text: "Period" }), hours),
      h("button", { class: "button", type: "button", text: "System health report",
        onclick: () => generate("system_health", { hours: Number(hours.value) }) }),
      h("button", { class: "button", type: "button", text: "Performance report",
        onclick: () => generate("performance", { hours: Number(hours.value) }) })),
    message);
  await load();
  replace(container, h("div", { class: "view-head" }, h("h1", { text: "Reports" })),
    panel("Generate", forms, { wide: true }), panel("Stored reports", listBox, { wide: true }));
}

function value(v) {
  if (v === null || v === undefined || v === "") return "—";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

// A timestamp as report builders write them (ISO 8601): shown in the reader's local time,
// to the second, with the ISO form in the tooltip.
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/;

function when(iso) {
  const text = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return h("time", { datetime: iso, title: iso, text });
}

function cell(v) {
  return typeof v === "string" && ISO.test(v) ? when(v) : value(v);
}

function fieldList(values) {
  return h("dl", { class: "summary" }, Object.entries(values || {}).map(([k, v]) =>
    h("div", {}, h("dt", { text: k.replaceAll("_", " ") }), h("dd", {}, cell(v)))));
}

// The step tree's builder indents a child by two spaces a level (its parent span's step
// above it): drawn as an indent, since HTML collapses the spaces.
function treeCell(name) {
  const text = String(name ?? "");
  const depth = Math.floor((text.length - text.trimStart().length) / 2);
  return h("span", {
    class: `tree-step${depth ? " child" : ""}`, "data-depth": depth, style: { paddingLeft: `${depth * 1.25}em` },
    text: text.trimStart(),
  });
}

function isTree(part) {
  return part.rows.some((row) => typeof row[0] === "string" && row[0].startsWith(" "));
}

// Every section is a table, a set of fields or a text (flowscope.reports.sections).
function section(part) {
  let body;
  if (part.kind === "table") {
    const tree = isTree(part);
    body = table(part.columns.map((label, i) => ({
      label, render: (row) => (tree && i === 0 ? treeCell(row[i]) : cell(row[i])),
    })), part.rows, { empty: "Nothing in this period.", testid: `report-${part.key}` });
  } else if (part.kind === "fields") {
    body = fieldList(part.fields);
  } else {
    body = h("p", { class: "report-text", text: value(part.text) });
  }
  return panel(part.title || part.key, [part.note ? h("p", { class: "muted small", text: part.note }) : null, body],
    { wide: true });
}

export async function renderDetail(container, { id }, ctx) {
  const report = await ctx.api(`reports/${encodeURIComponent(id)}/`);
  container.dataset.title = report.title || "Report";
  const sections = Array.isArray(report.sections) ? report.sections : [];
  replace(container,
    h("div", { class: "view-head" }, h("p", { class: "crumbs" }, h("a", { href: "#/reports", text: "Reports" }), " / "),
      h("h1", { text: report.title || report.report_type }),
      h("p", { class: "muted" }, `${report.report_type} · `, when(report.generated_at), ` · ${report.generated_by || ""}`),
      exports(report)),
    panel("Summary", fieldList(report.summary), { wide: true, testid: "report-summary" }),
    sections.map(section),
    sections.length ? null : panel("Content", json(report.sections), { wide: true }));
}
