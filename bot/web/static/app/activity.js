// One activity: its figures, HR / power / speed over time, zones, laps, and the AI analysis.

import { fill, h, s } from "./dom.js";
import { lineChart } from "./charts.js";
import * as data from "./data.js";
import * as fmt from "./format.js";
import { N, t } from "./i18n.js";
import { empty, notice } from "./messages.js";

const CHARTS = [
  { key: "hr", name: N("activity.chart.hr"), unit: " bpm" },
  { key: "power", name: N("activity.chart.power"), unit: " W" },
  { key: "speed", name: N("activity.chart.speed"), unit: "" },
];

/** The detail view; `summary` (the list row) shows at once while the detail loads. */
export function activityView(ctx, id, summary) {
  const body = h("div", { class: "detail-body" });
  const heading = h("h2", { id: "detail-title", tabindex: "-1" }, title(summary));
  const root = h("section", { class: "card detail", "aria-labelledby": "detail-title" },
    h("div", { class: "card-head" },
      h("button", { type: "button", class: "button secondary back", onclick: ctx.back }, t("activity.back")),
      heading),
    body);
  const load = async () => {
    fill(body, summary ? header(summary, ctx) : null, h("p", { class: "loading" }, t("activity.loading")));
    try {
      const detail = await ctx.api.get(`/api/activities/${encodeURIComponent(id)}`);
      const a = detail?.activity && typeof detail.activity === "object" ? { ...detail, ...detail.activity } : detail;
      heading.textContent = title(a);
      fill(body, header(a, ctx), charts(a, ctx), zonesView(a), lapsView(a, ctx), analysis(ctx, a));
    } catch (err) {
      if (err?.kind === "auth") return ctx.onAuthError(err);
      fill(body, notice(err, { onRetry: load }));
    }
  };
  load();
  queueMicrotask(() => heading.focus({ preventScroll: true }));
  return root;
}

function title(a) {
  if (!a) return t("sport.activity");
  return a.name || a.title || fmt.sportName(a.sport, a.sub_sport);
}

function header(a, ctx) {
  const units = ctx.units;
  const figures = a.load_figures && typeof a.load_figures === "object" ? a.load_figures : {};
  const trimp = figures.trimp ?? a.trimp;
  const method = figures.method ?? a.load_method;
  const tiles = [
    [t("activity.distance"), fmt.distance(a.distance_m, units)],
    [t("activity.moving_time"), fmt.duration(a.timer_s)],
    [t("activity.elapsed"), a.elapsed_s && Math.abs(a.elapsed_s - (a.timer_s || 0)) > 60 ? fmt.duration(a.elapsed_s) : ""],
    [method ? t("activity.load_by", { method: loadMethod(method) }) : t("activity.load"), fmt.isNum(a.load) ? fmt.round(a.load) : ""],
    ["TSS", fmt.isNum(a.tss) ? fmt.round(a.tss) : ""],
    ["TRIMP", fmt.isNum(trimp) ? fmt.round(trimp) : ""],
    ["IF", fmt.isNum(a.intensity_factor) ? fmt.round(a.intensity_factor, 2) : ""],
    [t("activity.avg_hr"), fmt.isNum(a.avg_hr) ? fmt.round(a.avg_hr) + " bpm" : ""],
    [t("activity.max_hr"), fmt.isNum(a.max_hr) ? fmt.round(a.max_hr) + " bpm" : ""],
    [t("activity.avg_power"), fmt.isNum(a.avg_power) ? fmt.round(a.avg_power) + " W" : ""],
    ["NP", fmt.isNum(a.normalized_power) ? fmt.round(a.normalized_power) + " W" : ""],
    [t("activity.cadence"), fmt.isNum(a.avg_cadence) ? fmt.round(a.avg_cadence) : ""],
    [t("activity.ascent"), fmt.isNum(a.ascent_m) && a.ascent_m > 0 ? t("unit.m", { value: fmt.round(a.ascent_m) }) : ""],
    [t("activity.calories"), fmt.isNum(a.calories) && a.calories > 0 ? t("unit.kcal", { value: fmt.round(a.calories) }) : ""],
  ].filter(([, v]) => v && v !== "–");
  const guessed = figures.estimates ?? a.estimates;
  const estimates = Array.isArray(guessed) && guessed.length
    ? h("p", { class: "card-note" }, t("activity.estimates", { what: guessed.join(", ") }))
    : null;
  return [
    h("p", { class: "detail-when" }, fmt.when(a.start_time, ctx.timezone)),
    h("dl", { class: "tiles" }, tiles.map(([k, v]) => h("div", { class: "tile" }, h("dt", {}, k), h("dd", {}, v)))),
    estimates,
  ];
}

function loadMethod(method) {
  const names = {
    tss: N("activity.method.power"),
    rtss: N("activity.method.pace"),
    hrtss: N("activity.method.hr"),
    estimate: N("activity.method.estimate"),
  };
  return Object.hasOwn(names, method) ? t(names[method]) : method;
}

function charts(a, ctx) {
  const found = data.series(a);
  const shown = CHARTS.filter((c) => found[c.key]);
  if (!shown.length) return empty(t("activity.no_charts"));
  return h("div", { class: "detail-charts" }, shown.map((c) => {
    const speed = c.key === "speed";
    const factor = speed ? (ctx.units === "imperial" ? 2.236936 : 3.6) : 1;
    const unit = speed ? " " + (ctx.units === "imperial" ? t("unit.mph_short") : t("unit.kmh_short")) : c.unit;
    const name = t(c.name);
    const points = found[c.key].map(([t, v]) => [t, v === null ? null : v * factor]);
    return h("section", { class: `series series-${c.key}`, "aria-label": name },
      h("h3", {}, name),
      lineChart({
        label: t("activity.chart_label", { name }),
        className: `detail-chart chart-${c.key}`,
        xKind: "seconds",
        height: 170,
        series: [{ key: c.key, name, unit, points }],
      }));
  }));
}

function zonesView(a) {
  const zones = data.zones(a);
  if (!zones.length) return null;
  const total = zones.reduce((sum, z) => sum + z.seconds, 0) || 1;
  return h("section", { class: "zones", "aria-label": t("activity.zones_label") },
    h("h3", {}, t("activity.zones")),
    h("ul", {}, zones.map((z, i) => {
      const pct = Math.round((z.seconds / total) * 100);
      return h("li", { class: `zone zone-${i + 1}` },
        h("span", { class: "zone-name" }, z.name),
        svgBar(z.seconds / total),
        h("span", { class: "zone-time" }, `${fmt.duration(z.seconds)} · ${pct}%`));
    })));
}

/** A horizontal bar filled to `share` (0..1); SVG, since the page sets no inline styles. */
function svgBar(share) {
  const pct = Math.max(0, Math.min(100, share * 100));
  return s("svg", { class: "zone-bar", viewBox: "0 0 100 8", preserveAspectRatio: "none", "aria-hidden": "true" },
    s("rect", { class: "zone-track", x: 0, y: 0, width: 100, height: 8, rx: 2 }),
    s("rect", { class: "zone-fill", x: 0, y: 0, width: pct.toFixed(1), height: 8, rx: 2 }));
}

function lapsView(a, ctx) {
  const laps = data.laps(a);
  if (laps.length < 2) return null;
  const has = (key) => laps.some((l) => l[key] !== null);
  const cols = [
    ["#", (l) => l.n],
    [t("activity.lap.time"), (l) => fmt.duration(l.timer_s)],
    has("distance_m") && [t("activity.distance"), (l) => fmt.distance(l.distance_m, ctx.units) || "–"],
    has("avg_hr") && [t("activity.lap.hr"), (l) => fmt.round(l.avg_hr)],
    has("avg_power") && [t("activity.chart.power"), (l) => fmt.round(l.avg_power)],
    has("avg_speed") && [t("activity.chart.speed"), (l) => fmt.speed(l.avg_speed, ctx.units)],
  ].filter(Boolean);
  return h("section", { class: "laps", "aria-label": t("activity.laps") },
    h("h3", {}, t("activity.laps")),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, cols.map(([name]) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, laps.map((l) => h("tr", {}, cols.map(([, get]) => h("td", {}, get(l)))))))));
}

function analysis(ctx, a) {
  const out = h("div", { class: "analysis-out", "aria-live": "polite" });
  const existing = a.analysis?.text ?? (typeof a.analysis === "string" ? a.analysis : null);
  const button = h("button", { type: "button", class: "button primary" }, existing ? t("analysis.again") : t("analysis.start"));
  if (existing) fill(out, h("p", { class: "analysis-text" }, existing));
  button.addEventListener("click", async () => {
    button.disabled = true;
    fill(out, h("p", { class: "loading" }, t("analysis.loading")));
    try {
      const answer = await ctx.api.post(`/api/ai/analyze/${encodeURIComponent(a.id)}`);
      const text = answer?.text ?? answer?.analysis?.text ?? answer?.analysis ?? answer?.answer ?? "";
      fill(out, text ? h("p", { class: "analysis-text" }, String(text)) : empty(t("analysis.empty")));
    } catch (err) {
      if (err?.kind === "auth") return ctx.onAuthError(err);
      fill(out, notice(err, { tone: err?.kind === "limit" ? "info" : "error" }));
    } finally {
      button.disabled = false;
    }
  });
  return h("section", { class: "analysis", "aria-label": t("analysis.title") }, h("h3", {}, t("analysis.title")), button, out);
}
