// Shared by journeys.test.mjs and screenshots.mjs: the browser, the demo accounts, the real API
// from Node, fresh learners (invited through the API, the password chosen through the mailed
// link) and keyboard-only moves.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR (for the outbox), CHROMIUM_PATH.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = (process.env.ACADEMY_URL || 'http://127.0.0.1:8123').replace(/\/$/, '');
export const PASSWORD = process.env.ACADEMY_DEMO_PASSWORD;
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    // Playwright gives every launch a fresh, temporary --user-data-dir of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page in a context of its own; script errors and CSP reports go to `problems`. */
export async function newPage(browser, problems, { viewport = DESKTOP, lang } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  if (lang) await context.addInitScript((l) => { try { localStorage.setItem('academy.lang', l); } catch { /* about:blank */ } }, lang);
  return page;
}

export async function settled(page) {
  // After a link or a goto within the app, the new address is seen before the app's hashchange
  // handler has run (the old page is still there, not busy, and 'networkidle' is not waited for
  // again after an in-page navigation): let the handler run first (it marks the page busy).
  await page.evaluate(() => new Promise((resolve) => { setTimeout(resolve, 0); })).catch(() => null);
  await page.locator('.page:not([aria-busy]):not([hidden])').first().waitFor();
  await page.waitForLoadState('networkidle');
}

export async function login(page, email, password = PASSWORD) {
  await page.goto(`${BASE}/#/login`);
  await page.locator('#login-form input[name=email]').fill(email);
  await page.locator('#login-form input[name=password]').fill(password);
  await page.locator('#login-submit').click();
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await settled(page);
}

// --- The real API from Node.

export async function apiLogin(email, password = PASSWORD) {
  const res = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `API sign-in of ${email}`);
  return (await res.json()).access_token;
}

export function apiCall(token, path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { authorization: `Bearer ${token}`, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function apiJson(token, path, options = {}) {
  const res = await apiCall(token, path, options);
  const text = await res.text();
  assert.ok(res.ok, `${options.method || 'GET'} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * The public holidays of the signed-in advisor's region in the coming year, as a set of dates
 * (`2026-12-08`): the server refuses slots on them, so a test that publishes on a date it
 * computes from today skips these.
 */
export async function advisorHolidays(token) {
  return new Set((await apiJson(token, '/api/me/availability')).holidays.map((h) => h.date));
}

/** Polls `check` (an async assertion) until it passes or `ms` have gone by. */
export async function eventually(check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try { return await check(); } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const tables = new Map();
/** The UI string table of a language (static/i18n/<lang>.js). */
export async function uiStrings(lang) {
  if (!tables.has(lang)) {
    const src = readFileSync(join(ROOT, 'static', 'i18n', `${lang}.js`), 'utf8');
    tables.set(lang, (await import(`data:text/javascript,${encodeURIComponent(src)}`)).default);
  }
  return tables.get(lang);
}

/** `{name}` placeholders filled in. */
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
}

/** A plural string as the UI picks it (`key.one` / `key.other` by Intl.PluralRules). */
export function plural(T, lang, key, n) {
  return fill(T[`${key}.${new Intl.PluralRules(lang).select(n)}`], { n });
}

// --- Fresh learners: invited by the admin, the password chosen through the mailed link.

const OUTBOX = join(process.env.ACADEMY_DATA_DIR || '', 'outbox');

function mailTo(address, kind) {
  return eventually(() => {
    assert.ok(existsSync(OUTBOX), `no ${OUTBOX}`);
    for (const f of readdirSync(OUTBOX).filter((x) => x.endsWith(`-${kind}.eml`)).sort().reverse()) {
      const raw = readFileSync(join(OUTBOX, f), 'utf8');
      if (raw.includes(`<${address}>`) || raw.includes(`To: ${address}`)) return raw;
    }
    assert.fail(`no ${kind} mail to ${address} in ${OUTBOX}`);
  }, 15000);
}

/** A new learner of the SME whose name matches `sme`; signs in with the demo password. */
export function newLearner({ name, sme, locale, timeZone }) {
  return newUser({ name, role: 'learner', sme, locale, timeZone });
}

/** A new advisor (no slots yet); signs in with the demo password. */
export function newAdvisor({ name, locale, timeZone }) {
  return newUser({ name, role: 'advisor', locale, timeZone });
}

async function newUser({ name, role, sme, locale, timeZone }) {
  const admin = await apiLogin('admin@iberobio.example');
  const email = `${name.split(' ')[0].normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()}.${Date.now()}@journeys.example`;
  const target = sme ? (await apiJson(admin, '/api/smes')).items.find((x) => sme.test(x.name)) : null;
  if (sme) assert.ok(target, `an SME matching ${sme}`);
  await apiJson(admin, '/api/invitations', { method: 'POST', body: { email, name, role, sme_id: target ? target.id : undefined, locale, time_zone: timeZone } });
  // Quoted-printable may fold a long line with "=" at the end: unfold it first.
  const text = (await mailTo(email, 'invitation')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /#\/invitation\?token=([A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, 'a link with a token in the invitation');
  const res = await fetch(`${BASE}/api/invitations/accept`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: m[1], password: PASSWORD }),
  });
  const answer = await res.text();
  assert.equal(res.status, 200, `accepting the invitation: ${answer}`);
  return { email, name, sme: target, id: JSON.parse(answer).user.id };
}

// --- Keyboard only: the test presses keys, never clicks or focuses anything itself.

/** What has the focus, in words (for messages and checks). */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body', text: '' };
    return {
      tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', value: el.value === undefined ? '' : String(el.value),
      text: (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 80), name: el.getAttribute('aria-label') || '',
    };
  });
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focused element matches `selector` (and has
 * the text `text`, when given); the focus may already be there. Returns the number of presses;
 * fails after `max`.
 */
export async function tabTo(page, selector, { text, max = 80, back = false } = {}) {
  const at = () => page.evaluate(({ selector, text }) => {
    const el = document.activeElement;
    return Boolean(el && el !== document.body && el.matches(selector) && (text === undefined || el.textContent.replace(/\s+/g, ' ').trim() === text));
  }, { selector, text });
  for (let presses = 0; presses <= max; presses += 1) {
    if (await at()) return presses;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  assert.fail(`${selector}${text ? ` "${text}"` : ''} not reached with ${max} x ${back ? 'Shift+Tab' : 'Tab'}; focus on ${JSON.stringify(await focused(page))}`);
}

/** Presses `key` until the focused control's value is `value` (radio groups, selects). */
export async function arrowTo(page, value, { key = 'ArrowDown', max = 20 } = {}) {
  for (let presses = 0; presses <= max; presses += 1) {
    if (await page.evaluate((v) => document.activeElement && document.activeElement.value === v, value)) return presses;
    await page.keyboard.press(key);
  }
  assert.fail(`value ${value} not reached with ${key}; focus on ${JSON.stringify(await focused(page))}`);
}

/** Signs in with the keyboard only: Tab to the fields, type, Enter. */
export async function keyboardLogin(page, email) {
  await page.goto(`${BASE}/#/login`);
  await settled(page);
  await tabTo(page, '#login-form input[name=email]');
  await page.keyboard.type(email);
  await tabTo(page, '#login-form input[name=password]');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await settled(page);
}

/**
 * The answer key of a course's quiz, read from courses/<slug>/quiz.toml (the subset of TOML the
 * course files use).
 */
export function quizKey(slug) {
  const value = (v) => {
    if (!v.startsWith('{')) return JSON.parse(v);
    const out = {};
    for (const m of v.matchAll(/(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])/g)) out[m[1]] = JSON.parse(m[2]);
    return out;
  };
  const quiz = { questions: [] };
  let target = quiz;
  let question = null;
  for (const raw of readFileSync(join(ROOT, 'courses', slug, 'quiz.toml'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '[[questions]]') {
      question = { options: [], pairs: [] };
      quiz.questions.push(question);
      target = question;
    } else if (line === '[[questions.options]]' || line === '[[questions.pairs]]') {
      target = {};
      question[line === '[[questions.options]]' ? 'options' : 'pairs'].push(target);
    } else {
      const m = /^(\w+)\s*=\s*(.+)$/.exec(line);
      if (m && !line.startsWith('#')) target[m[1]] = value(m[2]);
    }
  }
  return quiz;
}

/** Text of a label as the API gives it (sanitised inline HTML). */
export function plain(html) {
  return html.replace(/<[^>]*>/g, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim();
}

/** No "null", "undefined", "NaN" or "[object Object]" anywhere a person can read. */
export async function assertNoStrayValues(page, where) {
  const text = await page.locator('body').innerText();
  const found = text.match(/\b(?:null|undefined|NaN)\b|\[object Object\]/g);
  assert.equal(found, null, `${where}: ${found && found.join(', ')} on screen`);
}
