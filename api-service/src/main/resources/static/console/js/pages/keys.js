// API keys (operator): create one (its secret is shown here once, with a copy button), change its limits, revoke it.

import {get, post, patch, del} from '../api.js';
import {h, fill, field, select, table, badge, time, problem, button, notify} from '../dom.js';

export const title = () => 'Keys';

export async function render(view, ctx) {
  const created = h('div', {id: 'created-key'});
  const editor = h('div');
  const list = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  fill(view,
    h('div', {class: 'title-row'}, h('h1', {}, 'API keys'), h('a', {class: 'button', href: '#/usage'}, 'Usage by key, model and day')),
    createForm(created, () => drawList(list, editor, ctx)),
    created,
    editor,
    h('section', {'aria-labelledby': 'all-keys'}, h('h2', {id: 'all-keys'}, 'All keys'), list));
  await drawList(list, editor, ctx);
}

const limitFields = (key) => ({
  requests_per_minute: h('input', {type: 'number', min: 0, name: 'requests_per_minute', value: key ? key.requests_per_minute ?? '' : ''}),
  audio_seconds_per_day: h('input', {type: 'number', min: 0, name: 'audio_seconds_per_day', value: key ? key.audio_seconds_per_day ?? '' : ''}),
  max_concurrent_jobs: h('input', {type: 'number', min: 0, name: 'max_concurrent_jobs', value: key ? key.max_concurrent_jobs ?? '' : ''}),
  concurrent_jobs_mode: select('concurrent_jobs_mode', [['refuse', 'refuse over the cap'], ['queue', 'queue over the cap']], key ? key.concurrent_jobs_mode || 'refuse' : 'refuse'),
});

const limitsOf = (inputs) => {
  const body = {};
  for (const name of ['requests_per_minute', 'audio_seconds_per_day', 'max_concurrent_jobs']) {
    if (inputs[name].value !== '') body[name] = Number(inputs[name].value);
  }
  body.concurrent_jobs_mode = inputs.concurrent_jobs_mode.value;
  return body;
};

const limitControls = (inputs) => [
  field('Requests per minute', inputs.requests_per_minute, '0 = no limit'),
  field('Audio seconds per day', inputs.audio_seconds_per_day, '0 = no limit'),
  field('Concurrent jobs', inputs.max_concurrent_jobs, '0 = no limit'),
  field('Over the concurrency cap', inputs.concurrent_jobs_mode),
];

function createForm(created, refresh) {
  const name = h('input', {name: 'name', required: true, size: 24});
  const models = h('input', {name: 'allowed_models', size: 30, placeholder: 'all models'});
  const inputs = limitFields(null);
  const form = h('form', {class: 'panel', 'aria-labelledby': 'new-key'},
    h('h2', {id: 'new-key'}, 'Create a key'),
    h('div', {class: 'form-grid'},
      field('Name', name),
      field('Allowed models', models, 'comma-separated; empty = every model'),
      limitControls(inputs)),
    h('button', {type: 'submit', class: 'primary', id: 'create-key'}, 'Create key'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {name: name.value.trim(), ...limitsOf(inputs)};
    const allowed = models.value.split(',').map((m) => m.trim()).filter(Boolean);
    if (allowed.length) body.allowed_models = allowed;
    try {
      const key = await post('/admin/keys', body);
      form.reset();
      showSecret(created, key);
      await refresh();
    } catch (e) {
      fill(created, problem(e));
    }
  });
  return form;
}

/** The new key's secret, once: it is not stored anywhere the console (or the gateway) can show it again. */
function showSecret(box, key) {
  const secret = h('input', {readonly: true, value: key.key, id: 'new-key-secret', 'aria-label': 'The new key\'s secret'});
  const webhook = h('input', {readonly: true, value: key.webhook_secret || '', id: 'new-key-webhook-secret', 'aria-label': 'Its webhook signing secret'});
  const copy = (input, what) => button(`Copy ${what}`, async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      notify(`${what} copied.`);
    } catch (e) {
      input.focus();
      input.select();
      notify(`Press Ctrl+C to copy the ${what} (the browser did not allow the copy).`);
    }
  }, {id: `copy-${what.replace(/\W+/g, '-')}`});
  const done = h('button', {type: 'button'}, 'I have saved it');
  done.addEventListener('click', () => fill(box));
  fill(box, h('section', {class: 'success', 'aria-labelledby': 'secret-title'},
    h('h2', {id: 'secret-title'}, `Key "${key.name}" created: copy its secret now`),
    h('p', {}, 'It is shown this once. The gateway keeps only its hash.'),
    h('div', {class: 'secret'}, secret, copy(secret, 'secret')),
    key.webhook_secret ? h('div', {class: 'secret'}, webhook, copy(webhook, 'webhook secret')) : null,
    done));
  secret.focus();
  secret.select();
}

async function drawList(list, editor, ctx) {
  let keys;
  try {
    keys = (await get('/admin/keys')).data || [];
  } catch (e) {
    fill(list, problem(e));
    return;
  }
  if (!ctx.current()) return;
  keys.sort((a, b) => (a.revoked_at ? 1 : 0) - (b.revoked_at ? 1 : 0) || b.created_at - a.created_at);
  const limits = (k) => [
    k.requests_per_minute ? `${k.requests_per_minute}/min` : null,
    k.audio_seconds_per_day ? `${k.audio_seconds_per_day} s audio/day` : null,
    k.max_concurrent_jobs ? `${k.max_concurrent_jobs} at once (${k.concurrent_jobs_mode || 'refuse'})` : null,
  ].filter(Boolean).join(', ') || 'none';
  fill(list, table([
    {label: 'Name', cell: (k) => k.name},
    {label: 'Prefix', cell: (k) => h('code', {}, k.prefix || '—')},
    {label: 'Id', cell: (k) => h('a', {href: `#/jobs?key_id=${encodeURIComponent(k.id)}`, class: 'mono small', title: 'Its jobs'}, k.id)},
    {label: 'Models', cell: (k) => (k.allowed_models && k.allowed_models.length ? k.allowed_models.join(', ') : 'all')},
    {label: 'Limits', cell: limits},
    {label: 'Created', cell: (k) => h('span', {class: 'nowrap'}, time(k.created_at))},
    {label: 'State', cell: (k) => (k.revoked_at ? h('span', {}, badge('revoked'), ' ', h('span', {class: 'small muted'}, time(k.revoked_at))) : badge('active'))},
    {label: 'Actions', cell: (k) => (k.revoked_at ? '—' : actions(k, list, editor, ctx))},
  ], keys, {caption: 'API keys', empty: 'No keys yet.'}));
}

function actions(key, list, editor, ctx) {
  const edit = button('Limits', async () => {
    const inputs = limitFields(key);
    const form = h('form', {class: 'panel', 'aria-labelledby': 'edit-key'},
      h('h2', {id: 'edit-key'}, `Limits of "${key.name}"`),
      h('div', {class: 'form-grid'}, limitControls(inputs)),
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save limits'),
        button('Close', async () => fill(editor))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await patch(`/admin/keys/${encodeURIComponent(key.id)}`, limitsOf(inputs));
        notify(`Limits of "${key.name}" saved.`);
        fill(editor);
        await drawList(list, editor, ctx);
      } catch (e) {
        notify(e.message, 'error');
      }
    });
    fill(editor, form);
    inputs.requests_per_minute.focus();
  }, {'aria-label': `Limits of ${key.name}`});
  const confirm = h('span', {class: 'actions', hidden: true},
    button('Yes, revoke', async () => {
      await del(`/admin/keys/${encodeURIComponent(key.id)}`);
      notify(`Key "${key.name}" revoked.`);
      await drawList(list, editor, ctx);
    }, {class: 'danger', 'aria-label': `Yes, revoke ${key.name}`}),
    button('Keep', async () => {
      confirm.hidden = true;
      revoke.hidden = false;
      revoke.focus();
    }));
  const revoke = h('button', {type: 'button', class: 'danger', 'aria-label': `Revoke ${key.name}`}, 'Revoke');
  revoke.addEventListener('click', () => {
    revoke.hidden = true;
    confirm.hidden = false;
    confirm.querySelector('button').focus();
  });
  return h('span', {class: 'actions'}, edit, revoke, confirm);
}
