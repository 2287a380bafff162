// The dashboard: a hash router over views, one live connection to the dashboard socket
// (its state always shown in the header), and the time window every view reads.

import { api } from "./api.js";
import { errorBox, notFound, replace } from "./dom.js";
import { Bus, LiveConnection } from "./live.js";
import * as alerts from "./views/alerts.js";
import * as budgets from "./views/budgets.js";
import * as errors from "./views/errors.js";
import * as funnel from "./views/funnel.js";
import * as journeys from "./views/journeys.js";
import * as overview from "./views/overview.js";
import * as performance from "./views/performance.js";
import * as releases from "./views/releases.js";
import * as replay from "./views/replay.js";
import * as reports from "./views/reports.js";
import * as settings from "./views/settings.js";
import * as testing from "./views/testing.js";
import * as workflows from "./views/workflows.js";

const app = document.getElementById("app");
const view = document.getElementById("view");
const windowSelect = document.getElementById("window");
const connection = document.getElementById("connection");
const WINDOW_KEY = "flowscope.window";

const ROUTES = {
  overview: { list: overview.render },
  workflows: { list: workflows.renderList, detail: workflows.renderDetail, one: "Workflow" },
  journeys: { list: journeys.renderList, detail: journeys.renderDetail, one: "Journey" },
  replay: { list: workflows.renderList, detail: replay.render, one: "Workflow" },
  errors: { list: errors.renderList, detail: errors.renderDetail, one: "Error" },
  funnel: { list: funnel.render },
  performance: { list: performance.render },
  releases: { list: releases.render },
  budgets: { list: budgets.render },
  testing: { list: testing.render },
  reports: { list: reports.renderList, detail: reports.renderDetail, one: "Report" },
  alerts: { list: alerts.renderList },
  settings: { list: settings.render },
};
const LABELS = {
  live: "live", connecting: "connecting", reconnecting: "reconnecting…", polling: "polling", offline: "offline",
  off: "live updates off", "signed-out": "signed out",
};

const bus = new Bus();
let since = null; // server time of the last catch-up: where the next one starts
// Errors are stored with the time they happened and written a moment later, so each
// catch-up reaches back a little further than the last one ended; repeats are dropped.
const OVERLAP_MS = 15000;
const seenErrors = new Set();

const ctx = {
  api,
  bus,
  config: null, // the user's default dashboard configuration, if they saved one
  setConfig(config) {
    ctx.config = config;
    live.pollMs = pollInterval(config);
  },
  shows(widget) {
    return !ctx.config || ctx.config.widgets.includes(widget);
  },
  get window() {
    return windowSelect.value;
  },
  wsWorkflowPath: (id) => `${app.dataset.wsWorkflow}${encodeURIComponent(id)}/`,
  sockets: app.dataset.live !== "poll", // false when the server has none (WSGI)
  liveOff: app.dataset.liveOff || "", // why the server has no live updates (no channel layer)
  docsUrl: app.dataset.docsUrl || "", // FLOWSCOPE["DOCS_URL"]: where links to docs/ lead
  navigate(hash) {
    location.hash = hash;
  },
};

function showState(state) {
  const off = state === "off";
  connection.dataset.state = state;
  connection.querySelector(".text").textContent = off ? `${LABELS.off}: ${live.offReason}` : LABELS[state] || state;
  connection.title = {
    live: "Receiving live events over the WebSocket.",
    reconnecting: "The WebSocket dropped; reconnecting with backoff.",
    polling: ctx.sockets
      ? "The WebSocket is down; catching up over HTTP every few seconds."
      : "This server has no WebSockets (WSGI): refreshing over HTTP every few seconds.",
    off: `${app.dataset.liveOffFix || "The server has no live updates."} Meanwhile the page polls over HTTP every few seconds.`,
    offline: "Neither the WebSocket nor the API answers.",
    "signed-out": "The session has ended: log in again to see live data.",
  }[state] || "";
}

async function catchUp() {
  if (!since) since = new Date(Date.now() - 60000).toISOString();
  const from = new Date(new Date(since).getTime() - OVERLAP_MS).toISOString();
  const changes = await api("dashboard-data/realtime_updates/", { query: { since: from } });
  since = changes.server_time;
  return [
    ...changes.workflows.map((workflow) => ({ type: "workflow_update", change: "updated", workflow })),
    ...changes.errors.filter((error) => !seenErrors.has(error.id)).reverse().map((error) => ({
      type: "error_notification",
      error: { ...error, correlation_id: error.workflow__correlation_id },
    })),
    ...changes.alerts.map((snapshot) => ({ type: "performance_alert", ...snapshot, snapshot })),
    { type: "system_health", ...changes.system_health, server_time: changes.server_time },
  ];
}

const live = new LiveConnection(app.dataset.wsDashboard, {
  onMessage(message) {
    if (message.server_time) since = message.server_time;
    if (message.type === "error_notification") {
      if (seenErrors.has(message.error.id)) return;
      seenErrors.add(message.error.id);
    }
    bus.emit(message);
  },
  onState: showState,
  catchUp,
  sockets: ctx.sockets,
  offReason: ctx.liveOff,
});

let cleanup = null;
let rendering = 0;

async function route() {
  // "#/section/id", or "#/section?filters" (a list's filters: see filters.js)
  const [path, search = ""] = (location.hash || "#/overview").split("?");
  const [, section = "overview", id] = path.split("/");
  const entry = ROUTES[section] || ROUTES.overview;
  const render = id ? entry.detail || entry.list : entry.list;
  for (const link of document.querySelectorAll(".sidenav a[data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (cleanup) cleanup();
  cleanup = null;
  const mine = ++rendering;
  const container = document.createElement("div");
  container.className = "view";
  container.dataset.view = section;
  try {
    const query = new URLSearchParams(search);
    const done = await render(container, { id: id && decodeURIComponent(id), query }, ctx);
    if (mine !== rendering) {
      if (typeof done === "function") done();
      return;
    }
    cleanup = typeof done === "function" ? done : null;
    replace(view, container);
  } catch (error) {
    if (mine !== rendering) return;
    const missing = id && error.status === 404;
    replace(view, missing ? notFound(entry.one || "Page", `#/${section}`) : errorBox(error));
  }
  document.title = `${container.dataset.title || section[0].toUpperCase() + section.slice(1)} — Flowscope`;
}

function pollInterval(config) {
  const seconds = config ? config.refresh_interval : 5;
  return Math.min(Math.max(seconds, 2), 60) * 1000;
}

async function loadConfig() {
  try {
    const configs = await api("dashboard-config/");
    return (configs.results || configs).find((c) => c.is_default) || null;
  } catch (error) {
    return null;
  }
}

ctx.setConfig(await loadConfig());
windowSelect.value = localStorage.getItem(WINDOW_KEY) || (ctx.config && ctx.config.default_window) || windowSelect.value;
windowSelect.addEventListener("change", () => {
  localStorage.setItem(WINDOW_KEY, windowSelect.value);
  route();
});
window.addEventListener("hashchange", () => {
  route().then(() => document.getElementById("main").focus({ preventScroll: true }));
});
window.flowscopeDashboard = { live, bus, route }; // for tests and the console
live.start();
route();
