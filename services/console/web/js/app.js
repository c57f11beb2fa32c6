// Analyst console: hash routes, one module per concern kept small. No build
// step, no dependencies. Every value from the server is inserted as text.
import { api, ApiError, token, setToken } from './api.js';

const { parseHash, queueParams, queueListPath, decisionPath, DEFAULT_CLASSES } = window.esRoutes;  // index.html's inline script
import { h, clear, fmtTime, age, badge, table, kv, enableTableKeys, navigate } from './dom.js';
import { renderAnswer } from './answer.js';

performance.mark('app-evaluated');
const main = document.getElementById('main');
const messageBox = document.getElementById('message');
export const state = { me: null };
// Route generation: a page that finishes after the user moved on does not
// mark itself shown (data-ready is what the browser test waits on).
let routeSeq = 0;
function markReady(page, seq) {
  if (seq !== routeSeq) return;
  // Since the document's navigation start: the full-load figure.
  if (window.esTiming[page]) window.esTiming[page].ready_at = performance.now();
  main.dataset.ready = page;
}
// Render timings of the last page shown (read by the browser test).
window.esTiming = {};

export function showMessage(text, ok = false) {
  messageBox.textContent = text;
  messageBox.className = ok ? 'message ok' : 'message';
  messageBox.hidden = !text;
}
export function showError(e) {
  showMessage(e instanceof ApiError ? e.explain() : `Error: ${e.message}`);
}
export function isAnalyst() { return state.me && state.me.roles.includes('ROLE_ANALYST'); }
const isOperator = () => state.me && state.me.roles.includes('ROLE_OPERATOR');

// Resolves once the frame showing the DOM as it is now has been painted: a
// task queued from requestAnimationFrame runs after that frame's paint.
function afterPaint() {
  return new Promise((r) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => r();
    ch.port2.postMessage(null);
  }));
}

// ---- sign-in -------------------------------------------------------------
async function loadMe() {
  const who = document.getElementById('who');
  try {
    state.me = await api('whoami');
    who.textContent = `${state.me.principal} (${state.me.roles.map((r) => r.replace('ROLE_', '').toLowerCase()).join(', ')})${state.me.open_mode ? ' — open mode' : ''}`;
    who.title = who.textContent;
    return true;
  } catch (e) {
    state.me = null;
    who.textContent = 'not signed in';
    showError(e);
    return false;
  }
}
document.getElementById('signin').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = document.getElementById('token');
  setToken(input.value.trim());
  input.value = '';
  showMessage('');
  state.me = null;
  route();
});
document.getElementById('signout').addEventListener('click', () => {
  setToken('');
  state.me = null;
  document.getElementById('who').textContent = 'not signed in';
  clear(main).append(h('p', {}, 'Signed out. Enter a bearer token to sign in.'));
});

// ---- queue ---------------------------------------------------------------
const CLASSES = ['DECISION_REVIEW', 'DECISION_LICENSE_REQUIRED', 'DECISION_PROHIBITED', 'DECISION_CLEAR'];
const short = (d) => d.replace('DECISION_', '').replace('_', ' ');
let activeDispositions = null;  // Map "entity|party name|country" -> disposition

async function loadDispositions() {
  const log = (await api('dispositions')).dispositions || [];
  const revoked = new Set(log.filter((d) => d.revokes_id).map((d) => d.revokes_id));
  const active = new Map();
  for (const d of log) {
    if (d.revokes_id || revoked.has(d.id)) continue;
    active.set(`${d.entity_id}|${(d.party_name || '').toLowerCase()}|${d.party_country || ''}`, d);
  }
  return { log, revoked, active };
}

function dispositionsOf(record, disp) {
  const out = [];
  const parties = record.request.parties || [];
  for (const m of record.response.party_matches || []) {
    if (m.action === 'MATCH_ACTION_DISMISSED') { out.push(`dismissed ${m.entity_id}`); continue; }
    const p = parties[m.party_index || 0] || {};
    const d = disp && disp.active.get(`${m.entity_id}|${(p.name || '').toLowerCase()}|${p.country || ''}`);
    if (d) out.push(`${d.id} on ${m.entity_id}`);
  }
  return out;
}

async function pageQueue(q, me = Promise.resolve(true)) {
  const seq = routeSeq;
  const t0 = performance.now();
  const chosen = new Set((q.get('decision') ?? DEFAULT_CLASSES).split(',').filter(Boolean).map((d) => `DECISION_${d}`));
  const field = (name, label, attrs = {}) => h('label', {}, label, h('input', { name, value: q.get(name) || '', ...attrs }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter decisions' },
    field('from', 'From (date)', { type: 'date' }),
    field('until', 'Until (date)', { type: 'date' }),
    h('fieldset', {}, h('legend', { class: 'small muted' }, 'Decision class'),
      ...CLASSES.map((c) => h('label', {}, h('input', { type: 'checkbox', name: 'cls', value: c.replace('DECISION_', ''), checked: chosen.has(c) }), short(c)))),
    field('list', 'List (EL, SDN, DPL…)', { size: 6 }),
    field('party', 'Party name contains', { id: 'f-party' }),
    field('destination', 'Destination (ISO)', { size: 3, maxlength: 2 }),
    field('rule', 'Rule id'),
    h('div', {}, h('button', { type: 'submit' }, 'Apply'), ' ', h('button', { type: 'button', class: 'secondary', id: 'f-reset' }, 'Reset')));
  const counts = h('div', { class: 'counts', 'aria-live': 'polite' }, h('span', { class: 'muted small' }, 'Counting…'));
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'loading' }, 'Loading decisions…'));
  const pager = h('div', { class: 'pager' });
  // The pager sits above the table: the rows arriving move nothing below them.
  clear(main).append(h('h2', {}, 'Review queue'), form, counts, pager, body);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const p = new URLSearchParams();
    for (const k of ['from', 'until', 'list', 'party', 'destination', 'rule']) if (fd.get(k)) p.set(k, fd.get(k).trim());
    p.set('decision', fd.getAll('cls').join(','));
    navigate(`#/queue?${p}`);
  });
  form.querySelector('#f-reset').addEventListener('click', () => { navigate('#/queue'); });

  let page, disp;
  const data = Promise.all([api(queueListPath(q)), activeDispositions || loadDispositions()]);
  if (!(await me)) {
    data.catch(() => {});
    return signInPage(seq);
  }
  try {
    [page, disp] = await data;
  } catch (e) {
    clear(body).append(h('p', {}, 'The queue could not be loaded.'));
    showError(e);
    return;
  }
  activeDispositions = disp;
  const t1 = performance.now();
  const records = page.records || [];
  const rows = records.map((r) => {
    const resp = r.response;
    const parties = (r.request.parties || []).map((p) => p.name).join('; ');
    const hits = (resp.party_matches || []).map((m) => `${m.list}:${m.listed_name}${m.action === 'MATCH_ACTION_DISMISSED' ? ' (dismissed)' : ''}`);
    const rules = [...new Set((resp.findings || []).filter((f) => !f.informational).map((f) => f.rule_id))];
    const disps = dispositionsOf(r, disp);
    return h('tr', { 'data-href': `#/decision/${r.decision_id}` },
      h('td', { class: 'small' }, fmtTime(r.recorded_at)),
      h('td', {}, h('a', { href: `#/decision/${r.decision_id}` }, r.decision_id)),
      h('td', {}, badge(resp.decision)),
      h('td', {}, parties),
      h('td', {}, r.request.destination_country || ''),
      h('td', { class: 'small' }, hits.slice(0, 3).join('; ') + (hits.length > 3 ? ` +${hits.length - 3}` : '')),
      h('td', { class: 'small opt mono' }, rules.slice(0, 3).join(', ') + (rules.length > 3 ? ' …' : '')),
      h('td', { class: 'small' }, disps.length ? disps.join('; ') : ''));
  });
  const tbl = table(['Recorded', 'Decision', 'Class', 'Parties', 'Dest.', 'Hits', 'Rules', 'Dispositions'], rows, 'queue');
  clear(body).append(records.length ? tbl : h('p', {}, 'No decisions match these filters. Widen the time range or tick more classes.'));
  enableTableKeys(tbl);
  // Paging: the tokens of the pages before this one travel in the URL.
  const prev = (q.get('prev') || '').split(',').filter((x) => x !== '');
  const cur = q.get('page_token') || '';
  const go = (token, prevList) => {
    const p = new URLSearchParams(q);
    if (token) p.set('page_token', token); else p.delete('page_token');
    if (prevList.length) p.set('prev', prevList.join(',')); else p.delete('prev');
    navigate(`#/queue?${p}`);
  };
  const back = h('button', { type: 'button', class: 'secondary', disabled: !cur }, '← Newer');
  back.addEventListener('click', () => go(prev[prev.length - 1] === '0' ? '' : prev[prev.length - 1] || '', prev.slice(0, -1)));
  const next = h('button', { type: 'button', class: 'secondary', disabled: !page.next_page_token }, 'Older →');
  next.addEventListener('click', () => go(page.next_page_token, [...prev, cur || '0']));
  clear(pager).append(back, next, h('span', { class: 'muted small' }, `${records.length} shown${page.next_page_token ? ', more older' : ''}`));
  await afterPaint();
  const t2 = performance.now();
  window.esTiming.queue = { fetch_ms: t1 - t0, render_ms: t2 - t1, total_ms: t2 - t0, rows: records.length };
  markReady('queue', seq);
  // Counts per class come after the page (they scan the range).
  api(`decisions/counts?${queueParams(q)}`).then((c) => {
    const parts = Object.entries(c.counts).map(([k, v]) => h('span', { class: 'c' }, badge(k), ` ${v}`));
    clear(counts).append(...parts, h('span', { class: 'muted small' }, c.complete ? '(exact counts)' : `(first ${c.scanned} scanned; narrow the time range for exact counts)`));
  }).catch((e) => { clear(counts).append(h('span', { class: 'muted small' }, `Counts unavailable: ${e.message}`)); });
}

// ---- decision ------------------------------------------------------------
async function pageDecision(id, me = Promise.resolve(true)) {
  const seq = routeSeq;
  const t0 = performance.now();
  clear(main).append(h('h2', {}, `Decision ${id}`), h('p', { class: 'loading' }, 'Loading…'));
  let record;
  const data = api(decisionPath(id));
  if (!(await me)) {
    data.catch(() => {});
    return signInPage(seq);
  }
  try {
    record = await data;
  } catch (e) {
    clear(main).append(h('h2', {}, `Decision ${id}`), h('p', {}, 'This decision could not be loaded.'));
    showError(e);
    return;
  }
  const t1 = performance.now();
  performance.mark('decision-data');
  const replayOut = h('div', { class: 'replay', 'aria-live': 'polite' });
  const replayBtn = h('button', { type: 'button', id: 'replay' }, 'Replay under its versions');
  replayBtn.addEventListener('click', async () => {
    replayBtn.disabled = true;
    clear(replayOut).append(h('span', { class: 'muted' }, 'Replaying…'));
    try {
      const r = await api(`decisions/${encodeURIComponent(id)}/replay`);
      clear(replayOut).append(r.identical
        ? h('strong', { class: 'ok' }, 'Identical under its versions.')
        : h('div', {}, h('strong', {}, 'Differs: '), h('ul', {}, ...(r.differences || []).map((d) => h('li', {}, d)))));
    } catch (e) { clear(replayOut); showError(e); }
    replayBtn.disabled = false;
  });
  const again = h('button', { type: 'button', class: 'secondary', id: 'screen-again' }, 'Screen this request again');
  again.addEventListener('click', async () => {
    again.disabled = true;
    try {
      const req = { ...record.request };
      req.request_id = `${req.request_id || 'console'}-again-${Date.now()}`;
      const resp = await api('screen', { method: 'POST', body: req });
      showMessage(`Screened again: ${short(resp.decision)} (${resp.decision_id}).`, true);
      navigate(`#/decision/${resp.decision_id}`);
    } catch (e) { showError(e); }
    again.disabled = false;
  });
  clear(main).append(
    h('h2', {}, `Decision ${record.decision_id} `, badge(record.response.decision)),
    h('p', { class: 'small muted' }, `Recorded ${fmtTime(record.recorded_at)} · caller ${record.caller || 'anonymous'} · sequence ${record.sequence}`),
    h('div', { class: 'inline-form' }, replayBtn, again, h('a', { href: '#/queue' }, 'Back to the queue')),
    replayOut,
    renderAnswer(record.request, record.response, { onDismiss: dismissForm(record) }));
  performance.mark('decision-built');
  await afterPaint();
  const t2 = performance.now();
  window.esTiming.decision = { fetch_ms: t1 - t0, render_ms: t2 - t1, total_ms: t2 - t0 };
  markReady('decision', seq);
}

// The form under a hit: dismiss it as a false positive (analysts).
function dismissForm(record) {
  return (m) => {
    if (m.action === 'MATCH_ACTION_DISMISSED') {
      return h('p', { class: 'small' }, `Dismissed by disposition ${m.disposition_id}. `, h('a', { href: '#/dispositions' }, 'Revoke it on the dispositions page'), '.');
    }
    if (!isAnalyst()) return h('p', { class: 'small muted' }, 'Only analysts can dismiss a hit.');
    const reason = h('input', { type: 'text', name: 'reason', 'aria-label': `Reason to dismiss ${m.entity_id}`, placeholder: 'why this is not the listed party (required)' });
    const form = h('form', { class: 'inline-form dismiss', 'data-entity': m.entity_id },
      reason, h('button', { type: 'submit' }, 'Dismiss as false positive'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const d = await api('dispositions', { method: 'POST', body: { decision_id: record.decision_id, party_index: m.party_index || 0, entity_id: m.entity_id, reason: reason.value } });
        activeDispositions = null;
        showMessage(`Recorded disposition ${d.id}: later screenings of this party show ${m.entity_id} dismissed. Use "Screen this request again" to see it.`, true);
        form.replaceWith(h('p', { class: 'small' }, `Dismissed by ${d.id}.`));
      } catch (e) { showError(e); reason.focus(); }
    });
    return form;
  };
}

// ---- dispositions ----------------------------------------------------------
async function pageDispositions() {
  const seq = routeSeq;
  delete main.dataset.ready;
  clear(main).append(h('h2', {}, 'Dispositions'), h('p', { class: 'loading' }, 'Loading…'));
  let disp;
  try { disp = await loadDispositions(); } catch (e) { showError(e); return; }
  activeDispositions = disp;
  const rows = [...disp.log].reverse().map((d) => {
    const status = d.revokes_id ? `revokes ${d.revokes_id}` : disp.revoked.has(d.id) ? 'revoked' : 'active';
    const cell = h('td', {});
    if (status === 'active' && isAnalyst()) {
      const reason = h('input', { type: 'text', 'aria-label': `Reason to revoke ${d.id}`, placeholder: 'reason to revoke' });
      const f = h('form', { class: 'inline-form revoke', 'data-id': d.id }, reason, h('button', { type: 'submit', class: 'secondary' }, 'Revoke'));
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const r = await api(`dispositions/${d.id}/revoke`, { method: 'POST', body: { reason: reason.value } });
          showMessage(`Revoked ${d.id} (${r.id}).`, true);
          activeDispositions = null;
          pageDispositions();
        } catch (e) { showError(e); reason.focus(); }
      });
      cell.append(f);
    }
    return h('tr', { 'data-id': d.id }, h('td', { class: 'mono' }, d.id), h('td', { class: 'small' }, fmtTime(d.created_at)),
      h('td', {}, d.entity_id || ''), h('td', {}, [d.party_name, d.party_country].filter(Boolean).join(', ')),
      h('td', {}, d.reason || ''), h('td', {}, d.analyst || ''), h('td', { class: 'status' }, status), cell);
  });
  clear(main).append(h('h2', {}, 'Dispositions'),
    h('p', { class: 'small muted' }, 'Newest first. A disposition applies while the party (name, country, address) and the listed record stay as they were.'),
    rows.length ? table(['Id', 'When', 'Listed entity', 'Party', 'Reason', 'Analyst', 'Status', ''], rows) : h('p', {}, 'No dispositions yet.'));
  markReady('dispositions', seq);
}

// ---- alerts ----------------------------------------------------------------
async function pageAlerts(q) {
  const seq = routeSeq;
  delete main.dataset.ready;
  clear(main).append(h('h2', {}, 'Alerts'), h('p', { class: 'loading' }, 'Loading…'));
  const only = q.get('unacknowledged_only') === 'true';
  let alerts;
  try { alerts = (await api(`alerts?limit=500&unacknowledged_only=${only}`)).alerts || []; } catch (e) { showError(e); return; }
  const toggle = h('a', { href: only ? '#/alerts' : '#/alerts?unacknowledged_only=true' }, only ? 'Show all' : 'Show unacknowledged only');
  const rows = alerts.map((a) => {
    const cell = h('td', {});
    if (a.acknowledged) {
      cell.append(`acknowledged${a.acknowledged_by ? ` by ${a.acknowledged_by}` : ''}`);
    } else if (state.me && (isAnalyst() || isOperator())) {
      const b = h('button', { type: 'button', class: 'secondary' }, 'Acknowledge');
      b.addEventListener('click', async () => {
        try { await api(`alerts/${a.alert_id}/acknowledge`, { method: 'POST', body: {} }); showMessage(`Acknowledged ${a.alert_id}.`, true); pageAlerts(q); } catch (e) { showError(e); }
      });
      cell.append(b);
    }
    const change = a.kind === 'ALERT_KIND_RESCREEN_CHANGE' ? `${short(a.old_decision || '')} → ${short(a.new_decision || '')}` : [a.serial_number, a.country && `seen in ${a.country}`, a.declared_destination && `declared ${a.declared_destination}`].filter(Boolean).join(', ');
    return h('tr', {}, h('td', { class: 'mono' }, a.alert_id), h('td', { class: 'small' }, fmtTime(a.created_at)),
      h('td', {}, (a.kind || '').replace('ALERT_KIND_', '')),
      h('td', {}, a.decision_id ? h('a', { href: `#/decision/${a.decision_id}` }, a.decision_id) : ''),
      h('td', {}, change), h('td', { class: 'small' }, a.message || ''), cell);
  });
  clear(main).append(h('h2', {}, 'Alerts'), h('p', {}, toggle),
    rows.length ? table(['Id', 'Raised', 'Kind', 'Decision', 'What changed', 'Message', ''], rows) : h('p', {}, 'No alerts.'));
  markReady('alerts', seq);
}

// ---- versions --------------------------------------------------------------
async function pageVersions(q) {
  const seq = routeSeq;
  clear(main).append(h('h2', {}, 'Versions'), h('p', { class: 'loading' }, 'Loading…'));
  let v, status;
  try { [v, status] = await Promise.all([api('versions'), api('status')]); } catch (e) { showError(e); return; }
  const active = v.active || {};
  const lists = (v.list_versions || []).slice().reverse();
  const rules = (v.rule_sets || []).slice().reverse();
  const diffOut = h('div', { 'aria-live': 'polite' });
  const kindSel = h('select', { name: 'kind' }, h('option', { value: 'lists' }, 'list versions'), h('option', { value: 'rules' }, 'rule sets'));
  const fromIn = h('input', { name: 'from', placeholder: 'from (empty = active)' });
  const toIn = h('input', { name: 'to', placeholder: 'to (required)' });
  const diffForm = h('form', { class: 'inline-form' }, h('label', {}, 'Diff ', kindSel), fromIn, toIn, h('button', { type: 'submit' }, 'Diff'));
  diffForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(diffOut).append(h('span', { class: 'muted' }, 'Comparing…'));
    try {
      const d = await api(`versions/diff?${new URLSearchParams({ kind: kindSel.value, from: fromIn.value.trim(), to: toIn.value.trim() })}`);
      clear(diffOut).append(h('p', {}, `${d.from_version} → ${d.to_version}: ${d.added || 0} added, ${d.removed || 0} removed, ${d.changed || 0} changed.`),
        (d.entries || []).length ? table(['Change', 'Id', 'Label'], (d.entries || []).slice(0, 500).map((e) => h('tr', {}, h('td', {}, e.change), h('td', { class: 'mono' }, e.id), h('td', {}, e.label || '')))) : '');
    } catch (e) { clear(diffOut); showError(e); }
  });
  const useRow = (ver, input) => { input.value = ver; };
  clear(main).append(h('h2', {}, 'Versions'),
    h('div', { class: 'panel' }, h('h3', {}, 'Active'), kv([
      ['Serving', status.serving ? 'yes' : `no: ${status.not_serving_reason || ''}`],
      ['Rule set', `${active.rule_set_version || status.rule_set_version} (${status.rule_count || 0} rules)`],
      ['List version', `${active.list_version || status.list_version} (${status.entity_count || 0} entities)`],
      ['List age', (() => { const l = lists.find((x) => x.version === (active.list_version || status.list_version)); return l ? age(l.created_at) : '?'; })()],
      ['Activated', `${fmtTime(active.activated_at)} by ${active.activated_by || '?'} (${age(active.activated_at)} ago)`],
      ['Decisions stored', String(status.decision_count || 0)],
      ['Warnings', (status.warnings || []).join('; ') || 'none'],
    ])),
    h('h3', {}, 'Compare two versions'), diffForm, diffOut,
    h('h3', {}, 'List versions'),
    table(['Version', 'Created', 'Age', 'Entities', 'By list', 'Sources'], lists.map((l) => {
      const a = h('button', { type: 'button', class: 'secondary small' }, 'diff to');
      a.addEventListener('click', () => { kindSel.value = 'lists'; useRow(l.version, toIn); toIn.focus(); });
      return h('tr', {}, h('td', { class: 'mono' }, l.version, l.version === active.list_version ? ' (active)' : '', ' ', a), h('td', { class: 'small' }, fmtTime(l.created_at)), h('td', {}, age(l.created_at)),
        h('td', {}, String(l.entity_count || 0)), h('td', { class: 'small' }, Object.entries(l.counts_by_list || {}).map(([k, n]) => `${k} ${n}`).join(', ')), h('td', { class: 'small' }, (l.sources || []).join(', ')));
    })),
    h('h3', {}, 'Rule sets'),
    table(['Version', 'Created', 'Age', 'Rules', 'Source'], rules.map((r) => {
      const a = h('button', { type: 'button', class: 'secondary small' }, 'diff to');
      a.addEventListener('click', () => { kindSel.value = 'rules'; useRow(r.version, toIn); toIn.focus(); });
      return h('tr', {}, h('td', { class: 'mono' }, r.version, r.version === active.rule_set_version ? ' (active)' : '', ' ', a), h('td', { class: 'small' }, fmtTime(r.created_at)), h('td', {}, age(r.created_at)), h('td', {}, String(r.rule_count || 0)), h('td', { class: 'small' }, r.source || ''));
    })));
  markReady('versions', seq);
}

// ---- admin log -------------------------------------------------------------
async function pageLog() {
  const seq = routeSeq;
  clear(main).append(h('h2', {}, 'Admin log'), h('p', { class: 'loading' }, 'Loading…'));
  let acts;
  try { acts = (await api('admin-log?limit=300')).actions || []; } catch (e) { showError(e); return; }
  clear(main).append(h('h2', {}, 'Admin log'), h('p', { class: 'small muted' }, 'Who did what, newest first; refused calls included.'),
    table(['When', 'Who', 'From', 'Method', 'What', 'Result'], acts.map((a) => h('tr', {},
      h('td', { class: 'small' }, fmtTime(a.at)), h('td', {}, a.actor || ''), h('td', { class: 'small mono' }, a.peer || ''), h('td', {}, a.method || ''), h('td', { class: 'small mono' }, a.request_summary || ''),
      h('td', { class: 'small' }, a.status_code ? `refused/failed (${a.status_code}): ${a.status_message || ''}` : 'ok')))));
  markReady('log', seq);
}

// ---- screen form -------------------------------------------------------------
async function pageScreen() {
  const seq = routeSeq;
  const { screenForm } = await import('./screen.js');
  clear(main).append(h('h2', {}, 'Screen a shipment'), screenForm(async (req, out) => {
    clear(out).append(h('p', { class: 'muted' }, 'Screening…'));
    try {
      const resp = await api('screen', { method: 'POST', body: req });
      clear(out).append(h('h3', {}, 'Answer ', badge(resp.decision), ' ', h('a', { href: `#/decision/${resp.decision_id}` }, resp.decision_id)),
        renderAnswer(req, resp, {}));
    } catch (e) { clear(out); showError(e); }
  }));
  markReady('screen', seq);
}

// ---- router ----------------------------------------------------------------
function signInPage(seq) {
  clear(main).append(h('p', {}, 'Sign in with your bearer token to use the console.'));
  markReady('signin', seq);
}

async function route() {
  const seq = ++routeSeq;
  const r = parseHash(location.hash);
  const { page, parts, q } = r;
  delete main.dataset.ready;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  showMessage('');
  // Who is signed in is asked once per document; the queue and the
  // decision page fetch their data meanwhile (one round trip less).
  const me = state.me ? Promise.resolve(true) : loadMe();
  if (page === 'decision') return pageDecision(decodeURIComponent(parts[1] || ''), me);
  if (page === 'queue' || !['dispositions', 'alerts', 'versions', 'log', 'screen'].includes(page)) {
    return pageQueue(q, me);
  }
  if (!(await me)) return signInPage(seq);
  switch (page) {
    case 'dispositions': return pageDispositions();
    case 'alerts': return pageAlerts(q);
    case 'versions': return pageVersions(q);
    case 'log': return pageLog();
    case 'screen': return pageScreen();
    default: return undefined;
  }
}
window.addEventListener('hashchange', route);
document.addEventListener('keydown', (ev) => {
  if (ev.key === '/' && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
    const f = document.getElementById('f-party');
    if (f) { ev.preventDefault(); f.focus(); }
  }
});
if (token() === '') document.getElementById('token').focus();
route();
