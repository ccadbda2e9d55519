// "Change time": moving an advisory booking to another open slot of the same advisor
// (POST /api/bookings/{id}/reschedule), from the learner's advice page and the advisor's
// bookings page, against the real server. An advisor and learners of its own are created through
// the API (see helpers.mjs), so nothing here depends on the demo's slots or on other test files.
// - keyboard only (Tab, Shift+Tab, Enter, Space, arrows, Escape; no clicks, no focus() from the
//   test): a learner opens the chooser, closes it (the focus goes back), opens it again, picks
//   another time with the arrows and confirms; the server has the booking on the new slot with
//   SEQUENCE 1, the old slot is open again (on the server and in the page's open slots), the
//   card shows the new time in the learner's zone and has the focus;
// - the advisor (Portuguese, Lisbon) reads the learner's move among the notices (labelled, not
//   its raw kind), moves another booking to one of her own open slots, and the learner reads
//   the notice;
// - in Spanish: a slot taken (through the API) between opening the chooser and confirming gives
//   the server's 409 message in Spanish and a list loaded again without it; another time works;
// - a learner past the cancellation cut-off is told why by the server (422) and offered "Close";
// - axe-core on the open chooser (desktop and phone, Spanish and Galician), screenshots of both;
// - no "null"/"undefined" on screen, no script error, no CSP violation.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR, SCREENSHOT_DIR (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  BASE, PASSWORD, PHONE, DESKTOP, launch, newPage as openPage, settled, login, apiLogin, apiJson, apiCall, uiStrings, fill,
  newLearner, newAdvisor, focused, tabTo, arrowTo, keyboardLogin, assertNoStrayValues,
} from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

// The people of these tests, and the advisor's slots (created in `before`).
let advisor;
let advisorToken;
let ana; // English learner, Madrid
let lucia; // Spanish learner, Canary Islands
const slots = {};

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

async function publish(startsAt, minutes, { mode = 'online' } = {}) {
  const ends = new Date(Date.parse(startsAt) + minutes * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return apiJson(advisorToken, '/api/slots', {
    method: 'POST',
    body: { starts_at: startsAt, ends_at: ends, topic: 'talent', mode, location: mode === 'online' ? 'https://meet.iberobio.example/rita-agenda' : 'Rua do Campo Alegre 1021, Porto' },
  });
}

async function book(token, slot, note = '') {
  const res = await apiCall(token, `/api/slots/${slot.id}/booking`, { method: 'POST', body: { note } });
  const text = await res.text();
  assert.equal(res.status, 201, `booking slot ${slot.id}: ${text}`);
  return JSON.parse(text);
}

/** The advisor's open slots, as the server lists them (ids, in time order). */
async function openSlotIds(token = advisorToken) {
  const items = (await apiJson(token, `/api/slots?advisor_id=${advisor.id}&limit=1000`)).items;
  return items.sort((a, b) => a.starts_at.localeCompare(b.starts_at)).map((s) => String(s.id));
}

async function languageTag(code) {
  const item = (await (await fetch(`${BASE}/api/languages`)).json()).items.find((l) => l.code === code);
  assert.ok(item && item.tag, `a tag for ${code}`);
  return item.tag;
}

/**
 * What the screens must show for a slot, computed with the browser's own Intl (not the app's
 * code): "Thu 15 Jan, 10:00–10:45 (Madrid)", the day heading, and "10:00–10:45 (Madrid)".
 */
async function words(page, slot, { zone, lang, T }) {
  const tag = await languageTag(lang);
  const city = T[`zone.${zone.split('/').pop()}`] || zone.split('/').pop();
  const w = await page.evaluate(({ start, end, zone, tag }) => {
    const f = (o) => new Intl.DateTimeFormat(tag, { timeZone: zone, ...o });
    const clock = f({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return {
      first: f({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(start)),
      day: f({ weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(start)),
      clock: `${clock.format(new Date(start))}–${clock.format(new Date(end))}`,
      end: clock.format(new Date(end)),
    };
  }, { start: slot.starts_at, end: slot.ends_at, zone, tag });
  return { range: `${w.first}–${w.end} (${city})`, day: w.day, clock: `${w.clock} (${city})` };
}

/** Waits until the element with the focus matches `selector` (never <body>). */
async function focusOn(page, selector, what = selector) {
  try {
    await page.waitForFunction((s) => document.activeElement && document.activeElement !== document.body && document.activeElement.matches(s), selector, { timeout: 5000 });
  } catch {
    assert.fail(`the focus should be on ${what}, it is on ${JSON.stringify(await focused(page))}`);
  }
}

/** The slot ids the open chooser offers, in order. */
function offered(page) {
  return page.locator('dialog[open] input[type=radio]').evaluateAll((els) => els.map((e) => e.value));
}

/** The dialog's accessible name: the text of what labels it. */
function dialogName(page) {
  return page.evaluate(() => {
    const d = document.querySelector('dialog[open]');
    return (d.getAttribute('aria-labelledby') || '').split(' ').map((id) => document.getElementById(id).textContent).join(' ').trim();
  });
}

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('changing the time of an advisory session', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
    advisor = await newAdvisor({ name: 'Rita Agenda', locale: 'pt', timeZone: 'Europe/Lisbon' });
    advisorToken = await apiLogin(advisor.email);
    ana = await newLearner({ name: 'Ana Reloj', sme: /Olivia/, locale: 'en', timeZone: 'Europe/Madrid' });
    ana.token = await apiLogin(ana.email);
    lucia = await newLearner({ name: 'Lucía Cambios', sme: /Xenogen/, locale: 'es', timeZone: 'Atlantic/Canary' });
    lucia.token = await apiLogin(lucia.email);
    // Far ahead, clear of the demo's and other tests' slots (the advisor is new anyway), on a
    // topic no other test lists.
    slots.a = await publish(`${day(40)}T09:00:00Z`, 45);
    slots.b = await publish(`${day(40)}T11:00:00Z`, 45);
    slots.c = await publish(`${day(41)}T14:00:00Z`, 45);
    slots.inPerson = await publish(`${day(41)}T16:00:00Z`, 60, { mode: 'in_person' });
    slots.d = await publish(`${day(42)}T08:00:00Z`, 45);
    slots.e = await publish(`${day(42)}T10:00:00Z`, 45);
    slots.f = await publish(`${day(42)}T12:00:00Z`, 45);
    slots.g = await publish(`${day(44)}T09:00:00Z`, 45);
    slots.h = await publish(`${day(44)}T11:00:00Z`, 45);
    slots.i = await publish(`${day(44)}T13:00:00Z`, 45);
  });
  after(async () => {
    if (browser) await browser.close();
    // Leave no open talent slots behind for the tests that list every open slot (deleting a
    // booked slot cancels its booking).
    if (advisorToken) {
      const mine = (await apiJson(advisorToken, `/api/slots?advisor_id=${advisor.id}&include_booked=true&limit=1000`)).items;
      for (const s of mine) await apiCall(advisorToken, `/api/slots/${s.id}`, { method: 'DELETE' });
    }
  });

  test('keyboard only: a learner moves a booking to another time of the same advisor; the card shows it in her zone, the old time is open again', async () => {
    const T = await uiStrings('en');
    const booking = await book(ana.token, slots.a, 'Bridge loan for the pilot plant');
    const page = await newPage();
    await keyboardLogin(page, ana.email);
    await tabTo(page, '#main-nav a', { text: T['nav.advice'], back: true });
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/advice$/);
    await settled(page);
    await focusOn(page, 'h1', 'the advice page\'s heading');
    const card = `#booking-list .booking[data-booking="${booking.id}"]`;
    await page.locator(card).waitFor();
    assert.equal(await page.locator(`#slot-list .slot[data-slot="${slots.a.id}"]`).count(), 0, 'the booked slot is not offered');
    await page.locator(`#slot-list .slot[data-slot="${slots.c.id}"]`).waitFor();

    // "Change time" sits with "Cancel booking"; Enter opens the chooser with the focus inside,
    // on the first time offered; Escape closes it and the focus is back on the button.
    const move = `${card} button[data-action=move]`;
    await tabTo(page, move, { text: T['advice.changeTime'] });
    assert.equal(await page.locator(`${card} .button-row button`).evaluateAll((bs) => bs.map((b) => b.textContent.trim()).join(' | ')),
      [T['advice.addToCalendar'], T['advice.changeTime'], T['advice.cancelBooking']].join(' | '));
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    await focusOn(page, 'dialog[open] input[type=radio]', 'the first time offered');
    await page.keyboard.press('Escape');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await focusOn(page, move, '"Change time" again');

    // Space opens it too. It is named by its heading, says the time booked now, and offers the
    // advisor's open slots (not the booked one), under day headings, in the learner's zone.
    await page.keyboard.press('Space');
    await focusOn(page, 'dialog[open] input[type=radio]', 'the first time offered');
    assert.equal(await dialogName(page), T['advice.move.title']);
    const open = (await openSlotIds(ana.token)).filter((id) => id !== String(slots.a.id));
    assert.deepEqual(await offered(page), open, 'the advisor\'s open slots, in time order');
    assert.equal(await page.evaluate(() => document.activeElement.value), open[0]);
    const now = await words(page, slots.a, { zone: 'Europe/Madrid', lang: 'en', T });
    assert.equal((await page.locator('dialog[open] .dialog-message').innerText()).trim(), fill(T['advice.move.current'], { time: now.range }));
    assert.ok((await page.locator('dialog[open]').innerText()).includes(fill(T['advice.zoneNote'], { tz: 'Europe/Madrid' })), 'the zone is said');
    assert.equal((await page.locator('dialog[open] .move-legend').innerText()).trim(), fill(T['advice.move.choose'], { name: advisor.name }));
    const target = await words(page, slots.c, { zone: 'Europe/Madrid', lang: 'en', T });
    const option = page.locator(`dialog[open] .move-choice[data-slot="${slots.c.id}"]`);
    assert.equal((await option.locator('.move-time').textContent()).trim(), `${target.day}, ${target.clock}`, 'the day (read out) and the hours');
    const heading = option.locator('xpath=ancestor::div[contains(@class,"move-day")]/h3');
    assert.equal((await heading.innerText()).trim().toLowerCase(), target.day.toLowerCase());
    const address = page.locator(`dialog[open] .move-choice[data-slot="${slots.inPerson.id}"] .move-meta`);
    assert.ok((await address.innerText()).includes('Rua do Campo Alegre 1021, Porto'), 'an address is shown with its time');
    await assertNoStrayValues(page, 'the open chooser');

    // Arrows to the new time (Space if the arrows did not check it), Tab to "Move the session",
    // Space.
    await arrowTo(page, String(slots.c.id));
    if (!(await page.evaluate(() => document.activeElement.checked))) await page.keyboard.press('Space');
    assert.ok(await page.evaluate(() => document.activeElement.checked));
    await tabTo(page, 'dialog[open] button[data-action=confirm]', { text: T['advice.move.confirm'], max: 3 });
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/bookings/${booking.id}/reschedule`));
    await page.keyboard.press('Space');
    assert.equal((await answer).status(), 200);
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: fill(T['advice.move.done'], { time: target.range }) }).waitFor();

    // The card shows the new time, in Madrid time, and has the focus; the old time is open
    // again among the open slots, the new one is not.
    await focusOn(page, card, 'the moved booking');
    assert.equal((await page.locator(`${card} .slot-time`).innerText()).trim(), target.range);
    const old = await words(page, slots.a, { zone: 'Europe/Madrid', lang: 'en', T });
    await page.locator(`#slot-list .slot[data-slot="${slots.a.id}"]`).waitFor();
    assert.equal((await page.locator(`#slot-list .slot[data-slot="${slots.a.id}"] .slot-time`).innerText()).trim(), old.range);
    assert.equal(await page.locator(`#slot-list .slot[data-slot="${slots.c.id}"]`).count(), 0);
    await assertNoStrayValues(page, 'the moved booking');
    await page.screenshot({ path: join(SHOTS, 'reschedule-moved-desktop.png') });

    // On the server: the same booking on the new slot, SEQUENCE 1, the old slot open.
    const after = await apiJson(ana.token, `/api/bookings/${booking.id}`);
    assert.deepEqual([after.status, String(after.slot.id), after.sequence, after.note], ['active', String(slots.c.id), 1, 'Bridge loan for the pilot plant']);
    const openNow = await openSlotIds();
    assert.ok(openNow.includes(String(slots.a.id)), 'the old slot is open again');
    assert.ok(!openNow.includes(String(slots.c.id)), 'the new slot is taken');
    await page.context().close();
  });

  test('the advisor reads the learner\'s move, moves another booking to one of her open slots, and the learner reads the notice', async () => {
    const P = await uiStrings('pt');
    const T = await uiStrings('en');
    const booking = await book(ana.token, slots.d);
    // The learner moves it first (through the API): the advisor gets a notice of it.
    await apiJson(ana.token, `/api/bookings/${booking.id}/reschedule`, { method: 'POST', body: { slot_id: slots.e.id } });
    const notices = (await apiJson(advisorToken, '/api/bookings/notifications')).items;
    const byLearner = notices.find((n) => n.booking_id === booking.id && n.kind === 'booking_rescheduled');
    assert.ok(byLearner, 'the advisor has a notice of the move');

    const page = await newPage();
    await login(page, advisor.email);
    await page.goto(`${BASE}/#/advisor/bookings`);
    await settled(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'pt');
    // Her notices: each with a label of its kind in words, never the raw kind.
    const item = page.locator('#notifications li', { hasText: byLearner.message });
    await item.waitFor();
    assert.equal((await item.locator('.notice-kind').innerText()).trim(), P['notice.kind.booking_rescheduled']);
    assert.doesNotMatch(await page.locator('body').innerText(), /booking_(rescheduled|cancelled)/);

    const card = `section[aria-labelledby=upcoming-heading] .booking[data-booking="${booking.id}"]`;
    await page.locator(card).waitFor();
    const lisbon = await words(page, slots.e, { zone: 'Europe/Lisbon', lang: 'pt', T: P });
    assert.equal((await page.locator(`${card} .slot-time`).innerText()).trim(), lisbon.range);
    await page.locator(`${card} button[data-action=move]`).click();
    await page.locator('dialog[open] input[type=radio]').first().waitFor();
    assert.equal(await dialogName(page), P['advice.move.title']);
    assert.equal((await page.locator('dialog[open] .move-legend').innerText()).trim(), P['advice.move.chooseOwn']);
    assert.deepEqual(await offered(page), (await openSlotIds()).filter((id) => id !== String(slots.e.id)), 'her own open slots');
    const target = await words(page, slots.f, { zone: 'Europe/Lisbon', lang: 'pt', T: P });
    await page.locator(`dialog[open] .move-choice[data-slot="${slots.f.id}"]`).click();
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/bookings/${booking.id}/reschedule`));
    await page.locator('dialog[open] button[data-action=confirm]').click();
    assert.equal((await answer).status(), 200);
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: fill(P['advice.move.done'], { time: target.range }) }).waitFor();
    await focusOn(page, card, 'the moved booking');
    assert.equal((await page.locator(`${card} .slot-time`).innerText()).trim(), target.range);
    await assertNoStrayValues(page, 'the advisor\'s bookings');
    const after = await apiJson(advisorToken, `/api/bookings/${booking.id}`);
    assert.deepEqual([String(after.slot.id), after.sequence], [String(slots.f.id), 2]);
    await page.context().close();

    // The learner reads the advisor's notice, labelled, and the booking at its new time.
    const mine = (await apiJson(ana.token, '/api/bookings/notifications')).items.find((n) => n.booking_id === booking.id && n.kind === 'booking_rescheduled');
    assert.ok(mine, 'the learner has a notice of the advisor\'s move');
    assert.ok(mine.message.includes(advisor.name), mine.message);
    const learner = await newPage();
    await login(learner, ana.email);
    await learner.goto(`${BASE}/#/advice`);
    await settled(learner);
    const notice = learner.locator('#notifications li', { hasText: mine.message });
    await notice.waitFor();
    assert.equal((await notice.locator('.notice-kind').innerText()).trim(), T['notice.kind.booking_rescheduled']);
    assert.doesNotMatch(await learner.locator('body').innerText(), /booking_(rescheduled|cancelled)/);
    const madrid = await words(learner, slots.f, { zone: 'Europe/Madrid', lang: 'en', T });
    assert.equal((await learner.locator(`#booking-list .booking[data-booking="${booking.id}"] .slot-time`).innerText()).trim(), madrid.range);
    await assertNoStrayValues(learner, 'the learner\'s notices');
    await learner.context().close();
  });

  test('in Spanish: a slot taken between opening the chooser and confirming gives the server\'s 409 message and a list without it; another time works', async () => {
    const ES = await uiStrings('es');
    const booking = await book(lucia.token, slots.g);
    const page = await newPage();
    await login(page, lucia.email);
    await page.goto(`${BASE}/#/advice`);
    await settled(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
    const card = `#booking-list .booking[data-booking="${booking.id}"]`;
    await page.locator(`${card} button[data-action=move]`, { hasText: ES['advice.changeTime'] }).click();
    await page.locator('dialog[open] input[type=radio]').first().waitFor();
    assert.ok((await offered(page)).includes(String(slots.h.id)));
    await page.locator(`dialog[open] .move-choice[data-slot="${slots.h.id}"]`).click();

    // Meanwhile another learner books that slot.
    await book(ana.token, slots.h);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/bookings/${booking.id}/reschedule`));
    await page.locator('dialog[open] button[data-action=confirm]').click();
    const res = await answer;
    assert.equal(res.status(), 409);
    const problem = await res.json();
    assert.equal(problem.code, 'slot.taken');
    // The server's words, in Spanish (not the English ones another learner reads).
    const english = await (await apiCall(ana.token, `/api/slots/${slots.h.id}/booking`, { method: 'POST', body: { note: '' } })).json();
    assert.equal(english.code, 'slot.taken');
    assert.notEqual(problem.detail, english.detail, 'the 409 message is in Spanish');
    const message = page.locator('dialog[open] .move-message');
    await message.locator('.alert', { hasText: problem.detail }).waitFor();
    const text = await message.innerText();
    assert.ok(text.includes(ES['advice.move.failed']) && text.includes(ES['advice.move.refreshed']), text);
    await focusOn(page, 'dialog[open] .move-message', 'the message');
    // The list loaded again: the taken slot is gone, the rest is the server's open list.
    assert.deepEqual(await offered(page), (await openSlotIds(lucia.token)).filter((id) => id !== String(slots.g.id)));
    assert.ok(!(await offered(page)).includes(String(slots.h.id)));
    await assertNoStrayValues(page, 'the chooser after a 409');
    await page.screenshot({ path: join(SHOTS, 'reschedule-taken-desktop.png') });

    // Another time goes through, shown in Canary time.
    const target = await words(page, slots.i, { zone: 'Atlantic/Canary', lang: 'es', T: ES });
    await page.locator(`dialog[open] .move-choice[data-slot="${slots.i.id}"]`).click();
    await page.locator('dialog[open] button[data-action=confirm]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: fill(ES['advice.move.done'], { time: target.range }) }).waitFor();
    await focusOn(page, card, 'the moved booking');
    assert.equal((await page.locator(`${card} .slot-time`).innerText()).trim(), target.range);
    const after = await apiJson(lucia.token, `/api/bookings/${booking.id}`);
    assert.deepEqual([String(after.slot.id), after.sequence], [String(slots.i.id), 1]);
    await assertNoStrayValues(page, 'the moved booking');
    await page.context().close();
  });

  test('past the cancellation cut-off a learner (Spanish) is told why (the server\'s 422) and offered only "Close"; nothing moves', async () => {
    const ES = await uiStrings('es');
    // In five hours: past the learners' cut-off, within the booking notice.
    const soon = new Date(Math.ceil((Date.now() + 5 * 3600000) / 300000) * 300000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const slot = await publish(soon, 30);
    const booking = await book(lucia.token, slot);
    const page = await newPage();
    await login(page, lucia.email);
    await page.goto(`${BASE}/#/advice`);
    await settled(page);
    const card = `#booking-list .booking[data-booking="${booking.id}"]`;
    const move = page.locator(`${card} button[data-action=move]`);
    await move.click();
    await page.locator('dialog[open] input[type=radio]').first().waitFor();
    await page.locator('dialog[open] .move-choice').first().click();
    const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/bookings/${booking.id}/reschedule`));
    await page.locator('dialog[open] button[data-action=confirm]').click();
    const res = await answer;
    assert.equal(res.status(), 422);
    const problem = await res.json();
    assert.equal(problem.errors[0].code, 'booking.move_cutoff');
    await page.locator('dialog[open] .move-message', { hasText: problem.errors[0].message }).waitFor();
    assert.ok(await page.locator('dialog[open] .move-group').isHidden(), 'no list to choose from');
    assert.ok(await page.locator('dialog[open] button[data-action=confirm]').isHidden(), 'no confirm button');
    assert.equal((await page.locator('dialog[open] button[data-action=keep]').innerText()).trim(), ES['action.close']);
    await assertNoStrayValues(page, 'the chooser past the cut-off');
    await page.locator('dialog[open] button[data-action=keep]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await focusOn(page, `${card} button[data-action=move]`, '"Change time"');
    const same = await apiJson(lucia.token, `/api/bookings/${booking.id}`);
    assert.deepEqual([String(same.slot.id), same.sequence], [String(slot.id), 0]);
    await page.context().close();
  });

  test('axe-core: the open chooser has no critical or serious violation (desktop in Spanish, phone in Galician); screenshots', async () => {
    const booking = (await apiJson(lucia.token, '/api/bookings')).items.find((b) => b.status === 'active' && String(b.slot.id) === String(slots.i.id));
    assert.ok(booking, 'Lucía\'s booking moved above');
    const found = {};
    for (const [viewport, lang, device] of [[DESKTOP, 'es', 'desktop'], [PHONE, 'gl', 'phone']]) {
      const T = await uiStrings(lang);
      // axe is injected as a script: this context bypasses the page's CSP (only here).
      const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      await login(page, lucia.email);
      if (await page.evaluate(() => document.documentElement.lang) !== lang) {
        await page.locator('#lang-switch').selectOption(lang);
        await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      }
      await page.goto(`${BASE}/#/advice`);
      await settled(page);
      await page.locator(`#booking-list .booking[data-booking="${booking.id}"] button[data-action=move]`).click();
      await page.locator('dialog[open] input[type=radio]').first().waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await dialogName(page), T['advice.move.title']);
      // Days and months in the UI's language (Galician: Spanish where the browser has no
      // Galician calendar words), never in English.
      assert.doesNotMatch(await page.locator('dialog[open]').innerText(), /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/);
      const v = await axe(page);
      if (v.length) found[`${device} ${lang}`] = v;
      await page.screenshot({ path: join(SHOTS, `reschedule-chooser-${device}.png`) });
      // On a phone: nothing wider than the screen, and both buttons in view.
      const fit = await page.evaluate(() => {
        const d = document.querySelector('dialog[open]');
        const buttons = [...d.querySelectorAll('.dialog-actions button:not([hidden])')].map((b) => b.getBoundingClientRect());
        return { overflow: d.scrollWidth - d.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth, buttons: buttons.every((r) => r.top >= 0 && r.bottom <= window.innerHeight) };
      });
      assert.deepEqual(fit, { overflow: 0, page: 0, buttons: true }, `${device}: ${JSON.stringify(fit)}`);
      // With a message (nothing chosen yet): still no violation.
      await page.locator('dialog[open] button[data-action=confirm]').click();
      await page.locator('dialog[open] .move-message', { hasText: T['advice.move.pick'] }).waitFor();
      const w = await axe(page);
      if (w.length) found[`${device} ${lang} with a message`] = w;
      await assertNoStrayValues(page, `the chooser on a ${device}`);
      await context.close();
    }
    // Lucía's profile language back to Spanish (the menu saved Galician).
    await apiJson(lucia.token, '/api/me', { method: 'PATCH', body: { locale: 'es' } });
    assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
