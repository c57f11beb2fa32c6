// The request and the answer side by side (decision page and screen form).
import { h, badge, table, kv } from './dom.js';
import { api } from './api.js';

function partyText(p) {
  const a = p.address || {};
  return [a.street, a.city, a.region, a.postal_code, a.country].filter(Boolean).join(', ');
}

function requestPanel(req) {
  const parties = (req.parties || []).map((p, i) => h('div', { class: 'hit', style: 'border-left-color: var(--line)' },
    h('strong', {}, `#${i} ${p.name || ''}`), ' ', h('span', { class: 'muted small' }, (p.role || '').replace('PARTY_ROLE_', '').toLowerCase().replace('_', ' ')),
    kv([['Country', p.country], ['Address', partyText(p)], ['Aliases', (p.aliases || []).join('; ')],
      ['Identifiers', (p.identifiers || []).map((x) => `${x.type}: ${x.value}`).join('; ')]])));
  const items = (req.items || []).map((it, i) => h('tr', {}, h('td', {}, String(i)), h('td', {}, it.description || it.part_number || ''),
    h('td', {}, (it.kind || '').replace('ITEM_KIND_', '')), h('td', {}, it.declared_eccn || ''), h('td', {}, String(it.quantity || '')),
    h('td', { class: 'small mono' }, (it.serial_numbers || []).join(', '))));
  return h('section', { class: 'panel', 'aria-label': 'Request' }, h('h3', {}, 'Request'),
    kv([['Request id', req.request_id], ['Exporter', req.exporter], ['Destination', req.destination_country], ['As of', req.as_of_date]]),
    h('h3', {}, 'Parties'), ...parties,
    h('h3', {}, 'Items'), items.length ? table(['#', 'Item', 'Kind', 'ECCN', 'Qty', 'Serials'], items) : h('p', {}, 'none'),
    h('details', {}, h('summary', {}, 'Request JSON'), h('pre', {}, JSON.stringify(req, null, 1))));
}

// Query and listed tokens aligned: exact, fuzzy, missing, extra.
function alignment(m) {
  const al = m.alignment || [];
  if (!al.length) return h('p', { class: 'small muted' }, 'No token alignment recorded.');
  const q = h('tr', {}, h('th', { scope: 'row' }, 'query'));
  const l = h('tr', {}, h('th', { scope: 'row' }, 'listed'));
  const k = h('tr', {}, h('th', { scope: 'row' }, 'kind'));
  for (const a of al) {
    const cls = /exact/.test(a.kind) ? 'exact' : /missing/.test(a.kind) ? 'missing' : /extra/.test(a.kind) ? 'extra' : 'fuzzy';
    q.append(h('td', { class: cls }, a.query_token || '—'));
    l.append(h('td', { class: cls }, a.listed_token || '—'));
    k.append(h('td', { class: `${cls} tok-kind` }, `${a.kind || ''}${a.similarity !== undefined ? ` ${Number(a.similarity).toFixed(2)}` : ''}`));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'align', 'aria-label': `Token alignment for ${m.entity_id}` }, h('tbody', {}, q, l, k)));
}

function listedRecord(m) {
  const box = h('details', { class: 'listed' }, h('summary', {}, 'Listed record'));
  box.addEventListener('toggle', async () => {
    if (!box.open || box.dataset.loaded) return;
    box.dataset.loaded = '1';
    const out = h('div', {}, h('span', { class: 'muted small' }, 'Loading…'));
    box.append(out);
    try {
      const e = await api(`entities/${encodeURIComponent(m.entity_id)}`);
      out.replaceWith(kv([['Name', e.primary_name], ['List', e.list], ['Type', (e.type || '').replace('ENTITY_TYPE_', '').toLowerCase()],
        ['Programmes', (e.programs || []).join(', ')], ['Countries', (e.countries || []).join(', ')],
        ['Addresses', (e.addresses || []).map((a) => [a.street, a.city, a.region, a.postal_code, a.country].filter(Boolean).join(', ')).join(' | ')],
        ['Aliases', (e.aliases || []).map((a) => (typeof a === 'string' ? a : a.name)).join('; ')],
        ['Licence requirement', e.license_requirement], ['Licence policy', e.license_policy],
        ['Footnotes', (e.el_footnotes || []).join(', ')], ['Federal Register', (e.federal_register_citations || []).join('; ')],
        ['Source', e.source_id], ['Remarks', e.remarks]]));
    } catch (err) { out.textContent = `Listed record unavailable: ${err.message}`; }
  });
  return box;
}

function hitBlock(m, opts) {
  const dismissed = m.action === 'MATCH_ACTION_DISMISSED';
  return h('div', { class: `hit${dismissed ? ' dismissed' : ''}`, 'data-entity': m.entity_id, 'data-action': m.action },
    h('div', {}, badge(m.action), ' ', h('strong', {}, `${m.list}: ${m.listed_name}`), ' ', h('span', { class: 'small muted' }, `${m.entity_id} · score ${Number(m.score || 0).toFixed(2)}${m.matched_alias ? ' · alias' : ''}`)),
    kv([['Party', `#${m.party_index || 0} ${m.party_name || ''}`], ['Matched name', m.matched_name], ['Normalised', `${m.normalized_query || ''} ~ ${m.normalized_listed || ''}`],
      ['Steps', (m.normalization_steps || []).join(', ')], ['Corroboration', (m.corroboration || []).join('; ')],
      ['Listed countries', (m.listed_countries || []).join(', ')], ['Licence requirement', m.license_requirement], ['Licence policy', m.license_policy],
      ['EL footnotes', (m.el_footnotes || []).join(', ')], ['Citations', (m.citations || []).join('; ')], ['Why', m.why],
      ['Disposition', m.disposition_id]]),
    alignment(m), listedRecord(m), opts.onDismiss ? opts.onDismiss(m) : '');
}

export function renderAnswer(req, resp, opts) {
  const rules = new Map((resp.rules || []).map((r) => [r.rule_id, r]));
  const findings = (resp.findings || []).map((f) => {
    const r = rules.get(f.rule_id) || {};
    return h('tr', {}, h('td', { class: 'mono' }, f.rule_id), h('td', {}, badge(f.severity)), h('td', {}, f.message || '', f.informational ? ' (informational)' : ''),
      h('td', { class: 'small' }, r.citation || ''), h('td', { class: 'small' }, [r.effective_from, r.effective_until].filter(Boolean).join(' – ')),
      h('td', { class: 'small' }, (f.facts || []).map((x) => `${x.name}=${x.value}`).join('; ')));
  });
  const items = (resp.item_determinations || []).map((d) => h('tr', {}, h('td', {}, String(d.item_index || 0)), h('td', {}, d.eccn || ''),
    h('td', {}, d.license_required ? 'yes' : 'no'), h('td', { class: 'small' }, d.review_policy || ''), h('td', { class: 'small mono' }, (d.license_rule_ids || []).join(', '))));
  const answer = h('section', { class: 'panel', 'aria-label': 'Answer' }, h('h3', {}, 'Answer ', badge(resp.decision)),
    kv([['Decision id', resp.decision_id], ['Evaluated', resp.evaluated_at], ['As of', resp.as_of_date], ['Rule set', resp.rule_set_version], ['List version', resp.list_version],
      ['Destination groups', (resp.destination_groups || []).join(', ')]]),
    h('h3', {}, `Party hits (${(resp.party_matches || []).length})`),
    ...(resp.party_matches || []).map((m) => hitBlock(m, opts)),
    (resp.party_matches || []).length ? '' : h('p', {}, 'No listed party matched.'),
    h('h3', {}, 'Findings'), findings.length ? h('div', { class: 'table-wrap' }, table(['Rule', 'Severity', 'Message', 'Citation', 'Effective', 'Facts'], findings)) : h('p', {}, 'No findings.'),
    items.length ? h('h3', {}, 'Items') : '', items.length ? table(['#', 'ECCN', 'Licence', 'Policy', 'Rules'], items) : '',
    (resp.rules || []).length ? h('details', {}, h('summary', {}, `Rules cited (${resp.rules.length})`),
      table(['Rule', 'Title', 'Citation', 'Jurisdiction', 'Action', 'Effective'], resp.rules.map((r) => h('tr', {}, h('td', { class: 'mono' }, r.rule_id), h('td', {}, r.title || ''), h('td', { class: 'small' }, r.citation || ''),
        h('td', {}, r.jurisdiction || ''), h('td', { class: 'small' }, r.action || ''), h('td', { class: 'small' }, [r.effective_from, r.effective_until].filter(Boolean).join(' – ')))))) : '',
    h('details', {}, h('summary', {}, 'Answer JSON'), h('pre', {}, JSON.stringify(resp, null, 1))));
  return h('div', { class: 'side' }, requestPanel(req), answer);
}
