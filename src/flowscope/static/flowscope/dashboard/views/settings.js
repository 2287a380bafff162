// Settings: the user's default dashboard configuration — window, refresh, widgets, and the
// thresholds the health statuses are judged by.

import { h, panel, replace } from "../dom.js";

const METRICS = [
  ["response_time_ms", "p95 response time (ms)", 1],
  ["error_rate", "Error rate (0–1)", 0.01],
  ["query_count", "Queries per request", 1],
  ["cache_hit_ratio", "Cache hit ratio (0–1, lower is worse)", 0.01],
];
const WIDGETS = ["system_health", "active_workflows", "recent_errors", "performance_metrics", "optimization_recommendations", "charts"];

function number(name, value, step, label) {
  return h("label", { class: "field" }, h("span", { class: "label", text: label }),
    h("input", { type: "number", name, value: value ?? "", step: "any", min: "0", inputmode: "decimal" }));
}

export async function render(container, params, ctx) {
  container.dataset.title = "Settings";
  const configs = await ctx.api("dashboard-config/");
  let mine = (configs.results || configs).find((c) => c.is_default);
  const config = mine || { name: "default", default_window: "1h", refresh_interval: 30, widgets: WIDGETS, thresholds: {} };
  const status = h("p", { role: "status", class: "muted", "data-testid": "settings-status" });
  const form = h("form", { class: "settings", "data-testid": "settings-form" },
    h("fieldset", {}, h("legend", { text: "Display" }),
      h("label", { class: "field" }, h("span", { class: "label", text: "Default window" }),
        h("select", { name: "default_window" }, ["15m", "1h", "6h", "24h", "7d"].map((w) =>
          h("option", { value: w, selected: w === config.default_window, text: w })))),
      number("refresh_interval", config.refresh_interval, 1, "Refresh interval (s), when polling")),
    h("fieldset", {}, h("legend", { text: "Widgets on the overview" }),
      h("div", { class: "checks" }, WIDGETS.map((w) => h("label", {},
        h("input", { type: "checkbox", name: "widgets", value: w, checked: config.widgets.includes(w) }), ` ${w.replaceAll("_", " ")}`)))),
    h("fieldset", {}, h("legend", { text: "Thresholds (empty: the project's default)" }),
      h("div", { class: "threshold-grid" }, METRICS.map(([metric, label, step]) => h("div", { class: "threshold" },
        h("p", { class: "label", text: label }),
        number(`${metric}.warning`, (config.thresholds[metric] || {}).warning, step, "warning"),
        number(`${metric}.critical`, (config.thresholds[metric] || {}).critical, step, "critical"))))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button", text: "Save" }), status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = new FormData(form);
    const thresholds = {};
    for (const [metric] of METRICS) {
      for (const level of ["warning", "critical"]) {
        const raw = values.get(`${metric}.${level}`);
        if (raw !== "" && raw !== null) (thresholds[metric] ||= {})[level] = Number(raw);
      }
    }
    const body = {
      name: config.name,
      default_window: values.get("default_window"),
      refresh_interval: Number(values.get("refresh_interval")) || 30,
      widgets: values.getAll("widgets"),
      thresholds,
      is_default: true,
    };
    try {
      const saved = await ctx.api(mine ? `dashboard-config/${mine.id}/` : "dashboard-config/", { method: mine ? "PUT" : "POST", body });
      Object.assign(config, saved);
      ctx.setConfig(saved);
      mine = saved;
      status.textContent = "Saved. Health statuses now follow these thresholds.";
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
    }
  });
  replace(container, h("div", { class: "view-head" }, h("h1", { text: "Settings" }),
    h("p", { class: "muted", text: "Your own dashboard configuration; other users keep theirs." })), panel("Dashboard configuration", form, { wide: true }));
}
