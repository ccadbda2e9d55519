import { h, icon, richText, plainText, uid } from '../dom.js';
import { t, tn, currentLang } from '../i18n.js';
import { api, withQuery, ApiError } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, errorBox, badge, busy, button, confirmDialog, notice, toast, errorMessage as errorMessageOf } from '../ui.js';
import { closeAttempt } from './progress-store.js';
import { startAttempt } from './quiz-start.js';

const enc = encodeURIComponent;

function courseOf(attempt, id) {
  return attempt.course || localStorage.getItem(`academy.attempt-course.${id}`) || null;
}

export async function render(ctx) {
  const id = ctx.params.id;
  let attempt;
  try {
    attempt = await api(withQuery(`/api/quiz-attempts/${enc(id)}`, { lang: currentLang() }));
  } catch (err) {
    // Fall back to the attempt as it was returned when started (same browser tab).
    const cached = sessionStorage.getItem(`academy.attempt.${id}`);
    if (cached && err instanceof ApiError && (err.status === 404 || err.status === 405)) attempt = JSON.parse(cached);
    else return [pageHeader(t('quiz.title')), unavailable(err, t('quiz.unavailable'))];
  }
  const slug = courseOf(attempt, id);
  let courseTitle = attempt.course_title;
  if (slug && !courseTitle) {
    try { courseTitle = (await api(withQuery(`/api/courses/${enc(slug)}`, { lang: currentLang() }))).title; } catch { /* the crumb says "Course" */ }
  }
  const crumbs = [{ label: t('nav.courses'), href: '#/courses' }];
  if (slug) crumbs.push({ label: courseTitle || t('course.title'), href: `#/courses/${enc(slug)}` });
  crumbs.push({ label: t('quiz.title') });
  const result = attempt.result || (attempt.submitted_at && attempt.score !== undefined ? attempt : null);
  if (result || attempt.submitted_at || (attempt.status && attempt.status !== 'open')) {
    closeAttempt(ctx.user.id, slug, id);
    return [pageHeader(t('quiz.resultTitle'), { crumbs }), resultView(result || {}, attempt.questions || [], slug, attempt, ctx.user.id)];
  }
  return takeView(ctx, attempt, id, slug, crumbs);
}

function takeView(ctx, attempt, id, slug, crumbs) {
  const questions = attempt.questions || [];
  const localKey = `academy.answers.${id}`;
  let answers = {};
  try { answers = JSON.parse(localStorage.getItem(localKey)) || {}; } catch { answers = {}; }
  if (attempt.answers && typeof attempt.answers === 'object' && !Array.isArray(attempt.answers)) answers = { ...answers, ...attempt.answers };

  const status = h('p', { class: 'save-status muted small', 'aria-live': 'polite', id: 'save-status' });
  let timer = null;
  let submitted = false;

  const save = () => {
    try { localStorage.setItem(localKey, JSON.stringify(answers)); } catch { /* ignore */ }
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (submitted) return;
      try {
        // Every question, null for the unanswered ones: null clears an answer saved earlier.
        const full = Object.fromEntries(questions.map((q) => [q.id, answers[q.id] === undefined ? null : answers[q.id]]));
        await api(`/api/quiz-attempts/${enc(id)}/answers`, { method: 'PUT', body: { answers: full } });
        status.textContent = t('quiz.saved');
        status.dataset.state = 'server';
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) { status.textContent = t('quiz.deadlinePassed'); status.dataset.state = 'closed'; }
        else { status.textContent = err instanceof ApiError && err.status === 422 ? errorMessageOf(err) : t('quiz.saveFailed'); status.dataset.state = 'error'; }
      }
    }, 600);
  };
  ctx.onCleanup(() => clearTimeout(timer));

  const set = (qid, value) => {
    if (value === undefined || value === '' || (Array.isArray(value) && !value.length)) delete answers[qid];
    else answers[qid] = value;
    save();
    updateCount();
  };

  const list = h('ol', { class: 'question-list', id: 'questions' });
  questions.forEach((q, i) => list.append(questionView(q, i, answers[q.id], set)));
  const count = h('span', { class: 'muted' });
  const updateCount = () => { count.textContent = t('quiz.answeredCount', { done: questions.filter((q) => answers[q.id] !== undefined).length, total: questions.length }); };
  updateCount();

  const errors = h('div', {});
  // A shorter label on a phone, so that the sticky footer keeps to one line.
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'submit-quiz' },
    h('span', { class: 'label-long' }, t('quiz.submit')), h('span', { class: 'label-short' }, t('quiz.submitShort')));
  const form = h('form', { class: 'quiz-form', novalidate: true }, list, h('div', { class: 'quiz-footer card' }, h('div', {}, count, status), errors, submitBtn));

  const doSubmit = async () => {
    if (submitted) return;
    submitted = true;
    clearTimeout(timer);
    await busy(submitBtn, async () => {
      try {
        const res = await api(`/api/quiz-attempts/${enc(id)}/submission`, { method: 'POST', body: { answers } });
        closeAttempt(ctx.user.id, slug, id);
        ctx.el.replaceChildren(pageHeader(t('quiz.resultTitle'), { crumbs }), resultView(res, questions, slug, attempt, ctx.user.id));
        window.scrollTo(0, 0);
        ctx.el.querySelector('h1').focus();
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) { closeAttempt(ctx.user.id, slug, id); ctx.rerender(); return; }
        submitted = false;
        errors.replaceChildren(errorBox(err));
      }
    });
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const missing = questions.filter((q) => answers[q.id] === undefined).length;
    if (missing && !(await confirmDialog(tn('quiz.confirmMissing', missing), { confirmLabel: t('quiz.submit') }))) return;
    if (!missing && !(await confirmDialog(t('quiz.confirmSubmit'), { confirmLabel: t('quiz.submit') }))) return;
    doSubmit();
  });

  const out = [pageHeader(t('quiz.title'), { crumbs, lead: t('quiz.takeLead') })];
  if (attempt.deadline) {
    // Trust the server's remaining time over this device's clock when it is given.
    const deadline = typeof attempt.time_left_seconds === 'number'
      ? Date.now() + attempt.time_left_seconds * 1000
      : new Date(attempt.deadline).getTime();
    const clock = h('span', { class: 'countdown-time', id: 'countdown' });
    const bar = h('div', { class: 'countdown', role: 'timer', 'aria-live': 'off' }, icon('clock'), h('span', {}, t('quiz.timeLeft')), clock,
      h('span', { class: 'muted small countdown-until' }, t('quiz.deadlineAt', { time: fmt.dateTime(attempt.deadline) })));
    const tick = () => {
      const left = deadline - Date.now();
      clock.textContent = fmt.countdown(left);
      bar.classList.toggle('is-urgent', left < 120000);
      if (left <= 0) {
        clearInterval(interval);
        toast(t('quiz.timeUp'), 'error');
        doSubmit();
      }
    };
    const interval = setInterval(tick, 1000);
    ctx.onCleanup(() => clearInterval(interval));
    tick();
    out.push(bar);
  }
  if (!questions.length) out.push(notice(t('quiz.noQuestions')));
  out.push(form);
  return out;
}

function labelOf(x) {
  if (x === null || x === undefined) return '';
  if (typeof x === 'string') return x;
  return x.label_html || x.label || x.text_html || x.text || x.left_html || x.left || x.right_html || x.right || x.prompt_html || x.prompt || x.id || '';
}

function questionView(q, index, value, set) {
  const promptId = uid('q');
  const li = h('li', { class: 'question card', dataset: { kind: q.kind, question: q.id } });
  li.append(h('p', { class: 'question-number' }, t('quiz.questionN', { n: index + 1 }), ' · ', t(`quiz.kind.${q.kind}`)));
  const prompt = h('div', { class: 'question-prompt', id: promptId });
  prompt.append(richText(q.prompt_html || q.prompt || ''));
  li.append(prompt);
  const name = `q-${index}`;
  const options = q.options || [];
  if (q.kind === 'single' || q.kind === 'multiple') {
    const multiple = q.kind === 'multiple';
    const selected = new Set(Array.isArray(value) ? value : value ? [value] : []);
    const group = h('fieldset', { class: 'choices' }, h('legend', { class: 'sr-only' }, plainText(q.prompt_html || q.prompt)));
    if (multiple) group.append(h('p', { class: 'hint' }, t('quiz.chooseAll')));
    for (const o of options) {
      const id = uid('opt');
      const box = h('input', { type: multiple ? 'checkbox' : 'radio', name, id, value: o.id, checked: selected.has(String(o.id)) || selected.has(o.id) });
      box.addEventListener('change', () => {
        const chosen = [...group.querySelectorAll('input:checked')].map((x) => x.value);
        set(q.id, chosen);
      });
      group.append(h('label', { class: 'choice', for: id }, box, h('span', {}, richText(labelOf(o)))));
    }
    li.append(group);
  } else if (q.kind === 'true_false') {
    const group = h('fieldset', { class: 'choices choices-inline' }, h('legend', { class: 'sr-only' }, plainText(q.prompt_html || q.prompt)));
    for (const v of [true, false]) {
      const id = uid('opt');
      const box = h('input', { type: 'radio', name, id, value: String(v), checked: value === v || value === String(v) });
      box.addEventListener('change', () => set(q.id, v));
      group.append(h('label', { class: 'choice', for: id }, box, h('span', {}, v ? t('quiz.true') : t('quiz.false'))));
    }
    li.append(group);
  } else if (q.kind === 'text') {
    const id = uid('ans');
    const field = h('input', { type: 'text', id, class: 'answer-input', autocomplete: 'off', value: typeof value === 'string' ? value : '', 'aria-describedby': promptId, maxlength: '300' });
    field.addEventListener('input', () => set(q.id, field.value.trim() ? field.value : undefined));
    li.append(h('label', { for: id, class: 'answer-label' }, t('quiz.yourAnswer')), field);
  } else if (q.kind === 'numeric') {
    const id = uid('ans');
    const field = h('input', { type: 'text', inputmode: 'decimal', id, class: 'answer-input answer-number', autocomplete: 'off', value: value === undefined || value === null ? '' : String(value), 'aria-describedby': promptId });
    const warn = h('p', { class: 'field-error', hidden: true }, t('quiz.notANumber'));
    field.addEventListener('input', () => {
      const raw = field.value.trim().replace(/\s/g, '').replace(',', '.');
      if (!raw) { warn.hidden = true; set(q.id, undefined); return; }
      const n = Number(raw);
      warn.hidden = Number.isFinite(n);
      if (Number.isFinite(n)) set(q.id, n);
    });
    li.append(h('label', { for: id, class: 'answer-label' }, t('quiz.yourNumber')), field, warn);
  } else if (q.kind === 'matching') {
    const lefts = q.pairs || q.lefts || q.left || q.items || q.prompts || [];
    const rights = q.rights || q.right || q.choices || q.right_options || q.options || [];
    const current = value && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
    const grid = h('div', { class: 'matching' });
    for (const l of lefts) {
      const id = uid('match');
      const sel = h('select', { id },
        h('option', { value: '' }, t('quiz.chooseMatch')),
        rights.map((r) => h('option', { value: r.id, selected: current[l.id] === r.id || undefined }, plainText(labelOf(r)))));
      sel.addEventListener('change', () => {
        if (sel.value) current[l.id] = sel.value; else delete current[l.id];
        set(q.id, Object.keys(current).length ? { ...current } : undefined);
      });
      grid.append(h('div', { class: 'match-row' }, h('label', { for: id, class: 'match-left' }, richText(labelOf(l))), sel));
    }
    li.append(grid);
  } else {
    li.append(notice(t('quiz.unknownKind')));
  }
  return li;
}

/** After a failed attempt: how many attempts are left, and a button that starts the next one. */
function retry(attempt, slug, userId) {
  const left = typeof attempt.max_attempts === 'number' && typeof attempt.attempt_no === 'number' ? attempt.max_attempts - attempt.attempt_no : null;
  if (left === null) return h('p', { class: 'muted' }, t('quiz.tryAgainHint'));
  if (left <= 0) return h('p', { class: 'muted', id: 'attempts-left' }, t('quiz.noAttemptsLeft'));
  const box = h('div', { class: 'stack retry' }, h('p', { class: 'muted', id: 'attempts-left' }, tn('quiz.attemptsLeft', left)));
  if (slug) {
    const again = button(t('quiz.tryAgain'), async () => {
      try {
        await startAttempt({ slug, timeLimit: attempt.time_limit_minutes, userId, button: again });
      } catch (err) {
        box.replaceChildren(errorBox(err));
      }
    }, { attrs: { id: 'try-again' } });
    box.append(h('p', {}, again));
  }
  return box;
}

function resultView(res, questions, slug, attempt = {}, userId = null) {
  const score = res.score;
  const passed = Boolean(res.passed);
  const wrap = h('div', { class: 'result', id: 'quiz-result' });
  wrap.append(h('section', { class: ['card', 'result-summary', passed ? 'is-passed' : 'is-failed'] },
    h('div', { class: 'score-ring', 'aria-hidden': 'true' }, score === undefined || score === null ? '—' : `${Math.round(score)}`),
    h('div', {},
      h('p', { class: 'result-score' }, t('quiz.score', { score: score === undefined || score === null ? '—' : fmt.number(Math.round(score * 10) / 10) })),
      passed ? badge(t('quiz.passed'), 'success') : badge(t('quiz.notPassed'), 'warning'),
      res.pass_mark !== undefined ? h('p', { class: 'muted small' }, t('quiz.passMarkWas', { n: res.pass_mark })) : null,
      res.late ? h('p', { class: 'muted small' }, t('quiz.late')) : null,
      res.course_completed ? h('p', { class: 'result-complete' }, t('quiz.courseCompleted'), ' ', h('a', { href: '#/certificates' }, t('quiz.seeCertificate'))) : null,
      !passed ? retry(attempt, slug, userId) : null)));
  const byId = Object.fromEntries(questions.map((q) => [String(q.id), q]));
  const feedback = Array.isArray(res.feedback) ? res.feedback : [];
  if (feedback.length) {
    const list = h('ol', { class: 'feedback-list' });
    for (const f of feedback) {
      if (typeof f === 'string') { list.append(h('li', { class: 'card feedback' }, richText(f))); continue; }
      const q = byId[String(f.question_id || f.id)];
      const correct = f.correct === true;
      const pts = typeof f.points === 'number' ? f.points : f.score;
      const partial = !correct && typeof pts === 'number' && pts > 0;
      const texts = [];
      for (const k of ['feedback', 'feedback_html', 'explanation', 'explanation_html', 'message']) {
        const v = f[k];
        if (typeof v === 'string' && v) texts.push(v);
        else if (Array.isArray(v)) v.forEach((x) => texts.push(typeof x === 'string' ? x : labelOf(x) || x.feedback || ''));
      }
      list.append(h('li', { class: ['card', 'feedback', correct ? 'is-correct' : partial ? 'is-partial' : 'is-wrong'] },
        h('p', { class: 'feedback-status' }, icon(correct ? 'check' : 'x'), correct ? t('quiz.correct') : partial ? t('quiz.partial') : t('quiz.incorrect')),
        q ? h('div', { class: 'question-prompt' }, richText(q.prompt_html || q.prompt)) : (f.prompt || f.prompt_html ? h('div', { class: 'question-prompt' }, richText(f.prompt_html || f.prompt)) : null),
        texts.filter(Boolean).map((x) => h('p', { class: 'feedback-text' }, richText(x))),
        !correct && f.correct_answer !== undefined && f.correct_answer !== null ? correctAnswer(q, f.correct_answer) : null));
    }
    wrap.append(h('h2', {}, t('quiz.feedback')), list);
  }
  if (res.answers_revealed === false) wrap.append(h('p', { class: 'muted' }, t('quiz.answersHidden')));
  wrap.append(h('p', { class: 'button-row' }, slug ? h('a', { class: 'btn btn-secondary', href: `#/courses/${enc(slug)}` }, t('module.backToCourse')) : h('a', { class: 'btn btn-secondary', href: '#/courses' }, t('nav.courses'))));
  return wrap;
}

/** "Correct answer: …" from the `correct_answer` the server reveals when the quiz policy allows. */
function correctAnswer(q, answer) {
  let text = '';
  if (Array.isArray(answer)) {
    const opts = (q && q.options) || [];
    text = answer.map((id) => { const o = opts.find((x) => String(x.id) === String(id)); return o ? plainText(labelOf(o)) : (typeof id === 'string' ? id : ''); }).filter(Boolean).join(' · ');
  } else if (typeof answer === 'boolean') {
    text = answer ? t('quiz.true') : t('quiz.false');
  } else if (typeof answer === 'number' || typeof answer === 'string') {
    text = String(answer);
  } else if (answer && typeof answer === 'object' && 'answer' in answer) {
    text = answer.tolerance ? `${fmt.number(answer.answer)} (± ${fmt.number(answer.tolerance)})` : fmt.number(answer.answer);
  } else if (answer && typeof answer === 'object' && q) {
    const lefts = q.left || q.pairs || [];
    const rights = q.right || q.rights || [];
    text = Object.entries(answer).map(([l, r]) => {
      const left = lefts.find((x) => x.id === l);
      const right = rights.find((x) => x.id === r);
      return `${left ? plainText(labelOf(left)) : l} → ${right ? plainText(labelOf(right)) : r}`;
    }).join('; ');
  }
  if (!text) return null;
  return h('p', { class: 'feedback-answer' }, h('strong', {}, `${t('quiz.correctAnswer')} `), text);
}
