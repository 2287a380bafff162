// The testing console's checks of a response: the assertions the manual-testing API takes
// (flowscope.manual_testing.assertions), written row by row in the form, and each one's
// result as the API judged it.

import { badge, h, table } from "../dom.js";

// Each kind: the field naming what is checked (if any), and the comparisons it allows,
// as [label, key in the assertion, value it takes: "value", "number" or a constant].
const KINDS = {
  status: { label: "Status", comparisons: [["equals", "equals", "number"]] },
  json_path: {
    label: "JSON path",
    target: ["path", "results.0.id"],
    comparisons: [["equals", "equals", "value"], ["exists", "exists", true],
      ["does not exist", "exists", false], ["contains", "contains", "value"]],
  },
  header: {
    label: "Header",
    target: ["name", "Content-Type"],
    comparisons: [["equals", "equals", "value"], ["contains", "contains", "value"]],
  },
  response_time: { label: "Response time", comparisons: [["under (ms)", "under_ms", "number"]] },
};

// What was typed: JSON when it reads as JSON (1, true, null, "x", [..]), else the text.
function typed(text) {
  try {
    return JSON.parse(text);
  } catch (ignored) {
    return text;
  }
}

function checkRow(onRemove) {
  const kind = h("select", { name: "check-kind", "aria-label": "Check" },
    Object.entries(KINDS).map(([value, k]) => h("option", { value, text: k.label })));
  const target = h("input", { name: "check-target", class: "mono", "aria-label": "Checked" });
  const comparison = h("select", { name: "check-comparison", "aria-label": "Comparison" });
  const value = h("input", { name: "check-value", class: "mono", "aria-label": "Expected" });
  const row = h("div", { class: "check", "data-testid": "check" }, kind, target, comparison, value,
    h("button", { type: "button", class: "button ghost small", text: "×", title: "Remove", "aria-label": "Remove this check",
      onclick: () => { row.remove(); onRemove(); } }));
  const chosen = () => KINDS[kind.value].comparisons[comparison.selectedIndex] || KINDS[kind.value].comparisons[0];
  const shape = () => {
    const spec = KINDS[kind.value];
    target.classList.toggle("unused", !spec.target); // kept in place: the columns stay aligned
    target.placeholder = spec.target ? spec.target[1] : "";
    comparison.replaceChildren(...spec.comparisons.map(([label]) => h("option", { text: label })));
    showValue();
  };
  const showValue = () => {
    const takes = chosen()[2];
    value.classList.toggle("unused", takes !== "value" && takes !== "number");
    value.type = takes === "number" ? "number" : "text";
    value.placeholder = takes === "number" ? (kind.value === "status" ? "200" : "500") : "JSON or text";
  };
  kind.addEventListener("change", shape);
  comparison.addEventListener("change", showValue);
  shape();
  row.assertion = () => {
    const spec = KINDS[kind.value];
    const [, key, takes] = chosen();
    const assertion = { type: kind.value };
    if (spec.target) assertion[spec.target[0]] = target.value.trim();
    // An empty number is left out: the API then says what the check lacks.
    if (takes === "number") { if (value.value !== "") assertion[key] = Number(value.value); }
    else if (takes === "value") assertion[key] = typed(value.value);
    else assertion[key] = takes;
    return assertion;
  };
  return row;
}

// The editor: rows of checks and a button to add one; `assertions()` reads them.
export function checksEditor() {
  const rows = h("div", { class: "checks" });
  const empty = h("p", { class: "muted small", text: "No checks: the status alone decides." });
  const refresh = () => { empty.hidden = rows.children.length > 0; };
  const add = h("button", { type: "button", class: "button ghost small", text: "Add a check",
    onclick: () => { rows.append(checkRow(refresh)); refresh(); rows.lastChild.querySelector("select").focus(); } });
  const element = h("div", { class: "field" }, h("span", { class: "label", text: "Checks" }), empty, rows, h("div", {}, add));
  return { element, assertions: () => [...rows.children].map((row) => row.assertion()) };
}

function described(a) {
  const shown = (value) => JSON.stringify(value);
  if (a.type === "status") return `status equals ${a.equals}`;
  if (a.type === "response_time") return `response time under ${a.under_ms} ms`;
  const what = a.type === "header" ? `header ${a.name}` : a.path;
  if ("exists" in a) return `${what} ${a.exists ? "exists" : "does not exist"}`;
  return "equals" in a ? `${what} equals ${shown(a.equals)}` : `${what} contains ${shown(a.contains)}`;
}

function actual(result) {
  const a = result.assertion;
  if (result.actual === null && (a.type === "json_path" || a.type === "header")) return "not there";
  return a.type === "response_time" ? `${result.actual} ms` : JSON.stringify(result.actual);
}

export function checkResults(results) {
  return table([
    { label: "Check", render: (r) => h("code", { text: described(r.assertion) }) },
    { label: "Result", render: (r) => badge(r.passed ? "passed" : "failed") },
    { label: "Actual", render: (r) => h("code", { text: actual(r) }) },
  ], results.map((r) => ({ ...r, __dataset: { passed: String(r.passed) } })), { testid: "check-results", caption: "Checks" });
}

// A 400's reasons, field by field ("assertions: #2: A header assertion needs name (text).").
export function refusal(error) {
  const errors = error.body && error.body.errors;
  if (!errors || typeof errors !== "object") return [error.message];
  return Object.entries(errors).flatMap(([field, problems]) =>
    [].concat(problems).map((problem) => `${field}: ${typeof problem === "string" ? problem : JSON.stringify(problem)}`));
}
