// Telegram's Web App object when its script loaded, and the launch parameters Telegram puts in
// the URL fragment either way (so the page also signs in when telegram.org cannot be reached).

const SCRIPT_ID = "telegram-web-app";

/** Telegram.WebApp, or null outside Telegram or when its script did not load. */
export function webApp() {
  const app = window.Telegram && window.Telegram.WebApp;
  return app && typeof app.ready === "function" ? app : null;
}

/** The fragment's parameters: initData (tgWebAppData), a one-time code, the theme. */
export function launchParams(hash = window.location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  let theme = null;
  try {
    theme = JSON.parse(params.get("tgWebAppThemeParams") || "null");
  } catch {
    theme = null;
  }
  return {
    initData: params.get("tgWebAppData") || "",
    code: params.get("code") || "",
    theme: theme && typeof theme === "object" ? theme : null,
  };
}

/** initData from Telegram's object, else from the fragment ("" when there is none). */
export function initData(params) {
  const app = webApp();
  return (app && app.initData) || params.initData || "";
}

/** The Telegram user id inside initData, to tell one person's stored session from another's. */
export function initDataUserId(data) {
  if (!data) return null;
  try {
    const user = JSON.parse(new URLSearchParams(data).get("user") || "null");
    return user && user.id != null ? String(user.id) : null;
  } catch {
    return null;
  }
}

/** The Telegram user's language_code inside initData ("" when there is none). */
export function initDataLanguage(data) {
  if (!data) return "";
  try {
    const user = JSON.parse(new URLSearchParams(data).get("user") || "null");
    return user && typeof user.language_code === "string" ? user.language_code : "";
  } catch {
    return "";
  }
}

/** Drop the one-time code from the address bar: it is spent once exchanged. */
export function forgetCode() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  if (!params.has("code")) return;
  params.delete("code");
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
  window.history.replaceState(window.history.state, "", url);
}

/** Apply a theme: Telegram's colours as --tg-theme-* variables and the scheme for fallbacks. */
export function applyTheme(theme, scheme) {
  const root = document.documentElement;
  if (theme) {
    for (const [key, value] of Object.entries(theme)) {
      if (typeof value === "string" && /^#[0-9a-f]{3,8}$/i.test(value)) {
        root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
      }
    }
  }
  const resolved = scheme || schemeOf(theme && theme.bg_color);
  if (resolved) root.dataset.scheme = resolved;
}

function schemeOf(color) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color || "");
  if (!m) return null;
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 ? "dark" : "light";
}

/**
 * Call `onReady(app)` once Telegram's script is there: now, or when it loads. If it never
 * loads (offline, blocked) nothing happens and the page carries on without it.
 */
export function whenTelegram(onReady) {
  const app = webApp();
  if (app) {
    onReady(app);
    return;
  }
  const script = document.getElementById(SCRIPT_ID);
  if (!script) return;
  script.addEventListener("load", () => {
    const loaded = webApp();
    if (loaded) onReady(loaded);
  }, { once: true });
}

/** Tell Telegram the page is ready, follow its theme, use the whole height. */
export function setUp(app) {
  const sync = () => applyTheme(app.themeParams, app.colorScheme);
  sync();
  try {
    app.onEvent("themeChanged", sync);
    app.ready();
    app.expand();
    if (supports(app, "6.1")) {
      app.setHeaderColor("bg_color");
      app.setBackgroundColor("secondary_bg_color");
    }
  } catch {
    // An old client without these methods still shows the page.
  }
}

function supports(app, version) {
  try {
    return typeof app.isVersionAtLeast !== "function" || app.isVersionAtLeast(version);
  } catch {
    return false;
  }
}

/** Show Telegram's back button while `onBack` applies; returns a function that hides it. */
export function backButton(onBack) {
  const app = webApp();
  if (!app || !app.BackButton || !supports(app, "6.1")) return () => {};
  app.BackButton.onClick(onBack);
  app.BackButton.show();
  return () => {
    app.BackButton.offClick(onBack);
    app.BackButton.hide();
  };
}

/**
 * Send the athlete to the bot to upgrade: open the bot's chat when its name is known, then
 * close the app; without Telegram the caller's link does the job.
 */
export function goToBot(botUrl, message) {
  const app = webApp();
  if (!app) return false;
  const close = () => {
    try {
      app.close();
    } catch {
      // Nothing to close outside a Mini App.
    }
  };
  try {
    if (botUrl && typeof app.openTelegramLink === "function") {
      app.openTelegramLink(botUrl);
      close();
    } else if (typeof app.showAlert === "function" && supports(app, "6.2")) {
      app.showAlert(message, close);
    } else {
      close();
    }
    return true;
  } catch {
    return false;
  }
}
