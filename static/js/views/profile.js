import { h } from '../dom.js';
import { t, LANGS, langName, setLang } from '../i18n.js';
import { api, session, login } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, field, input, select, showFormErrors, busy, toast, confirmDialog, errorBox } from '../ui.js';

export async function render(ctx) {
  let user = ctx.user;
  try { user = await api('/api/me'); session.update(user); } catch { /* use the cached profile */ }
  const name = input({ value: user.name, required: true, maxlength: '200', autocomplete: 'name' });
  const locale = select(LANGS.map((l) => ({ value: l, label: langName(l) })), { value: user.locale });
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [user.time_zone];
  if (!zones.includes(user.time_zone)) zones.unshift(user.time_zone);
  const tz = select(zones.map((z) => ({ value: z, label: z.replace(/_/g, ' ') })), { value: user.time_zone });
  const errors = h('div', {});
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('action.save'));
  tz.addEventListener('change', () => {
    const hint = tz.closest('.field') && tz.closest('.field').querySelector('.hint');
    if (hint) hint.textContent = t('profile.timeZoneHint', { now: fmt.dateTime(new Date(), tz.value) });
  });
  const form = h('form', { class: 'card stack', novalidate: true, id: 'profile-form' },
    h('h2', {}, t('profile.details')), errors,
    h('div', { class: 'form-grid' },
      field(t('staff.name'), name, { name: 'name' }),
      field(t('login.email'), input({ value: user.email, disabled: true })),
      field(t('profile.language'), locale, { name: 'locale' }),
      field(t('profile.timeZone'), tz, { name: 'time_zone', hint: t('profile.timeZoneHint', { now: fmt.dateTime(new Date(), tz.value) }) })),
    save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(save, async () => {
      try {
        const updated = await api('/api/me', { method: 'PATCH', body: { name: name.value.trim(), locale: locale.value, time_zone: tz.value } });
        session.update(updated);
        toast(t('profile.saved'));
        setLang(updated.locale, { remember: true });
        ctx.rerender();
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });

  const current = input({ type: 'password', autocomplete: 'current-password', required: true });
  const next = input({ type: 'password', autocomplete: 'new-password', required: true, minlength: '10' });
  const pwErrors = h('div', {});
  const pwSave = h('button', { type: 'submit', class: 'btn btn-secondary' }, t('profile.changePassword'));
  const pwForm = h('form', { class: 'card stack', novalidate: true },
    h('h2', {}, t('profile.password')), h('p', { class: 'muted small' }, t('profile.passwordNote')), pwErrors,
    field(t('profile.currentPassword'), current, { name: 'password.current' }),
    field(t('profile.newPassword'), next, { name: 'password.new', hint: t('profile.passwordHint') }),
    pwSave);
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(pwSave, async () => {
      try {
        const chosen = next.value;
        await api('/api/me', { method: 'PATCH', body: { password: { current: current.value, new: chosen } } });
        // The change closed every session, this one too: sign in again with the new password so
        // that only the other browsers and devices are signed out.
        try { await login(user.email, chosen); } catch { /* asked to sign in on the next request */ }
        toast(t('profile.passwordChanged'));
        current.value = '';
        next.value = '';
        showFormErrors(pwForm, null, pwErrors);
        pwErrors.replaceChildren();
      } catch (err) { showFormErrors(pwForm, err, pwErrors); }
    });
  });
  const mail = mailForm(user);
  const calendar = calendarCard(user);
  return [pageHeader(t('profile.title'), { lead: `${user.name} · ${t(`role.${user.role}`)}` }),
    h('div', { class: 'two-col' }, form, h('div', { class: 'stack' }, pwForm, mail, calendar))];
}

/** Optional mail: session reminders (learners, advisors), the weekly digest (coordinators). */
function mailForm(user) {
  const choices = [];
  if (user.role === 'learner' || user.role === 'advisor') choices.push(['email_reminders', t('profile.mailReminders')]);
  if (user.role === 'coordinator') choices.push(['email_digest', t('profile.mailDigest')]);
  if (!choices.length) return null;
  const boxes = choices.map(([key, label]) => {
    const box = h('input', { type: 'checkbox', id: `pref-${key}`, name: key, checked: user[key] ? true : undefined });
    return [key, box, h('div', { class: 'check-row' }, box, h('label', { for: box.id }, label))];
  });
  const errors = h('div', {});
  const save = h('button', { type: 'submit', class: 'btn btn-secondary', id: 'save-mail' }, t('action.save'));
  const form = h('form', { class: 'card stack', novalidate: true, id: 'mail-form' },
    h('h2', {}, t('profile.mail')), h('p', { class: 'muted small' }, t('profile.mailNote')), errors,
    boxes.map(([, , row]) => row), save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(boxes.map(([key, box]) => [key, box.checked]));
    await busy(save, async () => {
      try {
        session.update(await api('/api/me', { method: 'PATCH', body }));
        toast(t('profile.mailSaved'));
      } catch (err) { showFormErrors(form, err, errors); }
    });
  });
  return form;
}

/**
 * The private calendar subscription of learners and advisors: shown on request (asking makes
 * it), copied, opened in the calendar app (webcal://), replaced by a new one, or turned off.
 */
function calendarCard(user) {
  if (user.role !== 'learner' && user.role !== 'advisor') return null;
  const body = h('div', { class: 'stack' });
  const card = h('section', { class: 'card stack', id: 'calendar-feed', 'aria-labelledby': 'calendar-feed-title' },
    h('h2', { id: 'calendar-feed-title' }, t('profile.calendar')),
    h('p', { class: 'muted small' }, t('profile.calendarNote')), body);
  const fail = (err) => body.replaceChildren(errorBox(err), showButton());
  const showButton = () => {
    const b = h('button', { type: 'button', class: 'btn btn-secondary', id: 'calendar-show' }, t('profile.calendarShow'));
    b.addEventListener('click', () => busy(b, async () => {
      try { showFeed(await api('/api/me/calendar-feed'), { focus: true }); } catch (err) { fail(err); }
    }));
    return b;
  };
  const showFeed = (feed, { focus } = {}) => {
    const link = input({ value: feed.http_url, readonly: true, id: 'calendar-url' });
    link.addEventListener('focus', () => link.select());
    const copy = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'calendar-copy' }, t('profile.calendarCopy'));
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(feed.http_url); toast(t('profile.calendarCopied')); } catch { link.focus(); link.select(); }
    });
    const renew = h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'calendar-new' }, t('profile.calendarNew'));
    renew.addEventListener('click', async () => {
      if (!(await confirmDialog(t('profile.calendarNewConfirm'), { confirmLabel: t('profile.calendarNew') }))) return;
      await busy(renew, async () => {
        try { showFeed(await api('/api/me/calendar-feed', { method: 'POST' }), { focus: true }); toast(t('profile.calendarNewDone')); } catch (err) { fail(err); }
      });
    });
    const off = h('button', { type: 'button', class: 'btn btn-danger btn-small', id: 'calendar-off' }, t('profile.calendarOff'));
    off.addEventListener('click', async () => {
      if (!(await confirmDialog(t('profile.calendarOffConfirm'), { confirmLabel: t('profile.calendarOff'), danger: true }))) return;
      await busy(off, async () => {
        try {
          await api('/api/me/calendar-feed', { method: 'DELETE' });
          toast(t('profile.calendarOffDone'));
          const again = showButton();
          body.replaceChildren(again);
          again.focus();
        } catch (err) { fail(err); }
      });
    });
    body.replaceChildren(
      field(t('profile.calendarLink'), link),
      h('div', { class: 'button-row' },
        h('a', { class: 'btn btn-primary btn-small', href: feed.url, id: 'calendar-subscribe' }, t('profile.calendarSubscribe')),
        copy, renew, off));
    if (focus) link.focus();
  };
  body.append(showButton());
  return card;
}
