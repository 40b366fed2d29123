// Jobs: find one by id, or list them filtered by status, model, key (operator), metadata and batch, a page at a time.

import {get, routes, session} from '../api.js';
import {h, fill, field, select, table, badge, time, pairs, problem} from '../dom.js';

export const title = () => 'Jobs';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];
const PAGE = 25;

/** "k=v, k2=v2" as {k: v, k2: v2}. */
export function parsePairs(text) {
  const pairs = {};
  (text || '').split(/[,\n]/).map((p) => p.trim()).filter(Boolean).forEach((p) => {
    const at = p.indexOf('=');
    if (at > 0) pairs[p.slice(0, at).trim()] = p.slice(at + 1).trim();
  });
  return pairs;
}

export async function render(view, ctx) {
  const q = ctx.query;
  const operator = session.operator();
  const filters = {
    status: q.get('status') || '',
    model: q.get('model') || '',
    key_id: operator ? q.get('key_id') || '' : '',
    batch_id: q.get('batch_id') || '',
    metadata: q.get('metadata') || '',
    after: q.get('after') || '',
  };

  const find = h('input', {name: 'id', size: 38, spellcheck: 'false'});
  const findForm = h('form', {class: 'inline', role: 'search', 'aria-label': 'Find a job by id'},
    field('Job id', find), h('button', {type: 'submit'}, 'Open job'));
  findForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (find.value.trim()) ctx.go(`#/jobs/${encodeURIComponent(find.value.trim())}`);
  });

  const inputs = {
    status: select('status', STATUSES.map((s) => [s, s || 'any']), filters.status),
    model: h('input', {name: 'model', value: filters.model, size: 18}),
    key_id: operator ? h('input', {name: 'key_id', value: filters.key_id, size: 36}) : null,
    batch_id: h('input', {name: 'batch_id', value: filters.batch_id, size: 30}),
    metadata: h('input', {name: 'metadata', value: filters.metadata, size: 24, placeholder: 'episode=42'}),
  };
  const filterForm = h('form', {class: 'inline', 'aria-label': 'Filter jobs'},
    field('Status', inputs.status),
    field('Model', inputs.model),
    operator ? field('Key id', inputs.key_id) : null,
    field('Batch id', inputs.batch_id),
    field('Metadata (k=v, …)', inputs.metadata),
    h('button', {type: 'submit', class: 'primary'}, 'Filter'),
    h('a', {class: 'button', href: '#/jobs'}, 'Clear'));
  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input && input.value.trim()) next.set(name, input.value.trim());
    }
    ctx.go(`#/jobs${next.toString() ? '?' + next : ''}`);
  });

  const results = h('div', {'aria-live': 'polite'}, h('p', {class: 'muted'}, 'Loading…'));
  fill(view,
    h('div', {class: 'title-row'}, h('h1', {}, 'Jobs'),
      session.operator() ? null : h('a', {class: 'button', href: '#/submit'}, 'Submit a file')),
    h('div', {class: 'panel filters'}, findForm, filterForm),
    results);

  let shown = null;
  const load = async () => {
    const page = await fetchPage(filters);
    if (!ctx.current()) return false;
    const seen = JSON.stringify(page);
    if (seen !== shown) fill(results, list(page, filters, ctx)); // unchanged: the focus stays where it is
    shown = seen;
    return page.data.some((j) => j.status === 'queued' || j.status === 'running');
  };
  try {
    if (await load()) ctx.poll(load);
  } catch (e) {
    fill(results, problem(e));
  }
}

async function fetchPage(f) {
  const params = {status: f.status, model: f.model, batch_id: f.batch_id, metadata: parsePairs(f.metadata), after: f.after, limit: PAGE};
  return session.operator() ? get('/admin/jobs', {...params, key_id: f.key_id}) : get(routes.jobs(), params);
}

function list(page, f, ctx) {
  const operator = session.operator();
  const columns = [
    {label: 'Job', cell: (j) => h('a', {href: `#/jobs/${encodeURIComponent(j.id)}`, class: 'mono'}, j.id)},
    {label: 'Status', cell: (j) => badge(j.status)},
    {label: 'Model', cell: (j) => j.model},
    {label: 'Created', cell: (j) => h('span', {class: 'nowrap'}, time(j.created_at))},
    {label: 'Finished', cell: (j) => h('span', {class: 'nowrap'}, time(j.finished_at))},
    operator ? {label: 'Key', cell: (j) => h('a', {href: `#/jobs?key_id=${encodeURIComponent(j.key_id || '')}`, class: 'mono small'}, (j.key_id || '—').slice(0, 8))} : null,
    {label: 'Batch', cell: (j) => (j.batch_id ? h('a', {href: `#/batches/${encodeURIComponent(j.batch_id)}`, class: 'mono small'}, j.batch_id) : '—')},
    {label: 'Metadata', cell: (j) => pairs(j.metadata)},
  ].filter(Boolean);
  const next = new URLSearchParams(ctx.query);
  next.set('after', page.last_id || '');
  const first = new URLSearchParams(ctx.query);
  first.delete('after');
  return h('div', {},
    table(columns, page.data, {caption: 'Jobs', empty: 'No jobs match.'}),
    h('div', {class: 'pager'},
      f.after ? h('a', {class: 'button', href: `#/jobs?${first}`}, 'First page') : null,
      page.has_more ? h('a', {class: 'button', href: `#/jobs?${next}`}, 'Next page') : null));
}
