import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { request, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { field, input, errorMessage } from '../ui.js';

/** A small form that opens the server-rendered public verification page /verify/CODE. */
function codeForm(code) {
  const codeInput = input({ name: 'code', value: code || '', autocomplete: 'off', spellcheck: 'false', required: true });
  const f = h('form', { class: 'stack card narrow', id: 'verify-code-form' },
    field(t('verify.code'), codeInput, { hint: t('verify.hint') }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('verify.submit')));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = codeInput.value.trim();
    if (value) location.href = `/verify/${encodeURIComponent(value)}`;
  });
  return f;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * What to send to POST /api/verify for pasted text: JSON as it is (`{"credential": "..."}`),
 * anything else as the compact VC-JWT (line breaks and spaces of a copy taken out).
 */
function textBody(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return { type: 'application/json', body: trimmed };
  return { type: 'application/vc+jwt', body: trimmed.replace(/\s+/g, '') };
}

/** A chosen file: a badge image (its bytes), or a .jwt / .json / text file (as pasted). */
async function fileBody(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return { type: 'image/png', body: bytes };
  return textBody(new TextDecoder().decode(bytes));
}

function fact(label, value, extra = {}) {
  if (value === null || value === undefined || value === '') return null;
  return h('div', { class: 'fact', ...extra }, h('dt', {}, label), h('dd', {}, value));
}

/** The verification's answer, in words. */
function outcome(answer) {
  const c = answer.certificate || {};
  const issuer = [c.issuer, c.hub].filter(Boolean).filter((x, i, all) => all.indexOf(x) === i).join(' · ');
  const facts = h('dl', { class: 'facts credential-facts' },
    fact(t('verify.cred.holder'), c.holder_name, { dataset: { fact: 'holder' } }),
    fact(t('verify.cred.course'), c.course_title, { dataset: { fact: 'course' } }),
    fact(t('verify.cred.issuer'), issuer, { dataset: { fact: 'issuer' } }),
    fact(t('verify.cred.completed'), c.completed_at ? fmt.date(c.completed_at) : null, { dataset: { fact: 'completed' } }),
    fact(t('verify.cred.code'), c.code ? h('a', { href: `/verify/${encodeURIComponent(c.code)}` }, c.code) : null, { dataset: { fact: 'code' } }));
  const signature = h('p', { class: 'credential-signature' },
    t('verify.cred.signature', { key: answer.key_id || '?' }),
    answer.issuer ? [' ', h('span', { class: 'credential-did' }, t('verify.cred.signedBy', { did: answer.issuer }))] : null);
  if (answer.valid) {
    return h('div', { class: 'alert alert-success credential-outcome', role: 'status', dataset: { outcome: 'valid' } },
      h('p', { class: 'alert-title' }, t('verify.cred.valid')), facts, signature);
  }
  if (c.revoked) {
    return h('div', { class: 'alert alert-warning credential-outcome', role: 'alert', dataset: { outcome: 'revoked' } },
      h('p', { class: 'alert-title' }, c.revoked_at ? t('verify.cred.revokedOn', { date: fmt.date(c.revoked_at) }) : t('verify.cred.revoked')),
      h('p', {}, t('verify.cred.revokedText')), facts, signature);
  }
  return h('div', { class: 'alert alert-error credential-outcome', role: 'alert', dataset: { outcome: 'invalid' } },
    h('p', { class: 'alert-title' }, t('verify.cred.invalid')), facts);
}

/** The server's refusal (422 problem+json, localised by Accept-Language), or what went wrong. */
function refusal(err) {
  let text;
  if (err instanceof ApiError && err.status === 429) text = err.detail || t('verify.cred.rateLimited');
  else if (err instanceof ApiError && [404, 405, 501].includes(err.status)) text = t('verify.cred.unavailable');
  else text = errorMessage(err);
  // The machine code: the problem's own, or its one field error's (`credential.bad_signature`).
  const code = err instanceof ApiError ? ((err.errors.length === 1 && err.errors[0].code) || err.code || '') : '';
  return h('div', { class: 'alert alert-error credential-outcome', role: 'alert', dataset: { outcome: 'error', code } },
    h('p', { class: 'alert-title' }, t('verify.cred.notVerified')), h('p', { class: 'credential-detail' }, text));
}

/** "Check a digital credential": a pasted VC-JWT, or a badge image / credential file, sent to POST /api/verify. */
function credentialForm() {
  const text = h('textarea', { name: 'credential', rows: '5', spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', class: 'credential-text' });
  const file = h('input', { type: 'file', name: 'file', accept: 'image/png,.png,.jwt,.json,.txt,application/json,text/plain', class: 'credential-file' });
  const textField = field(t('verify.cred.paste'), text, { hint: t('verify.cred.pasteHint') });
  const fileField = field(t('verify.cred.file'), file, { hint: t('verify.cred.fileHint') });
  const result = h('div', { class: 'credential-result', id: 'credential-result', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'credential-submit' }, t('verify.cred.submit'));
  // One or the other: typing drops a chosen file, choosing a file empties the text.
  text.addEventListener('input', () => { if (text.value && file.value) file.value = ''; });
  file.addEventListener('change', () => { if (file.files.length) text.value = ''; });

  const f = h('form', { class: 'stack card credential-form', id: 'credential-form', novalidate: true, 'aria-labelledby': 'credential-heading' },
    h('h2', { id: 'credential-heading' }, t('verify.cred.title')),
    h('p', { class: 'muted' }, t('verify.cred.lead')),
    textField, fileField, submit, result);

  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen && !text.value.trim()) {
      clear(result).append(h('div', { class: 'alert alert-error credential-outcome', role: 'alert', dataset: { outcome: 'empty' } },
        h('p', {}, t('verify.cred.nothing'))));
      result.focus();
      return;
    }
    submit.disabled = true;
    submit.setAttribute('aria-busy', 'true');
    clear(result);
    let shown;
    try {
      const { type, body } = chosen ? await fileBody(chosen) : textBody(text.value);
      const res = await request('/api/verify', { method: 'POST', auth: false, form: body, headers: { 'Content-Type': type } });
      shown = outcome(await res.json());
    } catch (err) {
      shown = refusal(err);
    } finally {
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
    }
    result.append(shown);
    // The keyboard (and a screen reader) goes on at the answer.
    result.focus();
  });
  return f;
}

export function form(code) {
  return h('div', { class: 'page verify-page' },
    h('header', { class: 'page-header' }, h('h1', { class: 'page-title', tabindex: '-1' }, t('verify.title')), h('p', { class: 'lead' }, t('verify.lead'))),
    h('div', { class: 'stack' }, codeForm(code), credentialForm()));
}
