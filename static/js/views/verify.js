import { h } from '../dom.js';
import { t } from '../i18n.js';
import { field, input } from '../ui.js';

/** A small form that opens the server-rendered public verification page /verify/CODE. */
export function form(code) {
  const codeInput = input({ name: 'code', value: code || '', autocomplete: 'off', spellcheck: 'false', required: true });
  const f = h('form', { class: 'stack card narrow' },
    field(t('verify.code'), codeInput, { hint: t('verify.hint') }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, t('verify.submit')));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = codeInput.value.trim();
    if (value) location.href = `/verify/${encodeURIComponent(value)}`;
  });
  return h('div', { class: 'page' },
    h('header', { class: 'page-header' }, h('h1', { class: 'page-title', tabindex: '-1' }, t('verify.title')), h('p', { class: 'lead' }, t('verify.lead'))),
    f);
}
