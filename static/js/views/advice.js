import { h, icon } from '../dom.js';
import { t } from '../i18n.js';
import { api, withQuery, download, topics, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, badge, button, busy, toast, select, topicLabel, confirmDialog, loading, errorBox } from '../ui.js';
import { chooseNewTime } from './reschedule.js';

const enc = encodeURIComponent;

export async function render(ctx) {
  const topic = ctx.query.topic || '';
  const filter = select([{ value: '', label: t('advice.allTopics') }, ...(await topics()).map((x) => ({ value: x, label: topicLabel(x) }))], { id: 'slot-topic', value: topic });
  filter.addEventListener('change', () => ctx.setQuery({ topic: filter.value }));

  const slotsBox = h('section', { class: 'stack', 'aria-labelledby': 'slots-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'slots-heading' }, t('advice.openSlots')),
      h('div', { class: 'inline-field' }, h('label', { for: 'slot-topic' }, t('advice.topic')), filter)),
    h('p', { class: 'muted small' }, t('advice.zoneNote', { zone: fmt.zoneCity(fmt.userZone()), tz: fmt.userZone() })));
  const slotsList = h('div', { id: 'slot-list' }, loading());
  slotsBox.append(slotsList);
  const bookingsBox = h('section', { class: 'stack bookings-col', 'aria-labelledby': 'bookings-heading' }, h('h2', { id: 'bookings-heading' }, t('advice.myBookings')));
  const bookingsList = h('div', { id: 'booking-list' }, loading());
  bookingsBox.append(bookingsList);

  const loadSlots = async () => {
    try {
      const slots = (await api(withQuery('/api/slots', { topic, from: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }))).items || [];
      if (!ctx.alive()) return;
      slotsList.replaceChildren(slots.length ? slotGroups(slots, ctx, () => Promise.all([loadSlots(), loadBookings()])) : empty(t('advice.noSlots.title'), topic ? t('advice.noSlots.topic') : t('advice.noSlots.text')));
    } catch (err) {
      slotsList.replaceChildren(unavailable(err, t('advice.unavailable')));
    }
  };
  const loadBookings = async () => {
    try {
      const items = (await api('/api/bookings')).items || [];
      if (!ctx.alive()) return;
      items.sort((a, b) => String(startOf(a)).localeCompare(String(startOf(b))));
      bookingsList.replaceChildren(items.length ? h('ul', { class: 'booking-list' }, items.map((b) => bookingItem(b, 'learner', () => Promise.all([loadSlots(), loadBookings()]))))
        : empty(t('advice.noBookings.title'), t('advice.noBookings.text')));
    } catch (err) {
      bookingsList.replaceChildren(unavailable(err, t('advice.unavailable')));
    }
  };
  loadSlots();
  loadBookings();
  return [pageHeader(t('advice.title'), { lead: t('advice.lead') }), notifications(ctx), smeHours(ctx), h('div', { class: 'two-col' }, slotsBox, bookingsBox)];
}

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
        const booking = await api(`/api/slots/${enc(s.id)}/booking`, { method: 'POST', body: { note: note.value.trim() } });
        toast(t('advice.booked'));
        await reload();
        // Keyboard users land on their new booking (read out whole; its actions are the next
        // Tab stops), not at the top of the page.
        const card = booking && document.querySelector(`.booking[data-booking="${CSS.escape(String(booking.id))}"]`);
        if (card) {
          card.scrollIntoView({ block: 'nearest' });
          card.focus();
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) { toast(t('advice.taken'), 'error'); reload(); return; }
        msg.replaceChildren(errorBox(err));
      }
    });
  });
  li.append(
    h('div', { class: 'slot-main' },
      h('p', { class: 'slot-time' }, icon('calendar'), fmt.timeRange(s.starts_at, s.ends_at)),
      h('p', { class: 'slot-meta' },
        badge(topicLabel(s.topic), `topic-${s.topic || 'other'}`), ' ',
        h('span', {}, advisorName(s)), ' · ',
        h('span', {}, s.mode === 'in_person' ? t('advice.inPerson') : t('advice.online')),
        s.location ? h('span', {}, ' · ', place(s.location)) : null),
      advisorTz && advisorTz !== fmt.userZone() ? h('p', { class: 'muted small' }, t('advice.advisorTime', { time: fmt.timeRange(s.starts_at, s.ends_at, advisorTz) })) : null),
    h('div', { class: 'slot-actions' }, open), form, msg);
  return li;
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
