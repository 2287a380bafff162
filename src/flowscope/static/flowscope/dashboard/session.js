// The end of the signed-in session, however the page learns of it: an API call answered
// 401/403 for want of credentials, or a socket closed 4401 (signed out) or 4403 (no longer
// allowed). The page stops claiming to be live and offers the way back: the login page,
// whose `next` is this very view (its #route included), kept current as the user moves.

import { h } from "./dom.js";

const AUTH_CODES = new Set(["not_authenticated", "authentication_failed"]);
const listeners = new Set();
let ended = false;

export function endsSession(status, body) {
  return status === 401 || (status === 403 && AUTH_CODES.has(body && body.code));
}

export function sessionHasEnded() {
  return ended;
}

// Called once when the session ends; returns the way to stop listening.
export function onSessionEnded(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function loginAgainUrl() {
  const target = new URL(document.getElementById("app").dataset.loginUrl, location.origin);
  target.searchParams.set("next", location.pathname + location.search + location.hash);
  return target.origin === location.origin ? target.pathname + target.search : target.href;
}

// `refused`: the user is signed in but may no longer watch (the socket's 4403).
export function sessionEnded({ refused = false } = {}) {
  if (ended) return;
  ended = true;
  const link = h("a", { href: loginAgainUrl(), "data-testid": "login-again", text: "log in again" });
  const follow = () => link.setAttribute("href", loginAgainUrl());
  window.addEventListener("hashchange", follow);
  const lead = refused ? "This account may no longer see the dashboard" : "Your session has ended";
  document.getElementById("main").prepend(
    h("p", { class: "alert session-ended", role: "alert", "data-testid": "session-ended" }, `${lead} — `, link));
  for (const listener of [...listeners]) listener();
}
