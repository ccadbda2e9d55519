// Small DOM helpers: every piece of text goes in through textContent, never through HTML.

/** h('div', {class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (key === 'value' && 'value' in el) el.value = value;
      else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden' || key === 'required' || key === 'multiple') el[key] = Boolean(value);
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let idSeq = 0;
export function uid(prefix = 'f') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

const INLINE_TAGS = new Set(['STRONG', 'B', 'EM', 'I', 'CODE', 'SUP', 'SUB', 'BR', 'DEL', 'S', 'SPAN', 'P', 'A', 'KBD']);

/**
 * Rebuilds a short server-rendered snippet (quiz prompts, option labels) from a whitelist of
 * inline tags; every other element is reduced to its text. Nothing from the string is inserted
 * as HTML: the tree is parsed inertly and copied node by node.
 */
export function richText(html) {
  const frag = document.createDocumentFragment();
  if (html === null || html === undefined) return frag;
  const doc = new DOMParser().parseFromString(`<body>${String(html)}</body>`, 'text/html');
  const copy = (src, dest) => {
    for (const node of src.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        dest.append(document.createTextNode(node.textContent));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.tagName === 'SCRIPT' || node.tagName === 'STYLE') continue;
        if (INLINE_TAGS.has(node.tagName)) {
          const tag = node.tagName === 'P' ? 'span' : node.tagName.toLowerCase();
          const el = document.createElement(tag);
          if (node.tagName === 'A') {
            const href = node.getAttribute('href') || '';
            if (/^(https?:|#\/|\/)/i.test(href)) el.setAttribute('href', href);
            if (/^https?:/i.test(href)) { el.target = '_blank'; el.rel = 'noopener noreferrer'; }
          }
          copy(node, el);
          dest.append(el);
        } else {
          copy(node, dest);
        }
      }
    }
  };
  copy(doc.body, frag);
  return frag;
}

/** Plain text of a (possibly HTML) snippet, for labels of selects and aria text. */
export function plainText(html) {
  if (html === null || html === undefined) return '';
  const doc = new DOMParser().parseFromString(`<body>${String(html)}</body>`, 'text/html');
  return (doc.body.textContent || '').trim();
}

/** The one place where HTML from the API is used as HTML: course module bodies, sanitised by the server. */
export function setSanitisedModuleHtml(el, html) {
  el.innerHTML = html; // eslint-disable-line no-unsanitized/property -- module html is sanitised server-side
  // Markdown task lists become bare checkboxes: each is named by the text of its item.
  for (const box of el.querySelectorAll('li > input[type=checkbox]')) {
    if (!box.hasAttribute('aria-label')) box.setAttribute('aria-label', box.parentElement.textContent.trim());
  }
  // A wide table scrolls sideways on a phone: keyboard users can reach it (Tab, then arrows),
  // and screen readers hear what it is (its header row).
  for (const table of el.querySelectorAll('table')) {
    const head = table.querySelector('tr');
    const name = (head ? head.textContent : table.textContent).replace(/\s+/g, ' ').trim().slice(0, 80);
    const scroller = h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': name });
    table.replaceWith(scroller);
    scroller.append(table);
  }
}

export function icon(name) {
  const paths = {
    check: 'M4 10.5l4 4 8-9',
    clock: 'M10 4v6l4 2M10 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z',
    download: 'M10 3v10m-4-4 4 4 4-4M4 16h12',
    calendar: 'M4 6h12v11H4zM4 9h12M7 3v4m6-4v4',
    arrowLeft: 'M12 5l-5 5 5 5',
    arrowRight: 'M8 5l5 5-5 5',
    globe: 'M10 18a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM2 10h16M10 2c2.5 2.5 2.5 13.5 0 16M10 2c-2.5 2.5-2.5 13.5 0 16',
    user: 'M10 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM3.5 17.5c1-3.5 3.5-5 6.5-5s5.5 1.5 6.5 5',
    book: 'M4 4h5a2 2 0 0 1 2 2v11a2 2 0 0 0-2-2H4zM16 4h-5a2 2 0 0 0-2 2v11a2 2 0 0 1 2-2h5z',
    x: 'M5 5l10 10M15 5L5 15',
    info: 'M10 18a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM10 9v5M10 6.5v.5',
  };
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', paths[name] || paths.info);
  svg.append(path);
  return svg;
}
