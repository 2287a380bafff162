// A list's filters, kept in the page's address (`#/workflows?status=failed&user=alice`) so
// that reloading or sharing it shows the same view. The values in the address are the
// API's own query parameters; times are ISO 8601 there and local in the form.

import { h } from "./dom.js";

// The part of the address after "?", as the router hands it to a view.
export function fromAddress(query, names) {
  const state = {};
  for (const name of names) state[name] = (query && query.get(name)) || "";
  return state;
}

// Rewrites the address without a new history entry or a new render (no hashchange).
export function keepInAddress(section, state) {
  const query = new URLSearchParams(Object.entries(state).filter(([, value]) => value !== ""));
  const search = query.toString();
  history.replaceState(null, "", `#/${section}${search ? `?${search}` : ""}`);
}

function field(label, control, grow) {
  return h("label", { class: grow ? "field grow" : "field" }, h("span", { class: "label", text: label }), control);
}

export function textField(name, label, value, { placeholder = "any", size = 14, grow = false, list } = {}) {
  return field(label, h("input", { type: "search", name, value, placeholder, size, list, autocomplete: "off" }), grow);
}

export function numberField(name, label, value) {
  return field(label, h("input", { type: "number", name, value, min: 0, step: "any", placeholder: "any", class: "narrow" }));
}

// `options`: [value, text] pairs; "" is "any".
export function selectField(name, label, options, value) {
  return field(label, h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value, text }))));
}

// A moment as `datetime-local` shows it: the browser's time zone, to the minute.
function local(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export function timeField(name, label, iso) {
  return field(label, h("input", { type: "datetime-local", name, value: local(iso), dataset: { time: "" } }));
}

// The form's values as the API takes them: trimmed, times in ISO 8601.
export function formState(form) {
  const state = {};
  for (const control of form.elements) {
    if (!control.name) continue;
    const value = control.value.trim();
    state[control.name] = "time" in control.dataset && value ? new Date(value).toISOString() : value;
  }
  return state;
}

// What the API said of filters it refused (a shared address someone edited), by parameter.
export function refused(error) {
  const errors = (error.body && error.body.errors) || {};
  const reasons = Object.entries(errors).map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`);
  return h("div", { class: "alert", role: "alert" },
    reasons.length ? `These filters were refused: ${reasons.join("; ")}` : `Could not load: ${error.message || error}`);
}
