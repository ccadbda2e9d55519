import { h, icon, uid } from '../dom.js';
import { t } from '../i18n.js';
import { api, withQuery, session, topics, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, badge, button, busy, toast, select, topicLabel, confirmDialog, loading, field, input, showFormErrors } from '../ui.js';
import { bookingItem, startOf, place, notifications, waitingList } from './advice.js';

const enc = encodeURIComponent;

function topicSelect(list, value) {
  return select(list.map((x) => ({ value: x, label: topicLabel(x) })), { value: value || list[0] });
}
function modeSelect() {
  return select([{ value: 'online', label: t('advice.online') }, { value: 'in_person', label: t('advice.inPerson') }]);
}

export async function renderSlots(ctx) {
  const tz = fmt.userZone();
  const listBox = h('div', { id: 'my-slots' }, loading());
  const load = async () => {
    try {
      const slots = (await api(withQuery('/api/slots', { advisor_id: ctx.user.id, include_booked: 'true' }))).items || [];
      const mine = slots.filter((s) => s.advisor_id === undefined || String(s.advisor_id) === String(ctx.user.id));
      mine.sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
      if (!ctx.alive()) return;
      listBox.replaceChildren(mine.length ? h('ul', { class: 'slot-list' }, mine.map((s) => h('li', { class: 'slot card', dataset: { slot: s.id } },
        h('div', { class: 'slot-main' },
          h('p', { class: 'slot-time' }, icon('calendar'), fmt.timeRange(s.starts_at, s.ends_at)),
          h('p', { class: 'slot-meta' }, slotStatus(s.status), badge(topicLabel(s.topic), `topic-${s.topic}`), ' ', s.mode === 'in_person' ? t('advice.inPerson') : t('advice.online'), s.location ? [' · ', place(s.location)] : '')),
        h('div', { class: 'slot-actions' }, button(t('advisor.deleteSlot'), async (e) => {
          // currentTarget is null once the event has been dispatched: take it before the dialog.
          const btn = e.currentTarget;
          if (!(await confirmDialog(t('advisor.confirmDelete'), { danger: true, confirmLabel: t('advisor.deleteSlot') }))) return;
          const index = [...listBox.querySelectorAll('.slot')].findIndex((x) => x.dataset.slot === String(s.id));
          await busy(btn, async () => {
            try {
              await api(`/api/slots/${enc(s.id)}`, { method: 'DELETE' });
              toast(t('advisor.deleted'));
              await load();
              // The keyboard goes on at the slot that took its place (or the list's heading).
              const slots = listBox.querySelectorAll('.slot');
              const next = slots[Math.min(index, slots.length - 1)];
              const focus = (next && next.querySelector('.slot-actions button')) || document.getElementById('open-slots-heading');
              if (focus) focus.focus();
            } catch (err) { toast(err.detail || t('error.generic'), 'error'); }
          });
        }, { kind: 'ghost', small: true }))))) : empty(t('advisor.noSlots.title'), t('advisor.noSlots.text')));
    } catch (err) {
      listBox.replaceChildren(unavailable(err, t('advice.unavailable')));
    }
  };
  load();
  const waiting = waitingForMe(ctx);
  // A slot just published may be held for someone at once: both lists are drawn again.
  const reload = () => Promise.all([load(), waiting.load()]);

  const out = [pageHeader(t('advisor.title'), { lead: t('advisor.lead', { tz }) })];
  const list = await topics();
  const forms = h('div', { class: 'stack' }, publishForm(tz, list, reload));
  forms.append(patternForm(tz, list, reload));
  out.push(h('div', { class: 'two-col' }, forms,
    h('div', { class: 'stack' },
      waiting.section,
      h('section', { class: 'stack', 'aria-labelledby': 'open-slots-heading' }, h('h2', { id: 'open-slots-heading', tabindex: '-1' }, t('advisor.openSlots')), listBox))));
  return out;
}

/** Booked, or held for a learner on the waitlist (until the hold runs out); nothing when open. */
function slotStatus(status) {
  if (status === 'booked') return [badge(t('booking.status.booked'), 'info'), ' '];
  if (status === 'held') return [badge(t('advisor.held'), 'warning'), ' '];
  return null;
}

/** "Waiting for you": the learners waiting for a session with me or on a topic (any advisor). */
function waitingForMe(ctx) {
  const box = h('div', { id: 'waiting-for-me' }, loading());
  const section = h('section', { class: 'stack', 'aria-labelledby': 'waiting-heading' },
    h('h2', { id: 'waiting-heading' }, t('waitlist.advisorTitle')),
    h('p', { class: 'muted small' }, t('waitlist.advisorLead')),
    box);
  const load = async () => {
    try {
      const items = (await api('/api/waitlist')).items || [];
      if (!ctx.alive()) return;
      box.replaceChildren(items.length ? waitingList(items) : h('p', { class: 'muted', id: 'waiting-none' }, t('waitlist.advisorNone')));
    } catch (err) {
      if (!ctx.alive()) return;
      // A server without the waitlist: no section at all.
      if (err instanceof ApiError && [404, 405, 501].includes(err.status)) section.hidden = true;
      else box.replaceChildren(unavailable(err, t('waitlist.unavailable')));
    }
  };
  load();
  return { section, load };
}

function publishForm(tz, topicList, reload) {
  const today = fmt.todayIn(tz);
  const date = input({ type: 'date', min: today, value: fmt.addDays(today, 1), required: true });
  const time = input({ type: 'time', value: '10:00', step: '300', required: true });
  const duration = select([30, 45, 60, 90].map((n) => ({ value: String(n), label: t('course.minutes', { n }) })), { value: '45' });
  const topic = topicSelect(topicList);
  const mode = modeSelect();
  const location = input({ maxlength: '200', placeholder: t('advisor.locationPlaceholder') });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('advisor.publish'));
  const form = h('form', { class: 'card stack', id: 'publish-slot', novalidate: true },
    h('h2', {}, t('advisor.publishTitle')),
    h('p', { class: 'muted small' }, t('advisor.zoneHint', { tz })),
    errors,
    h('div', { class: 'form-grid' },
      field(t('advisor.date'), date, { name: 'starts_at' }),
      field(t('advisor.start'), time, { name: 'start_time' }),
      field(t('advisor.duration'), duration, { name: 'ends_at' }),
      field(t('advice.topic'), topic, { name: 'topic' }),
      field(t('advisor.mode'), mode, { name: 'mode' }),
      field(t('advisor.location'), location, { name: 'location' })),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const startsAt = wall(date.value, time.value, tz);
    if (!startsAt) { showFormErrors(form, fakeError('starts_at', t('advisor.badDate')), errors); return; }
    const endsAt = new Date(new Date(startsAt).getTime() + Number(duration.value) * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await busy(submit, async () => {
      try {
        await api('/api/slots', { method: 'POST', body: { starts_at: startsAt, ends_at: endsAt, topic: topic.value, mode: mode.value, location: location.value.trim() } });
        showFormErrors(form, null, errors);
        errors.replaceChildren();
        toast(t('advisor.published', { time: fmt.dateTime(startsAt) }));
        reload();
      } catch (err) {
        showFormErrors(form, err, errors);
      }
    });
  });
  return form;
}

function wall(d, tm, tz) {
  if (!d || !tm) return null;
  return fmt.wallToUtc(d, tm, tz);
}

function fakeError(fieldName, message) {
  return new ApiError(422, { detail: message, errors: [{ field: fieldName, message }] });
}

function patternForm(tz, topicList, reload) {
  const today = fmt.todayIn(tz);
  const days = h('fieldset', { class: 'weekday-picker' }, h('legend', {}, t('advisor.weekdays')));
  const dayInputs = [];
  for (let i = 1; i <= 7; i += 1) {
    const id = uid('wd');
    const box = h('input', { type: 'checkbox', id, value: String(i), checked: i === 2 || i === 4 });
    dayInputs.push(box);
    // 2026-03-02 is a Monday: format weekday names in the UI language.
    const name = new Intl.DateTimeFormat(fmt.intlLocale(), { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2026, 2, 1 + i)));
    days.append(h('label', { class: 'chip', for: id }, box, h('span', {}, name)));
  }
  const from = input({ type: 'date', min: today, value: fmt.addDays(today, 1) });
  const weeks = input({ type: 'number', min: '1', max: '26', value: '4', inputmode: 'numeric' });
  const buffer = select([0, 5, 10, 15, 30].map((n) => ({ value: String(n), label: t('course.minutes', { n }) })), { value: '15' });
  const start = input({ type: 'time', value: '09:00', step: '300' });
  const end = input({ type: 'time', value: '12:00', step: '300' });
  const length = select([30, 45, 60, 90].map((n) => ({ value: String(n), label: t('course.minutes', { n }) })), { value: '45' });
  const topic = topicSelect(topicList);
  const mode = modeSelect();
  const location = input({ maxlength: '200' });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary' }, t('advisor.publishPattern'));
  const form = h('form', { class: 'card stack', id: 'pattern-form', novalidate: true },
    h('h2', {}, t('advisor.patternTitle')),
    h('p', { class: 'muted small' }, t('advisor.patternHint', { tz })),
    errors, days,
    h('div', { class: 'form-grid' },
      field(t('advisor.from'), from, { name: 'start_date' }),
      field(t('advisor.weeks'), weeks, { name: 'weeks' }),
      field(t('advisor.dayStart'), start, { name: 'start_time' }),
      field(t('advisor.dayEnd'), end, { name: 'end_time' }),
      field(t('advisor.slotLength'), length, { name: 'session_minutes' }),
      field(t('advisor.buffer'), buffer, { name: 'buffer_minutes' }),
      field(t('advice.topic'), topic, { name: 'topic' }),
      field(t('advisor.mode'), mode, { name: 'mode' }),
      field(t('advisor.location'), location, { name: 'location' })),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const weekdays = dayInputs.filter((x) => x.checked).map((x) => Number(x.value));
    const body = {
      weekdays, start_date: from.value || undefined, weeks: Number(weeks.value), start_time: start.value, end_time: end.value,
      session_minutes: Number(length.value), buffer_minutes: Number(buffer.value), time_zone: tz, topic: topic.value, mode: mode.value, location: location.value.trim(),
    };
    await busy(submit, async () => {
      try {
        const res = await api('/api/slots/pattern', { method: 'POST', body });
        const created = res && (Array.isArray(res.created) ? res.created.length : res.created);
        const skipped = res && Array.isArray(res.skipped) ? res.skipped.length : 0;
        toast(created !== undefined ? t('advisor.patternCreated', { n: created, skipped }) : t('advisor.patternDone'));
        showFormErrors(form, null, errors);
        errors.replaceChildren();
        reload();
      } catch (err) {
        showFormErrors(form, err, errors);
      }
    });
  });
  return form;
}

export async function renderBookings(ctx) {
  let items;
  try {
    items = (await api('/api/bookings')).items || [];
  } catch (err) {
    return [pageHeader(t('advisor.bookingsTitle')), unavailable(err, t('advice.unavailable'))];
  }
  const now = Date.now();
  const ahead = (b) => new Date(startOf(b)).getTime() >= now;
  // Upcoming: the sessions still to run. Cancelled ones go with the past, newest first.
  const upcoming = items.filter((b) => ahead(b) && b.status !== 'cancelled').sort((a, b) => String(startOf(a)).localeCompare(String(startOf(b))));
  const past = items.filter((b) => !ahead(b) || b.status === 'cancelled').sort((a, b) => String(startOf(b)).localeCompare(String(startOf(a))));
  const reload = () => ctx.rerender();
  const section = (title, list, id) => h('section', { class: 'stack', 'aria-labelledby': id }, h('h2', { id }, title),
    list.length ? h('ul', { class: 'booking-list' }, list.map((b) => bookingItem(b, 'advisor', reload, outcomeForm))) : empty(t('advisor.noBookings'), null));
  // Learners' cancellations and moves of sessions on my slots.
  return [pageHeader(t('advisor.bookingsTitle'), { lead: t('advisor.bookingsLead', { tz: fmt.userZone() }) }), notifications(ctx),
    h('div', { class: 'two-col' }, section(t('advisor.upcoming'), upcoming, 'upcoming-heading'), section(t('advisor.past'), past, 'past-heading'))];
}

function outcomeForm(b) {
  const status = b.status || 'booked';
  if (status === 'cancelled') return null;
  // An outcome is for a session that has started (the server refuses it before).
  if (new Date(startOf(b)).getTime() > Date.now()) return null;
  const outcome = b.outcome || {};
  const attendedNow = b.outcome ? outcome.attended : b.attended;
  const notesNow = outcome.notes ?? b.outcome_notes ?? '';
  const name = uid('att');
  const yes = h('input', { type: 'radio', name, value: 'yes', id: `${name}-y`, checked: attendedNow === true });
  const no = h('input', { type: 'radio', name, value: 'no', id: `${name}-n`, checked: attendedNow === false });
  const notes = h('textarea', { rows: '2', maxlength: '4000', id: `${name}-notes`, value: notesNow });
  notes.value = notesNow;
  const msg = h('p', { class: 'small', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, t('advisor.saveOutcome'));
  const form = h('form', { class: 'outcome-form' },
    h('fieldset', { class: 'choices choices-inline' }, h('legend', {}, t('advisor.outcome')),
      h('label', { class: 'choice', for: yes.id }, yes, h('span', {}, t('advisor.attended'))),
      h('label', { class: 'choice', for: no.id }, no, h('span', {}, t('advisor.noShow')))),
    h('label', { for: notes.id }, t('advisor.privateNotes')), notes,
    h('p', { class: 'hint' }, t('advisor.notesHint')),
    h('div', { class: 'button-row' }, save, msg));
  const details = h('details', { class: 'outcome', open: attendedNow === undefined && new Date(startOf(b)).getTime() < Date.now() ? true : undefined },
    h('summary', {}, attendedNow === undefined ? t('advisor.recordOutcome') : t('advisor.editOutcome')), form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!yes.checked && !no.checked) { msg.textContent = t('advisor.chooseOutcome'); return; }
    await busy(save, async () => {
      try {
        await api(`/api/bookings/${enc(b.id)}/outcome`, { method: 'PUT', body: { attended: yes.checked, notes: notes.value.trim() } });
        msg.textContent = t('advisor.outcomeSaved');
        toast(t('advisor.outcomeSaved'));
      } catch (err) {
        msg.textContent = err.detail || t('error.generic');
      }
    });
  });
  return details;
}

export { session };
