// Submit a file as a key holder: POST /v1/transcription_jobs (multipart), then on to the job's page, which follows
// it live until it ends.

import {call, get} from '../api.js';
import {h, fill, field, select, problem} from '../dom.js';
import {parsePairs} from './jobs.js';

export const title = () => 'Submit';

const FORMATS = ['verbose_json', 'json', 'text', 'srt', 'vtt'];

export async function render(view, ctx) {
  let models = [];
  try {
    models = ((await get('/v1/models')).data || []).map((m) => m.id);
  } catch (e) {
    models = [];
  }
  const file = h('input', {type: 'file', name: 'file', accept: 'audio/*,video/*', required: true});
  const model = models.length
    ? select('model', models.map((m) => [m, m]), models.includes('whisper-1') ? 'whisper-1' : models[0])
    : h('input', {name: 'model', value: 'whisper-1', required: true});
  const format = select('response_format', FORMATS.map((f) => [f, f]), 'verbose_json');
  const language = h('input', {name: 'language', size: 6, placeholder: 'en'});
  const metadata = h('input', {name: 'metadata', size: 28, placeholder: 'episode=42, show=weekly'});
  const webhook = h('input', {name: 'webhook_url', type: 'url', size: 36, placeholder: 'https://example.com/hook'});
  const message = h('div', {'aria-live': 'polite'});
  const send = h('button', {type: 'submit', class: 'primary', id: 'submit-job'}, 'Submit');
  const form = h('form', {class: 'panel', 'aria-labelledby': 'submit-title'},
    h('div', {class: 'form-grid'},
      field('Audio file', file, 'Any format the gateway takes (mp3, wav, m4a, ogg, webm …).'),
      field('Model', model),
      field('Transcript format', format, 'Verbose JSON, SRT and VTT keep timestamps, so the player can follow the words.'),
      field('Language (optional)', language),
      field('Metadata (optional)', metadata, 'k=v, comma-separated'),
      field('Webhook URL (optional)', webhook)),
    h('p', {}, send),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!file.files.length) {
      fill(message, problem(new Error('Choose a file first.')));
      file.focus();
      return;
    }
    const body = new FormData();
    body.append('model', model.value);
    body.append('response_format', format.value);
    if (language.value.trim()) body.append('language', language.value.trim());
    if (webhook.value.trim()) body.append('webhook_url', webhook.value.trim());
    for (const [k, v] of Object.entries(parsePairs(metadata.value))) body.append(`metadata[${k}]`, v);
    body.append('file', file.files[0]); // last: the gateway reads the fields before it streams the audio
    send.disabled = true;
    fill(message, h('p', {class: 'muted'}, `Uploading ${file.files[0].name}…`));
    try {
      const job = await call('POST', '/v1/transcription_jobs', {form: body});
      ctx.go(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (e) {
      fill(message, problem(e));
      send.disabled = false;
    }
  });
  fill(view, h('h1', {id: 'submit-title'}, 'Submit a file'), form);
}
