// The calendar subscription on the profile page (issue 18): a Spanish learner shows their
// private link, a calendar program (here: fetch, with no credentials) reads their booked
// session from it, "New link" ends the old URL, "Turn off" ends the new one.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE, PASSWORD, launch, newPage as openPage, settled, login, apiLogin, apiCall, apiJson, uiStrings, newLearner,
  assertNoStrayValues,
} from './helpers.mjs';

const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

/** Books the first open slot that is still free for this learner; answers the booking. */
async function bookSomething(token) {
  const slots = (await apiJson(token, '/api/slots')).items;
  for (const slot of slots) {
    const res = await apiCall(token, `/api/slots/${slot.id}/booking`, { method: 'POST', body: { note: 'calendar feed' } });
    if (res.status === 201) return res.json();
  }
  assert.fail('no open slot could be booked');
}

/** Confirms the open dialog (its OK button). */
async function confirm(page) {
  await page.locator('dialog[open] button[value=ok]').click();
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

describe('calendar subscription', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
  });
  after(async () => { if (browser) await browser.close(); });

  test('a learner shows, uses, renews and turns off their calendar link, in Spanish', async () => {
    const T = await uiStrings('es');
    const learner = await newLearner({ name: 'Nerea Calendario', sme: /Xenogen/, locale: 'es', timeZone: 'Europe/Madrid' });
    const token = await apiLogin(learner.email);
    const booking = await bookSomething(token);

    const page = await newPage({ lang: 'es' });
    await login(page, learner.email);
    await page.goto(`${BASE}/#/profile`);
    await settled(page);
    const card = page.locator('#calendar-feed');
    await assert.doesNotReject(card.getByRole('heading', { name: T['profile.calendar'] }).waitFor());
    await card.getByRole('button', { name: T['profile.calendarShow'] }).click();
    const link = card.getByLabel(T['profile.calendarLink']);
    await link.waitFor();
    // The link field has the focus, for copying.
    assert.equal(await page.evaluate(() => document.activeElement.id), 'calendar-url');
    const first = await link.inputValue();
    assert.match(first, /^http:\/\/127\.0\.0\.1:\d+\/api\/calendar-feeds\/\d+-\d+-[0-9a-f]{32}\.ics$/);
    const subscribe = card.getByRole('link', { name: T['profile.calendarSubscribe'] });
    assert.equal(await subscribe.getAttribute('href'), first.replace(/^http:/, 'webcal:'));
    await assertNoStrayValues(page, 'the calendar card');
    await card.screenshot({ path: join(SHOTS, 'profile-calendar-es.png') });

    // A calendar program polls it without any credentials: the booked session, in Spanish.
    const res = await fetch(first);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/calendar/);
    const text = await res.text();
    assert.match(text, /X-WR-CALNAME:IberoBio Academy: sesiones de asesoramiento/);
    assert.match(text, /X-WR-TIMEZONE:Europe\/Madrid/);
    assert.equal((text.match(/BEGIN:VEVENT/g) || []).length, 1, text);
    assert.match(text, /SUMMARY:Sesión de asesoramiento IberoBio/);
    const invite = await (await apiCall(token, `/api/bookings/${booking.id}/invite.ics`, { accept: 'text/calendar' })).text();
    const uid = /\r\nUID:([^\r]+)/.exec(invite)[1];
    assert.ok(text.includes(`UID:${uid}`), 'the feed and the invitation share the UID');

    // A new link: the old one is dead at once.
    await card.getByRole('button', { name: T['profile.calendarNew'] }).click();
    await confirm(page);
    await page.waitForFunction((old) => document.getElementById('calendar-url')?.value !== old, first);
    const second = await link.inputValue();
    assert.notEqual(second, first);
    assert.equal((await fetch(first)).status, 404);
    assert.equal((await fetch(second)).status, 200);

    // Turned off: the link is dead; the card offers to show one again.
    await card.getByRole('button', { name: T['profile.calendarOff'] }).click();
    await confirm(page);
    await card.getByRole('button', { name: T['profile.calendarShow'] }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'calendar-show');
    const gone = await fetch(second);
    assert.equal(gone.status, 404);
    assert.match(gone.headers.get('content-type'), /problem\+json/);
    assert.equal((await gone.json()).code, 'not_found.calendar_feed');
    await assertNoStrayValues(page, 'the calendar card after turning it off');
    await page.context().close();
  });

  test('coordinators have no calendar card', async () => {
    const page = await newPage();
    await login(page, 'coord.bioval@iberobio.example');
    await page.goto(`${BASE}/#/profile`);
    await settled(page);
    assert.equal(await page.locator('#calendar-feed').count(), 0);
    await page.context().close();
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
