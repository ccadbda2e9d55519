// The API client and the session.
//
// The access token lives in this page's memory only; the refresh token is an HttpOnly cookie
// (scoped to /api/auth) that the server sets when the request says `X-Academy-Session: cookie`
// and that no script can read. A new tab gets its access token by refreshing with that cookie.
// Refreshes of every tab run one at a time (Web Locks), so the rotating cookie is never sent
// twice; where Web Locks are missing, the server's short grace window covers two tabs at once.
// When the session cannot be refreshed, the request waits: the app asks the person to sign in
// again (saying why, from the server's X-Academy-Session-End), then the request is sent again.
// RFC 9457 problems become ApiError.

import { currentLang } from './i18n.js';

/** Sent on every session request: the refresh token travels in the cookie, not the body. */
export const SESSION_HEADERS = { 'X-Academy-Session': 'cookie' };
// Whether this browser may hold a session cookie (a flag, never a token): without it a visitor
// is not asked for a refresh that can only fail.
const HINT = 'academy.session-hint';
const LOCK = 'academy.refresh';

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.title = problem && problem.title;
    this.detail = problem && problem.detail;
    this.errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
    // The stable machine code (`slot.taken`) and its parameters: branch on these, never on `detail`.
    this.code = (problem && problem.code) || null;
    this.params = (problem && problem.params) || {};
    this.problem = problem || null;
  }
  /** The field errors of a 422, keyed by field name. */
  fieldErrors() {
    const out = {};
    for (const e of this.errors) {
      if (e && e.field) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
    }
    return out;
  }
}

let accessToken = null;
let currentUser = null;
// Why the last session ended: 'expired', 'signed-out', 'signed-out-elsewhere', 'revoked'.
let endReason = null;

function hint(on) {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch { /* private mode */ }
}
function hinted() {
  try { return localStorage.getItem(HINT) === '1'; } catch { return true; }
}

// Tokens kept by earlier versions of this UI: gone.
try { sessionStorage.removeItem('academy.session'); } catch { /* private mode */ }

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('academy.session') : null;

export const session = {
  /** The signed-in user (from the server's last answer), or null. */
  user() { return currentUser; },
  /** A newer copy of the signed-in user's profile. */
  update(user) {
    if (currentUser && user && user.id === currentUser.id) currentUser = user;
  },
  /** Why the last session ended (null when none did, or once someone signed in). */
  endReason() { return endReason; },
  /** Take the answer of a login, a refresh or an accepted invitation. */
  start(body) {
    accessToken = body.access_token;
    currentUser = body.user || currentUser;
    endReason = null;
    hint(true);
  },
  /** Forget the session of this tab (after a password reset, every session ended). */
  clear(reason = null) {
    accessToken = null;
    currentUser = null;
    endReason = reason;
  },
};

let onSignedOut = () => Promise.reject(new ApiError(401, { title: 'signed out' }));
/**
 * `fn(reason, previousUser)` is called when the session ends under a request: it returns a
 * promise that resolves once the same person has signed in again (the request is then sent
 * again), or rejects (the request fails).
 */
export function whenSignedOut(fn) { onSignedOut = fn; }
let onOtherTab = () => {};
/** `fn(event)` hears what another tab did: {type: 'signed-in'} or {type: 'signed-out'}. */
export function whenOtherTab(fn) { onOtherTab = fn; }

if (channel) {
  channel.onmessage = (e) => { if (e.data && e.data.type) onOtherTab(e.data); };
}
function tell(type) {
  try { if (channel) channel.postMessage({ type }); } catch { /* ignore */ }
}

/** Runs `fn` while no other tab of this site refreshes. */
function oneTabAtATime(fn) {
  if (typeof navigator !== 'undefined' && navigator.locks && navigator.locks.request) {
    return navigator.locks.request(LOCK, fn);
  }
  return fn();
}

let refreshing = null;

/**
 * A fresh access token from the session cookie: {ok: true}, or {ok: false, reason} when the
 * session is over. Throws ApiError(0) when the network is down (that is not a sign-out).
 */
export function refreshSession() {
  if (!refreshing) {
    refreshing = oneTabAtATime(async () => {
      const res = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { Accept: 'application/json', ...SESSION_HEADERS },
        credentials: 'same-origin',
      });
      if (res.ok) {
        const body = await res.json();
        const before = currentUser;
        session.start(body);
        // Someone else signed in through another tab: this tab's page is not theirs.
        if (before && body.user && before.id !== body.user.id) onOtherTab({ type: 'user-changed' });
        return { ok: true };
      }
      if (res.status === 401) {
        let reason = res.headers.get('X-Academy-Session-End') || 'revoked';
        await res.arrayBuffer().catch(() => null);
        hint(false);
        // No cookie where there was a session: the browser let it expire.
        if (reason === 'missing') reason = 'expired';
        if (reason === 'account') reason = 'revoked';
        return { ok: false, reason };
      }
      throw new ApiError(res.status, await problemOf(res));
    }).catch((err) => {
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, { title: 'network', detail: '' });
    }).finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** At start-up: the session of this browser, if the cookie still holds one. */
export async function restoreSession() {
  if (!hinted()) return { ok: false, reason: null };
  try {
    const outcome = await refreshSession();
    if (!outcome.ok) endReason = outcome.reason;
    return outcome;
  } catch {
    return { ok: false, reason: null };
  }
}

let reauthenticating = null;
/** The session is over under a request: wait until the person has signed in again. */
function sessionEnded(reason) {
  if (!reauthenticating) {
    const who = currentUser;
    session.clear(reason);
    reauthenticating = Promise.resolve()
      .then(() => onSignedOut(reason, who))
      .finally(() => { reauthenticating = null; });
  }
  return reauthenticating;
}

/** Another tab signed out: this one is signed out too (the cookie is gone). */
export function endedElsewhere() {
  if (currentUser) sessionEnded('signed-out-elsewhere').catch(() => null);
}

async function problemOf(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { return await res.json(); } catch { /* fall through */ }
  }
  return { status: res.status, title: res.statusText };
}

/**
 * Low-level request that returns the Response. A 401 refreshes the session and sends the
 * request again; when the session is over, the request waits for the person to sign in again
 * and is then sent again (what they typed and did is not lost).
 * Throws ApiError for non-2xx answers, or ApiError(0) when the network is down.
 */
export async function request(path, { method = 'GET', body, headers = {}, auth = true, form } = {}) {
  const attempt = (token) => {
    // Server messages (problem+json `detail`) come back in the UI's language.
    const h = { Accept: 'application/json', 'Accept-Language': currentLang(), ...headers };
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (auth && token) h.Authorization = `Bearer ${token}`;
    return fetch(path, { method, headers: h, body: payload });
  };
  let res;
  try {
    for (let round = 0; ; round += 1) {
      const token = accessToken;
      res = await attempt(token);
      if (res.status !== 401 || !auth || round >= 4) break;
      // Read the refused answer to its end before retrying: an unread body keeps the request
      // open in the browser (and the connection busy).
      await res.arrayBuffer().catch(() => null);
      // Another request of this tab refreshed meanwhile: just send it again.
      if (accessToken && accessToken !== token) continue;
      const outcome = await refreshSession();
      if (outcome.ok && round === 0) continue;
      await sessionEnded(outcome.ok ? 'revoked' : outcome.reason);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, { title: 'network', detail: '' });
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res;
}

/** JSON request: returns the parsed body, or null for 204. */
export async function api(path, options = {}) {
  const res = await request(path, options);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) return res.json();
  return res.text();
}

export async function login(email, password) {
  const res = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Language': currentLang(), ...SESSION_HEADERS },
    credentials: 'same-origin',
    body: JSON.stringify({ email, password }),
  }).catch(() => { throw new ApiError(0, { title: 'network' }); });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  const body = await res.json();
  session.start(body);
  tell('signed-in');
  return body.user;
}

/** Sign out: the server closes the session and clears the cookie; every tab hears of it. */
export async function logout() {
  const headers = { Accept: 'application/json', ...SESSION_HEADERS };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  try {
    const res = await fetch('/api/auth/logout', { method: 'POST', headers, credentials: 'same-origin' });
    await res.arrayBuffer().catch(() => null);
  } catch { /* signing out anyway */ }
  session.clear('signed-out');
  hint(false);
  tell('signed-out');
}

/** Tell the other tabs that this one signed in (an accepted invitation). */
export function announceSignIn() { tell('signed-in'); }

/** Downloads a protected file (PDF, CSV, ICS, ZIP) with the bearer token and saves it. */
export async function download(path, fallbackName, { accept } = {}) {
  const res = await request(path, { headers: accept ? { Accept: accept } : {} });
  const type = res.headers.get('Content-Type') || '';
  const disposition = res.headers.get('Content-Disposition') || '';
  let blob;
  if (type.startsWith('application/json') && !/^\s*attachment/i.test(disposition)) {
    // Object storage (S3) answers JSON with a short-lived signed link: navigate to it, since
    // fetch may not follow a redirect to another origin under the site's CSP. Any other JSON
    // (a file sent as an attachment) is saved as it came.
    const text = await res.text();
    let link = null;
    try { link = JSON.parse(text); } catch { /* not a link */ }
    if (link && typeof link.url === 'string' && /^https?:\/\//.test(link.url)) {
      window.location.assign(link.url);
      return fallbackName;
    }
    blob = new Blob([text], { type });
  } else {
    blob = await res.blob();
  }
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return name;
}

let topicsPromise = null;
/** The topics of courses and advice (the server's one list, GET /api/topics), as codes. */
export function topics() {
  if (!topicsPromise) {
    topicsPromise = api('/api/topics').then((r) => (r.items || []).map((x) => x.code))
      .catch((err) => { topicsPromise = null; throw err; });
  }
  return topicsPromise;
}

/** Adds a query string from an object, skipping empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}
