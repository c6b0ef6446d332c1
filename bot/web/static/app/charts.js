// Small SVG charts drawn at the width they are given: lines over days or seconds, and bars.
// Colours come from CSS classes (line-<key>, swatch-<key>), so they follow the theme.

import { h, s, fill } from "./dom.js";
import { duration, round, shortDay } from "./format.js";

const DAY_MS = 86_400_000;
const MARGIN = { top: 12, right: 12, bottom: 26, left: 42 };

/** Tick values covering [min, max] at a 1, 2 or 5 × 10^n step, about `count` of them. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) {
    const pad = Math.abs(min) > 1 ? Math.abs(min) * 0.1 : 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((v) => v >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toFixed(10)));
  }
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function dayTicks(min, max, maxCount) {
  const days = (max - min) / DAY_MS;
  const step = [1, 2, 7, 14, 28, 56, 91].find((d) => days / d <= maxCount) || 182;
  const first = step >= 7 ? mondayAfter(min) : min;
  const ticks = [];
  for (let t = first; t <= max; t += step * DAY_MS) ticks.push(t);
  return ticks;
}

function mondayAfter(ms) {
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  return weekday === 0 ? ms : ms + (7 - weekday) * DAY_MS;
}

function secondTicks(min, max, maxCount) {
  const span = max - min;
  const steps = [60, 120, 300, 600, 900, 1200, 1800, 3600, 5400, 7200, 10800, 14400, 21600];
  const step = steps.find((v) => span / v <= maxCount) || 43200;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  return ticks;
}

/** Seconds into an activity: "1:20" (h:mm) when it lasts an hour or more, else "25 min". */
export function clock(seconds, hours = seconds >= 3600) {
  const m = Math.round(seconds / 60);
  if (!hours) return m + " min";
  return Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0");
}

function xLabel(kind, x, xMax) {
  return kind === "day" ? shortDay(x) : clock(x, xMax >= 3600);
}

/** The readout of the pointer's x: a day, or the time into the activity. */
function xReadout(kind, x) {
  return kind === "day" ? shortDay(x) : duration(x);
}

/** Labels near an edge are anchored inward so that they stay inside the chart. */
function anchor(x, left, right) {
  if (x > right - 24) return "end";
  if (x < left + 12) return "start";
  return "middle";
}

/** Index of the point whose x is nearest to `x` in points sorted by x. */
function nearest(points, x) {
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo][0] - x) <= Math.abs(points[hi][0] - x) ? lo : hi;
}

/** Path data with a gap wherever a value is missing. */
function pathOf(points, sx, sy) {
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += (pen ? "L" : "M") + sx(x).toFixed(1) + " " + sy(y).toFixed(1);
    pen = true;
  }
  return d;
}

/** Redraw `draw(width)` whenever the element's width changes. */
function sized(el, draw) {
  let last = 0;
  const redraw = (width) => {
    const w = Math.round(width);
    if (w > 0 && w !== last) {
      last = w;
      draw(w);
    }
  };
  if (typeof ResizeObserver === "function") {
    new ResizeObserver((entries) => redraw(entries[0].contentRect.width)).observe(el);
  } else {
    requestAnimationFrame(() => redraw(el.clientWidth || 600));
  }
}

function yAxis(ticks, sy, fmt, left, right) {
  return ticks.map((t) => s("g", { class: "tick" },
    s("line", { x1: left, x2: right, y1: sy(t), y2: sy(t), class: t === 0 ? "zero" : "grid" }),
    s("text", { x: left - 6, y: sy(t), dy: "0.32em", "text-anchor": "end" }, fmt(t))));
}

/**
 * A line chart. series: [{ key, name, points: [[x, y|null], ...], unit }], x in UTC-midnight ms
 * (xKind "day") or seconds (xKind "seconds"). The legend shows each line's latest value, or the
 * value under the pointer / keyboard cursor.
 */
export function lineChart({ label, series, xKind = "day", height = 220, zero = false, className = "" }) {
  const shown = series.filter((ser) => ser.points.some(([, y]) => y !== null && Number.isFinite(y)));
  const plot = h("div", { class: "chart-plot" });
  const values = new Map();
  const xOut = h("span", { class: "legend-x" });
  const legend = h("ul", { class: "legend" },
    h("li", { class: "legend-when" }, xOut),
    shown.map((ser) => {
      const value = h("strong", { class: "legend-value" });
      values.set(ser.key, value);
      return h("li", {}, h("span", { class: `swatch swatch-${ser.key}`, "aria-hidden": "true" }),
        h("span", { class: "legend-name" }, ser.name), " ", value);
    }));
  const el = h("figure", { class: `chart ${className}`.trim() }, plot, h("figcaption", {}, legend));

  const all = shown.flatMap((ser) => ser.points);
  const ys = all.map(([, y]) => y).filter((y) => y !== null && Number.isFinite(y));
  if (!ys.length) return el;
  const xs = all.map(([x]) => x);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yTicks = niceTicks(Math.min(...ys, ...(zero ? [0] : [])), Math.max(...ys, ...(zero ? [0] : [])), 4);
  const [yMin, yMax] = [yTicks[0], yTicks[yTicks.length - 1]];
  const latest = shown.map((ser) => ser.points.length - 1);

  const show = (indexes) => {
    shown.forEach((ser, i) => {
      const point = ser.points[indexes[i]];
      const y = point ? point[1] : null;
      values.get(ser.key).textContent = y === null || !Number.isFinite(y) ? "–" : round(y, 0) + (ser.unit || "");
    });
    const point = shown[0].points[indexes[0]];
    xOut.textContent = point ? xReadout(xKind, point[0]) : "";
  };
  show(latest);

  sized(plot, (width) => {
    const right = width - MARGIN.right;
    const bottom = height - MARGIN.bottom;
    const sx = (x) => MARGIN.left + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (right - MARGIN.left);
    const sy = (y) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - MARGIN.top);
    const maxX = Math.max(2, Math.floor((right - MARGIN.left) / 70));
    const xTicks = xKind === "day" ? dayTicks(xMin, xMax, maxX) : secondTicks(xMin, xMax, maxX);
    const cursor = s("g", { class: "cursor", visibility: "hidden" },
      s("line", { y1: MARGIN.top, y2: bottom }),
      shown.map((ser) => s("circle", { r: 3.5, class: `dot dot-${ser.key}` })));
    const svg = s("svg", {
      class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`,
      role: "img", "aria-label": label, tabindex: 0, focusable: "true",
    },
    s("title", {}, label),
    s("g", { class: "axis axis-y" }, yAxis(yTicks, sy, (t) => round(t, 1), MARGIN.left, right)),
    s("g", { class: "axis axis-x" },
      s("line", { x1: MARGIN.left, x2: right, y1: bottom, y2: bottom, class: "baseline" }),
      xTicks.map((t) => s("g", { class: "tick" },
        s("line", { x1: sx(t), x2: sx(t), y1: bottom, y2: bottom + 4 }),
        s("text", { x: sx(t), y: bottom + 16, "text-anchor": anchor(sx(t), MARGIN.left, right) },
          xLabel(xKind, t, xMax))))),
    shown.map((ser) => {
      const valid = ser.points.filter(([, y]) => y !== null && Number.isFinite(y));
      return [
        s("path", {
          class: `line line-${ser.key}`, d: pathOf(ser.points, sx, sy), "data-series": ser.key,
          "data-points": valid.length,
        }),
        // A lone value draws no line: mark it.
        valid.length === 1
          ? s("circle", { class: `dot dot-${ser.key}`, r: 3.5, cx: sx(valid[0][0]), cy: sy(valid[0][1]) })
          : null,
      ];
    }),
    cursor,
    s("rect", { class: "hit", x: MARGIN.left, y: MARGIN.top, width: Math.max(0, right - MARGIN.left), height: Math.max(0, bottom - MARGIN.top) }));

    let at = null;
    const moveTo = (x) => {
      const indexes = shown.map((ser) => nearest(ser.points, x));
      at = shown[0].points[indexes[0]][0];
      const [line, ...dots] = cursor.children;
      line.setAttribute("x1", sx(at));
      line.setAttribute("x2", sx(at));
      shown.forEach((ser, i) => {
        const [px, py] = ser.points[indexes[i]];
        const ok = py !== null && Number.isFinite(py);
        dots[i].setAttribute("cx", sx(px));
        dots[i].setAttribute("cy", ok ? sy(py) : -10);
      });
      cursor.setAttribute("visibility", "visible");
      show(indexes);
    };
    const leave = () => {
      at = null;
      cursor.setAttribute("visibility", "hidden");
      show(latest);
    };
    const xAt = (clientX) => {
      const box = svg.getBoundingClientRect();
      const px = Math.min(right, Math.max(MARGIN.left, clientX - box.left));
      return xMin + ((px - MARGIN.left) / Math.max(1, right - MARGIN.left)) * (xMax - xMin);
    };
    svg.addEventListener("pointermove", (e) => moveTo(xAt(e.clientX)));
    svg.addEventListener("pointerleave", leave);
    svg.addEventListener("blur", leave);
    svg.addEventListener("keydown", (e) => {
      const base = shown[0].points;
      if (!["ArrowLeft", "ArrowRight", "Home", "End", "Escape"].includes(e.key)) return;
      e.preventDefault();
      if (e.key === "Escape") return leave();
      let i = at === null ? base.length - 1 : nearest(base, at);
      if (e.key === "ArrowLeft") i = Math.max(0, i - 1);
      if (e.key === "ArrowRight") i = Math.min(base.length - 1, i + 1);
      if (e.key === "Home") i = 0;
      if (e.key === "End") i = base.length - 1;
      moveTo(base[i][0]);
    });
    fill(plot, svg);
  });
  return el;
}

/**
 * A bar chart: bars [{ label, value, current, title }], a value label over each bar when there
 * is room, x labels thinned to fit.
 */
export function barChart({ label, bars, height = 180, unit = "" }) {
  const plot = h("div", { class: "chart-plot" });
  const el = h("figure", { class: "chart chart-bars" }, plot);
  if (!bars.length) return el;
  const ticks = niceTicks(0, Math.max(1, ...bars.map((b) => b.value)), 4);
  const top = ticks[ticks.length - 1];
  sized(plot, (width) => {
    const right = width - MARGIN.right;
    const bottom = height - MARGIN.bottom;
    const slot = (right - MARGIN.left) / bars.length;
    const sy = (v) => bottom - (v / top) * (bottom - MARGIN.top);
    const every = Math.max(1, Math.ceil(46 / slot));
    const svg = s("svg", {
      class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label,
    },
    s("title", {}, label),
    s("g", { class: "axis axis-y" }, yAxis(ticks, sy, (t) => round(t, 0), MARGIN.left, right)),
    bars.map((b, i) => {
      const x = MARGIN.left + i * slot + slot * 0.15;
      const w = Math.max(1, slot * 0.7);
      const y = sy(Math.max(0, b.value));
      return s("g", { class: b.current ? "bar bar-current" : "bar", "data-value": round(b.value, 0) },
        s("title", {}, b.title || `${b.label}: ${round(b.value, 0)}${unit}`),
        s("rect", { x, y, width: w, height: Math.max(0, bottom - y), rx: Math.min(3, w / 4) }),
        slot >= 26 && b.value > 0
          ? s("text", { class: "bar-value", x: x + w / 2, y: y - 4, "text-anchor": "middle" }, round(b.value, 0))
          : null,
        (bars.length - 1 - i) % every === 0
          ? s("text", { class: "bar-label", x: x + w / 2, y: bottom + 16, "text-anchor": "middle" }, b.label)
          : null);
    }),
    s("line", { x1: MARGIN.left, x2: right, y1: bottom, y2: bottom, class: "baseline" }));
    fill(plot, svg);
  });
  return el;
}
