// What the page says when something is missing or failed, in one place.

import { h } from "./dom.js";
import { locale, N, t } from "./i18n.js";

/** One sentence (and a title) for an API failure. */
export function wording(err) {
  switch (err?.kind) {
    case "auth":
      return { title: t("error.auth.title"), text: t("error.auth.text"), retry: false };
    case "network":
      return { title: t("error.network.title"), text: t("error.network.text"), retry: true };
    case "busy":
      return { title: t("error.busy.title"), text: t("error.busy.text"), retry: true };
    case "limit":
      return { title: t("error.limit.title"), text: limitText(err.body), retry: false };
    case "missing":
      return { title: t("error.missing.title"), text: t("error.missing.text"), retry: false };
    default:
      return { title: t("error.other.title"), text: t("error.other.text"), retry: true };
  }
}

const FEATURE_WORDS = {
  ai_analysis: N("limit.feature.ai_analysis"),
  ai_chat: N("limit.feature.ai_chat"),
  ai_workout: N("limit.feature.ai_workout"),
  ai_plan: N("limit.feature.ai_plan"),
};

export function limitText(body) {
  if (body?.error === "pro_only") return t("limit.pro_only");
  const key = FEATURE_WORDS[body?.feature];
  const what = key ? t(key) : t("limit.feature.other");
  const resets = Date.parse(body?.resets_at || "");
  const used = Number.isFinite(body?.limit)
    ? t("limit.used_n", { limit: body.limit, what })
    : t("limit.used_all", { what });
  if (Number.isNaN(resets)) return `${used} ${t("limit.pro")}`;
  const date = new Date(resets).toLocaleDateString(locale(), { day: "numeric", month: "long" });
  return `${used} ${t("limit.renews", { date })} ${t("limit.pro")}`;
}

/** A notice block: title, sentence, optional retry button. */
export function notice(err, { onRetry, tone = "error" } = {}) {
  const { title, text, retry } = wording(err);
  return h("div", { class: `notice notice-${tone}`, role: tone === "error" ? "alert" : "status" },
    h("p", { class: "notice-title" }, title),
    h("p", {}, text),
    retry && onRetry ? h("button", { type: "button", class: "button secondary", onclick: onRetry }, t("action.retry")) : null);
}

/** A quiet line for a section with nothing to show. */
export function empty(text) {
  return h("p", { class: "empty" }, text);
}
