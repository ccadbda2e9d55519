import { h, icon } from '../dom.js';
import { t, tn, currentLang, langInText } from '../i18n.js';
import { api, withQuery, download, request, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, errorBox, badge, progressBar, button, busy, toast, topicLabel, notice, field, input, showFormErrors, confirmDialog, empty } from '../ui.js';
import { completedModules, openAttemptFor } from './progress-store.js';
import { startAttempt } from './quiz-start.js';

const enc = encodeURIComponent;

export async function render(ctx) {
  const slug = ctx.params.slug;
  let course;
  try {
    course = await api(withQuery(`/api/courses/${enc(slug)}`, { lang: currentLang() }));
  } catch (err) {
    return [pageHeader(t('course.title'), { crumbs: [{ label: t('nav.courses'), href: '#/courses' }] }), unavailable(err, t('course.unavailable'))];
  }
  const learner = ctx.user.role === 'learner';
  let progress = null;
  let progressError = null;
  if (learner) {
    try {
      progress = await api(`/api/courses/${enc(slug)}/progress`);
    } catch (err) {
      progressError = err;
    }
  }
  const enrolled = Boolean(progress);
  const modules = [...(course.modules || [])].sort((a, b) => (a.position || 0) - (b.position || 0));
  const done = completedModules(progress);
  const total = (progress && progress.modules_total) || modules.length;
  const completedCount = progress ? (progress.modules_completed || 0) : 0;

  const actions = [];
  if (learner && !enrolled) {
    const enrol = button(t('course.enrol'), async () => {
      await busy(enrol, async () => {
        try {
          await api(`/api/courses/${enc(slug)}/enrolment`, { method: 'POST' });
          toast(t('course.enrolledToast'));
          // The keyboard goes on from the button that replaces "Enrol".
          ctx.rerender({ focus: '#course-next' });
        } catch (err) {
          enrolBox.replaceChildren(errorBox(err));
        }
      });
    }, { attrs: { id: 'enrol' } });
    actions.push(enrol);
  }
  if (learner && enrolled && modules.length) {
    // A completed course (or every module read): the button reviews from the start (and the
    // course points to its certificate), never "Continue" into module 1.
    const finished = Boolean(progress.completed_at);
    const next = finished ? null : modules.find((m) => !done.has(m.slug));
    const label = !next ? t('course.review') : (completedCount ? t('course.continue') : t('course.start'));
    actions.push(h('a', { class: 'btn btn-primary', id: 'course-next', href: `#/courses/${enc(slug)}/${enc((next || modules[0]).slug)}` },
      h('span', {}, label), icon('arrowRight')));
    if (progress && progress.certificate_code) {
      actions.push(h('a', { class: 'btn btn-secondary', href: '#/certificates' }, t('quiz.seeCertificate')));
    }
  }
  const enrolBox = h('div', { class: 'enrol-box' });

  const header = pageHeader(course.title, {
    crumbs: [{ label: t('nav.courses'), href: '#/courses' }, { label: course.title }],
    lead: course.summary,
    actions,
  });
  const meta = h('ul', { class: 'meta-row meta-strip' },
    h('li', {}, badge(topicLabel(course.topic), `topic-${course.topic || 'other'}`)),
    h('li', {}, icon('clock'), t('course.minutes', { n: course.estimated_minutes })),
    h('li', {}, icon('book'), tn('course.moduleCount', modules.length)),
    h('li', { class: 'langs' }, (course.languages || []).map((l) => h('abbr', { class: 'lang-tag', title: t(`lang.${l}`), lang: l }, l.toUpperCase()))));

  const out = [header, meta, enrolBox];
  // The course has no modules in the UI language: say which language it is shown in.
  const wanted = currentLang();
  if (course.languages && course.languages.length && !course.languages.includes(wanted)) {
    const shown = course.languages.includes(course.language) ? course.language : course.default_language;
    out.push(h('div', { class: 'alert alert-info', role: 'note', id: 'course-fallback-notice' },
      h('p', {}, t('course.fallback', { shown: langInText(shown || 'en'), wanted: langInText(wanted) }))));
  }
  if (learner && progressError && !(progressError instanceof ApiError && [403, 404].includes(progressError.status))) {
    out.push(notice(t('course.progressUnavailable')));
  }
  if (learner && progress && progress.completed_at) {
    const code = progress.certificate_code;
    out.push(h('div', { class: 'alert alert-success completion-banner', role: 'status' },
      h('p', { class: 'alert-title' }, t('course.completedOn', { date: fmt.date(progress.completed_at) })),
      code ? h('p', { class: 'button-row' },
        button(t('cert.downloadPdf'), (e) => downloadCert(code, e.currentTarget), { kind: 'secondary', iconName: 'download', small: true }),
        h('a', { href: `/verify/${enc(code)}`, class: 'btn btn-ghost btn-small', target: '_blank', rel: 'noopener' }, t('cert.verify'))) : null));
  }

  const layout = h('div', { class: 'course-layout' });
  const mainCol = h('section', { class: 'card', 'aria-labelledby': 'modules-heading' },
    h('div', { class: 'card-head' }, h('h2', { id: 'modules-heading' }, t('course.modules')),
      enrolled ? h('span', { class: 'muted' }, t('course.progressCount', { done: completedCount, total })) : null),
    enrolled ? progressBar(completedCount, total, t('course.progress')) : null,
    h('ol', { class: 'module-list', id: 'module-list' }, modules.map((m) => {
      const isDone = done.has(m.slug);
      return h('li', { class: ['module-item', isDone ? 'is-done' : null] },
        h('span', { class: 'tick', 'aria-hidden': 'true' }, isDone ? icon('check') : String(m.position || '')),
        h('a', { href: `#/courses/${enc(slug)}/${enc(m.slug)}` }, m.title),
        isDone ? h('span', { class: 'sr-only' }, t('module.completedSr')) : null);
    })));
  const side = h('div', { class: 'side-col' });
  side.append(quizCard(ctx, course, progress, enrolled));
  side.append(materialsCard(ctx, course, enrolled, course.materials || []));
  layout.append(mainCol, side);
  out.push(layout);
  return out;
}

async function downloadCert(code, btn) {
  await busy(btn, async () => {
    try { await download(`/api/certificates/${enc(code)}/pdf`, `certificate-${code}.pdf`); } catch (err) { toast(err.detail || t('error.download'), 'error'); }
  });
}

function quizCard(ctx, course, progress, enrolled) {
  const quiz = course.quiz;
  const card = h('section', { class: 'card quiz-card', 'aria-labelledby': 'quiz-heading' }, h('h2', { id: 'quiz-heading' }, t('quiz.title')));
  if (!quiz) {
    card.append(h('p', { class: 'muted' }, t('quiz.none')));
    return card;
  }
  const qp = (progress && progress.quiz) || {};
  const used = qp.attempts_used || 0;
  const left = Math.max(0, (quiz.max_attempts || 0) - used);
  card.append(h('dl', { class: 'facts' },
    fact(t('quiz.questions'), fmt.number(quiz.question_count)),
    fact(t('quiz.passMark'), `${quiz.pass_mark} %`),
    fact(t('quiz.timeLimit'), quiz.time_limit_minutes ? t('course.minutes', { n: quiz.time_limit_minutes }) : t('quiz.noLimit')),
    enrolled ? fact(t('quiz.attemptsUsed'), t('quiz.attemptsOf', { used, max: quiz.max_attempts })) : fact(t('quiz.attemptsAllowed'), fmt.number(quiz.max_attempts)),
    enrolled && qp.best_score !== null && qp.best_score !== undefined ? fact(t('quiz.bestScore'), fmt.percent(qp.best_score)) : null));
  if (enrolled && qp.passed) card.append(badge(t('quiz.passed'), 'success'));
  if (ctx.user.role !== 'learner') return card;
  const box = h('div', { class: 'quiz-actions' });
  card.append(box);
  if (!enrolled) {
    box.append(h('p', { class: 'muted' }, t('quiz.enrolFirst')));
    return card;
  }
  // The server knows an attempt started on another device; this browser's memory is the
  // fallback for an older server.
  const open = qp.open_attempt_id || openAttemptFor(ctx.user.id, course.slug);
  if (open) {
    box.append(h('a', { class: 'btn btn-primary', id: 'resume-quiz', href: `#/attempts/${enc(open)}` }, t('quiz.resume')));
    return card;
  }
  if (qp.passed) {
    box.append(h('p', { class: 'muted' }, t('quiz.alreadyPassed')));
  }
  if (left <= 0) {
    box.append(h('p', { class: 'muted' }, t('quiz.noAttemptsLeft')));
    return card;
  }
  const start = button(tn('quiz.startLeft', left), async () => {
    try {
      await startAttempt({ slug: course.slug, timeLimit: quiz.time_limit_minutes, userId: ctx.user.id, button: start });
    } catch (err) {
      box.replaceChildren(errorBox(err));
    }
  }, { attrs: { id: 'start-quiz' } });
  box.append(start);
  return card;
}

function fact(label, value) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, value));
}

function materialsCard(ctx, course, enrolled, materials) {
  const staff = ctx.user.role === 'coordinator' || ctx.user.role === 'admin';
  const card = h('section', { class: 'card', 'aria-labelledby': 'materials-heading' }, h('h2', { id: 'materials-heading' }, t('materials.title')));
  if (!materials.length) card.append(h('p', { class: 'muted' }, t('materials.none')));
  else {
    card.append(h('ul', { class: 'file-list' }, materials.map((m) => {
      const title = m.title || m.filename;
      const dl = button(title, async () => {
        await busy(dl, async () => {
          try { await download(`/api/materials/${enc(m.id)}`, m.filename || title, { accept: 'application/json, */*;q=0.5' }); } catch (err) { toast(err.status === 403 || err.status === 404 ? t('materials.enrolFirst') : (err.detail || t('error.download')), 'error'); }
        });
      }, { kind: 'link', iconName: 'download', attrs: { disabled: !(enrolled || staff) || undefined } });
      return h('li', {}, dl,
        h('span', { class: 'muted small' }, [m.content_type ? m.content_type.split('/').pop().toUpperCase() : null, m.size ? fmt.bytes(m.size) : null].filter(Boolean).join(' · ')),
        staff ? button(t('action.delete'), async () => {
          if (!(await confirmDialog(t('materials.confirmDelete', { title }), { danger: true, confirmLabel: t('action.delete') }))) return;
          try { await api(`/api/materials/${enc(m.id)}`, { method: 'DELETE' }); toast(t('materials.deleted')); ctx.rerender(); } catch (err) { toast(err.detail || t('error.generic'), 'error'); }
        }, { kind: 'ghost', small: true }) : null);
    })));
    if (!enrolled && !staff) card.append(h('p', { class: 'muted small' }, t('materials.enrolFirst')));
  }
  if (staff) card.append(uploadForm(ctx, course));
  return card;
}

function uploadForm(ctx, course) {
  const title = input({ name: 'title', required: true, maxlength: '200' });
  const file = h('input', { type: 'file', name: 'file', required: true });
  const errors = h('div', {});
  const submit = h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, t('materials.upload'));
  const form = h('form', { class: 'stack upload-form' },
    h('h3', {}, t('materials.addTitle')), errors,
    field(t('materials.fieldTitle'), title, { name: 'title' }),
    field(t('materials.fieldFile'), file, { name: 'file', hint: t('materials.fileHint') }),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!file.files.length) { showFormErrors(form, new ApiError(422, { detail: t('materials.chooseFile'), errors: [] }), errors); return; }
    const data = new FormData();
    data.append('title', title.value.trim() || file.files[0].name);
    data.append('file', file.files[0]);
    await busy(submit, async () => {
      try {
        await request(`/api/courses/${enc(course.slug)}/materials`, { method: 'POST', form: data });
        toast(t('materials.uploaded'));
        ctx.rerender();
      } catch (err) {
        if (err.status === 413) err.detail = err.detail || t('materials.tooLarge');
        if (err.status === 415) err.detail = err.detail || t('materials.badType');
        showFormErrors(form, err, errors);
      }
    });
  });
  return form;
}

export { empty };
