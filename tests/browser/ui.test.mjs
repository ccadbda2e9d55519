// Browser tests of the web UI (static/) against a running server.
// Env: ACADEMY_URL (e.g. http://127.0.0.1:8123), ACADEMY_DEMO_PASSWORD (printed by `academy demo`),
// SCREENSHOT_DIR (optional), CHROMIUM_PATH (default /usr/bin/chromium).
// Run through tests/browser/run.sh, which starts the server and seeds the demo.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.ACADEMY_URL || 'http://127.0.0.1:8123').replace(/\/$/, '');
const PASSWORD = process.env.ACADEMY_DEMO_PASSWORD;
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const LEARNER = 'emma@olivia-agro.example'; // English, Europe/Madrid
const LEARNER_PT = 'joao@celulaviva.example'; // Portuguese, Europe/Lisbon
const COORDINATOR = 'coord.bioval@iberobio.example';
const ADVISOR = 'advisor.finance@iberobio.example';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let browser;
const problems = [];

async function newPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  return page;
}

async function shot(page, name) {
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function login(page, email) {
  await page.goto(`${BASE}/#/login`);
  await page.locator('#login-form input[name=email]').fill(email);
  await page.locator('#login-form input[name=password]').fill(PASSWORD);
  await page.locator('#login-submit').click();
  await page.waitForFunction(() => !location.hash.startsWith('#/login'));
  await page.locator('.page:not([aria-busy])').first().waitFor();
}

async function settled(page) {
  await page.locator('.page:not([aria-busy])').first().waitFor();
  await page.waitForLoadState('networkidle');
}

describe('IberoBio Academy web UI', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      // Playwright gives every launch a fresh, temporary --user-data-dir of its own.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    console.log(`screenshots: ${SHOTS}`);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('the i18n tables of every language the server offers have the same keys', async () => {
    const load = async (lang) => {
      const src = readFileSync(join(ROOT, 'static', 'i18n', `${lang}.js`), 'utf8');
      return (await import(`data:text/javascript,${encodeURIComponent(src)}`)).default;
    };
    const res = await fetch(`${BASE}/api/languages`);
    assert.equal(res.status, 200);
    const body = await res.json();
    const codes = (Array.isArray(body) ? body : body.items || []).map((l) => (typeof l === 'string' ? l : l.code));
    assert.ok(codes.includes('gl') && codes.includes('en'), `languages offered: ${codes.join(', ')}`);
    const en = await load('en');
    const keys = Object.keys(en).sort();
    for (const code of codes.filter((c) => c !== 'en')) {
      const table = await load(code);
      assert.deepEqual(Object.keys(table).sort(), keys, `${code}.js keys differ from en.js`);
      for (const [k, v] of Object.entries(table)) assert.ok(v.trim(), `empty ${code} string ${k}`);
    }
  });

  test('the page is served with a strict CSP and no inline code', async () => {
    const res = await fetch(`${BASE}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script> in index.html');
    assert.doesNotMatch(html, /\sstyle=|<style/i, 'inline style in index.html');
    const js = await fetch(`${BASE}/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') || '', /javascript/);
  });

  test('time-zone maths in the browser: wall clock in a zone to UTC, across DST', async () => {
    const page = await newPage();
    await page.goto(`${BASE}/#/login`);
    const got = await page.evaluate(async () => {
      const f = await import('/js/format.js');
      return [
        f.wallToUtc('2026-03-03', '10:00', 'Europe/Lisbon'),
        f.wallToUtc('2026-07-01', '10:00', 'Europe/Lisbon'),
        f.wallToUtc('2026-07-01', '10:00', 'Europe/Madrid'),
        f.wallToUtc('2026-01-15', '09:00', 'Atlantic/Canary'),
        f.wallToUtc('2026-03-29', '02:30', 'Europe/Madrid'),
        f.wallToUtc('2026-10-25', '02:30', 'Europe/Madrid'),
        f.dateTime('2026-03-03T10:00:00Z', 'Europe/Lisbon'),
      ];
    });
    assert.deepEqual(got.slice(0, 4), ['2026-03-03T10:00:00Z', '2026-07-01T09:00:00Z', '2026-07-01T08:00:00Z', '2026-01-15T09:00:00Z']);
    assert.equal(got[4], '2026-03-29T01:30:00Z', 'a time in the spring-forward gap moves forward (03:30 CEST)');
    assert.ok(['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'].includes(got[5]), `repeated hour: ${got[5]}`);
    assert.equal(got[6], 'Tue 3 Mar, 10:00 (Lisbon)');
    await page.context().close();
  });

  test('sign-in shows the problem detail on a wrong password', async () => {
    const page = await newPage();
    await page.goto(`${BASE}/#/login`);
    await page.locator('#login-form input[name=email]').fill(LEARNER);
    await page.locator('#login-form input[name=password]').fill('not-the-password');
    await page.locator('#login-submit').click();
    const alert = page.locator('#login-form .alert-error');
    await alert.waitFor();
    assert.match(await alert.innerText(), /not correct|incorrect|password/i);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await shot(page, 'login-error-desktop');
    await page.context().close();
  });

  test('learner: catalogue, course, module, enrol and mark complete', async () => {
    const page = await newPage();
    await login(page, LEARNER);
    assert.match(page.url(), /#\/courses$/);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await settled(page);
    await shot(page, 'catalogue-en-desktop');
    const cards = page.locator('#course-list .course-card');
    assert.ok((await cards.count()) >= 1, 'the catalogue lists courses');
    const firstTitle = await cards.first().locator('.course-title a').innerText();
    await cards.first().locator('.course-title a').click();
    await page.waitForURL(/#\/courses\/[^/]+$/);
    await settled(page);
    assert.equal(await page.locator('h1').first().innerText(), firstTitle);
    assert.ok((await page.locator('#module-list li').count()) >= 1, 'the course lists its modules');

    const enrol = page.locator('#enrol');
    if (await enrol.count()) {
      await enrol.click();
      await page.locator('#module-list').waitFor();
      await page.locator('#enrol').waitFor({ state: 'detached' });
    }
    await settled(page);
    assert.equal(await page.locator('#enrol').count(), 0, 'enrolled: the enrol button is gone');
    assert.ok(await page.locator('.progress').count(), 'enrolled: a progress bar');
    await shot(page, 'course-desktop');

    await page.locator('#module-list li a').first().click();
    await page.waitForURL(/#\/courses\/[^/]+\/[^/]+$/);
    await settled(page);
    const body = page.locator('#module-body');
    assert.ok((await body.innerText()).length > 200, 'the module has its text');
    assert.equal(await body.locator('script').count(), 0);
    await page.locator('#mark-complete, #module-completed').first().waitFor();
    if (await page.locator('#mark-complete').count()) await page.locator('#mark-complete').click();
    await page.locator('#module-completed').waitFor();
    await shot(page, 'module-desktop');
    // Next module link works through the hash router.
    const next = page.locator('.pager-link.next');
    if (await next.count()) {
      await next.click();
      await settled(page);
      assert.match(page.url(), /#\/courses\//);
    }
    await page.context().close();
  });

  test('language switcher: es and pt tables, lang attribute, localised content', async () => {
    const page = await newPage();
    await login(page, LEARNER);
    await settled(page);
    const navText = () => page.locator('#main-nav').innerText();
    await page.locator('#lang-switch').selectOption('es');
    await page.waitForFunction(() => document.documentElement.lang === 'es');
    await settled(page);
    assert.match(await navText(), /Cursos/);
    assert.match(await navText(), /Asesoramiento/);
    assert.match(await page.locator('#logout').innerText(), /Cerrar sesión/);
    await shot(page, 'catalogue-es-desktop');
    await page.locator('#lang-switch').selectOption('pt');
    await page.waitForFunction(() => document.documentElement.lang === 'pt');
    await settled(page);
    assert.match(await navText(), /Aconselhamento/);
    assert.match(await page.locator('#logout').innerText(), /Terminar sessão/);
    const titles = await page.locator('#course-list .course-title').allInnerTexts();
    assert.ok(titles.some((x) => /Financiar o crescimento|Entrar em mercados/.test(x)), `Portuguese course titles, got ${titles.join(' | ')}`);
    await page.locator('#course-list .course-title a').first().click();
    await settled(page);
    await page.locator('#module-list li a').first().click();
    await settled(page);
    await shot(page, 'module-pt-desktop');
    await shot(page, 'catalogue-pt-desktop');
    // The choice survives a reload.
    await page.reload();
    await settled(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'pt');
    await page.locator('#lang-switch').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.context().close();
  });

  test('a Portuguese learner gets Portuguese by default', async () => {
    const page = await newPage();
    await login(page, LEARNER_PT);
    await settled(page);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'pt');
    assert.match(await page.locator('h1').first().innerText(), /Cursos/);
    await page.context().close();
  });

  test('Galician: offered in the menu, the UI in Galician, a Galician course, Spanish fallback with a note', async () => {
    const page = await newPage();
    await login(page, LEARNER);
    await settled(page);
    const options = await page.locator('#lang-switch option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes('gl'), `language menu: ${options.join(', ')}`);
    await page.locator('#lang-switch').selectOption('gl');
    await page.waitForFunction(() => document.documentElement.lang === 'gl');
    await settled(page);
    const nav = await page.locator('#main-nav').innerText();
    assert.match(nav, /Asesoramento/);
    assert.match(await page.locator('#logout').innerText(), /Pechar sesión/);
    const titles = await page.locator('#course-list .course-title').allInnerTexts();
    assert.ok(titles.some((x) => /Innovación aberta e propiedade industrial/.test(x)), `Galician course title, got ${titles.join(' | ')}`);
    await shot(page, 'catalogue-gl-desktop');
    // A course with a Galician version: no fallback note, Galician module text.
    await page.goto(`${BASE}/#/courses/open-innovation-ip`);
    await settled(page);
    assert.equal(await page.locator('#course-fallback-notice').count(), 0, 'no fallback note on a Galician course');
    // A course without Galician: shown in Spanish, and the page says so in Galician.
    const signin = await fetch(`${BASE}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: LEARNER, password: PASSWORD }),
    });
    assert.equal(signin.status, 200);
    const { access_token: token } = await signin.json();
    const res = await fetch(`${BASE}/api/courses`, { headers: { authorization: `Bearer ${token}` } });
    const courses = await res.json();
    const list = Array.isArray(courses) ? courses : courses.items || courses.courses || [];
    const noGl = list.find((c) => Array.isArray(c.languages) && !c.languages.includes('gl') && c.languages.includes('es'));
    assert.ok(noGl, 'a shipped course without Galician (to see the Spanish fallback)');
    {
      await page.goto(`${BASE}/#/courses/${noGl.slug}`);
      await settled(page);
      const note = page.locator('#course-fallback-notice');
      await note.waitFor();
      assert.match(await note.innerText(), /aínda non está dispoñible en galego; móstrase en castelán/);
      await shot(page, 'course-fallback-gl-desktop');
    }
    await page.locator('#lang-switch').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.context().close();
  });

  test('learner: advisory slots in the user time zone, booking, my bookings', async () => {
    const page = await newPage();
    await login(page, LEARNER);
    await page.goto(`${BASE}/#/advice`);
    await settled(page);
    await page.locator('#slot-list :is(.slot-groups, .empty, .alert)').first().waitFor();
    await shot(page, 'advice-desktop');
    const slots = page.locator('#slot-list .slot');
    if (!(await slots.count())) {
      assert.ok(await page.locator('#slot-list .empty').count(), 'an empty state when there are no slots');
      await page.context().close();
      return;
    }
    const time = await slots.first().locator('.slot-time').innerText();
    assert.match(time, /\(Madrid\)/, `slot time carries the zone name: ${time}`);
    await slots.first().locator('.book-btn').click();
    await slots.first().locator('textarea').fill('We plan to enter the German market next year.');
    await slots.first().locator('button[type=submit]').click();
    await page.locator('#booking-list .booking').first().waitFor();
    await settled(page);
    await shot(page, 'advice-booked-desktop');
    assert.ok(await page.locator('#booking-list .booking').count() >= 1);
    await page.context().close();
  });

  test('advisor: publish a slot in the advisor time zone', async () => {
    const page = await newPage();
    await login(page, ADVISOR);
    assert.match(page.url(), /#\/advisor$/);
    await settled(page);
    await page.locator('#my-slots :is(.slot-list, .empty, .alert)').first().waitFor();
    const form = page.locator('#publish-slot');
    assert.ok(await form.locator('input[type=date]').inputValue(), 'a default date is proposed');
    // Far enough ahead and late enough not to collide with the demo's own slots.
    const day = new Date(Date.now() + 61 * 86400000).toISOString().slice(0, 10);
    await form.locator('input[type=date]').fill(day);
    await form.locator('input[type=time]').fill('20:40');
    // Without a meeting link the server answers 422 and the form shows it beside the field.
    await form.locator('.field[data-field=location] input').fill('');
    await form.locator('button[type=submit]').click();
    const locError = form.locator('.field[data-field=location] .field-error');
    await locError.waitFor();
    assert.ok((await locError.innerText()).length > 0);
    await form.locator('.field[data-field=location] input').fill('https://meet.example/ines-late');
    await form.locator('button[type=submit]').click();
    await page.locator('#my-slots .slot-time', { hasText: '20:40' }).first().waitFor();
    // 20:40 in Lisbon is stored as UTC: the list shows it back in the advisor's zone.
    assert.match(await page.locator('#my-slots .slot-time', { hasText: '20:40' }).first().innerText(), /20:40–21:25 \(Lisboa\)/);
    await shot(page, 'advisor-slots-desktop');
    // Delete it again: the button asks, then the slot goes (it used to throw and send nothing).
    const slot = page.locator('#my-slots .slot', { hasText: '20:40' }).first();
    const before = await page.locator('#my-slots .slot', { hasText: '20:40' }).count();
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && /\/api\/slots\/\d+$/.test(r.url()));
    await slot.locator('.slot-actions button').click();
    await page.locator('dialog.dialog button[value=ok]').click();
    assert.equal((await deleted).status(), 204);
    await page.waitForFunction((n) => document.querySelectorAll('#my-slots .slot').length >= 0
      && [...document.querySelectorAll('#my-slots .slot')].filter((e) => e.innerText.includes('20:40')).length === n - 1, before);
    await page.goto(`${BASE}/#/advisor/bookings`);
    await settled(page);
    await shot(page, 'advisor-bookings-desktop');
    await page.context().close();
  });

  test('coordinator: SME report, completions and certificates', async () => {
    const page = await newPage();
    await login(page, COORDINATOR);
    assert.match(page.url(), /#\/staff$/);
    await settled(page);
    // The UI starts in the language of the profile (Lucía's demo profile is Spanish).
    const profileLocale = await page.evaluate(() => JSON.parse(sessionStorage.getItem('academy.session')).user.locale);
    assert.equal(await page.evaluate(() => document.documentElement.lang), profileLocale);
    await page.locator('#lang-switch').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await settled(page);
    const rows = page.locator('.table tbody tr');
    assert.ok((await rows.count()) >= 1, 'the SMEs of the partner are listed');
    assert.match(await page.locator('.table').innerText(), /Xenogen|Marea/);
    assert.doesNotMatch(await page.locator('.table').innerText(), /CélulaViva/, 'only the own partner\'s SMEs');
    await shot(page, 'staff-smes-desktop');
    await page.goto(`${BASE}/#/staff/completions`);
    await settled(page);
    await shot(page, 'staff-completions-desktop');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    await page.goto(`${BASE}/#/staff/learners`);
    await settled(page);
    await shot(page, 'staff-learners-desktop');
    // Put the profile language back (the switch is saved to the profile).
    await page.locator('#lang-switch').selectOption(profileLocale);
    await page.waitForFunction((l) => document.documentElement.lang === l, profileLocale);
    await settled(page);
    await page.context().close();
  });

  test('phone width: every main screen fits without horizontal scrolling', async () => {
    const page = await newPage(PHONE);
    await page.goto(`${BASE}/#/login`);
    await settled(page);
    await shot(page, 'login-phone');
    await login(page, LEARNER);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    for (const [hash, name] of [['#/courses', 'catalogue'], ['#/advice', 'advice'], ['#/certificates', 'certificates'], ['#/profile', 'profile']]) {
      await page.goto(`${BASE}/${hash}`);
      await settled(page);
      await shot(page, `${name}-phone`);
      assert.ok((await overflow()) <= 1, `${hash} overflows horizontally at phone width`);
    }
    await page.goto(`${BASE}/#/courses`);
    await settled(page);
    await page.locator('#course-list .course-title a').first().click();
    await settled(page);
    await shot(page, 'course-phone');
    await page.locator('#module-list li a').first().click();
    await settled(page);
    await shot(page, 'module-phone');
    assert.ok((await overflow()) <= 1, 'the module reader overflows at phone width');
    await page.locator('#logout').click();
    await page.waitForURL(/#\/login/);
    await login(page, COORDINATOR);
    await settled(page);
    await shot(page, 'staff-smes-phone');
    assert.ok((await overflow()) <= 1, 'the SME report overflows at phone width');
    await page.context().close();
  });

  test('sign-out clears the session; a refresh keeps a session alive', async () => {
    const page = await newPage();
    await login(page, LEARNER);
    // Break the access token: the client must refresh with the (rotating) refresh token.
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('academy.session'));
      s.access_token = 'expired.token.value';
      sessionStorage.setItem('academy.session', JSON.stringify(s));
    });
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('academy.session')).refresh_token);
    await page.goto(`${BASE}/#/profile`);
    await settled(page);
    assert.match(page.url(), /#\/profile$/);
    const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('academy.session')).refresh_token);
    assert.notEqual(after, before, 'the refresh token rotated');
    await page.locator('#logout').click();
    await page.waitForURL(/#\/login/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('academy.session')), null);
    await page.context().close();
  });

  test('quiz: every question kind, answers kept over a reload, submit and result (stubbed attempt)', async () => {
    // The attempt API is stubbed here so that all six kinds are always covered; the real
    // server's quiz is exercised in the next test.
    const page = await newPage();
    await login(page, LEARNER);
    const attempt = {
      id: 'stub-1', course: 'financing-growth', started_at: new Date().toISOString(),
      deadline: new Date(Date.now() + 20 * 60000).toISOString(),
      questions: [
        { id: 'q1', kind: 'single', prompt_html: 'Which is <strong>non-dilutive</strong>?', options: [{ id: 'a', label: 'A CDTI loan' }, { id: 'b', label: 'A Series A' }] },
        { id: 'q2', kind: 'multiple', prompt_html: 'Pick the <em>EU</em> ones', options: [{ id: 'a', label: 'EIC' }, { id: 'b', label: 'Interreg' }, { id: 'c', label: 'ENISA' }] },
        { id: 'q3', kind: 'true_false', prompt_html: 'Portugal is a widening country.', options: [] },
        { id: 'q4', kind: 'text', prompt_html: 'Name the EU permit for highly qualified workers.', options: [] },
        { id: 'q5', kind: 'numeric', prompt_html: 'Months of runway?', options: [] },
        { id: 'q6', kind: 'matching', prompt_html: 'Match the bodies.', options: [], left: [{ id: 'p1', label: 'AIMA' }, { id: 'p2', label: 'IAPMEI' }], right: [{ id: 'r1', label: 'Tech Visa certification' }, { id: 'r2', label: 'Residence permits' }] },
      ],
    };
    let saved = null;
    let submitted = null;
    await page.route('**/api/quiz-attempts/stub-1**', async (route) => {
      const req = route.request();
      if (req.method() === 'PUT') { saved = JSON.parse(req.postData()).answers; return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ answers: saved }) }); }
      if (req.method() === 'POST') {
        submitted = JSON.parse(req.postData()).answers;
        return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ score: 83, passed: true, course_completed: false, feedback: [
          { question_id: 'q1', correct: true, points: 1, feedback_html: ['Correct: no shares issued.'] },
          { question_id: 'q3', correct: false, points: 0, explanation_html: 'Portugal <em>is</em> a widening country.', correct_answer: true },
        ] }) });
      }
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...attempt, answers: saved || {} }) });
    });
    await page.goto(`${BASE}/#/attempts/stub-1`);
    await settled(page);
    assert.equal(await page.locator('#questions > li').count(), 6);
    assert.match(await page.locator('#countdown').innerText(), /^(19|20):\d\d$/);
    const q = (id) => page.locator(`[data-question="${id}"]`);
    await q('q1').getByLabel('A CDTI loan').check();
    await q('q2').getByLabel('EIC').check();
    await q('q2').getByLabel('Interreg').check();
    await q('q3').getByLabel('True').check();
    await q('q4').locator('input').fill('EU Blue Card');
    await q('q5').locator('input').fill('12,5');
    await q('q6').getByLabel('AIMA').selectOption('r2');
    await q('q6').getByLabel('IAPMEI').selectOption('r1');
    await page.waitForFunction(() => ['server', 'local'].includes(document.getElementById('save-status').dataset.state));
    await shot(page, 'quiz-desktop');
    // A reload keeps the answers (the server's copy).
    await page.reload();
    await settled(page);
    assert.ok(await q('q1').getByLabel('A CDTI loan').isChecked());
    assert.equal(await q('q5').locator('input').inputValue(), '12.5');
    assert.equal(await q('q6').getByLabel('AIMA').inputValue(), 'r2');
    await page.locator('#submit-quiz').click();
    await page.locator('dialog [value=ok]').click();
    await page.locator('#quiz-result').waitFor();
    assert.deepEqual(submitted, { q1: ['a'], q2: ['a', 'b'], q3: true, q4: 'EU Blue Card', q5: 12.5, q6: { p1: 'r2', p2: 'r1' } });
    assert.match(await page.locator('#quiz-result').innerText(), /83/);
    assert.match(await page.locator('#quiz-result').innerText(), /Correct answer:\s*True/);
    await shot(page, 'quiz-result-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'quiz-result-phone');
    await page.context().close();
  });

  test('quiz on the real server: start an attempt, answer, submit', async () => {
    const page = await newPage();
    await login(page, 'conceicao@algatec.example');
    await page.goto(`${BASE}/#/courses/international-talent`);
    await settled(page);
    if (await page.locator('#enrol').count()) {
      await page.locator('#enrol').click();
      await page.locator('#enrol').waitFor({ state: 'detached' });
      await settled(page);
    }
    await page.locator('#start-quiz').click();
    await page.locator('dialog [value=ok]').click();
    await page.waitForURL(/#\/attempts\//);
    await settled(page);
    const questions = page.locator('#questions > li');
    assert.ok((await questions.count()) >= 1);
    for (const li of await questions.all()) {
      const radio = li.locator('input[type=radio], input[type=checkbox]').first();
      if (await radio.count()) await radio.check();
      const text = li.locator('input.answer-input');
      if (await text.count()) await text.fill('3');
      for (const sel of await li.locator('select').all()) await sel.selectOption({ index: 1 });
    }
    await shot(page, 'quiz-real-desktop');
    // Saved on the server as you go: a reload (even in another browser) keeps the answers.
    await page.waitForFunction(() => document.getElementById('save-status').dataset.state === 'server');
    const chosen = await questions.first().locator('input:checked').count();
    await page.evaluate(() => { for (const k of Object.keys(localStorage)) if (k.startsWith('academy.answers.')) localStorage.removeItem(k); });
    await page.reload();
    await settled(page);
    assert.equal(await page.locator('#questions > li').first().locator('input:checked').count(), chosen);
    await page.locator('#submit-quiz').click();
    await page.locator('dialog [value=ok]').click();
    await page.locator('#quiz-result').waitFor();
    await shot(page, 'quiz-real-result-desktop');
    await page.context().close();
  });

  test('advice screens with a stubbed bookings API: zone names, booking, cancel, .ics, outcome', async () => {
    const slot = (id, start, topic, extra = {}) => ({
      id, advisor_id: 91, advisor_name: 'Inês Sousa', advisor_time_zone: 'Europe/Lisbon', starts_at: start,
      ends_at: new Date(new Date(start).getTime() + 45 * 60000).toISOString().replace('.000Z', 'Z'),
      duration_minutes: 45, topic, mode: 'online', location: 'https://meet.example/abc', status: 'open', ...extra,
    });
    const open = [slot(1, '2030-03-05T09:00:00Z', 'finance'), slot(2, '2030-03-05T14:30:00Z', 'finance'), slot(3, '2030-03-07T08:00:00Z', 'ip')];
    let bookings = [];
    let booked = null;
    let cancelled = null;
    let outcome = null;
    const json = (route, status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    const stub = async (page) => {
      await page.route(/\/api\/slots(\?|$)/, (route) => json(route, 200, { items: open }));
      await page.route(/\/api\/slots\/\d+\/booking$/, (route) => {
        const id = Number(route.request().url().match(/slots\/(\d+)/)[1]);
        booked = { id, ...JSON.parse(route.request().postData()) };
        if (id === 2) return json(route, 409, { type: 'about:blank', title: 'Conflict', status: 409, detail: 'this slot has just been booked by someone else' });
        bookings = [{ id: 501, status: 'active', note: booked.note, slot: { ...open[0], status: 'booked' }, learner: { id: 7, name: 'Emma Walsh' }, sme: { id: 5, name: 'Olivia Agrobiotech SL' }, outcome: null }];
        return json(route, 201, bookings[0]);
      });
      await page.route(/\/api\/bookings(\?|$)/, (route) => json(route, 200, { items: bookings }));
      await page.route(/\/api\/bookings\/notifications/, (route) => json(route, 200, { items: [] }));
      await page.route(/\/api\/bookings\/\d+\/cancellation$/, (route) => { cancelled = JSON.parse(route.request().postData()); bookings = bookings.map((b) => ({ ...b, status: 'cancelled' })); return json(route, 200, bookings[0]); });
      await page.route(/\/api\/bookings\/\d+\/invite\.ics$/, (route) => route.fulfill({ status: 200, contentType: 'text/calendar', headers: { 'Content-Disposition': 'attachment; filename="iberobio-advice.ics"' }, body: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' }));
      await page.route(/\/api\/bookings\/\d+\/outcome$/, (route) => { outcome = JSON.parse(route.request().postData()); return json(route, 200, {}); });
    };

    const page = await newPage();
    await stub(page);
    await login(page, LEARNER); // Europe/Madrid
    await page.goto(`${BASE}/#/advice`);
    await settled(page);
    await page.locator('#slot-list .slot').first().waitFor();
    const times = await page.locator('#slot-list .slot-time').allInnerTexts();
    assert.equal(times[0].trim(), 'Tue 5 Mar, 10:00–10:45 (Madrid)');
    assert.match(await page.locator('#slot-list .slot').first().innerText(), /Advisor’s local time: Tue 5 Mar, 09:00–09:45 \(Lisbon\)/);
    assert.equal(await page.locator('#slot-list .day-heading').count(), 2, 'slots grouped per day');
    // A slot taken meanwhile: a friendly message, not a broken page.
    const second = page.locator('#slot-list .slot').nth(1);
    await second.locator('.book-btn').click();
    await second.locator('button[type=submit]').click();
    await page.locator('.toast', { hasText: 'someone has just booked' }).waitFor();
    const first = page.locator('#slot-list .slot').first();
    await first.locator('.book-btn').click();
    await first.locator('textarea').fill('EIC Accelerator step 1');
    await first.locator('button[type=submit]').click();
    await page.locator('#booking-list .booking').first().waitFor();
    assert.deepEqual(booked, { id: 1, note: 'EIC Accelerator step 1' });
    const [ics] = await Promise.all([page.waitForEvent('download'), page.locator('#booking-list button', { hasText: 'Add to calendar' }).click()]);
    assert.equal(ics.suggestedFilename(), 'iberobio-advice.ics');
    await shot(page, 'advice-stubbed-desktop');
    await page.locator('#booking-list button', { hasText: 'Cancel booking' }).click();
    await page.locator('dialog textarea').fill('Travelling that week');
    await page.locator('dialog [value=ok]').click();
    await page.locator('#booking-list .badge', { hasText: 'Cancelled' }).waitFor();
    assert.deepEqual(cancelled, { reason: 'Travelling that week' });
    await page.setViewportSize(PHONE);
    await shot(page, 'advice-stubbed-phone');
    await page.context().close();

    // The advisor records the outcome of a past session.
    bookings = [{ id: 502, status: 'active', note: 'Term sheet review', slot: slot(4, '2020-01-07T10:00:00Z', 'finance', { status: 'booked' }), learner: { id: 8, name: 'João Gonçalves' }, sme: { id: 3, name: 'CélulaViva Lda' }, outcome: null }];
    const adv = await newPage();
    await stub(adv);
    await login(adv, ADVISOR); // Europe/Lisbon
    await adv.goto(`${BASE}/#/advisor/bookings`);
    await settled(adv);
    const item = adv.locator('.booking').first();
    assert.match(await item.innerText(), /João Gonçalves · CélulaViva Lda/);
    assert.match(await item.locator('.slot-time').innerText(), /10:00–10:45 \(Lisboa\)/);
    // Inês's profile is Portuguese: the labels and the zone name are too.
    await item.getByLabel('Não compareceu').check();
    await item.locator('textarea').fill('Did not join; rebook');
    await item.locator('button', { hasText: 'Guardar resultado' }).click();
    await adv.locator('.toast', { hasText: 'Resultado guardado' }).waitFor();
    assert.deepEqual(outcome, { attended: false, notes: 'Did not join; rebook' });
    await shot(adv, 'advisor-bookings-stubbed-desktop');
    await adv.context().close();
  });

  test('coordinator report screens with a stubbed reports API', async () => {
    const page = await newPage();
    const json = (route, body, type = 'application/json') => route.fulfill({ status: 200, contentType: type, body: typeof body === 'string' ? body : JSON.stringify(body) });
    await page.route(/\/api\/reports\/smes/, (route) => json(route, { items: [
      { sme_id: 1, sme_name: 'Xenogen Diagnósticos SL', learners: 4, enrolments: 9, completions: 5, certificates: 4, advisory_sessions_attended: 3 },
      { sme_id: 2, sme_name: 'Marea Peptides SL', learners: 2, enrolments: 2, completions: 0, advisory_sessions_attended: 0 },
    ] }));
    await page.route(/\/api\/reports\/completions/, (route) => {
      if ((route.request().headers().accept || '').includes('text/csv')) return json(route, 'sme_id,sme_name\n1,Xenogen\n', 'text/csv');
      return json(route, { items: [
        { sme_id: 1, sme_name: 'Xenogen Diagnósticos SL', learner_id: 11, learner_name: 'Uxía Fernández Castro', course: 'financing-growth', enrolled_at: '2026-02-02T09:00:00Z', completed_at: '2026-02-20T17:30:00Z', score: 90, certificate_code: 'IBA-7K3Q-9XPM' },
        { sme_id: 1, sme_name: 'Xenogen Diagnósticos SL', learner_id: 12, learner_name: 'Pau Ribas', course: 'open-innovation-ip', enrolled_at: '2026-02-10T09:00:00Z', completed_at: null, score: null, certificate_code: null },
      ] });
    });
    await login(page, COORDINATOR);
    await page.locator('#lang-switch').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await settled(page);
    assert.match(await page.locator('.table').innerText(), /Xenogen Diagnósticos SL[\s\S]*4\s+9\s+5\s+4\s+3/);
    await shot(page, 'staff-smes-stubbed-desktop');
    await page.goto(`${BASE}/#/staff/completions?sme=1`);
    await settled(page);
    assert.match(await page.locator('.table').innerText(), /Uxía Fernández Castro/);
    assert.match(await page.locator('#completion-count').innerText(), /2 enrolments, 1 completed/);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    assert.match(csv.suggestedFilename(), /^completions-sme-1\.csv$/);
    await shot(page, 'staff-completions-stubbed-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'staff-completions-stubbed-phone');
    await page.locator('#lang-switch').selectOption('es');
    await page.waitForFunction(() => document.documentElement.lang === 'es');
    await page.context().close();
  });

  test('learner certificates with a stubbed API: PDF with the bearer token, verify link', async () => {
    const page = await newPage();
    let auth = null;
    await page.route(/\/api\/certificates$/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: [
      { code: 'IBA-7K3Q-9XPM', learner_name: 'Emma Walsh', course: 'financing-growth', completed_at: '2026-02-20T17:30:00Z', revoked: false },
      { code: 'IBA-2B8R-4TQL', learner_name: 'Emma Walsh', course: 'open-innovation-ip', completed_at: '2025-11-02T10:00:00Z', revoked: true },
    ] }) }));
    await page.route(/\/api\/certificates\/[^/]+\/pdf$/, (route) => {
      auth = route.request().headers().authorization || null;
      return route.fulfill({ status: 200, contentType: 'application/pdf', headers: { 'Content-Disposition': 'attachment; filename="certificate-IBA-7K3Q-9XPM.pdf"' }, body: '%PDF-1.7\n%%EOF\n' });
    });
    await login(page, LEARNER);
    await page.goto(`${BASE}/#/certificates`);
    await settled(page);
    const cards = page.locator('#cert-list .cert-card');
    assert.equal(await cards.count(), 2);
    assert.equal(await cards.first().locator('a', { hasText: 'Verify' }).getAttribute('href'), '/verify/IBA-7K3Q-9XPM');
    assert.equal(await cards.nth(1).locator('button', { hasText: 'Download PDF' }).count(), 0, 'no PDF for a revoked certificate');
    const [pdf] = await Promise.all([page.waitForEvent('download'), cards.first().locator('button', { hasText: 'Download PDF' }).click()]);
    assert.equal(pdf.suggestedFilename(), 'certificate-IBA-7K3Q-9XPM.pdf');
    assert.match(auth || '', /^Bearer \S+/);
    await shot(page, 'certificates-stubbed-desktop');
    await page.context().close();
  });

  test('materials: a coordinator uploads a file, an enrolled learner downloads it', async () => {
    const staff = await newPage();
    await login(staff, COORDINATOR);
    await staff.goto(`${BASE}/#/courses/financing-growth`);
    await settled(staff);
    const form = staff.locator('form.upload-form');
    await form.locator('.field[data-field=title] input').fill('Funding checklist');
    await form.locator('input[type=file]').setInputFiles({ name: 'funding-checklist.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n') });
    await form.locator('button[type=submit]').click();
    await staff.locator('.file-list li', { hasText: 'Funding checklist' }).first().waitFor();
    await shot(staff, 'course-materials-staff-desktop');
    await staff.context().close();

    const page = await newPage();
    await login(page, LEARNER);
    await page.goto(`${BASE}/#/courses/financing-growth`);
    await settled(page);
    if (await page.locator('#enrol').count()) {
      await page.locator('#enrol').click();
      await page.locator('#enrol').waitFor({ state: 'detached' });
      await settled(page);
    }
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator('.file-list button', { hasText: 'Funding checklist' }).first().click()]);
    assert.match(file.suggestedFilename(), /\.pdf$/);
    await page.context().close();
  });

  test('no script errors and no CSP violations on any page', () => {
    assert.deepEqual(problems, []);
  });
});
