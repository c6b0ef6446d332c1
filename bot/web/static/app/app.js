// The Mini App: sign in from Telegram's launch data or a one-time link, then the dashboard and
// an activity's detail (with the browser's and Telegram's back buttons).

import { activityView } from "./activity.js";
import { Api, hasSession } from "./api.js";
import { dashboard } from "./dashboard.js";
import { fill, h } from "./dom.js";
import { setLanguage, t, translatePage } from "./i18n.js";
import { notice } from "./messages.js";
import * as tg from "./telegram.js";

// How long to wait for Telegram's script when the URL carries no launch data.
const TELEGRAM_WAIT_MS = 4000;

const status = document.getElementById("status");
const view = document.getElementById("view");
const who = document.getElementById("who");

const params = tg.launchParams();
tg.applyTheme(params.theme, null);
// Telegram's language until the account's own arrives with /api/me.
setLanguage(tg.initDataLanguage(tg.initData(params)) || navigator.language);
translatePage();
tg.whenTelegram(tg.setUp);

let api = null;
let ctx = null;
let home = null;
let detail = null;
let hideBack = () => {};
let ended = false;
let homeScroll = 0;
let opened = null;

function say(...children) {
  fill(status, ...children);
}

/** The session is gone and cannot be renewed here: say how to get back in, once. */
function signedOut(err) {
  if (ended) return;
  ended = true;
  api?.forget();
  hideBack();
  fill(view);
  who.textContent = "";
  say(notice(err || { kind: "auth" }));
}

/** Telegram's script, when the URL gave nothing to sign in with: it may still bring initData. */
function telegramArrives() {
  const script = document.getElementById("telegram-web-app");
  if (tg.webApp() || !script) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, TELEGRAM_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    script.addEventListener("load", done, { once: true });
    script.addEventListener("error", done, { once: true });
  });
}

async function start() {
  let init = tg.initData(params);
  if (!init && !params.code && !hasSession()) {
    await telegramArrives();
    init = tg.initData(params);
  }
  api = new Api({ initData: init, code: params.code, owner: tg.initDataUserId(init) });
  if (!api.canSignIn) {
    ended = true;
    say(h("div", { class: "notice notice-info", role: "status" },
      h("p", { class: "notice-title" }, t("start.title")),
      h("p", {}, t("start.text"))));
    return;
  }
  await load();
}

/** Sign in, read the profile, then build the dashboard (its cards load on their own). */
async function load() {
  ended = false;
  say(h("p", { class: "loading" }, t("page.loading")));
  let me;
  try {
    await api.signIn();
    tg.forgetCode();
    me = await api.get("/api/me");
  } catch (err) {
    tg.forgetCode();
    if (err?.kind === "auth") return signedOut(err);
    say(notice(err, { onRetry: load }));
    return;
  }
  if (me?.language) {
    setLanguage(me.language);
    translatePage();
  }
  const profile = me?.profile && typeof me.profile === "object" ? me.profile : {};
  ctx = {
    api,
    me,
    timezone: me?.timezone ?? profile.timezone ?? null,
    units: me?.units ?? profile.units ?? "metric",
    openActivity,
    back,
    onAuthError: signedOut,
    reload: load,
    signOut,
  };
  const name = me?.first_name ?? me?.user?.first_name ?? me?.username ?? "";
  who.textContent = name ? `${name}` : "";
  home = dashboard(ctx);
  detail = h("div", { class: "detail-slot", hidden: true });
  say();
  fill(view, home, detail);
  if (history.state?.activity !== undefined) showActivity(history.state.activity, null);
}

function openActivity(id, summary) {
  homeScroll = window.scrollY;
  opened = id;
  history.pushState({ activity: id }, "", window.location.href);
  showActivity(id, summary);
}

function showActivity(id, summary) {
  if (!ctx) return;
  hideBack();
  hideBack = tg.backButton(back);
  fill(detail, activityView(ctx, id, summary));
  home.hidden = true;
  detail.hidden = false;
  window.scrollTo(0, 0);
}

function showHome() {
  hideBack();
  hideBack = () => {};
  if (!home) return;
  fill(detail);
  detail.hidden = true;
  home.hidden = false;
  window.scrollTo(0, homeScroll);
  // Back where the athlete was: on the activity they opened.
  const row = [...home.querySelectorAll("[data-activity-id]")].find((b) => b.dataset.activityId === String(opened));
  row?.focus({ preventScroll: true });
}

function back() {
  if (history.state?.activity !== undefined) history.back();
  else showHome();
}

window.addEventListener("popstate", (event) => {
  if (ended) return;
  const state = event.state;
  if (state?.activity !== undefined) showActivity(state.activity, null);
  else showHome();
});

async function signOut() {
  await api.logout();
  ended = true;
  hideBack();
  fill(view);
  who.textContent = "";
  say(h("div", { class: "notice notice-info", role: "status" },
    h("p", { class: "notice-title" }, t("signout.title")),
    h("p", {}, t("signout.text"))));
}

start();
