// Testing console: send one request (picked from discovery or typed) or run a whole
// workflow, traced like real traffic; see the result and open its trace. History, re-run.

import { badge, fmt, h, json, panel, replace, table, timeEl } from "../dom.js";
import { checkResults, checksEditor, refusal } from "./checks.js";
import { workflowLink } from "./overview.js";
import { renderDetail as renderWorkflow } from "./workflows.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

// 32 lowercase hex digits, like the server's own IDs: the run's ID is chosen here so that
// the page can open its live trace before the run starts.
function newCorrelationId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseJson(text, what) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${error.message}`);
  }
}

function traceLink(result) {
  return result.correlation_id
    ? h("a", { class: "button ghost small", href: `#/workflows/${encodeURIComponent(result.correlation_id)}`, "data-testid": "trace-link", text: "Open the trace →" })
    : null;
}

function endpointResult(result) {
  return h("div", { class: "result", "data-testid": "test-result" },
    h("p", {}, badge(result.passed ? "passed" : "failed"), ` ${result.status_code ?? "—"} · ${fmt.ms(result.response_time_ms)} `, traceLink(result)),
    result.error ? h("p", { class: "alert", text: result.error }) : null,
    (result.assertion_results || []).length ? checkResults(result.assertion_results) : null,
    h("h4", { text: `Body${result.response_truncated ? " (truncated)" : ""}` }), json(result.response_body));
}

function workflowResult(result) {
  return h("div", { class: "result", "data-testid": "test-result" },
    h("p", {}, badge(result.passed ? "passed" : "failed"), ` ${result.workflow} · ${fmt.ms(result.total_time_ms)} `, traceLink(result)),
    table([
      { label: "Step", render: (s) => s.name },
      { label: "Request", render: (s) => h("code", { text: `${s.method} ${s.path}` }) },
      { label: "Status", class: "num", render: (s) => String(s.status_code ?? "—") },
      { label: "Expected", class: "num", render: (s) => String(s.expected_status ?? "—") },
      { label: "Time", class: "num", render: (s) => fmt.ms(s.response_time_ms) },
      { label: "", render: (s) => badge(s.skipped ? "skipped" : s.passed ? "passed" : "failed") },
    ], result.steps || []));
}

export async function render(container, params, ctx) {
  container.dataset.title = "Testing";
  const [endpoints, workflows] = await Promise.all([
    ctx.api("manual-testing/available_endpoints/").catch(() => ({ results: [] })),
    ctx.api("manual-testing/workflows/").catch(() => ({ results: [] })),
  ]);
  const out = h("div", {});
  const history = h("div", {});
  const method = h("select", { name: "method", "aria-label": "Method" }, METHODS.map((m) => h("option", { value: m, text: m })));
  const path = h("input", { name: "path", value: "/api/v1/products/", "aria-label": "Path", class: "mono grow", list: "endpoint-paths" });
  const paths = h("datalist", { id: "endpoint-paths" }, endpoints.results.map((e) => h("option", { value: e.path || e.pattern })));
  const headers = h("textarea", { name: "headers", rows: 3, class: "mono", placeholder: '{"Authorization": "Token …"}' });
  const body = h("textarea", { name: "payload", rows: 4, class: "mono", placeholder: '{"product_id": 1, "quantity": 1}' });
  const expected = h("input", { name: "expected_status", type: "number", min: "100", max: "599", placeholder: "200" });
  const checks = checksEditor();
  const send = async (event) => {
    event.preventDefault();
    replace(out, h("p", { class: "muted", text: "Sending…" }));
    try {
      const spec = { method: method.value, path: path.value.trim() };
      const parsedHeaders = parseJson(headers.value, "Headers");
      const payload = parseJson(body.value, "Body");
      if (parsedHeaders) spec.headers = parsedHeaders;
      if (payload !== undefined) spec.payload = payload;
      if (expected.value) spec.expected_status = Number(expected.value);
      const assertions = checks.assertions();
      if (assertions.length) spec.assertions = assertions;
      replace(out, endpointResult(await ctx.api("manual-testing/test_endpoint/", { method: "POST", body: spec })));
      loadHistory();
    } catch (error) {
      replace(out, h("div", { class: "alert", role: "alert", "data-testid": "test-refused" },
        error.status === 400 ? [h("p", { text: "Not sent:" }), h("ul", {}, refusal(error).map((reason) => h("li", { text: reason })))] : error.message));
    }
  };
  const workflowSelect = h("select", { name: "workflow", "aria-label": "Workflow" },
    workflows.results.map((w) => h("option", { value: w.name, text: `${w.name} — ${w.description || ""}` })));
  const paramsBox = h("textarea", { name: "params", rows: 6, class: "mono", "aria-label": "Parameters (JSON)" });
  const showParams = () => {
    const chosen = workflows.results.find((w) => w.name === workflowSelect.value);
    // Masked defaults (a password) are left out: the definition's own value is used.
    const shown = Object.fromEntries(Object.entries((chosen && chosen.params) || {})
      .filter(([, value]) => !(typeof value === "string" && value.startsWith("[Filtered"))));
    paramsBox.value = JSON.stringify(shown, null, 2);
  };
  workflowSelect.addEventListener("change", showParams);
  showParams();
  let stopLiveTrace = null;
  const runWorkflow = async (event) => {
    event.preventDefault();
    const id = newCorrelationId();
    const status = h("div", {}, h("p", { class: "muted", text: `Running ${workflowSelect.value}…` }));
    const live = h("div", { class: "live-run", "data-testid": "live-run" });
    replace(out, status, live);
    if (stopLiveTrace) stopLiveTrace();
    try {
      const body = { workflow: workflowSelect.value, correlation_id: id };
      const given = parseJson(paramsBox.value, "Parameters");
      if (given) body.params = given;
      stopLiveTrace = await renderWorkflow(live, { id }, ctx); // steps stream in as they run
      replace(status, workflowResult(await ctx.api("manual-testing/test_workflow/", { method: "POST", body })));
      loadHistory();
    } catch (error) {
      replace(status, h("p", { class: "alert", role: "alert", text: error.message }));
    }
  };
  const loadHistory = async () => {
    const runs = await ctx.api("test-runs/", { query: { page_size: 15 } }).catch(() => ({ results: [] }));
    replace(history, table([
      { label: "Run", render: (r) => r.name },
      { label: "Kind", render: (r) => r.kind },
      { label: "Result", render: (r) => badge(r.passed ? "passed" : "failed") },
      { label: "When", render: (r) => timeEl(r.created_at) },
      { label: "Trace", render: (r) => workflowLink(r.correlation_id) },
      {
        label: "",
        render: (r) => h("button", { type: "button", class: "button ghost small", text: "Re-run", onclick: async () => {
          try {
            const result = await ctx.api(`test-runs/${r.id}/rerun/`, { method: "POST", body: {} });
            replace(out, result.steps ? workflowResult(result) : endpointResult(result));
            loadHistory();
          } catch (error) {
            replace(out, h("p", { class: "alert", role: "alert", text: error.message }));
          }
        } }),
      },
    ], runs.results, { testid: "test-history", empty: "No runs yet." }));
  };
  await loadHistory();
  replace(container,
    h("div", { class: "view-head" }, h("h1", { text: "Testing console" }),
      h("p", { class: "muted", text: "Requests run in-process through the app's own middleware, anonymously unless you give credentials, and are traced; what they write is rolled back when the run ends." })),
    h("div", { class: "grid-2" },
      panel("Send a request", h("form", { class: "console", onsubmit: send },
        h("div", { class: "filters" }, method, path, paths),
        h("label", { class: "field" }, h("span", { class: "label", text: "Headers (JSON)" }), headers),
        h("label", { class: "field" }, h("span", { class: "label", text: "Body (JSON)" }), body),
        checks.element,
        h("div", { class: "filters" }, h("label", { class: "field" }, h("span", { class: "label", text: "Expected status" }), expected),
          h("button", { type: "submit", class: "button", text: "Send" })))),
      panel("Run a workflow", h("form", { class: "console", onsubmit: runWorkflow },
        workflows.results.length ? [h("label", { class: "field" }, h("span", { class: "label", text: "Workflow" }), workflowSelect),
          h("label", { class: "field" }, h("span", { class: "label", text: "Parameters (JSON; secrets left out use their defaults)" }), paramsBox),
          h("button", { type: "submit", class: "button", text: "Run workflow" })]
          : h("p", { class: "muted", text: "No workflow definitions (FLOWSCOPE[\"WORKFLOW_DEFINITIONS\"])." })))),
    panel("Result", out, { wide: true, testid: "result-panel" }),
    panel("History", history, { wide: true }));
  return () => { if (stopLiveTrace) stopLiveTrace(); };
}
