// The drop-off funnel: journeys through the configured workflow types over the window, the
// conversion at each step, and at each drop what the journeys that stopped there met — their
// error groups and their slowest steps. Refreshed as workflows of a journey change.

import { code, emptyState, fmt, h, panel, replace, table } from "../dom.js";
import { reloadOn } from "../live.js";

const RELOAD_MS = 1500; // one read for a burst of workflow updates
const plural = (n, one) => `${fmt.num(n, 0)} ${one}${n === 1 ? "" : "s"}`;

function reachedBar(step) {
  const fill = h("span", { class: "bar-fill layer-api" });
  fill.style.width = `${Math.round((step.of_started || 0) * 1000) / 10}%`;
  return h("span", { class: "bar-track funnel-bar", title: `${fmt.pct(step.of_started)} of the journeys that started` }, fill);
}

function stepsTable(found) {
  return table([
    { label: "#", class: "num", render: (s) => String(s.number) },
    { label: "Step", render: (s) => h("strong", { text: s.workflow_type }) },
    { label: "Reached", class: "num", render: (s) => fmt.num(s.reached, 0) },
    { label: "", render: reachedBar },
    { label: "Conversion", class: "num", render: (s) => fmt.pct(s.conversion) },
    { label: "Of started", class: "num", render: (s) => fmt.pct(s.of_started) },
    { label: "Stopped here", class: "num", render: (s) => fmt.num(s.stopped, 0) },
  ], found.steps.map((s, i) => ({ ...s, number: i + 1, __dataset: { testid: "funnel-step", step: s.workflow_type } })),
  { testid: "funnel-steps", caption: "Journeys at each step of the funnel" });
}

function errorList(errors) {
  if (!errors.length) return h("p", { class: "muted", text: "No errors in these journeys." });
  return h("ul", { class: "plain-list" }, errors.map((e) => h("li", { "data-testid": "drop-error" },
    h("a", { href: `#/errors/${e.latest_id}`, class: "error-link" }, h("strong", { text: e.error_type }), h("span", { text: e.message })),
    h("span", { class: "muted", text: ` · ${plural(e.count, "time")} in ${plural(e.journeys, "journey")}` }))));
}

function slowList(steps) {
  if (!steps.length) return h("p", { class: "muted", text: "No steps recorded in these journeys." });
  return table([
    { label: "Step", render: (s) => [h("span", { class: `swatch layer-${s.layer}` }), " ", h("code", { class: "sql-inline", text: s.name })] },
    { label: "Layer", render: (s) => s.layer },
    { label: "Runs", class: "num", render: (s) => fmt.num(s.count, 0) },
    { label: "p95", class: "num", render: (s) => fmt.ms(s.p95_ms) },
  ], steps.map((s) => ({ ...s, __dataset: { testid: "drop-step" } })));
}

function drops(found) {
  return found.steps.map((step, i) => {
    if (!step.stopped) return null;
    const before = i === 0 ? "started" : `reached ${found.steps[i - 1].workflow_type}`;
    return panel(`Stopped at ${step.workflow_type}: ${plural(step.stopped, "journey")}`, [
      h("p", { class: "muted", text: `They ${before} and never completed ${step.workflow_type}.` }),
      h("div", { class: "grid-2" },
        h("div", {}, h("h3", { text: "Top error groups" }), errorList(step.errors)),
        h("div", {}, h("h3", { text: "Slowest steps (p95)" }), slowList(step.slowest_steps))),
    ], { wide: true, testid: "funnel-drop" });
  });
}

// A link to one of Flowscope's docs where FLOWSCOPE["DOCS_URL"] says they are, else its name.
function docLink(ctx, file) {
  const name = `docs/${file}`;
  return ctx.docsUrl ? h("a", { href: `${ctx.docsUrl}${file}`, "data-testid": "docs-link", text: name }) : code(name);
}

function undeclared(ctx) {
  return h("div", { "data-testid": "funnel-undeclared" }, emptyState("No funnel declared",
    h("p", {}, "List the workflow types a journey goes through, in order, in ",
      code('FLOWSCOPE["FUNNEL"]'), ", e.g. ", code('["login", "product_fetch", "cart_update", "checkout"]'),
      ". What counts as reaching a step: ", docLink(ctx, "funnel.md"), ".")));
}

function body(found, windowName) {
  const path = found.steps.map((s) => s.workflow_type).join(" → ");
  if (!found.started) {
    return emptyState("No journey started the funnel in this window",
      h("p", { class: "muted", text: `Journeys are a browser session's workflows, from the browser SDK's journey id. The funnel (${path || "no steps"}) counts those with a workflow of its first step's type in the last ${windowName}.` }));
  }
  const last = found.steps[found.steps.length - 1];
  return [
    panel("Conversion", [
      h("p", { "data-testid": "funnel-summary" },
        `${plural(found.started, "journey")} started the funnel; ${fmt.num(last.reached, 0)} completed ${last.workflow_type} (${fmt.pct(last.of_started)}).`),
      stepsTable(found),
    ], { wide: true }),
    drops(found),
  ];
}

export async function render(container, params, ctx) {
  container.dataset.title = "Funnel";
  const load = () => ctx.api("funnel/", { query: { window: ctx.window } });
  const found = await load();
  if (!found.steps.length) {
    replace(container, h("div", { class: "view-head" }, h("h1", { text: "Funnel" })), undeclared(ctx));
    return null;
  }
  const head = h("div", { class: "view-head" }, h("h1", { text: "Funnel" }),
    h("p", { class: "muted", "data-testid": "funnel-path", text: `last ${ctx.window} · ${found.steps.map((s) => s.workflow_type).join(" → ")}` }));
  const content = h("div", { class: "view" }, body(found, ctx.window));
  const stop = reloadOn(ctx.bus, "workflow_update", (message) => Boolean(message.workflow?.journey_id),
    async () => replace(content, body(await load(), ctx.window)), RELOAD_MS);
  replace(container, head, content);
  return stop;
}
