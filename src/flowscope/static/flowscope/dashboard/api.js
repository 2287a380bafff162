// The dashboard API, with the session cookie and Django's CSRF token.

import { endsSession, sessionEnded } from "./session.js";

const root = document.getElementById("app").dataset.apiRoot;
const csrf = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  // The API answers errors as JSON; anything else (a proxy's or a server's HTML page) is
  // named by its status alone, never shown as it came.
  constructor(status, body, statusText = "") {
    const detail = body && typeof body === "object" ? body.detail || JSON.stringify(body) : statusText;
    super(`${status}: ${detail || "request failed"}`);
    this.status = status;
    this.body = body;
  }
}

export function url(path, query) {
  const target = new URL(root + path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== "" && value !== null && value !== undefined) target.searchParams.set(key, value);
  }
  return target.pathname + target.search;
}

export async function api(path, { method = "GET", query, body, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, query), {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (ignored) {
    // not JSON: keep the text
  }
  if (!response.ok) {
    if (endsSession(response.status, data)) sessionEnded();
    throw new ApiError(response.status, data, response.statusText);
  }
  return data;
}
