// The waitlist (POST/GET/DELETE /api/me/waitlist, holds, GET /api/waitlist) in the web UI,
// against the real server and the demo's advisor Javier Iglesias (advisor.markets, Spanish,
// Madrid), with learners invited for the purpose (see helpers.mjs), all in Spanish:
// - a learner joins a waitlist for Javier and market entry through the form (Saturdays
//   10:00–12:00, when the demo has no slot of his) and reads "number 1 in line"; the same wish
//   again gives the server's 409 in Spanish; Javier publishes a Saturday slot (through the API):
//   it is held for her at once ("Reservado para usted", when, what, until when); another learner
//   neither sees it nor can book it (409 `slot.held`); she books it through the alert with the
//   keyboard only, the focus goes to the new booking and the entry is "booked";
// - two learners wait for the same: the first declines the held slot (confirm), stays on the
//   list, and the slot is held for the second at once;
// - leaving a waitlist (confirm): the entry says so; the empty list of open slots leads to the
//   form (with the topic of the filter); the server's 422 beside the fields it names;
// - Javier reads who waits (learner, SME, topic, days and times with the zone, since when) and
//   his held slot with its badge; the SME's coordinator reads the same learner among hers;
// - axe-core (no critical or serious violation) on the advice page with a hold and the form, also
//   with errors shown, on a desktop (Spanish) and a phone (Galician), no sideways scrolling;
//   screenshots `waitlist-*.png`; no "null"/"undefined" on screen, no script error or CSP report.
// What it adds is removed at the end (the learners leave their lists, the slots are deleted).
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR, SCREENSHOT_DIR (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  BASE, PASSWORD, PHONE, DESKTOP, launch, newPage as openPage, settled, login, apiLogin, apiJson, apiCall, advisorHolidays, uiStrings, fill,
  newLearner, focused, tabTo, assertNoStrayValues, eventually,
} from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

const ADVISOR = 'advisor.markets@iberobio.example';
const COORDINATOR = 'coord.bioval@iberobio.example';
const ZONE = 'Europe/Madrid';

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

let advisor; // {id, name, token}
const published = []; // slot ids, deleted at the end
const entries = []; // [token, entry id]: left at the end (if still waiting)

/** A wall-clock time in Madrid as UTC RFC 3339 (`2026-05-09`, `10:00`). */
function madrid(date, time) {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const offset = (ms) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
      .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute)) - ms;
  };
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  return new Date(guess - offset(guess - offset(guess))).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The date of the Saturday `weeks` weeks from now (far from the demo's week and other tests). */
function saturday(weeks) {
  const now = new Date();
  let d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 7 * weeks));
  while (d.getUTCDay() !== 6) d = new Date(d.getTime() + 86400000);
  return d.toISOString().slice(0, 10);
}

/** Javier publishes a 45-minute market-entry slot on that Saturday at `time`, Madrid time. */
async function publish(weeks, time = '10:00') {
  // A Saturday that is a public holiday in his region would be refused: five weeks on instead,
  // clear of the Saturdays the other tests use (7 to 10 weeks ahead).
  let w = weeks;
  while (advisor.holidays.has(saturday(w))) w += 5;
  const starts = madrid(saturday(w), time);
  const ends = new Date(Date.parse(starts) + 45 * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const slot = await apiJson(advisor.token, '/api/slots', {
    method: 'POST', body: { starts_at: starts, ends_at: ends, topic: 'market_entry', mode: 'online', location: 'https://meet.iberobio.example/javier-espera' },
  });
  published.push(slot.id);
  return slot;
}

/** The wish of these tests: Javier, market entry, Saturdays 10:00–12:00 (the learner's zone). */
const WISH = { weekdays: [6], from: '10:00', to: '12:00' };

async function joinList(token, note = '') {
  const entry = await apiJson(token, '/api/me/waitlist', { method: 'POST', body: { advisor_id: advisor.id, topic: 'market_entry', ...WISH, note } });
  entries.push([token, entry.id]);
  return entry;
}

/**
 * What a test added, taken away (after each test: an entry still waiting would be offered the
 * next test's slot first, an open slot would be held for the next test's learner at once).
 */
async function cleanup() {
  for (const [token, id] of entries.splice(0)) {
    const res = await apiCall(token, `/api/me/waitlist/${id}`, { method: 'DELETE' });
    assert.ok([204, 409].includes(res.status), `leaving entry ${id}: ${res.status}`);
  }
  // Deleting a booked slot cancels its booking (the learners are this file's own).
  for (const id of published.splice(0)) await apiCall(advisor.token, `/api/slots/${id}`, { method: 'DELETE' });
}

async function mine(token, id) {
  return (await apiJson(token, '/api/me/waitlist')).items.find((e) => e.id === id);
}

async function learner(name, sme = /Xenogen/) {
  const l = await newLearner({ name, sme, locale: 'es', timeZone: ZONE });
  return { ...l, token: await apiLogin(l.email) };
}

async function languageTag(code) {
  const item = (await (await fetch(`${BASE}/api/languages`)).json()).items.find((l) => l.code === code);
  assert.ok(item && item.tag, `a tag for ${code}`);
  return item.tag;
}

/**
 * What the screens must say, computed with the browser's own Intl (not the app's code): a slot's
 * "sáb 9 may, 10:00–10:45 (Madrid)", an instant's "sáb 9 may, 12:00 (Madrid)", a date, a weekday.
 */
async function words(page, lang, T, { start, end, at, date, weekday }) {
  const tag = await languageTag(lang);
  const city = T[`zone.${ZONE.split('/').pop()}`];
  const w = await page.evaluate(({ start, end, at, date, weekday, zone, tag }) => {
    const f = (o) => new Intl.DateTimeFormat(tag, { timeZone: zone, ...o });
    const first = f({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const clock = f({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return {
      range: start ? `${first.format(new Date(start))}–${clock.format(new Date(end))}` : null,
      at: at ? first.format(new Date(at)) : null,
      date: date ? f({ day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(date)) : null,
      weekday: weekday ? new Intl.DateTimeFormat(tag, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 2, 1 + weekday))) : null,
    };
  }, { start, end, at, date, weekday, zone: ZONE, tag });
  return {
    range: w.range && `${w.range} (${city})`,
    at: w.at && `${w.at} (${city})`,
    date: w.date,
    when: w.weekday && fill(T['waitlist.when'], { days: w.weekday, from: WISH.from, to: WISH.to, zone: city }),
  };
}

async function focusOn(page, selector, what = selector) {
  try {
    await page.waitForFunction((s) => document.activeElement && document.activeElement !== document.body && document.activeElement.matches(s), selector, { timeout: 5000 });
  } catch {
    assert.fail(`the focus should be on ${what}, it is on ${JSON.stringify(await focused(page))}`);
  }
}

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
/** The elements that stick out on the right (for the message of a failed width check). */
const widest = (page) => page.evaluate(() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5)
  .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`)
  .join(', '));

async function advicePage(who, options) {
  const page = await newPage(options);
  await login(page, who.email);
  await page.goto(`${BASE}/#/advice`);
  await settled(page);
  await page.locator('#waitlist-list :is(.waitlist-list, #waitlist-none, .alert)').first().waitFor();
  return page;
}

/**
 * Signs in a demo account (another test file may have left its profile in another language) and
 * makes the page Spanish with the menu; answers how to put the profile's language back.
 */
async function signInSpanish(page, email) {
  const token = await apiLogin(email);
  const { locale } = await apiJson(token, '/api/me');
  await login(page, email);
  if (await page.evaluate(() => document.documentElement.lang) !== 'es') {
    await page.locator('#lang-switch').selectOption('es');
    await page.waitForFunction(() => document.documentElement.lang === 'es');
    await settled(page);
  }
  return async () => {
    const res = await apiCall(token, '/api/me', { method: 'PATCH', body: { locale } });
    assert.equal(res.status, 200, `the profile language of ${email} is put back`);
  };
}

const entryCard = (id) => `#waitlist-list .waitlist-entry[data-entry="${id}"]`;

describe('the waitlist', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
    const token = await apiLogin(ADVISOR);
    const me = await apiJson(token, '/api/me');
    advisor = { id: me.id, name: me.name, token, holidays: await advisorHolidays(token) };
  });
  after(async () => {
    if (browser) await browser.close();
    await cleanup();
  });

  test('in Spanish: join through the form, number 1, the server\'s 409 for the same wish, a slot held at once, hidden from others, booked with the keyboard through the alert', async () => {
    try {
      const T = await uiStrings('es');
      const ana = await learner('Ana Espera');
      const page = await advicePage(ana);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
      assert.equal((await page.locator('#waitlist-none').innerText()).trim(), T['waitlist.none']);
      assert.equal(await page.locator('#waitlist-holds').count(), 1);
      assert.equal(await page.locator('#held-for-you').count(), 0, 'nothing held yet');

      // Above the open slots, the way down to the waitlist's form.
      await page.locator('#slot-list .slot').first().waitFor();
      assert.equal((await page.locator('.waitlist-hint').innerText()).trim(), `${T['waitlist.hint']} ${T['waitlist.cta']}`);
      await page.locator('#waitlist-hint-link').click();
      await focusOn(page, '#waitlist-advisor', 'the first field of the waitlist form');

      // The form: "Any advisor" and the advisors of the open slots; "Any topic" and the topics.
      const advisorSel = page.getByLabel(T['waitlist.advisor'], { exact: true });
      const options = await advisorSel.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
      assert.deepEqual(options[0], ['', T['waitlist.anyAdvisor']]);
      assert.ok(options.some(([v, n]) => v === String(advisor.id) && n === advisor.name), `${advisor.name} offered: ${JSON.stringify(options)}`);
      const topicSel = page.locator('#waitlist-topic');
      assert.equal(await page.locator('label[for=waitlist-topic]').innerText(), T['advice.topic']);
      assert.equal(await topicSel.locator('option').first().textContent(), T['waitlist.anyTopic']);
      assert.equal((await page.locator('#waitlist-days legend').innerText()).trim(), T['waitlist.days']);

      await advisorSel.selectOption(String(advisor.id));
      await topicSel.selectOption('market_entry');
      for (let d = 1; d <= 7; d += 1) await page.locator(`#waitlist-days input[value="${d}"]`).setChecked(d === 6);
      await page.getByLabel(T['waitlist.from'], { exact: true }).fill('10:00');
      await page.getByLabel(T['waitlist.to'], { exact: true }).fill('12:00');
      const note = 'Distribuidores en Portugal para nuestro kit';
      await page.getByLabel(T['waitlist.note'], { exact: true }).fill(note);
      const joined = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/me/waitlist'));
      await page.locator('#waitlist-submit').click();
      assert.equal((await joined).status(), 201);
      await page.locator('.toast', { hasText: T['waitlist.joined'] }).waitFor();
      const [entry] = (await apiJson(ana.token, '/api/me/waitlist')).items;
      entries.push([ana.token, entry.id]);
      assert.deepEqual([entry.advisor.id, entry.topic, entry.weekdays, entry.from, entry.to, entry.time_zone, entry.note, entry.status, entry.position, entry.hold],
        [advisor.id, 'market_entry', [6], '10:00', '12:00', ZONE, note, 'waiting', 1, null]);

      // "My waitlists": what, when, number 1, waiting; the focus on the new entry.
      const card = page.locator(entryCard(entry.id));
      await focusOn(page, entryCard(entry.id), 'the new entry');
      const w = await words(page, 'es', T, { weekday: 6, date: entry.created_at });
      assert.equal((await card.locator('.waitlist-what').innerText()).replace(/\s+/g, ' ').trim(), `${T['topic.market_entry']} ${advisor.name}`);
      assert.equal((await card.locator('.waitlist-when').innerText()).trim(), w.when);
      assert.equal((await card.locator('.waitlist-position').innerText()).trim(), fill(T['waitlist.position'], { n: 1 }));
      assert.equal((await card.locator('.booking-head .badge').last().innerText()).trim(), T['waitlist.status.waiting']);
      assert.equal((await card.locator('.waitlist-since').innerText()).trim(), fill(T['waitlist.joinedOn'], { date: w.date }));
      assert.ok((await card.innerText()).includes(note));
      await assertNoStrayValues(page, 'the new entry');

      // The same wish again: the server's 409, in Spanish, above the form.
      const again = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/me/waitlist'));
      await page.locator('#waitlist-submit').click();
      const res = await again;
      assert.equal(res.status(), 409);
      const problem = await res.json();
      assert.equal(problem.code, 'waitlist.duplicate');
      const english = await (await apiCall(ana.token, '/api/me/waitlist?lang=en', { method: 'POST', body: { advisor_id: advisor.id, topic: 'market_entry', ...WISH } })).json();
      assert.equal(english.code, 'waitlist.duplicate');
      assert.notEqual(problem.detail, english.detail, 'the 409 message is in Spanish');
      const alert = page.locator('#waitlist-form .alert-error');
      await alert.waitFor();
      assert.equal((await alert.innerText()).trim(), problem.detail);
      await focusOn(page, '#waitlist-form .alert-error', 'the message');
      assert.equal((await apiJson(ana.token, '/api/me/waitlist')).items.length, 1, 'still one entry');

      // Javier publishes a Saturday slot that fits: it is held for her at once.
      const slot = await publish(7);
      const held = await mine(ana.token, entry.id);
      assert.ok(held.hold, 'a hold at once');
      assert.equal(held.hold.slot.id, slot.id);
      assert.equal(held.hold.slot.status, 'held');
      await page.reload();
      await settled(page);
      const box = page.locator('#held-for-you');
      await box.waitFor();
      const item = box.locator(`.held-item[data-slot="${slot.id}"]`);
      const s = await words(page, 'es', T, { start: slot.starts_at, end: slot.ends_at, at: held.hold.expires_at });
      assert.equal((await box.locator('h2').innerText()).trim(), T['waitlist.heldTitle']);
      assert.equal((await item.locator('.slot-time').innerText()).trim(), s.range);
      const meta = await item.locator('.slot-meta').innerText();
      assert.ok(meta.includes(T['topic.market_entry']) && meta.includes(advisor.name) && meta.includes(T['advice.online']), meta);
      assert.equal((await item.locator('.held-until').innerText()).trim(), fill(T['waitlist.heldUntil'], { time: s.at }));
      assert.equal((await item.locator('.held-book').innerText()).trim(), T['waitlist.book']);
      assert.equal((await item.locator('.held-decline').innerText()).trim(), T['waitlist.decline']);
      // Her own list of open slots shows it too, marked as hers.
      const listed = page.locator(`#slot-list .slot[data-slot="${slot.id}"]`);
      await listed.waitFor();
      assert.ok((await listed.innerText()).includes(T['waitlist.heldBadge']));
      assert.ok((await card.innerText()).includes(T['waitlist.heldNote']));
      await assertNoStrayValues(page, 'the page with a slot held');
      await page.screenshot({ path: join(SHOTS, 'waitlist-held-page-desktop-es.png'), fullPage: true });

      // Another learner neither sees the slot nor can book it.
      const bea = await learner('Bea Otra');
      const open = (await apiJson(bea.token, `/api/slots?advisor_id=${advisor.id}&limit=1000`)).items.map((x) => x.id);
      assert.ok(!open.includes(slot.id), 'the held slot is not listed to others');
      const other = await newPage();
      await login(other, bea.email);
      await other.goto(`${BASE}/#/advice`);
      await settled(other);
      await other.locator('#slot-list :is(.slot-groups, .empty)').first().waitFor();
      assert.equal(await other.locator(`#slot-list .slot[data-slot="${slot.id}"]`).count(), 0, 'not on the other learner\'s page');
      assert.equal(await other.locator('#held-for-you').count(), 0);
      await other.context().close();
      const refused = await apiCall(bea.token, `/api/slots/${slot.id}/booking`, { method: 'POST', body: { note: '' } });
      assert.equal(refused.status, 409);
      assert.equal((await refused.json()).code, 'slot.held');

      // Keyboard only: Tab to "Book this session" (the first thing of the page after the
      // header), Enter; the toast, the focus on the new booking; the entry is "booked".
      await page.reload();
      await settled(page);
      await box.waitFor();
      const presses = await tabTo(page, `#held-for-you .held-item[data-slot="${slot.id}"] .held-book`, { max: 20 });
      assert.ok(presses <= 12, `"Book this session" after ${presses} Tabs`);
      const booked = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/api/slots/${slot.id}/booking`));
      await page.keyboard.press('Enter');
      assert.equal((await booked).status(), 201);
      await page.locator('.toast', { hasText: T['advice.booked'] }).waitFor();
      const booking = (await apiJson(ana.token, '/api/bookings')).items.find((b) => b.slot.id === slot.id && b.status === 'active');
      assert.ok(booking, 'the booking is on the server');
      assert.equal(booking.note, note, 'booked with the note of the waitlist');
      await focusOn(page, `#booking-list .booking[data-booking="${booking.id}"]`, 'the new booking');
      assert.equal(await page.locator('#held-for-you').count(), 0, 'nothing held any more');
      await card.locator('.badge', { hasText: T['waitlist.status.booked'] }).waitFor();
      assert.equal(await card.locator('.waitlist-leave').count(), 0, 'no "Leave" on a booked entry');
      assert.equal(await card.locator('.waitlist-position').count(), 0);
      const after = await mine(ana.token, entry.id);
      assert.deepEqual([after.status, after.hold, after.position], ['booked', null, null]);
      await assertNoStrayValues(page, 'the page after booking the held slot');
      await page.screenshot({ path: join(SHOTS, 'waitlist-booked-desktop-es.png'), fullPage: true });
      await page.context().close();
    } finally {
      await cleanup();
    }
  });

  test('declining: the first in line declines the held slot (confirm) and stays on the list; the slot is held for the second at once', async () => {
    try {
      const T = await uiStrings('es');
      const carla = await learner('Carla Primera');
      const dani = await learner('Dani Segundo', /Marea/);
      const first = await joinList(carla.token);
      const second = await joinList(dani.token);
      assert.deepEqual([first.position, second.position], [1, 2]);
      const slot = await publish(8);
      assert.equal((await mine(carla.token, first.id)).hold.slot.id, slot.id, 'held for the first in line');
      assert.equal((await mine(dani.token, second.id)).hold, null);

      // The second reads that she is number 2.
      const pageD = await advicePage(dani);
      assert.equal((await pageD.locator(`${entryCard(second.id)} .waitlist-position`).innerText()).trim(), fill(T['waitlist.position'], { n: 2 }));
      assert.equal(await pageD.locator('#held-for-you').count(), 0);
      await pageD.context().close();

      const page = await advicePage(carla);
      const item = page.locator(`#held-for-you .held-item[data-slot="${slot.id}"]`);
      await item.waitFor();
      // "Decline", then "Keep it" in the dialog: nothing changes.
      await item.locator('.held-decline').click();
      const dialog = page.locator('dialog[open]');
      assert.equal((await dialog.locator('.dialog-message').innerText()).trim(), T['waitlist.declineConfirm']);
      await dialog.locator('button[value=cancel]').click();
      await dialog.waitFor({ state: 'detached' });
      assert.ok((await mine(carla.token, first.id)).hold, 'still held after "Keep it"');
      // Declined: the alert goes, the entry still waits (number 1), the focus on it.
      await item.locator('.held-decline').click();
      const declined = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/decline'));
      await page.locator('dialog[open] button[value=ok]').click();
      assert.equal((await declined).status(), 200);
      await page.locator('.toast', { hasText: T['waitlist.declined'] }).waitFor();
      await page.locator('#held-for-you').waitFor({ state: 'detached' });
      await focusOn(page, entryCard(first.id), 'the entry, still waiting');
      const card = page.locator(entryCard(first.id));
      assert.equal((await card.locator('.booking-head .badge').last().innerText()).trim(), T['waitlist.status.waiting']);
      assert.equal((await card.locator('.waitlist-position').innerText()).trim(), fill(T['waitlist.position'], { n: 1 }));
      assert.equal(await page.locator(`#slot-list .slot[data-slot="${slot.id}"]`).count(), 0, 'no longer listed to her');
      const after = await mine(carla.token, first.id);
      assert.deepEqual([after.status, after.hold], ['waiting', null]);
      await assertNoStrayValues(page, 'the page after declining');
      await page.context().close();

      // The slot passed to the second in line.
      const next = await eventually(async () => {
        const e = await mine(dani.token, second.id);
        assert.ok(e.hold, 'held for the second in line');
        return e;
      });
      assert.equal(next.hold.slot.id, slot.id);
    } finally {
      await cleanup();
    }
  });

  test('leaving a waitlist (confirm); the empty list of open slots leads to the form; the server\'s 422 beside the fields', async () => {
    try {
      const T = await uiStrings('es');
      const eva = await learner('Eva Marcha');
      const entry = await joinList(eva.token, 'Solo sábados');
      const page = await advicePage(eva);
      const card = page.locator(entryCard(entry.id));
      await card.locator('.waitlist-leave').click();
      const dialog = page.locator('dialog[open]');
      assert.equal((await dialog.locator('.dialog-message').innerText()).trim(), T['waitlist.leaveConfirm']);
      const left = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/me/waitlist/${entry.id}`));
      await dialog.locator('button[value=ok]').click();
      assert.equal((await left).status(), 204);
      await page.locator('.toast', { hasText: T['waitlist.left'] }).waitFor();
      await card.locator('.badge', { hasText: T['waitlist.status.left'] }).waitFor();
      await focusOn(page, entryCard(entry.id), 'the entry that was left');
      assert.equal(await card.locator('.waitlist-leave').count(), 0);
      assert.equal(await card.locator('.waitlist-position').count(), 0);
      assert.deepEqual([(await mine(eva.token, entry.id)).status, (await mine(eva.token, entry.id)).position], ['left', null]);
      await assertNoStrayValues(page, 'the entry that was left');

      // No open slot on a topic (the demo has none on talent): the empty state leads to the
      // waitlist's form, with that topic chosen.
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const talent = (await apiJson(eva.token, `/api/slots?topic=talent&from=${encodeURIComponent(now)}`)).items;
      if (talent.length === 0) {
        await page.goto(`${BASE}/#/advice?topic=talent`);
        await settled(page);
        const emptyBox = page.locator('#slot-list .empty');
        await emptyBox.waitFor();
        assert.equal((await emptyBox.locator('.empty-text').innerText()).trim(), T['advice.noSlots.topic']);
        assert.ok(await page.locator('.waitlist-hint').isHidden(), 'no second way to the form above an empty list');
        await emptyBox.getByRole('button', { name: T['waitlist.cta'] }).click();
        await focusOn(page, '#waitlist-advisor', 'the first field of the waitlist form');
        assert.equal(await page.locator('#waitlist-topic').inputValue(), 'talent');
      }

      // Any advisor, any topic and no day: the server's messages beside the topic and the days.
      await page.locator('#waitlist-advisor').selectOption('');
      await page.locator('#waitlist-topic').selectOption('');
      for (let d = 1; d <= 7; d += 1) await page.locator(`#waitlist-days input[value="${d}"]`).setChecked(false);
      const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/me/waitlist'));
      await page.locator('#waitlist-submit').click();
      const res = await answer;
      assert.equal(res.status(), 422);
      const problem = await res.json();
      const byField = Object.fromEntries(problem.errors.map((e) => [e.field, e.message]));
      assert.ok(byField.topic && byField.weekdays, JSON.stringify(problem.errors));
      await page.locator('.field[data-field=topic] .field-error:not([hidden])').waitFor();
      assert.equal((await page.locator('.field[data-field=topic] .field-error').innerText()).trim(), byField.topic);
      assert.equal((await page.locator('#waitlist-days .field-error').innerText()).trim(), byField.weekdays);
      assert.equal(await page.locator('#waitlist-topic').getAttribute('aria-invalid'), 'true');
      assert.equal((await page.locator('#waitlist-form .alert-error').innerText()).trim(), T['form.checkFields']);
      await focusOn(page, '#waitlist-form [aria-invalid="true"]', 'the first field named');
      assert.equal((await apiJson(eva.token, '/api/me/waitlist')).items.filter((e) => e.status === 'waiting').length, 0, 'nothing joined');
      await assertNoStrayValues(page, 'the form with errors');
      await page.locator('#waitlist').screenshot({ path: join(SHOTS, 'waitlist-form-errors-desktop-es.png') });
      await page.context().close();
    } finally {
      await cleanup();
    }
  });

  test('Javier reads who waits and his held slot; the SME\'s coordinator reads the learner among hers', async () => {
    const restore = [];
    try {
      const T = await uiStrings('es');
      const flor = await learner('Flor Demanda');
      const entry = await joinList(flor.token, 'Entrada en el mercado luso');
      const slot = await publish(10);
      const held = await mine(flor.token, entry.id);
      assert.equal(held.hold.slot.id, slot.id);
      const seen = (await apiJson(advisor.token, '/api/waitlist')).items;
      assert.ok(seen.some((e) => e.id === entry.id), 'GET /api/waitlist lists her for Javier');

      const page = await newPage();
      restore.push(await signInSpanish(page, ADVISOR));
      await page.goto(`${BASE}/#/advisor`);
      await settled(page);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
      assert.equal((await page.locator('h2#waiting-heading').innerText()).trim(), T['waitlist.advisorTitle']);
      const card = page.locator(`#waiting-for-me .waitlist-entry[data-entry="${entry.id}"]`);
      await card.waitFor();
      // In the order of the server (oldest first).
      assert.deepEqual(await page.locator('#waiting-for-me .waitlist-entry').evaluateAll((els) => els.map((e) => Number(e.dataset.entry))), seen.map((e) => e.id));
      const w = await words(page, 'es', T, { weekday: 6, date: held.created_at, start: slot.starts_at, end: slot.ends_at, at: held.hold.expires_at });
      assert.equal((await card.locator('.waitlist-who').innerText()).replace(/\s+/g, ' ').trim(), `${flor.name} ${flor.sme.name}`);
      assert.equal((await card.locator('.waitlist-what').innerText()).replace(/\s+/g, ' ').trim(), `${T['topic.market_entry']} ${advisor.name}`);
      assert.equal((await card.locator('.waitlist-when').innerText()).trim(), w.when);
      assert.equal((await card.locator('.waitlist-since').innerText()).trim(), fill(T['waitlist.since'], { date: w.date }));
      assert.equal((await card.locator('.waitlist-held').innerText()).replace(/\s+/g, ' ').trim(),
        `${T['advisor.held']} ${fill(T['waitlist.heldFor'], { time: w.range, until: w.at })}`);
      assert.ok((await card.innerText()).includes('Entrada en el mercado luso'));
      // His slot, held: the badge.
      const mineSlot = page.locator(`#my-slots .slot[data-slot="${slot.id}"]`);
      await mineSlot.waitFor();
      assert.equal((await mineSlot.locator('.slot-meta .badge').first().innerText()).trim(), T['advisor.held']);
      await assertNoStrayValues(page, 'the advisor\'s slots with who waits');
      await page.screenshot({ path: join(SHOTS, 'waitlist-advisor-desktop-es.png'), fullPage: true });
      await page.context().close();

      // The coordinator of Xenogen's partner, on the advice page of her SMEs.
      const coord = await apiLogin(COORDINATOR);
      const theirs = (await apiJson(coord, '/api/waitlist')).items;
      assert.ok(theirs.some((e) => e.id === entry.id));
      const staff = await newPage();
      restore.push(await signInSpanish(staff, COORDINATOR));
      await staff.goto(`${BASE}/#/staff/bookings`);
      await settled(staff);
      assert.equal((await staff.locator('#waiting-learners-heading').innerText()).trim(), T['waitlist.staffTitle']);
      assert.equal(await staff.locator('#waiting-learners .waitlist-entry').count(), theirs.length, 'one card per entry of the API');
      const row = staff.locator(`#waiting-learners .waitlist-entry[data-entry="${entry.id}"]`);
      assert.equal((await row.locator('.waitlist-who').innerText()).replace(/\s+/g, ' ').trim(), `${flor.name} ${flor.sme.name}`);
      assert.equal((await row.locator('.waitlist-when').innerText()).trim(), w.when);
      assert.equal((await staff.locator('#staff-bookings-heading').innerText()).trim(), T['staff.bookingsHeading']);
      await assertNoStrayValues(staff, 'the coordinator\'s advice page');
      await staff.screenshot({ path: join(SHOTS, 'waitlist-coordinator-desktop-es.png'), fullPage: true });
      await staff.setViewportSize(PHONE);
      await settled(staff);
      await staff.screenshot({ path: join(SHOTS, 'waitlist-coordinator-phone-es.png'), fullPage: true });
      assert.ok((await overflow(staff)) <= 1, `the coordinator's page overflows at phone width: ${await widest(staff)}`);
      await staff.context().close();
    } finally {
      for (const fn of restore) await fn();
      await cleanup();
    }
  });

  test('axe-core and phone widths: the advice page with a slot held and the form (also with errors), desktop in Spanish and phone in Galician; screenshots', async () => {
    try {
      const gema = await learner('Gema Accesible');
      const entry = await joinList(gema.token, 'Primera exportación');
      const slot = await publish(9);
      assert.equal((await mine(gema.token, entry.id)).hold.slot.id, slot.id);
      const found = {};
      for (const [viewport, lang, device] of [[DESKTOP, 'es', 'desktop'], [PHONE, 'gl', 'phone']]) {
        const T = await uiStrings(lang);
        // axe is injected as a script: this context bypasses the page's CSP (only here).
        const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
        const page = await context.newPage();
        page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
        await login(page, gema.email);
        if (await page.evaluate(() => document.documentElement.lang) !== lang) {
          await page.locator('#lang-switch').selectOption(lang);
          await page.waitForFunction((l) => document.documentElement.lang === l, lang);
        }
        await page.goto(`${BASE}/#/advice`);
        await settled(page);
        await page.locator(`#held-for-you .held-item[data-slot="${slot.id}"]`).waitFor();
        await page.locator(entryCard(entry.id)).waitFor();
        await page.waitForLoadState('networkidle');
        assert.equal((await page.locator('#held-for-you h2').innerText()).trim(), T['waitlist.heldTitle']);
        assert.equal((await page.locator('#waitlist-heading').innerText()).trim(), T['waitlist.title']);
        // Days and months never in English (Galician: Spanish where the browser has no Galician).
        assert.doesNotMatch(await page.locator('main').innerText(), /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b/);
        const v = await axe(page);
        if (v.length) found[`${device} ${lang}`] = v;
        assert.ok((await overflow(page)) <= 1, `${device}: the advice page scrolls sideways`);
        await assertNoStrayValues(page, `the advice page on a ${device}`);
        await page.screenshot({ path: join(SHOTS, `waitlist-advice-${device}-${lang}.png`), fullPage: true });
        await page.locator('#held-for-you').screenshot({ path: join(SHOTS, `waitlist-held-${device}-${lang}.png`) });
        // The buttons of the hold are in view and usable on a phone.
        const fit = await page.evaluate(() => [...document.querySelectorAll('#held-for-you .btn')].every((b) => {
          const r = b.getBoundingClientRect();
          return r.left >= 0 && r.right <= window.innerWidth && r.height >= 32;
        }));
        assert.ok(fit, `${device}: the buttons of the hold fit`);
        // With the server's errors shown.
        await page.locator('#waitlist-advisor').selectOption('');
        await page.locator('#waitlist-topic').selectOption('');
        for (let d = 1; d <= 7; d += 1) await page.locator(`#waitlist-days input[value="${d}"]`).setChecked(false);
        await page.locator('#waitlist-submit').click();
        await page.locator('#waitlist-days .field-error:not([hidden])').waitFor();
        const w = await axe(page);
        if (w.length) found[`${device} ${lang} with errors`] = w;
        assert.ok((await overflow(page)) <= 1, `${device}: the form with errors scrolls sideways`);
        await page.locator('#waitlist').screenshot({ path: join(SHOTS, `waitlist-form-${device}-${lang}.png`) });
        await context.close();
      }
      await apiJson(gema.token, '/api/me', { method: 'PATCH', body: { locale: 'es' } });
      assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
    } finally {
      await cleanup();
    }
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
