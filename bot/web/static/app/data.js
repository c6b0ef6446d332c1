// The API's answers turned into what the views draw. Every reader takes what is there and
// leaves out what is not, so a field the server does not send hides a line, never the page.

import { addDays, dayMs, isNum, mondayOf, num } from "./format.js";
import { N, t } from "./i18n.js";

const list = (value) => (Array.isArray(value) ? value : []);

/** Fitness days, oldest first: [{ day (UTC ms), ctl, atl, tsb, load }]. */
export function fitnessDays(answer) {
  const rows = list(answer?.days ?? answer?.items ?? answer);
  return rows
    .map((r) => ({
      day: dayMs(r.date ?? r.day),
      ctl: num(r.ctl),
      atl: num(r.atl),
      tsb: num(r.tsb),
      load: num(r.load) ?? 0,
    }))
    .filter((r) => r.day !== null)
    .sort((a, b) => a.day - b.day);
}

/** Load per week (Monday start) over the fitness days: [{ start, load }], oldest first. */
export function weeklyLoad(days) {
  if (!days.length) return [];
  const sums = new Map();
  for (const d of days) {
    const week = mondayOf(d.day);
    sums.set(week, (sums.get(week) || 0) + (d.load || 0));
  }
  const weeks = [];
  for (let w = mondayOf(days[0].day); w <= days[days.length - 1].day; w = addDays(w, 7)) {
    weeks.push({ start: w, load: sums.get(w) || 0 });
  }
  return weeks;
}

export function activities(answer) {
  return list(answer?.items ?? answer?.activities ?? answer)
    .filter((a) => a && a.id !== undefined)
    .sort((a, b) => String(b.start_time || "").localeCompare(String(a.start_time || "")));
}

/** The detail's time series as [[seconds, value|null], ...] per metric present. */
export function series(detail) {
  const raw = detail?.series ?? detail?.streams ?? detail?.samples ?? null;
  const out = {};
  const pick = {
    hr: ["hr", "heart_rate"],
    power: ["power", "watts"],
    speed: ["speed", "enhanced_speed", "velocity"],
  };
  if (Array.isArray(raw)) {
    // [{ t, hr, power, speed }, ...]
    for (const [key, names] of Object.entries(pick)) {
      const name = names.find((n) => raw.some((p) => isNum(p?.[n])));
      if (!name) continue;
      out[key] = raw.map((p, i) => [num(p.t ?? p.time ?? p.s ?? p.offset_s) ?? i, num(p[name])]);
    }
    return out;
  }
  if (raw && typeof raw === "object") {
    // { t: [...], hr: [...], ... } or { hr: [[t, v], ...] } or { hr: { t: [...], values: [...] } }
    const time = list(raw.t ?? raw.time ?? raw.time_s ?? raw.seconds ?? raw.offsets_s);
    for (const [key, names] of Object.entries(pick)) {
      const name = names.find((n) => raw[n] !== undefined && raw[n] !== null);
      if (!name) continue;
      const values = raw[name];
      let points = [];
      if (Array.isArray(values) && values.length && Array.isArray(values[0])) {
        points = values.map(([t, v]) => [num(t), num(v)]);
      } else if (Array.isArray(values)) {
        points = values.map((v, i) => [num(time[i]) ?? i, num(v)]);
      } else if (values && typeof values === "object") {
        const t = list(values.t ?? values.time ?? time);
        points = list(values.values ?? values.v).map((v, i) => [num(t[i]) ?? i, num(v)]);
      }
      points = points.filter(([t]) => t !== null);
      if (points.some(([, v]) => v !== null)) out[key] = points;
    }
  }
  return out;
}

const ZONE_NAMES = [N("zone.recovery"), N("zone.endurance"), N("zone.tempo"), N("zone.threshold"), N("zone.vo2max")];
const zoneName = (i) => (ZONE_NAMES[i] ? t(ZONE_NAMES[i]) : "");

/** Heart-rate zones: [{ name, seconds }], or [] when the detail has none. */
export function zones(detail) {
  const z = detail?.zones;
  const raw = z?.hr_seconds ?? z?.hr ?? (Array.isArray(z) ? z : null) ?? detail?.hr_zone_seconds;
  const rows = list(raw).map((z, i) => {
    if (isNum(z)) return { name: `Z${i + 1} ${zoneName(i)}`.trim(), seconds: z };
    return {
      name: z?.name || z?.label || `Z${z?.zone ?? i + 1} ${zoneName(i)}`.trim(),
      seconds: num(z?.seconds ?? z?.time_s ?? z?.s) ?? 0,
    };
  });
  return rows.some((z) => z.seconds > 0) ? rows : [];
}

export function laps(detail) {
  return list(detail?.laps).map((l, i) => ({
    n: l?.index ?? l?.lap ?? i + 1,
    timer_s: num(l?.timer_s ?? l?.total_timer_time ?? l?.duration_s),
    distance_m: num(l?.distance_m ?? l?.total_distance ?? l?.distance),
    avg_hr: num(l?.avg_hr ?? l?.avg_heart_rate),
    avg_power: num(l?.avg_power),
    avg_speed: num(l?.avg_speed ?? l?.enhanced_avg_speed),
  }));
}

/** The active plan: { title, goal, start, end, weeks: [{ week, start, focus, sessions }] }. */
export function activePlan(answer) {
  const candidates = [answer?.active, answer?.plan, answer?.active_plan];
  let plan = candidates.find((p) => p && typeof p === "object");
  if (!plan) {
    const items = list(answer?.items ?? answer?.plans ?? answer);
    plan = items.find((p) => p?.status === "active" || p?.active === true) ?? null;
  }
  if (!plan && Array.isArray(answer?.weeks)) plan = answer;
  if (!plan) return null;
  const doc = plan.plan && typeof plan.plan === "object" && !Array.isArray(plan.plan) ? plan.plan : {};
  const weeks = list(plan.weeks ?? doc.weeks).map((w, i) => ({
    week: num(w?.week) ?? i + 1,
    start: dayMs(w?.start ?? w?.start_date),
    focus: w?.focus || "",
    sessions: list(w?.sessions ?? w?.days ?? w?.workouts).map((x) => ({
      day: dayMs(x?.day ?? x?.date),
      sport: x?.sport || "",
      title: x?.title || x?.name || "",
      minutes: num(x?.duration_min ?? x?.minutes),
      intensity: x?.intensity || "",
      description: x?.description || "",
    })).filter((x) => x.day !== null),
  }));
  return {
    id: plan.id,
    title: plan.title || doc.title || t("plan.untitled"),
    goal: plan.goal || "",
    start: dayMs(plan.start_date ?? plan.start) ?? weeks[0]?.start ?? null,
    end: dayMs(plan.end_date ?? plan.end),
    weeks,
  };
}

const FEATURES = {
  ai_analysis: { label: N("usage.ai_analysis"), limit: "ai_analyses_per_month", period: N("usage.this_month") },
  ai_chat: { label: N("usage.ai_chat"), limit: "ai_chat_per_day", period: N("usage.today") },
  ai_workout: { label: N("usage.ai_workout"), limit: "ai_workouts_per_month", period: N("usage.this_month") },
  ai_plan: { label: N("usage.ai_plan"), limit: "ai_active_plans", period: N("usage.at_a_time") },
};

/** The plan's code and name, and each feature's use against its limit. */
export function planAndUsage(me) {
  const plan = me?.plan && typeof me.plan === "object" ? me.plan : {};
  const code = String(plan.code ?? me?.plan_code ?? (typeof me?.plan === "string" ? me.plan : "free"));
  const limits = plan.limits && typeof plan.limits === "object" ? plan.limits : plan;
  const usage = me?.usage;
  const rows = [];
  const usageRows = Array.isArray(usage) ? usage : list(usage?.features);
  const usedOf = (feature) => {
    const row = usageRows.find((u) => u?.feature === feature);
    if (row) return row;
    const flat = usage && !Array.isArray(usage) ? usage[feature] : undefined;
    if (isNum(flat)) return { used: flat };
    return flat && typeof flat === "object" ? flat : null;
  };
  for (const [feature, spec] of Object.entries(FEATURES)) {
    const row = usedOf(feature);
    const limitRaw = row && "limit" in row ? row.limit : limits[spec.limit] ?? limits[feature];
    if (!row && limitRaw === undefined) continue;
    rows.push({
      feature,
      label: t(spec.label),
      period: t(spec.period),
      used: num(row?.used) ?? 0,
      limit: limitRaw === null ? null : num(limitRaw),
      resetsAt: row?.resets_at || null,
    });
  }
  return {
    code: code.toLowerCase(),
    name: plan.name || (code.toLowerCase() === "pro" ? "Pro" : "Free"),
    historyDays: num(limits.history_days),
    rows,
  };
}

/** https://t.me/<bot> when the API names the bot. */
export function botUrl(me) {
  const name = me?.bot_username ?? me?.bot?.username ?? null;
  if (typeof name !== "string" || !/^[A-Za-z0-9_]{3,64}$/.test(name)) return null;
  return "https://t.me/" + name;
}
