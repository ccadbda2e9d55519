// Bringing people in by email: invite one person, or import an SME's staff list (CSV) with a
// preview of every row before anyone is invited.
import { h } from '../dom.js';
import { t, LANGS, langName, currentLang } from '../i18n.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, field, input, select, showFormErrors, busy, toast, badge, table, errorBox, notice } from '../ui.js';

const EUROPEAN_ZONES = ['Europe/Madrid', 'Europe/Lisbon', 'Atlantic/Canary', 'Atlantic/Azores', 'Atlantic/Madeira'];

function zoneSelect(value) {
  return select(EUROPEAN_ZONES.map((z) => ({ value: z, label: z.replace(/_/g, ' ') })), { value });
}

async function smeList() {
  try { return (await api('/api/smes')).items || []; } catch { return []; }
}

async function partnerList() {
  try { return (await api('/api/partners')).items || []; } catch { return []; }
}

function inviteForm(ctx, smes, partners) {
  const admin = ctx.user.role === 'admin';
  const email = input({ type: 'email', required: true, autocomplete: 'off' });
  const name = input({ required: true, maxlength: '200', autocomplete: 'off' });
  const role = admin ? select(['learner', 'advisor', 'coordinator', 'admin'].map((r) => ({ value: r, label: t(`role.${r}`) }))) : null;
  const smeSel = select(smes.map((s) => ({ value: String(s.id), label: s.name })));
  const locale = select(LANGS.map((l) => ({ value: l, label: langName(l) })), { value: currentLang() });
  const tz = zoneSelect(ctx.user.time_zone && EUROPEAN_ZONES.includes(ctx.user.time_zone) ? ctx.user.time_zone : 'Europe/Madrid');
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'send-invitation' }, t('invite.send'));
  const smeField = field(t('staff.sme'), smeSel, { name: 'sme_id' });
  const partnerSel = select(partners.map((p) => ({ value: String(p.id), label: p.name })), { id: 'invite-partner' });
  const partnerField = field(t('invite.partner'), partnerSel, { name: 'partner_id' });
  partnerField.hidden = true;
  const form = h('form', { class: 'card stack', novalidate: true, id: 'invite-form' },
    h('h2', {}, t('invite.oneTitle')), h('p', { class: 'muted small' }, t('invite.oneLead')), errors,
    h('div', { class: 'form-grid' },
      field(t('staff.name'), name, { name: 'name' }),
      field(t('login.email'), email, { name: 'email' }),
      role ? field(t('staff.role'), role, { name: 'role' }) : null,
      smeField,
      admin ? partnerField : null,
      field(t('profile.language'), locale, { name: 'locale', hint: t('invite.languageHint') }),
      field(t('profile.timeZone'), tz, { name: 'time_zone' })),
    submit);
  if (role) {
    role.addEventListener('change', () => {
      smeField.hidden = role.value !== 'learner';
      partnerField.hidden = role.value !== 'coordinator';
    });
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = role ? role.value : 'learner';
    const body = { email: email.value.trim(), name: name.value.trim(), role: r, locale: locale.value, time_zone: tz.value };
    if (r === 'learner') body.sme_id = Number(smeSel.value);
    if (r === 'coordinator' && partnerSel.value) body.partner_id = Number(partnerSel.value);
    await busy(submit, async () => {
      try {
        const res = await api('/api/invitations', { method: 'POST', body });
        showFormErrors(form, null, errors);
        errors.replaceChildren(notice(t('invite.sent', { email: res.user.email, until: fmt.dateTime(res.expires_at, ctx.user.time_zone) }), 'success'));
        email.value = '';
        name.value = '';
        toast(t('invite.sentShort', { email: res.user.email }));
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  return form;
}

const FIELD_LABELS = { name: 'staff.name', email: 'login.email', language: 'profile.language', time_zone: 'profile.timeZone' };

function fieldLabel(field) {
  return FIELD_LABELS[field] ? t(FIELD_LABELS[field]) : field;
}

const STATUS_KIND = { new: 'info', invited: 'success', exists: 'neutral', unavailable: 'warning', error: 'warning' };

function reportTable(report) {
  const cols = [
    { label: t('invite.line'), render: (r) => String(r.line) },
    { label: t('staff.name'), render: (r) => r.name },
    { label: t('login.email'), render: (r) => r.email },
    { label: `${t('profile.language')} · ${t('profile.timeZone')}`, render: (r) => `${(r.locale || '').toUpperCase()} · ${r.time_zone.replace(/_/g, ' ')}` },
    { label: t('invite.status'), render: (r) => badge(t(`invite.row.${r.status}`), STATUS_KIND[r.status]) },
    { label: t('invite.problems'), render: (r) => (r.errors.length ? h('ul', { class: 'plain-list small import-problems' }, r.errors.map((e) => h('li', {}, `${fieldLabel(e.field)}: ${e.message}`))) : null) },
  ];
  return table(cols, report.rows, { caption: t('invite.previewCaption', { sme: report.sme_name }) });
}

function summary(report) {
  const parts = [t('invite.countNew', { n: report.new }), t('invite.countExisting', { n: report.existing })];
  if (report.unavailable) parts.push(t('invite.countUnavailable', { n: report.unavailable }));
  if (report.errors) parts.push(t('invite.countErrors', { n: report.errors }));
  return parts.join(' · ');
}

/** A template in the user's language: semicolons where spreadsheets expect them. */
function templateHref() {
  const sep = currentLang() === 'en' ? ',' : ';';
  const header = [t('staff.name'), t('login.email'), t('profile.language'), t('profile.timeZone')].join(sep);
  const sample = ['Ana Exemplo', 'ana@example.com', currentLang(), 'Europe/Madrid'].join(sep);
  return `data:text/csv;charset=utf-8,${encodeURIComponent(`\ufeff${header}\r\n${sample}\r\n`)}`;
}

function importForm(ctx, smes) {
  const smeSel = select(smes.map((s) => ({ value: String(s.id), label: s.name })), { id: 'import-sme' });
  const file = input({ type: 'file', accept: '.csv,text/csv', required: true, id: 'import-file' });
  const errors = h('div', {});
  const result = h('div', { class: 'stack', id: 'import-result', 'aria-live': 'polite' });
  const preview = h('button', { type: 'submit', class: 'btn btn-secondary', id: 'import-preview' }, t('invite.preview'));
  const form = h('form', { class: 'card stack', novalidate: true, id: 'import-form' },
    h('h2', {}, t('invite.importTitle')),
    h('p', { class: 'muted small' }, t('invite.importLead')),
    h('p', { class: 'small' }, h('a', { href: templateHref(), download: 'staff.csv' }, t('invite.template'))),
    errors,
    h('div', { class: 'form-grid' },
      field(t('staff.sme'), smeSel, { name: 'sme_id' }),
      field(t('invite.file'), file, { name: 'file', hint: t('invite.fileHint') })),
    preview, result);

  const upload = async (confirm) => {
    const chosen = file.files && file.files[0];
    if (!chosen) {
      errors.replaceChildren(notice(t('invite.chooseFile'), 'error'));
      return null;
    }
    const path = `/api/smes/${smeSel.value}/invitations/import${confirm ? '?confirm=true' : ''}`;
    return api(path, { method: 'POST', form: chosen, headers: { 'Content-Type': 'text/csv' } });
  };

  const show = (report) => {
    const parts = [h('p', { class: 'import-summary' }, summary(report)), reportTable(report)];
    if (report.confirmed) {
      parts.unshift(notice(t('invite.imported', { n: report.invited }), 'success'));
    } else if (report.errors) {
      parts.unshift(notice(t('invite.fixErrors'), 'warning'));
    } else if (report.new) {
      const confirm = h('button', { type: 'button', class: 'btn btn-primary', id: 'import-confirm' }, t('invite.confirm', { n: report.new }));
      confirm.addEventListener('click', () => busy(confirm, async () => {
        try { show(await upload(true)); } catch (err) { result.replaceChildren(errorBox(err)); }
      }));
      parts.push(confirm);
    } else {
      parts.unshift(notice(t('invite.nothingNew'), 'info'));
    }
    result.replaceChildren(...parts);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    result.replaceChildren();
    await busy(preview, async () => {
      try {
        const report = await upload(false);
        if (report) show(report);
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  file.addEventListener('change', () => result.replaceChildren());
  smeSel.addEventListener('change', () => result.replaceChildren());
  return form;
}

export async function render(ctx) {
  const header = pageHeader(t('invite.title'), { lead: t('invite.lead') });
  const [smes, partners] = await Promise.all([smeList(), ctx.user.role === 'admin' ? partnerList() : []]);
  return [header, h('div', { class: 'stack' }, inviteForm(ctx, smes, partners), importForm(ctx, smes))];
}
