// The API client: bearer tokens kept in sessionStorage, one refresh on 401 (tokens rotate),
// RFC 9457 problems turned into ApiError.

import { currentLang } from './i18n.js';

const KEY = 'academy.session';

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

export const session = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
  },
  set(value) {
    if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
    else sessionStorage.removeItem(KEY);
  },
  user() {
    const s = session.get();
    return s ? s.user : null;
  },
  update(user) {
    const s = session.get();
    if (s) session.set({ ...s, user });
  },
};

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

let refreshing = null;

async function refreshTokens() {
  const s = session.get();
  if (!s || !s.refresh_token) return false;
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ refresh_token: s.refresh_token }),
        });
        if (!res.ok) return false;
        const body = await res.json();
        session.set({ access_token: body.access_token, refresh_token: body.refresh_token, user: body.user || s.user });
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => { refreshing = null; }, 0);
      }
    })();
  }
  return refreshing;
}

async function problemOf(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { return await res.json(); } catch { /* fall through */ }
  }
  return { status: res.status, title: res.statusText };
}

/**
 * Low-level request that returns the Response (after one refresh-and-retry on 401).
 * Throws ApiError for non-2xx answers, or ApiError(0) when the network is down.
 */
export async function request(path, { method = 'GET', body, headers = {}, auth = true, form } = {}) {
  const attempt = async () => {
    // Server messages (problem+json `detail`) come back in the UI's language.
    const h = { Accept: 'application/json', 'Accept-Language': currentLang(), ...headers };
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const s = session.get();
    if (auth && s && s.access_token) h.Authorization = `Bearer ${s.access_token}`;
    return fetch(path, { method, headers: h, body: payload });
  };
  let res;
  try {
    res = await attempt();
    if (res.status === 401 && auth && session.get()) {
      // Read the refused answer to its end before retrying: an unread body keeps the request
      // open in the browser (and the connection busy).
      if (await refreshTokens()) {
        await res.arrayBuffer().catch(() => null);
        res = await attempt();
      }
      if (res.status === 401) {
        session.set(null);
        onSignedOut();
      }
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
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Language': currentLang() },
    body: JSON.stringify({ email, password }),
  }).catch(() => { throw new ApiError(0, { title: 'network' }); });
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  const body = await res.json();
  session.set({ access_token: body.access_token, refresh_token: body.refresh_token, user: body.user });
  return body.user;
}

export async function logout() {
  try { await request('/api/auth/logout', { method: 'POST' }); } catch { /* signing out anyway */ }
  session.set(null);
}

/** Downloads a protected file (PDF, CSV, ICS, ZIP) with the bearer token and saves it. */
export async function download(path, fallbackName, { accept } = {}) {
  const res = await request(path, { headers: accept ? { Accept: accept } : {} });
  // Object storage (S3) answers JSON with a short-lived signed link: navigate to it, since
  // fetch may not follow a redirect to another origin under the site's CSP.
  if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
    const link = await res.json();
    if (link && typeof link.url === 'string' && /^https?:\/\//.test(link.url)) {
      window.location.assign(link.url);
      return fallbackName;
    }
  }
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') || '';
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
