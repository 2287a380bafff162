// A WebSocket that stays up: reconnects with exponential backoff (and jitter), and while it
// is down — and once when it comes back, or when the server says its live events had a
// gap ("live_resumed") — catches up over HTTP, so no event is lost.
//
// States: "connecting", "live" (socket open), "reconnecting" (socket down, no catch-up
// yet), "polling" (socket down, data still arriving over HTTP), "off" (the server has no
// live updates, `offReason` says why: data arrives over HTTP, no socket is tried again),
// "offline" (neither works), "signed-out" (the session ended: nothing is tried again;
// session.js shows the way back to the login).
//
// Where the server has no sockets (served over WSGI), { sockets: false } never opens one
// and polls from the start.

import { onSessionEnded, sessionEnded, sessionHasEnded } from "./session.js";

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const POLL_MS = 5000;

export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export class LiveConnection {
  // onMessage(message), onState(state), catchUp() → Promise of messages (may be empty);
  // offReason: why the server has no live updates, when the page already knows.
  constructor(path, { onMessage, onState, catchUp, sockets = true, offReason = "" }) {
    this.path = path;
    this.sockets = sockets;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.catchUp = catchUp;
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.state = "connecting";
    this.timers = {};
    this.pollMs = POLL_MS;
    this.offReason = offReason;
  }

  start() {
    if (sessionHasEnded()) {
      this.setState("signed-out");
      return this;
    }
    this.stopped = false;
    this.forgetSession = onSessionEnded(() => {
      this.stop();
      this.setState("signed-out");
    });
    if (this.offReason) this.pollOnly(this.offReason);
    else if (this.sockets) this.connect();
    else this.startPolling();
    return this;
  }

  startPolling() {
    this.poll();
    clearInterval(this.timers.poll);
    this.timers.poll = setInterval(() => this.poll(), this.pollMs);
  }

  // The server has no live updates (no channel layer): poll, and try no socket again.
  pollOnly(reason) {
    this.offReason = reason;
    clearTimeout(this.timers.reconnect);
    this.setState("off");
    if (!this.timers.poll && this.catchUp) this.startPolling();
  }

  stop() {
    this.stopped = true;
    if (this.forgetSession) this.forgetSession();
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.poll);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  connect() {
    let socket;
    try {
      socket = new WebSocket(socketUrl(this.path));
    } catch (error) {
      this.dropped();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      const recovering = this.attempt > 0;
      this.attempt = 0;
      clearInterval(this.timers.poll);
      this.timers.poll = null;
      this.setState("live");
      if (recovering) this.poll(); // what happened while the socket was down
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (ignored) {
        return;
      }
      if (message.type === "live_resumed") {
        // The server's channel layer failed or forgot the socket's groups, and the socket
        // is back in them: catch up on what the gap cost.
        this.poll();
        return;
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (event.code === 4401 || event.code === 4403) {
        sessionEnded({ refused: event.code === 4403 }); // retrying will not help
        return;
      }
      if (event.code === 4503) {
        this.pollOnly(event.reason || "not available on this server");
        return;
      }
      this.dropped();
    });
  }

  dropped() {
    this.setState(this.timers.poll ? this.state : "reconnecting");
    if (!this.timers.poll && this.catchUp) this.startPolling();
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), delay * (0.8 + Math.random() * 0.4));
  }

  async poll() {
    if (!this.catchUp) return;
    try {
      const messages = await this.catchUp();
      for (const message of messages) this.onMessage(message);
      if (this.state !== "live" && !this.stopped) this.setState(this.offReason ? "off" : "polling");
    } catch (error) {
      if (this.state !== "live" && !this.stopped) this.setState("offline");
    }
  }
}

// A tiny event bus: views subscribe to message types while they are shown.
export class Bus {
  constructor() {
    this.handlers = new Map();
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type).delete(handler);
  }

  emit(message) {
    for (const handler of this.handlers.get(message.type) || []) {
      try {
        handler(message);
      } catch (error) {
        console.warn("flowscope dashboard: a live handler failed", error);
      }
    }
  }
}

// Runs `task` once for any number of calls while it waits or runs: the last call is always
// followed by a run that starts after it.
export function coalesced(task, delayMs) {
  let timer = null;
  let running = null;
  let again = false;
  const run = async () => {
    timer = null;
    running = task().catch(() => {}).finally(() => {
      running = null;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  const schedule = () => {
    if (running) again = true;
    else if (!timer) timer = setTimeout(run, delayMs);
  };
  schedule.cancel = () => clearTimeout(timer);
  return schedule;
}

// Reads a view's data again when the live feed says something it shows changed: once for a
// burst of messages (workflows end in bursts), never two reads at once. `concerns(message)`
// picks the messages that matter. The returned function stops it (the view's cleanup).
export function reloadOn(bus, type, concerns, task, delayMs) {
  const reload = coalesced(task, delayMs);
  const off = bus.on(type, (message) => {
    if (concerns(message)) reload();
  });
  return () => {
    off();
    reload.cancel();
  };
}
