// Dates and numbers, always in the user's own IANA time zone and the UI language.
import { currentLang, intlTag, langChain, t } from './i18n.js';
import { session } from './api.js';

const tags = new Map();
/**
 * The BCP 47 tag dates and numbers are written in: the UI language's, or its fallback's when the
 * browser has no calendar words for it (Debian's Chromium has no Galician: Spanish, not English).
 */
export function intlLocale() {
  const code = currentLang();
  if (!tags.has(code)) {
    const known = langChain(code).map(intlTag).find((tag) => Intl.DateTimeFormat.supportedLocalesOf([tag]).length);
    tags.set(code, known || intlTag(code));
  }
  return tags.get(code);
}

export function userZone() {
  const u = session.user();
  const tz = (u && u.time_zone) || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return 'UTC';
  }
}

/** "Lisbon" from "Europe/Lisbon", "Canary" from "Atlantic/Canary". */
export function zoneCity(tz) {
  if (!tz) return '';
  const last = tz.split('/').pop().replace(/_/g, ' ');
  const key = `zone.${last}`;
  const local = t(key);
  return local === key ? last : local;
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const cache = new Map();
function fmt(options, tz) {
  const key = `${intlLocale()}|${tz}|${JSON.stringify(options)}`;
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(intlLocale(), { timeZone: tz, ...options }));
  return cache.get(key);
}

/** "Tue 3 Mar, 10:00 (Lisbon)" */
export function dateTime(value, tz = userZone(), { zone = true } = {}) {
  const d = toDate(value);
  if (!d) return '—';
  const text = fmt({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, tz).format(d);
  return zone ? `${text} (${zoneCity(tz)})` : text;
}

/** "Tue 3 Mar, 10:00–10:45 (Lisbon)" */
export function timeRange(start, end, tz = userZone()) {
  const a = toDate(start);
  const b = toDate(end);
  if (!a) return '—';
  const first = dateTime(a, tz, { zone: false });
  if (!b) return `${first} (${zoneCity(tz)})`;
  const second = fmt({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, tz).format(b);
  return `${first}–${second} (${zoneCity(tz)})`;
}

/** "10:00–10:45 (Lisbon)": the hours only, under a heading that names the day. */
export function clockRange(start, end, tz = userZone()) {
  const a = toDate(start);
  const b = toDate(end);
  if (!a) return '—';
  const clock = fmt({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, tz);
  return `${clock.format(a)}${b ? `–${clock.format(b)}` : ''} (${zoneCity(tz)})`;
}

export function date(value, tz = userZone()) {
  const d = toDate(value);
  if (!d) return '—';
  return fmt({ day: 'numeric', month: 'short', year: 'numeric' }, tz).format(d);
}

export function dayHeading(value, tz = userZone()) {
  const d = toDate(value);
  if (!d) return '—';
  return fmt({ weekday: 'long', day: 'numeric', month: 'long' }, tz).format(d);
}

/** A key that groups instants by calendar day in a zone: "2026-03-03". */
export function dayKey(value, tz = userZone()) {
  const d = toDate(value);
  if (!d) return '';
  const p = wallParts(d.getTime(), tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function number(n, options = {}) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return new Intl.NumberFormat(intlLocale(), options).format(Number(n));
}

export function percent(n) {
  if (n === null || n === undefined) return '—';
  return `${number(Math.round(Number(n) * 10) / 10)} %`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${number(v, { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

export function pad(n) { return String(n).padStart(2, '0'); }

/** Wall-clock fields of an instant in a zone. */
export function wallParts(ms, tz) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type) => Number((parts.find((p) => p.type === type) || {}).value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

function offsetAt(ms, tz) {
  const p = wallParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * A wall-clock date and time in a zone ("2026-03-03", "10:00", "Europe/Lisbon") as a UTC
 * RFC 3339 string. Times that do not exist (spring-forward gap) move forward by the gap.
 */
export function wallToUtc(dateStr, timeStr, tz) {
  const [y, mo, d] = dateStr.split('-').map(Number);
  const [hh, mm] = timeStr.split(':').map(Number);
  if (![y, mo, d, hh, mm].every(Number.isFinite)) return null;
  const guess = Date.UTC(y, mo - 1, d, hh, mm);
  let ms = guess - offsetAt(guess, tz);
  const second = offsetAt(ms, tz);
  if (second !== offsetAt(guess, tz)) ms = guess - second;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Today's date in a zone as "YYYY-MM-DD" (for the min of date inputs). */
export function todayIn(tz) {
  const p = wallParts(Date.now(), tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function addDays(dateStr, days) {
  const [y, m, d] = dateStr.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

export function countdown(msLeft) {
  const s = Math.max(0, Math.floor(msLeft / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}
