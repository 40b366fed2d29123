// The gateway's JSON API as the console uses it: the credential lives in this tab's sessionStorage and goes out as an
// Authorization: Bearer header on every call (no cookies, so nothing another site could make the browser send).

const TOKEN = 'transcriber.console.token';
const ROLE = 'transcriber.console.role';

export const session = {
  token: () => sessionStorage.getItem(TOKEN),
  /** 'operator' (the admin token) or 'key' (an API key). */
  role: () => sessionStorage.getItem(ROLE),
  operator: () => sessionStorage.getItem(ROLE) === 'operator',
  start(token, role) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(ROLE, role);
  },
  end() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ROLE);
  },
};

/** A refused call, with the OpenAI error body's message and code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `The gateway answered ${status}.`);
    this.status = status;
    this.code = code;
  }
}

let onSignedOut = () => {};
/** What to do when the gateway no longer takes the credential (revoked key, changed token). */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** A query string from {name: value}; metadata {k: v} becomes metadata[k]=v; empty values are left out. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    if (name === 'metadata' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) search.append(`metadata[${k}]`, v);
    } else if (Array.isArray(value)) {
      value.forEach((v) => search.append(name, v));
    } else {
      search.append(name, value);
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * One call. options: json (a body sent as JSON), form (FormData), token (instead of the session's), as: 'json'
 * (default), 'text', 'blob' or 'response'.
 */
export async function call(method, path, options = {}) {
  const token = options.token || session.token();
  const headers = {Authorization: `Bearer ${token}`};
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  let response;
  try {
    response = await fetch(path, {method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error'});
  } catch (e) {
    throw new ApiError(0, 'network', `The gateway could not be reached (${e.message}).`);
  }
  if (!response.ok) {
    let code = null;
    let message = null;
    try {
      const error = (await response.json()).error || {};
      code = error.code;
      message = error.message;
    } catch (ignored) {
      // not JSON: keep the status alone
    }
    if (response.status === 401 && !options.token) onSignedOut(message);
    throw new ApiError(response.status, code, message);
  }
  switch (options.as) {
    case 'text': return response.text();
    case 'blob': return response.blob();
    case 'response': return response;
    default: return response.status === 204 ? null : response.json();
  }
}

export const get = (path, params, options) => call('GET', path + query(params), options);
export const post = (path, json, options) => call('POST', path, {...options, json});
export const patch = (path, json) => call('PATCH', path, {json});
export const del = (path) => call('DELETE', path);

/**
 * Which credential this is: the admin token opens /admin/overview (an operator); an API key opens /v1/usage (its
 * holder). Anything else is refused.
 */
export async function identify(token) {
  try {
    await call('GET', '/admin/overview', {token});
    return 'operator';
  } catch (e) {
    if (e.status !== 401 && e.status !== 403) throw e;
  }
  try {
    await call('GET', '/v1/usage', {token});
    return 'key';
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      throw new ApiError(e.status, e.code, 'Neither the admin token nor an API key: check what you pasted.');
    }
    throw e;
  }
}

/** Where the signed-in caller's jobs and batches live: /admin/* for the operator, /v1/* for a key. */
export const routes = {
  jobs: () => (session.operator() ? '/admin/jobs' : '/v1/transcription_jobs'),
  job: (id) => `${routes.jobs()}/${encodeURIComponent(id)}`,
  batches: () => (session.operator() ? '/admin/batches' : '/v1/transcription_batches'),
  batch: (id) => `${routes.batches()}/${encodeURIComponent(id)}`,
  usage: () => (session.operator() ? '/admin/usage' : '/v1/usage'),
};
