// Alerts: the history of what the alert rules fired, with the value that fired, how often
// it fired again within the cooldown, and whether each e-mail and webhook went out.

import { emptyState, h, panel, replace, table, timeEl } from "../dom.js";

const KINDS = ["p95", "error_rate", "new_error_group", "workflow_failure_rate", "latency_budget"];
// A delivery's status, drawn with the page's existing status colours.
const LOOKS = { sent: "ok", pending: "in_progress", failed: "failed", dropped: "failed" };

function delivery(entry) {
  const text = `${entry.destination} ${entry.status}`;
  const title = [entry.target, entry.error, `${entry.attempts} attempt(s)`].filter(Boolean).join(" — ");
  return h("span", { class: `badge status-${LOOKS[entry.status] || "unknown"}`, title, text });
}

function repeats(alert) {
  if (!alert.repeats) return "—";
  return h("span", {}, `×${alert.repeats} more, last `, timeEl(alert.last_fired_at));
}

const COLUMNS = [
  { label: "Fired", render: (a) => timeEl(a.first_fired_at) },
  { label: "Alert", render: (a) => a.message },
  { label: "Rule", render: (a) => a.rule },
  { label: "Repeats", render: repeats },
  { label: "Sent to", render: (a) => (a.deliveries.length ? a.deliveries.map(delivery) : "no destination") },
];

export async function renderList(container, params, ctx) {
  container.dataset.title = "Alerts";
  const rule = h("input", { name: "rule", placeholder: "any rule", "aria-label": "Rule" });
  const kind = h("select", { name: "kind", "aria-label": "Kind" },
    h("option", { value: "", text: "any kind" }), KINDS.map((k) => h("option", { value: k, text: k })));
  const listBox = h("div", {});
  const load = async () => {
    const query = { rule: rule.value.trim(), kind: kind.value, page_size: 100 };
    const data = await ctx.api("alerts/", { query });
    replace(listBox, data.results.length
      ? table(COLUMNS, data.results, { testid: "alert-list", caption: "Alerts that fired" })
      : emptyState("No alerts", h("p", { class: "muted", text: "None of FLOWSCOPE[\"ALERT_RULES\"] has fired (for these filters)." })));
  };
  const filters = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    h("label", { class: "field" }, h("span", { class: "label", text: "Rule" }), rule),
    h("label", { class: "field" }, h("span", { class: "label", text: "Kind" }), kind),
    h("button", { class: "button", type: "submit", text: "Filter" }));
  kind.addEventListener("change", load);
  await load();
  container.append(panel("Alert history", h("div", {}, filters, listBox), { id: "alerts", testid: "alerts", wide: true }));
}
