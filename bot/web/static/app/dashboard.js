// The dashboard: fitness, weekly load, activities, the active plan, the plan and its usage.
// Each card fills in when its own answer arrives; one failing call leaves the others standing.

import { card, fill, h } from "./dom.js";
import { barChart, lineChart } from "./charts.js";
import * as data from "./data.js";
import * as fmt from "./format.js";
import { N, t } from "./i18n.js";
import { empty, notice } from "./messages.js";
import { goToBot } from "./telegram.js";

const LINES = [
  { key: "ctl", name: N("fitness.line.ctl") },
  { key: "atl", name: N("fitness.line.atl") },
  { key: "tsb", name: N("fitness.line.tsb") },
];
const LIST_PAGE = 10;

/** Fill `body` with `render(await fetch())`, or a notice whose "Try again" fetches again;
 * a lost session goes up to the page. */
async function into(body, fetch, render, ctx) {
  fill(body, h("p", { class: "loading" }, t("card.loading")));
  try {
    const answer = await fetch();
    fill(body, render(answer));
  } catch (err) {
    if (err?.kind === "auth") return ctx.onAuthError(err);
    fill(body, notice(err, { onRetry: () => into(body, fetch, render, ctx) }));
  }
}

/** One request shared by the cards that need it; a failed one is made afresh next time. */
function shared(request) {
  let pending = null;
  return () => {
    pending ??= request().catch((err) => {
      pending = null;
      throw err;
    });
    return pending;
  };
}

export function dashboard(ctx) {
  const { api } = ctx;
  const fitness = card("fitness", t("fitness.title"));
  const weekly = card("weekly", t("weekly.title"));
  const list = card("activities", t("activities.title"));
  const plan = card("plan", t("plan.title"));
  const account = card("account", t("account.title"));
  const root = h("div", { class: "dashboard" },
    fitness.section, weekly.section, list.section, plan.section, account.section);

  const days = shared(() => api.get("/api/fitness?days=90"));
  into(fitness.body, days, (a) => fitnessView(data.fitnessDays(a)), ctx);
  into(weekly.body, days, (a) => weeklyView(data.fitnessDays(a)), ctx);
  into(list.body, () => api.get("/api/activities"), (a) => activityList(a, ctx), ctx);
  into(plan.body, () => api.get("/api/plans"), (a) => planView(data.activePlan(a), ctx), ctx);
  // The Garmin line is a footnote: without it the card still shows the plan.
  const garmin = () => api.get("/api/garmin/status").catch((err) => {
    if (err?.kind === "auth") throw err;
    return null;
  });
  into(account.body, garmin, (status) => accountView(ctx.me, status, ctx), ctx);
  return root;
}

function fitnessView(days) {
  if (!days.length || days.every((d) => !d.ctl && !d.atl && !d.load)) {
    return empty(t("fitness.empty"));
  }
  const last = days[days.length - 1];
  const label = t("fitness.chart_label", {
    days: days.length, date: fmt.longDay(last.day),
    ctl: fmt.round(last.ctl), atl: fmt.round(last.atl), tsb: fmt.round(last.tsb),
  });
  return [
    h("div", { class: "figures" },
      figure(t("fitness.ctl"), last.ctl, "ctl"),
      figure(t("fitness.atl"), last.atl, "atl"),
      figure(t("fitness.tsb"), last.tsb, "tsb", formWord(last.tsb))),
    lineChart({
      label,
      className: "fitness-chart",
      zero: true,
      series: LINES.map((l) => ({ ...l, name: t(l.name), points: days.map((d) => [d.day, d[l.key]]) })),
    }),
  ];
}

function figure(name, value, key, note = "") {
  return h("div", { class: `figure figure-${key}` },
    h("span", { class: "figure-name" }, name),
    h("span", { class: "figure-value" }, fmt.round(value)),
    note ? h("span", { class: "figure-note" }, note) : null);
}

function formWord(tsb) {
  if (tsb === null) return "";
  if (tsb > 25) return t("form.very_fresh");
  if (tsb > 5) return t("form.fresh");
  if (tsb >= -10) return t("form.neutral");
  if (tsb >= -30) return t("form.productive");
  return t("form.overreaching");
}

function weeklyView(days) {
  const weeks = data.weeklyLoad(days).slice(-13);
  if (!weeks.some((w) => w.load > 0)) return empty(t("weekly.empty"));
  const current = weeks[weeks.length - 1];
  return [
    h("p", { class: "card-note" },
      t("weekly.this_week"), " ", h("strong", {}, fmt.round(current.load)),
      weeks.length > 1 ? ["; ", t("weekly.last_week"), " ", h("strong", {}, fmt.round(weeks[weeks.length - 2].load))] : null),
    barChart({
      label: t("weekly.chart_label", {
        weeks: weeks.map((w) => `${fmt.shortDay(w.start)} ${fmt.round(w.load)}`).join(", "),
      }),
      bars: weeks.map((w, i) => ({
        label: fmt.shortDay(w.start),
        value: w.load,
        current: i === weeks.length - 1,
        title: t("weekly.bar", { date: fmt.shortDay(w.start), load: fmt.round(w.load) }),
      })),
    }),
  ];
}

function activityList(answer, ctx) {
  const items = data.activities(answer);
  if (!items.length) {
    return empty(t("activities.empty"));
  }
  const ul = h("ul", { class: "activity-list" });
  let shown = 0;
  const more = h("button", { type: "button", class: "button secondary more" }, t("activities.more"));
  const showMore = () => {
    ul.append(...items.slice(shown, shown + LIST_PAGE).map((a) => h("li", {}, activityRow(a, ctx))));
    shown = Math.min(items.length, shown + LIST_PAGE);
    more.hidden = shown >= items.length;
  };
  more.addEventListener("click", showMore);
  showMore();
  const days = num(answer?.history_days);
  return [
    ul,
    more,
    days ? h("p", { class: "card-note" }, t("activities.history", { days })) : null,
  ];
}

const num = (v) => fmt.num(v);

function activityRow(a, ctx) {
  const units = ctx.units;
  const facts = [
    fmt.distance(a.distance_m, units),
    fmt.duration(a.timer_s ?? a.elapsed_s),
    fmt.isNum(a.load) ? t("activities.load", { load: fmt.round(a.load) }) : "",
  ].filter((x) => x && x !== "–");
  const title = a.name || a.title || fmt.sportName(a.sport, a.sub_sport);
  return h("button", {
    type: "button",
    class: `activity sport-${fmt.sportClass(a.sport)}`,
    "data-activity-id": a.id,
    onclick: () => ctx.openActivity(a.id, a),
  },
  h("span", { class: "sport-dot", "aria-hidden": "true" }),
  h("span", { class: "activity-main" },
    h("span", { class: "activity-title" }, title),
    h("span", { class: "activity-when" }, fmt.when(a.start_time, ctx.timezone))),
  h("span", { class: "activity-facts" }, facts.join(" · ")),
  h("span", { class: "chevron", "aria-hidden": "true" }, "›"));
}

function planView(plan, ctx) {
  if (!plan || !plan.weeks.length) {
    return empty(t("plan.empty"));
  }
  const today = fmt.dayMs(fmt.todayIn(ctx.timezone));
  const first = plan.weeks[0].start ?? plan.start;
  const detail = h("div", { class: "session-detail", "aria-live": "polite" });
  const head = h("div", { class: "cal-row cal-head", role: "row" },
    h("span", { class: "cal-week", role: "columnheader" }, t("plan.week")),
    [0, 1, 2, 3, 4, 5, 6].map((i) => h("span", { role: "columnheader" },
      fmt.shortDay(fmt.addDays(first, i), { weekday: "short", day: undefined, month: undefined }))));
  const rows = plan.weeks.map((w) => {
    const start = w.start ?? fmt.addDays(first, 7 * (w.week - 1));
    const isNow = today >= start && today < fmt.addDays(start, 7);
    return h("div", { class: isNow ? "cal-row current" : "cal-row", role: "row" },
      h("span", { class: "cal-week", role: "rowheader", title: w.focus || null }, t("plan.week_short", { n: w.week })),
      [0, 1, 2, 3, 4, 5, 6].map((i) => dayCell(fmt.addDays(start, i), w, today, detail)));
  });
  const span = plan.start && plan.end ? `${fmt.shortDay(plan.start)} – ${fmt.shortDay(plan.end)}` : "";
  return [
    h("p", { class: "plan-title" }, h("strong", {}, plan.title), span ? h("span", { class: "muted" }, ` · ${span}`) : null),
    plan.goal ? h("p", { class: "card-note" }, plan.goal) : null,
    h("div", { class: "calendar", role: "table", "aria-label": t("plan.calendar_label", { title: plan.title }) }, head, rows),
    sportLegend(plan),
    h("p", { class: "card-note" }, t("plan.tap_day")),
    detail,
  ];
}

function sportLegend(plan) {
  const families = new Map();
  for (const w of plan.weeks) {
    for (const x of w.sessions) {
      const key = sportKey(x.sport);
      const family = fmt.sportClass(key);
      if (!families.has(family)) families.set(family, family === "other" ? t("sport.other") : shortSport(x.sport));
    }
  }
  return h("ul", { class: "cal-legend", "aria-hidden": "true" },
    [...families].map(([family, name]) => h("li", {}, h("span", { class: `sport-dot sport-${family}` }), name)));
}

function dayCell(day, week, today, detail) {
  const sessions = week.sessions.filter((x) => x.day === day);
  const cls = ["cal-day", day < today ? "past" : "", day === today ? "today" : "", sessions.length ? "has" : "rest"];
  const label = fmt.shortDay(day, { weekday: "long" }) + ": " +
    (sessions.length ? sessions.map((x) => `${x.title} ${fmt.minutes(x.minutes)}`).join("; ") : t("plan.rest"));
  const content = [
    h("span", { class: "cal-date" }, new Date(day).getUTCDate()),
    sessions.map((x) => h("span", { class: `cal-session sport-${fmt.sportClass(sportKey(x.sport))}` },
      h("span", { class: "cal-sport" }, shortSport(x.sport)),
      x.minutes ? h("span", { class: "cal-min" }, `${Math.round(x.minutes)}′`) : null)),
  ];
  if (!sessions.length) {
    return h("span", { class: cls.join(" "), role: "cell", "aria-label": label,
      "aria-current": day === today ? "date" : null }, content);
  }
  return h("span", { role: "cell", class: "cal-cell" }, h("button", {
    type: "button", class: cls.join(" "), "aria-label": label,
    "aria-current": day === today ? "date" : null,
    onclick: () => fill(detail, sessionDetail(day, sessions, week)),
  }, content));
}

function sportKey(sport) {
  const s = String(sport || "").toLowerCase();
  if (/bike|ride|cycl/.test(s)) return "cycling";
  if (/run|jog/.test(s)) return "running";
  if (/swim/.test(s)) return "swimming";
  return s;
}

function shortSport(sport) {
  const s = sportKey(sport);
  const key = { cycling: N("sport.ride"), running: N("sport.run"), swimming: N("sport.swim") }[s];
  return key ? t(key) : (sport ? String(sport).slice(0, 5) : "•");
}

function sessionDetail(day, sessions, week) {
  return h("div", { class: "session-box" },
    h("p", { class: "session-day" }, fmt.longDay(day), week.focus ? h("span", { class: "muted" }, ` · ${t("plan.week_focus", { n: week.week, focus: week.focus })}`) : null),
    sessions.map((x) => h("div", { class: "session" },
      h("p", {}, h("strong", {}, x.title || shortSport(x.sport)),
        " ", h("span", { class: "muted" }, [fmt.sportName(sportKey(x.sport)), fmt.minutes(x.minutes), x.intensity].filter(Boolean).join(" · "))),
      x.description ? h("p", { class: "session-text" }, x.description) : null)));
}

function accountView(me, garmin, ctx) {
  const plan = data.planAndUsage(me);
  const free = plan.code !== "pro";
  return [
    h("p", { class: "plan-line" },
      h("span", { class: `badge badge-${free ? "free" : "pro"}` }, plan.name),
      " ", free ? t("account.free") : t("account.pro")),
    plan.rows.length ? h("ul", { class: "usage" }, plan.rows.map(usageRow)) : null,
    plan.historyDays ? h("p", { class: "card-note" }, t("account.history", { days: plan.historyDays })) : null,
    free ? upgrade(me) : null,
    garminLine(garmin, ctx),
    h("p", { class: "signout" }, h("button", { type: "button", class: "link", onclick: ctx.signOut }, t("account.sign_out"))),
  ];
}

function usageRow(row) {
  const unlimited = row.limit === null;
  const text = unlimited
    ? t("usage.unlimited", { used: row.used, period: row.period })
    : t("usage.of", { used: row.used, limit: row.limit, period: row.period });
  const max = unlimited ? Math.max(1, row.used) : Math.max(1, row.limit);
  return h("li", { class: "usage-row" },
    h("span", { class: "usage-label" }, row.label),
    h("span", { class: "usage-count" }, text),
    unlimited ? null : h("progress", { max, value: Math.min(row.used, max), "aria-label": `${row.label}: ${text}` }));
}

function upgrade(me) {
  const url = data.botUrl(me);
  const note = h("p", { class: "card-note upgrade-note", hidden: true, role: "status" },
    t("upgrade.note"));
  const button = h(url ? "a" : "button", {
    class: "button primary upgrade",
    href: url || null,
    type: url ? null : "button",
    target: url ? "_blank" : null,
    rel: url ? "noopener" : null,
    onclick: (e) => {
      if (goToBot(url, t("upgrade.alert"))) {
        e.preventDefault();
        return;
      }
      note.hidden = false;
      if (!url) e.preventDefault();
    },
  }, t("upgrade.button"));
  return h("div", { class: "upgrade-box" }, button, note);
}

function garminLine(status, ctx) {
  if (!status || typeof status !== "object") return null;
  const linked = Boolean(status.linked ?? status.connected);
  const last = status.last_sync_at ?? status.last_sync ?? null;
  let text = t("garmin.unlinked");
  if (linked && status.valid === false) {
    text = t("garmin.invalid");
  } else if (linked) {
    text = last ? t("garmin.synced", { when: fmt.when(last, ctx.timezone) }) : t("garmin.linked");
  }
  return h("p", { class: "card-note garmin" }, text);
}
