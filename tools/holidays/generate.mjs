#!/usr/bin/env node
// Generates src/bookings/holidays.json (public holidays per region) from the
// npm package date-holidays, plus Portugal's autonomous regions (PT-20, PT-30)
// from the PyPI package holidays, through pt_regions.py. Run from anywhere:
//   [HOLIDAYS_PYTHON=python-with-holidays] node tools/holidays/generate.mjs [out-file]
// The output is deterministic: same date-holidays and holidays versions =>
// same bytes. The only hand-written text here is the region names (REGIONS).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Holidays from 'date-holidays';
import { data as holidaysData } from 'date-holidays/data';

const require = createRequire(import.meta.url);
const { version } = require('date-holidays/package.json');

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_OUT = resolve(REPO_ROOT, 'src', 'bookings', 'holidays.json');
const PT_REGIONS_SCRIPT = resolve(REPO_ROOT, 'tools', 'holidays', 'pt_regions.py');
const PYTHON = process.env.HOLIDAYS_PYTHON || 'python3';

const FIRST_YEAR = 2026;
const LAST_YEAR = 2030;
const LANGS = ['en', 'es', 'pt', 'gl'];

// Our region code (ISO 3166-2), how to find it in date-holidays, and its
// names. `state: null` = the country-level list only. For a state, either
// its date-holidays code or a pattern matched against the codes and names
// that `getStates(country)` returns (used where date-holidays' codes may
// differ from ISO's). date-holidays 3.37.0 has no states at all for PT, so
// PT-20 and PT-30 come from python-holidays instead (`from: 'python'`, see
// pythonRegions below).
const REGIONS = [
  {
    code: 'ES', country: 'ES', state: null,
    names: { en: 'Spain (national holidays)', es: 'España (festivos nacionales)', pt: 'Espanha (feriados nacionais)', gl: 'España (festivos estatais)' },
  },
  {
    code: 'ES-AN', country: 'ES', state: 'AN',
    names: { en: 'Andalusia', es: 'Andalucía', pt: 'Andaluzia', gl: 'Andalucía' },
  },
  {
    code: 'ES-CL', country: 'ES', state: 'CL',
    names: { en: 'Castile and León', es: 'Castilla y León', pt: 'Castela e Leão', gl: 'Castela e León' },
  },
  {
    code: 'ES-CN', country: 'ES', state: 'CN',
    names: { en: 'Canary Islands', es: 'Canarias', pt: 'Canárias', gl: 'Canarias' },
  },
  {
    code: 'ES-GA', country: 'ES', state: 'GA',
    names: { en: 'Galicia', es: 'Galicia', pt: 'Galiza', gl: 'Galicia' },
  },
  {
    code: 'PT', country: 'PT', state: null,
    names: { en: 'Portugal (national holidays)', es: 'Portugal (festivos nacionales)', pt: 'Portugal (feriados nacionais)', gl: 'Portugal (festivos estatais)' },
  },
  {
    code: 'PT-20', from: 'python',
    names: { en: 'Azores', es: 'Azores', pt: 'Açores', gl: 'Azores' },
  },
  {
    code: 'PT-30', from: 'python',
    names: { en: 'Madeira', es: 'Madeira', pt: 'Madeira', gl: 'Madeira' },
  },
];

const SUBSTITUTE_NAMES = holidaysData.names?.substitutes?.name ?? {};

function fail(msg) {
  throw new Error(`generate.mjs: ${msg}`);
}

// date-holidays' state code for a region (undefined for a country-level
// region). A region given by an exact code must exist; one given by a
// pattern may be missing from date-holidays (null: left out, with a warning).
function resolveState(region) {
  if (region.state === null) return undefined;
  const states = new Holidays().getStates(region.country) ?? {};
  if (typeof region.state === 'string') {
    if (!Object.hasOwn(states, region.state)) fail(`${region.code}: date-holidays has no state ${region.country}-${region.state}`);
    return region.state;
  }
  const hits = Object.entries(states)
    .filter(([code, name]) => region.state.test(code) || region.state.test(name))
    .map(([code]) => code);
  if (hits.length > 1) fail(`${region.code}: several date-holidays states match: ${hits.join(', ')}`);
  return hits[0] ?? null;
}

function newHolidays(country, state) {
  const hd = new Holidays();
  const ok = state === undefined ? hd.init(country) : hd.init(country, state);
  if (!ok) fail(`date-holidays has no data for ${country}${state ? '-' + state : ''}`);
  return hd;
}

function pick(names, chain) {
  if (typeof names === 'string') return names;
  if (!names || typeof names !== 'object') return undefined;
  for (const lang of chain) if (names[lang]) return names[lang];
  return undefined;
}

// Language fallback chains. en and es follow date-holidays' own order
// (requested language, then the country's languages, then en); gl falls
// back to the Spanish name, pt to the English one.
function chains(hd) {
  const base = hd.getLanguages(); // e.g. ['es', 'en'] for ES, ['pt', 'en'] for PT
  const en = ['en', ...base];
  const es = ['es', ...base];
  return { en, es, gl: ['gl', ...es], pt: ['pt', ...en] };
}

// Same as date-holidays' own translation, but with our fallback chain: a
// substitute day gets " (substitute day)" in the chain's language, except
// when the holiday has a single untranslated name (date-holidays adds no
// suffix then either).
function translate(hd, h, chain) {
  const raw = hd.holidays[h.rule]?.name;
  const name = pick(raw, chain);
  if (name === undefined) fail(`no name for rule "${h.rule}" (${h.date})`);
  if (!h.substitute || typeof raw !== 'object') return name;
  const subst = pick(SUBSTITUTE_NAMES, chain);
  return subst ? `${name} (${subst})` : name;
}

// Public holidays of one region for one year: [{date, names}].
function holidaysOf(country, state, year) {
  const out = [];
  // A fresh instance per call: getHolidays(year, lang) prepends `lang` to the
  // instance's own language list, so reusing one instance would leak languages.
  const hd = newHolidays(country, state);
  const ch = chains(hd);
  for (const h of hd.getHolidays(year)) {
    if (h.type !== 'public') continue;
    const date = h.date.slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !date.startsWith(`${year}-`)) {
      fail(`unexpected date "${h.date}" for ${country}${state ? '-' + state : ''} ${year}`);
    }
    const names = Object.fromEntries(LANGS.map((l) => [l, translate(hd, h, ch[l])]));
    out.push({ date, names });
  }
  // Cross-check our translation against date-holidays' own for en and es.
  for (const lang of ['en', 'es']) {
    const theirs = newHolidays(country, state).getHolidays(year, lang)
      .filter((h) => h.type === 'public')
      .map((h) => `${h.date.slice(0, 10)} ${h.name}`);
    const ours = out.map((h) => `${h.date} ${h.names[lang]}`);
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
      fail(`names differ from date-holidays' own (${lang}, ${country} ${state ?? ''} ${year}):\n${theirs.join('\n')}\n---\n${ours.join('\n')}`);
    }
  }
  return out;
}

// Public holidays of the `from: 'python'` regions, from pt_regions.py (the
// PyPI package holidays): {source, holidays: [{date, region, names: {en, pt}}]},
// each region's full list, national holidays included.
function pythonRegions() {
  let stdout;
  try {
    stdout = execFileSync(PYTHON, [PT_REGIONS_SCRIPT, String(FIRST_YEAR), String(LAST_YEAR)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20,
    });
  } catch (e) {
    fail(`${PYTHON} ${PT_REGIONS_SCRIPT} failed (set HOLIDAYS_PYTHON to a Python with holidays installed; check.sh makes one): ${e.message}`);
  }
  const data = JSON.parse(stdout);
  if (!/^holidays \S+$/.test(data.source ?? '') || !Array.isArray(data.holidays)) fail(`unexpected output of ${PT_REGIONS_SCRIPT}`);
  return data;
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function generate() {
  const regions = [];
  const merged = new Map(); // `${date}\u0000${en}` -> {date, regions:Set, names}
  for (const region of REGIONS) {
    if (region.from === 'python') {
      regions.push({ code: region.code, names: region.names });
      continue;
    }
    const state = resolveState(region);
    if (state === null) {
      console.warn(`generate.mjs: warning: date-holidays ${version} has no data for ${region.code} (${region.names.en}); region left out`);
      continue;
    }
    regions.push({ code: region.code, names: region.names });
    let count = 0;
    for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
      for (const h of holidaysOf(region.country, state, year)) {
        count++;
        const key = `${h.date}\u0000${h.names.en}`;
        const entry = merged.get(key);
        if (!entry) {
          merged.set(key, { date: h.date, regions: new Set([region.code]), names: h.names });
          continue;
        }
        if (JSON.stringify(entry.names) !== JSON.stringify(h.names)) {
          fail(`${h.date} "${h.names.en}": names differ between regions: ${JSON.stringify(entry.names)} vs ${region.code} ${JSON.stringify(h.names)}`);
        }
        entry.regions.add(region.code);
      }
    }
    if (count === 0) fail(`${region.code}: no public holidays in ${FIRST_YEAR}..${LAST_YEAR}`);
  }

  // python-holidays' regions, merged after all date-holidays regions. Its
  // English names for national holidays differ from date-holidays' ("Freedom
  // Day" vs "Liberty Day"), so a date that is a PT national holiday joins the
  // PT entry of that date; only the region's own days (other dates) are
  // matched by date and English name like above, or become new entries, named
  // es = gl = pt (the fallback rule for Portuguese holidays).
  const py = pythonRegions();
  const ptByDate = new Map();
  for (const entry of merged.values()) {
    if (!entry.regions.has('PT')) continue;
    if (ptByDate.has(entry.date)) fail(`${entry.date}: several PT holidays on one date`);
    ptByDate.set(entry.date, entry);
  }
  for (const region of REGIONS.filter((r) => r.from === 'python')) {
    const own = py.holidays.filter((h) => h.region === region.code);
    if (own.length === 0) fail(`${region.code}: no public holidays in ${py.source}`);
    const dates = new Set(own.map((h) => h.date));
    for (const date of ptByDate.keys()) {
      if (!dates.has(date)) console.warn(`generate.mjs: warning: ${py.source} lacks PT national holiday ${date} for ${region.code}`);
    }
    for (const h of own) {
      const year = Number(h.date.slice(0, 4));
      if (!/^\d{4}-\d{2}-\d{2}$/.test(h.date) || year < FIRST_YEAR || year > LAST_YEAR) fail(`unexpected date "${h.date}" for ${region.code}`);
      if (!h.names?.en || !h.names?.pt) fail(`${h.date} ${region.code}: missing en/pt name`);
      const national = ptByDate.get(h.date);
      if (national) {
        national.regions.add(region.code);
        continue;
      }
      const names = { en: h.names.en, es: h.names.pt, pt: h.names.pt, gl: h.names.pt };
      const key = `${h.date}\u0000${names.en}`;
      const entry = merged.get(key);
      if (!entry) {
        merged.set(key, { date: h.date, regions: new Set([region.code]), names });
        continue;
      }
      if (JSON.stringify(entry.names) !== JSON.stringify(names)) {
        fail(`${h.date} "${names.en}": names differ between regions: ${JSON.stringify(entry.names)} vs ${region.code} ${JSON.stringify(names)}`);
      }
      entry.regions.add(region.code);
    }
  }

  const holidays = [...merged.values()]
    .sort((a, b) => cmp(a.date, b.date) || cmp(a.names.en, b.names.en))
    .map((h) => ({
      date: h.date,
      regions: [...h.regions].sort(cmp),
      names: Object.fromEntries(LANGS.map((l) => [l, h.names[l]])),
    }));

  return {
    source: `date-holidays ${version} (npm) and ${py.source} (PyPI); public holidays only`,
    years: [FIRST_YEAR, LAST_YEAR],
    regions,
    holidays,
  };
}

const out = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUT;
const json = JSON.stringify(generate(), null, 2) + '\n';
writeFileSync(out, json);
console.error(`generate.mjs: wrote ${out}`);
