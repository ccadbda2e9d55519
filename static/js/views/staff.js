import { h } from '../dom.js';
import { t, currentLang, LANGS, langName } from '../i18n.js';
import { api, withQuery, download } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, badge, button, busy, toast, select, table, field, input, showFormErrors, confirmDialog, loading, errorBox } from '../ui.js';
import { pdfButton, verifyLink, courseTitles } from './certificates.js';
import { bookingItem, startOf, waitingList } from './advice.js';

const enc = encodeURIComponent;

function num(...values) {
  for (const v of values) if (v !== undefined && v !== null) return typeof v === 'number' ? fmt.number(v) : v;
  return null;
}

async function smeList() {
  try { return (await api('/api/smes')).items || []; } catch { return []; }
}

function zipButton(sme) {
  return button(t('staff.zip'), async (e) => {
    await busy(e.currentTarget, async () => {
      try {
        const name = await download(`/api/smes/${enc(sme.id)}/certificates.zip`, `certificates-sme-${sme.id}.zip`, { accept: 'application/zip' });
        toast(t('staff.downloaded', { name }));
      } catch (err) { toast(err.status === 404 ? t('staff.zipNone') : (err.detail || t('error.download')), 'error'); }
    });
  }, { kind: 'secondary', small: true, iconName: 'download' });
}

export async function renderSmes(ctx) {
  const header = pageHeader(t('staff.smesTitle'), { lead: ctx.user.role === 'admin' ? t('staff.smesLeadAdmin') : t('staff.smesLead') });
  let rows = null;
  let reportErr = null;
  try {
    rows = (await api('/api/reports/smes')).items;
  } catch (err) { reportErr = err; }
  const smes = await smeList();
  const byId = Object.fromEntries(smes.map((s) => [String(s.id), s]));
  const out = [header];
  if (!rows) {
    out.push(unavailable(reportErr, t('staff.reportUnavailable')));
    rows = smes.map((s) => ({ sme_id: s.id, sme_name: s.name }));
  }
  const cols = [
    { label: t('staff.sme'), render: (r) => {
      const s = byId[String(r.sme_id ?? r.id)] || {};
      const partner = ctx.user.role === 'admin' ? (r.partner_name || s.partner_name) : null;
      return h('div', {}, h('strong', {}, r.sme_name || r.name || s.name), h('div', { class: 'muted small' }, [s.sector || r.sector, [s.region || r.region, s.country || r.country].filter(Boolean).join(', '), partner].filter(Boolean).join(' · ')),
        hoursSummary(r.advisory_hours));
    } },
    { label: t('staff.learners'), numeric: true, render: (r) => num(r.learners, r.learner_count) },
    { label: t('staff.enrolments'), numeric: true, render: (r) => num(r.enrolments, r.enrollments, r.enrolment_count) },
    { label: t('staff.completions'), numeric: true, render: (r) => num(r.completions, r.completion_count) },
    { label: t('staff.certificates'), numeric: true, render: (r) => num(r.certificates, r.certificate_count) },
    { label: t('staff.sessions'), numeric: true, render: (r) => num(r.advisory_sessions_attended, r.sessions_attended, r.advisory_sessions) },
  ];
  // This quarter's advisory hours are under the SME's name (when the server reports them).
  const period = rows.some((r) => r.advisory_hours && r.advisory_hours.period);
  // The actions wrap rather than push the table wider than a laptop's screen.
  cols.push({ label: t('staff.actions'), render: (r) => h('div', { class: 'button-row' },
    h('a', { class: 'btn btn-ghost btn-small', href: `#/staff/completions?sme=${enc(r.sme_id ?? r.id)}` }, t('staff.viewCompletions')),
    period ? h('a', { class: 'btn btn-ghost btn-small', href: `#/staff/smes/${enc(r.sme_id ?? r.id)}/hours` }, t('staff.hoursManage')) : null,
    zipButton({ id: r.sme_id ?? r.id })) });
  out.push(table(cols, rows, { caption: t('staff.smesTitle'), empty: empty(t('staff.noSmes.title'), t('staff.noSmes.text')) }));
  out.push(smeForm(ctx));
  return out;
}

// --- Advisory hours per SME and quarter.

/** `7.5 h` in the UI's number format. */
function hrs(n) {
  return t('staff.hoursValue', { n: fmt.number(Number(n) || 0, { maximumFractionDigits: 2 }) });
}

/** One quarter's hours in words: used of allotted (left), or used with no limit; no-shows. */
function hoursSummary(q) {
  if (!q) return null;
  const limited = q.allotted_hours !== null && q.allotted_hours !== undefined;
  const main = limited
    ? t('staff.hoursUsedOf', { used: hrs(q.used_hours), allotted: hrs(q.allotted_hours), left: hrs(q.remaining_hours) })
    : t('staff.hoursUsedNoLimit', { used: hrs(q.used_hours) });
  return h('div', { class: 'hours-summary small' },
    h('span', {}, h('span', { class: 'hours-period' }, t('staff.hoursColumn', { period: q.period })), ': ', main),
    Number(q.no_show_hours) > 0 ? h('span', { class: 'muted small' }, t('staff.hoursNoShows', { hours: hrs(q.no_show_hours) })) : null);
}

/** The current quarter in Europe/Madrid and the next `count - 1`: `['2026-Q4', '2027-Q1', ...]`. */
function quarters(count = 4) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Madrid', year: 'numeric', month: 'numeric' })
    .formatToParts(new Date()).map((p) => [p.type, p.value]));
  let year = Number(parts.year);
  let q = Math.floor((Number(parts.month) - 1) / 3) + 1;
  const out = [];
  for (let i = 0; i < count; i += 1) {
    out.push(`${year}-Q${q}`);
    q += 1;
    if (q > 4) { q = 1; year += 1; }
  }
  return out;
}

function hoursTable(items) {
  const cols = [
    { label: t('staff.hoursQuarter'), render: (q) => q.period },
    { label: t('staff.hoursAllotted'), numeric: true, render: (q) => (q.allotted_hours === null || q.allotted_hours === undefined ? t('staff.hoursNoLimit') : hrs(q.allotted_hours)) },
    { label: t('staff.hoursUsed'), numeric: true, render: (q) => hrs(q.used_hours) },
    { label: t('staff.hoursAttended'), numeric: true, render: (q) => hrs(q.attended_hours) },
    { label: t('staff.hoursNoShowsCol'), numeric: true, render: (q) => hrs(q.no_show_hours) },
    { label: t('staff.hoursWaived'), numeric: true, render: (q) => hrs(q.waived_hours) },
    { label: t('staff.hoursLeft'), numeric: true, render: (q) => (q.remaining_hours === null || q.remaining_hours === undefined ? t('staff.hoursNoLimit') : hrs(q.remaining_hours)) },
  ];
  return table(cols, items, { caption: t('staff.hoursTable'), empty: h('p', { class: 'muted', id: 'hours-none' }, t('staff.hoursNone')) });
}

/** `#/staff/smes/:id/hours`: set or clear an SME's advisory hours per quarter; the figures. */
export async function renderSmeHours(ctx) {
  const id = ctx.params.id;
  const smes = await smeList();
  const sme = smes.find((s) => String(s.id) === String(id));
  const title = sme ? t('staff.hoursTitle', { sme: sme.name }) : t('staff.hoursManage');
  const header = pageHeader(title, { lead: t('staff.hoursLead'), crumbs: [{ label: t('staff.smesTitle'), href: '#/staff' }, { label: sme ? sme.name : t('staff.hoursManage') }] });
  const load = async () => (await api(`/api/smes/${enc(id)}/advisory-hours`)).items || [];
  let items;
  try { items = await load(); } catch (err) { return [header, unavailable(err, t('staff.reportUnavailable'))]; }
  const periods = quarters();
  const byPeriod = () => Object.fromEntries(items.map((q) => [q.period, q]));
  const period = select(periods.map((p) => ({ value: p, label: p })), { id: 'hours-period' });
  const hours = input({ type: 'number', id: 'hours-value', min: '0', max: '2000', step: '0.25', inputmode: 'decimal' });
  const fillHours = () => {
    const q = byPeriod()[period.value];
    hours.value = q && q.allotted_hours !== null && q.allotted_hours !== undefined ? String(q.allotted_hours) : '';
  };
  fillHours();
  period.addEventListener('change', fillHours);
  const errors = h('div', {});
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'hours-save' }, t('staff.hoursSave'));
  const tableBox = h('div', { id: 'hours-table' }, hoursTable(items));
  const refresh = async () => {
    items = await load();
    tableBox.replaceChildren(hoursTable(items));
  };
  const form = h('form', { class: 'card stack', novalidate: true, id: 'hours-form' },
    h('h2', {}, t('staff.hoursSet')), errors,
    h('div', { class: 'form-grid' },
      field(t('staff.hoursQuarter'), period, { name: 'period' }),
      field(t('staff.hoursHours'), hours, { name: 'hours', hint: t('staff.hoursHint') })),
    h('div', { class: 'button-row' }, save,
      button(t('staff.hoursClear'), async (e) => {
        const p = period.value;
        await busy(e.currentTarget, async () => {
          try {
            await api(`/api/smes/${enc(id)}/advisory-hours/${enc(p)}`, { method: 'DELETE' });
            showFormErrors(form, null, errors);
            hours.value = '';
            toast(t('staff.hoursCleared', { period: p }));
            await refresh();
          } catch (err) { showFormErrors(form, err, errors); }
        });
      }, { kind: 'secondary', attrs: { id: 'hours-clear' } })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = period.value;
    // An empty or unreadable number goes to the server as it is: its message names the field.
    const raw = hours.value.trim();
    const body = { hours: raw === '' || Number.isNaN(Number(raw)) ? raw : Number(raw) };
    await busy(save, async () => {
      try {
        await api(`/api/smes/${enc(id)}/advisory-hours/${enc(p)}`, { method: 'PUT', body });
        showFormErrors(form, null, errors);
        toast(t('staff.hoursSaved', { period: p }));
        await refresh();
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  return [header, h('div', { class: 'stack' }, form,
    h('section', { class: 'stack', 'aria-labelledby': 'hours-table-title' }, h('h2', { id: 'hours-table-title' }, t('staff.hoursTable')), tableBox))];
}

function smeForm(ctx) {
  const name = input({ required: true, maxlength: '200' });
  const country = select([{ value: 'ES', label: t('country.ES') }, { value: 'PT', label: t('country.PT') }]);
  const region = input({ maxlength: '100' });
  const sector = input({ maxlength: '100' });
  const partner = ctx.user.role === 'admin' ? select([]) : null;
  if (partner) api('/api/partners').then((r) => { for (const p of r.items || []) partner.append(h('option', { value: p.id }, p.name)); }).catch(() => {});
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary' }, t('staff.addSme'));
  const form = h('form', { class: 'stack', novalidate: true },
    errors,
    h('div', { class: 'form-grid' },
      field(t('staff.smeName'), name, { name: 'name' }),
      field(t('staff.country'), country, { name: 'country' }),
      field(t('staff.region'), region, { name: 'region' }),
      field(t('staff.sector'), sector, { name: 'sector' }),
      partner ? field(t('staff.partner'), partner, { name: 'partner_id' }) : null),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), country: country.value, region: region.value.trim(), sector: sector.value.trim(), partner_id: partner ? Number(partner.value) : ctx.user.partner_id };
    await busy(submit, async () => {
      try { await api('/api/smes', { method: 'POST', body }); toast(t('staff.smeAdded')); ctx.rerender(); } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  return h('details', { class: 'card disclosure' }, h('summary', {}, t('staff.addSme')), form);
}

export async function renderCompletions(ctx) {
  const sme = ctx.query.sme || '';
  const course = ctx.query.course || '';
  const [smes, courses] = await Promise.all([smeList(), api(withQuery('/api/courses', { lang: currentLang() })).then((r) => r.items || []).catch(() => [])]);
  const smeSel = select([{ value: '', label: t('staff.allSmes') }, ...smes.map((s) => ({ value: String(s.id), label: s.name }))], { id: 'filter-sme', value: sme });
  const courseSel = select([{ value: '', label: t('staff.allCourses') }, ...courses.map((c) => ({ value: c.slug, label: c.title }))], { id: 'filter-course', value: course });
  const apply = () => ctx.setQuery({ sme: smeSel.value, course: courseSel.value });
  smeSel.addEventListener('change', apply);
  courseSel.addEventListener('change', apply);
  const params = { sme_id: sme, course };
  const csv = button(t('staff.csv'), async (e) => {
    await busy(e.currentTarget, async () => {
      // The spreadsheet form in the UI's language (headers in words, course titles, local
      // dates; semicolons for es, pt and gl, as their spreadsheets expect).
      const sheet = { ...params, lang: currentLang() };
      try { await download(withQuery('/api/reports/completions', sheet), `completions${sme ? `-sme-${sme}` : ''}${course ? `-${course}` : ''}.csv`, { accept: 'text/csv' }); } catch (err) { toast(err.detail || t('error.download'), 'error'); }
    });
  }, { kind: 'secondary', iconName: 'download', attrs: { id: 'download-csv' } });
  const filters = h('div', { class: 'filters card' },
    h('div', { class: 'inline-field' }, h('label', { for: 'filter-sme' }, t('staff.sme')), smeSel),
    h('div', { class: 'inline-field' }, h('label', { for: 'filter-course' }, t('staff.course')), courseSel),
    csv);
  const header = pageHeader(t('staff.completionsTitle'), { lead: t('staff.completionsLead') });
  let items;
  try {
    items = (await api(withQuery('/api/reports/completions', params))).items || [];
  } catch (err) {
    return [header, filters, unavailable(err, t('staff.reportUnavailable'))];
  }
  const titles = Object.fromEntries(courses.map((c) => [c.slug, c.title]));
  const cols = [
    { label: t('staff.learner'), render: (r) => r.learner_name },
    { label: t('staff.sme'), render: (r) => r.sme_name },
    { label: t('staff.course'), render: (r) => titles[r.course] || r.course_title || r.course },
    { label: t('staff.enrolled'), render: (r) => fmt.date(r.enrolled_at) },
    { label: t('staff.completed'), render: (r) => (r.completed_at ? fmt.date(r.completed_at) : badge(t('staff.inProgress'), 'neutral')) },
    { label: t('staff.score'), numeric: true, render: (r) => (r.score === null || r.score === undefined ? null : fmt.percent(r.score)) },
    { label: t('staff.certificate'), render: (r) => (r.certificate_code ? h('div', { class: 'button-row nowrap' }, pdfButton(r.certificate_code), verifyLink(r.certificate_code)) : null) },
  ];
  const done = items.filter((r) => r.completed_at).length;
  return [header, filters,
    h('p', { class: 'muted', id: 'completion-count' }, t('staff.completionSummary', { n: items.length, done })),
    table(cols, items, { caption: t('staff.completionsTitle'), empty: empty(t('staff.noCompletions.title'), t('staff.noCompletions.text')) })];
}

export async function renderCertificates(ctx) {
  const header = pageHeader(t('staff.certsTitle'), { lead: t('staff.certsLead') });
  const smes = await smeList();
  const zipSel = select(smes.map((s) => ({ value: String(s.id), label: s.name })), { id: 'zip-sme' });
  const zipBox = smes.length ? h('div', { class: 'filters card' },
    h('div', { class: 'inline-field' }, h('label', { for: 'zip-sme' }, t('staff.zipFor')), zipSel),
    button(t('staff.zip'), async (e) => {
      const sme = smes.find((s) => String(s.id) === zipSel.value);
      await busy(e.currentTarget, async () => {
        try { await download(`/api/smes/${enc(sme.id)}/certificates.zip`, `certificates-${sme.name.replace(/[^\w-]+/g, '-')}.zip`, { accept: 'application/zip' }); } catch (err) { toast(err.status === 404 ? t('staff.zipNone') : (err.detail || t('error.download')), 'error'); }
      });
    }, { kind: 'secondary', iconName: 'download', attrs: { id: 'download-zip' } })) : null;
  let items;
  try {
    items = (await api('/api/certificates')).items || [];
  } catch (err) {
    return [header, zipBox, unavailable(err, t('cert.unavailable'))];
  }
  const admin = ctx.user.role === 'admin';
  const titles = await courseTitles();
  const cols = [
    { label: t('cert.code'), render: (r) => h('code', {}, r.code) },
    { label: t('staff.learner'), render: (r) => r.learner_name },
    { label: t('staff.course'), render: (r) => r.course_title || titles[r.course] || r.course },
    { label: t('staff.completed'), render: (r) => fmt.date(r.completed_at) },
    { label: t('staff.status'), render: (r) => (r.revoked ? badge(t('cert.revoked'), 'warning') : badge(t('cert.valid'), 'success')) },
    { label: t('staff.actions'), render: (r) => h('div', { class: 'button-row nowrap' }, r.revoked ? null : pdfButton(r.code), verifyLink(r.code),
      admin && !r.revoked ? button(t('cert.revoke'), async () => {
        const answer = await confirmDialog(t('cert.confirmRevoke', { code: r.code }), { danger: true, confirmLabel: t('cert.revoke'), note: t('cert.reason') });
        if (!answer.ok) return;
        try { await api(`/api/certificates/${enc(r.code)}/revocation`, { method: 'POST', body: { reason: answer.note } }); toast(t('cert.revokedToast')); ctx.rerender(); } catch (err) { toast(err.detail || t('error.generic'), 'error'); }
      }, { kind: 'danger', small: true }) : null) },
  ];
  return [header, zipBox, table(cols, items, { caption: t('staff.certsTitle'), empty: empty(t('cert.empty.title'), t('staff.noCerts')) })];
}

export async function renderLearners(ctx) {
  const header = pageHeader(t('staff.learnersTitle'), { lead: t('staff.learnersLead') });
  const smes = await smeList();
  const admin = ctx.user.role === 'admin';
  const email = input({ type: 'email', required: true, autocomplete: 'off' });
  const name = input({ required: true, maxlength: '200', autocomplete: 'off' });
  const password = input({ type: 'password', required: true, autocomplete: 'new-password', minlength: '10' });
  const role = admin ? select(['learner', 'advisor', 'coordinator', 'admin'].map((r) => ({ value: r, label: t(`role.${r}`) }))) : null;
  const smeSel = select(smes.map((s) => ({ value: String(s.id), label: s.name })));
  const locale = select(LANGS.map((l) => ({ value: l, label: langName(l) })), { value: currentLang() });
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone').filter((z) => /^(Europe|Atlantic)\//.test(z)) : ['Europe/Madrid', 'Europe/Lisbon', 'Atlantic/Canary', 'Atlantic/Azores', 'Atlantic/Madeira'];
  const tz = select(zones.map((z) => ({ value: z, label: z.replace(/_/g, ' ') })), { value: 'Europe/Madrid' });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'create-user' }, admin ? t('staff.createUser') : t('staff.createLearner'));
  const smeField = field(t('staff.sme'), smeSel, { name: 'sme_id' });
  // Admins place coordinators (required) and advisors (optional) in a partner organisation.
  let partners = [];
  if (admin) { try { partners = (await api('/api/partners')).items || []; } catch { partners = []; } }
  const partnerSel = select([{ value: '', label: '—' }, ...partners.map((p) => ({ value: String(p.id), label: p.name }))], { id: 'user-partner' });
  const partnerField = field(t('invite.partner'), partnerSel, { name: 'partner_id' });
  partnerField.hidden = true;
  const form = h('form', { class: 'card stack', novalidate: true, id: 'learner-form' },
    h('h2', {}, admin ? t('staff.createUser') : t('staff.createLearner')), errors,
    h('div', { class: 'form-grid' },
      field(t('staff.name'), name, { name: 'name' }),
      field(t('login.email'), email, { name: 'email' }),
      field(t('staff.initialPassword'), password, { name: 'password', hint: t('staff.passwordHint') }),
      role ? field(t('staff.role'), role, { name: 'role' }) : null,
      smeField,
      admin ? partnerField : null,
      field(t('profile.language'), locale, { name: 'locale' }),
      field(t('profile.timeZone'), tz, { name: 'time_zone' })),
    submit);
  if (role) {
    role.addEventListener('change', () => {
      smeField.hidden = role.value !== 'learner';
      partnerField.hidden = !['coordinator', 'advisor'].includes(role.value);
    });
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = role ? role.value : 'learner';
    const body = { email: email.value.trim(), name: name.value.trim(), role: r, password: password.value, locale: locale.value, time_zone: tz.value };
    if (r === 'learner') body.sme_id = Number(smeSel.value);
    if ((r === 'coordinator' || r === 'advisor') && partnerSel.value) body.partner_id = Number(partnerSel.value);
    await busy(submit, async () => {
      try {
        const u = await api('/api/users', { method: 'POST', body });
        toast(t('staff.userCreated', { email: u.email || body.email }));
        ctx.rerender();
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  let users = [];
  let listErr = null;
  try { users = (await api('/api/users')).items || []; } catch (err) { listErr = err; }
  const smeName = Object.fromEntries(smes.map((s) => [String(s.id), s.name]));
  const cols = [
    { label: t('staff.name'), render: (u) => u.name },
    { label: t('login.email'), render: (u) => u.email },
    { label: t('staff.role'), render: (u) => t(`role.${u.role}`) },
    { label: t('staff.sme'), render: (u) => smeName[String(u.sme_id)] || null },
    { label: t('profile.language'), render: (u) => (u.locale || '').toUpperCase() },
    { label: t('profile.timeZone'), render: (u) => u.time_zone },
  ];
  return [header, h('div', { class: 'stack' }, form,
    listErr ? unavailable(listErr) : table(cols, users, { caption: t('staff.learnersTitle'), empty: empty(t('staff.noUsers'), null) }))];
}

export async function renderBookings(ctx) {
  const header = pageHeader(t('staff.bookingsTitle'), { lead: t('staff.bookingsLead') });
  const [bookings, waiting] = await Promise.allSettled([api('/api/bookings'), api('/api/waitlist')]);
  const waitingBox = waitingLearners(ctx, waiting);
  if (bookings.status === 'rejected') return [header, waitingBox, unavailable(bookings.reason, t('advice.unavailable'))];
  const items = (bookings.value && bookings.value.items) || [];
  items.sort((a, b) => String(startOf(b)).localeCompare(String(startOf(a))));
  const list = items.length ? h('ul', { class: 'booking-list grid-list' }, items.map((b) => bookingItem(b, 'staff', () => {}, waiver))) : empty(t('advisor.noBookings'), null);
  // With the waiting learners above, the bookings have a heading of their own.
  return [header, waitingBox, waitingBox ? h('section', { class: 'stack', 'aria-labelledby': 'staff-bookings-heading' }, h('h2', { id: 'staff-bookings-heading' }, t('staff.bookingsHeading')), list) : list];
}

/**
 * "Waiting learners": who of the coordinator's SMEs (all, for admins) waits for a session, oldest
 * first, as GET /api/waitlist gives them; nothing on a server without the waitlist.
 */
function waitingLearners(ctx, answer) {
  if (answer.status === 'rejected') {
    const err = answer.reason;
    if (err && [404, 405, 501].includes(err.status)) return null;
    return h('section', { class: 'stack', 'aria-labelledby': 'waiting-learners-heading' },
      h('h2', { id: 'waiting-learners-heading' }, t('waitlist.staffTitle')), unavailable(err, t('waitlist.unavailable')));
  }
  const items = (answer.value && answer.value.items) || [];
  return h('section', { class: 'stack', id: 'waiting-learners', 'aria-labelledby': 'waiting-learners-heading' },
    h('h2', { id: 'waiting-learners-heading' }, t('waitlist.staffTitle')),
    h('p', { class: 'muted small' }, ctx && ctx.user && ctx.user.role === 'admin' ? t('waitlist.staffLeadAdmin') : t('waitlist.staffLead')),
    items.length ? waitingList(items) : h('p', { class: 'muted', id: 'waiting-none' }, t('waitlist.staffNone')));
}

/** Under a no-show: "Waive no-show" (the hours stop counting), or that it was waived. */
function waiver(b) {
  if (!b.outcome || b.outcome.attended !== false) return null;
  const waived = () => h('p', { class: 'waiver' }, badge(t('staff.waived'), 'success'));
  if (b.outcome.no_show_waived) return waived();
  const box = h('div', { class: 'button-row waiver' });
  box.append(button(t('staff.waive'), async (e) => {
    // currentTarget is gone once the dialog has been awaited.
    const target = e.currentTarget;
    if (!(await confirmDialog(t('staff.waiveConfirm'), { confirmLabel: t('staff.waive') }))) return;
    await busy(target, async () => {
      try {
        await api(`/api/bookings/${enc(b.id)}/no-show-waiver`, { method: 'POST' });
        toast(t('staff.waivedToast'));
        const card = box.closest('.booking');
        box.replaceWith(waived());
        if (card) card.focus();
      } catch (err) { toast(err.detail || (err.errors && err.errors[0] && err.errors[0].message) || t('error.generic'), 'error'); }
    });
  }, { kind: 'secondary', small: true, attrs: { class: 'btn btn-secondary btn-small waive-button' } }));
  return box;
}

export async function renderPartners(ctx) {
  const header = pageHeader(t('staff.partnersTitle'), { lead: t('staff.partnersLead') });
  let items;
  try { items = (await api('/api/partners')).items || []; } catch (err) { return [header, unavailable(err)]; }
  const name = input({ required: true, maxlength: '200' });
  const country = select([{ value: 'ES', label: t('country.ES') }, { value: 'PT', label: t('country.PT') }]);
  const region = input({ maxlength: '100' });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('staff.addPartner'));
  const form = h('form', { class: 'card stack', novalidate: true },
    h('h2', {}, t('staff.addPartner')), errors,
    h('div', { class: 'form-grid' }, field(t('staff.partnerName'), name, { name: 'name' }), field(t('staff.country'), country, { name: 'country' }), field(t('staff.region'), region, { name: 'region' })),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(submit, async () => {
      try { await api('/api/partners', { method: 'POST', body: { name: name.value.trim(), country: country.value, region: region.value.trim() } }); toast(t('staff.partnerAdded')); ctx.rerender(); } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  const cols = [
    { label: t('staff.partnerName'), render: (p) => p.name },
    { label: t('staff.country'), render: (p) => t(`country.${p.country}`) },
    { label: t('staff.region'), render: (p) => p.region },
  ];
  return [header, h('div', { class: 'two-col' }, table(cols, items, { caption: t('staff.partnersTitle'), empty: empty(t('staff.noPartners'), null) }), form)];
}

export { loading, errorBox };
