// Usage from the ledger: by day and by model as charts, by key too for the operator (GET /admin/usage), a key's own
// for its holder (GET /v1/usage).

import {get, routes, session} from '../api.js';
import {h, fill, field, select, table, number, problem} from '../dom.js';
import {stackedBars, PALETTE} from '../charts.js';

export const title = () => 'Usage';

const MEASURES = [
  ['audio_seconds', 'Audio seconds'],
  ['requests', 'Jobs'],
  ['billed_seconds', 'Billed seconds'],
  ['input_tokens', 'Input tokens'],
  ['output_tokens', 'Output tokens'],
];
const RANGES = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['all', 'All time']];
const DAY = 86400;

export async function render(view, ctx) {
  const range = ctx.query.get('days') || '30';
  const measure = ctx.query.get('measure') || 'audio_seconds';
  const rangeSelect = select('days', RANGES, range);
  const measureSelect = select('measure', MEASURES, measure);
  const form = h('form', {class: 'inline panel', 'aria-label': 'Usage period and measure'},
    field('Period', rangeSelect), field('Measure', measureSelect), h('button', {type: 'submit', class: 'primary'}, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.go(`#/usage?days=${rangeSelect.value}&measure=${measureSelect.value}`);
  });
  const body = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  fill(view, h('h1', {}, session.operator() ? 'Usage by key, model and day' : 'Your usage'), form, body);

  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const start = range === 'all' ? null : today - (Number(range) - 1) * DAY;
  try {
    const [byDay, byModel, keys] = await Promise.all([
      get(routes.usage(), {group_by: 'day', start}),
      get(routes.usage(), {group_by: 'model', start}),
      session.operator() ? get('/admin/keys').then((k) => k.data || []) : Promise.resolve([]),
    ]);
    if (!ctx.current()) return;
    const label = MEASURES.find(([m]) => m === measure)[1];
    const names = new Map(keys.map((k) => [k.id, k.name]));
    const keyOf = (row) => (session.operator() ? row.api_key_id || 'unknown' : 'yours');
    const keyIds = [...new Set([...byDay.data, ...byModel.data].map(keyOf))];
    const keyLabel = (id) => (session.operator() ? `${names.get(id) || 'key'} (${id.slice(0, 8)})` : 'Your key');

    const dayOf = (row) => Date.UTC(...row.day.split('-').map((n, i) => Number(n) - (i === 1 ? 1 : 0))) / 1000;
    const days = byDay.data.map(dayOf);
    const first = start ?? (days.length ? Math.min(...days) : today);
    const xs = [];
    for (let d = first; d <= Math.max(today, ...days); d += DAY) xs.push(d);
    const daySeries = keyIds.map((id, i) => ({
      label: keyLabel(id),
      color: PALETTE[i % PALETTE.length],
      values: xs.map((x) => byDay.data.filter((r) => keyOf(r) === id && dayOf(r) === x).reduce((n, r) => n + (r[measure] || 0), 0)),
    })).filter((s) => s.values.some((v) => v > 0));

    const models = [...new Set(byModel.data.map((r) => r.model))].sort();
    const modelSeries = keyIds.map((id, i) => ({
      label: keyLabel(id),
      color: PALETTE[i % PALETTE.length],
      values: models.map((m) => byModel.data.filter((r) => keyOf(r) === id && r.model === m).reduce((n, r) => n + (r[measure] || 0), 0)),
    })).filter((s) => s.values.some((v) => v > 0));

    const totals = keyIds.map((id) => {
      const rows = byModel.data.filter((r) => keyOf(r) === id);
      const sum = (name) => rows.reduce((n, r) => n + (r[name] || 0), 0);
      return {id, requests: sum('requests'), audio: sum('audio_seconds'), billed: sum('billed_seconds'), input: sum('input_tokens'), output: sum('output_tokens')};
    });
    const pad = (n) => String(n).padStart(2, '0');
    fill(body,
      h('div', {class: 'row'},
      h('section', {class: 'panel', 'aria-labelledby': 'by-day'},
        h('h2', {id: 'by-day'}, `${label} by day (UTC)${session.operator() ? ', by key' : ''}`),
        stackedBars({
          title: `${label} by day`, xs, time: true, series: daySeries, yLabel: label.toLowerCase(),
          xFormat: (v) => { const d = new Date(v * 1000); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; },
        })),
      h('section', {class: 'panel', 'aria-labelledby': 'by-model'},
        h('h2', {id: 'by-model'}, `${label} by model${session.operator() ? ', by key' : ''}`),
        stackedBars({title: `${label} by model`, xs: models.map((_, i) => i), labels: models, series: modelSeries, yLabel: label.toLowerCase()}))),
      h('section', {class: 'panel', 'aria-labelledby': 'totals'},
        h('h2', {id: 'totals'}, 'Totals in this period'),
        table([
          session.operator() ? {label: 'Key', cell: (t) => h('a', {href: `#/jobs?key_id=${encodeURIComponent(t.id)}`}, keyLabel(t.id))} : null,
          {label: 'Jobs', num: true, cell: (t) => number(t.requests, 0)},
          {label: 'Audio seconds', num: true, cell: (t) => number(t.audio)},
          {label: 'Billed seconds', num: true, cell: (t) => number(t.billed)},
          {label: 'Input tokens', num: true, cell: (t) => number(t.input, 0)},
          {label: 'Output tokens', num: true, cell: (t) => number(t.output, 0)},
        ].filter(Boolean), totals, {caption: 'Totals', empty: 'No usage in this period.'})));
  } catch (e) {
    fill(body, problem(e));
  }
}
