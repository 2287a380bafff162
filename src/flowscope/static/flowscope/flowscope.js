/*!
 * Flowscope browser SDK: puts the page into the same workflows as the server.
 *
 * Hand-written, no dependencies, no build step. Include it before the page's own scripts:
 *
 *   <script src="/static/flowscope/flowscope.js" data-ingest-url="/api/v1/debugging/ingest/"
 *           data-ingest-key="KEY" defer></script>
 *
 * or call Flowscope.init({ingestUrl, ingestKey, flushIntervalMs, propagateTo}) yourself.
 *
 *   const workflow = Flowscope.startWorkflow("checkout");  // a new correlation ID
 *   // ... every fetch to this origin now carries X-Correlation-ID, X-Workflow-Type and a
 *   // W3C traceparent, and is recorded as a frontend step of the workflow ...
 *   workflow.complete();                                   // the workflow is over
 *
 * A workflow whose last fetch failed (an error status, or no answer) and that the page then
 * completes failed: the next workflow of its type started in the same journey within
 * retryWindowMs continues it, under the same correlation ID, so that a retry and the
 * attempts before it are one workflow. A workflow that succeeds, a workflow of another
 * type, or Flowscope.endWorkflow() ends that.
 *
 * What it sends, and the endpoint that takes it: docs/ingest.md. It never throws into the
 * page and never blocks it: every hook is guarded, events wait in a bounded queue and go
 * out in batches; a batch that cannot be delivered is dropped and counted in
 * Flowscope.stats.
 */
(function () {
  "use strict";

  var global = typeof window !== "undefined" ? window : null;
  if (!global || !global.document) {
    return;
  }
  var document = global.document;
  var currentScript = document.currentScript;

  if (global.Flowscope && global.Flowscope.version) {
    // Included twice: the first copy keeps its hooks; this tag may still configure it.
    try {
      global.Flowscope.init(scriptOptions(currentScript));
    } catch (ignored) {
      // never throw into the page
    }
    return;
  }

  var VERSION = "0.1.0";
  var MAX_QUEUE = 500; // events waiting to be sent; beyond it the oldest are dropped
  var MAX_BATCH_EVENTS = 100; // events per request
  var MAX_BATCH_BYTES = 60000; // per request: keepalive requests and beacons share 64 KB
  var MAX_ERRORS = 100; // error events per page, so a loop cannot flood the endpoint
  var MAX_SAME_ERROR = 10; // occurrences of one error (type + message) per page
  var MAX_MESSAGE = 2000;
  var MAX_STACK = 10000;
  var MAX_NAME = 500;
  var MAX_DURATION_MS = 3600000;
  var WORKFLOW_TYPE = /^[A-Za-z0-9_.:-]{1,64}$/;
  var TRACEPARENT_FLAGS = "01";
  var FETCH_INIT_KEYS = [
    "method", "headers", "body", "referrer", "referrerPolicy", "mode", "credentials",
    "cache", "redirect", "integrity", "keepalive", "signal", "window", "duplex", "priority",
  ];

  var perf = global.performance || null;
  var originalFetch = typeof global.fetch === "function" ? global.fetch : null;
  var config = {
    ingestUrl: "",
    ingestKey: "",
    flushIntervalMs: 2000,
    propagateTo: [],
    pageWorkflowType: "page_view",
    retryWindowMs: 1800000, // the server's WORKFLOW_TIMEOUT_SECONDS by default
    release: "", // the page's code release, sent with every event (the server's RELEASE)
  };
  var ingest = null; // the resolved ingest URL: {href, origin, pathname}
  var queue = [];
  var flushTimer = null;
  var sending = Promise.resolve(); // sends go one after another (keepalive shares 64 KB)
  var active = null; // the active workflow's state
  var errorCount = 0;
  var errorsSeen = {};
  var stats = {
    queued: 0, // events put in the queue
    sent: 0, // events the endpoint accepted (202, or counted as accepted in a 400)
    beaconed: 0, // events handed to navigator.sendBeacon when the page was hidden
    rejected: 0, // events the endpoint refused as invalid
    failed: 0, // events whose request failed (network, 401, 413, 429, 5xx): dropped
    dropped: 0, // events dropped before sending (queue full, error flood)
    internal_errors: 0, // errors of the SDK's own, swallowed
  };

  var JOURNEY_COOKIE = "flowscope_journey";
  var JOURNEY_ID = /^[A-Za-z0-9_-]{8,64}$/;
  var CORRELATION_ID = /^[A-Za-z0-9._:-]{1,64}$/;
  var journeyId = journey();
  // The failed workflow the next one of its type continues: {journey, type, correlationId,
  // attempt, failedAt}; kept in sessionStorage too, so that a retry after a reload counts.
  var RETRY_KEY = "flowscope_failed_workflow";
  var failedWorkflow = null;
  // The page's own workflow: the server render's (named in its Server-Timing), so that the
  // load timings join the request that made the page; else one of the page's own.
  var pageCorrelationId = renderCorrelationId() || randomHex(16);

  // ---------------------------------------------------------------- small helpers

  function noop() {}

  function guard(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (error) {
        stats.internal_errors += 1;
        return undefined;
      }
    };
  }

  function randomHex(bytes) {
    var buffer = new Uint8Array(bytes);
    var crypto = global.crypto || global.msCrypto;
    var i;
    if (crypto && typeof crypto.getRandomValues === "function") {
      crypto.getRandomValues(buffer);
    } else {
      for (i = 0; i < bytes; i += 1) {
        buffer[i] = Math.floor(Math.random() * 256);
      }
    }
    var hex = "";
    for (i = 0; i < bytes; i += 1) {
      hex += (buffer[i] < 16 ? "0" : "") + buffer[i].toString(16);
    }
    // All zeros is not a valid W3C trace or span ID.
    return /^0+$/.test(hex) ? randomHex(bytes) : hex;
  }

  function timeOrigin() {
    if (perf && typeof perf.timeOrigin === "number" && perf.timeOrigin > 0) {
      return perf.timeOrigin;
    }
    if (perf && perf.timing && perf.timing.navigationStart) {
      return perf.timing.navigationStart;
    }
    return Date.now() - monotonic();
  }

  function monotonic() {
    return perf && typeof perf.now === "function" ? perf.now() : Date.now();
  }

  function epochMs(relative) {
    return round(timeOrigin() + relative);
  }

  function round(value) {
    return Math.round(value * 10) / 10;
  }

  function duration(value) {
    var ms = Number(value);
    if (!isFinite(ms) || ms < 0) {
      return 0;
    }
    return Math.min(round(ms), MAX_DURATION_MS);
  }

  function text(value, limit) {
    var result;
    try {
      result = value === null || value === undefined ? "" : String(value);
    } catch (error) {
      result = "";
    }
    return limit && result.length > limit ? result.slice(0, limit) : result;
  }

  function withoutQuery(url) {
    return text(url).split(/[?#]/)[0];
  }

  function cleanWorkflowType(type) {
    var cleaned = text(type).replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 64);
    return WORKFLOW_TYPE.test(cleaned) ? cleaned : "";
  }

  function utf8Length(string) {
    var bytes = 0;
    for (var i = 0; i < string.length; i += 1) {
      var code = string.charCodeAt(i);
      if (code < 0x80) {
        bytes += 1;
      } else if (code < 0x800) {
        bytes += 2;
      } else if (code >= 0xd800 && code < 0xdc00) {
        bytes += 4; // a surrogate pair
        i += 1;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  function resolveUrl(value) {
    return new URL(text(value), document.baseURI || global.location.href);
  }

  // ---------------------------------------------------------------- configuration

  function scriptOptions(script) {
    if (!script || typeof script.getAttribute !== "function") {
      return {};
    }
    var options = {};
    var url = script.getAttribute("data-ingest-url");
    var key = script.getAttribute("data-ingest-key");
    var interval = script.getAttribute("data-flush-interval-ms");
    var retryWindow = script.getAttribute("data-retry-window-ms");
    var propagate = script.getAttribute("data-propagate-to");
    var release = script.getAttribute("data-release");
    if (release) {
      options.release = release;
    }
    if (url) {
      options.ingestUrl = url;
    }
    if (key) {
      options.ingestKey = key;
    }
    if (interval) {
      options.flushIntervalMs = Number(interval);
    }
    if (propagate) {
      options.propagateTo = propagate.split(/[\s,]+/).filter(Boolean);
    }
    if (retryWindow) {
      options.retryWindowMs = Number(retryWindow);
    }
    return options;
  }

  function normalizeTargets(list) {
    var targets = [];
    var items = Array.isArray(list) ? list : [list];
    for (var i = 0; i < items.length; i += 1) {
      var item = items[i];
      if (item instanceof RegExp) {
        targets.push(item);
      } else if (item) {
        try {
          targets.push(resolveUrl(item).origin);
        } catch (error) {
          // not a URL: ignored
        }
      }
    }
    return targets;
  }

  function init(options) {
    options = options || {};
    if (options.ingestUrl !== undefined) {
      config.ingestUrl = text(options.ingestUrl);
      ingest = null;
      if (config.ingestUrl) {
        try {
          var url = resolveUrl(config.ingestUrl);
          ingest = { href: url.href, origin: url.origin, pathname: url.pathname };
        } catch (error) {
          ingest = null;
        }
      }
    }
    if (options.ingestKey !== undefined) {
      config.ingestKey = text(options.ingestKey);
    }
    if (options.flushIntervalMs !== undefined) {
      var interval = Number(options.flushIntervalMs);
      if (isFinite(interval) && interval > 0) {
        config.flushIntervalMs = Math.max(50, Math.min(interval, 600000));
      }
    }
    if (options.propagateTo !== undefined) {
      config.propagateTo = normalizeTargets(options.propagateTo);
    }
    if (options.pageWorkflowType !== undefined) {
      config.pageWorkflowType = cleanWorkflowType(options.pageWorkflowType);
    }
    if (options.release !== undefined) {
      config.release = text(options.release).slice(0, 64);
    }
    if (options.retryWindowMs !== undefined) {
      var retryWindow = Number(options.retryWindowMs);
      if (isFinite(retryWindow) && retryWindow >= 0) {
        config.retryWindowMs = retryWindow;
      }
    }
    scheduleFlush();
    return api;
  }

  // ---------------------------------------------------------------- journey

  /** One id per browser session, kept in a session cookie so that page renders carry it to
   * the server too: every workflow of the session joins the same journey. */
  function journey() {
    try {
      var pairs = (document.cookie || "").split(";");
      for (var i = 0; i < pairs.length; i += 1) {
        var pair = pairs[i].replace(/^\s+/, "").split("=");
        if (pair[0] === JOURNEY_COOKIE && JOURNEY_ID.test(pair[1] || "")) {
          return pair[1];
        }
      }
      var id = randomHex(16);
      var secure = global.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = JOURNEY_COOKIE + "=" + id + "; path=/; SameSite=Lax" + secure;
      return id;
    } catch (error) {
      stats.internal_errors += 1;
      return randomHex(16);
    }
  }

  function renderCorrelationId() {
    try {
      var entry = perf && perf.getEntriesByType && perf.getEntriesByType("navigation")[0];
      var timings = (entry && entry.serverTiming) || [];
      for (var i = 0; i < timings.length; i += 1) {
        if (timings[i].name === "flowscope" && CORRELATION_ID.test(timings[i].description)) {
          return timings[i].description;
        }
      }
    } catch (error) {
      stats.internal_errors += 1;
    }
    return "";
  }

  // ---------------------------------------------------------------- retries

  function sessionStore() {
    try {
      return global.sessionStorage || null;
    } catch (error) {
      return null; // storage refused (a sandboxed frame, a privacy setting)
    }
  }

  function rememberFailure(state) {
    failedWorkflow = {
      journey: journeyId,
      type: state.workflowType,
      correlationId: state.correlationId,
      attempt: state.attempt,
      failedAt: Date.now(),
    };
    var store = sessionStore();
    try {
      if (store) {
        store.setItem(RETRY_KEY, JSON.stringify(failedWorkflow));
      }
    } catch (error) {
      // kept in memory only
    }
  }

  function forgetFailure() {
    failedWorkflow = null;
    var store = sessionStore();
    try {
      if (store) {
        store.removeItem(RETRY_KEY);
      }
    } catch (error) {
      // nothing kept there
    }
  }

  /** The failed workflow a new one of ``type`` continues, or null; forgotten either way:
   * the retry is the workflow now, and it is remembered again if it fails again. */
  function takeFailure(type) {
    var failed = failedWorkflow;
    var store = sessionStore();
    if (!failed && store) {
      try {
        failed = JSON.parse(store.getItem(RETRY_KEY) || "null");
      } catch (error) {
        failed = null;
      }
    }
    forgetFailure();
    if (
      !failed ||
      failed.journey !== journeyId ||
      failed.type !== type ||
      !CORRELATION_ID.test(text(failed.correlationId)) ||
      !(Date.now() - failed.failedAt <= config.retryWindowMs)
    ) {
      return null;
    }
    return failed;
  }

  // ---------------------------------------------------------------- workflows

  function handleFor(state) {
    return {
      correlationId: state.correlationId,
      workflowType: state.workflowType,
      attempt: state.attempt, // 1, or more for a retry continuing a failed workflow
      complete: function (metadata) {
        return completeWorkflow(state, metadata);
      },
      end: function () {
        if (failedWorkflow && failedWorkflow.correlationId === state.correlationId) {
          forgetFailure(); // abandoned: not continued
        }
        endState(state, "ended");
      },
      isActive: function () {
        return state.status === "active";
      },
    };
  }

  function announce(state) {
    try {
      if (typeof global.CustomEvent === "function") {
        global.dispatchEvent(
          new global.CustomEvent("flowscope:workflow", {
            detail: {
              correlationId: state.correlationId,
              workflowType: state.workflowType,
              status: state.status,
            },
          })
        );
      }
    } catch (error) {
      stats.internal_errors += 1;
    }
  }

  function startWorkflow(type) {
    if (active) {
      endState(active, "ended"); // abandoned: the server times it out
    }
    var workflowType = cleanWorkflowType(type);
    var retried = takeFailure(workflowType);
    var state = {
      correlationId: retried ? retried.correlationId : randomHex(16),
      workflowType: workflowType,
      attempt: retried ? (retried.attempt || 1) + 1 : 1,
      startedAt: monotonic(),
      status: "active",
      lastFetchFailed: false,
    };
    state.handle = handleFor(state);
    active = state;
    announce(state);
    return state.handle;
  }

  function currentWorkflow() {
    return active ? active.handle : null;
  }

  function endState(state, status) {
    if (state.status !== "active") {
      return;
    }
    state.status = status;
    if (active === state) {
      active = null;
    }
    announce(state);
  }

  /** The active workflow is abandoned, and a failed one is not continued. */
  function endWorkflow() {
    forgetFailure();
    if (active) {
      endState(active, "ended");
    }
  }

  function completeWorkflow(state, metadata) {
    if (state.status !== "active") {
      return flush();
    }
    var extra = metadata && typeof metadata === "object" ? metadata : {};
    var details = { kind: "workflow", workflow_duration_ms: duration(monotonic() - state.startedAt) };
    for (var key in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, key) && !(key in details)) {
        details[key] = extra[key];
      }
    }
    if (state.lastFetchFailed) {
      rememberFailure(state);
    } else {
      forgetFailure();
    }
    enqueue(
      withWorkflow(state, {
        type: "step",
        name: "workflow.complete",
        started_at: epochMs(monotonic()),
        duration_ms: 0,
        status: "ok",
        span_id: randomHex(8),
        complete: true,
        metadata: details,
      })
    );
    endState(state, "completed");
    return flush();
  }

  function withWorkflow(state, event) {
    event.correlation_id = state.correlationId;
    if (state.workflowType) {
      event.workflow_type = state.workflowType;
    }
    return event;
  }

  /** Page-level events belong to the active workflow, else to the page's own ID. */
  function forPage(event) {
    if (active) {
      return withWorkflow(active, event);
    }
    event.correlation_id = pageCorrelationId;
    if (config.pageWorkflowType) {
      event.workflow_type = config.pageWorkflowType;
    }
    return event;
  }

  // ---------------------------------------------------------------- queue and sending

  function enqueue(event) {
    event.journey_id = journeyId;
    if (config.release) {
      event.release = config.release;
    }
    queue.push(event);
    stats.queued += 1;
    while (queue.length > MAX_QUEUE) {
      queue.shift();
      stats.dropped += 1;
    }
    scheduleFlush();
  }

  function scheduleFlush() {
    if (flushTimer !== null || !ingest || !queue.length) {
      return;
    }
    flushTimer = global.setTimeout(
      guard(function () {
        flushTimer = null;
        flush();
      }),
      config.flushIntervalMs
    );
  }

  /** The queued events as request bodies of at most MAX_BATCH_EVENTS / MAX_BATCH_BYTES. */
  function toBatches(events) {
    var batches = [];
    var parts = [];
    var bytes = 0;
    function close() {
      if (parts.length) {
        batches.push({
          body: '{"events":[' + parts.join(",") + "]}",
          count: parts.length,
          bytes: bytes + 13,
        });
      }
      parts = [];
      bytes = 0;
    }
    for (var i = 0; i < events.length; i += 1) {
      var json;
      try {
        json = JSON.stringify(events[i]);
      } catch (error) {
        stats.dropped += 1; // e.g. circular metadata
        continue;
      }
      var size = utf8Length(json) + 1;
      if (parts.length && (parts.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES)) {
        close();
      }
      parts.push(json);
      bytes += size;
    }
    close();
    return batches;
  }

  function countAnswer(batch, response) {
    // The body is read to its end in every case: until then the browser counts the request
    // as in flight, and keepalive requests in flight may not carry more than 64 KB together.
    return response.text().then(
      function (body) {
        if (response.status === 202) {
          stats.sent += batch.count;
        } else if (response.status === 400) {
          // Some events were invalid; the valid ones were accepted all the same.
          var accepted = 0;
          try {
            accepted = JSON.parse(body).accepted;
          } catch (error) {
            accepted = 0;
          }
          accepted = typeof accepted === "number" ? Math.min(accepted, batch.count) : 0;
          stats.sent += accepted;
          stats.rejected += batch.count - accepted;
        } else {
          stats.failed += batch.count;
        }
      },
      function () {
        stats[response.status === 202 ? "sent" : "failed"] += batch.count;
      }
    );
  }

  function post(batch, withoutKeepalive) {
    if (!originalFetch) {
      if (!beacon(batch)) {
        stats.failed += batch.count;
      }
      return Promise.resolve();
    }
    // keepalive lets the request outlive the page; it is refused beyond 64 KB in flight.
    var keepalive = !withoutKeepalive && batch.bytes <= MAX_BATCH_BYTES;
    var request;
    try {
      request = originalFetch.call(global, ingest.href, {
        method: "POST",
        keepalive: keepalive,
        headers: { "Content-Type": "application/json", "X-Flowscope-Key": config.ingestKey },
        body: batch.body,
      });
    } catch (error) {
      request = Promise.reject(error);
    }
    return Promise.resolve(request)
      .then(
        function (response) {
          return countAnswer(batch, response);
        },
        function () {
          // Maybe only the keepalive quota was used up (other requests in flight): while the
          // page is still shown, one more try without keepalive. Otherwise the batch is lost.
          if (keepalive && document.visibilityState === "visible") {
            return post(batch, true);
          }
          stats.failed += batch.count;
          return undefined;
        }
      )
      .then(noop, noop);
  }

  /**
   * Send everything queued now. The promise resolves (never rejects) when this and every
   * earlier send has been answered, with a copy of Flowscope.stats.
   */
  function flush() {
    try {
      if (flushTimer !== null) {
        global.clearTimeout(flushTimer);
        flushTimer = null;
      }
      if (ingest && queue.length) {
        var batches = toBatches(queue.splice(0, queue.length));
        var sendAll = function () {
          return batches.reduce(function (previous, batch) {
            return previous.then(function () {
              return post(batch);
            });
          }, Promise.resolve());
        };
        sending = sending.then(sendAll, sendAll).then(noop, noop);
      }
    } catch (error) {
      stats.internal_errors += 1;
    }
    return sending.then(function () {
      return snapshot();
    });
  }

  function beaconUrl() {
    var separator = ingest.href.indexOf("?") === -1 ? "?" : "&";
    return ingest.href + separator + "key=" + encodeURIComponent(config.ingestKey);
  }

  function beacon(batch) {
    var handed = false;
    try {
      if (global.navigator && typeof global.navigator.sendBeacon === "function") {
        // text/plain: a beacon with another type would need a CORS preflight.
        var blob = new Blob([batch.body], { type: "text/plain;charset=UTF-8" });
        handed = global.navigator.sendBeacon(beaconUrl(), blob);
      }
    } catch (error) {
      handed = false;
    }
    if (handed) {
      stats.beaconed += batch.count;
    }
    return handed;
  }

  /** The page is going away (or hidden, maybe for good): hand everything to sendBeacon. */
  function flushOnHide() {
    reportLcp();
    if (flushTimer !== null) {
      global.clearTimeout(flushTimer);
      flushTimer = null;
    }
    if (!ingest || !queue.length) {
      return;
    }
    var batches = toBatches(queue.splice(0, queue.length));
    for (var i = 0; i < batches.length; i += 1) {
      if (!beacon(batches[i])) {
        post(batches[i]); // a keepalive request may still get out
      }
    }
  }

  function snapshot() {
    var copy = {};
    for (var key in stats) {
      if (Object.prototype.hasOwnProperty.call(stats, key)) {
        copy[key] = stats[key];
      }
    }
    copy.queue_length = queue.length;
    return copy;
  }

  // ---------------------------------------------------------------- fetch

  function propagatesTo(url) {
    if (url.origin === global.location.origin) {
      return true;
    }
    for (var i = 0; i < config.propagateTo.length; i += 1) {
      var target = config.propagateTo[i];
      if (target instanceof RegExp ? target.test(url.href) : target === url.origin) {
        return true;
      }
    }
    return false;
  }

  function isIngest(url) {
    return !!ingest && url.origin === ingest.origin && url.pathname === ingest.pathname;
  }

  /** What a fetch is to carry and record, or null to leave it exactly as it is. */
  function prepare(input, init) {
    var state = active;
    if (!state) {
      return null;
    }
    var isRequest = typeof Request === "function" && input instanceof Request;
    var url = resolveUrl(isRequest ? input.url : input);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || isIngest(url)) {
      return null;
    }
    if (!propagatesTo(url)) {
      return null;
    }
    var hasInit = init !== null && init !== undefined;
    var mode = (hasInit && init.mode) || (isRequest ? input.mode : "cors");
    if (mode === "no-cors") {
      return null; // custom headers are not allowed on a no-cors request
    }
    var method = text((hasInit && init.method) || (isRequest ? input.method : "GET")).toUpperCase();
    var source = hasInit && init.headers !== undefined ? init.headers : isRequest ? input.headers : undefined;
    var headers = new Headers(source);
    if (headers.has("traceparent") || headers.has("x-correlation-id")) {
      return null; // the caller traces this request itself
    }
    var spanId = randomHex(8);
    headers.set("X-Correlation-ID", state.correlationId);
    if (state.workflowType) {
      headers.set("X-Workflow-Type", state.workflowType);
    }
    headers.set("traceparent", "00-" + state.correlationId + "-" + spanId + "-" + TRACEPARENT_FLAGS);
    headers.set("X-Flowscope-Journey", journeyId);
    var newInit = {};
    if (hasInit) {
      for (var key in init) {
        newInit[key] = init[key];
      }
      for (var i = 0; i < FETCH_INIT_KEYS.length; i += 1) {
        if (FETCH_INIT_KEYS[i] in init) {
          newInit[FETCH_INIT_KEYS[i]] = init[FETCH_INIT_KEYS[i]];
        }
      }
    }
    newInit.headers = headers;
    return {
      state: state,
      init: newInit,
      spanId: spanId,
      method: method,
      url: url,
      start: monotonic(),
    };
  }

  function recordFetch(traced, response, error) {
    var url = traced.url;
    var statusCode = response ? response.status : 0;
    // As the API step it sent: a 4xx (a declined card, a bad form) is a failed step too.
    var failed = !response || statusCode >= 400;
    var metadata = {
      kind: "fetch",
      method: traced.method,
      url: url.pathname + url.search,
      status_code: statusCode,
    };
    if (url.origin !== global.location.origin) {
      metadata.origin = url.origin;
    }
    if (error) {
      metadata.error = text(error ? error.name : "", 100) || "Error";
    }
    traced.state.lastFetchFailed = failed;
    enqueue(
      withWorkflow(traced.state, {
        type: "step",
        name: (traced.method + " " + url.pathname).slice(0, MAX_NAME),
        started_at: epochMs(traced.start),
        duration_ms: duration(monotonic() - traced.start),
        status: failed ? "error" : "ok",
        span_id: traced.spanId,
        complete: false,
        metadata: metadata,
      })
    );
  }

  function wrappedFetch(input, init) {
    var traced = null;
    try {
      traced = prepare(input, init);
    } catch (error) {
      traced = null;
      stats.internal_errors += 1;
    }
    if (!traced) {
      return originalFetch.apply(this, arguments);
    }
    var promise = originalFetch.call(this, input, traced.init);
    try {
      // A side branch: the page gets the original promise, its response and its errors.
      promise.then(
        guard(function (response) {
          recordFetch(traced, response, null);
        }),
        guard(function (error) {
          recordFetch(traced, null, error || new Error("fetch failed"));
        })
      );
    } catch (error) {
      stats.internal_errors += 1;
    }
    return promise;
  }

  // ---------------------------------------------------------------- errors

  function reportError(error, fallbackType, fallbackMessage, details) {
    if (errorCount >= MAX_ERRORS) {
      stats.dropped += 1;
      return;
    }
    var isObject = error !== null && (typeof error === "object" || typeof error === "function");
    var errorType = text(isObject ? error.name : "", 255) || fallbackType;
    var message =
      text(isObject ? error.message : "", MAX_MESSAGE) || text(fallbackMessage, MAX_MESSAGE);
    var key = errorType + "\u0000" + message;
    errorsSeen[key] = (errorsSeen[key] || 0) + 1;
    if (errorsSeen[key] > MAX_SAME_ERROR) {
      stats.dropped += 1;
      return;
    }
    errorCount += 1;
    var metadata = { url: global.location.pathname + global.location.search };
    for (var name in details) {
      if (Object.prototype.hasOwnProperty.call(details, name)) {
        metadata[name] = details[name];
      }
    }
    enqueue(
      forPage({
        type: "error",
        error_type: errorType,
        message: message,
        stack: text(isObject ? error.stack : "", MAX_STACK),
        severity: "error",
        started_at: Date.now(),
        metadata: metadata,
      })
    );
  }

  function onError(event) {
    if (!event || (typeof ErrorEvent === "function" && !(event instanceof ErrorEvent))) {
      return; // a resource that failed to load, not a script error
    }
    reportError(event.error, "Error", event.message || "Script error.", {
      source: "onerror",
      filename: withoutQuery(event.filename),
      lineno: event.lineno || 0,
      colno: event.colno || 0,
    });
  }

  function onUnhandledRejection(event) {
    var reason = event ? event.reason : undefined;
    var message;
    if (reason === null || typeof reason !== "object") {
      message = text(reason, MAX_MESSAGE);
    } else {
      try {
        message = JSON.stringify(reason).slice(0, MAX_MESSAGE);
      } catch (error) {
        message = "";
      }
    }
    reportError(reason, "UnhandledRejection", message || "A promise was rejected and not handled.", {
      source: "unhandledrejection",
    });
  }

  // ---------------------------------------------------------------- page timings

  var lcpEntry = null;
  var lcpObserver = null;
  var lcpReported = false;
  var hiddenAtStart = document.visibilityState === "hidden";

  function reportNavigation() {
    if (!perf || typeof perf.getEntriesByType !== "function") {
      return;
    }
    var entry = perf.getEntriesByType("navigation")[0];
    if (!entry) {
      return;
    }
    var end = entry.loadEventEnd > 0 ? entry.loadEventEnd : entry.responseEnd;
    var event = forPage({
      type: "step",
      name: "page.navigation",
      started_at: epochMs(entry.startTime || 0),
      duration_ms: duration(end - (entry.startTime || 0)),
      status: "ok",
      span_id: randomHex(8),
      metadata: {
        kind: "navigation",
        url: global.location.pathname + global.location.search,
        navigation_type: text(entry.type, 50),
        ttfb: round(entry.responseStart || 0),
        dom_content_loaded: round(entry.domContentLoadedEventEnd || 0),
        dom_interactive: round(entry.domInteractive || 0),
        load_event_end: round(entry.loadEventEnd || 0),
        transfer_size: entry.transferSize || 0,
      },
    });
    // A page load outside any workflow is a small workflow of its own, over once loaded.
    event.complete = event.correlation_id === pageCorrelationId;
    enqueue(event);
  }

  function vital(name, value, metadata) {
    enqueue(
      forPage({
        type: "vital",
        name: name,
        value: duration(value),
        started_at: Date.now(),
        metadata: metadata || {},
      })
    );
  }

  /** LCP is final at the first input or when the page is hidden: reported once, then. */
  function reportLcp() {
    if (lcpReported || !lcpObserver) {
      return;
    }
    try {
      var pending = lcpObserver.takeRecords ? lcpObserver.takeRecords() : [];
      if (pending.length) {
        lcpEntry = pending[pending.length - 1];
      }
      lcpObserver.disconnect();
    } catch (error) {
      stats.internal_errors += 1;
    }
    lcpReported = true;
    if (lcpEntry) {
      vital("LCP", lcpEntry.startTime, {
        element: lcpEntry.element ? text(lcpEntry.element.tagName, 50).toLowerCase() : "",
        size: lcpEntry.size || 0,
        resource: /^data:/i.test(text(lcpEntry.url)) ? "data:" : text(withoutQuery(lcpEntry.url), 500),
      });
    }
  }

  function observeVitals() {
    if (hiddenAtStart || typeof PerformanceObserver !== "function") {
      return; // a page loaded in the background has no meaningful paint timings
    }
    try {
      lcpObserver = new PerformanceObserver(
        guard(function (list) {
          var entries = list.getEntries();
          if (entries.length) {
            lcpEntry = entries[entries.length - 1];
          }
        })
      );
      lcpObserver.observe({ type: "largest-contentful-paint", buffered: true });
      var onInput = guard(reportLcp);
      global.addEventListener("pointerdown", onInput, { once: true, capture: true });
      global.addEventListener("keydown", onInput, { once: true, capture: true });
    } catch (error) {
      lcpObserver = null; // this browser has no LCP
    }
    try {
      var paintObserver = new PerformanceObserver(
        guard(function (list) {
          var entries = list.getEntries();
          for (var i = 0; i < entries.length; i += 1) {
            if (entries[i].name === "first-contentful-paint") {
              vital("FCP", entries[i].startTime, {});
              paintObserver.disconnect();
              return;
            }
          }
        })
      );
      paintObserver.observe({ type: "paint", buffered: true });
    } catch (error) {
      // this browser has no paint timing
    }
  }

  // ---------------------------------------------------------------- install

  var api = {
    version: VERSION,
    init: guard(init),
    startWorkflow: function (type) {
      try {
        return startWorkflow(type);
      } catch (error) {
        stats.internal_errors += 1;
        // A handle that does nothing, so the page's code goes on working.
        return {
          correlationId: "", workflowType: "", attempt: 1, complete: flush, end: noop, isActive: noop,
        };
      }
    },
    currentWorkflow: guard(currentWorkflow),
    endWorkflow: guard(endWorkflow),
    flush: flush,
    stats: stats,
  };
  Object.defineProperty(api, "pageCorrelationId", {
    enumerable: true,
    get: function () {
      return pageCorrelationId;
    },
  });
  Object.defineProperty(api, "journeyId", {
    enumerable: true,
    get: function () {
      return journeyId;
    },
  });

  try {
    if (originalFetch) {
      global.fetch = wrappedFetch;
    }
    global.addEventListener("error", guard(onError));
    global.addEventListener("unhandledrejection", guard(onUnhandledRejection));
    global.addEventListener("pagehide", guard(flushOnHide));
    document.addEventListener(
      "visibilitychange",
      guard(function () {
        if (document.visibilityState === "hidden") {
          flushOnHide();
        }
      })
    );
    if (document.readyState === "complete") {
      global.setTimeout(guard(reportNavigation), 0);
    } else {
      // After the load event's handlers, so that loadEventEnd is known.
      global.addEventListener("load", function () {
        global.setTimeout(guard(reportNavigation), 0);
      });
    }
    observeVitals();
  } catch (error) {
    stats.internal_errors += 1;
  }

  global.Flowscope = api;
  init(scriptOptions(currentScript || document.querySelector("script[data-ingest-url]")));
})();
