// JSON API client: protobuf JSON of the server's messages (see
// services/server/console_http.h). The bearer token lives in this tab's
// sessionStorage only.

const TOKEN_KEY = 'es-token';

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
}

// What the user can do about an error, by HTTP status.
const ADVICE = {
  400: 'Correct the field named above and try again.',
  401: 'Sign in with a bearer token (the field at the top right); ask your administrator for one.',
  403: 'Your principal lacks the role for this; ask for the right role or have a colleague with it do this.',
  404: 'Check the id; it may have expired or never existed.',
  409: 'The data changed or the request does not apply; reload the page and check.',
  415: 'The console sent a malformed request; reload the page.',
  429: 'The server is busy; wait a few seconds and try again.',
  503: 'The server is not serving yet (no active list or rule version); ask an operator.',
  504: 'The server took too long; try again or narrow the filters.',
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || '';
    this.field = body.field || '';
  }
  explain() {
    const what = this.field ? `${this.field}: ` : '';
    let msg = this.message;
    if (this.field && msg.startsWith(this.field + ':')) msg = msg.slice(this.field.length + 1).trim();
    const advice = ADVICE[this.status] || 'Try again; if it persists, tell an operator (the server log has details).';
    return `${what}${msg} (${this.status} ${this.code}). ${advice}`;
  }
}

function send(path, method = 'GET', body = undefined) {
  const headers = { 'Accept': 'application/json' };
  const t = token();
  if (t) headers['Authorization'] = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`/api/v1/${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// GET calls started before the page asks for them (boot.js), by path, with
// the token they were sent with; each is used once, by the first api() call
// of the same path and token. Only the first prefetch of a document counts
// (app.js calls it too, in case it runs first).
const early = new Map();
let prefetched = false;
export function prefetch(paths) {
  if (prefetched) return;
  prefetched = true;
  for (const p of paths) {
    const pending = send(p);
    pending.catch(() => {});  // reported when used
    early.set(p, { token: token(), pending });
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  let res;
  try {
    const e = method === 'GET' ? early.get(path) : undefined;
    if (e) early.delete(path);
    res = await (e && e.token === token() ? e.pending : send(path, method, body));
  } catch (e) {
    throw new ApiError(0, { code: 'NETWORK', error: `cannot reach the server (${e.message}); check that screening_server is running` });
  }
  let data = {};
  const text = await res.text();
  try { data = text ? JSON.parse(text) : {}; } catch { data = { error: text.slice(0, 300) }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
