// Small DOM helpers. Captured data is only ever put into the page as text (textContent),
// never as markup: a message or an SQL string cannot inject anything. Styles go through
// the CSSOM (`style: { left: "10%" }`), never a style attribute: the page's
// Content-Security-Policy allows no inline style.

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export const fmt = {
  ms(value) {
    if (value === null || value === undefined) return "—";
    if (value >= 10000) return `${(value / 1000).toFixed(1)} s`;
    if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
    if (value >= 100) return `${Math.round(value)} ms`;
    return `${Number(value).toFixed(1)} ms`;
  },
  pct(value) {
    if (value === null || value === undefined) return "—";
    return `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;
  },
  num(value, digits = 1) {
    if (value === null || value === undefined) return "—";
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
  },
  time(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    return date.toLocaleString(undefined, {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  },
  ago(iso) {
    if (!iso) return "—";
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 60) return `${Math.round(seconds)} s ago`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} d ago`;
  },
  short(id) {
    return id && id.length > 14 ? `${id.slice(0, 12)}…` : id || "—";
  },
};

export function badge(value, kind = "status") {
  return h("span", { class: `badge ${kind}-${value || "unknown"}`, text: value || "unknown" });
}

export function timeEl(iso, relative = true) {
  return h("time", { datetime: iso || "", title: fmt.time(iso), text: relative ? fmt.ago(iso) : fmt.time(iso) });
}

export function panel(title, body, { actions, id, testid, wide } = {}) {
  return h(
    "section",
    { class: `panel${wide ? " wide" : ""}`, id, "data-testid": testid, "aria-labelledby": id ? `${id}-title` : null },
    h("header", { class: "panel-head" }, h("h2", { id: id ? `${id}-title` : null, text: title }), actions || null),
    body,
  );
}

export function emptyState(title, ...body) {
  return h("div", { class: "empty", "data-testid": "empty-state" }, h("p", { class: "empty-title", text: title }), ...body);
}

export function code(text) {
  return h("code", { text });
}

export function json(value) {
  return h("pre", { class: "json", text: JSON.stringify(value, null, 2) });
}

export function table(columns, rows, { testid, caption, empty = "Nothing yet." } = {}) {
  if (!rows.length) return h("p", { class: "muted", text: empty });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { "data-testid": testid },
      caption ? h("caption", { class: "sr-only", text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.class, text: c.label })))),
      h("tbody", {}, rows.map((row) => h("tr", { dataset: row.__dataset || {} }, columns.map((c) => h("td", { class: c.class }, c.render(row)))))),
    ),
  );
}

export function notFound(what, listHash) {
  return h("div", { class: "empty", role: "alert", "data-testid": "not-found" },
    h("p", { class: "empty-title", text: `${what} not found` }),
    h("p", { class: "muted", text: "It may have been pruned, or the link is wrong." }),
    h("p", {}, h("a", { href: listHash, text: "Back to the list" })));
}

export function errorBox(error) {
  return h("div", { class: "alert", role: "alert" }, `Could not load: ${error.message || error}`);
}
