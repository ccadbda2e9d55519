// Screenshots of the web UI for the README, taken from the real server with the demo data, so
// they never go stale: each role's first screen, in English, on a desktop (1366 x 900) and on a
// phone (390 x 844), the viewport only.
// Usage: bash tests/browser/screenshots.sh (starts the server; see docs/screenshots/README.md).
// Env: ACADEMY_URL, ACADEMY_DEMO_PASSWORD; argument: the output folder (docs/screenshots).
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BASE, PASSWORD, ROOT, PHONE, launch, newPage, settled } from './helpers.mjs';

const OUT = resolve(process.argv[2] || join(ROOT, 'docs', 'screenshots'));
const DESKTOP = { width: 1366, height: 900 };
const ROLES = [
  // [file name, demo account, page]
  ['learner', 'emma@olivia-agro.example', '#/courses'],
  ['advisor', 'advisor.finance@iberobio.example', '#/advisor/bookings'],
  ['coordinator', 'coord.bioval@iberobio.example', '#/staff'],
  ['admin', 'admin@iberobio.example', '#/staff/indicators'],
];

if (!PASSWORD) {
  console.error('ACADEMY_DEMO_PASSWORD must be set (run tests/browser/screenshots.sh)');
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const browser = await launch();
const problems = [];
try {
  for (const [name, email, hash] of ROLES) {
    for (const [device, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const page = await newPage(browser, problems, { viewport });
      // Signed in with the keyboard (Enter), so that no mouse pointer hovers over anything.
      await page.goto(`${BASE}/#/login`);
      await page.locator('#login-form input[name=email]').fill(email);
      await page.locator('#login-form input[name=password]').fill(PASSWORD);
      await page.locator('#login-form input[name=password]').press('Enter');
      await page.waitForFunction(() => !location.hash.startsWith('#/login'));
      await settled(page);
      // In English, whatever the profile says (this throwaway server's profile keeps it).
      if (await page.evaluate(() => document.documentElement.lang) !== 'en') {
        await page.locator('#lang-switch').selectOption('en');
        await page.waitForFunction(() => document.documentElement.lang === 'en');
      }
      await page.goto(`${BASE}/${hash}`);
      await settled(page);
      // Nothing that comes and goes: no toast, no blinking caret, no focus ring.
      await page.evaluate(() => { document.getElementById('toast-region').replaceChildren(); document.activeElement.blur(); window.scrollTo(0, 0); });
      const file = join(OUT, `${name}-${device}.png`);
      await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
      console.log(`${file} (${Math.round(statSync(file).size / 1024)} KB)`);
      await page.context().close();
    }
  }
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
