// JSON API client: protobuf JSON of the server's messages (see
// services/server/console_http.h). The bearer token lives in this tab's
// sessionStorage only.

const { TOKEN_KEY, headers } = window.esRoutes;  // index.html's inline script, run first

export const token = window.esRoutes.token;
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
  return fetch(`/api/v1/${path}`, {
    method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// The first page's GET calls, started by index.html's inline script before the modules ran.
const early = window.esEarly;

export async function api(path, { method = 'GET', body } = {}) {
  let res, text;
  try {
    const e = method === 'GET' ? early.get(path) : undefined;
    if (e) early.delete(path);
    if (e && e.token === token()) {
      ({ res, text } = await e.pending);
    } else {
      res = await send(path, method, body);
      text = await res.text();
    }
  } catch (e) {
    throw new ApiError(0, { code: 'NETWORK', error: `cannot reach the server (${e.message}); check that screening_server is running` });
  }
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { error: text.slice(0, 300) }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
