// Replay: a captured workflow's requests sent again (in-process, synthetic, rolled back),
// then the replay against the original, step by step: steps added or gone, per step the
// queries added or removed, cache hits that became misses, status and answer shape, and
// time per layer. Masked values are asked for in a form; empty ones use REPLAY_VALUES.

import { badge, fmt, h, panel, replace, table } from "../dom.js";

const POLL_MS = 500;
const WAIT_MS = 30000; // the replay's requests are written a moment after they ran

function workflowHref(id) {
  return `#/workflows/${encodeURIComponent(id)}`;
}

// A replay of one workflow that says whether it still runs ``sql`` (a recommendation's).
export function replayHref(id, sql) {
  const target = sql ? `${id}?${new URLSearchParams({ query: sql })}` : id;
  return `#/replay/${encodeURIComponent(target)}`;
}

// The replay view showing the diff of an earlier replay (``replayId``) against ``id``.
export function replayDiffHref(id, replayId) {
  return `#/replay/${encodeURIComponent(`${id}?${new URLSearchParams({ diff: replayId })}`)}`;
}

const VERDICTS = {
  gone: "The query the recommendation named is gone",
  fewer: "The query the recommendation named runs fewer times",
  "still there": "The query the recommendation named is still there",
  "never ran": "Neither run ran the query the recommendation named",
};

function verdict(query) {
  if (!query) return null;
  return h("p", { class: query.verdict === "gone" || query.verdict === "fewer" ? "" : "alert", "data-testid": "query-verdict", dataset: { verdict: query.verdict } },
    h("strong", { text: `${VERDICTS[query.verdict]}: ${query.original} → ${query.replay} times.` }), " ",
    h("code", { class: "sql-inline", text: query.sql }));
}

function maskedForm(plan, onSubmit) {
  const inputs = plan.masked.map((field) => {
    const hint = field.configured ? "configured (REPLAY_VALUES)" : field.where === "header" ? "left out if empty" : "required";
    return h("label", { class: "field" },
      h("span", { class: "label", text: `${field.name} (${field.where})` }),
      h("input", { name: field.name, type: "password", class: "mono", autocomplete: "off", placeholder: hint, "data-testid": `masked-${field.name}` }));
  });
  const form = h("form", { class: "console", "data-testid": "replay-form", onsubmit: (event) => {
    event.preventDefault();
    const values = {};
    for (const input of form.querySelectorAll("input")) if (input.value !== "") values[input.name] = input.value;
    onSubmit(values, form.querySelector("button"));
  } },
  plan.masked.length
    ? h("p", { class: "muted", text: "These values were masked when the workflow was stored. Leave one empty to use the configured test identity." })
    : h("p", { class: "muted", text: "Nothing was masked: the requests are sent again as stored." }),
  h("div", { class: "filters" }, inputs),
  h("div", { class: "actions" }, h("button", { type: "submit", class: "button", text: "Replay now" })));
  return form;
}

function requestList(plan) {
  return table([
    { label: "Request", render: (r) => h("code", { text: `${r.method} ${r.path}` }) },
    { label: "Route", render: (r) => r.name },
    { label: "", render: (r) => (r.problem ? h("span", { class: "alert small", text: r.problem }) : linkedNote(r.linked || [])) },
  ], plan.requests, { testid: "replay-requests" });
}

// The ids a request takes from the replay's earlier answers ("path /orders/{id}/ uses the
// id of step 4's answer"): the plan lists them as text, a result with what it sent.
function linkedNote(linked) {
  const notes = linked.map((l) => (typeof l === "string" ? l : `${l.note} (${l.value} → ${l.sent})`));
  return notes.length ? h("span", { class: "muted small", text: notes.join("; ") }) : "";
}

function sentList(result) {
  return table([
    { label: "Request", render: (r) => h("code", { text: `${r.method} ${r.path}` }) },
    { label: "Status", class: "num", render: (r) => String(r.status_code ?? "—") },
    { label: "Time", class: "num", render: (r) => fmt.ms(r.response_time_ms) },
    { label: "", render: (r) => [r.error || "", r.left_out.length ? ` left out: ${r.left_out.join(", ")}` : ""].join("") },
    { label: "Ids", render: (r) => linkedNote(r.linked || []) },
  ], result.requests, { testid: "replay-sent" });
}

function arrow(before, after, format = String) {
  if (before === after) return format(after);
  return `${before === null || before === undefined ? "—" : format(before)} → ${after === null || after === undefined ? "—" : format(after)}`;
}

function side(row, key) {
  const before = row.original ? row.original[key] : null;
  const after = row.replay ? row.replay[key] : null;
  return [before, after];
}

function statusCell(row) {
  const [before, after] = side(row, "status");
  const [codeBefore, codeAfter] = side(row, "status_code");
  const codes = codeBefore || codeAfter ? ` ${arrow(codeBefore, codeAfter)}` : "";
  return h("span", { class: row.status_changed ? "changed" : "" }, arrow(before, after), codes);
}

function details(row) {
  if (!row.queries) {
    const step = row.original || row.replay;
    return step.error ? h("span", { class: "muted", text: step.error }) : "";
  }
  const items = [];
  const sql = (q) => h("code", { class: "sql-inline", text: q.sql });
  for (const q of row.queries.added) items.push(h("li", { dataset: { kind: "query-added" } }, `+ ${q.count}× `, sql(q)));
  for (const q of row.queries.missing) items.push(h("li", { dataset: { kind: "query-removed" } }, `− ${q.count}× `, sql(q)));
  for (const q of row.queries.count_changed) items.push(h("li", { dataset: { kind: "query-count" } }, `${q.baseline}× → ${q.subject}× `, sql(q)));
  for (const key of row.cache_hits_became_misses) items.push(h("li", { dataset: { kind: "cache-miss" } }, "cache hit → miss: ", h("code", { text: key })));
  const payload = row.payload;
  if (payload.changed) {
    const paths = [...payload.added.map((p) => `+${p}`), ...payload.removed.map((p) => `−${p}`), ...payload.retyped.map((p) => `~${p}`)];
    items.push(h("li", { dataset: { kind: "shape" } }, "answer shape: ", h("code", { text: paths.join(" ") })));
  } else if (payload.note) {
    items.push(h("li", { class: "muted", dataset: { kind: "shape" }, text: payload.note }));
  }
  const error = row.replay && row.replay.error;
  if (error) items.push(h("li", { class: "muted", text: error }));
  return items.length ? h("ul", { class: "plain-list" }, items) : "";
}

function stepsTable(diff) {
  const rows = diff.steps.map((row) => ({ ...row, __dataset: { change: row.change, layer: row.layer, testid: "diff-step" } }));
  return table([
    { label: "", render: (r) => badge(r.change, "change") },
    { label: "Layer", render: (r) => r.layer },
    { label: "Step", render: (r) => h("span", { class: "mono", text: r.name }) },
    { label: "Status", render: statusCell },
    { label: "Queries", class: "num", render: (r) => arrow(...side(r, "query_count")) },
    { label: "Time", class: "num", render: (r) => arrow(...side(r, "duration_ms"), fmt.ms) },
    { label: "What changed", render: details },
  ], rows, { testid: "diff-steps", caption: "The replay against the original, step by step" });
}

function layerTable(diff) {
  const rows = Object.entries(diff.time_per_layer).map(([layer, t]) => ({ layer, ...t }));
  return table([
    { label: "Layer", render: (r) => r.layer },
    { label: "Original", class: "num", render: (r) => fmt.ms(r.original) },
    { label: "Replay", class: "num", render: (r) => fmt.ms(r.replay) },
    { label: "Change", class: "num", render: (r) => `${r.delta_ms > 0 ? "+" : ""}${fmt.ms(r.delta_ms)}` },
  ], rows, { testid: "diff-layers" });
}

function headline(diff) {
  const s = diff.summary;
  const parts = [`${s.changed} changed`, `${s.added} added`, `${s.gone} gone`, `queries ${arrow(s.queries.original, s.queries.replay)}`];
  return h("p", { "data-testid": "diff-summary" },
    badge(diff.status.original), " → ", badge(diff.status.replay), ` · ${parts.join(" · ")} `,
    h("a", { class: "button ghost small", href: workflowHref(diff.replay), "data-testid": "replay-trace", text: "Open the replay's trace →" }),
    diff.browser_steps_left_out ? h("span", { class: "muted", text: ` ${diff.browser_steps_left_out} browser steps of the original are not replayed.` }) : null);
}

function diffView(diff) {
  return h("div", { "data-testid": "replay-diff" }, verdict(diff.query), headline(diff),
    h("h3", { text: "Step by step" }), stepsTable(diff),
    h("h3", { text: "Time per layer (self)" }), layerTable(diff));
}

// The diff once every request the replay sent is stored. Asked through the list first: a
// 404 for a workflow not written yet would be logged on the browser's console as an error.
async function waitForDiff(ctx, result, query, stillHere) {
  const deadline = Date.now() + WAIT_MS;
  const id = result.correlation_id;
  for (;;) {
    const found = await ctx.api("workflows/", { query: { q: id, page_size: 50 } });
    const replayed = found.results.find((w) => w.correlation_id === id);
    if (replayed && replayed.request_count >= result.sent) {
      return ctx.api(`workflows/${encodeURIComponent(id)}/replay-diff/`, { query: { query } });
    }
    if (Date.now() > deadline || !stillHere()) return null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function render(container, params, ctx) {
  const [id, search] = params.id.split("?");
  const asked = new URLSearchParams(search || "");
  const query = asked.get("query");
  const earlier = asked.get("diff"); // an earlier replay whose diff is shown again
  const plan = await ctx.api(`workflows/${encodeURIComponent(id)}/replay/`);
  container.dataset.title = `Replay ${fmt.short(id)}`;
  let here = true;
  const out = h("div", { "data-testid": "replay-result" });
  const run = async (values, button) => {
    button.disabled = true;
    replace(out, h("p", { class: "muted", text: "Replaying…" }));
    try {
      const result = await ctx.api(`workflows/${encodeURIComponent(id)}/replay/`, { method: "POST", body: { values } });
      replace(out, sentList(result), h("p", { class: "muted", text: "Waiting for the replay's trace…" }));
      const diff = await waitForDiff(ctx, result, query, () => here);
      if (!here) return;
      replace(out, sentList(result), diff ? diffView(diff) : h("p", { class: "alert", text: "The replay's trace was not written in time." }));
    } catch (error) {
      replace(out, h("p", { class: "alert", role: "alert", text: error.message }));
    } finally {
      button.disabled = false;
    }
  };
  if (earlier) {
    const diff = await ctx.api(`workflows/${encodeURIComponent(earlier)}/replay-diff/`, { query: { query } });
    replace(out, h("p", { class: "muted", "data-testid": "earlier-replay" }, "The replay ",
      h("a", { href: workflowHref(earlier), class: "mono", text: fmt.short(earlier) }),
      ", run earlier. Replay now to send the requests again."), diffView(diff));
  }
  replace(container,
    h("div", { class: "view-head" },
      h("p", { class: "crumbs" }, h("a", { href: "#/workflows", text: "Workflows" }), " / ", h("a", { href: workflowHref(id), class: "mono", text: fmt.short(id) }), " / "),
      h("h1", { text: `Replay a ${plan.workflow_type} workflow` })),
    query ? h("p", { class: "muted", text: "After the replay, this page says whether the recommendation's query still runs:" }, " ", h("code", { class: "sql-inline", text: query })) : null,
    panel("Requests sent again", requestList(plan), { wide: true }),
    panel("Masked values", maskedForm(plan, run), { wide: true }),
    panel("Replay against the original", out, { wide: true, testid: "replay-panel" }));
  return () => { here = false; };
}
