// UI strings: one table per language in /i18n/*.js. The language is the user's explicit choice,
// else their profile locale, else the browser's languages, else English.
import en from '../i18n/en.js';
import es from '../i18n/es.js';
import pt from '../i18n/pt.js';

export const TABLES = { en, es, pt };
export const LANGS = ['en', 'es', 'pt'];
const CHOICE = 'academy.lang';

let lang = 'en';
const listeners = new Set();

export function currentLang() { return lang; }

export function t(key, vars) {
  let s = TABLES[lang][key];
  if (s === undefined) s = TABLES.en[key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined ? m : String(vars[name])));
  return s;
}

/** Plural-aware: looks up `key.one` / `key.other` (per Intl.PluralRules) with {n}. */
export function tn(key, n, vars = {}) {
  const rule = new Intl.PluralRules(lang).select(Number(n));
  const k = TABLES[lang][`${key}.${rule}`] !== undefined || TABLES.en[`${key}.${rule}`] !== undefined ? `${key}.${rule}` : `${key}.other`;
  return t(k, { n, ...vars });
}

function pick(candidate) {
  if (!candidate) return null;
  const short = String(candidate).toLowerCase().slice(0, 2);
  return LANGS.includes(short) ? short : null;
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

export function langName(code) {
  return { en: 'English', es: 'Español', pt: 'Português' }[code] || code.toUpperCase();
}
