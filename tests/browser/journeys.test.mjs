// Journeys of the web UI's first week with real users (issue 15), against the real server and
// the demo data: keyboard-only journeys (a quiz with every question kind; booking and cancelling
// an advisory session; an advisor deleting a slot), a failed quiz on a phone ("Try again" until
// no attempt is left, with a compact timer and footer), a completed course offering "Review", and
// what coordinators and learners read on bookings and empty pages (the advisor's name, meeting
// links as links, never "null" or "undefined").
// The keyboard journeys press keys only: no clicks, no element.click(), no focus() from the test.
// Fresh learners are invited through the API (see helpers.mjs), so nothing here depends on what
// other test files did with the demo learners.
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD, ACADEMY_DATA_DIR, SCREENSHOT_DIR (see run.sh).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE, PASSWORD, PHONE, launch, newPage as openPage, settled, login, apiLogin, apiJson, advisorHolidays, eventually, uiStrings, fill, plural,
  newLearner, focused, tabTo, arrowTo, keyboardLogin, quizKey, plain, assertNoStrayValues,
} from './helpers.mjs';

const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });

let browser;
const problems = [];
const newPage = (options) => openPage(browser, problems, options);

function shot(page, name) {
  return page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Waits until the element with the focus matches `selector` (never <body>). */
async function focusOn(page, selector, what = selector) {
  try {
    await page.waitForFunction((s) => document.activeElement && document.activeElement !== document.body && document.activeElement.matches(s), selector, { timeout: 5000 });
  } catch {
    assert.fail(`the focus should be on ${what}, it is on ${JSON.stringify(await focused(page))}`);
  }
}

/** The focused control is on screen and not under the quiz's sticky timer or footer. */
async function assertFocusVisible(page) {
  const seen = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    if (y < 0 || y > window.innerHeight) return `off screen (${Math.round(y)})`;
    const hit = document.elementFromPoint(x, y);
    const bar = [...document.querySelectorAll('.countdown, .quiz-footer')].find((b) => b.contains(hit) && !b.contains(el));
    return bar ? `under .${bar.className.split(' ')[0]}` : '';
  });
  assert.equal(seen, '', `the focused control is hidden: ${JSON.stringify(await focused(page))}`);
}

/** Answers the focused radio group with the keyboard: arrows to `value`, Space if needed. */
async function chooseRadio(page, value) {
  await arrowTo(page, value);
  if (!(await page.evaluate(() => document.activeElement.checked))) await page.keyboard.press('Space');
  assert.ok(await page.evaluate(() => document.activeElement.checked), `radio ${value} checked`);
}

/** Confirms the open <dialog> with the keyboard (Tab to its confirm button, Enter). */
async function confirmWithKeyboard(page) {
  await page.locator('dialog[open]').waitFor();
  await tabTo(page, 'dialog[open] button[value=ok]', { max: 6 });
  await page.keyboard.press('Enter');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
}

describe('journeys of the first week with real users', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
  });
  after(async () => { if (browser) await browser.close(); });

  test('keyboard only: a learner signs in, enrols, answers every question kind of a quiz, submits and reads the result', async () => {
    const slug = 'regulatory-affairs';
    const T = await uiStrings('en');
    const learner = await newLearner({ name: 'Nuno Teclas', sme: /Algatec/, locale: 'en', timeZone: 'Europe/Lisbon' });
    const token = await apiLogin(learner.email);
    const course = await apiJson(token, `/api/courses/${slug}?lang=en`);
    const page = await newPage();
    await keyboardLogin(page, learner.email);
    assert.match(page.url(), /#\/courses$/);
    await focusOn(page, 'h1', 'the catalogue\'s heading');

    // The catalogue: Tab to the course, Enter; the course page's heading has the focus.
    await tabTo(page, '#course-list .course-title a', { text: course.title });
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/courses/${slug}$`));
    await settled(page);
    await focusOn(page, 'h1', 'the course\'s heading');

    // Enrol: the keyboard lands on the button that replaced "Enrol" ("Start the course").
    await tabTo(page, '#enrol');
    await page.keyboard.press('Enter');
    await page.locator('#course-next').waitFor();
    await focusOn(page, '#course-next', '"Start the course"');
    assert.equal((await page.locator('#course-next').innerText()).trim(), T['course.start']);

    // Start the quiz (a confirmation first: the clock starts).
    await tabTo(page, '#start-quiz');
    await page.keyboard.press('Enter');
    await confirmWithKeyboard(page);
    await page.waitForURL(/#\/attempts\//);
    await settled(page);
    await focusOn(page, 'h1', 'the quiz\'s heading');
    const attemptId = decodeURIComponent(/#\/attempts\/([^/?]+)/.exec(page.url())[1]);
    const attempt = await apiJson(token, `/api/quiz-attempts/${attemptId}?lang=en`);
    assert.equal(attempt.status, 'open');
    assert.deepEqual([...new Set(attempt.questions.map((x) => x.kind))].sort(), ['matching', 'multiple', 'numeric', 'single', 'text', 'true_false']);

    // Every question, in the order of the page, with the keys each kind takes: arrows in radio
    // groups, Space on checkboxes, typing, arrows in the matching menus. All right (from the
    // course's own key).
    const key = quizKey(slug);
    const expected = {};
    for (const x of attempt.questions) {
      const li = `#questions > li[data-question="${x.id}"]`;
      const k = key.questions.find((q) => q.id === x.id);
      assert.ok(k, `${x.id} is in courses/${slug}/quiz.toml`);
      if (x.kind === 'single') {
        const right = x.options.filter((o) => k.options.find((ko) => ko.id === o.id).correct).map((o) => o.id);
        await tabTo(page, `${li} input[type=radio]`);
        await assertFocusVisible(page);
        await chooseRadio(page, right[0]);
        expected[x.id] = [right[0]];
      } else if (x.kind === 'true_false') {
        await tabTo(page, `${li} input[type=radio]`);
        await assertFocusVisible(page);
        await chooseRadio(page, String(k.answer));
        expected[x.id] = k.answer;
      } else if (x.kind === 'multiple') {
        const right = x.options.filter((o) => k.options.find((ko) => ko.id === o.id).correct).map((o) => o.id);
        for (const o of x.options) {
          await tabTo(page, `${li} input[type=checkbox][value="${o.id}"]`, { max: 1 });
          await assertFocusVisible(page);
          if (right.includes(o.id)) await page.keyboard.press('Space');
        }
        assert.deepEqual(await page.locator(`${li} input:checked`).evaluateAll((els) => els.map((e) => e.value)), right);
        expected[x.id] = right;
      } else if (x.kind === 'text') {
        const text = (k.accepted[attempt.language] || k.accepted.en)[0];
        await tabTo(page, `${li} input.answer-input:not(.answer-number)`);
        await assertFocusVisible(page);
        await page.keyboard.type(text);
        expected[x.id] = text;
      } else if (x.kind === 'numeric') {
        await tabTo(page, `${li} input.answer-number`);
        await assertFocusVisible(page);
        await page.keyboard.type(String(k.answer));
        expected[x.id] = k.answer;
      } else if (x.kind === 'matching') {
        const pairs = {};
        const squash = (s) => plain(s).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
        for (const [i, left] of x.left.entries()) {
          const pair = k.pairs.find((p) => p.id === left.id);
          const right = x.right.find((r) => squash(r.label) === squash(pair.right[attempt.language] || pair.right.en));
          assert.ok(right, `the right side of ${x.id}/${left.id} is offered`);
          await tabTo(page, `${li} .match-row:nth-child(${i + 1}) select`);
          await assertFocusVisible(page);
          await arrowTo(page, right.id);
          pairs[left.id] = right.id;
        }
        expected[x.id] = pairs;
      }
    }
    const answered = fill(T['quiz.answeredCount'], { done: attempt.questions.length, total: attempt.questions.length });
    assert.ok((await page.locator('.quiz-footer').innerText()).includes(answered), `the footer says "${answered}"`);
    await eventually(async () => assert.deepEqual((await apiJson(token, `/api/quiz-attempts/${attemptId}`)).answers, expected));

    // Submit, confirm, and the result has the focus (its heading), read from top to bottom.
    await tabTo(page, '#submit-quiz');
    await assertFocusVisible(page);
    await page.keyboard.press('Enter');
    await confirmWithKeyboard(page);
    await page.locator('#quiz-result').waitFor();
    await focusOn(page, 'h1', 'the result\'s heading');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), T['quiz.resultTitle']);
    const result = (await apiJson(token, `/api/quiz-attempts/${attemptId}`)).result;
    assert.deepEqual([result.score, result.passed], [100, true]);
    assert.equal((await page.locator('#quiz-result .result-score').innerText()).trim(), fill(T['quiz.score'], { score: 100 }));
    assert.equal((await page.locator('#quiz-result .result-summary .badge').innerText()).trim(), T['quiz.passed']);
    await shot(page, 'journey-keyboard-quiz-result');

    // Back to the course with the keyboard: it says the quiz is passed.
    await tabTo(page, '#quiz-result a', { text: T['module.backToCourse'] });
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/courses/${slug}$`));
    await settled(page);
    await focusOn(page, 'h1', 'the course\'s heading');
    assert.ok(await page.locator('.quiz-card .badge', { hasText: T['quiz.passed'] }).count());
    await page.context().close();
  });

  test('keyboard only: a learner reads an empty certificates page, books an advisory slot with a note and cancels it; the focus follows', async () => {
    const T = await uiStrings('es');
    const learner = await newLearner({ name: 'Lía Teclado', sme: /Algatec/, locale: 'es', timeZone: 'Europe/Madrid' });
    const token = await apiLogin(learner.email);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const slot = (await apiJson(token, `/api/slots?topic=ip&from=${encodeURIComponent(now)}`)).items
      .sort((a, b) => a.starts_at.localeCompare(b.starts_at))[0];
    assert.ok(slot, 'an open IP slot (Marta\'s, online)');
    assert.match(slot.location, /^https:\/\//);

    const page = await newPage();
    await keyboardLogin(page, learner.email);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');

    // No certificates yet: the empty state, and nothing like "null" or "undefined".
    await tabTo(page, '#main-nav a', { text: T['nav.certificates'], back: true });
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/certificates$/);
    await settled(page);
    await focusOn(page, 'h1', 'the certificates\' heading');
    assert.equal((await page.locator('.empty .empty-title').innerText()).trim(), T['cert.empty.title']);
    await assertNoStrayValues(page, 'an empty certificates page');

    // Advice: back up to the navigation (Shift+Tab), then the topic menu with the arrows; the
    // page is drawn again for the topic and the keyboard stays on the menu.
    await tabTo(page, '#main-nav a', { text: T['nav.advice'], back: true });
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/advice$/);
    await settled(page);
    await focusOn(page, 'h1', 'the advice page\'s heading');
    await tabTo(page, '#slot-topic');
    const topics = await page.locator('#slot-topic option').evaluateAll((os) => os.map((o) => o.value));
    for (const want of topics.slice(1, topics.indexOf('ip') + 1)) {
      await page.evaluate(() => { document.getElementById('slot-topic').dataset.old = 'yes'; });
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction((w) => location.hash.endsWith(`topic=${w}`), want);
      await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'slot-topic' && !document.activeElement.dataset.old);
      await settled(page);
    }
    await page.locator(`#slot-list .slot[data-slot="${slot.id}"]`).waitFor();
    // Meeting links are links, in the slots as in the bookings.
    const slotLink = page.locator(`#slot-list .slot[data-slot="${slot.id}"] a.meeting-link`);
    assert.equal(await slotLink.getAttribute('href'), slot.location);

    // Book: "Reservar" opens the form with the focus in the note; Tab to confirm; Enter.
    await tabTo(page, `#slot-list .slot[data-slot="${slot.id}"] .book-btn`);
    await page.keyboard.press('Enter');
    await focusOn(page, `#note-${slot.id}`, 'the note of the booking');
    const note = 'Libertad de operación para un pigmento de algas';
    await page.keyboard.type(note);
    await tabTo(page, `#slot-list .slot[data-slot="${slot.id}"] button[type=submit]`, { max: 2 });
    await page.keyboard.press('Enter');
    await page.locator('.toast', { hasText: T['advice.booked'] }).waitFor();
    const booking = (await apiJson(token, '/api/bookings')).items.find((b) => String(b.slot.id) === String(slot.id) && b.status === 'active');
    assert.ok(booking, 'the booking is on the server');
    assert.equal(booking.note, note);
    const card = `#booking-list .booking[data-booking="${booking.id}"]`;
    // The focus is on the new booking (not on <body>), and "Cancel booking" is a few Tabs away.
    await focusOn(page, card, 'the new booking');
    const link = page.locator(`${card} a.meeting-link`);
    assert.deepEqual([await link.getAttribute('href'), await link.getAttribute('target')], [slot.location, '_blank']);
    const presses = await tabTo(page, `${card} button`, { text: T['advice.cancelBooking'], max: 8 });
    assert.ok(presses >= 1 && presses <= 8, `"Cancel booking" ${presses} Tab presses after the booking`);
    await shot(page, 'journey-keyboard-booked');

    // Cancel with a reason: the dialog's note, Tab to confirm, Enter; the focus goes to the
    // booking, now cancelled.
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    await tabTo(page, 'dialog[open] textarea', { max: 3 });
    const reason = 'Coincide con una feria en Lisboa';
    await page.keyboard.type(reason);
    await confirmWithKeyboard(page);
    await page.locator(`${card} .badge`, { hasText: T['booking.status.cancelled'] }).waitFor();
    await focusOn(page, card, 'the cancelled booking');
    assert.ok((await page.locator(card).innerText()).includes(reason));
    assert.equal(await page.locator(`${card} button`, { hasText: T['advice.cancelBooking'] }).count(), 0);
    await assertNoStrayValues(page, 'the learner\'s cancelled booking');
    const cancelled = await apiJson(token, `/api/bookings/${booking.id}`);
    assert.deepEqual([cancelled.status, cancelled.cancel_reason], ['cancelled', reason]);
    await page.context().close();

    // The advisor (Marta) sees it with the past ones, not among the sessions to come.
    const adv = await newPage();
    await login(adv, 'advisor.ip@iberobio.example');
    await adv.goto(`${BASE}/#/advisor/bookings`);
    await settled(adv);
    await adv.locator(`section[aria-labelledby=past-heading] .booking[data-booking="${booking.id}"]`).waitFor();
    assert.equal(await adv.locator(`section[aria-labelledby=upcoming-heading] .booking[data-booking="${booking.id}"]`).count(), 0);
    assert.equal(await adv.locator(`section[aria-labelledby=upcoming-heading] .booking.is-inactive`).count(), 0, 'no cancelled booking under "Upcoming"');
    await assertNoStrayValues(adv, 'the advisor\'s bookings');
    await adv.context().close();
  });

  test('keyboard only: an advisor deletes a slot; it goes, and the focus stays in the list', async () => {
    const email = 'advisor.ip@iberobio.example';
    const token = await apiLogin(email);
    const me = await apiJson(token, '/api/me');
    const T = await uiStrings(me.locale);
    // A slot of her own far ahead (after the demo's and the other tests' ones), on a day that is
    // no holiday in her region.
    const holidays = await advisorHolidays(token);
    let ahead = 83;
    while (holidays.has(new Date(Date.now() + ahead * 86400000).toISOString().slice(0, 10))) ahead += 1;
    const day = new Date(Date.now() + ahead * 86400000).toISOString().slice(0, 10);
    const created = await apiJson(token, '/api/slots', {
      method: 'POST',
      body: { starts_at: `${day}T08:00:00Z`, ends_at: `${day}T09:00:00Z`, topic: 'ip', mode: 'online', location: 'https://meet.iberobio.example/ip-marta' },
    });
    const page = await newPage();
    await keyboardLogin(page, email);
    assert.match(page.url(), /#\/advisor$/);
    const item = `#my-slots .slot[data-slot="${created.id}"]`;
    await page.locator(item).waitFor();
    assert.equal(await page.locator(`${item} a.meeting-link`).getAttribute('href'), 'https://meet.iberobio.example/ip-marta');
    await tabTo(page, `${item} .slot-actions button`, { text: T['advisor.deleteSlot'], max: 150 });
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/slots/${created.id}`));
    await page.keyboard.press('Enter');
    await confirmWithKeyboard(page);
    assert.equal((await deleted).status(), 204);
    await page.locator(item).waitFor({ state: 'detached' });
    await page.locator('.toast', { hasText: T['advisor.deleted'] }).waitFor();
    await focusOn(page, '#my-slots .slot-actions button, #open-slots-heading', 'the slot list');
    const left = (await apiJson(token, `/api/slots?advisor_id=${me.id}&include_booked=true`)).items.map((s) => s.id);
    assert.ok(!left.includes(created.id), 'the slot is gone on the server');
    await page.context().close();
  });

  test('phone: a failed quiz says how many attempts are left and "Try again" starts the next one, until none is left; the timer and footer stay compact', async () => {
    const slug = 'trade-fairs-partnering';
    const lang = 'es';
    const T = await uiStrings(lang);
    const learner = await newLearner({ name: 'Xoán Intentos', sme: /Olivia/, locale: lang, timeZone: 'Europe/Madrid' });
    const token = await apiLogin(learner.email);
    const page = await newPage({ viewport: PHONE });
    await login(page, learner.email);
    await page.goto(`${BASE}/#/courses/${slug}`);
    await settled(page);
    await page.locator('#enrol').click();
    await page.locator('#start-quiz').click();
    await page.locator('dialog[open] [value=ok]').click();
    await page.waitForURL(/#\/attempts\//);
    await settled(page);

    // A running attempt on a phone: the sticky timer and footer stay in view while scrolling,
    // and together take well under a quarter of the screen.
    const first = page.locator('#questions > li[data-kind=single]').first();
    await first.locator('input[type=radio]').first().check();
    await page.waitForFunction(() => document.getElementById('save-status').dataset.state === 'server');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2));
    const bars = await page.evaluate(() => {
      const box = (s) => { const r = document.querySelector(s).getBoundingClientRect(); return { top: r.top, bottom: r.bottom, height: r.height }; };
      return { timer: box('.countdown'), footer: box('.quiz-footer'), screen: window.innerHeight, overflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    await shot(page, 'journey-quiz-running-phone');
    assert.ok(bars.timer.top >= 0 && bars.timer.bottom <= bars.screen / 2, `the timer sticks at the top: ${JSON.stringify(bars.timer)}`);
    assert.ok(bars.footer.bottom <= bars.screen && bars.footer.top >= bars.screen / 2, `the footer sticks at the bottom: ${JSON.stringify(bars.footer)}`);
    const share = (bars.timer.height + bars.footer.height) / bars.screen;
    assert.ok(share <= 0.15, `timer ${bars.timer.height}px + footer ${bars.footer.height}px = ${Math.round(share * 100)} % of a ${bars.screen}px screen (at most 15 %)`);
    assert.ok(bars.overflow <= 1, 'no horizontal scrolling');

    const ids = [];
    for (let attemptNo = 1; attemptNo <= 3; attemptNo += 1) {
      const id = decodeURIComponent(/#\/attempts\/([^/?]+)/.exec(page.url())[1]);
      assert.ok(!ids.includes(id), `attempt ${attemptNo} is a new one`);
      ids.push(id);
      const view = await apiJson(token, `/api/quiz-attempts/${id}`);
      assert.deepEqual([view.attempt_no, view.status], [attemptNo, 'open']);
      // Submit what there is (one answer at most): a fail.
      await page.locator('#submit-quiz').click();
      await page.locator('dialog[open] [value=ok]').click();
      const box = page.locator('#quiz-result');
      await box.waitFor();
      assert.equal((await box.locator('.result-summary .badge').innerText()).trim(), T['quiz.notPassed']);
      const left = 3 - attemptNo;
      if (left > 0) {
        assert.equal((await box.locator('#attempts-left').innerText()).trim(), plural(T, lang, 'quiz.attemptsLeft', left));
        assert.equal((await box.locator('#try-again').innerText()).trim(), T['quiz.tryAgain']);
        await shot(page, `journey-quiz-failed-${attemptNo}-phone`);
        // "Try again" starts the next attempt (after the same confirmation as the course page).
        const started = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/courses/${slug}/quiz/attempts`);
        await box.locator('#try-again').click();
        await page.locator('dialog[open] [value=ok]').click();
        assert.ok([200, 201].includes((await started).status()), 'the next attempt started');
        await page.waitForURL((u) => /#\/attempts\//.test(u.hash) && !u.hash.endsWith(`/${id}`));
        await settled(page);
        await page.locator('#submit-quiz').waitFor();
      } else {
        assert.equal((await box.locator('#attempts-left').innerText()).trim(), T['quiz.noAttemptsLeft']);
        assert.equal(await page.locator('#try-again').count(), 0, 'no "Try again" when no attempt is left');
        await shot(page, 'journey-quiz-failed-last-phone');
      }
    }
    // The same after a reload, and the course page offers no new attempt.
    await page.reload();
    await settled(page);
    assert.equal((await page.locator('#attempts-left').innerText()).trim(), T['quiz.noAttemptsLeft']);
    assert.equal(await page.locator('#try-again').count(), 0);
    await page.goto(`${BASE}/#/courses/${slug}`);
    await settled(page);
    assert.equal(await page.locator('#start-quiz').count(), 0);
    assert.ok((await page.locator('.quiz-card').innerText()).includes(T['quiz.noAttemptsLeft']));
    assert.equal((await apiJson(token, `/api/courses/${slug}/progress`)).quiz.attempts_used, 3);
    await page.context().close();
  });

  test('a completed course offers "Review" from the first module, not "Continue"', async () => {
    // João completed open innovation and IP (demo), in Portuguese.
    const email = 'joao@celulaviva.example';
    const slug = 'open-innovation-ip';
    const P = await uiStrings('pt');
    const token = await apiLogin(email);
    const progress = await apiJson(token, `/api/courses/${slug}/progress`);
    assert.ok(progress.completed_at, 'João\'s course is completed');
    const course = await apiJson(token, `/api/courses/${slug}?lang=pt`);
    const firstModule = [...course.modules].sort((a, b) => a.position - b.position)[0];
    const page = await newPage();
    await login(page, email);
    await page.goto(`${BASE}/#/courses/${slug}`);
    await settled(page);
    const next = page.locator('#course-next');
    assert.equal((await next.innerText()).trim(), P['course.review']);
    assert.equal(await next.getAttribute('href'), `#/courses/${slug}/${firstModule.slug}`);
    assert.equal(await page.locator('.page-header a, .page-header button', { hasText: P['course.continue'] }).count(), 0, 'no "Continue"');
    assert.ok(await page.locator('.completion-banner').count(), 'the completion is said');
    await assertNoStrayValues(page, 'a completed course');
    await page.context().close();
  });

  test('coordinator: the bookings of the SMEs name the advisor and the learner, meeting links are links, nothing reads "null"', async () => {
    // Rui (BioNorte, Portuguese): João's sessions with Inês (online) and Conceição's with Marta,
    // and the booking cancelled above.
    const email = 'coord.bionorte@iberobio.example';
    const token = await apiLogin(email);
    const T = await uiStrings((await apiJson(token, '/api/me')).locale);
    const items = (await apiJson(token, '/api/bookings')).items;
    assert.ok(items.length >= 2, `Rui's SMEs have bookings: ${items.length}`);
    assert.ok(items.some((b) => /^https?:\/\//.test(b.slot.location)), 'one of them online');
    const page = await newPage();
    await login(page, email);
    await page.goto(`${BASE}/#/staff/bookings`);
    await settled(page);
    for (const b of items) {
      const card = page.locator(`.booking[data-booking="${b.id}"]`);
      const text = await card.innerText();
      assert.ok(b.slot.advisor_name && text.includes(`${T['role.advisor']}: ${b.slot.advisor_name}`), `booking ${b.id} names the advisor: ${text}`);
      assert.ok(text.includes(b.learner.name), `booking ${b.id} names the learner`);
      const links = card.locator('a.meeting-link');
      if (/^https?:\/\//.test(b.slot.location)) {
        assert.deepEqual([await links.getAttribute('href'), await links.getAttribute('target'), await links.getAttribute('rel')], [b.slot.location, '_blank', 'noopener noreferrer']);
      } else {
        assert.equal(await links.count(), 0, `an address is not a link: ${b.slot.location}`);
        assert.ok(text.includes(b.slot.location));
      }
    }
    await assertNoStrayValues(page, 'the coordinator\'s bookings');
    await shot(page, 'journey-coordinator-bookings');
    await page.context().close();
  });

  test('no script errors and no CSP violations in the journeys', () => {
    assert.deepEqual(problems, []);
  });
});
