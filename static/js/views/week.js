// "My week" of an advisor: the week Monday to Sunday in their zone (each day's public holiday or
// days off, its sessions against the daily cap, its slots with who booked them), the rules of
// their working days (holiday region, break between sessions, daily cap) and their days off.
import { h, icon } from '../dom.js';
import { t, tn } from '../i18n.js';
import { api, withQuery } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, badge, busy, toast, select, topicLabel, confirmDialog, field, input, showFormErrors } from '../ui.js';

const enc = encodeURIComponent;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
// How many of the region's coming holidays show before "Show all".
const FIRST_HOLIDAYS = 5;

// The previous/next/this-week buttons draw the page again through the address: the reader
// stays where they were on the page (a link from elsewhere starts at the top).
let keepScroll = false;

/** A calendar date ("2026-12-08") as a Date at its UTC midnight, for formatting in UTC. */
function civil(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}
function dayFormat(options) {
  return new Intl.DateTimeFormat(fmt.intlLocale(), { timeZone: 'UTC', ...options });
}
function capital(text) {
  return text ? text.charAt(0).toLocaleUpperCase(fmt.intlLocale()) + text.slice(1) : text;
}
/** "Tuesday, 8 December" (in the UI language). */
function dayName(day) {
  return capital(dayFormat({ weekday: 'long', day: 'numeric', month: 'long' }).format(civil(day)));
}
/** "7–13 December 2026", "8 Dec 2026", "30 Dec 2026 – 2 Jan 2027". */
export function dayRange(first, last, { short = false } = {}) {
  const f = dayFormat(short ? { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' } : { day: 'numeric', month: 'long', year: 'numeric' });
  if (!last || first === last) return f.format(civil(first));
  return typeof f.formatRange === 'function' ? f.formatRange(civil(first), civil(last)) : `${f.format(civil(first))} – ${f.format(civil(last))}`;
}
/** "09:00–09:45" in the week's zone. */
function clock(slot, tz) {
  const f = new Intl.DateTimeFormat(fmt.intlLocale(), { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const at = (v) => f.format(new Date(v));
  return `${at(slot.starts_at)}–${at(slot.ends_at)}`;
}

const STATUS_KIND = { open: 'success', booked: 'info', held: 'warning' };
function statusBadge(status) {
  const key = `week.status.${status}`;
  const label = t(key);
  return badge(label === key ? String(status || '') : label, STATUS_KIND[status] || 'neutral');
}

function weekSlot(entry, tz) {
  const s = entry.slot;
  const who = entry.learner ? [entry.learner.name, entry.sme ? entry.sme.name : null].filter(Boolean).join(' · ') : null;
  return h('li', { class: ['week-slot', `is-${s.status}`], dataset: { slot: s.id } },
    h('p', { class: 'week-slot-time' }, clock(s, tz)),
    h('p', { class: 'week-slot-meta' }, badge(topicLabel(s.topic), `topic-${s.topic}`), ' ', statusBadge(s.status)),
    who ? h('p', { class: 'week-slot-who' }, icon('user'), h('span', {}, who)) : null);
}

function weekDay(day, week, today) {
  const cap = week.daily_cap;
  const count = cap ? t('week.sessionsOfCap', { n: day.sessions, cap }) : tn('week.sessions', day.sessions);
  const headingId = `day-${day.date}`;
  return h('li', {
    class: ['week-day', day.holiday ? 'is-holiday' : null, day.time_off !== null && day.time_off !== undefined ? 'is-off' : null,
      day.over_cap ? 'is-over-cap' : null, day.date === today ? 'is-today' : null],
    dataset: { date: day.date },
    'aria-current': day.date === today ? 'date' : null,
  },
  h('h3', { class: 'week-day-name', id: headingId }, dayName(day.date),
    day.date === today ? [' ', h('span', { class: 'badge badge-today' }, t('week.today'))] : null),
  day.holiday ? h('p', { class: 'week-day-flag' }, badge(t('week.holiday', { name: day.holiday }), 'holiday')) : null,
  day.time_off !== null && day.time_off !== undefined
    ? h('p', { class: 'week-day-flag' }, badge(day.time_off ? t('week.dayOffReason', { reason: day.time_off }) : t('week.dayOff'), 'off')) : null,
  // "0 sessions" says nothing "No slots" does not (and some plural rules read 0 as one).
  cap || day.sessions ? h('p', { class: 'week-day-count' },
    h('span', { class: 'week-count' }, count),
    day.booked ? [' · ', h('span', { class: 'week-booked' }, tn('week.booked', day.booked))] : null,
    day.over_cap ? [' ', badge(t('week.overCap'), 'danger')] : null) : null,
  day.slots.length
    ? h('ul', { class: 'week-slots' }, [...day.slots].sort((a, b) => String(a.slot.starts_at).localeCompare(String(b.slot.starts_at))).map((x) => weekSlot(x, week.time_zone)))
    : h('p', { class: 'week-empty' }, t('week.noSlots')));
}

/** The week's heading, its navigation and its days. */
function weekSection(week, ctx) {
  const today = fmt.todayIn(week.time_zone);
  const go = (date) => () => {
    keepScroll = true;
    ctx.setQuery({ date });
  };
  const range = dayRange(week.first_day, week.last_day);
  return h('section', { class: 'week', id: 'week', 'aria-labelledby': 'week-heading', dataset: { first: week.first_day } },
    h('div', { class: 'week-toolbar' },
      h('h2', { id: 'week-heading', class: 'week-heading' }, t('week.range', { range })),
      h('nav', { class: 'week-nav button-row', 'aria-label': t('week.nav') },
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'week-prev', onclick: go(week.previous) }, icon('arrowLeft'), h('span', {}, t('week.previous'))),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'week-today', onclick: go('') }, t('week.thisWeek')),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'week-next', onclick: go(week.next) }, h('span', {}, t('week.next')), icon('arrowRight')))),
    h('ol', { class: 'week-days', 'aria-labelledby': 'week-heading' }, week.days.map((d) => weekDay(d, week, today))));
}

/** The coming holidays of the saved region (the first few, then all), and where they come from. */
function holidaysBox(avail) {
  const box = h('div', { class: 'holidays', id: 'holidays' });
  const region = avail.regions.find((r) => r.code === avail.holiday_region);
  if (!avail.holiday_region) {
    box.append(h('p', { class: 'muted small' }, t('week.noRegionHint')));
    return box;
  }
  const heading = h('h3', { id: 'holidays-heading' }, t('week.holidaysTitle', { region: region ? region.name : avail.holiday_region }));
  box.append(heading);
  if (!avail.holidays.length) {
    box.append(h('p', { class: 'muted' }, t('week.noHolidays')));
  } else {
    const items = avail.holidays.map((x, i) => h('li', { hidden: i >= FIRST_HOLIDAYS, dataset: { date: x.date } },
      h('span', { class: 'holiday-date' }, dayRange(x.date, x.date, { short: true })), ' ', h('span', { class: 'holiday-name' }, x.name)));
    const list = h('ul', { class: 'holiday-list', id: 'holiday-list', 'aria-labelledby': 'holidays-heading' }, items);
    box.append(list);
    if (avail.holidays.length > FIRST_HOLIDAYS) {
      const more = h('button', { type: 'button', class: 'btn btn-link', id: 'holidays-more', 'aria-expanded': 'false', 'aria-controls': 'holiday-list' },
        t('week.showAllHolidays', { n: avail.holidays.length }));
      more.addEventListener('click', () => {
        const open = more.getAttribute('aria-expanded') !== 'true';
        items.forEach((li, i) => { li.hidden = !open && i >= FIRST_HOLIDAYS; });
        more.setAttribute('aria-expanded', String(open));
        more.textContent = open ? t('week.showFewerHolidays') : t('week.showAllHolidays', { n: avail.holidays.length });
      });
      box.append(more);
    }
  }
  box.append(h('p', { class: 'muted small holidays-source' }, t('week.holidaysSource', { source: avail.holidays_source })));
  return box;
}

/** "Working days": holiday region, minutes between sessions, most sessions a day. */
function settingsForm(state, refresh) {
  const { avail } = state;
  const region = select([{ value: '', label: t('week.noRegion') }, ...avail.regions.map((r) => ({ value: r.code, label: r.name }))],
    { value: avail.holiday_region || '' });
  const buffer = input({ type: 'number', min: '0', max: '240', step: '5', inputmode: 'numeric', value: String(avail.buffer_minutes ?? 0) });
  const cap = input({ type: 'number', min: '1', max: '48', inputmode: 'numeric', value: avail.daily_cap === null || avail.daily_cap === undefined ? '' : String(avail.daily_cap) });
  const errors = h('div', {});
  const holidays = h('div', {}, holidaysBox(avail));
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'workdays-save' }, t('week.save'));
  const form = h('form', { class: 'card stack', id: 'workdays-form', novalidate: true, 'aria-labelledby': 'workdays-heading' },
    h('h2', { id: 'workdays-heading' }, t('week.settingsTitle')),
    h('p', { class: 'muted small' }, t('week.settingsLead')),
    errors,
    h('div', { class: 'form-grid' },
      field(t('week.region'), region, { name: 'holiday_region', hint: t('week.regionHint'), wide: true }),
      field(t('week.buffer'), buffer, { name: 'buffer_minutes', hint: t('week.bufferHint') }),
      field(t('week.cap'), cap, { name: 'daily_cap', hint: t('week.capHint') })),
    save,
    holidays);
  const number = (el) => (el.value.trim() === '' ? null : Number(el.value));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(save, async () => {
      try {
        // An empty break is none; an empty cap is no limit. What is not a number is the server's to name.
        const minutes = number(buffer);
        const body = { holiday_region: region.value || null, buffer_minutes: minutes === null ? 0 : minutes, daily_cap: number(cap) };
        if (buffer.validity && buffer.validity.badInput) body.buffer_minutes = buffer.value;
        const saved = await api('/api/me/availability', { method: 'PUT', body });
        showFormErrors(form, null, errors);
        errors.replaceChildren();
        state.avail = saved;
        region.value = saved.holiday_region || '';
        buffer.value = String(saved.buffer_minutes);
        cap.value = saved.daily_cap === null || saved.daily_cap === undefined ? '' : String(saved.daily_cap);
        holidays.replaceChildren(holidaysBox(saved));
        toast(t('week.saved'));
        await refresh();
      } catch (err) {
        showFormErrors(form, err, errors);
      }
    });
    const invalid = form.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else if (document.activeElement === document.body) save.focus();
  });
  return form;
}

/** The days off: a form to add some, what adding did, and the list of those to come. */
function timeOffCard(state, refresh) {
  const tz = state.avail.time_zone || fmt.userZone();
  const today = fmt.todayIn(tz);
  const first = input({ type: 'date', min: today });
  const last = input({ type: 'date', min: today });
  const reason = input({ maxlength: '200', placeholder: t('week.reasonPlaceholder') });
  first.addEventListener('change', () => { if (!last.value && first.value) last.value = first.value; });
  const errors = h('div', {});
  const result = h('div', { id: 'timeoff-result', class: 'timeoff-result', role: 'status', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary', id: 'timeoff-add' }, t('week.addTimeOff'));
  const listBox = h('div', { id: 'timeoff-list' });
  const form = h('form', { class: 'stack', id: 'timeoff-form', novalidate: true, 'aria-labelledby': 'timeoff-heading' },
    errors,
    h('div', { class: 'form-grid' },
      field(t('week.firstDay'), first, { name: 'first_day' }),
      field(t('week.lastDay'), last, { name: 'last_day' }),
      field(t('week.reason'), reason, { name: 'reason', wide: true })),
    submit);

  const drawList = () => {
    const items = state.avail.time_off || [];
    listBox.replaceChildren(
      h('h3', { id: 'timeoff-list-heading', tabindex: '-1' }, t('week.upcomingTimeOff')),
      items.length ? h('ul', { class: 'timeoff-list', 'aria-labelledby': 'timeoff-list-heading' }, items.map((x) => {
        const range = dayRange(x.first_day, x.last_day, { short: true });
        const remove = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': t('week.removeLabel', { range }) }, t('week.remove'));
        remove.addEventListener('click', async () => {
          if (!(await confirmDialog(t('week.removeConfirm', { range }), { danger: true, confirmLabel: t('week.remove') }))) return;
          const index = items.indexOf(x);
          await busy(remove, async () => {
            try {
              await api(`/api/me/time-off/${enc(x.id)}`, { method: 'DELETE' });
              toast(t('week.removed'));
              await refresh();
              // The keyboard goes on at the days off that took their place (or the list's heading).
              const buttons = listBox.querySelectorAll('.timeoff-item button');
              const next = buttons[Math.min(index, buttons.length - 1)] || document.getElementById('timeoff-list-heading');
              if (next) next.focus();
            } catch (err) { toast(err.detail || t('error.generic'), 'error'); }
          });
        });
        return h('li', { class: 'timeoff-item', dataset: { timeOff: x.id } },
          h('span', { class: 'timeoff-text' }, h('span', { class: 'timeoff-range' }, range), x.reason ? [' · ', h('span', { class: 'timeoff-reason' }, x.reason)] : null),
          remove);
      })) : h('p', { class: 'muted', id: 'timeoff-none' }, t('week.noTimeOff')));
  };
  drawList();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let added = null;
    await busy(submit, async () => {
      try {
        added = await api('/api/me/time-off', { method: 'POST', body: { first_day: first.value, last_day: last.value, reason: reason.value.trim() } });
        showFormErrors(form, null, errors);
        errors.replaceChildren();
        first.value = '';
        last.value = '';
        reason.value = '';
        result.replaceChildren(...addedMessage(added, tz));
        await refresh();
      } catch (err) {
        showFormErrors(form, err, errors);
      }
    });
    if (added) result.focus();
    else {
      const invalid = form.querySelector('[aria-invalid="true"]');
      if (invalid) invalid.focus();
    }
  });

  const card = h('section', { class: 'card stack', id: 'timeoff', 'aria-labelledby': 'timeoff-heading' },
    h('h2', { id: 'timeoff-heading' }, t('week.timeOffTitle')),
    h('p', { class: 'muted small' }, t('week.timeOffLead')),
    form, result, listBox);
  card.redraw = drawList;
  return card;
}

/** What adding days off did: slots withdrawn, sessions to move or cancel. */
function addedMessage(added, tz) {
  const off = added.time_off;
  const range = dayRange(off.first_day, off.last_day, { short: true });
  const sessions = added.sessions || [];
  const withdrawn = (added.withdrawn_slots || []).length;
  // Days off outside the week on screen: a link to their week.
  const inView = (() => {
    const section = document.getElementById('week');
    const monday = section ? section.dataset.first : null;
    if (!monday) return false;
    const sunday = fmt.addDays(monday, 6);
    return off.first_day <= sunday && off.last_day >= monday;
  })();
  return [h('div', { class: ['alert', sessions.length ? 'alert-warning' : 'alert-success'] },
    h('p', { class: 'alert-title' }, t('week.timeOffAdded', { range })),
    h('p', { class: 'timeoff-withdrawn' }, withdrawn ? tn('week.withdrawn', withdrawn) : t('week.withdrawnNone')),
    sessions.length ? [
      h('p', {}, tn('week.sessionsToMove', sessions.length)),
      h('ul', { class: 'alert-list timeoff-sessions' }, sessions.map((b) => h('li', { dataset: { booking: b.id } },
        h('span', { class: 'timeoff-session-time' }, fmt.dateTime(b.slot && b.slot.starts_at, tz)), ' · ',
        h('span', { class: 'timeoff-session-who' }, [b.learner && b.learner.name, b.sme && b.sme.name].filter(Boolean).join(' · '))))),
      h('p', {}, h('a', { href: '#/advisor/bookings', id: 'timeoff-bookings' }, t('week.goToBookings'))),
    ] : null,
    inView ? null : h('p', {}, h('a', { href: `#/advisor/week?date=${enc(off.first_day)}`, id: 'timeoff-week' }, t('week.showThatWeek'))))];
}

export async function render(ctx) {
  const date = ISO_DAY.test(ctx.query.date || '') ? ctx.query.date : '';
  if (keepScroll) {
    ctx.keepScroll = true;
    keepScroll = false;
  }
  const weekPath = withQuery('/api/me/week', { date });
  let state;
  try {
    const [week, avail] = await Promise.all([api(weekPath), api('/api/me/availability')]);
    state = { week, avail };
  } catch (err) {
    return [pageHeader(t('week.title')), unavailable(err, t('advice.unavailable'))];
  }
  const weekBox = h('div', {}, weekSection(state.week, ctx));
  let timeOff = null;
  // After saving the rules or changing days off: the week and the days off as the server has them.
  const refresh = async () => {
    let week;
    let avail;
    try {
      [week, avail] = await Promise.all([api(weekPath), api('/api/me/availability')]);
    } catch (err) {
      // What was done is done; only the picture of it could not be brought up to date.
      toast(err.detail || t('error.generic'), 'error');
      return;
    }
    if (!ctx.alive()) return;
    state.week = week;
    state.avail = { ...avail };
    weekBox.replaceChildren(weekSection(week, ctx));
    if (timeOff) timeOff.redraw();
  };
  timeOff = timeOffCard(state, refresh);
  const tz = state.week.time_zone || fmt.userZone();
  return [
    pageHeader(t('week.title'), { lead: t('week.lead', { tz: fmt.zoneCity(tz) }) }),
    weekBox,
    h('div', { class: 'two-col week-settings' }, settingsForm(state, refresh), timeOff),
  ];
}
