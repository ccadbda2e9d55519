// IberoBio Academy web UI: hash router, layout, session and language.
import { h, clear, icon } from './js/dom.js';
import { t, setLang, detectLang, currentLang, LANGS, langName, onLangChange } from './js/i18n.js';
import { session, logout, whenSignedOut, whenOtherTab, restoreSession, refreshSession, endedElsewhere, api, ApiError } from './js/api.js';
import { loading, errorBox } from './js/ui.js';
import * as loginView from './js/views/login.js';
import * as linksView from './js/views/account-links.js';
import * as catalogueView from './js/views/catalogue.js';
import * as courseView from './js/views/course.js';
import * as moduleView from './js/views/module.js';
import * as quizView from './js/views/quiz.js';
import * as adviceView from './js/views/advice.js';
import * as certificatesView from './js/views/certificates.js';
import * as advisorView from './js/views/advisor.js';
import * as weekView from './js/views/week.js';
import * as staffView from './js/views/staff.js';
import * as inviteView from './js/views/invite.js';
import * as indicatorsView from './js/views/indicators.js';
import * as profileView from './js/views/profile.js';

const ANY = ['learner', 'advisor', 'coordinator', 'admin'];
const STAFF = ['coordinator', 'admin'];

const ROUTES = [
  { path: '/login', view: loginView.render, public: true },
  { path: '/forgot', view: linksView.renderForgot, public: true },
  { path: '/reset', view: linksView.renderReset, public: true },
  { path: '/invitation', view: linksView.renderInvitation, public: true },
  { path: '/courses', view: catalogueView.render, roles: ANY, nav: 'courses' },
  { path: '/courses/:slug', view: courseView.render, roles: ANY, nav: 'courses' },
  { path: '/courses/:slug/:module', view: moduleView.render, roles: ANY, nav: 'courses' },
  { path: '/attempts/:id', view: quizView.render, roles: ['learner'], nav: 'courses' },
  { path: '/advice', view: adviceView.render, roles: ['learner'], nav: 'advice' },
  { path: '/certificates', view: certificatesView.render, roles: ['learner'], nav: 'certificates' },
  { path: '/advisor', view: advisorView.renderSlots, roles: ['advisor'], nav: 'advisor' },
  { path: '/advisor/week', view: weekView.render, roles: ['advisor'], nav: 'advisorWeek' },
  { path: '/advisor/bookings', view: advisorView.renderBookings, roles: ['advisor'], nav: 'advisorBookings' },
  { path: '/staff', view: staffView.renderSmes, roles: STAFF, nav: 'smes' },
  { path: '/staff/smes/:id/hours', view: staffView.renderSmeHours, roles: STAFF, nav: 'smes' },
  { path: '/staff/completions', view: staffView.renderCompletions, roles: STAFF, nav: 'completions' },
  { path: '/staff/certificates', view: staffView.renderCertificates, roles: STAFF, nav: 'staffCertificates' },
  { path: '/staff/learners', view: staffView.renderLearners, roles: STAFF, nav: 'learners' },
  { path: '/staff/invite', view: inviteView.render, roles: STAFF, nav: 'invite' },
  { path: '/staff/indicators', view: indicatorsView.render, roles: STAFF, nav: 'indicators' },
  { path: '/staff/bookings', view: staffView.renderBookings, roles: STAFF, nav: 'staffBookings' },
  { path: '/admin/partners', view: staffView.renderPartners, roles: ['admin'], nav: 'partners' },
  { path: '/profile', view: profileView.render, roles: ANY, nav: 'profile' },
];

const NAV = {
  learner: [['courses', '#/courses'], ['advice', '#/advice'], ['certificates', '#/certificates']],
  advisor: [['advisor', '#/advisor'], ['advisorWeek', '#/advisor/week'], ['advisorBookings', '#/advisor/bookings'], ['courses', '#/courses']],
  coordinator: [['smes', '#/staff'], ['completions', '#/staff/completions'], ['staffCertificates', '#/staff/certificates'], ['indicators', '#/staff/indicators'], ['learners', '#/staff/learners'], ['invite', '#/staff/invite'], ['staffBookings', '#/staff/bookings'], ['courses', '#/courses']],
  admin: [['smes', '#/staff'], ['completions', '#/staff/completions'], ['staffCertificates', '#/staff/certificates'], ['indicators', '#/staff/indicators'], ['learners', '#/staff/learners'], ['invite', '#/staff/invite'], ['staffBookings', '#/staff/bookings'], ['partners', '#/admin/partners'], ['courses', '#/courses']],
};

export function homeFor(user) {
  if (!user) return '#/login';
  return { learner: '#/courses', advisor: '#/advisor', coordinator: '#/staff', admin: '#/staff' }[user.role] || '#/courses';
}

function match(pattern, path) {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params = {};
  for (let i = 0; i < a.length; i += 1) {
    if (a[i].startsWith(':')) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

function parseHash() {
  let raw = location.hash.replace(/^#/, '') || '/';
  let anchor = '';
  const anchorAt = raw.indexOf('#');
  if (anchorAt >= 0) { anchor = raw.slice(anchorAt + 1); raw = raw.slice(0, anchorAt); }
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs || '')), anchor };
}

const NARROW = window.matchMedia('(max-width: 720px)');
let lastNav = null;
NARROW.addEventListener('change', () => renderHeader(lastNav));

let renderSeq = 0;
let pendingFocus = null;
// Whether anything of the page has had the focus yet: a button disabled while it works (busy)
// or removed with its page has given it up to <body> by the time the next page is drawn, and
// the keyboard must not start again from the top.
let focusedOnce = false;
document.addEventListener('focusin', () => { focusedOnce = true; });
let cleanups = [];

function runCleanups() {
  for (const fn of cleanups) { try { fn(); } catch { /* ignore */ } }
  cleanups = [];
}

function renderHeader(active) {
  lastNav = active;
  const user = session.user();
  const nav = document.getElementById('main-nav');
  const tools = document.getElementById('header-tools');
  clear(nav);
  clear(tools);
  document.getElementById('brand').setAttribute('href', homeFor(user));
  document.getElementById('brand').setAttribute('aria-label', t('app.home'));
  document.getElementById('skip-link').textContent = t('app.skip');
  nav.setAttribute('aria-label', t('nav.main'));
  nav.hidden = !user;
  if (user) {
    const list = h('ul', { class: 'nav-list' });
    for (const [key, href] of NAV[user.role] || []) {
      list.append(h('li', {}, h('a', { href, class: key === active ? 'active' : null, 'aria-current': key === active ? 'page' : null }, t(`nav.${key}`))));
    }
    nav.append(list);
  }
  const narrow = NARROW.matches;
  const langSelect = h('select', { id: 'lang-switch', class: 'lang-select', 'aria-label': t('app.language') },
    LANGS.map((l) => h('option', { value: l, lang: l, selected: l === currentLang() }, narrow ? l.toUpperCase() : `${l.toUpperCase()} · ${langName(l)}`)));
  langSelect.addEventListener('change', () => switchLanguage(langSelect.value));
  tools.append(h('label', { class: 'lang-switch' }, icon('globe'), langSelect));
  if (user) {
    tools.append(
      h('a', { href: '#/profile', class: ['user-chip', active === 'profile' ? 'active' : null], title: t('nav.profile') },
        icon('user'), h('span', { class: 'user-name' }, user.name), h('span', { class: 'user-role' }, t(`role.${user.role}`))),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'logout', onclick: signOut }, t('action.logout')));
  }
  const footer = document.getElementById('site-footer');
  clear(footer);
  footer.append(h('div', { class: 'footer-inner' },
    h('p', {}, t('app.footer')),
    h('p', {}, h('a', { href: '#/verify' }, t('footer.verify')))));
}

async function switchLanguage(lang) {
  setLang(lang, { remember: true });
  const user = session.user();
  // Chosen before signing in: kept through the sign-in and saved to the profile then.
  if (!user) sessionStorage.setItem('academy.lang-picked', lang);
  if (user && user.locale !== lang) {
    session.update({ ...user, locale: lang });
    api('/api/me', { method: 'PATCH', body: { locale: lang } })
      .then((u) => { if (u && u.id) session.update(u); })
      .catch(() => { /* the choice still applies in this browser */ });
  }
}

async function signOut() {
  await logout();
  location.hash = '#/login';
}

// A page whose session ended under it: kept, hidden, under the sign-in form, with the requests
// that wait for the sign-in ({hash, who, kept, cover, nav, resolve, reject}).
let interrupted = null;

function signedOutError() {
  return new ApiError(401, { title: 'signed out', detail: '' });
}

/** Leave the interrupted page for good (another page, or another person signed in). */
function dropInterrupted() {
  const it = interrupted;
  if (!it) return;
  interrupted = null;
  it.cover.remove();
  for (const el of it.kept) el.remove();
  it.reject(signedOutError());
}

async function showCover() {
  const it = interrupted;
  clear(it.cover);
  renderHeader(null);
  const view = await loginView.render({}, { resume: { who: it.who, onSignedIn: signedInAgain } });
  if (interrupted !== it) return;
  clear(it.cover);
  it.cover.append(view);
  document.title = `${t('login.heading')} · ${t('app.name')}`;
}

/** The session ended under this page: ask to sign in again over it, keeping it as it is. */
function askToSignInAgain(reason, who) {
  return new Promise((resolve, reject) => {
    if (!who) {
      // Nobody was signed in here: the sign-in page, and back here afterwards.
      if (!location.hash.startsWith('#/login')) {
        sessionStorage.setItem('academy.after-login', location.hash);
        location.hash = '#/login';
      }
      reject(signedOutError());
      return;
    }
    if (interrupted) dropInterrupted();
    const main = document.getElementById('main');
    const kept = [...main.children];
    for (const el of kept) el.hidden = true;
    const cover = h('div', { class: 'page', id: 'signin-again' });
    main.append(cover);
    interrupted = { hash: location.hash, who, kept, cover, nav: lastNav, resolve, reject };
    showCover();
  });
}

/** Signed in again over an interrupted page: the same person goes on where they were. */
function signedInAgain(user) {
  const it = interrupted;
  if (!it) {
    route();
    return;
  }
  interrupted = null;
  it.cover.remove();
  if (user.id === it.who.id) {
    for (const el of it.kept) el.hidden = false;
    renderHeader(it.nav);
    const heading = document.querySelector('#main h1');
    if (heading) heading.focus({ preventScroll: true });
    it.resolve();
    return;
  }
  for (const el of it.kept) el.remove();
  it.reject(signedOutError());
  setLang(detectLang(user), { remember: true });
  if (location.hash === homeFor(user)) route();
  else location.hash = homeFor(user);
}

whenSignedOut(askToSignInAgain);

whenOtherTab(async (event) => {
  if (event.type === 'signed-out') {
    endedElsewhere();
  } else if (event.type === 'user-changed') {
    dropInterrupted();
    if (location.hash === homeFor(session.user())) route();
    else location.hash = homeFor(session.user());
  } else if (event.type === 'signed-in' && !session.user()) {
    // Signed in in another tab: this one takes the session from the cookie.
    try {
      if (!(await refreshSession()).ok) return;
    } catch { return; }
    const user = session.user();
    if (interrupted) {
      signedInAgain(user);
    } else if (location.hash.startsWith('#/login')) {
      const next = sessionStorage.getItem('academy.after-login');
      sessionStorage.removeItem('academy.after-login');
      setLang(detectLang(user));
      location.hash = next && !next.startsWith('#/login') ? next : homeFor(user);
    } else {
      route();
    }
  }
});

export async function route() {
  if (interrupted) {
    // A new language on the sign-in form over the interrupted page: only the form changes.
    if (location.hash === interrupted.hash) {
      showCover();
      return;
    }
    dropInterrupted();
  }
  runCleanups();
  const seq = ++renderSeq;
  // Where the keyboard was: a link or button of the page that is about to be replaced (or of
  // the navigation, rebuilt below). Its element goes away, and focus must not stay on <body>.
  const hadFocus = focusedOnce || Boolean(document.activeElement && document.activeElement !== document.body);
  const focusedId = hadFocus ? document.activeElement.id : '';
  const wantFocus = pendingFocus;
  pendingFocus = null;
  const { path, query, anchor } = parseHash();
  const user = session.user();
  const main = document.getElementById('main');

  if (path === '/verify' || path.startsWith('/verify/')) {
    // The public verification page is served by the server.
    const code = path.split('/')[2];
    renderHeader(null);
    const verifyView = await import('./js/views/verify.js');
    // Drawn again meanwhile (the language table came in): that drawing is the one on screen.
    if (seq !== renderSeq) return;
    clear(main);
    main.append(verifyView.form(code));
    return;
  }

  if (path === '/' || path === '') {
    location.replace(homeFor(user));
    return;
  }
  let found = null;
  for (const r of ROUTES) {
    const params = match(r.path, path);
    if (params) { found = { ...r, params }; break; }
  }
  if (!found) {
    renderHeader(null);
    clear(main);
    main.append(h('div', { class: 'page' }, h('h1', { class: 'page-title' }, t('error.notFound.title')),
      h('p', {}, t('error.notFound.text')), h('p', {}, h('a', { class: 'btn btn-primary', href: homeFor(user) }, t('action.home')))));
    return;
  }
  if (!found.public && !user) {
    sessionStorage.setItem('academy.after-login', location.hash);
    location.replace('#/login');
    return;
  }
  if (found.public && user && path === '/login') {
    location.replace(homeFor(user));
    return;
  }
  if (found.roles && user && !found.roles.includes(user.role)) {
    location.replace(homeFor(user));
    return;
  }
  renderHeader(found.nav);
  clear(main);
  const view = h('div', { class: 'page', 'aria-busy': 'true' });
  main.append(view);
  view.append(loading());
  const ctx = {
    el: view,
    params: found.params,
    query,
    anchor,
    user,
    alive: () => seq === renderSeq,
    onCleanup: (fn) => cleanups.push(fn),
    /** Render this page again; `focus`: a selector of what the keyboard lands on afterwards. */
    rerender: ({ focus } = {}) => {
      pendingFocus = focus || null;
      return route();
    },
    setQuery(next) {
      const qs = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== '' && v !== undefined && v !== null)).toString();
      const target = `#${path}${qs ? `?${qs}` : ''}`;
      if (location.hash !== target) location.hash = target;
    },
  };
  try {
    const nodes = await found.view(ctx);
    if (!ctx.alive()) return;
    clear(view);
    view.removeAttribute('aria-busy');
    if (nodes) view.append(...[nodes].flat());
  } catch (err) {
    if (!ctx.alive()) return;
    console.error(err);
    clear(view);
    view.removeAttribute('aria-busy');
    view.append(errorBox(err));
  }
  document.title = `${(view.querySelector('h1') || {}).textContent || t('app.name')} · ${t('app.name')}`;
  if (anchor) {
    const target = document.getElementById(anchor);
    if (target) target.scrollIntoView();
  } else if (!ctx.keepScroll) {
    window.scrollTo(0, 0);
  }
  const focusTarget = wantFocus && view.querySelector(wantFocus);
  const heading = view.querySelector('h1');
  const same = focusedId && !focusTarget ? document.getElementById(focusedId) : null;
  if (focusTarget) {
    focusTarget.focus();
  } else if (same && same !== document.activeElement && (view.contains(same) || document.getElementById('site-header').contains(same))) {
    // The same control on the page drawn again (the language menu in the new language, a
    // filter that changed the address): the keyboard stays on it.
    same.focus({ preventScroll: true });
  } else if (heading && hadFocus && !view.contains(document.activeElement)) {
    // After a link, a button or the sign-in form: the new page's heading, where the next Tab
    // goes on (the first page of a visit leaves the focus where the browser puts it).
    heading.focus({ preventScroll: true });
  }
}

onLangChange(() => route());

document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const main = document.getElementById('main');
  const heading = main.querySelector('h1');
  (heading || main).focus();
});

// A new tab (or a reload) takes the session from the cookie before the first page.
restoreSession().finally(() => {
  window.addEventListener('hashchange', route);
  setLang(detectLang(session.user()));
  route();
});
