// DOM helpers: every string becomes a text node (no HTML from data).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'checked' || k === 'disabled' || k === 'value') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === '') continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Changes the route; the page's data-ready marker goes until the new page
// is shown (tests wait on it).
export function navigate(hash) {
  delete document.getElementById('main').dataset.ready;
  location.hash = hash;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// protobuf JSON Timestamps are RFC 3339 strings.
export function fmtTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  if (isNaN(d)) return String(ts);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:\d\dZ$/, 'Z');
}

export function age(ts) {
  if (!ts) return '?';
  const s = Math.max(0, (Date.now() - new Date(ts).getTime()) / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

export function badge(value) {
  const text = String(value || '').replace(/^(DECISION|MATCH_ACTION)_/, '').replace('_', ' ');
  return h('span', { class: `badge ${value}` }, text);
}

export function table(headers, rows, cls = '') {
  return h('table', { class: cls },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows));
}

export function kv(pairs) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    dl.append(h('dt', {}, k), h('dd', {}, v));
  }
  return dl;
}

// j/k move the selected row, Enter opens its link.
export function enableTableKeys(tbl) {
  const rows = [...tbl.querySelectorAll('tbody tr')];
  if (!rows.length) return;
  let i = -1;
  tbl.setAttribute('tabindex', '0');
  tbl.setAttribute('aria-label', 'Decisions: j and k move, Enter opens');
  const select = (n) => {
    if (i >= 0) rows[i].classList.remove('sel');
    i = Math.max(0, Math.min(rows.length - 1, n));
    rows[i].classList.add('sel');
    rows[i].scrollIntoView({ block: 'nearest' });
  };
  tbl.addEventListener('keydown', (ev) => {
    if (ev.key === 'j' || ev.key === 'ArrowDown') { ev.preventDefault(); select(i + 1); }
    else if (ev.key === 'k' || ev.key === 'ArrowUp') { ev.preventDefault(); select(i - 1); }
    else if (ev.key === 'Enter' && i >= 0 && rows[i].dataset.href) { navigate(rows[i].dataset.href); }
  });
  tbl.addEventListener('focus', () => { if (i < 0) select(0); });
}
