// The page's words in the athlete's language: t(key, params) reads strings.js, where each
// language has the same keys. The language comes from Telegram's launch data at first, then
// from the account (/api/me); dates and numbers follow it through the browser's Intl.

import { STRINGS } from "./strings.js";

const FALLBACK = "en";
// English reads day before month here, as the bot writes it ("25 Nov").
const LOCALES = { en: "en-GB", de: "de-DE", es: "es-ES", ru: "ru-RU" };

let current = FALLBACK;

/** One of the page's languages for a code like "de", "de-AT" or "pt-BR" (English if unknown). */
export function pick(code) {
  const base = String(code || "").trim().toLowerCase().split(/[-_]/)[0];
  return Object.hasOwn(STRINGS, base) ? base : FALLBACK;
}

/** Use this language from now on (the page's lang attribute too); returns the one chosen. */
export function setLanguage(code) {
  current = pick(code);
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

/** The BCP 47 locale for Intl in the current language. */
export function locale() {
  return LOCALES[current] || current;
}

/** The text of `key` in the current language, its {placeholders} filled from `params`. */
export function t(key, params) {
  const text = STRINGS[current]?.[key] ?? STRINGS[FALLBACK][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Marks a key kept in a table, to be translated where it is shown with t(key). */
export function N(key) {
  return key;
}

/** Every element marked data-i18n="key" gets the key's text (the static page's words). */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("page.title");
}
