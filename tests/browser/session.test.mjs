// The session across tabs, and what happens when it ends: tabs of one browser share the session
// (the refresh token is an HttpOnly cookie, the access token lives in each page's memory); when
// the session ends the sign-in page says why, keeps the page and what was typed underneath, and
// the interrupted request goes through after signing in again.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, CHROMIUM_PATH (see tests/browser/run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const BASE = (process.env.ACADEMY_URL || 'http://127.0.0.1:8123').replace(/\/$/, '');
const PASSWORD = process.env.ACADEMY_DEMO_PASSWORD;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// Demo accounts no other browser test uses (their names are changed here, then put back).
const ADVISOR = 'advisor.markets@iberobio.example'; // Spanish
const ADVISOR_IP = 'advisor.ip@iberobio.example'; // Spanish
const COORDINATOR_PT = 'coord.bionorte@iberobio.example'; // Portuguese

let browser;
const problems = [];

async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', ...options });
  context.on('page', (page) => {
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
    });
  });
  return context;
}

const strings = new Map();
async function uiStrings(lang) {
  if (!strings.has(lang)) {
    const src = readFileSync(join(ROOT, 'static', 'i18n', `${lang}.js`), 'utf8');
    strings.set(lang, (await import(`data:text/javascript,${encodeURIComponent(src)}`)).default);
  }
  return strings.get(lang);
}

async function settled(page) {
  await page.locator('.page:not([aria-busy]):not([hidden])').first().waitFor();
  await page.waitForLoadState('networkidle');
}

async function signIn(page, email) {
  await page.goto(`${BASE}/#/login`);
  await page.locator('#login-form input[name=email]').fill(email);
  await page.locator('#login-form input[name=password]').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await settled(page);
}

/** The sign-in form shown over an interrupted page: its reason, then sign in again. */
async function signInAgain(page, email, reason) {
  const cover = page.locator('#signin-again');
  await cover.locator('#login-form').waitFor();
  assert.equal(await cover.locator('#session-ended .alert').innerText(), reason);
  assert.equal(await cover.locator('input[name=email]').inputValue(), email, 'the email of who was signed in');
  await cover.locator('input[name=password]').fill(PASSWORD);
  await cover.locator('#login-submit').click();
  await cover.waitFor({ state: 'detached' });
}

async function refreshCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'academy_refresh');
}

/** Through the API (Node): an access token of `email`. */
async function apiLogin(email) {
  const res = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

async function me(email) {
  const res = await fetch(`${BASE}/api/me`, { headers: { authorization: `Bearer ${await apiLogin(email)}` } });
  return res.json();
}

async function rename(email, name) {
  const res = await fetch(`${BASE}/api/me`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${await apiLogin(email)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 200);
}

describe('the session across tabs and after it ends', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  after(async () => { if (browser) await browser.close(); });

  test('a second tab is signed in; the refresh token is an HttpOnly cookie, no token is stored; two tabs refreshing at once stay signed in', async () => {
    const T = await uiStrings((await me(ADVISOR)).locale);
    const context = await newContext();
    const one = await context.newPage();
    await signIn(one, ADVISOR);
    assert.match(one.url(), /#\/advisor$/);

    const cookie = await refreshCookie(context);
    assert.ok(cookie, 'the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/api/auth');
    assert.equal(cookie.secure, BASE.startsWith('https:'));
    const stored = await one.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    assert.doesNotMatch(stored, /eyJ|access_token|refresh_token/, 'no token in the page\'s storage');

    const two = await context.newPage();
    await two.goto(`${BASE}/#/profile`);
    await settled(two);
    assert.match(two.url(), /#\/profile$/);
    assert.equal(await two.locator('#login-form').count(), 0, 'the second tab is signed in');
    assert.equal(await two.locator('#logout').innerText(), T['action.logout']);

    // Both tabs start at the same moment, each refreshing with the one cookie: Web Locks take
    // the refreshes one at a time (each with the cookie the previous one set), so neither tab
    // is signed out and the session goes on.
    const log = [];
    context.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) log.push(['sent', Date.now()]); });
    context.on('requestfinished', (r) => { if (r.url().endsWith('/api/auth/refresh')) log.push(['done', Date.now()]); });
    for (let round = 0; round < 3; round += 1) {
      log.length = 0;
      await Promise.all([one.reload(), two.reload()]);
      await Promise.all([settled(one), settled(two)]);
      assert.equal(await one.locator('#login-form').count(), 0, `tab one, round ${round}`);
      assert.equal(await two.locator('#login-form').count(), 0, `tab two, round ${round}`);
      assert.deepEqual(log.map(([what]) => what), ['sent', 'done', 'sent', 'done'], 'one refresh at a time');
    }
    await context.close();

    // Without Web Locks (a plain-http address other than localhost) both refreshes reach the
    // server together (held here until both are sent): its grace window keeps both tabs
    // signed in, and the next start still finds the session.
    const bare = await newContext();
    await bare.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
    const a = await bare.newPage();
    await signIn(a, ADVISOR);
    const b = await bare.newPage();
    await b.goto(`${BASE}/#/profile`);
    await settled(b);
    let held = [];
    await bare.route('**/api/auth/refresh', (route) => {
      if (held === null) return route.continue();
      held.push(route);
      if (held.length === 2) {
        for (const r of held) r.continue();
        held = null;
      }
      return undefined;
    });
    await Promise.all([a.reload(), b.reload()]);
    await Promise.all([settled(a), settled(b)]);
    assert.equal(await a.locator('#login-form').count(), 0, 'tab a');
    assert.equal(await b.locator('#login-form').count(), 0, 'tab b');
    await bare.unrouteAll();
    await a.reload();
    await settled(a);
    assert.equal(await a.locator('#login-form').count(), 0, 'the session goes on');
    await bare.close();
  });

  test('signing out in one tab: the other says so, keeps what was typed, and goes on after signing in again', async () => {
    const T = await uiStrings((await me(ADVISOR)).locale);
    const original = (await me(ADVISOR)).name;
    const context = await newContext();
    const one = await context.newPage();
    await signIn(one, ADVISOR);
    await one.goto(`${BASE}/#/profile`);
    await settled(one);
    const name = one.locator('#profile-form input').first();
    await name.fill('Marta Mercados (typed)');

    const two = await context.newPage();
    await two.goto(`${BASE}/#/advisor`);
    await settled(two);
    await two.locator('#logout').click();
    await two.waitForURL(/#\/login/);
    assert.equal(await two.locator('#session-ended .alert').innerText(), T['session.signedOut']);
    assert.equal(await refreshCookie(context), undefined, 'the cookie is cleared');

    // The first tab is told at once, on the same page, with the profile kept underneath.
    await signInAgain(one, ADVISOR, T['session.signedOutElsewhere']);
    assert.match(one.url(), /#\/profile$/);
    assert.equal(await name.inputValue(), 'Marta Mercados (typed)', 'what was typed is kept');
    assert.ok(await name.isVisible());
    // The other tab takes the new session from the cookie.
    await two.waitForFunction(() => !location.hash.startsWith('#/login'));
    await settled(two);
    assert.equal(await two.locator('#login-form').count(), 0);

    await one.locator('#profile-form button[type=submit]').click();
    await one.locator('#toast-region', { hasText: T['profile.saved'] }).waitFor();
    assert.equal((await me(ADVISOR)).name, 'Marta Mercados (typed)');
    await rename(ADVISOR, original);
    await context.close();
  });

  test('a session revoked elsewhere under a form submission: the reason, then the submission goes through after signing in', async () => {
    const T = await uiStrings((await me(ADVISOR_IP)).locale);
    const original = (await me(ADVISOR_IP)).name;
    const context = await newContext({ bypassCSP: true });
    const page = await context.newPage();
    await signIn(page, ADVISOR_IP);
    await page.goto(`${BASE}/#/profile`);
    await settled(page);
    await page.locator('#profile-form input').first().fill('Íñigo Patentes (after revocation)');

    // The session is closed from elsewhere (its cookie, used outside the browser): the page's
    // access token and the cookie both stop working, and the page does not know yet.
    const cookie = await refreshCookie(context);
    const res = await fetch(`${BASE}/api/auth/logout`, {
      method: 'POST',
      headers: { 'x-academy-session': 'cookie', cookie: `academy_refresh=${cookie.value}`, origin: BASE },
    });
    assert.equal(res.status, 204);

    await page.locator('#profile-form button[type=submit]').click();
    await page.locator('#signin-again #login-form').waitFor();
    assert.match(page.url(), /#\/profile$/);
    assert.equal(await page.locator('#profile-form').isVisible(), false);
    // The sign-in form over the page is accessible too.
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    assert.deepEqual(result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => v.id), []);

    await signInAgain(page, ADVISOR_IP, T['session.revoked']);
    // The interrupted submission was sent again.
    await page.locator('#toast-region', { hasText: T['profile.saved'] }).waitFor();
    assert.match(page.url(), /#\/profile$/);
    assert.equal((await me(ADVISOR_IP)).name, 'Íñigo Patentes (after revocation)');
    await rename(ADVISOR_IP, original);
    await context.close();
  });

  test('an expired session says so, and the page asked for loads after signing in again', async () => {
    const T = await uiStrings((await me(COORDINATOR_PT)).locale);
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, COORDINATOR_PT);
    assert.match(page.url(), /#\/staff$/);

    // The browser drops the expired cookie, and the access token has expired as well.
    await context.clearCookies();
    await page.route('**/api/me', (route) => route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer expired.token.value' } }), { times: 1 });
    await page.locator('#main-nav a[href="#/profile"], a.user-chip').first().click();
    await signInAgain(page, COORDINATOR_PT, T['session.expired']);
    await settled(page);
    assert.match(page.url(), /#\/profile$/);
    assert.equal(await page.locator('#profile-form input').first().inputValue(), (await me(COORDINATOR_PT)).name);

    // A reload after the session ended for good: the sign-in page, which says why.
    await context.clearCookies();
    await page.evaluate(() => localStorage.setItem('academy.session-hint', '1'));
    await page.reload();
    await page.locator('#login-form').waitFor();
    assert.equal(await page.locator('#session-ended .alert').innerText(), T['session.expired']);
    // After signing in: back on the page asked for.
    await page.locator('#login-form input[name=email]').fill(COORDINATOR_PT);
    await page.locator('#login-form input[name=password]').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.waitForURL(/#\/profile$/);
    await context.close();
  });

  test('changing the password keeps this browser signed in and signs other browsers out', async () => {
    const T = await uiStrings((await me(ADVISOR_IP)).locale);
    const NEW = 'otra frase larga para el asesor de patentes';
    const elsewhere = await newContext();
    const other = await elsewhere.newPage();
    await signIn(other, ADVISOR_IP);
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, ADVISOR_IP);
    const second = await context.newPage();
    await second.goto(`${BASE}/#/advisor`);
    await settled(second);

    await page.goto(`${BASE}/#/profile`);
    await settled(page);
    await page.locator('input[autocomplete=current-password]').fill(PASSWORD);
    await page.locator('input[autocomplete=new-password]').fill(NEW);
    await page.locator('button', { hasText: T['profile.changePassword'] }).click();
    await page.locator('#toast-region', { hasText: T['profile.passwordChanged'] }).waitFor();
    try {
      // This tab, and the other tab of this browser, go on.
      await page.goto(`${BASE}/#/advisor`);
      await settled(page);
      assert.equal(await page.locator('#login-form').count(), 0, 'this tab is still signed in');
      await second.goto(`${BASE}/#/profile`);
      await settled(second);
      assert.equal(await second.locator('#login-form').count(), 0, 'the second tab is still signed in');
      // Another browser is asked to sign in again, and told why.
      await other.goto(`${BASE}/#/profile`);
      await other.locator('#signin-again #login-form').waitFor();
      assert.equal(await other.locator('#session-ended .alert').innerText(), T['session.revoked']);
    } finally {
      const res = await fetch(`${BASE}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: ADVISOR_IP, password: NEW }),
      });
      const token = (await res.json()).access_token;
      const back = await fetch(`${BASE}/api/me`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ password: { current: NEW, new: PASSWORD } }),
      });
      assert.equal(back.status, 200, 'the demo password is put back');
    }
    await context.close();
    await elsewhere.close();
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
