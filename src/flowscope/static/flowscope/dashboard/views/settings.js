// Settings: the user's default dashboard configuration — window, refresh, widgets, and the
// thresholds the health statuses are judged by. Each threshold shows the project's default
// (what an empty field means); a refused save shows the API's reason beside the field it
// names and keeps what the user typed.

import { h, panel, replace } from "../dom.js";

const METRICS = [
  ["response_time_ms", "p95 response time (ms)"],
  ["error_rate", "Error rate (0–1)"],
  ["query_count", "Queries per request"],
  ["cache_hit_ratio", "Cache hit ratio (0–1, lower is worse)"],
];
const LEVELS = ["warning", "critical"];
const WINDOWS = ["15m", "1h", "6h", "24h", "7d"];

// Each input has a slot for the API's message about it, found by the input's name.
function errorSlot(name) {
  return h("p", { class: "field-error", id: `error-${name}`, "data-error-for": name, role: "alert", hidden: true });
}

function field(name, label, control, hint) {
  control.setAttribute("aria-describedby", [hint?.id, `error-${name}`].filter(Boolean).join(" "));
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), control, hint, errorSlot(name));
}

function number(name, value, label, { hint, placeholder } = {}) {
  const input = h("input", { type: "number", name, value: value ?? "", placeholder, step: "any", min: "0", inputmode: "decimal" });
  return field(name, label, input, hint);
}

function thresholdField(metric, level, value, defaults) {
  const name = `${metric}.${level}`;
  const fallback = defaults[level];
  const hint = h("span", {
    class: "muted small default", id: `default-${name}`, "data-testid": `default-${name}`,
    text: fallback === null || fallback === undefined ? "default: off" : `default: ${fallback}`,
  });
  return number(name, value, level, { hint, placeholder: fallback });
}

function thresholdGroup([metric, label], thresholds, defaults) {
  const mine = thresholds[metric] || {};
  const fields = LEVELS.map((level) => thresholdField(metric, level, mine[level], defaults[metric] || {}));
  const reset = h("button", {
    type: "button", class: "button ghost small", text: "Reset to default", "aria-label": `Reset ${label} to default`,
    onclick: () => fields.forEach((f) => { f.querySelector("input").value = ""; }),
  });
  return h("div", { class: "threshold", "data-testid": `threshold-${metric}` },
    h("div", { class: "threshold-head" }, h("p", { class: "label", text: label }), reset), fields, errorSlot(metric));
}

// The form's thresholds over the saved ones: levels and metrics the form does not show
// (set through the API) are kept; an emptied field goes back to the default.
function thresholdsFrom(values, saved) {
  const thresholds = structuredClone(saved || {});
  for (const [metric] of METRICS) {
    const rule = { ...thresholds[metric] };
    for (const level of LEVELS) {
      const raw = values.get(`${metric}.${level}`);
      if (raw === "" || raw === null) delete rule[level];
      else rule[level] = Number(raw);
    }
    if (Object.keys(rule).length) thresholds[metric] = rule;
    else delete thresholds[metric];
  }
  return thresholds;
}

// The API's validation errors are nested like the body ({"thresholds": {"error_rate":
// {"warning": ["…"]}}}): each message goes to the slot of its path, or the nearest one
// above it; what has no slot (a rule of the whole form) is returned.
function placeErrors(form, errors, path = []) {
  if (errors && typeof errors === "object" && !Array.isArray(errors)) {
    return Object.entries(errors).flatMap(([key, value]) => placeErrors(form, value, [...path, key]));
  }
  const messages = [errors].flat(Infinity).map(String);
  const slot = slotsOf(path).map((name) => form.querySelector(`[data-error-for="${CSS.escape(name)}"]`)).find(Boolean);
  return slot ? showError(form, slot, messages) : messages;
}

// ["thresholds", "error_rate", "warning"] -> "error_rate.warning", "error_rate", "thresholds"
function slotsOf([top, ...rest]) {
  if (top !== "thresholds") return [top];
  return [...rest.map((_, i) => rest.slice(0, rest.length - i).join(".")), top];
}

function showError(form, slot, messages) {
  slot.textContent = messages.join(" ");
  slot.hidden = false;
  const input = form.querySelector(`[name="${CSS.escape(slot.dataset.errorFor)}"]`);
  if (input) input.setAttribute("aria-invalid", "true");
  return [];
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

export async function render(container, params, ctx) {
  container.dataset.title = "Settings";
  const [configs, defaults] = await Promise.all([ctx.api("dashboard-config/"), ctx.api("dashboard-config/defaults/")]);
  let mine = (configs.results || configs).find((c) => c.is_default);
  const config = mine || { name: "default", ...defaults, thresholds: {} };
  const status = h("p", { role: "status", class: "muted", "data-testid": "settings-status" });
  const form = h("form", { class: "settings", "data-testid": "settings-form" },
    h("fieldset", {}, h("legend", { text: "Display" }),
      field("default_window", "Default window", h("select", { name: "default_window" }, WINDOWS.map((w) =>
        h("option", { value: w, selected: w === config.default_window, text: w })))),
      number("refresh_interval", config.refresh_interval, "Refresh interval (s), when polling")),
    h("fieldset", {}, h("legend", { text: "Widgets on the overview" }),
      h("div", { class: "checks" }, defaults.widgets.map((w) => h("label", {},
        h("input", { type: "checkbox", name: "widgets", value: w, checked: config.widgets.includes(w) }), ` ${w.replaceAll("_", " ")}`))),
      errorSlot("widgets")),
    h("fieldset", {}, h("legend", { text: "Thresholds (empty: the project's default)" }),
      h("div", { class: "threshold-grid" }, METRICS.map((metric) => thresholdGroup(metric, config.thresholds, defaults.thresholds))),
      errorSlot("thresholds")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button", text: "Save" }), status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = new FormData(form);
    const refresh = values.get("refresh_interval");
    const body = {
      name: config.name,
      default_window: values.get("default_window"),
      refresh_interval: refresh === "" ? defaults.refresh_interval : Number(refresh),
      widgets: values.getAll("widgets"),
      thresholds: thresholdsFrom(values, config.thresholds),
      is_default: true,
    };
    try {
      const saved = await ctx.api(mine ? `dashboard-config/${mine.id}/` : "dashboard-config/", { method: mine ? "PUT" : "POST", body });
      Object.assign(config, saved);
      ctx.setConfig(saved);
      mine = saved;
      status.textContent = "Saved. Health statuses now follow these thresholds.";
    } catch (error) {
      const rest = error.status === 400 && error.body?.errors ? placeErrors(form, error.body.errors) : [error.message];
      status.textContent = rest.length ? `Not saved: ${rest.join(" ")}` : "Not saved: see the fields marked above.";
    }
  });
  replace(container, h("div", { class: "view-head" }, h("h1", { text: "Settings" }),
    h("p", { class: "muted", text: "Your own dashboard configuration; other users keep theirs." })), panel("Dashboard configuration", form, { wide: true }));
}
