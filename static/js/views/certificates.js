import { h, icon } from '../dom.js';
import { t, currentLang } from '../i18n.js';
import { api, download, withQuery } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, badge, button, busy, toast } from '../ui.js';

const enc = encodeURIComponent;

/** A button that saves a protected file (fetched with the bearer token, see api.js download). */
function downloadButton(label, path, fallbackName, accept, { small = true, attrs } = {}) {
  return button(label, async (e) => {
    await busy(e.currentTarget, async () => {
      try { await download(path, fallbackName, { accept }); } catch (err) { toast(err.detail || t('error.download'), 'error'); }
    });
  }, { kind: 'secondary', small, iconName: 'download', attrs });
}

export function pdfButton(code, small = true) {
  return downloadButton(t('cert.downloadPdf'), `/api/certificates/${enc(code)}/pdf`, `certificate-${code}.pdf`, 'application/pdf', { small });
}

/**
 * The certificate's Open Badges 3.0 credential, for a wallet or a profile: the badge image with
 * the signed credential baked in, the credential as readable JSON, and the signed VC-JWT.
 * Only for certificates whose list item names these files (servers without them show none).
 */
function credentialDownloads(c) {
  const files = [
    [c.badge_url, t('cert.badgePng'), `badge-${c.code}.png`, 'image/png', 'badge'],
    [c.credential_json_url, t('cert.credentialJson'), `credential-${c.code}.json`, 'application/json', 'json'],
    [c.credential_url, t('cert.credentialJwt'), `credential-${c.code}.jwt`, 'application/vc+jwt', 'jwt'],
  ].filter(([url]) => typeof url === 'string' && url);
  if (!files.length) return null;
  const labelId = `cert-credential-${c.code}`;
  return h('div', { class: 'cert-credential', role: 'group', 'aria-labelledby': labelId },
    h('p', { class: 'cert-credential-title', id: labelId }, t('cert.openBadge')),
    h('div', { class: 'button-row' }, files.map(([url, label, name, accept, kind]) => downloadButton(label, url, name, accept,
      { attrs: { 'data-credential': kind } }))));
}

export function verifyLink(code) {
  // In the reader's language: the verify page takes ?lang= (it otherwise follows the browser).
  return h('a', { href: `/verify/${enc(code)}?lang=${enc(currentLang())}`, class: 'btn btn-ghost btn-small', target: '_blank', rel: 'noopener' }, t('cert.verify'));
}

/**
 * LinkedIn's "Add to profile" form for a certification, filled in: the course, the hub, the
 * month it was completed, the code, and the public verify page as the certification URL.
 */
export function linkedInUrl(c, title) {
  const done = new Date(c.completed_at);
  const params = new URLSearchParams({
    startTask: 'CERTIFICATION_NAME',
    name: title,
    organizationName: 'IberoBio Academy',
    issueYear: String(done.getUTCFullYear()),
    issueMonth: String(done.getUTCMonth() + 1),
    certUrl: `${window.location.origin}/verify/${c.code}`,
    certId: c.code,
  });
  return `https://www.linkedin.com/profile/add?${params}`;
}

function linkedInLink(c, title) {
  return h('a', { href: linkedInUrl(c, title), class: 'btn btn-ghost btn-small linkedin-add', target: '_blank', rel: 'noopener' },
    t('cert.linkedIn'), h('span', { class: 'sr-only' }, ` (${t('cert.newWindow')})`));
}

/** Course titles by slug in the UI language (certificates and reports may name courses by slug). */
export async function courseTitles() {
  try {
    const items = (await api(withQuery('/api/courses', { lang: currentLang() }))).items || [];
    return Object.fromEntries(items.map((c) => [c.slug, c.title]));
  } catch {
    return {};
  }
}

export async function render() {
  let items;
  const titles = await courseTitles();
  try {
    items = (await api('/api/certificates')).items || [];
  } catch (err) {
    return [pageHeader(t('cert.title'), { lead: t('cert.lead') }), unavailable(err, t('cert.unavailable'))];
  }
  const list = h('ul', { class: 'cert-grid', id: 'cert-list' }, items.map((c) => h('li', { class: ['card', 'cert-card', c.revoked ? 'is-revoked' : null] },
    h('div', { class: 'cert-seal', 'aria-hidden': 'true' }, icon(c.revoked ? 'x' : 'check')),
    h('h2', { class: 'cert-course' }, c.course_title || titles[c.course] || c.course),
    h('p', { class: 'muted' }, t('cert.completedOn', { date: fmt.date(c.completed_at) })),
    h('p', { class: 'cert-code' }, h('span', { class: 'muted small' }, `${t('cert.code')} `), h('code', {}, c.code)),
    c.revoked ? badge(t('cert.revoked'), 'warning') : null,
    h('div', { class: 'button-row' }, c.revoked ? null : pdfButton(c.code), verifyLink(c.code),
      c.revoked ? null : linkedInLink(c, c.course_title || titles[c.course] || c.course)),
    c.revoked ? null : credentialDownloads(c))));
  // What an Open Badge is, once above the cards (when a certificate offers one).
  const note = items.some((c) => !c.revoked && c.badge_url)
    ? h('p', { class: 'cert-badge-note', id: 'cert-badge-note' }, t('cert.openBadgeNote'), ' ',
      h('a', { href: '#/verify' }, t('cert.openBadgeCheck')))
    : null;
  return [pageHeader(t('cert.title'), { lead: t('cert.lead') }), ...(note ? [note] : []),
    items.length ? list : empty(t('cert.empty.title'), t('cert.empty.text'), h('a', { class: 'btn btn-primary', href: '#/courses' }, t('nav.courses')))];
}
