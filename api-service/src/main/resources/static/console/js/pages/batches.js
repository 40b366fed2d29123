// Batches: progress, counts and the expected end of each, a page at a time (the operator's every key's, filtered).

import {get, routes, session} from '../api.js';
import {h, fill, field, select, table, badge, time, relative, problem} from '../dom.js';

export const title = () => 'Batches';

const STATUSES = ['', 'expanding', 'in_progress', 'cancelling', 'completed', 'cancelled', 'failed'];
const PAGE = 25;

export const live = (b) => b.status === 'expanding' || b.status === 'in_progress' || b.status === 'cancelling';

/** Items ended (any outcome) and in all. */
export function ended(b) {
  const c = b.counts || {};
  return {done: (c.succeeded || 0) + (c.failed || 0) + (c.cancelled || 0), total: c.total || 0};
}

/**
 * When the batch should end at the rate its items have ended so far (since it was expanded), as Unix seconds; null
 * while nothing has ended or once it is over.
 */
export function eta(b, now) {
  if (!live(b)) return null;
  const {done, total} = ended(b);
  const since = b.expanded_at || b.created_at;
  const elapsed = (now ?? Date.now() / 1000) - since;
  if (done === 0 || elapsed <= 0 || total <= done) return null;
  return (now ?? Date.now() / 1000) + (total - done) * (elapsed / done);
}

export function progress(b) {
  const {done, total} = ended(b);
  return h('span', {class: 'progress-cell'},
    h('progress', {max: Math.max(total, 1), value: done, 'aria-label': `${done} of ${total} items ended`}),
    h('span', {class: 'small muted'}, `${done} / ${total} ended`));
}

export function etaText(b) {
  const at = eta(b);
  if (at) return `${time(Math.round(at))} (${relative(at)})`;
  if (live(b)) return b.estimated_completion_at ? `${time(b.estimated_completion_at)} (gateway's estimate)` : 'after the first items end';
  return '—';
}

export async function render(view, ctx) {
  const q = ctx.query;
  const operator = session.operator();
  const filters = {status: q.get('status') || '', key_id: q.get('key_id') || '', after: q.get('after') || ''};
  let form = null;
  if (operator) {
    const status = select('status', STATUSES.map((s) => [s, s || 'any']), filters.status);
    const key = h('input', {name: 'key_id', value: filters.key_id, size: 36});
    form = h('form', {class: 'inline panel', 'aria-label': 'Filter batches'},
      field('Status', status), field('Key id', key),
      h('button', {type: 'submit', class: 'primary'}, 'Filter'),
      h('a', {class: 'button', href: '#/batches'}, 'Clear'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      if (status.value) next.set('status', status.value);
      if (key.value.trim()) next.set('key_id', key.value.trim());
      ctx.go(`#/batches${next.toString() ? '?' + next : ''}`);
    });
  }
  const results = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  fill(view, h('h1', {}, 'Batches'), form, results);

  let shown = null;
  const load = async () => {
    const page = await get(routes.batches(), operator
      ? {status: filters.status, key_id: filters.key_id, after: filters.after, limit: PAGE}
      : {after: filters.after, limit: PAGE});
    if (!ctx.current()) return false;
    const seen = JSON.stringify(page);
    if (seen === shown) return (page.data || []).some(live); // unchanged: the focus stays where it is
    shown = seen;
    const next = new URLSearchParams(ctx.query);
    next.set('after', page.last_id || '');
    fill(results,
      table([
        {label: 'Batch', cell: (b) => h('a', {href: `#/batches/${encodeURIComponent(b.id)}`, class: 'mono'}, b.id)},
        {label: 'Status', cell: (b) => badge(b.status)},
        operator ? {label: 'Key', cell: (b) => h('span', {class: 'mono small'}, (b.key_id || '—').slice(0, 8))} : null,
        {label: 'Model', cell: (b) => b.model},
        {label: 'Created', cell: (b) => h('span', {class: 'nowrap'}, time(b.created_at))},
        {label: 'Progress', cell: progress},
        {label: 'Failed', num: true, cell: (b) => String((b.counts || {}).failed ?? 0)},
        {label: 'Expected end', cell: etaText},
      ].filter(Boolean), page.data || [], {caption: 'Batches', empty: 'No batches.'}),
      h('div', {class: 'pager'},
        filters.after ? h('a', {class: 'button', href: '#/batches'}, 'First page') : null,
        page.has_more ? h('a', {class: 'button', href: `#/batches?${next}`}, 'Next page') : null));
    return (page.data || []).some(live);
  };
  try {
    if (await load()) ctx.poll(load);
  } catch (e) {
    fill(results, problem(e));
  }
}
