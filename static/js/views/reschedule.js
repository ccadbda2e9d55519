// "Change time": moving a booking to another open slot of the same advisor in one step
// (POST /api/bookings/{id}/reschedule), for its learner and its advisor. A modal <dialog> with
// its heading as its name: the advisor's open slots as one radio group (arrows choose, in the
// reader's own time zone), the server's message when the move is refused, and the list loaded
// again when the slot chosen was taken meanwhile.
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { api, withQuery, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { loading, errorMessage, topicLabel, busy } from '../ui.js';

const enc = encodeURIComponent;

// Refusals that no other choice of slot changes: the chooser says why and offers only "Close".
const FINAL = new Set(['booking.move_cutoff', 'booking.move_started', 'booking.already_cancelled']);
// Refusals after which the list of open slots is out of date: it is loaded again.
const STALE = new Set(['slot.taken', 'booking.move_no_slot']);

/** The stable code of a refusal: the field error's (422), else the problem's (409). */
function codeOf(err) {
  if (!(err instanceof ApiError)) return null;
  return (err.errors[0] && err.errors[0].code) || err.code || null;
}

/** The server's words for a refusal (the field messages of a 422, else its detail). */
function reasonOf(err) {
  if (err instanceof ApiError && err.errors.length) return err.errors.map((e) => e.message).filter(Boolean);
  return [errorMessage(err)];
}

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Opens the chooser for booking `b` (`as`: 'learner' or 'advisor'). Resolves to `{booking}`
 * (the server's answer) after a move, `{changed: true}` when what the page shows is out of
 * date (the booking was cancelled meanwhile, or a slot taken: the caller draws its lists
 * again), or `null` when nothing changed.
 */
export function chooseNewTime(b, { as }) {
  return new Promise((resolve) => {
    const current = b.slot || b;
    const advisorId = current.advisor_id;
    const titleId = uid('move-title');
    const currentId = uid('move-current');
    const name = uid('move-slot');
    let result = null;
    let stale = false;
    let slots = [];

    const title = h('h2', { id: titleId, class: 'dialog-title', tabindex: '-1' }, t('advice.move.title'));
    const message = h('div', { class: 'move-message', tabindex: '-1' });
    const list = h('div', { class: 'move-slots' }, loading());
    // A group named by its heading (not a <fieldset>: its list must scroll under a legend that
    // stays in view).
    const groupLabelId = uid('move-legend');
    const fieldset = h('div', { class: 'move-group', role: 'group', 'aria-labelledby': groupLabelId },
      h('p', { class: 'move-legend', id: groupLabelId }, as === 'learner' ? t('advice.move.choose', { name: current.advisor_name || '' }) : t('advice.move.chooseOwn')),
      list);
    const keep = h('button', { type: 'button', class: 'btn btn-secondary', dataset: { action: 'keep' } }, t('advice.move.keep'));
    const confirm = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'confirm' } }, t('advice.move.confirm'));
    const form = h('form', { class: 'dialog-body', novalidate: true },
      title,
      h('p', { class: 'dialog-message', id: currentId }, t('advice.move.current', { time: fmt.timeRange(current.starts_at, current.ends_at) })),
      h('p', { class: 'muted small' }, t('advice.zoneNote', { tz: fmt.userZone() })),
      message, fieldset,
      h('div', { class: 'dialog-actions' }, keep, confirm));
    const dialog = h('dialog', { class: 'dialog move-dialog', 'aria-labelledby': titleId, 'aria-describedby': currentId }, form);

    const radios = () => [...form.querySelectorAll(`input[name="${name}"]`)];
    const say = (lines, { kind = 'error', heading } = {}) => {
      message.replaceChildren(h('div', { class: `alert alert-${kind}` },
        heading ? h('p', { class: 'alert-title' }, heading) : null,
        lines.map((line) => h('p', {}, line))));
    };

    const draw = () => {
      const chosen = (radios().find((r) => r.checked) || {}).value;
      if (!slots.length) {
        list.replaceChildren(h('p', { class: 'move-none' }, as === 'learner' ? t('advice.move.none') : t('advice.move.noneOwn')));
        confirm.hidden = true;
        return;
      }
      confirm.hidden = false;
      const days = new Map();
      for (const s of slots) {
        const k = fmt.dayKey(s.starts_at);
        if (!days.has(k)) days.set(k, []);
        days.get(k).push(s);
      }
      list.replaceChildren(...[...days.values()].map((items) => h('div', { class: 'move-day' },
        h('h3', { class: 'day-heading' }, fmt.dayHeading(items[0].starts_at)),
        h('div', { class: 'choices' }, items.map((s) => {
          const id = uid('move-opt');
          const meta = [topicLabel(s.topic), s.mode === 'in_person' ? t('advice.inPerson') : t('advice.online')];
          // An address matters when choosing (a meeting link does not).
          if (s.mode === 'in_person' && s.location) meta.push(s.location);
          return h('label', { class: 'choice move-choice', for: id, dataset: { slot: s.id } },
            h('input', { type: 'radio', name, id, value: String(s.id), checked: String(s.id) === chosen }),
            h('span', { class: 'move-choice-text' },
              // The day is the heading above; screen readers hear it in the name as well.
              h('span', { class: 'move-time' }, h('span', { class: 'sr-only' }, `${fmt.dayHeading(s.starts_at)}, `), fmt.clockRange(s.starts_at, s.ends_at)),
              h('span', { class: 'move-meta' }, meta.join(' · '))));
        })))));
    };

    const load = async () => {
      const res = await api(withQuery('/api/slots', { advisor_id: advisorId, from: nowIso(), limit: 200 }));
      slots = ((res && res.items) || [])
        .filter((s) => String(s.id) !== String(current.id) && (!s.status || s.status === 'open')
          && (s.advisor_id === undefined || String(s.advisor_id) === String(advisorId)))
        .sort((x, y) => String(x.starts_at).localeCompare(String(y.starts_at)));
      if (dialog.open) draw();
    };

    // Not closed while a move is on its way (its answer decides what the page shows).
    const sending = () => confirm.disabled;
    keep.addEventListener('click', () => { if (!sending()) dialog.close(); });
    dialog.addEventListener('cancel', (e) => { if (sending()) e.preventDefault(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      // The page's own lists are out of date too when a slot was taken meanwhile.
      resolve(result || (stale ? { changed: true } : null));
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const chosen = radios().find((r) => r.checked);
      if (!chosen) {
        say([t('advice.move.pick')]);
        message.focus();
        return;
      }
      await busy(confirm, async () => {
        try {
          const booking = await api(`/api/bookings/${enc(b.id)}/reschedule`, { method: 'POST', body: { slot_id: Number(chosen.value) } });
          result = { booking };
          dialog.close();
          return;
        } catch (err) {
          const code = codeOf(err);
          const lines = reasonOf(err);
          if (FINAL.has(code)) {
            // Nothing else can be tried: the reason, and a way out.
            fieldset.hidden = true;
            confirm.hidden = true;
            keep.textContent = t('action.close');
            if (code === 'booking.already_cancelled') result = { changed: true };
          } else if (STALE.has(code) || (err instanceof ApiError && err.status === 409)) {
            stale = true;
            try {
              await load();
              lines.push(t('advice.move.refreshed'));
            } catch { /* the old list stays */ }
          }
          say(lines, { heading: t('advice.move.failed') });
          // Read out at once; the next Tab goes on to the list.
          message.focus();
        }
      });
    });

    document.body.append(dialog);
    dialog.showModal();
    title.focus();
    load().then(() => {
      // Still on the heading (nothing pressed meanwhile): on to the first time to choose.
      if (document.activeElement === title) {
        const first = radios()[0];
        if (first) first.focus();
      }
    }).catch((err) => {
      list.replaceChildren();
      confirm.hidden = true;
      say(reasonOf(err));
    });
  });
}
