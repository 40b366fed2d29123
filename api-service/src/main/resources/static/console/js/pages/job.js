// One job: its facts, its timeline, its transcript in every format with downloads, a player that follows the words
// being spoken, its webhook deliveries, and cancel / retry / delete. Updates live while the job has not ended.

import {call, get, post, del, routes, session} from '../api.js';
import {h, fill, table, badge, time, clock, duration, pairs, problem, button, notify, save, number} from '../dom.js';

export const title = (ctx) => `Job ${ctx.params[0]}`;

const FORMATS = [
  {format: 'json', label: 'JSON', file: 'json'},
  {format: 'text', label: 'Text', file: 'txt'},
  {format: 'srt', label: 'SRT', file: 'srt'},
  {format: 'vtt', label: 'VTT', file: 'vtt'},
  {format: 'verbose_json', label: 'Verbose JSON', file: 'verbose.json'},
];
const running = (job) => job.status === 'queued' || job.status === 'running';

export async function render(view, ctx) {
  const id = ctx.params[0];
  let job = await get(routes.job(id));
  if (!ctx.current()) return;

  const header = h('div');
  const facts = h('section', {class: 'panel', 'aria-labelledby': 'facts'});
  const timeline = h('section', {class: 'panel', 'aria-labelledby': 'timeline'});
  const transcript = h('section', {class: 'panel', 'aria-labelledby': 'transcript'});
  const player = h('section', {class: 'panel player', 'aria-labelledby': 'player'});
  const hooks = h('section', {class: 'panel', 'aria-labelledby': 'webhooks'});
  fill(view, header, h('div', {class: 'row'}, facts, timeline), player, transcript, hooks);

  const draw = async (current) => {
    fill(header, titleRow(current, ctx));
    fill(facts, h('h2', {id: 'facts'}, 'Details'), details(current));
    await Promise.all([drawTimeline(timeline, id), drawHooks(hooks, current, ctx)]);
  };
  await draw(job);
  drawTranscript(transcript, job);
  drawPlayer(player, job, ctx);

  if (running(job)) {
    ctx.poll(async () => {
      const next = await get(routes.job(id));
      if (!ctx.current()) return false;
      if (!running(next)) {
        ctx.reload(); // ended: the transcript and player appear
        return false;
      }
      if (JSON.stringify(next) !== JSON.stringify(job)) {
        job = next;
        await draw(job);
      }
      return true;
    });
  }
}

function titleRow(job, ctx) {
  const actions = h('div', {class: 'actions'});
  if (running(job) && !job.deleted) {
    actions.appendChild(button('Cancel job', async () => {
      await post(`${routes.job(job.id)}/cancel`);
      notify('Job cancelled.');
      ctx.reload();
    }, {class: 'danger', id: 'cancel-job'}));
  }
  if (job.status === 'failed' && !job.deleted) {
    actions.appendChild(button('Retry job', async () => {
      await post(`${routes.job(job.id)}/retry`);
      notify('Job queued again.');
      ctx.reload();
    }, {id: 'retry-job'}));
  }
  if (!running(job) && !job.deleted) {
    const confirm = h('span', {class: 'actions', hidden: true},
      h('span', {}, 'Delete its audio and transcript for good?'),
      button('Yes, delete', async () => {
        await del(routes.job(job.id));
        notify('Job deleted.');
        ctx.reload();
      }, {class: 'danger', id: 'confirm-delete'}),
      button('Keep it', async () => {
        confirm.hidden = true;
        ask.hidden = false;
        ask.focus();
      }));
    const ask = h('button', {type: 'button', class: 'danger', id: 'delete-job'}, 'Delete job');
    ask.addEventListener('click', () => {
      ask.hidden = true;
      confirm.hidden = false;
      confirm.querySelector('button').focus();
    });
    actions.append(ask, confirm);
  }
  return h('div', {class: 'title-row'},
    h('h1', {}, 'Job ', h('span', {class: 'mono'}, job.id)),
    h('span', {id: 'job-status'}, badge(job.deleted ? 'deleted' : job.status)),
    actions);
}

function details(job) {
  const rows = [
    ['Model', job.model],
    ['Format', job.response_format],
    ['Created', time(job.created_at)],
    ['Started', time(job.started_at)],
    ['Finished', time(job.finished_at)],
    job.started_at && job.finished_at ? ['Took', duration(job.finished_at - job.started_at)] : null,
    job.progress ? ['Pieces', h('span', {},
      h('progress', {max: job.progress.pieces_total || 1, value: job.progress.pieces_done, 'aria-label': 'Pieces done'}),
      ` ${job.progress.pieces_done} of ${job.progress.pieces_total ?? '?'}`)] : null,
    job.usage ? ['Usage', pairs(job.usage)] : null,
    job.upstream_account ? ['Upstream account', h('span', {class: 'mono'}, job.upstream_account)] : null,
    session.operator() && job.key_id ? ['Key', h('a', {href: `#/jobs?key_id=${encodeURIComponent(job.key_id)}`, class: 'mono'}, job.key_id)] : null,
    job.batch_id ? ['Batch', h('a', {href: `#/batches/${encodeURIComponent(job.batch_id)}`, class: 'mono'}, job.batch_id)] : null,
    job.reused_from ? ['Transcript reused from', h('a', {href: `#/jobs/${encodeURIComponent(job.reused_from)}`, class: 'mono'}, job.reused_from)] : null,
    ['Metadata', pairs(job.metadata)],
    job.webhook_url ? ['Webhook', h('span', {class: 'mono small'}, job.webhook_url)] : null,
    job.error ? ['Error', h('span', {}, h('code', {}, job.error.code || job.error.type || 'error'), ' ', job.error.message || '')] : null,
  ].filter(Boolean);
  return h('dl', {class: 'facts'}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

const GOOD = new Set(['succeeded', 'webhook_delivered', 'piece_done']);
const BAD = new Set(['failed', 'attempt_failed', 'webhook_failed', 'cancelled']);

async function drawTimeline(panel, id) {
  let events;
  try {
    events = (await get(`${routes.job(id)}/timeline`)).data || [];
  } catch (e) {
    fill(panel, h('h2', {id: 'timeline'}, 'Timeline'), problem(e));
    return;
  }
  const describe = (detail) => (detail && typeof detail === 'object'
    ? Object.entries(detail).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k.replaceAll('_', ' ')}: ${typeof v === 'object' ? `(${describe(v)})` : v}`).join(', ')
    : String(detail ?? ''));
  fill(panel, h('h2', {id: 'timeline'}, 'Timeline'),
    events.length === 0 ? h('p', {class: 'muted'}, 'No events yet.')
      : h('ol', {class: 'timeline'}, events.map((e) => h('li', {class: GOOD.has(e.event) ? 'ok' : BAD.has(e.event) ? 'bad' : null},
        h('span', {class: 'when'}, clock(e.at)),
        h('span', {class: 'event'}, e.event.replaceAll('_', ' ')),
        e.detail ? h('span', {class: 'detail'}, describe(e.detail)) : null))));
}

function drawTranscript(panel, job) {
  if (job.status !== 'succeeded' || job.deleted) {
    fill(panel, h('h2', {id: 'transcript'}, 'Transcript'),
      h('p', {class: 'muted'}, job.deleted ? 'Deleted.' : running(job) ? 'Not ready yet: it appears here when the job ends.' : 'This job has no transcript.'));
    return;
  }
  const shown = h('pre', {class: 'transcript', tabindex: '0', 'aria-label': 'Transcript', id: 'transcript-text'});
  const tabs = FORMATS.map((f) => {
    const tab = h('button', {type: 'button', 'aria-pressed': 'false', dataset: {format: f.format}}, f.label);
    tab.addEventListener('click', () => show(f.format));
    return tab;
  });
  const show = async (format) => {
    tabs.forEach((t) => t.setAttribute('aria-pressed', String(t.dataset.format === format)));
    shown.textContent = 'Loading…';
    try {
      shown.textContent = await transcriptText(job.id, format);
    } catch (e) {
      shown.textContent = e.message;
    }
  };
  const downloads = FORMATS.map((f) => button(`Download ${f.label}`, async () => {
    const blob = await call('GET', `${routes.job(job.id)}/transcript?response_format=${f.format}`, {as: 'blob'});
    save(blob, `${job.id}.${f.file}`);
  }, {dataset: {download: f.format}}));
  fill(panel, h('h2', {id: 'transcript'}, 'Transcript'),
    h('div', {class: 'tabs', role: 'group', 'aria-label': 'Format shown'}, tabs),
    shown,
    h('div', {class: 'actions'}, downloads));
  show(FORMATS.some((f) => f.format === job.response_format) ? job.response_format : 'text');
}

async function transcriptText(id, format) {
  const text = await call('GET', `${routes.job(id)}/transcript?response_format=${format}`, {as: 'text'});
  if (format === 'json' || format === 'verbose_json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (ignored) {
      return text;
    }
  }
  return text;
}

function drawPlayer(panel, job, ctx) {
  if (job.deleted) {
    fill(panel, h('h2', {id: 'player'}, 'Audio'), h('p', {class: 'muted'}, 'Deleted.'));
    return;
  }
  const area = h('div');
  const load = button('Load audio', async () => {
    fill(area, h('p', {class: 'muted'}, 'Fetching the audio…'));
    const [audio, words] = await Promise.all([
      call('GET', `${routes.job(job.id)}/audio`, {as: 'blob'}),
      job.status === 'succeeded' ? wordsOf(job.id) : Promise.resolve([]),
    ]);
    if (!ctx.current()) return;
    load.remove();
    fill(area, follow(audio, words, job, ctx));
  }, {id: 'load-audio'});
  fill(panel, h('h2', {id: 'player'}, 'Audio'), h('p', {}, load), area);
}

async function wordsOf(id) {
  try {
    const verbose = JSON.parse(await call('GET',
      `${routes.job(id)}/transcript?response_format=verbose_json&timestamp_granularities[]=word`, {as: 'text'}));
    const words = verbose.words || (verbose.segments || []).flatMap((s) => s.words || []);
    return words.filter((w) => typeof w.start === 'number' && typeof w.end === 'number');
  } catch (e) {
    notify(`No word timestamps: ${e.message}`, 'error');
    return [];
  }
}

/** The audio element and the words, the one being spoken highlighted as it plays. */
function follow(blob, words, job, ctx) {
  const url = URL.createObjectURL(blob);
  const audio = h('audio', {controls: true, preload: 'auto', src: url, id: 'job-audio'});
  const spans = words.map((w) => h('span', {class: 'word', dataset: {start: w.start, end: w.end}}, w.word));
  const box = h('div', {class: 'words', id: 'words', 'aria-label': 'Words, the one being spoken highlighted'},
    spans.flatMap((s, i) => (i === 0 ? [s] : [' ', s])));
  let active = -1;
  let frame = 0;
  const update = () => {
    const t = audio.currentTime;
    let lo = 0;
    let hi = words.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (words[mid].start <= t) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    const now = at >= 0 && t < words[at].end ? at : -1;
    if (now === active) return;
    if (active >= 0) {
      spans[active].classList.remove('speaking');
      spans[active].removeAttribute('aria-current');
    }
    spans.forEach((s, i) => s.classList.toggle('spoken', i < (now >= 0 ? now : at + 1)));
    active = now;
    if (active >= 0) {
      const span = spans[active];
      span.classList.add('speaking');
      span.setAttribute('aria-current', 'true');
      if (span.offsetTop < box.scrollTop || span.offsetTop > box.scrollTop + box.clientHeight - 24) {
        box.scrollTop = span.offsetTop - box.offsetTop - 8;
      }
    }
  };
  const loop = () => {
    update();
    frame = audio.paused ? 0 : requestAnimationFrame(loop);
  };
  audio.addEventListener('play', () => {
    if (!frame) frame = requestAnimationFrame(loop);
  });
  audio.addEventListener('timeupdate', update);
  audio.addEventListener('seeked', update);
  const play = button('Play', async () => {
    await audio.play();
  }, {id: 'play-audio'});
  const pause = button('Pause', async () => audio.pause(), {id: 'pause-audio'});
  ctx.onLeave(() => {
    audio.pause();
    if (frame) cancelAnimationFrame(frame);
    URL.revokeObjectURL(url);
  });
  const size = blob.size ? ` (${number(blob.size / 1024, 0)} KiB, ${blob.type || 'audio'})` : '';
  return h('div', {},
    audio,
    h('div', {class: 'actions'}, play, pause, button('Download audio', async () => save(blob, `${job.id}.audio`)),
      h('span', {class: 'small muted'}, size)),
    words.length ? box : h('p', {class: 'muted small'}, 'No word timestamps for this transcript (the model or format gives none).'));
}

async function drawHooks(panel, job, ctx) {
  let deliveries;
  try {
    deliveries = (await get(`${routes.job(job.id)}/webhook_deliveries`)).data || [];
  } catch (e) {
    fill(panel, h('h2', {id: 'webhooks'}, 'Webhook deliveries'), problem(e));
    return;
  }
  const redeliver = deliveries.length
    ? button('Redeliver the latest', async () => {
      await post(`${routes.job(job.id)}/webhook_deliveries/redeliver`);
      notify('Queued for delivery again.');
      await drawHooks(panel, job, ctx);
    }, {id: 'redeliver'})
    : null;
  fill(panel, h('div', {class: 'title-row'}, h('h2', {id: 'webhooks'}, 'Webhook deliveries'), redeliver),
    deliveriesTable(deliveries, false));
}

/** Deliveries with every attempt's answer; withJob adds the job and key (the operator's fleet-wide list). */
export function deliveriesTable(deliveries, withJob, extra) {
  return table([
    withJob ? {label: 'Of', cell: (d) => (d.job_id
      ? h('a', {href: `#/jobs/${encodeURIComponent(d.job_id)}`, class: 'mono small'}, d.job_id)
      : h('a', {href: `#/batches/${encodeURIComponent(d.batch_id || '')}`, class: 'mono small'}, d.batch_id || '—'))} : null,
    withJob ? {label: 'Key', cell: (d) => h('span', {class: 'mono small'}, (d.key_id || '—').slice(0, 8))} : null,
    {label: 'Event', cell: (d) => d.event_type},
    {label: 'URL', cell: (d) => h('span', {class: 'mono small'}, d.url)},
    {label: 'Status', cell: (d) => badge(d.status)},
    {label: 'Attempts', num: true, cell: (d) => number(d.attempts)},
    {label: 'Last answer', cell: (d) => [d.last_status_code ? h('code', {}, String(d.last_status_code)) : null, d.last_error ? ` ${d.last_error}` : null, !d.last_status_code && !d.last_error ? '—' : null]},
    {label: 'Next try', cell: (d) => h('span', {class: 'nowrap'}, time(d.next_attempt_at))},
    {label: 'Delivered', cell: (d) => h('span', {class: 'nowrap'}, time(d.delivered_at))},
    {label: 'Attempts log', cell: (d) => attemptLog(d.attempt_log)},
    extra || null,
  ].filter(Boolean), deliveries, {caption: 'Webhook deliveries', empty: 'No webhook deliveries.'});
}

function attemptLog(log) {
  const entries = Array.isArray(log) ? log : [];
  if (entries.length === 0) return h('span', {class: 'muted'}, '—');
  return h('details', {},
    h('summary', {}, `${entries.length} attempt${entries.length === 1 ? '' : 's'}`),
    h('ol', {class: 'small'}, entries.map((a) => h('li', {},
      Object.entries(a).map(([k, v]) => h('span', {class: 'kv'}, `${k}: ${typeof v === 'number' && k.endsWith('at') ? time(v) : typeof v === 'object' ? JSON.stringify(v) : v}`))))));
}
