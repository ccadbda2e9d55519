// Accessibility of every page type with axe-core (from the npm registry), as a learner, an
// advisor, a coordinator and a visitor, in every UI language, on a desktop and (the learner's
// and the coordinator's pages) on a phone: no critical and no serious
// violation of WCAG 2.1 A/AA. Runs against the server tests/browser/run.sh starts.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BASE = (process.env.ACADEMY_URL || 'http://127.0.0.1:8123').replace(/\/$/, '');
const PASSWORD = process.env.ACADEMY_DEMO_PASSWORD;

const PAGES = {
  visitor: [null, ['#/login', '#/forgot']],
  learner: ['emma@olivia-agro.example', ['#/courses', '#/courses/financing-growth', '#/courses/financing-growth/funding-ladder', '#/advice', '#/certificates', '#/profile']],
  advisor: ['advisor.finance@iberobio.example', ['#/advisor', '#/advisor/week', '#/advisor/bookings']],
  coordinator: ['coord.bioval@iberobio.example', ['#/staff', '#/staff/completions', '#/staff/certificates', '#/staff/indicators', '#/staff/learners', '#/staff/invite', '#/staff/bookings']],
};

let browser;

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

async function signedIn(email, lang, viewport = DESKTOP) {
  // axe is injected as a script: the context bypasses the page's CSP (only in this test).
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${BASE}/#/login`);
  await page.evaluate((l) => localStorage.setItem('academy.lang', l), lang);
  // The app reads the choice when it starts.
  await page.reload();
  await page.locator('#login-form').waitFor();
  if (email) {
    await page.locator('#login-form input[name=email]').fill(email);
    await page.locator('#login-form input[name=password]').fill(PASSWORD);
    await page.locator('#login-submit').click();
    await page.waitForFunction(() => !location.hash.startsWith('#/login'));
    // The profile's language wins over the browser's choice once signed in: switch with the
    // menu (saved to the profile; put back after the test, see restoreLocale).
    await page.locator('.page:not([aria-busy])').first().waitFor();
    if (await page.evaluate(() => document.documentElement.lang) !== lang) {
      await page.locator('#lang-switch').selectOption(lang);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    }
  }
  return page;
}

/** The profile language of `email` (read before a test switches it). */
async function profileLocale(email) {
  const res = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  const token = (await res.json()).access_token;
  const me = await (await fetch(`${BASE}/api/me`, { headers: { authorization: `Bearer ${token}` } })).json();
  return { token, locale: me.locale };
}

async function restoreLocale({ token, locale }) {
  const res = await fetch(`${BASE}/api/me`, {
    method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ locale }),
  });
  assert.equal(res.status, 200, 'the profile language is put back');
}

async function violations(page) {
  await page.locator('.page:not([aria-busy])').first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.length} x ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('accessibility (axe-core)', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });
  after(async () => { if (browser) await browser.close(); });

  const runs = [
    ...['en', 'es', 'pt', 'gl'].flatMap((lang) => Object.keys(PAGES).map((who) => [who, lang, DESKTOP, 'desktop'])),
    ['learner', 'pt', PHONE, 'phone'],
    ['coordinator', 'es', PHONE, 'phone'],
  ];
  for (const [who, lang, viewport, device] of runs) {
    const [email, hashes] = PAGES[who];
    test(`${who} pages in ${lang} on a ${device}: no critical or serious violation`, async () => {
      const before = email ? await profileLocale(email) : null;
      const page = await signedIn(email, lang, viewport);
      const found = {};
      try {
        for (const hash of hashes) {
          await page.goto(`${BASE}/${hash}`);
          assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${hash} in ${lang}`);
          const v = await violations(page);
          if (v.length) found[hash] = v;
        }
      } finally {
        await page.context().close();
        if (before) await restoreLocale(before);
      }
      assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
    });
  }
});
