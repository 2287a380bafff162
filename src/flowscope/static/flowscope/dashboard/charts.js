// Small inline-SVG charts, drawn by hand: a sparkline, a line chart with an axis, bars.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function scale(values, lo, hi) {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  return (v) => hi - ((v - min) / span) * (hi - lo);
}

export function sparkline(values, { width = 120, height = 28, label = "trend" } = {}) {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "sparkline", role: "img" });
  root.append(Object.assign(svg("title"), { textContent: label }));
  root.append(svg("line", { x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5, class: "spark-base" }));
  if (!values.length) return root;
  const max = Math.max(...values, 1);
  const step = width / values.length;
  values.forEach((v, i) => {
    const barHeight = v ? Math.max(2, (v / max) * (height - 2)) : 0;
    root.append(svg("rect", {
      x: (i * step + 0.5).toFixed(1), y: (height - barHeight).toFixed(1),
      width: Math.max(1, step - 1).toFixed(1), height: barHeight.toFixed(1), class: "spark-bar",
    }));
  });
  return root;
}

// points: [{t: Date|string, v: number|null}]
export function lineChart(points, { height = 140, format = String, label = "chart", threshold } = {}) {
  const width = 480;
  const pad = { l: 44, r: 8, t: 10, b: 20 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "linechart", role: "img" });
  root.append(Object.assign(svg("title"), { textContent: label }));
  const data = points.filter((p) => p.v !== null && p.v !== undefined);
  if (!data.length) return root;
  const times = data.map((p) => new Date(p.t).getTime());
  const values = data.map((p) => p.v);
  if (threshold !== undefined) values.push(threshold);
  values.push(0);
  const y = scale(values, pad.t, height - pad.b);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (width - pad.l - pad.r);
  const max = Math.max(...values);
  for (const v of [0, max / 2, max]) {
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v), class: "grid" }));
    const text = svg("text", { x: pad.l - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" });
    text.textContent = format(v);
    root.append(text);
  }
  if (threshold !== undefined) {
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(threshold), y2: y(threshold), class: "threshold" }));
  }
  const path = data.map((p, i) => `${i ? "L" : "M"}${x(times[i]).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const area = `${path} L${x(times[times.length - 1]).toFixed(1)},${y(0)} L${x(times[0]).toFixed(1)},${y(0)} Z`;
  root.append(svg("path", { d: area, class: "area" }), svg("path", { d: path, class: "line" }));
  if (data.length === 1) root.append(svg("circle", { cx: x(times[0]), cy: y(data[0].v), r: 3, class: "dot" }));
  for (const [t, anchor] of [[t0, "start"], [t1, "end"]]) {
    const text = svg("text", { x: x(t), y: height - 4, class: "axis", "text-anchor": anchor });
    text.textContent = new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    root.append(text);
  }
  return root;
}
