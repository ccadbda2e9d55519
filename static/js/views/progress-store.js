// What the browser remembers about progress when the server does not say it per module.

/** Slugs of completed modules: from the server's progress when it lists them, else this browser's record. */
export function completedModules(progress, slug, userId) {
  const set = new Set();
  if (progress) {
    const list = progress.completed_modules || progress.modules_completed_slugs;
    if (Array.isArray(list)) list.forEach((m) => set.add(typeof m === 'string' ? m : m.slug));
    if (Array.isArray(progress.modules)) progress.modules.forEach((m) => { if (m && (m.completed || m.completed_at)) set.add(m.slug); });
    if (set.size) return set;
  }
  for (const m of localList(slug, userId)) set.add(m);
  return set;
}

function key(slug, userId) { return `academy.done.${userId}.${slug}`; }

function localList(slug, userId) {
  try { return JSON.parse(localStorage.getItem(key(slug, userId))) || []; } catch { return []; }
}

export function rememberCompleted(slug, userId, moduleSlug) {
  const list = new Set(localList(slug, userId));
  list.add(moduleSlug);
  try { localStorage.setItem(key(slug, userId), JSON.stringify([...list])); } catch { /* ignore */ }
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
