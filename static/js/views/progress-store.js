// What the browser remembers about a learner's quiz attempts (the open attempt of a course, and
// answers not yet saved); module progress always comes from the server.

/** Slugs of the modules the server's progress lists as read. */
export function completedModules(progress) {
  return new Set((progress && progress.completed_modules) || []);
}

export function openAttemptFor(userId, slug) {
  try { return localStorage.getItem(`academy.open-attempt.${userId}.${slug}`); } catch { return null; }
}

export function closeAttempt(userId, slug, attemptId) {
  try {
    if (slug) localStorage.removeItem(`academy.open-attempt.${userId}.${slug}`);
    localStorage.removeItem(`academy.answers.${attemptId}`);
  } catch { /* ignore */ }
}
