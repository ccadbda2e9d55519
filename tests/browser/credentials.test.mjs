// Open Badges 3.0 credentials in the web UI, against the real server and the demo data: the
// downloads of a certificate's credential (badge image, JSON, VC-JWT) on "My certificates", and
// "Check a digital credential" on the verify page (POST /api/verify: a pasted VC-JWT, a badge
// image, a changed credential, a revoked one, the rate limit), in English and Spanish, with
// axe-core on a desktop and a phone. Screenshots: credentials-*.png in $SCREENSHOT_DIR.
//
// Uxía (demo learner, Spanish, one certificate) is the holder; her certificate is revoked here
// (no other browser test reads it). Run through tests/browser/run.sh.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import {
  BASE, PASSWORD, DESKTOP, PHONE, launch, newPage, settled, login, apiLogin, apiCall, apiJson, uiStrings, fill,
  assertNoStrayValues,
} from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const SHOTS = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'academy-screens-'));
mkdirSync(SHOTS, { recursive: true });
const FILES = mkdtempSync(join(tmpdir(), 'academy-credentials-'));

const HOLDER = 'uxia@xenogen.example';
const ADMIN = 'admin@iberobio.example';
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

let browser;
const problems = [];
// Shared by the tests, in order: the holder's token, her certificate, its credential, the badge.
let token;
let cert;
let credential;
let badgePath;

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `credentials-${name}.png`), fullPage: true });
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The text chunks (tEXt, zTXt, iTXt) of a PNG, keyword -> text. */
function pngText(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
  const out = {};
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString('latin1');
    const data = bytes.subarray(at + 8, at + 8 + length);
    at += 12 + length;
    const nul = data.indexOf(0);
    if (type === 'tEXt') out[data.subarray(0, nul).toString('latin1')] = data.subarray(nul + 1).toString('latin1');
    if (type === 'iTXt') {
      const keyword = data.subarray(0, nul).toString('latin1');
      const compressed = data[nul + 1] === 1;
      let rest = data.subarray(nul + 3);
      rest = rest.subarray(rest.indexOf(0) + 1); // language tag
      rest = rest.subarray(rest.indexOf(0) + 1); // translated keyword
      out[keyword] = (compressed ? inflateSync(rest) : rest).toString('utf8');
    }
    if (type === 'IEND') break;
  }
  return out;
}

/** The claims of a compact JWT. */
function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** The same credential with one character of its signature changed (not the last one, whose low bits may not count). */
function tampered(jwt) {
  const at = jwt.lastIndexOf('.') + 10;
  return `${jwt.slice(0, at)}${jwt[at] === 'A' ? 'B' : 'A'}${jwt.slice(at + 1)}`;
}

/** POST /api/verify from Node, in a language: [status, body]. */
async function verifyApi(body, { type = 'application/vc+jwt', lang = 'en' } = {}) {
  const res = await fetch(`${BASE}/api/verify`, { method: 'POST', headers: { 'content-type': type, accept: 'application/json', 'accept-language': lang }, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return [res.status, json, res.headers.get('content-type') || ''];
}

/** A visitor's page (no sign-in) in `lang`; `axe`: the context lets axe-core's script in. */
async function visitor(lang, { viewport = DESKTOP, axe = false } = {}) {
  if (!axe) return newPage(browser, problems, { viewport, lang });
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', bypassCSP: true });
  await context.addInitScript((l) => { try { localStorage.setItem('academy.lang', l); } catch { /* about:blank */ } }, lang);
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return page;
}

async function openVerify(page, lang) {
  await page.goto(`${BASE}/#/verify`);
  await settled(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
  const T = await uiStrings(lang);
  assert.equal(await page.locator('.verify-page').count(), 1, 'the verify page, once');
  assert.equal((await page.locator('#credential-heading').innerText()).trim(), T['verify.cred.title']);
  return T;
}

/** Pastes `text` (or chooses `file`) and submits; returns the outcome element. */
async function check(page, { text, file }) {
  const form = page.locator('#credential-form');
  if (file) await form.locator('input[type=file]').setInputFiles(file);
  else await form.locator('textarea').fill(text);
  const answered = page.waitForResponse((r) => r.url() === `${BASE}/api/verify` && r.request().method() === 'POST');
  await form.locator('#credential-submit').click();
  await answered;
  const outcome = page.locator('#credential-result .credential-outcome');
  await outcome.waitFor();
  // The answer has the keyboard (and a screen reader reads it from there).
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'credential-result');
  return outcome;
}

/** A valid answer on screen: the holder, the course, the issuer, the date, the key. */
async function assertValid(page, outcome, T, expected) {
  assert.equal(await outcome.getAttribute('data-outcome'), 'valid', await outcome.innerText());
  assert.equal(await outcome.getAttribute('role'), 'status');
  assert.equal((await outcome.locator('.alert-title').innerText()).trim(), T['verify.cred.valid']);
  const fact = (name) => outcome.locator(`[data-fact=${name}] dd`).innerText().then((s) => s.trim());
  const c = expected.certificate;
  assert.equal(await fact('holder'), c.holder_name);
  assert.equal(await fact('course'), c.course_title);
  assert.equal(await fact('course'), cert.course_title, 'the course of the certificate');
  assert.ok((await fact('issuer')).includes(c.issuer), 'the issuing partner');
  assert.ok((await fact('completed')).includes(String(new Date(c.completed_at).getUTCFullYear())), 'the completion date');
  assert.equal(await fact('code'), c.code);
  assert.ok((await outcome.locator('.credential-signature').innerText()).includes(fill(T['verify.cred.signature'], { key: expected.key_id })));
  assert.ok((await outcome.locator('.credential-signature').innerText()).includes(expected.issuer), 'the issuer\'s DID');
}

async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.length} x ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('Open Badges credentials in the web UI', () => {
  before(async () => {
    assert.ok(PASSWORD, 'ACADEMY_DEMO_PASSWORD must be set (run tests/browser/run.sh)');
    browser = await launch();
    token = await apiLogin(HOLDER);
    const certs = (await apiJson(token, '/api/certificates')).items;
    cert = certs.find((c) => !c.revoked);
    assert.ok(cert, 'Uxía has a valid certificate (demo)');
    const code = encodeURIComponent(cert.code);
    assert.deepEqual([cert.credential_url, cert.credential_json_url, cert.badge_url],
      [`/api/certificates/${code}/credential`, `/api/certificates/${code}/credential.json`, `/api/certificates/${code}/badge.png`]);
    const res = await apiCall(token, cert.credential_url, { accept: 'application/vc+jwt' });
    assert.equal(res.status, 200);
    credential = (await res.text()).trim();
    assert.match(credential, JWT);
  });
  after(async () => {
    if (browser) await browser.close();
    rmSync(FILES, { recursive: true, force: true });
  });

  test('my certificates: the badge, the JSON and the VC-JWT of a valid certificate, fetched with the bearer token', async () => {
    const page = await newPage(browser, problems);
    await login(page, HOLDER);
    const lang = await page.evaluate(() => document.documentElement.lang);
    const T = await uiStrings(lang);
    await page.goto(`${BASE}/#/certificates`);
    await settled(page);
    const card = page.locator('#cert-list .cert-card').filter({ has: page.locator('.cert-code code', { hasText: cert.code }) });
    assert.equal(await card.count(), 1);
    // What an Open Badge is, once, with a way to the checker.
    assert.equal(await page.locator('#cert-badge-note').count(), 1);
    assert.ok((await page.locator('#cert-badge-note').innerText()).includes(T['cert.openBadgeNote']));
    assert.equal(await page.locator('#cert-badge-note a').getAttribute('href'), '#/verify');
    // The three downloads, in a group named after the credential, beside the PDF and LinkedIn.
    const group = card.locator('.cert-credential');
    assert.equal(await group.getAttribute('role'), 'group');
    assert.equal(await page.locator(`#${await group.getAttribute('aria-labelledby')}`).textContent(), T['cert.openBadge']);
    assert.deepEqual((await group.locator('button').allInnerTexts()).map((s) => s.trim()), [T['cert.badgePng'], T['cert.credentialJson'], T['cert.credentialJwt']]);
    assert.equal(await card.locator('button', { hasText: T['cert.downloadPdf'] }).count(), 1);
    assert.equal(await card.locator('a.linkedin-add').count(), 1);

    const save = async (label, url) => {
      const sent = page.waitForRequest((r) => r.url() === `${BASE}${url}`);
      const [file] = await Promise.all([page.waitForEvent('download'), group.locator('button', { hasText: label }).click()]);
      assert.match((await sent).headers().authorization || '', /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, `${url} with the bearer token`);
      return [file.suggestedFilename(), readFileSync(await file.path())];
    };
    // The badge: a PNG with the signed credential baked in (iTXt "openbadgecredential").
    const [pngName, png] = await save(T['cert.badgePng'], cert.badge_url);
    assert.match(pngName, /\.png$/);
    assert.ok(png.includes(Buffer.from('openbadgecredential', 'latin1')), 'the baked credential\'s keyword');
    const baked = pngText(png).openbadgecredential;
    assert.match(baked || '', JWT, 'the baked credential is a compact JWT');
    assert.ok(JSON.stringify(claims(baked)).includes('OpenBadgeCredential'));
    badgePath = join(FILES, pngName);
    writeFileSync(badgePath, png);
    // The credential as readable JSON.
    const [jsonName, json] = await save(T['cert.credentialJson'], cert.credential_json_url);
    assert.match(jsonName, /\.json$/);
    const doc = JSON.parse(json.toString('utf8'));
    assert.ok(JSON.stringify(doc).includes('OpenBadgeCredential'), 'an OpenBadgeCredential');
    assert.ok(JSON.stringify(doc).includes(cert.course_title), 'it names the course');
    // The signed VC-JWT, as the API gives it.
    const [jwtName, jwt] = await save(T['cert.credentialJwt'], cert.credential_url);
    assert.match(jwtName, /\.jwt$/);
    assert.match(jwt.toString('utf8').trim(), JWT);
    assert.equal(claims(jwt.toString('utf8').trim()).jti, claims(credential).jti, 'the same credential');
    await assertNoStrayValues(page, 'certificates');
    await shot(page, 'certificates-desktop');
    await page.context().close();

    // On a phone: nothing wider than the screen, the downloads wrap.
    const phone = await newPage(browser, problems, { viewport: PHONE });
    await login(phone, HOLDER);
    await phone.goto(`${BASE}/#/certificates`);
    await settled(phone);
    assert.equal(await phone.locator('#cert-list .cert-credential button').count(), 3);
    assert.ok((await overflow(phone)) <= 1, 'no sideways scrolling on a phone');
    for (const b of await phone.locator('#cert-list .cert-credential button').all()) {
      const box = await b.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'each download button on screen');
    }
    await shot(phone, 'certificates-phone');
    await phone.context().close();
    assert.deepEqual(problems, []);
  });

  test('check a digital credential: pasted, as a badge image, and changed by one character (English)', async () => {
    const [status, expected] = await verifyApi(credential);
    assert.equal(status, 200, JSON.stringify(expected));
    assert.equal(expected.valid, true);
    const page = await visitor('en');
    const T = await openVerify(page, 'en');
    // Nothing pasted or chosen: said beside the button, no request.
    await page.locator('#credential-submit').click();
    assert.equal(await page.locator('#credential-result [data-outcome=empty]').innerText(), T['verify.cred.nothing']);

    await assertValid(page, await check(page, { text: credential }), T, expected);
    await shot(page, 'verify-valid-desktop');
    // The badge image downloaded above: its bytes go as image/png.
    assert.ok(badgePath, 'the badge was downloaded by the test before');
    const sent = page.waitForRequest((r) => r.url() === `${BASE}/api/verify`);
    const outcome = await check(page, { file: badgePath });
    const request = await sent;
    assert.equal(request.headers()['content-type'], 'image/png');
    assert.equal(await page.locator('#credential-form textarea').inputValue(), '', 'the pasted text made way for the file');
    await assertValid(page, outcome, T, expected);

    // One character of the signature changed: the server's own message (problem+json detail).
    const bad = tampered(credential);
    const [badStatus, problem, type] = await verifyApi(bad, { lang: 'en' });
    assert.equal(badStatus, 422);
    assert.match(type, /application\/problem\+json/);
    await page.locator('#credential-form input[type=file]').setInputFiles([]);
    const refused = await check(page, { text: bad });
    assert.equal(await refused.getAttribute('data-outcome'), 'error');
    assert.equal(await refused.getAttribute('role'), 'alert');
    assert.equal(await refused.getAttribute('data-code'), 'credential.bad_signature');
    assert.equal((await refused.locator('.alert-title').innerText()).trim(), T['verify.cred.notVerified']);
    assert.equal((await refused.locator('.credential-detail').innerText()).trim(), problem.detail);
    assert.match(problem.detail, /signature/i);
    await shot(page, 'verify-error-desktop');
    await assertNoStrayValues(page, 'verify');
    await page.context().close();
    assert.deepEqual(problems, []);
    // The problem's own code names what was wrong (the API's contract), not only its field error.
    assert.equal(problem.code, 'credential.bad_signature', JSON.stringify(problem));
  });

  test('in Spanish: the labels and the server\'s message about a changed credential', async () => {
    const [, en] = await verifyApi(tampered(credential), { lang: 'en' });
    const [status, es] = await verifyApi(tampered(credential), { lang: 'es' });
    assert.equal(status, 422);
    assert.notEqual(es.detail, en.detail, 'the server says it in Spanish');
    const page = await visitor('es');
    const T = await openVerify(page, 'es');
    assert.equal((await page.locator('#credential-submit').innerText()).trim(), T['verify.cred.submit']);
    const sentEs = page.waitForRequest((r) => r.url() === `${BASE}/api/verify`);
    const refused = await check(page, { text: tampered(credential) });
    assert.equal((await sentEs).headers()['accept-language'], 'es', 'asked in the UI\'s language');
    assert.equal((await refused.locator('.alert-title').innerText()).trim(), T['verify.cred.notVerified']);
    assert.equal((await refused.locator('.credential-detail').innerText()).trim(), es.detail);
    await shot(page, 'verify-error-es-desktop');
    // The JSON form ({"credential": ...}) is sent as it is, and is valid.
    const [, expected] = await verifyApi(credential, { lang: 'es' });
    const sent = page.waitForRequest((r) => r.url() === `${BASE}/api/verify`);
    const outcome = await check(page, { text: JSON.stringify({ credential }) });
    assert.equal((await sent).headers()['content-type'], 'application/json');
    await assertValid(page, outcome, T, expected);
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test('axe-core on the verify page with an answer shown: desktop (English) and phone (Portuguese)', async () => {
    const found = {};
    const desktop = await visitor('en', { axe: true });
    await openVerify(desktop, 'en');
    await check(desktop, { text: credential });
    found['desktop, valid'] = await violations(desktop);
    await check(desktop, { text: tampered(credential) });
    found['desktop, refused'] = await violations(desktop);
    await desktop.context().close();

    const phone = await visitor('pt', { viewport: PHONE, axe: true });
    const T = await openVerify(phone, 'pt');
    const [, expected] = await verifyApi(credential, { lang: 'pt' });
    await assertValid(phone, await check(phone, { text: credential }), T, expected);
    found['phone, valid'] = await violations(phone);
    assert.ok((await overflow(phone)) <= 1, 'no sideways scrolling on a phone');
    await shot(phone, 'verify-valid-phone');
    await phone.context().close();
    for (const [where, list] of Object.entries(found)) assert.deepEqual(list, [], `${where}: ${list.join('; ')}`);
  });

  test('a revoked certificate: no credential to download, and its credential checks as revoked', async () => {
    const admin = await apiLogin(ADMIN);
    const revoked = await apiJson(admin, `/api/certificates/${encodeURIComponent(cert.code)}/revocation`, { method: 'POST', body: { reason: 'Issued against the wrong course record' } });
    assert.equal(revoked.revoked, true);

    const page = await newPage(browser, problems);
    await login(page, HOLDER);
    const T = await uiStrings(await page.evaluate(() => document.documentElement.lang));
    await page.goto(`${BASE}/#/certificates`);
    await settled(page);
    const card = page.locator('#cert-list .cert-card').filter({ has: page.locator('.cert-code code', { hasText: cert.code }) });
    assert.match(await card.getAttribute('class'), /\bis-revoked\b/);
    assert.equal(await card.locator('.cert-credential').count(), 0, 'no credential downloads');
    for (const label of [T['cert.badgePng'], T['cert.credentialJson'], T['cert.credentialJwt'], T['cert.downloadPdf']]) {
      assert.equal(await card.locator('button', { hasText: label }).count(), 0, `no "${label}"`);
    }
    const others = (await apiJson(token, '/api/certificates')).items.filter((c) => !c.revoked);
    assert.equal(await page.locator('#cert-badge-note').count(), others.length ? 1 : 0, 'the note only beside a credential to download');
    await shot(page, 'certificates-revoked-desktop');
    await page.context().close();

    // The credential issued before still has a good signature, but the answer says revoked.
    const [status, answer] = await verifyApi(credential);
    assert.equal(status, 200);
    assert.deepEqual([answer.valid, answer.certificate.revoked], [false, true]);
    const visitorPage = await visitor('en', { axe: true });
    const E = await openVerify(visitorPage, 'en');
    const outcome = await check(visitorPage, { text: credential });
    assert.equal(await outcome.getAttribute('data-outcome'), 'revoked');
    assert.equal(await outcome.getAttribute('role'), 'alert');
    const text = await outcome.innerText();
    assert.ok(text.includes(E['verify.cred.revokedText']));
    assert.ok(!text.includes(E['verify.cred.valid']), 'never called valid');
    assert.ok(text.includes(answer.certificate.holder_name));
    const found = await violations(visitorPage);
    assert.deepEqual(found, [], `axe with the revoked answer shown: ${found.join('; ')}`);
    await shot(visitorPage, 'verify-revoked-desktop');
    await visitorPage.context().close();
    assert.deepEqual(problems, []);
  });

  test('too many checks: the server\'s 429 message, then checks go through again', async () => {
    const page = await visitor('en');
    const T = await openVerify(page, 'en');
    await page.locator('#credential-form textarea').fill(credential);
    // Use up this address's allowance (30 a minute) from Node (the browser shares the address),
    // then check at once.
    let limited = null;
    for (let i = 0; i < 40 && !limited; i += 1) {
      const [status, body] = await verifyApi('not-a-credential');
      if (status === 429) limited = body;
    }
    assert.ok(limited, 'a 429 within 40 checks');
    const refused = await check(page, { text: credential });
    assert.equal(await refused.getAttribute('data-outcome'), 'error');
    assert.equal((await refused.locator('.credential-detail').innerText()).trim(), (limited && limited.detail) || T['verify.cred.rateLimited']);
    await shot(page, 'verify-rate-limited-desktop');
    await page.context().close();
    // Leave the allowance to the tests that come after: wait (asking every 5 s, which the
    // limit allows) until a check goes through again.
    let through = false;
    for (const end = Date.now() + 90000; !through && Date.now() < end;) {
      await new Promise((r) => { setTimeout(r, 5000); });
      through = (await verifyApi('not-a-credential'))[0] !== 429;
    }
    assert.ok(through, 'checks go through again within 90 s');
    assert.deepEqual(problems, []);
  });
});
