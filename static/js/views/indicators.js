// The programme indicator: SMEs served (a completed course or an attended advisory session)
// per quarter, as a bar chart people read at a glance, the table by country and region under
// it, and the same table as a spreadsheet-ready CSV.
import { h } from '../dom.js';
import { t, currentLang } from '../i18n.js';
import { api } from '../api.js';
import * as fmt from '../format.js';
import { pageHeader, unavailable, empty, table, toast } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** One bar per quarter, its value above it; the numbers are also in the table below. */
function chart(quarters) {
  // Narrow for few quarters, so the labels stay legible when the chart shrinks to a phone.
  const width = Math.min(640, Math.max(320, quarters.length * 96));
  const height = 240;
  const top = 24;
  const bottom = 28;
  const max = Math.max(1, ...quarters.map((q) => q.smes_served));
  const slot = width / Math.max(quarters.length, 1);
  const bar = Math.min(56, slot * 0.6);
  const scale = (height - top - bottom) / max;
  const summary = quarters.map((q) => `${q.quarter}: ${q.smes_served}`).join(', ');
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'bar-chart', role: 'img', 'aria-label': t('indicators.chartLabel', { summary }) },
    svg('line', { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: 'bar-axis' }),
    quarters.map((q, i) => {
      const x = i * slot + (slot - bar) / 2;
      const barHeight = Math.max(q.smes_served * scale, q.smes_served ? 2 : 0);
      const y = height - bottom - barHeight;
      return svg('g', {},
        svg('rect', { x, y, width: bar, height: barHeight, rx: 3, class: 'bar' }),
        svg('text', { x: x + bar / 2, y: y - 6, 'text-anchor': 'middle', class: 'bar-value' }, fmt.number(q.smes_served)),
        svg('text', { x: x + bar / 2, y: height - 8, 'text-anchor': 'middle', class: 'bar-label' }, q.quarter));
    }));
}

const COLUMNS = ['quarter', 'country', 'region', 'served', 'withCompletion', 'withSession'];

function cells(r) {
  return [r.quarter, t(`country.${r.country}`), r.region, r.smes_served, r.smes_with_completion, r.smes_with_advisory_session];
}

/** The table as CSV for a spreadsheet in the UI's language (BOM; `;` where Excel expects it). */
function csvHref(items) {
  const sep = currentLang() === 'en' ? ',' : ';';
  const quote = (v) => {
    const s = String(v);
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",;\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [COLUMNS.map((c) => t(`indicators.col.${c}`)), ...items.map(cells)].map((row) => row.map(quote).join(sep));
  return `data:text/csv;charset=utf-8,${encodeURIComponent(`\ufeff${lines.join('\r\n')}\r\n`)}`;
}

export async function render() {
  const header = pageHeader(t('indicators.title'), { lead: t('indicators.lead') });
  let data;
  try { data = await api('/api/reports/indicators'); } catch (err) { return [header, unavailable(err)]; }
  const items = data.items || [];
  const quarters = data.quarters || [];
  if (!quarters.length) return [header, empty(t('indicators.none.title'), t('indicators.none.text'))];
  const total = h('p', { class: 'import-summary', id: 'indicators-total' }, t('indicators.total', { n: fmt.number(data.smes_served_total) }));
  const exportLink = h('a', { class: 'btn btn-secondary', id: 'indicators-csv', href: csvHref(items), download: 'indicators.csv' }, t('indicators.export'));
  exportLink.addEventListener('click', () => toast(t('staff.downloaded', { name: 'indicators.csv' })));
  const cols = COLUMNS.map((c, i) => ({ label: t(`indicators.col.${c}`), numeric: i >= 3, render: (r) => String(cells(r)[i]) }));
  return [header,
    h('section', { class: 'card stack', 'aria-labelledby': 'chart-heading' },
      h('h2', { id: 'chart-heading' }, t('indicators.chartTitle')), total, chart(quarters),
      h('div', { class: 'button-row' }, exportLink)),
    table(cols, items, { caption: t('indicators.tableCaption') })];
}

