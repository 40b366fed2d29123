// The console's shell: sign-in, the navigation for the signed-in role, hash routes (#/jobs/job_x) and live updates
// (a page asks to be polled every 2 s while something it shows is still running, and stops when nothing is).

import {session, whenSignedOut} from './api.js';
import {h, fill, problem, notify} from './dom.js';
import * as signin from './pages/signin.js';
import * as overview from './pages/overview.js';
import * as jobs from './pages/jobs.js';
import * as job from './pages/job.js';
import * as submit from './pages/submit.js';
import * as batches from './pages/batches.js';
import * as batch from './pages/batch.js';
import * as keys from './pages/keys.js';
import * as usage from './pages/usage.js';
import * as webhooks from './pages/webhooks.js';

const POLL_MS = 2000;

/** Routes in order: a path pattern, the page, who sees it ('operator', 'key' or both), and its menu entry. */
const ROUTES = [
  {path: /^\/overview$/, page: overview, roles: ['operator'], menu: 'Overview', href: '#/overview'},
  {path: /^\/jobs$/, page: jobs, roles: ['operator', 'key'], menu: 'Jobs', href: '#/jobs'},
  {path: /^\/jobs\/([^/]+)$/, page: job, roles: ['operator', 'key'], section: '#/jobs'},
  {path: /^\/submit$/, page: submit, roles: ['key'], menu: 'Submit', href: '#/submit'},
  {path: /^\/batches$/, page: batches, roles: ['operator', 'key'], menu: 'Batches', href: '#/batches'},
  {path: /^\/batches\/([^/]+)$/, page: batch, roles: ['operator', 'key'], section: '#/batches'},
  {path: /^\/keys$/, page: keys, roles: ['operator'], menu: 'Keys', href: '#/keys'},
  {path: /^\/usage$/, page: usage, roles: ['operator', 'key'], menu: 'Usage', href: '#/usage'},
  {path: /^\/webhooks$/, page: webhooks, roles: ['operator'], menu: 'Webhooks', href: '#/webhooks'},
];

let generation = 0;
let timer = null;
let leaving = [];

function home() {
  return session.operator() ? '#/overview' : '#/jobs';
}

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search] = hash.split('?');
  return {path, query: new URLSearchParams(search || '')};
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session.token()) {
    fill(nav);
    fill(who);
    return;
  }
  const role = session.role();
  fill(nav, ROUTES.filter((r) => r.menu && r.roles.includes(role)).map((r) =>
    h('a', {href: r.href, 'aria-current': r.href === active ? 'page' : null}, r.menu)));
  const signOut = h('button', {type: 'button', id: 'sign-out'}, 'Sign out');
  signOut.addEventListener('click', () => {
    session.end();
    location.hash = '#/signin';
  });
  fill(who, h('span', {}, role === 'operator' ? 'Operator' : 'API key holder'), signOut);
}

function stopPolling() {
  if (timer) clearTimeout(timer);
  timer = null;
}

async function route() {
  generation += 1;
  const gen = generation;
  stopPolling();
  leaving.forEach((fn) => fn());
  leaving = [];

  const main = document.getElementById('main');
  const {path, query} = parseHash();
  let found = null;
  let params = [];
  if (session.token() && path !== '/signin') {
    for (const r of ROUTES) {
      const match = r.path.exec(path);
      if (match) {
        found = r;
        params = match.slice(1).map(decodeURIComponent);
        break;
      }
    }
    if (!found || !found.roles.includes(session.role())) {
      location.replace(home());
      return;
    }
  }
  const page = found ? found.page : signin;
  renderNav(found ? found.href || found.section : null);

  const view = h('div', {class: 'view'});
  fill(main, view);
  const ctx = {
    params,
    query,
    /** Whether this page is still the one shown. */
    current: () => gen === generation,
    /** Shows another route. */
    go: (hash) => {
      if (location.hash === hash) route(); // the same route again: no hashchange comes
      else location.hash = hash;
    },
    /** Runs tick every 2 s while it answers true and this page is shown. */
    poll(tick) {
      if (gen !== generation || timer) return;
      timer = setTimeout(async () => {
        timer = null;
        if (gen !== generation) return;
        let again = false;
        try {
          again = await tick();
        } catch (e) {
          notify(`Live updates stopped: ${e.message}`, 'error');
        }
        if (again) ctx.poll(tick);
      }, POLL_MS);
    },
    /** fn runs when the page is left (to stop audio, free object URLs). */
    onLeave(fn) {
      leaving.push(fn);
    },
    /** Where a signed-in caller starts. */
    home,
    /** Renders the page afresh (after an action). */
    reload: () => route(),
  };
  try {
    await page.render(view, ctx);
    if (gen === generation) {
      document.title = `${page.title ? page.title(ctx) : 'Console'} · Transcriber console`;
    }
  } catch (e) {
    if (gen === generation) fill(view, h('h1', {}, 'Something went wrong'), problem(e));
  }
}

whenSignedOut((message) => {
  if (!session.token()) return;
  session.end();
  notify(`Signed out: ${message || 'the credential is no longer accepted.'}`, 'error');
  location.hash = '#/signin';
});

let lastPath = null;
window.addEventListener('hashchange', () => {
  const {path} = parseHash();
  const moved = path !== lastPath;
  lastPath = path;
  route().then(() => {
    if (moved) document.getElementById('main').focus({preventScroll: true});
  });
});

lastPath = parseHash().path;
if (!session.token() && lastPath !== '/signin') {
  location.replace('#/signin'); // answered by the hashchange listener
} else {
  route();
}
