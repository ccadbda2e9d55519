// Shared building blocks of every screen: headings, states, forms, errors, toasts, dialogs.
import { h, clear, uid, icon } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';

export function pageHeader(title, { lead, actions, crumbs } = {}) {
  return h('header', { class: 'page-header' },
    crumbs ? h('nav', { class: 'crumbs', 'aria-label': t('nav.breadcrumb') }, crumbs.map((c, i) => [
      i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null,
      c.href ? h('a', { href: c.href }, c.label) : h('span', {}, c.label),
    ])) : null,
    h('div', { class: 'page-header-row' },
      h('div', {},
        h('h1', { class: 'page-title', tabindex: '-1' }, title),
        lead ? h('p', { class: 'lead' }, lead) : null),
      actions ? h('div', { class: 'page-actions' }, actions) : null));
}

export function loading(label = t('state.loading')) {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}

export function empty(title, text, action) {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-mark', 'aria-hidden': 'true' }, icon('info')),
    h('p', { class: 'empty-title' }, title),
    text ? h('p', { class: 'empty-text' }, text) : null,
    action || null);
}

/** A friendly message for an error: problem detail, or what a status means to a person. */
export function errorMessage(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.network');
    if (err.status === 404 && !err.detail) return t('error.unavailable');
    if (err.status === 403) return err.detail || t('error.forbidden');
    if (err.status >= 500) return err.detail || t('error.server');
    return err.detail || err.title || t('error.generic');
  }
  return t('error.generic');
}

export function errorBox(err, { title } = {}) {
  const box = h('div', { class: 'alert alert-error', role: 'alert' },
    h('p', { class: 'alert-title' }, title || t('error.title')),
    h('p', {}, err instanceof ApiError && err.errors.length ? t('form.checkFields') : errorMessage(err)));
  if (err instanceof ApiError && err.errors.length) {
    // Each message is a sentence in the user's language, written by the server.
    box.append(h('ul', { class: 'alert-list' }, err.errors.map((e) => h('li', {}, e.message))));
  }
  return box;
}

/** For routes the server does not have yet (404 without a known object). */
export function unavailable(err, what) {
  if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 501)) {
    return h('div', { class: 'alert alert-info', role: 'status' },
      h('p', { class: 'alert-title' }, t('state.unavailable.title')),
      h('p', {}, what || t('state.unavailable.text')));
  }
  return errorBox(err);
}

export function notice(text, kind = 'info') {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('p', {}, text));
}

/** A labelled control. `control` is an input/select/textarea element. */
export function field(label, control, { hint, name, wide } = {}) {
  if (!control.id) control.id = uid('field');
  const hintId = hint ? uid('hint') : null;
  const errId = uid('err');
  if (name) control.name = name;
  const describedBy = [hintId].filter(Boolean).join(' ');
  if (describedBy) control.setAttribute('aria-describedby', describedBy);
  const wrap = h('div', { class: ['field', wide ? 'field-wide' : null], dataset: { field: name || control.name || '' } },
    h('label', { for: control.id }, label),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errId, hidden: true }));
  wrap.errorEl = wrap.lastChild;
  return wrap;
}

export function input(attrs = {}) { return h('input', { type: 'text', ...attrs }); }

export function select(options, attrs = {}) {
  const el = h('select', attrs);
  for (const o of options) el.append(h('option', { value: o.value, selected: o.selected || undefined }, o.label));
  if (attrs.value !== undefined) el.value = attrs.value;
  return el;
}

/** Shows a 422's field errors beside the fields of a form (matched by name), the rest in `box`. */
export function showFormErrors(form, err, box) {
  for (const el of form.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  clear(box);
  if (!err) return;
  const unmatched = [];
  if (err instanceof ApiError && err.errors.length) {
    for (const e of err.errors) {
      const wrap = e.field ? form.querySelector(`.field[data-field="${CSS.escape(e.field)}"]`) : null;
      if (wrap && wrap.errorEl) {
        wrap.errorEl.hidden = false;
        wrap.errorEl.textContent = e.message;
        const control = wrap.querySelector('input, select, textarea');
        if (control) {
          control.setAttribute('aria-invalid', 'true');
          control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') || ''} ${wrap.errorEl.id}`.trim());
        }
      } else unmatched.push(e);
    }
  }
  const allMatched = err instanceof ApiError && err.errors.length > 0 && unmatched.length === 0;
  const alert = h('div', { class: 'alert alert-error', role: 'alert' },
    h('p', { class: 'alert-title' }, allMatched ? t('form.checkFields') : errorMessage(err)));
  if (unmatched.length) alert.append(h('ul', { class: 'alert-list' }, unmatched.map((e) => h('li', {}, e.message))));
  box.append(alert);
}

/** Runs an async action with a button in a busy state. */
export async function busy(button, fn) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (button.textContent !== label && button.dataset.keepLabel !== 'true') button.textContent = label;
  }
}

export function button(label, onclick, { kind = 'primary', type = 'button', iconName, small, attrs = {} } = {}) {
  return h('button', { type, class: ['btn', `btn-${kind}`, small ? 'btn-small' : null], onclick, ...attrs },
    iconName ? icon(iconName) : null, h('span', {}, label));
}

export function toast(text, kind = 'ok') {
  const region = document.getElementById('toast-region');
  if (!region) return;
  const el = h('div', { class: `toast toast-${kind}` }, text);
  region.append(el);
  setTimeout(() => el.classList.add('toast-hide'), 3800);
  setTimeout(() => el.remove(), 4400);
}

/** A modal confirmation built on <dialog>; resolves to true/false (and the note if asked). */
export function confirmDialog(message, { confirmLabel = t('action.confirm'), cancelLabel = t('action.cancel'), danger = false, note } = {}) {
  return new Promise((resolve) => {
    const noteInput = note ? h('textarea', { rows: '3', maxlength: '500' }) : null;
    const dialog = h('dialog', { class: 'dialog', 'aria-label': message },
      h('form', { method: 'dialog', class: 'dialog-body' },
        h('p', { class: 'dialog-message' }, message),
        noteInput ? field(note, noteInput) : null,
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn btn-secondary' }, cancelLabel),
          h('button', { type: 'submit', value: 'ok', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, confirmLabel))));
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      resolve(note ? (ok ? { ok, note: noteInput.value.trim() } : { ok: false }) : ok);
    });
    dialog.showModal();
  });
}

export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function progressBar(done, total, label) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct), 'aria-label': label || t('course.progress') },
    h('div', { class: `progress-fill w-${Math.round(pct / 5) * 5}` }));
  return bar;
}

export function table(columns, rows, { caption, empty: emptyEl } = {}) {
  if (!rows.length && emptyEl) return emptyEl;
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || '' },
    h('table', { class: 'table' },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => {
        const v = c.render(r);
        return h('td', { class: c.numeric ? 'num' : null, 'data-label': c.label }, v === null || v === undefined || v === '' ? '—' : v);
      }))))));
}

export function topicLabel(topic) {
  const key = `topic.${topic}`;
  const s = t(key);
  return s === key ? String(topic || '').replace(/_/g, ' ') : s;
}
