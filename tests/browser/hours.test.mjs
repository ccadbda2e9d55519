// Advisory hours per SME and quarter in the coordinator's views: this quarter's hours on the SME
// report, the per-SME page (set 2 h, the localised 422 for 3.1 h, "No limit"), the figures per
// quarter as the API gives them, axe-core on that page, phone widths; "Waive no-show" under a
// missed session (the server's message when it is no longer one, then the waiver itself).
// Everything it needs is set up through the API; what it changes is put back.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE, PASSWORD, DESKTOP, PHONE, launch, newPage as openPage, settled, login, apiLogin, apiCall, apiJson, uiStrings, fill,
  eventually, assertNoStrayValues, newLearner,
} from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

const COORDINATOR = 'coord.bioval@iberobio.example';
const ADVISOR = 'advisor.markets@iberobio.example';

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

/** `7,5 h` as the Spanish UI writes hours. */
const hrs = (T, n) => fill(T['staff.hoursValue'], { n: new Intl.NumberFormat('es', { maximumFractionDigits: 2 }).format(n) });

/** The summary of one quarter on the SME report, in the words of the string table. */
function summary(T, q) {
  const words = q.allotted_hours === null
    ? fill(T['staff.hoursUsedNoLimit'], { used: hrs(T, q.used_hours) })
    : fill(T['staff.hoursUsedOf'], { used: hrs(T, q.used_hours), allotted: hrs(T, q.allotted_hours), left: hrs(T, q.remaining_hours) });
  const main = `${fill(T['staff.hoursColumn'], { period: q.period })}: ${words}`;
  return q.no_show_hours > 0 ? `${main}\n${fill(T['staff.hoursNoShows'], { hours: hrs(T, q.no_show_hours) })}` : main;
}

/** Signs in the coordinator in Spanish; answers the page and how to put the profile back. */
async function coordinatorInSpanish(options = {}) {
  const token = await apiLogin(COORDINATOR);
  const { locale } = await apiJson(token, '/api/me');
  const page = options.context ? await options.context.newPage() : await newPage({ lang: 'es', ...options });
  await login(page, COORDINATOR);
  if (await page.evaluate(() => document.documentElement.lang) !== 'es') {
    await page.locator('#lang-switch').selectOption('es');
    await page.waitForFunction(() => document.documentElement.lang === 'es');
    await settled(page);
  }
  const restore = async () => {
    const res = await apiCall(token, '/api/me', { method: 'PATCH', body: { locale } });
    assert.equal(res.status, 200, 'the profile language is put back');
  };
  return { page, token, restore };
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe('advisory hours (coordinator)', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
  });
  after(async () => { if (browser) await browser.close(); });

  test('a coordinator sets, sees, is told off about and clears an SME\'s hours, in Spanish', async () => {
    const T = await uiStrings('es');
    const coord = await apiLogin(COORDINATOR);
    const sme = (await apiJson(coord, '/api/smes')).items.find((s) => /Xenogen/.test(s.name));
    assert.ok(sme, 'Bioval\'s Xenogen');
    const report = () => apiJson(coord, '/api/reports/smes').then((r) => r.items.find((x) => x.sme_id === sme.id).advisory_hours);
    const { period } = await report();
    assert.match(period, /^\d{4}-Q[1-4]$/);
    const path = `/api/smes/${sme.id}/advisory-hours/${period}`;
    assert.equal((await apiCall(coord, path, { method: 'DELETE' })).status, 204, 'no limit to start with');

    const { page, restore } = await coordinatorInSpanish();
    try {
      // The SME report: under the SME's name, this quarter's hours with no limit.
      await page.goto(`${BASE}/#/staff`);
      await settled(page);
      const row = page.locator('.table tbody tr', { hasText: sme.name });
      const cell = row.locator('.hours-summary');
      assert.equal((await cell.innerText()).trim(), summary(T, await report()));

      // The SME's page, from its row.
      await row.getByRole('link', { name: T['staff.hoursManage'] }).click();
      await page.waitForURL(new RegExp(`#/staff/smes/${sme.id}/hours$`));
      await settled(page);
      assert.equal((await page.locator('.page-title').innerText()).trim(), fill(T['staff.hoursTitle'], { sme: sme.name }));
      const periodSel = page.getByLabel(T['staff.hoursQuarter'], { exact: true });
      const options = await periodSel.locator('option').evaluateAll((os) => os.map((o) => o.value));
      assert.equal(options.length, 4, 'this quarter and the next three');
      assert.equal(options[0], period);
      assert.equal(await periodSel.inputValue(), period);
      const hours = page.getByLabel(T['staff.hoursHours'], { exact: true });
      assert.equal(await hours.getAttribute('step'), '0.25');

      // 2 h for this quarter: the table and the API say so.
      await hours.fill('2');
      await page.getByRole('button', { name: T['staff.hoursSave'], exact: true }).click();
      const table = page.locator('#hours-table table');
      assert.equal((await table.locator('caption').innerText()).trim(), T['staff.hoursTable']);
      assert.deepEqual((await table.locator('thead th').allInnerTexts()).map((x) => x.trim().toLowerCase()),
        ['staff.hoursQuarter', 'staff.hoursAllotted', 'staff.hoursUsed', 'staff.hoursAttended', 'staff.hoursNoShowsCol', 'staff.hoursWaived', 'staff.hoursLeft'].map((k) => T[k].toLowerCase()));
      const quarterRow = table.locator('tbody tr', { hasText: period });
      await eventually(async () => assert.equal((await quarterRow.locator('td').nth(1).innerText()).trim(), hrs(T, 2)));
      const items = (await apiJson(coord, `/api/smes/${sme.id}/advisory-hours`)).items;
      const q = items.find((x) => x.period === period);
      assert.equal(q.allotted_hours, 2);
      assert.equal(await table.locator('tbody tr').count(), items.length, 'one row per quarter of the API');
      assert.deepEqual((await quarterRow.locator('td').allInnerTexts()).map((x) => x.trim()),
        [period, hrs(T, 2), hrs(T, q.used_hours), hrs(T, q.attended_hours), hrs(T, q.no_show_hours), hrs(T, q.waived_hours), hrs(T, q.remaining_hours)]);
      assert.equal(await page.locator('.field-error:not([hidden])').count(), 0);
      await assertNoStrayValues(page, 'the hours page with 2 h');
      await page.screenshot({ path: join(SHOTS, 'staff-hours-desktop-es.png'), fullPage: true });

      // 3.1 h: the server's Spanish message beside the field.
      await hours.fill('3.1');
      await page.getByRole('button', { name: T['staff.hoursSave'], exact: true }).click();
      const error = page.locator('.field[data-field=hours] .field-error');
      await error.waitFor();
      const res = await fetch(`${BASE}${path}`, {
        method: 'PUT', headers: { authorization: `Bearer ${coord}`, 'content-type': 'application/json', accept: 'application/json', 'accept-language': 'es' },
        body: JSON.stringify({ hours: 3.1 }),
      });
      assert.equal(res.status, 422);
      const problem = await res.json();
      assert.equal(problem.errors[0].field, 'hours');
      assert.equal((await error.innerText()).trim(), problem.errors[0].message);
      assert.equal(await hours.getAttribute('aria-invalid'), 'true');
      assert.equal((await apiJson(coord, '/api/smes/' + sme.id + '/advisory-hours')).items.find((x) => x.period === period).allotted_hours, 2, 'nothing changed');

      // The SME report: "… usadas de 2 h (quedan …)".
      await page.goto(`${BASE}/#/staff`);
      await settled(page);
      const now = await report();
      assert.equal(now.allotted_hours, 2);
      assert.equal((await page.locator('.table tbody tr', { hasText: sme.name }).locator('.hours-summary').innerText()).trim(), summary(T, now));
      assert.ok((await page.locator('.table tbody tr', { hasText: sme.name }).innerText()).includes(hrs(T, 2)));
      await assertNoStrayValues(page, 'the SME report');
      await page.screenshot({ path: join(SHOTS, 'staff-smes-hours-desktop-es.png'), fullPage: true });

      // "No limit": gone from the API, the table and the report.
      await page.goto(`${BASE}/#/staff/smes/${sme.id}/hours`);
      await settled(page);
      await page.getByRole('button', { name: T['staff.hoursClear'], exact: true }).click();
      await eventually(async () => assert.equal((await page.locator('#hours-table tbody tr', { hasText: period }).locator('td').nth(1).innerText()).trim(), T['staff.hoursNoLimit']));
      assert.equal(await page.getByLabel(T['staff.hoursHours'], { exact: true }).inputValue(), '');
      assert.equal((await report()).allotted_hours, null);
      await assertNoStrayValues(page, 'the hours page after "No limit"');
    } finally {
      await page.context().close();
      await apiCall(coord, path, { method: 'DELETE' });
      await restore();
    }
  });

  test('phone width and axe-core: the SME report and the hours page', async () => {
    const coord = await apiLogin(COORDINATOR);
    const sme = (await apiJson(coord, '/api/smes')).items.find((s) => /Marea/.test(s.name));
    const { period } = (await apiJson(coord, '/api/reports/smes')).items.find((x) => x.sme_id === sme.id).advisory_hours;
    const path = `/api/smes/${sme.id}/advisory-hours/${period}`;
    await apiJson(coord, path, { method: 'PUT', body: { hours: 10 } });
    // axe is injected as a script: this context bypasses the page's CSP (only for axe).
    const context = await browser.newContext({ viewport: PHONE, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
    await context.addInitScript(() => { try { localStorage.setItem('academy.lang', 'es'); } catch { /* about:blank */ } });
    const { page, restore } = await coordinatorInSpanish({ context });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    const axe = async () => {
      await page.addScriptTag({ path: AXE });
      const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
      return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
        .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    };
    try {
      await page.goto(`${BASE}/#/staff`);
      await settled(page);
      assert.ok((await overflow(page)) <= 1, 'the SME report overflows at phone width');
      await page.locator('.table tbody tr', { hasText: sme.name }).screenshot({ path: join(SHOTS, 'staff-smes-hours-card-phone-es.png') });
      await page.screenshot({ path: join(SHOTS, 'staff-smes-hours-phone-es.png'), fullPage: true });
      await assertNoStrayValues(page, 'the SME report on a phone');
      assert.deepEqual(await axe(), [], 'the SME report');
      await page.goto(`${BASE}/#/staff/smes/${sme.id}/hours`);
      await settled(page);
      assert.ok((await overflow(page)) <= 1, 'the hours page overflows at phone width');
      await page.screenshot({ path: join(SHOTS, 'staff-hours-phone-es.png'), fullPage: true });
      await assertNoStrayValues(page, 'the hours page on a phone');
      assert.deepEqual(await axe(), [], 'the hours page on a phone');
      // With an error shown too.
      await page.getByLabel((await uiStrings('es'))['staff.hoursHours'], { exact: true }).fill('3.1');
      await page.locator('#hours-save').click();
      await page.locator('.field[data-field=hours] .field-error:not([hidden])').waitFor();
      assert.deepEqual(await axe(), [], 'the hours page with an error');
      await page.setViewportSize(DESKTOP);
      await page.reload();
      await settled(page);
      assert.deepEqual(await axe(), [], 'the hours page on a desktop');
    } finally {
      await context.close();
      await apiCall(coord, path, { method: 'DELETE' });
      await restore();
    }
  });

  test('a missed session: "Waive no-show", the server\'s message when it no longer is one, then the waiver', async () => {
    const T = await uiStrings('es');
    const coord = await apiLogin(COORDINATOR);
    const advisor = await apiLogin(ADVISOR);
    const bioval = new Set((await apiJson(coord, '/api/smes')).items.map((s) => s.id));
    // The demo's past session of a Bioval SME (the server has no way to move a session into the
    // past, and outcomes need a session that has started): Begoña's, attended, a week ago.
    const past = (await apiJson(advisor, '/api/bookings')).items
      .filter((b) => b.sme && bioval.has(b.sme.id) && b.status === 'active' && Date.parse(b.slot.starts_at) < Date.now() && b.outcome && b.outcome.attended);
    assert.ok(past.length >= 1, 'a past, attended session of a Bioval SME in the demo');
    const booking = past[0];
    const original = { attended: booking.outcome.attended, notes: booking.outcome.notes || '' };
    const outcome = (attended) => apiJson(advisor, `/api/bookings/${booking.id}/outcome`, { method: 'PUT', body: { attended, notes: original.notes } });

    // Attended: no button; a waiver is refused.
    const refused = await apiCall(coord, `/api/bookings/${booking.id}/no-show-waiver`, { method: 'POST' });
    assert.equal(refused.status, 409);
    assert.equal((await refused.json()).code, 'booking.not_no_show');

    const { page, restore } = await coordinatorInSpanish();
    try {
      await page.goto(`${BASE}/#/staff/bookings`);
      await settled(page);
      const card = page.locator(`.booking[data-booking="${booking.id}"]`);
      await card.waitFor();
      assert.equal(await card.getByRole('button', { name: T['staff.waive'] }).count(), 0, 'no waiver for an attended session');

      // Recorded as missed: the button, and only on unwaived no-shows.
      await outcome(false);
      await page.reload();
      await settled(page);
      const all = (await apiJson(coord, '/api/bookings')).items;
      const waivable = all.filter((b) => b.outcome && b.outcome.attended === false && !b.outcome.no_show_waived);
      assert.ok(waivable.some((b) => b.id === booking.id));
      assert.equal(await page.getByRole('button', { name: T['staff.waive'] }).count(), waivable.length, 'one button per unwaived no-show');
      for (const b of all.filter((x) => !waivable.includes(x))) {
        assert.equal(await page.locator(`.booking[data-booking="${b.id}"]`).getByRole('button', { name: T['staff.waive'] }).count(), 0, `no button on booking ${b.id}`);
      }
      await assertNoStrayValues(page, 'the bookings with a no-show');
      await card.screenshot({ path: join(SHOTS, 'staff-booking-no-show-es.png') });

      // The advisor corrects it meanwhile: the click gets the server's message, in Spanish.
      await outcome(true);
      const stale = await fetch(`${BASE}/api/bookings/${booking.id}/no-show-waiver`, {
        method: 'POST', headers: { authorization: `Bearer ${coord}`, accept: 'application/json', 'accept-language': 'es' },
      });
      assert.equal(stale.status, 409);
      const message = (await stale.json()).detail;
      assert.ok(message);
      await card.getByRole('button', { name: T['staff.waive'] }).click();
      await page.locator('dialog[open] button[value=ok]').click();
      await page.locator('.toast-error', { hasText: message }).waitFor();

      // Missed after all: waived from the card.
      await outcome(false);
      await page.reload();
      await settled(page);
      await card.getByRole('button', { name: T['staff.waive'] }).click();
      const dialog = page.locator('dialog[open]');
      assert.equal((await dialog.locator('.dialog-message').innerText()).trim(), T['staff.waiveConfirm']);
      await dialog.locator('button[value=ok]').click();
      await card.getByText(T['staff.waived'], { exact: true }).waitFor();
      assert.equal(await card.getByRole('button', { name: T['staff.waive'] }).count(), 0);
      const after = (await apiJson(coord, '/api/bookings')).items.find((b) => b.id === booking.id);
      assert.equal(after.outcome.attended, false);
      assert.equal(after.outcome.no_show_waived, true);
      // Still waived after a reload.
      await page.reload();
      await settled(page);
      await card.getByText(T['staff.waived'], { exact: true }).waitFor();
      assert.equal(await card.getByRole('button', { name: T['staff.waive'] }).count(), 0);
      await assertNoStrayValues(page, 'the bookings after the waiver');
      await card.screenshot({ path: join(SHOTS, 'staff-booking-waived-es.png') });
    } finally {
      await page.context().close();
      // The demo's session as it was (attended, its notes).
      await outcome(original.attended);
      await restore();
    }
  });

  test('a learner of the SME reads what is left of its hours on the advice page, in Portuguese', async () => {
    const coord = await apiLogin(COORDINATOR);
    const sme = (await apiJson(coord, '/api/smes')).items.find((s) => /Xenogen/.test(s.name));
    const { period } = (await apiJson(coord, '/api/reports/smes')).items.find((x) => x.sme_id === sme.id).advisory_hours;
    const path = `/api/smes/${sme.id}/advisory-hours/${period}`;
    await apiJson(coord, path, { method: 'PUT', body: { hours: 40 } });
    try {
      const learner = await newLearner({ name: 'Inês Horas', sme: /Xenogen/, locale: 'pt', timeZone: 'Europe/Lisbon' });
      const token = await apiLogin(learner.email);
      const mine = (await apiJson(token, '/api/me/advisory-hours')).items.find((q) => q.period === period);
      assert.equal(mine.allotted_hours, 40);
      const T = await uiStrings('pt');
      const page = await newPage({ lang: 'pt' });
      await login(page, learner.email);
      await page.goto(`${BASE}/#/advice`);
      await settled(page);
      const box = page.locator('#sme-hours');
      const pt = (n) => fill(T['staff.hoursValue'], { n: new Intl.NumberFormat('pt', { maximumFractionDigits: 2 }).format(n) });
      const expected = fill(T['advice.hoursLeft'], { period, left: pt(mine.remaining_hours), allotted: pt(40) });
      await box.getByText(expected).waitFor();
      await assertNoStrayValues(page, 'the advice page with the SME\'s hours');
      await page.context().close();
    } finally {
      await apiCall(coord, path, { method: 'DELETE' });
    }
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
