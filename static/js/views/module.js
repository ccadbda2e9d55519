import { h, icon, setSanitisedModuleHtml } from '../dom.js';
import { t, currentLang, langInText } from '../i18n.js';
import { api, withQuery, ApiError } from '../api.js';
import { unavailable, button, busy, toast, notice, errorBox } from '../ui.js';
import { completedModules } from './progress-store.js';

const enc = encodeURIComponent;

function slugOf(ref) {
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.slug;
}

export async function render(ctx) {
  const { slug, module } = ctx.params;
  const crumbsBase = [{ label: t('nav.courses'), href: '#/courses' }];
  let mod;
  let course = null;
  try {
    [mod, course] = await Promise.all([
      api(withQuery(`/api/courses/${enc(slug)}/modules/${enc(module)}`, { lang: currentLang() })),
      api(withQuery(`/api/courses/${enc(slug)}`, { lang: currentLang() })).catch(() => null),
    ]);
  } catch (err) {
    return [h('nav', { class: 'crumbs' }, h('a', { href: `#/courses/${enc(slug)}` }, t('module.backToCourse'))), unavailable(err, t('module.unavailable'))];
  }
  const learner = ctx.user.role === 'learner';
  let progress = null;
  if (learner) {
    try { progress = await api(`/api/courses/${enc(slug)}/progress`); } catch { progress = null; }
  }
  const modules = course ? [...(course.modules || [])].sort((a, b) => a.position - b.position) : [];
  const byslug = Object.fromEntries(modules.map((m) => [m.slug, m]));
  const prevSlug = slugOf(mod.previous);
  const nextSlug = slugOf(mod.next);
  const titleOf = (ref, s) => (ref && ref.title) || (byslug[s] && byslug[s].title) || s;
  const done = completedModules(progress);

  const crumbs = h('nav', { class: 'crumbs', 'aria-label': t('nav.breadcrumb') },
    h('a', { href: '#/courses' }, t('nav.courses')), h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/'),
    h('a', { href: `#/courses/${enc(slug)}` }, course ? course.title : slug));

  const out = [crumbs];
  const fallback = mod.fallback === true || (mod.language && mod.language !== currentLang());
  if (fallback) {
    out.push(h('div', { class: 'alert alert-info', role: 'note', id: 'fallback-notice' },
      h('p', {}, t('module.fallback', { shown: langInText(mod.language || 'en'), wanted: langInText(currentLang()) }))));
  }
  const article = h('article', { class: 'prose', id: 'module-body', lang: mod.language || currentLang() });
  setSanitisedModuleHtml(article, mod.html || '');
  // In-page anchors (footnotes, headings) must scroll, not change the hash route.
  article.addEventListener('click', (e) => {
    const a = e.target.closest('a');
    if (!a) return;
    const href = a.getAttribute('href') || '';
    if (href.startsWith('#') && !href.startsWith('#/')) {
      e.preventDefault();
      const target = document.getElementById(decodeURIComponent(href.slice(1)));
      if (target) { target.scrollIntoView({ behavior: 'smooth', block: 'start' }); target.setAttribute('tabindex', '-1'); target.focus({ preventScroll: true }); }
    } else if (/^https?:/i.test(href)) {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    }
  });
  // The module's own title is its first heading; present it as the page's h1.
  const first = article.querySelector('h1');
  if (first) { first.classList.add('page-title'); first.setAttribute('tabindex', '-1'); }
  else article.prepend(h('h1', { class: 'page-title', tabindex: '-1' }, mod.title));

  const position = mod.position || (byslug[module] && byslug[module].position);
  const header = h('p', { class: 'eyebrow' }, modules.length && position ? t('module.position', { n: position, total: modules.length }) : t('module.label'));

  const completeBox = h('div', { class: 'complete-box', 'aria-live': 'polite' });
  if (learner) {
    if (!progress) {
      completeBox.append(h('p', { class: 'muted' }, t('module.enrolToTrack')),
        button(t('course.enrol'), async (e) => {
          await busy(e.currentTarget, async () => {
            try { await api(`/api/courses/${enc(slug)}/enrolment`, { method: 'POST' }); toast(t('course.enrolledToast')); ctx.keepScroll = true; ctx.rerender(); } catch (err) { completeBox.replaceChildren(errorBox(err)); }
          });
        }, { kind: 'secondary' }));
    } else if (done.has(module)) {
      completeBox.append(completedMark());
    } else {
      const mark = button(t('module.markComplete'), async () => {
        await busy(mark, async () => {
          try {
            await api(`/api/courses/${enc(slug)}/modules/${enc(module)}/completion`, { method: 'POST' });
            completeBox.replaceChildren(completedMark());
            toast(t('module.completedToast'));
          } catch (err) {
            completeBox.append(err instanceof ApiError && err.status === 404 ? notice(t('module.completeUnavailable')) : errorBox(err));
          }
        });
      }, { iconName: 'check', attrs: { id: 'mark-complete' } });
      completeBox.append(mark);
    }
  }

  const pager = h('nav', { class: 'pager', 'aria-label': t('module.pager') },
    prevSlug ? h('a', { class: 'pager-link prev', href: `#/courses/${enc(slug)}/${enc(prevSlug)}`, rel: 'prev' },
      icon('arrowLeft'), h('span', {}, h('small', {}, t('module.previous')), h('span', {}, titleOf(mod.previous, prevSlug)))) : h('span', {}),
    nextSlug ? h('a', { class: 'pager-link next', href: `#/courses/${enc(slug)}/${enc(nextSlug)}`, rel: 'next' },
      h('span', {}, h('small', {}, t('module.next')), h('span', {}, titleOf(mod.next, nextSlug))), icon('arrowRight'))
      : h('a', { class: 'pager-link next', href: `#/courses/${enc(slug)}` }, h('span', {}, h('small', {}, t('module.finished')), h('span', {}, t('module.backToCourse'))), icon('arrowRight')));

  const toc = modules.length ? h('aside', { class: 'module-toc card', 'aria-label': t('course.modules') },
    h('h2', { class: 'toc-title' }, t('course.modules')),
    h('ol', {}, modules.map((m) => h('li', { class: [m.slug === module ? 'current' : null, done.has(m.slug) ? 'is-done' : null] },
      h('a', { href: `#/courses/${enc(slug)}/${enc(m.slug)}`, 'aria-current': m.slug === module ? 'page' : null },
        h('span', { class: 'tick', 'aria-hidden': 'true' }, done.has(m.slug) ? icon('check') : String(m.position)), m.title))))) : null;

  out.push(h('div', { class: 'reader-layout' },
    h('div', { class: 'reader-main' }, h('div', { class: 'card reader-card' }, header, article, completeBox), pager),
    toc));
  return out;
}

function completedMark() {
  return h('p', { class: 'completed-mark', id: 'module-completed' }, icon('check'), t('module.completed'));
}
