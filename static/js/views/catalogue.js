import { h, icon } from '../dom.js';
import { t, tn, currentLang } from '../i18n.js';
import { api, withQuery } from '../api.js';
import { pageHeader, empty, unavailable, badge, select, topicLabel, progressBar } from '../ui.js';

export async function render(ctx) {
  let courses;
  try {
    courses = (await api(withQuery('/api/courses', { lang: currentLang() }))).items || [];
  } catch (err) {
    return [pageHeader(t('catalogue.title'), { lead: t('catalogue.lead') }), unavailable(err, t('catalogue.unavailable'))];
  }
  const topics = [...new Set(courses.map((c) => c.topic).filter(Boolean))].sort();
  const topic = ctx.query.topic || '';
  const filter = select([{ value: '', label: t('catalogue.allTopics') }, ...topics.map((x) => ({ value: x, label: topicLabel(x) }))],
    { id: 'topic-filter', value: topic });
  filter.addEventListener('change', () => ctx.setQuery({ topic: filter.value }));
  const shown = courses.filter((c) => !topic || c.topic === topic);
  const grid = h('ul', { class: 'course-grid', id: 'course-list' });
  for (const c of shown) grid.append(card(c, ctx));
  return [
    pageHeader(t('catalogue.title'), {
      lead: t('catalogue.lead'),
      actions: topics.length > 1 ? h('div', { class: 'inline-field' }, h('label', { for: 'topic-filter' }, t('catalogue.topic')), filter) : null,
    }),
    shown.length ? grid : empty(t('catalogue.empty.title'), t('catalogue.empty.text')),
  ];
}

function card(c, ctx) {
  const status = h('div', { class: 'card-status' });
  const item = h('li', { class: 'course-card card' },
    h('div', { class: 'card-top' }, badge(topicLabel(c.topic), `topic-${c.topic || 'other'}`), status),
    h('h2', { class: 'course-title' }, h('a', { href: `#/courses/${encodeURIComponent(c.slug)}`, class: 'stretched' }, c.title)),
    h('p', { class: 'course-summary' }, c.summary),
    h('dl', { class: 'meta-row' },
      h('div', {}, h('dt', { class: 'sr-only' }, t('course.duration')), h('dd', {}, icon('clock'), t('course.minutes', { n: c.estimated_minutes }))),
      h('div', {}, h('dt', { class: 'sr-only' }, t('course.modules')), h('dd', {}, icon('book'), tn('course.moduleCount', c.module_count))),
      h('div', {}, h('dt', { class: 'sr-only' }, t('course.languages')), h('dd', { class: 'langs' }, (c.languages || []).map((l) => h('abbr', { class: 'lang-tag', title: t(`lang.${l}`), lang: l }, l.toUpperCase()))))));
  if (ctx.user.role === 'learner') {
    api(`/api/courses/${encodeURIComponent(c.slug)}/progress`).then((p) => {
      if (!ctx.alive() || !p) return;
      if (p.completed_at) status.append(badge(t('course.completed'), 'success'));
      else {
        status.append(badge(t('course.enrolled'), 'info'));
        item.append(progressBar(p.modules_completed || 0, p.modules_total || c.module_count || 0));
      }
    }).catch(() => { /* not enrolled, or progress not available yet */ });
  }
  return item;
}
