// What the page says when something is missing or failed, in one place.

import { h } from "./dom.js";

export const OPEN_AGAIN = "Open the dashboard from the bot again.";

/** One sentence (and a title) for an API failure. */
export function wording(err) {
  switch (err?.kind) {
    case "auth":
      return {
        title: "Your session has ended",
        text: `${OPEN_AGAIN} In the chat with the bot, tap the menu button or send /web.`,
        retry: false,
      };
    case "network":
      return {
        title: "No connection",
        text: "The server could not be reached. Check your connection and try again.",
        retry: true,
      };
    case "busy":
      return {
        title: "Too many requests",
        text: "Wait a moment, then try again.",
        retry: true,
      };
    case "limit":
      return { title: "Limit reached", text: limitText(err.body), retry: false };
    case "missing":
      return { title: "Not found", text: "This item no longer exists.", retry: false };
    default:
      return {
        title: "Something went wrong",
        text: "The server could not answer this time. Try again in a moment.",
        retry: true,
      };
  }
}

const FEATURE_WORDS = {
  ai_analysis: "AI workout analyses",
  ai_chat: "coach messages",
  ai_workout: "AI workouts",
  ai_plan: "active training plans",
};

export function limitText(body) {
  if (body?.error === "pro_only") return "This is a Pro feature. Send /upgrade to the bot to get Pro.";
  const what = FEATURE_WORDS[body?.feature] || "uses of this feature";
  const limit = Number.isFinite(body?.limit) ? `all ${body.limit} ` : "all your ";
  const resets = Date.parse(body?.resets_at || "");
  const when = Number.isNaN(resets)
    ? ""
    : " They renew on " + new Date(resets).toLocaleDateString("en-GB", { day: "numeric", month: "long" }) + ".";
  return `You have used ${limit}${what} of the Free plan.${when} Pro has no limit: send /upgrade to the bot.`;
}

/** A notice block: title, sentence, optional retry button. */
export function notice(err, { onRetry, tone = "error" } = {}) {
  const { title, text, retry } = wording(err);
  return h("div", { class: `notice notice-${tone}`, role: tone === "error" ? "alert" : "status" },
    h("p", { class: "notice-title" }, title),
    h("p", {}, text),
    retry && onRetry ? h("button", { type: "button", class: "button secondary", onclick: onRetry }, "Try again") : null);
}

/** A quiet line for a section with nothing to show. */
export function empty(text) {
  return h("p", { class: "empty" }, text);
}
