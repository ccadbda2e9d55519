import { h, icon, uid } from '../dom.js';
import { t } from '../i18n.js';
import { api, withQuery, download, topics, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, badge, button, busy, toast, select, topicLabel, confirmDialog, loading, errorBox, errorMessage, field, input, showFormErrors } from '../ui.js';
import { chooseNewTime } from './reschedule.js';

const enc = encodeURIComponent;

export async function render(ctx) {
  const topic = ctx.query.topic || '';
  const topicList = await topics();
  const filter = select([{ value: '', label: t('advice.allTopics') }, ...topicList.map((x) => ({ value: x, label: topicLabel(x) }))], { id: 'slot-topic', value: topic });
  filter.addEventListener('change', () => ctx.setQuery({ topic: filter.value }));

  const slotsBox = h('section', { class: 'stack', 'aria-labelledby': 'slots-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'slots-heading' }, t('advice.openSlots')),
      h('div', { class: 'inline-field' }, h('label', { for: 'slot-topic' }, t('advice.topic')), filter)),
    h('p', { class: 'muted small' }, t('advice.zoneNote', { zone: fmt.zoneCity(fmt.userZone()), tz: fmt.userZone() })));
  // Above a long list of open slots: the way to the waitlist, further down the page.
  const toWaitlist = h('p', { class: 'small waitlist-hint', hidden: true }, t('waitlist.hint'), ' ',
    button(t('waitlist.cta'), () => waitlist.goTo({ topic }), { kind: 'link', attrs: { id: 'waitlist-hint-link' } }));
  const slotsList = h('div', { id: 'slot-list' }, loading());
  slotsBox.append(toWaitlist, slotsList);
  const bookingsBox = h('section', { class: 'stack bookings-col', 'aria-labelledby': 'bookings-heading' }, h('h2', { id: 'bookings-heading' }, t('advice.myBookings')));
  const bookingsList = h('div', { id: 'booking-list' }, loading());
  bookingsBox.append(bookingsList);

  // Everything a booking, a cancellation, a hold or a waitlist change can alter, drawn again.
  const reload = () => Promise.all([loadSlots(), loadBookings(), waitlist.load()]);
  const waitlist = waitlistPart(ctx, topicList, reload);

  const loadSlots = async () => {
    try {
      const slots = (await api(withQuery('/api/slots', { topic, from: nowIso() }))).items || [];
      if (!ctx.alive()) return;
      waitlist.knowAdvisors(slots.map((s) => ({ id: s.advisor_id, name: s.advisor_name })));
      // No open slot: the waitlist is the way on (with the topic of the filter, if any).
      const none = () => empty(t('advice.noSlots.title'), topic ? t('advice.noSlots.topic') : t('advice.noSlots.text'),
        button(t('waitlist.cta'), () => waitlist.goTo({ topic }), { kind: 'secondary', small: true, attrs: { id: 'go-to-waitlist' } }));
      toWaitlist.hidden = !slots.length;
      slotsList.replaceChildren(slots.length ? slotGroups(slots, ctx, reload) : none());
    } catch (err) {
      slotsList.replaceChildren(unavailable(err, t('advice.unavailable')));
    }
  };
  const loadBookings = async () => {
    try {
      const items = (await api('/api/bookings')).items || [];
      if (!ctx.alive()) return;
      waitlist.knowAdvisors(items.map((b) => ({ id: (b.slot || b).advisor_id, name: (b.slot || b).advisor_name })));
      items.sort((a, b) => String(startOf(a)).localeCompare(String(startOf(b))));
      bookingsList.replaceChildren(items.length ? h('ul', { class: 'booking-list' }, items.map((b) => bookingItem(b, 'learner', reload)))
        : empty(t('advice.noBookings.title'), t('advice.noBookings.text')));
    } catch (err) {
      bookingsList.replaceChildren(unavailable(err, t('advice.unavailable')));
    }
  };
  loadSlots();
  loadBookings();
  waitlist.load();
  // The advisors of every open slot, whatever the topic filter: the waitlist form offers them.
  if (topic) {
    api(withQuery('/api/slots', { from: nowIso(), limit: 1000 }))
      .then((r) => { if (ctx.alive()) waitlist.knowAdvisors(((r && r.items) || []).map((s) => ({ id: s.advisor_id, name: s.advisor_name }))); })
      .catch(() => { /* the form still offers "Any advisor" */ });
  }
  return [pageHeader(t('advice.title'), { lead: t('advice.lead') }), waitlist.held, notifications(ctx), smeHours(ctx),
    h('div', { class: 'two-col' }, slotsBox, bookingsBox), waitlist.section];
}

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What is left of the SME's advisory hours this quarter and the next (quarters with a limit). */
function smeHours(ctx) {
  const box = h('div', { id: 'sme-hours' });
  const hours = (n) => t('staff.hoursValue', { n: fmt.number(Number(n) || 0, { maximumFractionDigits: 2 }) });
  api('/api/me/advisory-hours').then((r) => {
    const limited = ((r && r.items) || []).filter((q) => q.allotted_hours !== null && q.allotted_hours !== undefined);
    if (!limited.length || !ctx.alive()) return;
    box.replaceChildren(h('div', { class: 'alert alert-info', role: 'status' },
      h('ul', { class: 'alert-list' }, limited.slice(0, 2).map((q) => h('li', {},
        t('advice.hoursLeft', { period: q.period, left: hours(q.remaining_hours), allotted: hours(q.allotted_hours) }))))));
  }).catch(() => { /* optional */ });
  return box;
}

// What each kind of notice is, in words (a notice of a kind this UI does not know has none).
const NOTICE_KINDS = {
  booking_cancelled: { key: 'notice.kind.booking_cancelled', badge: 'neutral', icon: 'x' },
  booking_rescheduled: { key: 'notice.kind.booking_rescheduled', badge: 'info', icon: 'clock' },
};

/** The latest cancellations and moves that concern the signed-in person (nothing when none). */
export function notifications(ctx) {
  const box = h('div', { id: 'notifications' });
  api('/api/bookings/notifications').then((r) => {
    const items = (r && r.items) || [];
    if (!items.length || !ctx.alive()) return;
    box.replaceChildren(h('div', { class: 'alert alert-info', role: 'status' },
      h('p', { class: 'alert-title' }, t('advice.notifications')),
      h('ul', { class: 'alert-list notice-list' }, items.slice(0, 5).map((n) => {
        const kind = NOTICE_KINDS[n.kind];
        return h('li', { dataset: { kind: n.kind || '' } },
          kind ? [h('span', { class: `badge badge-${kind.badge} notice-kind` }, icon(kind.icon), t(kind.key)), ' '] : null,
          n.message || '', n.created_at ? h('span', { class: 'muted small' }, ` · ${fmt.dateTime(n.created_at)}`) : null);
      }))));
  }).catch(() => { /* optional */ });
  return box;
}

function slotGroups(slots, ctx, reload) {
  const groups = new Map();
  for (const s of slots.sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)))) {
    const k = fmt.dayKey(s.starts_at);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(s);
  }
  const wrap = h('div', { class: 'slot-groups' });
  for (const [, items] of groups) {
    wrap.append(h('h3', { class: 'day-heading' }, fmt.dayHeading(items[0].starts_at)),
      h('ul', { class: 'slot-list' }, items.map((s) => slotItem(s, ctx, reload))));
  }
  return wrap;
}

function advisorName(s) {
  return s.advisor_name || (s.advisor && s.advisor.name) || '';
}

function slotItem(s, ctx, reload) {
  const li = h('li', { class: 'slot card', dataset: { slot: s.id } });
  const note = h('textarea', { rows: '2', maxlength: '1000', id: `note-${s.id}`, placeholder: t('advice.notePlaceholder') });
  const advisorTz = s.advisor_time_zone || s.time_zone || (s.advisor && s.advisor.time_zone);
  const form = h('form', { class: 'book-form', hidden: true },
    h('label', { for: `note-${s.id}` }, t('advice.note')), note,
    h('div', { class: 'button-row' },
      h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, t('advice.confirmBooking')),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: () => { form.hidden = true; open.hidden = false; open.focus(); } }, t('action.cancel'))));
  const open = button(t('advice.book'), () => { form.hidden = false; open.hidden = true; note.focus(); }, { small: true, attrs: { class: 'btn btn-primary btn-small book-btn' } });
  const msg = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(form.querySelector('[type=submit]'), async () => {
      try {
        await bookSlot(s, note.value.trim(), reload);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          // Taken meanwhile, or held for someone on its waitlist (the server says until when).
          toast(err.code === 'slot.held' ? errorMessage(err) : t('advice.taken'), 'error');
          reload();
          return;
        }
        msg.replaceChildren(errorBox(err));
      }
    });
  });
  li.append(
    h('div', { class: 'slot-main' },
      h('p', { class: 'slot-time' }, icon('calendar'), fmt.timeRange(s.starts_at, s.ends_at)),
      h('p', { class: 'slot-meta' },
        // Listed to the learner it is held for only.
        s.status === 'held' ? [badge(t('waitlist.heldBadge'), 'success'), ' '] : null,
        badge(topicLabel(s.topic), `topic-${s.topic || 'other'}`), ' ',
        h('span', {}, advisorName(s)), ' · ',
        h('span', {}, s.mode === 'in_person' ? t('advice.inPerson') : t('advice.online')),
        s.location ? h('span', {}, ' · ', place(s.location)) : null),
      advisorTz && advisorTz !== fmt.userZone() ? h('p', { class: 'muted small' }, t('advice.advisorTime', { time: fmt.timeRange(s.starts_at, s.ends_at, advisorTz) })) : null),
    h('div', { class: 'slot-actions' }, open), form, msg);
  return li;
}

/**
 * Books slot `s` with a note, draws the page's lists again and puts the keyboard on the new
 * booking (read out whole; its actions are the next Tab stops), not at the top of the page.
 * Throws the server's refusal.
 */
async function bookSlot(s, note, reload) {
  const booking = await api(`/api/slots/${enc(s.id)}/booking`, { method: 'POST', body: { note } });
  toast(t('advice.booked'));
  await reload();
  const card = booking && document.querySelector(`.booking[data-booking="${CSS.escape(String(booking.id))}"]`);
  if (card) {
    card.scrollIntoView({ block: 'nearest' });
    card.focus();
  }
  return booking;
}

export function startOf(b) { return (b.slot && b.slot.starts_at) || b.starts_at || ''; }
function endOf(b) { return (b.slot && b.slot.ends_at) || b.ends_at || ''; }

export function statusBadge(status) {
  const kind = { active: 'info', booked: 'info', confirmed: 'info', cancelled: 'neutral', attended: 'success', no_show: 'warning' }[status] || 'neutral';
  const key = `booking.status.${status}`;
  const label = t(key);
  return badge(label === key ? String(status || '') : label, kind);
}

/** A meeting link as a link (opens in a new tab); an address as text. */
export function place(location) {
  return /^https?:\/\/\S+$/i.test(location)
    ? h('a', { href: location, target: '_blank', rel: 'noopener noreferrer', class: 'meeting-link' }, location)
    : location;
}

/** One booking, for a learner (cancel, .ics) or an advisor (outcome, cancel, .ics). */
export function bookingItem(b, as, reload, extra) {
  const slot = b.slot || b;
  const raw = b.status || 'booked';
  const active = raw === 'active' || raw === 'booked' || raw === 'confirmed';
  const status = active && b.outcome ? (b.outcome.attended ? 'attended' : 'no_show') : raw;
  const future = new Date(startOf(b)).getTime() > Date.now();
  // Focusable from script only: where the keyboard lands after booking or cancelling.
  const li = h('li', { class: ['booking', 'card', active ? null : 'is-inactive'], dataset: { booking: b.id }, tabindex: '-1' });
  const advisorName = b.advisor_name || slot.advisor_name || (b.advisor && b.advisor.name) || '';
  const learnerSide = [b.learner_name || (b.learner && b.learner.name), b.sme_name || (b.sme && b.sme.name)].filter(Boolean);
  // Learners see their advisor, advisors their learner; coordinators both sides of a session.
  const who = as === 'learner' ? advisorName
    : (as === 'staff' ? [advisorName ? `${t('role.advisor')}: ${advisorName}` : null, ...learnerSide] : learnerSide).filter(Boolean).join(' · ');
  li.append(h('div', { class: 'booking-head' },
    h('p', { class: 'slot-time' }, icon('calendar'), fmt.timeRange(startOf(b), endOf(b))), statusBadge(status)));
  li.append(h('p', { class: 'slot-meta' },
    slot.topic ? badge(topicLabel(slot.topic), `topic-${slot.topic}`) : null, ' ', who,
    slot.mode ? ` · ${slot.mode === 'in_person' ? t('advice.inPerson') : t('advice.online')}` : '',
    slot.location ? ' · ' : '', slot.location ? place(slot.location) : null));
  if (raw === 'cancelled' && b.cancel_reason) li.append(h('p', { class: 'booking-note muted' }, `${t('advice.reason')}: `, b.cancel_reason));
  if (b.note) li.append(h('p', { class: 'booking-note' }, h('span', { class: 'muted' }, `${t('advice.note')}: `), b.note));
  const actions = h('div', { class: 'button-row' });
  if (active && (as === 'learner' || as === 'advisor')) {
    actions.append(button(t('advice.addToCalendar'), async (e) => {
      await busy(e.currentTarget, async () => {
        try { await download(`/api/bookings/${enc(b.id)}/invite.ics`, `iberobio-advice-${b.id}.ics`, { accept: 'text/calendar' }); } catch (err) { toast(err.detail || t('error.download'), 'error'); }
      });
    }, { kind: 'secondary', small: true, iconName: 'download' }));
  }
  if (active && future && !b.outcome && (as === 'learner' || as === 'advisor')) {
    // Another time with the same advisor, in one step (the server says when it is too late:
    // for learners the cancellation cut-off, for advisors the start).
    actions.append(button(t('advice.changeTime'), async (e) => {
      const opener = e.currentTarget;
      const outcome = await chooseNewTime(b, { as });
      if (!outcome) {
        if (opener.isConnected) opener.focus();
        return;
      }
      if (outcome.booking) {
        const moved = outcome.booking.slot || {};
        toast(t('advice.move.done', { time: fmt.timeRange(moved.starts_at, moved.ends_at) }));
      }
      await reload();
      // The keyboard lands on the booking, which now shows its new time (or, when nothing
      // moved, on its "Change time" again).
      const card = document.querySelector(`.booking[data-booking="${CSS.escape(String(b.id))}"]`);
      if (card) {
        const again = !outcome.booking && card.querySelector('button[data-action=move]');
        card.scrollIntoView({ block: 'nearest' });
        (again || card).focus();
      }
    }, { kind: 'secondary', small: true, iconName: 'clock', attrs: { 'data-action': 'move', 'aria-haspopup': 'dialog' } }));
    actions.append(button(t('advice.cancelBooking'), async () => {
      const answer = await confirmDialog(t('advice.confirmCancel'), { danger: true, confirmLabel: t('advice.cancelBooking'), cancelLabel: t('action.keep'), note: t('advice.reason') });
      if (!answer.ok) return;
      try {
        await api(`/api/bookings/${enc(b.id)}/cancellation`, { method: 'POST', body: { reason: answer.note || '' } });
        toast(t('advice.cancelled'));
        await reload();
        // The button is gone with the old list: the keyboard lands on the booking, which now
        // says "Cancelled" (not on the page's <body>).
        const card = document.querySelector(`.booking[data-booking="${CSS.escape(String(b.id))}"]`);
        if (card) {
          card.scrollIntoView({ block: 'nearest' });
          card.focus();
        }
      } catch (err) { toast(err.detail || t('error.generic'), 'error'); }
    }, { kind: 'ghost', small: true }));
  }
  if (actions.childNodes.length) li.append(actions);
  const more = extra ? extra(b) : null;
  if (more) li.append(more);
  return li;
}

// --- The waitlist: what a learner waits for, the slots held for them, and who waits (staff).

/** The short name of ISO weekday `d` (1 = Monday) in the UI language (2026-03-02 is a Monday). */
function weekdayName(d, style = 'short') {
  return new Intl.DateTimeFormat(fmt.intlLocale(), { weekday: style, timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 2, 1 + d)));
}

/** "Mon, Wed and Fri", or "Every day". */
export function waitlistDays(days) {
  const list = [...new Set((days || []).map(Number))].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  if (list.length === 7) return t('waitlist.everyDay');
  const names = list.map((d) => weekdayName(d));
  try {
    return new Intl.ListFormat(fmt.intlLocale(), { style: 'long', type: 'conjunction' }).format(names);
  } catch {
    return names.join(', ');
  }
}

/** "Mon and Tue, 09:00–13:00 (Madrid)": the days and local times of an entry, in its zone. */
export function waitlistWhen(e) {
  return t('waitlist.when', { days: waitlistDays(e.weekdays), from: e.from || '', to: e.to || '', zone: fmt.zoneCity(e.time_zone || fmt.userZone()) });
}

/** What an entry waits for: its topic (or any) and its advisor (or any). */
export function waitlistWhat(e) {
  return [
    e.topic ? badge(topicLabel(e.topic), `topic-${e.topic}`) : badge(t('waitlist.anyTopic'), 'neutral'), ' ',
    h('span', { class: 'waitlist-advisor' }, e.advisor && e.advisor.name ? e.advisor.name : t('waitlist.anyAdvisor')),
  ];
}

function entryStatus(status) {
  const kind = { waiting: 'info', booked: 'success', left: 'neutral' }[status] || 'neutral';
  const key = `waitlist.status.${status}`;
  const label = t(key);
  return badge(label === key ? String(status || '') : label, kind);
}

/** A held slot: when (the reader's zone, and the advisor's when it differs), what, where. */
function heldSlot(s) {
  const advisorTz = s.advisor_time_zone || s.time_zone;
  return [
    h('p', { class: 'slot-time' }, icon('calendar'), fmt.timeRange(s.starts_at, s.ends_at)),
    h('p', { class: 'slot-meta' },
      s.topic ? [badge(topicLabel(s.topic), `topic-${s.topic}`), ' '] : null,
      h('span', {}, advisorName(s)),
      s.mode ? ` · ${s.mode === 'in_person' ? t('advice.inPerson') : t('advice.online')}` : '',
      s.location ? [' · ', place(s.location)] : null),
    advisorTz && advisorTz !== fmt.userZone() ? h('p', { class: 'muted small' }, t('advice.advisorTime', { time: fmt.timeRange(s.starts_at, s.ends_at, advisorTz) })) : null,
  ];
}

/** Where the keyboard lands after a change: an element of the page drawn again, if any. */
function focusOn(selector) {
  const el = document.querySelector(selector);
  if (el) {
    el.scrollIntoView({ block: 'nearest' });
    el.focus();
  }
  return Boolean(el);
}

/**
 * The learner's side of the waitlist on the advice page: `held` (the "Held for you" alert, for
 * the top of the page), `section` (the form to join and "My waitlists"), `load()` (draws both
 * from GET /api/me/waitlist), `knowAdvisors(list)` (advisors the form offers) and `goTo()`.
 */
function waitlistPart(ctx, topicList, reload) {
  const held = h('div', { id: 'waitlist-holds' });
  const list = h('div', { id: 'waitlist-list' }, loading());
  const advisors = new Map();
  const form = joinForm(topicList, async (entry) => {
    await reload();
    // A matching slot was open already: the keyboard goes to the alert that offers it; else
    // to the new entry of the list.
    if (!(entry && entry.hold && focusOn(`#held-for-you [data-entry="${CSS.escape(String(entry.id))}"] .held-book`))) {
      if (entry) focusOn(`#waitlist-list .waitlist-entry[data-entry="${CSS.escape(String(entry.id))}"]`);
    }
  });
  const section = h('section', { class: 'stack waitlist', id: 'waitlist', 'aria-labelledby': 'waitlist-heading' },
    h('h2', { id: 'waitlist-heading', tabindex: '-1' }, t('waitlist.title')),
    h('p', { class: 'muted waitlist-lead' }, t('waitlist.lead')),
    h('div', { class: 'two-col' }, form.el,
      h('div', { class: 'stack', 'aria-labelledby': 'my-waitlists-heading', role: 'region' },
        h('h3', { id: 'my-waitlists-heading' }, t('waitlist.mine')), list)));

  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  const load = async () => {
    let items;
    try {
      items = (await api('/api/me/waitlist')).items || [];
    } catch (err) {
      if (!ctx.alive()) return;
      held.replaceChildren();
      form.el.hidden = err instanceof ApiError && [404, 405, 501].includes(err.status);
      list.replaceChildren(unavailable(err, t('waitlist.unavailable')));
      return;
    }
    if (!ctx.alive()) return;
    knowAdvisors(items.map((e) => e.advisor).filter(Boolean));
    const holds = items.filter((e) => e.status === 'waiting' && e.hold && e.hold.slot);
    held.replaceChildren(...(holds.length ? [heldAlert(holds, reload)] : []));
    // Waiting ones first (as the server orders them), then the five latest booked or left.
    const shown = [...items.filter((e) => e.status === 'waiting'), ...items.filter((e) => e.status !== 'waiting').slice(0, 5)];
    list.replaceChildren(shown.length ? h('ul', { class: 'waitlist-list' }, shown.map((e) => entryItem(e, reload)))
      : h('p', { class: 'muted', id: 'waitlist-none' }, t('waitlist.none')));
    // A hold that runs out passes to the next person: the page follows (a minute of grace for
    // the server's periodic job).
    clearTimeout(timer);
    const next = Math.min(...holds.map((e) => Date.parse(e.hold.expires_at)).filter(Number.isFinite));
    if (Number.isFinite(next)) {
      const wait = Math.max(0, next - Date.now()) + 5000;
      if (wait < 2 ** 31) timer = setTimeout(() => { if (ctx.alive()) load(); }, wait);
    }
  };
  function knowAdvisors(people) {
    let added = false;
    for (const p of people) {
      if (!p || p.id === undefined || p.id === null || !p.name || advisors.has(String(p.id))) continue;
      advisors.set(String(p.id), p.name);
      added = true;
    }
    if (added) form.setAdvisors(advisors);
  }
  /** To the form (from the empty list of open slots), with the topic of the filter. */
  function goTo({ topic } = {}) {
    if (form.el.hidden) { focusOn('#waitlist-heading'); return; }
    if (topic) form.setTopic(topic);
    form.el.scrollIntoView({ block: 'start' });
    form.firstControl.focus({ preventScroll: true });
  }
  return { held, section, load, knowAdvisors, goTo };
}

/** "Held for you": each slot held for one of the learner's entries; book it or decline it. */
function heldAlert(entries, reload) {
  return h('section', { class: 'alert alert-held', id: 'held-for-you', 'aria-labelledby': 'held-heading' },
    h('h2', { class: 'alert-title held-title', id: 'held-heading' }, icon('clock'), h('span', {}, t('waitlist.heldTitle'))),
    h('p', { class: 'held-lead' }, t('waitlist.heldLead')),
    h('ul', { class: 'held-list' }, entries.map((e) => heldItem(e, reload))));
}

function heldItem(e, reload) {
  const s = e.hold.slot;
  const msg = h('div', { class: 'held-message', 'aria-live': 'polite' });
  const until = e.hold.expires_at_local || e.hold.expires_at;
  const book = button(t('waitlist.book'), async (ev) => {
    const btn = ev.currentTarget;
    msg.replaceChildren();
    await busy(btn, async () => {
      try {
        // The ordinary booking, which claims the hold; the note is the one of the waitlist.
        await bookSlot(s, e.note || '', reload);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          // The hold ran out and the slot went to someone else meanwhile.
          toast(errorMessage(err), 'error');
          await reload();
          if (!focusOn('#held-for-you .held-book')) focusOn(`#waitlist-list .waitlist-entry[data-entry="${CSS.escape(String(e.id))}"]`);
          return;
        }
        msg.replaceChildren(errorBox(err));
      }
    });
  }, { iconName: 'check', attrs: { class: 'btn btn-primary held-book' } });
  const decline = button(t('waitlist.decline'), async (ev) => {
    const btn = ev.currentTarget;
    const ok = await confirmDialog(t('waitlist.declineConfirm'), { confirmLabel: t('waitlist.decline'), cancelLabel: t('action.keep') });
    if (!ok) return;
    msg.replaceChildren();
    await busy(btn, async () => {
      try {
        await api(`/api/waitlist/holds/${enc(e.hold.id)}/decline`, { method: 'POST' });
        toast(t('waitlist.declined'));
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
      await reload();
      // The keyboard goes to the entry, still waiting (or to the next slot held, if any).
      if (!focusOn('#held-for-you .held-book')) focusOn(`#waitlist-list .waitlist-entry[data-entry="${CSS.escape(String(e.id))}"]`);
    });
  }, { kind: 'secondary', attrs: { class: 'btn btn-secondary held-decline' } });
  return h('li', { class: 'held-item', dataset: { entry: e.id, hold: e.hold.id, slot: s.id } },
    heldSlot(s),
    h('p', { class: 'held-until' }, h('strong', {}, t('waitlist.heldUntil', { time: fmt.dateTime(until) }))),
    h('div', { class: 'button-row' }, book, decline), msg);
}

/** One of "My waitlists": what and when, the place in the queue, its status; "Leave". */
function entryItem(e, reload) {
  const waiting = e.status === 'waiting';
  // Focusable from script only: where the keyboard lands after joining, declining or leaving.
  const li = h('li', { class: ['waitlist-entry', 'card', waiting ? null : 'is-inactive'], dataset: { entry: e.id, status: e.status || '' }, tabindex: '-1' },
    h('div', { class: 'booking-head' }, h('p', { class: 'waitlist-what' }, waitlistWhat(e)), entryStatus(e.status)),
    h('p', { class: 'waitlist-when' }, icon('clock'), h('span', {}, waitlistWhen(e))),
    waiting && e.position ? h('p', { class: 'waitlist-position' }, t('waitlist.position', { n: fmt.number(e.position) })) : null,
    waiting && e.hold ? h('p', { class: 'waitlist-held' }, badge(t('waitlist.heldBadge'), 'success'), ' ', t('waitlist.heldNote')) : null,
    e.note ? h('p', { class: 'booking-note' }, h('span', { class: 'muted' }, `${t('advice.note')}: `), e.note) : null,
    e.created_at ? h('p', { class: 'muted small waitlist-since' }, t('waitlist.joinedOn', { date: fmt.date(e.created_at) })) : null);
  if (waiting) {
    li.append(h('div', { class: 'button-row' }, button(t('waitlist.leave'), async (ev) => {
      const btn = ev.currentTarget;
      const ok = await confirmDialog(e.hold ? t('waitlist.leaveConfirmHeld') : t('waitlist.leaveConfirm'), { danger: true, confirmLabel: t('waitlist.leave'), cancelLabel: t('action.keep') });
      if (!ok) return;
      await busy(btn, async () => {
        try {
          await api(`/api/me/waitlist/${enc(e.id)}`, { method: 'DELETE' });
          toast(t('waitlist.left'));
        } catch (err) {
          toast(errorMessage(err), 'error');
        }
        await reload();
        // The entry, now "Left" (or gone from the list: the list's heading).
        if (!focusOn(`#waitlist-list .waitlist-entry[data-entry="${CSS.escape(String(e.id))}"]`)) focusOn('#waitlist-heading');
      });
    }, { kind: 'ghost', small: true, attrs: { class: 'btn btn-ghost btn-small waitlist-leave' } })));
  }
  return li;
}

/** The form to join a waitlist; `onJoined(entry)` after the server took it. */
function joinForm(topicList, onJoined) {
  const tz = fmt.userZone();
  const advisor = select([{ value: '', label: t('waitlist.anyAdvisor') }], { id: 'waitlist-advisor' });
  const topic = select([{ value: '', label: t('waitlist.anyTopic') }, ...topicList.map((x) => ({ value: x, label: topicLabel(x) }))], { id: 'waitlist-topic' });
  const dayInputs = [];
  const daysError = h('p', { class: 'field-error', id: uid('err'), hidden: true });
  const days = h('fieldset', { class: 'field weekday-picker', id: 'waitlist-days', dataset: { field: 'weekdays' }, 'aria-describedby': daysError.id },
    h('legend', {}, t('waitlist.days')));
  const chips = h('div', { class: 'chips' });
  for (let d = 1; d <= 7; d += 1) {
    const id = uid('wl-day');
    const box = h('input', { type: 'checkbox', id, name: 'weekdays', value: String(d), checked: d <= 5 });
    dayInputs.push(box);
    chips.append(h('label', { class: 'chip', for: id }, box, h('span', { 'aria-hidden': 'true' }, weekdayName(d)), h('span', { class: 'sr-only' }, weekdayName(d, 'long'))));
  }
  days.append(chips, daysError);
  days.errorEl = daysError;
  const from = input({ type: 'time', id: 'waitlist-from', value: '09:00', step: '300' });
  const to = input({ type: 'time', id: 'waitlist-to', value: '18:00', step: '300' });
  const note = h('textarea', { rows: '2', maxlength: '500', id: 'waitlist-note', placeholder: t('advice.notePlaceholder') });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'waitlist-submit' }, t('waitlist.submit'));
  const el = h('form', { class: 'card stack', id: 'waitlist-form', novalidate: true, 'aria-labelledby': 'waitlist-form-heading' },
    h('h3', { id: 'waitlist-form-heading' }, t('waitlist.joinTitle')),
    errors,
    h('div', { class: 'form-grid' },
      field(t('waitlist.advisor'), advisor, { name: 'advisor_id' }),
      field(t('advice.topic'), topic, { name: 'topic' })),
    days,
    h('div', { class: 'form-grid' },
      field(t('waitlist.from'), from, { name: 'from' }),
      field(t('waitlist.to'), to, { name: 'to' })),
    h('p', { class: 'hint' }, t('waitlist.timesHint', { tz })),
    field(t('waitlist.note'), note, { name: 'note' }),
    h('div', { class: 'button-row' }, submit));
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    // What the person chose, as it is: the server says what is missing or wrong, beside the
    // field (at least one day, an advisor or a topic, an end after the start).
    const body = {
      weekdays: dayInputs.filter((x) => x.checked).map((x) => Number(x.value)),
      from: from.value,
      // A time input cannot say 24:00: an end at 00:00 is midnight.
      to: to.value === '00:00' ? '24:00' : to.value,
      note: note.value.trim(),
    };
    if (advisor.value) body.advisor_id = Number(advisor.value);
    if (topic.value) body.topic = topic.value;
    await busy(submit, async () => {
      try {
        const entry = await api('/api/me/waitlist', { method: 'POST', body });
        showFormErrors(el, null, errors);
        note.value = '';
        toast(entry && entry.hold ? t('waitlist.joinedHeld') : t('waitlist.joined'));
        await onJoined(entry);
      } catch (err) {
        showFormErrors(el, err, errors);
        // The keyboard goes to what the server said (the first field it names, else the message).
        const bad = el.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
        else {
          const alert = errors.querySelector('.alert');
          if (alert) { alert.setAttribute('tabindex', '-1'); alert.focus(); }
        }
      }
    });
  });
  return {
    el,
    firstControl: advisor,
    setTopic(value) { if ([...topic.options].some((o) => o.value === value)) topic.value = value; },
    /** The advisors to offer (id → name), by name, keeping the choice. */
    setAdvisors(map) {
      const chosen = advisor.value;
      const people = [...map.entries()].sort((a, b) => a[1].localeCompare(b[1], fmt.intlLocale()));
      advisor.replaceChildren(h('option', { value: '' }, t('waitlist.anyAdvisor')), ...people.map(([id, name]) => h('option', { value: id }, name)));
      advisor.value = map.has(chosen) ? chosen : '';
    },
  };
}

/**
 * Who waits, for advisors and coordinators (GET /api/waitlist, oldest first: the order holds
 * are offered in): the learner and the SME, what and when, since when, a slot held for them.
 */
export function waitingList(items) {
  return h('ul', { class: 'waitlist-list waiting-list' }, items.map((e) => h('li', { class: 'waitlist-entry card', dataset: { entry: e.id } },
    h('div', { class: 'booking-head' },
      h('p', { class: 'waitlist-who' }, icon('user'), h('strong', {}, (e.learner && e.learner.name) || ''),
        e.sme && e.sme.name ? h('span', { class: 'muted waitlist-sme' }, e.sme.name) : null),
      e.position ? badge(t('waitlist.positionStaff', { n: fmt.number(e.position) }), 'info') : null),
    h('p', { class: 'waitlist-what' }, waitlistWhat(e)),
    h('p', { class: 'waitlist-when' }, icon('clock'), h('span', {}, waitlistWhen(e))),
    e.hold && e.hold.slot ? h('p', { class: 'waitlist-held' }, badge(t('advisor.held'), 'warning'), ' ',
      t('waitlist.heldFor', { time: fmt.timeRange(e.hold.slot.starts_at, e.hold.slot.ends_at), until: fmt.dateTime(e.hold.expires_at_local || e.hold.expires_at) })) : null,
    e.note ? h('p', { class: 'booking-note' }, h('span', { class: 'muted' }, `${t('advice.note')}: `), e.note) : null,
    e.created_at ? h('p', { class: 'muted small waitlist-since' }, t('waitlist.since', { date: fmt.date(e.created_at) })) : null)));
}
