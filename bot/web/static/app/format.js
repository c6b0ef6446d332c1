// Numbers, durations, distances and dates as the athlete reads them, in their language.

import { locale, N, t } from "./i18n.js";

const DAY_MS = 86_400_000;

export function isNum(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** A number, or null for anything that is not one (strings of digits included). */
export function num(value) {
  if (isNum(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return null;
}

export function round(value, digits = 0) {
  const n = num(value);
  if (n === null) return "–";
  return n.toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** 1:05:09, 45:10, 0:42 */
export function duration(seconds) {
  const s = num(seconds);
  if (s === null) return "–";
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
}

/** Minutes as "1 h 30 min" / "45 min". */
export function minutes(value) {
  const n = num(value);
  if (n === null || n <= 0) return "";
  const h = Math.floor(n / 60);
  const m = Math.round(n % 60);
  if (!h) return t("unit.min", { m });
  return m ? t("unit.h_min", { h, m }) : t("unit.h", { h });
}

export function distance(meters, units = "metric") {
  const m = num(meters);
  if (m === null || m <= 0) return "";
  if (units === "imperial") return t("unit.mi", { value: round(m / 1609.344, m < 16_093 ? 2 : 1) });
  if (m < 1000) return t("unit.m", { value: round(m, 0) });
  return t("unit.km", { value: round(m / 1000, m < 10_000 ? 2 : 1) });
}

export function speed(metersPerSecond, units = "metric") {
  const v = num(metersPerSecond);
  if (v === null) return "–";
  return units === "imperial"
    ? t("unit.mph", { value: round(v * 2.236936, 1) })
    : t("unit.kmh", { value: round(v * 3.6, 1) });
}

/** The athlete's zone when it is a valid IANA name, else the browser's. */
export function zoneOf(tz) {
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

/** A calendar day ("2026-12-01") as UTC midnight in ms, or null. */
export function dayMs(isoDay) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(isoDay || ""));
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}

export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Today's date ("YYYY-MM-DD") in a time zone. */
export function todayIn(tz) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zoneOf(tz), year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date());
  const get = (t) => parts.find((p) => p.type === t)?.value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Monday of the week of a day (UTC midnight ms). */
export function mondayOf(ms) {
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  return ms - weekday * DAY_MS;
}

export function addDays(ms, days) {
  return ms + days * DAY_MS;
}

const dayFormats = new Map();
function dayFormat(options) {
  const key = locale() + JSON.stringify(options);
  if (!dayFormats.has(key)) {
    dayFormats.set(key, new Intl.DateTimeFormat(locale(), { timeZone: "UTC", ...options }));
  }
  return dayFormats.get(key);
}

/** A calendar day: "1 Dec", or with { weekday: "short" } "Tue 1 Dec". */
export function shortDay(ms, extra = {}) {
  return ms === null ? "" : dayFormat({ day: "numeric", month: "short", ...extra }).format(ms);
}

export function longDay(ms) {
  return ms === null ? "" : dayFormat({ weekday: "long", day: "numeric", month: "long" }).format(ms);
}

/** A moment in the athlete's zone: "Tue 1 Dec, 07:10". */
export function when(iso, tz) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return "";
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zoneOf(tz), weekday: "short", day: "numeric", month: "short",
    hour: "2-digit", minute: "2-digit",
  }).format(ms);
}

/** The local calendar day of a moment in the athlete's zone ("YYYY-MM-DD"). */
export function localDay(iso, tz) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return "";
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: zoneOf(tz), year: "numeric", month: "2-digit", day: "2-digit",
  }).format(ms);
}

const SPORTS = {
  cycling: N("sport.ride"),
  running: N("sport.run"),
  swimming: N("sport.swim"),
  walking: N("sport.walk"),
  hiking: N("sport.hike"),
  rowing: N("sport.row"),
  training: N("sport.workout"),
  fitness_equipment: N("sport.workout"),
  generic: N("sport.activity"),
  e_biking: N("sport.ebike"),
  cross_country_skiing: N("sport.ski"),
  transition: N("sport.transition"),
};

export function sportName(sport, subSport) {
  const key = String(sport || "").toLowerCase();
  if (key === "cycling" && /indoor|virtual|trainer/.test(String(subSport || ""))) {
    return t("sport.indoor_ride");
  }
  if (key === "running" && /treadmill|indoor/.test(String(subSport || ""))) return t("sport.treadmill");
  if (Object.hasOwn(SPORTS, key)) return t(SPORTS[key]);
  const words = key.replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : t("sport.activity");
}

/** A CSS-safe sport family for colouring. */
export function sportClass(sport) {
  const key = String(sport || "").toLowerCase();
  if (["cycling", "e_biking"].includes(key)) return "ride";
  if (["running", "walking", "hiking"].includes(key)) return "run";
  if (key === "swimming") return "swim";
  return "other";
}
