// The JSON API on a session: sign in with Telegram's initData or a one-time code, keep the
// bearer token for this tab (sessionStorage), sign in again once when the server says 401.

const STORE_KEY = "trainbot.session";

/** An API failure the page can word: kind is "auth", "limit", "busy", "network" or "server". */
export class ApiError extends Error {
  constructor(kind, status, body) {
    super((body && body.error) || kind);
    this.kind = kind;
    this.status = status;
    this.body = body || {};
  }
}

function kindOf(status) {
  if (status === 401 || status === 403) return "auth";
  if (status === 402) return "limit";
  if (status === 429) return "busy";
  if (status === 404) return "missing";
  return "server";
}

async function request(method, path, { token, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("network", 0, null);
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(kindOf(response.status), response.status, data);
  return data;
}

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    return saved && typeof saved.token === "string" ? saved : null;
  } catch {
    return null;
  }
}

function save(saved) {
  try {
    if (saved) sessionStorage.setItem(STORE_KEY, JSON.stringify(saved));
    else sessionStorage.removeItem(STORE_KEY);
  } catch {
    // Storage can be off (private modes); the token then lives as long as the page.
  }
}

/** Whether this tab holds a session from an earlier sign-in (a reload after a one-time link). */
export function hasSession() {
  return fresh(load());
}

function fresh(saved, now = Date.now()) {
  if (!saved) return false;
  const ends = Date.parse(saved.expiresAt || "");
  return Number.isNaN(ends) || ends - now > 30_000;
}

export class Api {
  /** initData and code are what the launch gave; owner tells one Telegram user from another. */
  constructor({ initData = "", code = "", owner = null } = {}) {
    this.initData = initData;
    this.code = code;
    this.owner = owner;
    this.saved = null;
    this.renewing = null;
  }

  /** True when there is something to sign in with (or a live session of this tab). */
  get canSignIn() {
    return Boolean(this.initData || this.code || this.saved || load());
  }

  /** A session: the one-time code first, then this tab's stored token, then initData. */
  async signIn() {
    if (this.code) {
      const code = this.code;
      this.code = "";
      return this.exchange("/api/auth/code", { code });
    }
    const saved = load();
    if (saved && fresh(saved) && (!this.owner || saved.owner === this.owner)) {
      this.saved = saved;
      return saved;
    }
    if (this.initData) return this.exchange("/api/auth/telegram", { init_data: this.initData });
    save(null);
    throw new ApiError("auth", 401, { error: "no credentials" });
  }

  async exchange(path, body) {
    const data = await request("POST", path, { body });
    if (!data || !data.access_token) throw new ApiError("server", 200, { error: "no token" });
    this.saved = { token: data.access_token, expiresAt: data.expires_at || "", owner: this.owner };
    save(this.saved);
    return this.saved;
  }

  /** A call on the session; after a 401, one fresh sign-in with initData and one retry. */
  async call(method, path, body) {
    if (this.renewing) await this.renewing;
    if (!this.saved) await this.signIn();
    const token = this.saved.token;
    try {
      return await request(method, path, { token, body });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      if (!this.initData) {
        this.forget();
        throw err;
      }
    }
    await this.renew(token);
    return request(method, path, { token: this.saved.token, body });
  }

  /** Replace a token the server refused; calls refused at once share one sign-in. */
  async renew(refused) {
    if (this.saved && this.saved.token !== refused) return;
    if (!this.renewing) {
      this.forget();
      this.renewing = this.exchange("/api/auth/telegram", { init_data: this.initData })
        .finally(() => {
          this.renewing = null;
        });
    }
    await this.renewing;
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body = {}) {
    return this.call("POST", path, body);
  }

  forget() {
    this.saved = null;
    save(null);
  }

  /** End the session on the server too; forgetting it here is what matters to the page. */
  async logout() {
    const saved = this.saved;
    this.forget();
    this.initData = "";
    if (!saved) return;
    try {
      await request("POST", "/api/auth/logout", { token: saved.token, body: {} });
    } catch {
      // Already ended or unreachable: the token is gone from this tab either way.
    }
  }
}
