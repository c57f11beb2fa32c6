// The screen form: one shipment (parties, items, destination) as a
// ScreenRequest; the answer is shown as on the decision page.
import { h, clear } from './dom.js';

const ROLES = ['END_USER', 'ULTIMATE_CONSIGNEE', 'INTERMEDIATE_CONSIGNEE', 'PURCHASER', 'FREIGHT_FORWARDER', 'EXPORTER'];
const KINDS = ['OTHER', 'IC', 'COMPUTER', 'HBM', 'SME_TOOL', 'SME_SUBSYSTEM'];

const input = (name, label, attrs = {}) => h('label', {}, label, h('input', { name, ...attrs }));
const select = (name, label, values) => h('label', {}, label, h('select', { name }, ...values.map((v) => h('option', { value: v }, v.toLowerCase().replace(/_/g, ' ')))));

function partyRow(i) {
  return h('fieldset', { class: 'party' }, h('legend', {}, `Party ${i + 1}`),
    h('div', { class: 'row' }, select('role', 'Role', ROLES), input('name', 'Name', { required: true }), input('country', 'Country (ISO)', { maxlength: 2, size: 3 }),
      input('street', 'Street'), input('city', 'City')));
}
function itemRow(i) {
  return h('fieldset', { class: 'item' }, h('legend', {}, `Item ${i + 1}`),
    h('div', { class: 'row' }, input('description', 'Description'), select('kind', 'Kind', KINDS), input('part_number', 'Part number'),
      input('declared_eccn', 'ECCN'), input('quantity', 'Quantity', { type: 'number', min: 1, value: '1' }), input('serials', 'Serial numbers (comma-separated)')));
}

export function screenForm(onSubmit) {
  const parties = h('div', {}, partyRow(0));
  const items = h('div', {}, itemRow(0));
  const out = h('div', { class: 'answer', 'aria-live': 'polite' });
  const addParty = h('button', { type: 'button', class: 'secondary' }, '+ party');
  addParty.addEventListener('click', () => parties.append(partyRow(parties.children.length)));
  const addItem = h('button', { type: 'button', class: 'secondary' }, '+ item');
  addItem.addEventListener('click', () => items.append(itemRow(items.children.length)));
  const form = h('form', { class: 'form', id: 'screen-form' },
    h('div', { class: 'row' }, input('request_id', 'Request id', { value: `console-${Date.now()}` }), input('destination_country', 'Destination (ISO)', { required: true, maxlength: 2, size: 3 }),
      input('exporter', 'Exporter'), input('as_of_date', 'As of (optional)', { type: 'date' }),
      h('label', {}, 'Near misses', h('span', {}, h('input', { type: 'checkbox', name: 'explain' }), ' explain (analysts)'))),
    parties, addParty, items, addItem, ' ', h('button', { type: 'submit' }, 'Screen'));
  const v = (el, n) => (el.querySelector(`[name=${n}]`).value || '').trim();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const req = {
      request_id: v(form, 'request_id'), destination_country: v(form, 'destination_country').toUpperCase(), exporter: v(form, 'exporter'),
      parties: [...parties.children].map((p) => ({
        role: `PARTY_ROLE_${v(p, 'role')}`, name: v(p, 'name'), country: v(p, 'country').toUpperCase(),
        address: { street: v(p, 'street'), city: v(p, 'city'), country: v(p, 'country').toUpperCase() },
      })),
      items: [...items.children].map((it) => ({
        description: v(it, 'description'), kind: `ITEM_KIND_${v(it, 'kind')}`, part_number: v(it, 'part_number'), declared_eccn: v(it, 'declared_eccn'),
        quantity: Number(v(it, 'quantity') || 1), serial_numbers: v(it, 'serials').split(',').map((s) => s.trim()).filter(Boolean),
      })),
    };
    if (v(form, 'as_of_date')) req.as_of_date = v(form, 'as_of_date');
    if (form.querySelector('[name=explain]').checked) req.explain = true;
    onSubmit(req, out);
  });
  return h('div', {}, form, out);
}

export { clear };
