// One batch: a progress bar, its counts, audio done and left, when it should end at the rate so far, its items,
// the results (JSONL) to download, and cancel.

import {call, get, post, routes, session} from '../api.js';
import {h, fill, table, badge, time, duration, number, pairs, problem, button, notify, save} from '../dom.js';
import {live, progress, etaText} from './batches.js';

export const title = (ctx) => `Batch ${ctx.params[0]}`;

export async function render(view, ctx) {
  const id = ctx.params[0];
  let b = await get(routes.batch(id));
  if (!ctx.current()) return;
  // The title and its buttons are drawn once, so live updates never take the keyboard focus away from them.
  const status = h('span', {id: 'batch-status'}, badge(b.status));
  const cancel = button('Cancel batch', async () => {
    await post(`${routes.batch(b.id)}/cancel`);
    notify('Cancelling: items not started are cancelled, running ones finish.');
    ctx.reload();
  }, {class: 'danger', id: 'cancel-batch'});
  const results = button('Download results (JSONL)', async () => {
    const blob = await call('GET', `${routes.batch(b.id)}/results`, {as: 'blob'});
    save(blob, `${b.id}.jsonl`);
  }, {id: 'download-results'});
  const body = h('div');
  const items = h('section', {class: 'panel', 'aria-labelledby': 'items'});
  fill(view,
    h('div', {class: 'title-row'}, h('h1', {}, 'Batch ', h('span', {class: 'mono'}, b.id)), status,
      h('div', {class: 'actions'}, cancel, results)),
    body, items);
  const draw = async () => {
    fill(status, badge(b.status));
    cancel.hidden = !live(b) || b.status === 'cancelling';
    fill(body, summary(b));
    await drawItems(items, b);
  };
  await draw();
  if (live(b)) {
    ctx.poll(async () => {
      b = await get(routes.batch(id));
      if (!ctx.current()) return false;
      await draw();
      return live(b);
    });
  }
}

function summary(b) {
  const c = b.counts || {};
  const audio = b.audio_seconds || {};
  return h('div', {class: 'row'},
    h('section', {class: 'panel', 'aria-labelledby': 'progress'},
      h('h2', {id: 'progress'}, 'Progress'),
      progress(b),
      h('div', {class: 'stats'},
        ['total', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].map((name) =>
          h('div', {class: 'stat', dataset: {count: name}}, h('div', {class: 'value'}, String(c[name] ?? 0)), h('div', {class: 'label'}, name)))),
      h('dl', {class: 'facts'},
        h('dt', {}, 'Expected end'), h('dd', {id: 'batch-eta'}, etaText(b)),
        h('dt', {}, 'Audio done'), h('dd', {}, duration(audio.done)),
        h('dt', {}, 'Audio left'), h('dd', {}, audio.remaining == null ? '—' : duration(audio.remaining)))),
    h('section', {class: 'panel', 'aria-labelledby': 'about'},
      h('h2', {id: 'about'}, 'Details'),
      h('dl', {class: 'facts'},
        h('dt', {}, 'Model'), h('dd', {}, b.model || '—'),
        h('dt', {}, 'Format'), h('dd', {}, b.response_format || '—'),
        session.operator() ? [h('dt', {}, 'Key'), h('dd', {class: 'mono'}, b.key_id || '—')] : null,
        h('dt', {}, 'Source'), h('dd', {}, b.source ? `${b.source.type}${b.source.feed_url ? ' ' + b.source.feed_url : ''}` : '—'),
        h('dt', {}, 'Created'), h('dd', {}, time(b.created_at)),
        h('dt', {}, 'Expanded'), h('dd', {}, time(b.expanded_at)),
        h('dt', {}, 'Finished'), h('dd', {}, time(b.finished_at)),
        h('dt', {}, 'Metadata'), h('dd', {}, pairs(b.metadata)),
        b.webhook_url ? [h('dt', {}, 'Webhook'), h('dd', {class: 'mono small'}, b.webhook_url)] : null,
        b.error ? [h('dt', {}, 'Error'), h('dd', {}, `${b.error.code}: ${b.error.message}`)] : null,
        b.skipped && b.skipped.length ? [h('dt', {}, 'Skipped'), h('dd', {}, `${number(b.skipped.length)} entries`)] : null)));
}

async function drawItems(panel, b) {
  let page;
  try {
    page = session.operator()
      ? await get('/admin/jobs', {batch_id: b.id, limit: 50})
      : await get(`${routes.batch(b.id)}/jobs`, {limit: 50});
  } catch (e) {
    fill(panel, h('h2', {id: 'items'}, 'Items'), problem(e));
    return;
  }
  fill(panel, h('h2', {id: 'items'}, 'Items'),
    table([
      {label: 'Job', cell: (j) => h('a', {href: `#/jobs/${encodeURIComponent(j.id)}`, class: 'mono'}, j.id)},
      {label: 'Status', cell: (j) => badge(j.status)},
      {label: 'Finished', cell: (j) => time(j.finished_at)},
      {label: 'Metadata', cell: (j) => pairs(j.metadata)},
      {label: 'Error', cell: (j) => (j.error ? j.error.code || j.error.message : '—')},
    ], page.data || [], {caption: 'Items', empty: 'No items yet.'}),
    page.has_more ? h('p', {}, h('a', {href: `#/jobs?batch_id=${encodeURIComponent(b.id)}`}, 'All items in the job list')) : null);
}
