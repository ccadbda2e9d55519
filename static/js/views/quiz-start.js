// Starting a quiz attempt: from the course page ("Start the quiz") and from a failed attempt's
// result ("Try again"). One confirmation (the clock starts, and it uses up an attempt), then the
// attempt's page.
import { t, currentLang } from '../i18n.js';
import { api, withQuery } from '../api.js';
import { busy, confirmDialog } from '../ui.js';

const enc = encodeURIComponent;

/**
 * Asks, starts an attempt of the quiz of `slug` and opens it. `timeLimit`: minutes or null.
 * Resolves to false when the learner said no; throws the server's error (e.g. no attempts left).
 */
export async function startAttempt({ slug, timeLimit, userId, button }) {
  const ok = await confirmDialog(timeLimit ? t('quiz.confirmStartTimed', { n: timeLimit }) : t('quiz.confirmStart'), { confirmLabel: t('quiz.start') });
  if (!ok) return false;
  await busy(button, async () => {
    const attempt = await api(withQuery(`/api/courses/${enc(slug)}/quiz/attempts`, { lang: currentLang() }), { method: 'POST' });
    sessionStorage.setItem(`academy.attempt.${attempt.id}`, JSON.stringify(attempt));
    localStorage.setItem(`academy.open-attempt.${userId}.${slug}`, String(attempt.id));
    localStorage.setItem(`academy.attempt-course.${attempt.id}`, slug);
    location.hash = `#/attempts/${enc(attempt.id)}`;
  });
  return true;
}
