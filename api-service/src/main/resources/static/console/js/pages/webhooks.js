// Webhooks (operator): the latest deliveries fleet-wide, failing ones first, each with its attempts and answers, and
// redelivery. A job's own delivery log is on its page.

import {get, post} from '../api.js';
import {h, fill, field, select, problem, button, notify} from '../dom.js';
import {deliveriesTable} from './job.js';

export const title = () => 'Webhooks';

const STATUSES = [['failed', 'failing'], ['pending', 'pending'], ['delivered', 'delivered']];

export async function render(view, ctx) {
  const status = ctx.query.get('status') || 'failed';
  const choose = select('status', STATUSES, status);
  const form = h('form', {class: 'inline panel', 'aria-label': 'Which deliveries'},
    field('Deliveries', choose), h('button', {type: 'submit', class: 'primary'}, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.go(`#/webhooks?status=${choose.value}`);
  });
  const list = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  fill(view, h('h1', {}, 'Webhook deliveries'), form, list);
  const load = async () => {
    const deliveries = (await get('/admin/webhook_deliveries', {status, limit: 100})).data || [];
    if (!ctx.current()) return false;
    fill(list, deliveriesTable(deliveries, true, {
      label: 'Redeliver',
      cell: (d) => (!d.job_id ? '—' : button('Redeliver', async () => {
        await post(`/admin/jobs/${encodeURIComponent(d.job_id)}/webhook_deliveries/redeliver`);
        notify(`The latest delivery of ${d.job_id} is queued again.`);
        await load();
      }, {'aria-label': `Redeliver the latest delivery of ${d.job_id}`})),
    }));
    return status === 'pending' && deliveries.length > 0;
  };
  try {
    if (await load()) ctx.poll(load);
  } catch (e) {
    fill(list, problem(e));
  }
}
