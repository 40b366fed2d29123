// Building the page: elements from data (never HTML strings, so nothing a job's metadata holds can run), formats for
// times and sizes, tables, status badges and notices.

/** An element: h('a', {href: '#/jobs', class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'for') {
      el.htmlFor = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'value' && (tag === 'input' || tag === 'select' || tag === 'textarea')) {
      el.value = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces what el holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element id, for labels. */
export function uid(prefix) {
  ids += 1;
  return `${prefix || 'f'}-${ids}`;
}

/** A labelled form field: the label names the control, an optional hint describes it. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('field');
  const parts = [h('label', {for: control.id}, label), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('span', {class: 'hint', id: hintId}, hint));
  }
  return h('div', {class: 'field'}, parts);
}

export function select(name, options, value) {
  return h('select', {name},
    options.map(([v, text]) => h('option', {value: v, selected: v === value}, text)));
}

/**
 * A table: columns are {label, cell(row) -> node or text, num (right-aligned)}; an empty list shows `empty`.
 */
export function table(columns, rows, {caption, empty} = {}) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c.num ? 'num' : null}, c.label))));
  const body = h('tbody', {},
    rows.length === 0
      ? h('tr', {}, h('td', {colspan: columns.length, class: 'muted'}, empty || 'Nothing here.'))
      : rows.map((row) => h('tr', {}, columns.map((c) => h('td', {class: c.num ? 'num' : c.cls || null}, c.cell(row))))));
  return h('div', {class: 'table-wrap'}, h('table', {}, caption ? h('caption', {class: 'visually-hidden'}, caption) : null, head, body));
}

const pad = (n) => String(n).padStart(2, '0');

/** Unix seconds as a local date and time, e.g. 2026-12-04 14:03:22. */
export function time(unix) {
  if (unix === null || unix === undefined) return '—';
  const d = new Date(unix * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Unix seconds as a local time of day, e.g. 14:03:22.5 (fractions kept to a tenth). */
export function clock(unix) {
  if (unix === null || unix === undefined) return '—';
  const d = new Date(unix * 1000);
  const tenth = Math.floor((unix * 10) % 10);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${Number.isInteger(unix) ? '' : '.' + tenth}`;
}

/** Seconds as "1 h 5 min", "42 s", "1.5 s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.abs(seconds);
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.round(s / 86400)} days`;
}

/** How far unix is from now: "in 42 s" or "42 s ago". */
export function relative(unix) {
  if (unix === null || unix === undefined) return '';
  const delta = unix - Date.now() / 1000;
  return delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}

export function number(n, digits) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString(undefined, {maximumFractionDigits: digits ?? 1});
}

const TONES = {
  succeeded: 'ok', completed: 'ok', delivered: 'ok', usable: 'ok', active: 'ok',
  failed: 'bad', gave_up: 'bad', disabled: 'bad', deleted: 'idle', circuit_open: 'bad', revoked: 'bad', dead: 'bad',
  cancelled: 'idle', cancelling: 'warn', cooling: 'warn', pending: 'warn', queued: 'info',
  running: 'info', in_progress: 'info', expanding: 'info', held: 'info',
};

/** A state as a coloured badge; the word itself carries the meaning, the colour only helps. */
export function badge(state) {
  return h('span', {class: `badge ${TONES[state] || 'idle'}`}, (state || 'unknown').replace('_', ' '));
}

/** metadata {k: v} as small k=v chips. */
export function pairs(map) {
  if (!map || Object.keys(map).length === 0) return h('span', {class: 'muted'}, '—');
  return Object.entries(map).map(([k, v]) => h('span', {class: 'kv'}, `${k}=${v}`));
}

/** A short notice in the corner (read out by screen readers), gone after a few seconds. */
export function notify(message, kind) {
  const box = document.getElementById('notice');
  const item = h('div', {class: kind === 'error' ? 'bad' : null}, message);
  box.appendChild(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** An error box for a failed load. */
export function problem(error) {
  return h('div', {class: 'alert', role: 'alert'}, error && error.message ? error.message : String(error));
}

/**
 * A button whose action is async: disabled while it runs, its failure shown as a notice (never an uncaught error).
 */
export function button(label, action, attrs) {
  const el = h('button', {type: 'button', ...(attrs || {})}, label);
  el.addEventListener('click', async () => {
    el.disabled = true;
    try {
      await action(el);
    } catch (e) {
      notify(e.message || String(e), 'error');
    } finally {
      if (el.isConnected) el.disabled = false;
    }
  });
  return el;
}

/** Saves a Blob as a file through a temporary object URL. */
export function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', {href: url, download: filename, class: 'visually-hidden'}, filename);
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
