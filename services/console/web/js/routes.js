// Hash routes and the API calls each page starts with, shared by boot.js
// (which starts those calls while the other modules load) and app.js
// (which makes them, finding them already under way).

// "#/decision/D1?x=y" -> { page: 'decision', parts: ['decision', 'D1'], q }
export function parseHash(hash) {
  const [path, query] = (hash || '#/queue').slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  return { page: parts[0] || 'queue', parts, q: new URLSearchParams(query || '') };
}

export const DEFAULT_CLASSES = 'REVIEW,LICENSE_REQUIRED,PROHIBITED';

// The queue's filters as API parameters (the list and the counts).
export function queueParams(q) {
  const p = new URLSearchParams();
  for (const k of ['from', 'until', 'party', 'rule', 'list', 'destination', 'page_token']) if (q.get(k)) p.set(k, q.get(k));
  p.set('decision', q.get('decision') ?? DEFAULT_CLASSES);
  return p;
}

export function queueListPath(q) {
  const p = queueParams(q);
  p.set('view', 'summary');
  p.set('limit', '50');
  return `decisions?${p}`;
}

export const decisionPath = (id) => `decisions/${encodeURIComponent(id)}`;

// GET calls a fresh load of `route` makes first (who is signed in and the
// page's data).
export function firstCalls(route) {
  const calls = ['whoami'];
  if (route.page === 'decision') calls.push(decisionPath(decodeURIComponent(route.parts[1] || '')));
  else if (route.page === 'queue') calls.push(queueListPath(route.q), 'dispositions');
  return calls;
}
