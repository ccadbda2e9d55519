// The pages behind the links in account mail: "forgot password" (asks for a reset link), the
// reset link itself (#/reset?token=...) and an invitation (#/invitation?token=...). Public.
import { h } from '../dom.js';
import { t, setLang, currentLang } from '../i18n.js';
import { request, session, SESSION_HEADERS, announceSignIn } from '../api.js';
import { field, input, showFormErrors, busy, notice } from '../ui.js';

function card(title, lead, ...content) {
  return h('div', { class: 'login-layout' },
    h('section', { class: 'card login-card', 'aria-labelledby': 'link-heading' },
      h('h1', { id: 'link-heading', class: 'page-title' }, title),
      lead ? h('p', { class: 'lead' }, lead) : null,
      ...content));
}

async function post(path, body) {
  // An accepted invitation signs in: the refresh token goes to the session cookie.
  const res = await request(path, { method: 'POST', body, auth: false, headers: SESSION_HEADERS });
  return res.status === 204 || res.status === 202 ? null : res.json();
}

/** #/forgot: ask for a reset link (the answer is the same whether or not the address exists). */
export async function renderForgot() {
  const email = input({ type: 'email', autocomplete: 'username', required: true, name: 'email', spellcheck: 'false' });
  const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'forgot-submit' }, t('forgot.submit'));
  const form = h('form', { class: 'stack', novalidate: true, id: 'forgot-form' }, errors, field(t('login.email'), email, { name: 'email' }), submit);
  const done = h('div', { id: 'forgot-done', 'aria-live': 'polite' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormErrors(form, null, errors);
    await busy(submit, async () => {
      try {
        await post('/api/auth/password-reset', { email: email.value.trim() });
        form.hidden = true;
        done.append(notice(t('forgot.sent'), 'success'), h('p', {}, h('a', { href: '#/login' }, t('link.backToSignIn'))));
      } catch (err) {
        showFormErrors(form, err, errors);
      }
    });
  });
  setTimeout(() => email.focus(), 0);
  return card(t('forgot.title'), t('forgot.lead'), form, done);
}

/** The form to choose a password with a link's token: `onDone(body)` after the server agrees. */
function choosePassword(ctx, { id, submitLabel, path, onDone }) {
  const token = (ctx.query || {}).token || '';
  if (!token) return notice(t('link.missingToken'), 'error');
  const password = input({ type: 'password', autocomplete: 'new-password', required: true, name: 'password', minlength: 10 });
  const repeat = input({ type: 'password', autocomplete: 'new-password', required: true, name: 'repeat' });
  const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: `${id}-submit` }, submitLabel);
  const form = h('form', { class: 'stack', novalidate: true, id: `${id}-form` },
    errors,
    field(t('link.newPassword'), password, { name: 'password', hint: t('link.passwordHint') }),
    field(t('link.repeatPassword'), repeat, { name: 'repeat' }),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormErrors(form, null, errors);
    if (password.value !== repeat.value) {
      errors.append(notice(t('link.mismatch'), 'error'));
      repeat.focus();
      return;
    }
    await busy(submit, async () => {
      try {
        onDone(await post(path, { token, password: password.value }), form);
      } catch (err) {
        if ((err.errors || []).some((x) => x.field === 'token')) {
          showFormErrors(form, null, errors);
          errors.append(notice(t('link.invalid'), 'error'), h('p', {}, h('a', { href: '#/forgot' }, t('login.forgot'))));
        } else showFormErrors(form, err, errors);
      }
    });
  });
  setTimeout(() => password.focus(), 0);
  return form;
}

/** #/reset?token=...: a new password; every session ends, so the person signs in again. */
export async function renderReset(ctx) {
  const done = h('div', { id: 'reset-done', 'aria-live': 'polite' });
  const form = choosePassword(ctx, {
    id: 'reset',
    submitLabel: t('reset.submit'),
    path: '/api/auth/password-reset/complete',
    onDone: (_, f) => {
      f.hidden = true;
      session.clear();
      done.append(notice(t('reset.done'), 'success'), h('p', {}, h('a', { class: 'btn btn-primary', href: '#/login' }, t('login.submit'))));
    },
  });
  return card(t('reset.title'), t('reset.lead'), form, done);
}

/** #/invitation?token=...: choose a first password and come in. */
export async function renderInvitation(ctx) {
  const form = choosePassword(ctx, {
    id: 'invitation',
    submitLabel: t('invitation.submit'),
    path: '/api/invitations/accept',
    onDone: (body) => {
      session.start(body);
      announceSignIn();
      setLang(body.user.locale || currentLang(), { remember: true });
      location.hash = '#/';
    },
  });
  return card(t('invitation.title'), t('invitation.lead'), form);
}
