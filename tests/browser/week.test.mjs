// "My week" of an advisor (#/advisor/week), against the real server and the demo data, in
// Spanish: the demo's advisor of market entry (Javier, Madrid)
// - opens the page from the navigation; the seven days and their slots are those of
//   GET /api/me/week (dates, holidays, counts, times, topics, status, learner and SME), for this
//   week and, with the "next week" button, the following weeks; the week is in the address and a
//   reload keeps it;
// - sets the holiday region (Galicia), the break and a daily cap of 2 through the "Working days"
//   card: the API has them, the card lists the region's coming holidays (the first five, then
//   "show all") and the data's source, the week of one of those holidays (found in the API's
//   list) shows it, a day with more sessions than the cap is flagged; a cap of 0 gets the
//   server's Spanish message beside the field;
// - takes a day off through the form on a day with an open slot and a booked one (published and
//   booked through the API for the purpose): the open slot is withdrawn (the page says how many),
//   the booked session is listed with its learner, its time and a link to the bookings page, the
//   day is marked; a last day before the first gets the server's Spanish message beside "Último
//   día"; the days off are removed (confirmed) and the mark goes;
// - moves between weeks with the keyboard only (Tab, Shift+Tab, Enter, Space): the focus stays
//   on the button pressed, the address follows;
// - axe-core (no critical or serious violation) at desktop and phone widths, also with a
//   message shown; on a phone the days are one list under the other and nothing is wider than
//   the screen; screenshots week-*.png; no "null"/"undefined", no script error or CSP report.
// What it changes is put back: the advisor's rules (PUT of what GET answered first), the days off
// and slots it created, the profile language.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR, SCREENSHOT_DIR (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE, PASSWORD, DESKTOP, PHONE, launch, newPage as openPage, settled, login, apiLogin, apiCall, apiJson, uiStrings, fill,
  plural, assertNoStrayValues, newLearner, tabTo, focused,
} from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

const ADVISOR = 'advisor.markets@iberobio.example';

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

let token;
let original; // GET /api/me/availability before the tests
let originalLocale;
const createdSlots = [];
const createdTimeOff = [];

/** The API in Spanish (holiday names, region names and messages are the reader's language). */
async function es(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'accept-language': 'es' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
async function esOk(path, options) {
  const res = await es(path, options);
  assert.ok(res.status >= 200 && res.status < 300, `${options?.method || 'GET'} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const pad = (n) => String(n).padStart(2, '0');
function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}
function todayIn(tz) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
/** A wall-clock time of a day in `tz` as UTC RFC 3339. */
function wallToUtc(day, hhmm, tz) {
  const [y, m, d] = day.split('-').map(Number);
  const [hh, mm] = hhmm.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const offset = (ms) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    }).formatToParts(ms).map((x) => [x.type, x.value]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - ms;
  };
  return new Date(guess - offset(guess - offset(guess))).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function publish(day, hhmm, tz, minutes = 45) {
  const startsAt = wallToUtc(day, hhmm, tz);
  const endsAt = new Date(Date.parse(startsAt) + minutes * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const slot = await apiJson(token, '/api/slots', {
    method: 'POST', body: { starts_at: startsAt, ends_at: endsAt, topic: 'talent', mode: 'online', location: 'https://meet.iberobio.example/semana-javier' },
  });
  createdSlots.push(slot.id);
  return slot;
}

/** A weekday (Tuesday to Thursday) at least `from` days ahead with no slot, holiday or day off. */
async function freeDay(from, avoid = []) {
  const tz = original.time_zone;
  const avail = await esOk('/api/me/availability');
  const holidays = new Set(avail.holidays.map((x) => x.date));
  for (let n = from; n < from + 90; n += 1) {
    const day = addDays(todayIn(tz), n);
    if (avoid.includes(day) || holidays.has(day)) continue;
    const week = await esOk(`/api/me/week?date=${day}`);
    const d = week.days.find((x) => x.date === day);
    if (d.weekday >= 2 && d.weekday <= 4 && !d.holiday && d.time_off === null && d.slots.length === 0) return day;
  }
  assert.fail('no free weekday in three months');
}

/** The browser's own Intl (not the app's code): "Martes, 8 de diciembre". */
async function dayNames(page, dates) {
  const tag = (await (await fetch(`${BASE}/api/languages`)).json()).items.find((l) => l.code === 'es').tag;
  return page.evaluate(({ tag, dates }) => dates.map((d) => {
    const [y, m, day] = d.split('-').map(Number);
    const s = new Intl.DateTimeFormat(tag, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(Date.UTC(y, m - 1, day)));
    return s.charAt(0).toLocaleUpperCase(tag) + s.slice(1);
  }), { tag, dates });
}

/** What the page shows of the week: per day its date, heading, flags, count and slots. */
function weekOnScreen(page) {
  return page.locator('#week').evaluate((section) => [...section.querySelectorAll('ol.week-days > li.week-day')].map((li) => ({
    date: li.dataset.date,
    heading: li.querySelector('h3').textContent.replace(/\s+/g, ' ').trim(),
    flags: [...li.querySelectorAll('.week-day-flag .badge')].map((b) => b.textContent.trim()),
    count: (li.querySelector('.week-day-count') || { textContent: '' }).textContent.replace(/\s+/g, ' ').trim(),
    overCap: Boolean(li.querySelector('.badge-danger')),
    slots: [...li.querySelectorAll('ul.week-slots > li.week-slot')].map((s) => ({
      id: s.dataset.slot,
      time: s.querySelector('.week-slot-time').textContent.trim(),
      badges: [...s.querySelectorAll('.week-slot-meta .badge')].map((b) => b.textContent.trim()),
      who: (s.querySelector('.week-slot-who') || { textContent: '' }).textContent.trim(),
    })),
    empty: Boolean(li.querySelector('.week-empty')),
  })));
}

/** The week of the API as the page must show it, in the words of the Spanish table. */
function expectedWeek(T, week, names) {
  const today = todayIn(week.time_zone);
  return week.days.map((d, i) => {
    let count = '';
    if (week.daily_cap) count = fill(T['week.sessionsOfCap'], { n: d.sessions, cap: week.daily_cap });
    else if (d.sessions) count = plural(T, 'es', 'week.sessions', d.sessions);
    if (count && d.booked) count += ` · ${plural(T, 'es', 'week.booked', d.booked)}`;
    if (d.over_cap) count += ` ${T['week.overCap']}`;
    const flags = [];
    if (d.holiday) flags.push(fill(T['week.holiday'], { name: d.holiday }));
    if (d.time_off !== null) flags.push(d.time_off ? fill(T['week.dayOffReason'], { reason: d.time_off }) : T['week.dayOff']);
    return {
      date: d.date,
      heading: d.date === today ? `${names[i]} ${T['week.today']}` : names[i],
      flags,
      count,
      overCap: d.over_cap,
      slots: d.slots.map((x) => ({
        id: String(x.slot.id),
        time: `${x.slot.starts_at_local.slice(11, 16)}–${x.slot.ends_at_local.slice(11, 16)}`,
        badges: [T[`topic.${x.slot.topic}`], T[`week.status.${x.slot.status}`]],
        who: x.learner ? [x.learner.name, x.sme && x.sme.name].filter(Boolean).join(' · ') : '',
      })),
      empty: d.slots.length === 0,
    };
  });
}

async function assertWeekMatches(page, T, week) {
  await page.locator(`#week[data-first="${week.first_day}"]`).waitFor();
  const names = await dayNames(page, week.days.map((d) => d.date));
  assert.deepEqual(await weekOnScreen(page), expectedWeek(T, week, names), `the week of ${week.first_day}`);
}

/** The advisor signed in, in Spanish. */
async function advisorPage(options = {}) {
  if (options.context) await options.context.addInitScript(() => { try { localStorage.setItem('academy.lang', 'es'); } catch { /* about:blank */ } });
  const page = options.context ? await options.context.newPage() : await newPage({ lang: 'es', ...options });
  if (options.context) page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await login(page, ADVISOR);
  if (await page.evaluate(() => document.documentElement.lang) !== 'es') {
    await page.locator('#lang-switch').selectOption('es');
    await page.waitForFunction(() => document.documentElement.lang === 'es');
    await settled(page);
  }
  return page;
}

async function openWeek(page, date) {
  await page.goto(`${BASE}/#/advisor/week${date ? `?date=${date}` : ''}`);
  await settled(page);
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('my week (advisor)', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
    token = await apiLogin(ADVISOR);
    original = await esOk('/api/me/availability');
    originalLocale = (await apiJson(token, '/api/me')).locale;
  });

  after(async () => {
    // The advisor as the demo left them.
    try {
      for (const id of createdTimeOff) await apiCall(token, `/api/me/time-off/${id}`, { method: 'DELETE' });
      for (const id of createdSlots) await apiCall(token, `/api/slots/${id}`, { method: 'DELETE' });
      const put = await apiCall(token, '/api/me/availability', {
        method: 'PUT', body: { holiday_region: original.holiday_region, buffer_minutes: original.buffer_minutes, daily_cap: original.daily_cap },
      });
      assert.equal(put.status, 200, 'the advisor\'s rules are put back');
      const now = await esOk('/api/me/availability');
      assert.deepEqual(now.time_off.map((x) => x.id), original.time_off.map((x) => x.id), 'only the days off there were before');
      const locale = await apiCall(token, '/api/me', { method: 'PATCH', body: { locale: originalLocale } });
      assert.equal(locale.status, 200, 'the profile language is put back');
    } finally {
      if (browser) await browser.close();
    }
  });

  test('the week on the page is the week of GET /api/me/week, and stays in the address', async () => {
    const T = await uiStrings('es');
    const page = await advisorPage();
    try {
      // From the navigation: between "Mis horarios" and "Reservas".
      const nav = await page.locator('#main-nav .nav-list a').allTextContents();
      const at = nav.indexOf(T['nav.advisorWeek']);
      assert.ok(at > 0, `"${T['nav.advisorWeek']}" in ${nav.join(', ')}`);
      assert.deepEqual(nav.slice(at - 1, at + 2), [T['nav.advisor'], T['nav.advisorWeek'], T['nav.advisorBookings']]);
      await page.locator('#main-nav').getByRole('link', { name: T['nav.advisorWeek'], exact: true }).click();
      await page.waitForURL(/#\/advisor\/week$/);
      await settled(page);
      assert.equal((await page.locator('h1').innerText()).trim(), T['week.title']);
      assert.equal(await page.locator('#main-nav a[aria-current=page]').innerText(), T['nav.advisorWeek']);

      // This week, then the next ones (the demo's slots and booking are next week) with the button.
      let week = await esOk('/api/me/week');
      assert.equal(week.days.length, 7);
      assert.equal(week.days[0].weekday, 1);
      assert.ok(week.days.some((d) => d.date === todayIn(week.time_zone)), 'this week has today');
      await assertWeekMatches(page, T, week);
      assert.equal(await page.locator('li.week-day[aria-current=date]').getAttribute('data-date'), todayIn(week.time_zone));
      let slots = 0;
      let booked = 0;
      for (let i = 0; i < 3; i += 1) {
        await page.locator('#week-next').click();
        await page.waitForURL(new RegExp(`#/advisor/week\\?date=${week.next}$`));
        await settled(page);
        week = await esOk(`/api/me/week?date=${week.next}`);
        await assertWeekMatches(page, T, week);
        slots += week.days.reduce((n, d) => n + d.slots.length, 0);
        booked += week.days.reduce((n, d) => n + d.booked, 0);
      }
      assert.ok(slots > 0, 'the demo\'s slots were among the weeks compared');
      assert.ok(booked > 0, 'a booked session (with its learner and SME) was among them');
      // Range heading, and a reload keeps the week.
      const heading = await page.locator('#week-heading').innerText();
      await page.reload();
      await settled(page);
      assert.equal(await page.locator('#week').getAttribute('data-first'), week.first_day);
      assert.equal(await page.locator('#week-heading').innerText(), heading);
      await assertWeekMatches(page, T, week);
      // "Esta semana" goes back to this week, without a date in the address.
      await page.getByRole('button', { name: T['week.thisWeek'], exact: true }).click();
      await page.waitForURL(/#\/advisor\/week$/);
      await settled(page);
      await assertWeekMatches(page, T, await esOk('/api/me/week'));
      await assertNoStrayValues(page, 'the week');
      // A date that is not one: this week.
      await openWeek(page, 'mañana');
      await assertWeekMatches(page, T, await esOk('/api/me/week'));
    } finally {
      await page.context().close();
    }
  });

  test('working days: region, break and cap through the card; the holidays; a day over the cap; a 422 beside the field', async () => {
    const T = await uiStrings('es');
    // Start from known rules: the demo's region, no break, no cap.
    await esOk('/api/me/availability', { method: 'PUT', body: { holiday_region: 'ES', buffer_minutes: 0, daily_cap: null } });
    // A day with three sessions (published before the cap, as an advisor would have).
    const busyDay = await freeDay(15);
    for (const time of ['09:00', '10:00', '11:00']) await publish(busyDay, time, original.time_zone);

    const page = await advisorPage();
    try {
      await openWeek(page);
      const card = page.locator('#workdays-form');
      assert.equal((await card.locator('h2').innerText()).trim(), T['week.settingsTitle']);
      const region = card.getByLabel(T['week.region'], { exact: true });
      const regions = original.regions;
      assert.deepEqual(await region.locator('option').allTextContents(), [T['week.noRegion'], ...regions.map((r) => r.name)], 'the API\'s regions, in Spanish');
      assert.equal(await region.inputValue(), 'ES');
      await region.selectOption('ES-GA');
      await card.getByLabel(T['week.buffer'], { exact: true }).fill('15');
      const cap = card.getByLabel(T['week.cap'], { exact: true });
      assert.equal(await cap.inputValue(), '', 'no cap: empty');

      // A cap of 0: the server's message, in Spanish, beside the field; nothing saved.
      await cap.fill('0');
      await card.getByRole('button', { name: T['week.save'], exact: true }).click();
      const capError = card.locator('.field[data-field=daily_cap] .field-error');
      await capError.waitFor();
      const refused = await es('/api/me/availability', { method: 'PUT', body: { holiday_region: 'ES-GA', buffer_minutes: 15, daily_cap: 0 } });
      assert.equal(refused.status, 422);
      const problem = refused.body.errors.find((e) => e.field === 'daily_cap');
      assert.ok(problem, JSON.stringify(refused.body));
      assert.equal((await capError.innerText()).trim(), problem.message);
      assert.equal(await cap.getAttribute('aria-invalid'), 'true');
      assert.equal((await esOk('/api/me/availability')).holiday_region, 'ES', 'nothing saved');
      await page.screenshot({ path: join(SHOTS, 'week-settings-error-desktop-es.png'), fullPage: true });

      // Galicia, 15 minutes, at most 2 a day.
      await cap.fill('2');
      await card.getByRole('button', { name: T['week.save'], exact: true }).click();
      await page.locator('.toast', { hasText: T['week.saved'] }).waitFor();
      const avail = await esOk('/api/me/availability');
      assert.equal(avail.holiday_region, 'ES-GA');
      assert.equal(avail.buffer_minutes, 15);
      assert.equal(avail.daily_cap, 2);
      assert.equal(await capError.isHidden(), true, 'the message has gone');
      assert.equal(await cap.getAttribute('aria-invalid'), null);

      // The region's coming holidays: the first five, then all of them; the data's source.
      assert.ok(avail.holidays.length > 5, `Galicia has more than five holidays a year: ${avail.holidays.length}`);
      const galicia = regions.find((r) => r.code === 'ES-GA').name;
      const box = page.locator('#holidays');
      assert.equal((await box.locator('h3').innerText()).trim(), fill(T['week.holidaysTitle'], { region: galicia }));
      const visibleNames = () => box.locator('.holiday-list li:visible .holiday-name').allTextContents();
      assert.deepEqual(await visibleNames(), avail.holidays.slice(0, 5).map((x) => x.name));
      const more = box.getByRole('button', { name: fill(T['week.showAllHolidays'], { n: avail.holidays.length }) });
      assert.equal(await more.getAttribute('aria-expanded'), 'false');
      await more.click();
      assert.deepEqual(await visibleNames(), avail.holidays.map((x) => x.name));
      assert.deepEqual(await box.locator('.holiday-list li').evaluateAll((li) => li.map((x) => x.dataset.date)), avail.holidays.map((x) => x.date));
      assert.equal(await box.getByRole('button', { name: T['week.showFewerHolidays'] }).getAttribute('aria-expanded'), 'true');
      assert.equal((await box.locator('.holidays-source').innerText()).trim(), fill(T['week.holidaysSource'], { source: avail.holidays_source }));
      assert.match(avail.holidays_source, /date-holidays/);

      // The week of a Galician holiday (the API's list): its badge with the name.
      const holiday = avail.holidays.find((x) => x.date > todayIn(avail.time_zone)) || avail.holidays[0];
      await openWeek(page, holiday.date);
      const week = await esOk(`/api/me/week?date=${holiday.date}`);
      assert.equal(week.holiday_region, 'ES-GA');
      assert.equal(week.days.find((d) => d.date === holiday.date).holiday, holiday.name);
      await assertWeekMatches(page, T, week);
      const badge = page.locator(`li.week-day[data-date="${holiday.date}"] .week-day-flag .badge`);
      assert.equal((await badge.innerText()).trim(), fill(T['week.holiday'], { name: holiday.name }));
      await page.locator(`li.week-day[data-date="${holiday.date}"]`).screenshot({ path: join(SHOTS, 'week-holiday-day-es.png') });

      // The day with three sessions and a cap of two: flagged, as the API says.
      await openWeek(page, busyDay);
      const capped = await esOk(`/api/me/week?date=${busyDay}`);
      const day = capped.days.find((d) => d.date === busyDay);
      assert.equal(day.sessions, 3);
      assert.equal(day.over_cap, true);
      await assertWeekMatches(page, T, capped);
      const li = page.locator(`li.week-day[data-date="${busyDay}"]`);
      assert.equal((await li.locator('.week-count').innerText()).trim(), fill(T['week.sessionsOfCap'], { n: 3, cap: 2 }));
      await li.getByText(T['week.overCap'], { exact: true }).waitFor();
      await assertNoStrayValues(page, 'the week with a cap');
      await page.screenshot({ path: join(SHOTS, 'week-cap-desktop-es.png'), fullPage: true });
    } finally {
      await page.context().close();
      // No cap for the next tests (the days off publish two slots on one day).
      await esOk('/api/me/availability', { method: 'PUT', body: { holiday_region: 'ES-GA', buffer_minutes: 15, daily_cap: null } });
    }
  });

  test('days off: an open slot withdrawn, a booked session listed, the day marked; a 422 beside the field; removed again', async () => {
    const T = await uiStrings('es');
    const tz = original.time_zone;
    const day = await freeDay(22);
    const open = await publish(day, '10:00', tz);
    const taken = await publish(day, '12:00', tz);
    const learner = await newLearner({ name: 'Lucía Semana', sme: /Xenogen/, locale: 'es', timeZone: 'Europe/Madrid' });
    const learnerToken = await apiLogin(learner.email);
    const booking = await apiJson(learnerToken, `/api/slots/${taken.id}/booking`, { method: 'POST', body: { note: 'Mi semana' } });

    const page = await advisorPage();
    try {
      await openWeek(page, day);
      const li = page.locator(`li.week-day[data-date="${day}"]`);
      await li.locator(`li.week-slot[data-slot="${open.id}"]`).getByText(T['week.status.open'], { exact: true }).waitFor();
      await li.locator(`li.week-slot[data-slot="${taken.id}"]`).getByText(T['week.status.booked'], { exact: true }).waitFor();
      assert.equal((await li.locator(`li.week-slot[data-slot="${taken.id}"] .week-slot-who`).innerText()).trim(), `${learner.name} · ${learner.sme.name}`);

      const form = page.locator('#timeoff-form');
      const first = form.getByLabel(T['week.firstDay'], { exact: true });
      const last = form.getByLabel(T['week.lastDay'], { exact: true });

      // The last day before the first: the server's Spanish message beside "Último día".
      await first.fill(day);
      await last.fill(addDays(day, -1));
      await form.getByRole('button', { name: T['week.addTimeOff'], exact: true }).click();
      const lastError = form.locator('.field[data-field=last_day] .field-error');
      await lastError.waitFor();
      const refused = await es('/api/me/time-off', { method: 'POST', body: { first_day: day, last_day: addDays(day, -1), reason: '' } });
      assert.equal(refused.status, 422);
      const message = refused.body.errors.find((e) => e.field === 'last_day').message;
      assert.equal((await lastError.innerText()).trim(), message);
      assert.equal(await last.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement.name), 'last_day', 'the keyboard is on the field to fix');
      assert.deepEqual((await esOk('/api/me/availability')).time_off.map((x) => x.id), original.time_off.map((x) => x.id), 'nothing added');
      await page.locator('#timeoff').screenshot({ path: join(SHOTS, 'week-timeoff-error-es.png') });

      // That day off, with a reason.
      await last.fill(day);
      await form.getByLabel(T['week.reason'], { exact: true }).fill('Congreso BIO en Múnich');
      await form.getByRole('button', { name: T['week.addTimeOff'], exact: true }).click();
      const result = page.locator('#timeoff-result');
      await result.locator('.alert').waitFor();
      const added = (await esOk('/api/me/availability')).time_off.find((x) => x.first_day === day);
      assert.ok(added, 'the days off are on the server');
      createdTimeOff.push(added.id);
      assert.equal(added.last_day, day);
      assert.equal(added.reason, 'Congreso BIO en Múnich');
      assert.equal(await lastError.isHidden(), true);
      // One open slot withdrawn; the booked session to move or cancel, with a link to the bookings.
      assert.equal((await result.locator('.timeoff-withdrawn').innerText()).trim(), plural(T, 'es', 'week.withdrawn', 1));
      await result.getByText(plural(T, 'es', 'week.sessionsToMove', 1), { exact: true }).waitFor();
      const session = result.locator(`.timeoff-sessions li[data-booking="${booking.id}"]`);
      assert.ok((await session.innerText()).includes(learner.name), 'the learner of the booked session');
      assert.ok((await session.locator('.timeoff-session-time').innerText()).includes(taken.starts_at_local.slice(11, 16)), 'its time, in Madrid');
      assert.equal(await result.getByRole('link', { name: T['week.goToBookings'] }).getAttribute('href'), '#/advisor/bookings');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'timeoff-result', 'the keyboard is on what happened');

      // The week: the open slot gone, the booked one still there, the day marked with the reason.
      const week = await esOk(`/api/me/week?date=${day}`);
      const d = week.days.find((x) => x.date === day);
      assert.equal(d.time_off, 'Congreso BIO en Múnich');
      assert.deepEqual(d.slots.map((x) => x.slot.id), [taken.id], 'the open slot is withdrawn, the booked one stays');
      await assertWeekMatches(page, T, week);
      assert.equal((await li.locator('.week-day-flag .badge').innerText()).trim(), fill(T['week.dayOffReason'], { reason: 'Congreso BIO en Múnich' }));
      assert.equal(await li.locator(`li.week-slot[data-slot="${open.id}"]`).count(), 0);
      const openIds = (await apiJson(token, `/api/slots?advisor_id=${(await apiJson(token, '/api/me')).id}&limit=1000`)).items.map((s) => s.id);
      assert.ok(!openIds.includes(open.id), 'learners no longer see the withdrawn slot');
      // The list of days off.
      const item = page.locator(`.timeoff-item[data-time-off="${added.id}"]`);
      assert.ok((await item.innerText()).includes('Congreso BIO en Múnich'));
      await assertNoStrayValues(page, 'the week with a day off');
      await page.screenshot({ path: join(SHOTS, 'week-timeoff-desktop-es.png'), fullPage: true });

      // Removed (after confirming): the mark goes, the withdrawn slot does not come back.
      await item.getByRole('button', { name: new RegExp(`^${T['week.remove']}`) }).click();
      const dialog = page.locator('dialog[open]');
      assert.match((await dialog.locator('.dialog-message').innerText()).trim(), new RegExp(`^¿${T['week.remove']}`));
      await dialog.locator('button[value=ok]').click();
      await page.locator('.toast', { hasText: T['week.removed'] }).waitFor();
      await item.waitFor({ state: 'detached' });
      assert.ok(!(await esOk('/api/me/availability')).time_off.some((x) => x.id === added.id));
      createdTimeOff.splice(createdTimeOff.indexOf(added.id), 1);
      await li.locator('.week-day-flag').waitFor({ state: 'detached' });
      const after = await esOk(`/api/me/week?date=${day}`);
      assert.equal(after.days.find((x) => x.date === day).time_off, null);
      await assertWeekMatches(page, T, after);
      // The keyboard goes on where the removed item was (the next one, or the list's heading).
      assert.ok(await page.evaluate(() => document.activeElement.id === 'timeoff-list-heading' || Boolean(document.activeElement.closest('.timeoff-item'))),
        `focus after removing: ${JSON.stringify(await focused(page))}`);
    } finally {
      await page.context().close();
      // The session cancelled by its learner (its slot is deleted at the end, with the others).
      await apiCall(learnerToken, `/api/bookings/${booking.id}/cancellation`, { method: 'POST', body: { reason: 'prueba' } }).catch(() => null);
    }
  });

  test('keyboard only: previous, next and this week', async () => {
    const T = await uiStrings('es');
    const page = await advisorPage();
    try {
      await openWeek(page);
      const week = await esOk('/api/me/week');
      // Tab to "Semana siguiente", Enter: the next week; the focus stays on the button.
      await tabTo(page, '#week-next');
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`date=${week.next}$`));
      await settled(page);
      await page.locator(`#week[data-first="${week.next}"]`).waitFor();
      assert.equal((await focused(page)).id, 'week-next');
      await page.keyboard.press('Enter');
      const later = addDays(week.next, 7);
      await page.waitForURL(new RegExp(`date=${later}$`));
      await settled(page);
      assert.equal((await focused(page)).id, 'week-next');
      assert.equal(await page.locator('#week').getAttribute('data-first'), later);
      // Shift+Tab to "Semana anterior", Space: one week back.
      await tabTo(page, '#week-prev', { back: true });
      await page.keyboard.press('Space');
      await page.waitForURL(new RegExp(`date=${week.next}$`));
      await settled(page);
      assert.equal((await focused(page)).id, 'week-prev');
      assert.equal(await page.locator('#week').getAttribute('data-first'), week.next);
      // "Esta semana", Enter: this week again.
      await tabTo(page, '#week-today');
      assert.equal((await focused(page)).text, T['week.thisWeek']);
      await page.keyboard.press('Enter');
      await page.waitForURL(/#\/advisor\/week$/);
      await settled(page);
      assert.equal(await page.locator('#week').getAttribute('data-first'), week.first_day);
      assert.equal((await focused(page)).id, 'week-today');
      // The focus is visible on the button.
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none');
    } finally {
      await page.context().close();
    }
  });

  test('axe-core at desktop and phone widths; on a phone one day under the other, nothing wider than the screen', async () => {
    const T = await uiStrings('es');
    const week = await esOk('/api/me/week');
    // A week with slots (the demo's booking is next week).
    let date = week.first_day;
    for (let i = 0, w = week; i < 4; i += 1) {
      if (w.days.some((d) => d.booked)) { date = w.first_day; break; }
      w = await esOk(`/api/me/week?date=${w.next}`);
    }
    // A cap of 2: the days with more sessions carry the widest badge ("Supera su máximo diario").
    await esOk('/api/me/availability', { method: 'PUT', body: { holiday_region: 'ES-GA', buffer_minutes: 15, daily_cap: 2 } });
    assert.ok((await esOk(`/api/me/week?date=${date}`)).days.some((d) => d.over_cap), 'a day over the cap in the week checked');
    // axe is injected as a script: this context bypasses the page's CSP (only for axe).
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
    const page = await advisorPage({ context });
    try {
      await openWeek(page, date);
      assert.deepEqual(await axe(page), [], 'the week on a desktop');
      // Seven columns side by side on a desktop.
      const tops = await page.locator('li.week-day').evaluateAll((li) => li.map((x) => Math.round(x.getBoundingClientRect().top)));
      assert.equal(new Set(tops).size, 1, 'the seven days in one row on a desktop');
      // Nothing sticks out of its day's column (long badges and names wrap).
      const sticking = await page.locator('li.week-day').evaluateAll((li) => li.flatMap((day) => {
        const box = day.getBoundingClientRect();
        return [...day.querySelectorAll('*')].filter((el) => { const r = el.getBoundingClientRect(); return r.width && (r.right > box.right + 0.5 || r.left < box.left - 0.5); })
          .map((el) => `${day.dataset.date}: ${el.className || el.tagName} "${el.textContent.trim().slice(0, 40)}"`);
      }));
      assert.deepEqual(sticking, [], 'wider than their day');
      await page.screenshot({ path: join(SHOTS, 'week-desktop-es.png'), fullPage: true });
      // With a message shown.
      const form = page.locator('#timeoff-form');
      await form.getByLabel(T['week.firstDay'], { exact: true }).fill(addDays(todayIn(original.time_zone), 10));
      await form.getByLabel(T['week.lastDay'], { exact: true }).fill(addDays(todayIn(original.time_zone), 9));
      await form.getByRole('button', { name: T['week.addTimeOff'], exact: true }).click();
      await form.locator('.field[data-field=last_day] .field-error:not([hidden])').waitFor();
      assert.deepEqual(await axe(page), [], 'the week with a message');

      await page.setViewportSize(PHONE);
      await page.reload();
      await settled(page);
      assert.equal(await page.locator('#week').getAttribute('data-first'), date);
      assert.ok((await overflow(page)) <= 1, `the week is wider than a phone by ${await overflow(page)} px`);
      const boxes = await page.locator('li.week-day').evaluateAll((li) => li.map((x) => { const r = x.getBoundingClientRect(); return { left: Math.round(r.left), top: r.top, bottom: r.bottom, right: r.right }; }));
      assert.equal(boxes.length, 7);
      assert.equal(new Set(boxes.map((b) => b.left)).size, 1, 'one column of days on a phone');
      for (let i = 1; i < boxes.length; i += 1) assert.ok(boxes[i].top >= boxes[i - 1].bottom, 'each day under the one before');
      assert.ok(boxes.every((b) => b.right <= PHONE.width), 'no day wider than the screen');
      // The buttons of the week are on screen.
      for (const id of ['week-prev', 'week-today', 'week-next']) {
        const r = await page.locator(`#${id}`).boundingBox();
        assert.ok(r.x >= 0 && r.x + r.width <= PHONE.width, `#${id} on screen`);
      }
      await assertNoStrayValues(page, 'the week on a phone');
      assert.deepEqual(await axe(page), [], 'the week on a phone');
      await page.screenshot({ path: join(SHOTS, 'week-phone-es.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('no script errors and no CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});
