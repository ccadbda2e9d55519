import { h } from '../dom.js';
import { t, setLang, currentLang } from '../i18n.js';
import { login, api, session } from '../api.js';
import { field, input, showFormErrors, busy, notice } from '../ui.js';

/** Why the person is asked to sign in (the end of the last session), in words. */
const REASONS = {
  expired: 'session.expired',
  'signed-out': 'session.signedOut',
  'signed-out-elsewhere': 'session.signedOutElsewhere',
  revoked: 'session.revoked',
};

/**
 * The sign-in page. With `resume` (the session ended under a page, which stays underneath):
 * `resume.who` is who was signed in, and `resume.onSignedIn(user)` takes over after sign-in
 * instead of going to the next page.
 */
export async function render(ctx, { resume } = {}) {
  const email = input({ type: 'email', autocomplete: 'username', required: true, name: 'email', spellcheck: 'false' });
  const password = input({ type: 'password', autocomplete: 'current-password', required: true, name: 'password' });
  const errors = h('div', { class: 'form-errors', 'aria-live': 'assertive' });
  const reasonKey = REASONS[session.endReason()];
  const why = h('div', { id: 'session-ended' },
    reasonKey ? notice(t(reasonKey), 'info') : null,
    resume ? h('p', { class: 'muted small' }, t('session.resume')) : null);
  if (resume && resume.who && resume.who.email) email.value = resume.who.email;
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', id: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'stack', novalidate: true, id: 'login-form' },
    why,
    errors,
    field(t('login.email'), email, { name: 'email' }),
    field(t('login.password'), password, { name: 'password' }),
    submit,
    h('p', { class: 'login-forgot' }, h('a', { href: '#/forgot', id: 'forgot-link' }, t('login.forgot'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormErrors(form, null, errors);
    await busy(submit, async () => {
      try {
        const user = await login(email.value.trim(), password.value);
        if (resume) {
          resume.onSignedIn(user);
          return;
        }
        // A language picked on this page wins over the profile's, and becomes the profile's.
        const picked = sessionStorage.getItem('academy.lang-picked');
        sessionStorage.removeItem('academy.lang-picked');
        const chosen = picked || user.locale || currentLang();
        setLang(chosen, { remember: true });
        if (picked && picked !== user.locale) {
          session.update({ ...user, locale: picked });
          try { session.update(await api('/api/me', { method: 'PATCH', body: { locale: picked } })); } catch { /* kept in this browser */ }
        }
        const next = sessionStorage.getItem('academy.after-login');
        sessionStorage.removeItem('academy.after-login');
        location.hash = next && !next.startsWith('#/login') ? next : '#/';
      } catch (err) {
        showFormErrors(form, err, errors);
        password.select();
      }
    });
  });
  setTimeout(() => (email.value ? password : email).focus(), 0);
  return h('div', { class: 'login-layout' },
    h('section', { class: 'login-intro' },
      h('p', { class: 'eyebrow' }, t('login.eyebrow')),
      h('h1', { class: 'page-title' }, t('login.title')),
      h('p', { class: 'lead' }, t('login.lead')),
      h('ul', { class: 'feature-list' },
        h('li', {}, t('login.feature.courses')),
        h('li', {}, t('login.feature.advice')),
        h('li', {}, t('login.feature.certificates')))),
    h('section', { class: 'card login-card', 'aria-labelledby': 'login-heading' },
      h('h2', { id: 'login-heading' }, t('login.heading')),
      form));
}
