// DOM helpers. Every text from users and workers goes in as text (textContent or a text node),
// never parsed as markup anywhere in the board (lint and a test keep it so).

/** Creates an element: `props` sets attributes (`text` the text, `on…` listeners), children are nodes or text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'href') node.setAttribute('href', safeHref(value));
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Only links the board makes itself: its own pages and API, and https links to the chat. */
export function safeHref(url) {
  const s = String(url);
  if (s.startsWith('#') || s.startsWith('/api/') || /^https:\/\/(discord\.com|t\.me)\//.test(s)) return s;
  return '#';
}

/** "12s", "5m", "3h", "2d" since (or until) a time. */
export function age(ms) {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A local date and time for a timestamp. */
export function when(ts) {
  return ts ? new Date(ts).toLocaleString() : '—';
}

/** A `<dl>` row pair. */
export function fact(term, ...value) {
  return [el('dt', { text: term }), el('dd', {}, ...value)];
}

/** Replaces a node's children; null, false and nested lists are allowed (a bare null would show as "null"). */
export function fill(root, ...children) {
  root.replaceChildren(
    ...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false),
  );
}
