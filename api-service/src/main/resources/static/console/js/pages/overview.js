// The operator's overview: jobs finished per minute by lane and outcome, what waits in each lane and for how long,
// requests held open on this api instance, and every upstream account's state.

import {get} from '../api.js';
import {h, fill, table, badge, time, relative, duration, number, button} from '../dom.js';
import {stackedBars} from '../charts.js';

export const title = () => 'Overview';

const OUTCOME_COLOURS = {
  succeeded: ['#1b7f3b', '#4caf6e', '#8fd19e'],
  failed: ['#b3261e', '#e0645c', '#f2a7a1'],
  cancelled: ['#5d6d7e', '#95a5b5', '#c7d0da'],
};
const LANES = ['interactive', 'async', 'bulk'];

export async function render(view, ctx) {
  const data = await get('/admin/overview');
  // The title and its button stay put while the rest is redrawn, so a live update never takes the focus away.
  const when = h('span', {class: 'muted small'});
  const body = h('div');
  fill(view, h('div', {class: 'title-row'}, h('h1', {}, 'Overview'), when, button('Refresh', () => ctx.reload())), body);
  const draw = (o) => {
    fill(when, `as of ${time(o.generated_at)}`);
    drawBody(body, o);
  };
  draw(data);
  const live = (o) => o.lanes.some((l) => l.queued + l.running + (l.held || 0) > 0) || o.held_sync_requests > 0;
  if (live(data)) {
    ctx.poll(async () => {
      const next = await get('/admin/overview');
      if (!ctx.current()) return false;
      draw(next);
      return live(next);
    });
  }
}

function drawBody(view, o) {
  const lanes = o.lanes || [];
  const sum = (name) => lanes.reduce((n, l) => n + (l[name] || 0), 0);
  const accounts = o.accounts || [];
  const usable = accounts.filter((a) => a.state === 'usable').length;
  fill(view,
    h('div', {class: 'stats'},
      stat(sum('queued'), 'queued'),
      stat(sum('held'), 'held for admission'),
      stat(sum('running'), 'running'),
      stat(o.held_sync_requests, 'sync requests held open', 'held-sync'),
      stat(`${usable} / ${accounts.length}`, 'upstream accounts usable')),
    h('section', {class: 'panel', 'aria-labelledby': 'accounts'},
      h('h2', {id: 'accounts'}, 'Upstream accounts'),
      accountsTable(accounts)),
    h('div', {class: 'row'},
      h('section', {class: 'panel', 'aria-labelledby': 'jpm'},
        h('h2', {id: 'jpm'}, 'Jobs per minute, last hour'),
        jobsPerMinute(o)),
      h('section', {class: 'panel', 'aria-labelledby': 'lanes'},
        h('h2', {id: 'lanes'}, 'Lanes'),
        table([
          {label: 'Lane', cell: (l) => l.lane},
          {label: 'Queued', num: true, cell: (l) => number(l.queued)},
          {label: 'Held', num: true, cell: (l) => number(l.held)},
          {label: 'Running', num: true, cell: (l) => number(l.running)},
          {label: 'Oldest queued', num: true, cell: (l) => (l.oldest_queued_age_seconds == null ? '—' : duration(l.oldest_queued_age_seconds))},
        ], lanes, {caption: 'Lanes', empty: 'No lanes reported.'}))));
}

function stat(value, label, id) {
  return h('div', {class: 'stat', id: id || null}, h('div', {class: 'value'}, String(value ?? '—')), h('div', {class: 'label'}, label));
}

function jobsPerMinute(o) {
  const rows = o.jobs_per_minute || [];
  const end = Math.floor((o.generated_at || Date.now() / 1000) / 60) * 60;
  const xs = [];
  for (let m = end - 59 * 60; m <= end; m += 60) xs.push(m);
  const index = new Map(xs.map((x, i) => [x, i]));
  const keys = [];
  for (const outcome of Object.keys(OUTCOME_COLOURS)) {
    for (const lane of LANES) keys.push({lane, outcome});
  }
  for (const r of rows) {
    if (!keys.some((k) => k.lane === r.lane && k.outcome === r.outcome)) keys.push({lane: r.lane, outcome: r.outcome});
  }
  const series = keys.map((k) => {
    const values = xs.map(() => 0);
    rows.filter((r) => r.lane === k.lane && r.outcome === k.outcome && index.has(r.minute))
      .forEach((r) => { values[index.get(r.minute)] += r.count; });
    const colours = OUTCOME_COLOURS[k.outcome] || ['#888888'];
    return {label: `${k.lane} · ${k.outcome}`, values, color: colours[Math.max(0, LANES.indexOf(k.lane)) % colours.length]};
  }).filter((s) => s.values.some((v) => v > 0));
  const pad = (n) => String(n).padStart(2, '0');
  return stackedBars({
    title: 'Jobs finished per minute, by lane and outcome',
    xs,
    time: true,
    series,
    yLabel: 'jobs',
    xFormat: (v) => { const d = new Date(v * 1000); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; },
    format: (v) => number(v, 0),
  });
}

function until(a) {
  const at = a.state === 'circuit_open' ? a.circuit_open_until : a.cooling_until;
  return at ? h('span', {class: 'nowrap'}, `${time(at)} (${relative(at)})`) : '—';
}

/** Why an account is not usable, as the api reads it from the fleet's ledger. */
function why(a) {
  return a.reason || '—';
}

function accountsTable(accounts) {
  return table([
    {label: 'Account', cell: (a) => h('span', {class: 'mono'}, a.id)},
    {label: 'Provider', cell: (a) => a.provider || '—'},
    {label: 'State', cell: (a) => badge(a.state)},
    {label: 'Until', cell: until},
    {label: 'Why', cell: why},
    {label: 'Slots in use', num: true, cell: (a) => `${number(a.slots_held ?? 0)}${a.max_concurrency ? ` / ${a.max_concurrency}` : ''}`},
    {label: 'Workers waiting', num: true, cell: (a) => number(a.workers_waiting ?? 0)},
    {label: 'Calls', cell: (a) => [
      h('span', {class: 'kv'}, `ok: ${number(a.successes ?? 0, 0)}`),
      Object.entries(a.failures || {}).map(([kind, n]) => h('span', {class: 'kv'}, `${kind}: ${number(n, 0)}`)),
    ]},
    {label: 'Updated', cell: (a) => h('span', {class: 'nowrap small'}, relative(a.updated_at))},
  ], accounts, {caption: 'Upstream accounts', empty: 'No upstream accounts reported.'});
}
