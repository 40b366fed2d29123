// Sign-in: the admin token (the operator's view of the whole fleet) or an API key (its own jobs, batches and usage).

import {identify, session} from '../api.js';
import {h, fill, field, problem} from '../dom.js';

export const title = () => 'Sign in';

export async function render(view, ctx) {
  const input = h('input', {type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true});
  const message = h('div', {'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const form = h('form', {class: 'panel signin', 'aria-labelledby': 'signin-title'},
    h('h1', {id: 'signin-title'}, 'Sign in'),
    h('p', {class: 'muted'},
      'Paste the admin token for the operator view, or an API key to see its own jobs, batches and usage. ',
      'It is kept in this tab only, until you sign out or close the tab.'),
    field('Admin token or API key', input),
    h('p', {}, submit),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    submit.disabled = true;
    fill(message, h('p', {class: 'muted'}, 'Checking…'));
    try {
      const role = await identify(token);
      session.start(token, role);
      ctx.go(ctx.home());
    } catch (e) {
      fill(message, problem(e));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  fill(view, form);
  input.focus();
}
