// A journey: one browser session's workflows in the order they started — page renders and
// loads, sign-in, checkout — with where each failed and what a retry recovered.

import { badge, emptyState, fmt, h, panel, replace, table } from "../dom.js";
import { reloadOn } from "../live.js";
import { workflowDuration, workflowLink } from "./overview.js";

const RELOAD_MS = 1500; // one read for a burst of workflow updates
const plural = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function journeyLink(id) {
  return h("a", { href: `#/journeys/${encodeURIComponent(id)}`, class: "mono", title: `Journey ${id}`, text: fmt.short(id) });
}

// What became of a workflow that failed at least once: a retry continues it.
export function attemptsNote(workflow) {
  const n = workflow.failed_attempts || 0;
  const text = {
    completed: `recovered after ${plural(n, "failed attempt")}`,
    in_progress: `retrying after ${plural(n, "failed attempt")}`,
    timed_out: `abandoned after ${plural(n, "failed attempt")}`,
    failed: n > 1 ? `${n} failed attempts` : "",
  }[workflow.status];
  if (!n || !text) return null;
  return h("span", { class: "muted attempts", "data-testid": "attempts", text: ` ${text}` });
}

function failures(workflow) {
  return workflow.failures.map((e) => h("li", { class: "bad", "data-testid": "journey-failure" },
    h("a", { href: `#/errors/${e.id}` }, h("strong", { text: e.error_type })), ` ${e.message}`,
    h("span", { class: "muted", text: ` · ${e.layer}${e.step ? ` · in ${e.step}` : ""}` })));
}

function pageLoads(workflow) {
  return workflow.page_loads.map((load) => h("li", { "data-testid": "journey-page-load" },
    `page load ${load.url || "—"} ${fmt.ms(load.duration_ms)}`,
    load.ttfb_ms === null ? null : h("span", { class: "muted", text: ` · first byte ${fmt.ms(load.ttfb_ms)}` })));
}

function timeline(journey) {
  const start = new Date(journey.started_at).getTime();
  return table([
    { label: "#", class: "num", render: (w) => String(journey.workflows.indexOf(w) + 1) },
    { label: "Workflow", render: (w) => workflowLink(w.correlation_id) },
    {
      label: "Type · first request",
      render: (w) => [w.workflow_type, w.metadata?.entry_point ? h("span", { class: "muted", text: ` · ${w.metadata.entry_point}` }) : null],
    },
    { label: "Status", render: (w) => [badge(w.status), attemptsNote(w)] },
    { label: "User", render: (w) => w.user || "anonymous" },
    {
      label: "Started",
      render: (w) => {
        const offset = new Date(w.started_at).getTime() - start;
        return [fmt.time(w.started_at), h("span", { class: "muted", text: offset > 0 ? ` · +${fmt.ms(offset)}` : " · start" })];
      },
    },
    { label: "Duration", class: "num", render: workflowDuration },
    {
      label: "Where it failed · page loads",
      render: (w) => (w.failures.length || w.page_loads.length
        ? h("ul", { class: "plain-list" }, failures(w), pageLoads(w))
        : h("span", { class: "muted", text: "—" })),
    },
  ], journey.workflows.map((w) => Object.assign(w, { __dataset: { status: w.status, testid: "journey-row" } })),
  { testid: "journey-workflows", caption: "The journey's workflows in the order they started" });
}

function summary(journey) {
  const item = (label, value) => h("div", {}, h("dt", { text: label }), h("dd", {}, value));
  const first = journey.workflows.find((w) => w.correlation_id === journey.first_failure);
  return h("dl", { class: "summary", "data-testid": "journey-summary" },
    item("User", journey.user || "anonymous"),
    item("Started", fmt.time(journey.started_at)),
    item("Last activity", fmt.time(journey.last_activity_at)),
    item("Workflows", String(journey.workflows.length) + (journey.truncated ? " (the first ones)" : "")),
    item("Left off", badge(journey.outcome)),
    item("First failure", first ? [workflowLink(first.correlation_id), ` ${first.workflow_type}`] : "none"));
}

// Asked through the list first: a 404 would be logged on the browser's console as an error
// although a journey nobody recorded is only an answer.
async function loadJourney(ctx, id) {
  const found = await ctx.api("workflows/", { query: { journey: id, page_size: 1 } });
  return found.count ? ctx.api(`journeys/${encodeURIComponent(id)}/`) : null;
}

function unknown(id) {
  return h("div", { class: "empty", role: "alert", "data-testid": "not-found" },
    h("p", { class: "empty-title", text: "Journey not found" }),
    h("p", { class: "muted", text: `No workflow of journey ${id} has been recorded. It may have been pruned, or the link is wrong.` }),
    h("p", {}, h("a", { href: "#/workflows", text: "Back to the workflows" })));
}

export async function renderList(container) {
  container.dataset.title = "Journeys";
  replace(container, emptyState("Journeys are one browser session each",
    h("p", {}, "Open one from a workflow's page or from the ", h("a", { href: "#/workflows", text: "workflows" }), " list.")));
}

export async function renderDetail(container, { id }, ctx) {
  container.dataset.title = `Journey ${fmt.short(id)}`;
  const head = h("div", { class: "view-head" },
    h("p", { class: "crumbs" }, h("a", { href: "#/workflows", text: "Workflows" }), " / journey"),
    h("h1", { class: "mono", "data-testid": "journey-id", text: id }));
  const journey = await loadJourney(ctx, id);
  if (!journey) {
    replace(container, head, unknown(id));
    return null;
  }
  const summaryBox = h("div", {}, summary(journey));
  const timelineBox = h("div", {}, timeline(journey));
  const load = async () => {
    const fresh = await ctx.api(`journeys/${encodeURIComponent(id)}/`);
    replace(summaryBox, summary(fresh));
    replace(timelineBox, timeline(fresh));
  };
  const stop = reloadOn(ctx.bus, "workflow_update", (message) => message.workflow?.journey_id === id, load, RELOAD_MS);
  replace(container, head,
    panel("Summary", summaryBox, { wide: true }),
    panel("Workflows in order", timelineBox, { wide: true, testid: "journey-panel" }));
  return stop;
}
