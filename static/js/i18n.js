// UI strings: one table per language in /i18n/<code>.js. The languages are the server's one
// list (GET /api/languages: code, own name, fallback); a language's missing keys come from its
// fallback (Galician: Spanish), then English. The language is the user's explicit choice, else
// their profile locale, else the browser's languages, else English.

const ENGLISH = { code: 'en', name: 'English', tag: 'en-GB', fallback: null };

async function loadLanguages() {
  try {
    const res = await fetch('/api/languages', { headers: { Accept: 'application/json' } });
    if (res.ok) {
      const items = (await res.json()).items;
      if (Array.isArray(items) && items.some((l) => l.code === 'en')) return items;
    }
  } catch { /* offline: English only */ }
  return [ENGLISH];
}

async function loadTable(code) {
  try { return (await import(`../i18n/${code}.js`)).default; } catch { return {}; }
}

export const LANGUAGES = await loadLanguages();
export const LANGS = LANGUAGES.map((l) => l.code);
export const TABLES = Object.fromEntries(await Promise.all(LANGS.map(async (c) => [c, await loadTable(c)])));
const INFO = Object.fromEntries(LANGUAGES.map((l) => [l.code, l]));

/** `code`, then its fallbacks, then English. */
function chain(code) {
  const out = [];
  for (let c = code; c && !out.includes(c); c = INFO[c] && INFO[c].fallback) out.push(c);
  if (!out.includes('en')) out.push('en');
  return out;
}

const CHOICE = 'academy.lang';

let lang = 'en';
const listeners = new Set();

export function currentLang() { return lang; }

function lookup(key) {
  for (const c of chain(lang)) {
    const s = TABLES[c] && TABLES[c][key];
    if (s !== undefined) return s;
  }
  return undefined;
}

export function t(key, vars) {
  let s = lookup(key);
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
  return s;
}

/** Plural-aware: looks up `key.one` / `key.other` (per Intl.PluralRules) with {n}. */
export function tn(key, n, vars = {}) {
  const rule = new Intl.PluralRules(lang).select(Number(n));
  const k = lookup(`${key}.${rule}`) !== undefined ? `${key}.${rule}` : `${key}.other`;
  return t(k, { n, ...vars });
}

function pick(candidate) {
  if (!candidate) return null;
  const primary = String(candidate).toLowerCase().split(/[-_]/)[0];
  return LANGS.includes(primary) ? primary : null;
}

/** Chooses the language for a user (or for nobody signed in yet). */
export function detectLang(user) {
  let stored = null;
  try { stored = localStorage.getItem(CHOICE); } catch { /* private mode */ }
  const fromBrowser = (navigator.languages || [navigator.language]).map(pick).find(Boolean);
  if (user) return pick(user.locale) || pick(stored) || fromBrowser || 'en';
  return pick(stored) || fromBrowser || 'en';
}

export function setLang(next, { remember = false } = {}) {
  const chosen = pick(next) || 'en';
  if (remember) {
    try { localStorage.setItem(CHOICE, chosen); } catch { /* private mode */ }
  }
  if (chosen === lang && document.documentElement.lang === chosen) return;
  lang = chosen;
  document.documentElement.lang = chosen;
  for (const fn of listeners) fn(chosen);
}

export function onLangChange(fn) { listeners.add(fn); }

export function forgetChoice() {
  try { localStorage.removeItem(CHOICE); } catch { /* ignore */ }
}

/** The BCP 47 tag dates and numbers are formatted with (`gl-ES`). */
export function intlTag(code) {
  return (INFO[code] && INFO[code].tag) || 'en-GB';
}

/** `code`, then its fallbacks, then English (for what a browser cannot do in `code`). */
export function langChain(code) {
  return chain(code);
}

/** A language's name as written inside a sentence of the UI language ("galego", "Galician"). */
export function langInText(code) {
  return t(`langInText.${code}`);
}

export function langName(code) {
  return (INFO[code] && INFO[code].name) || String(code).toUpperCase();
}
