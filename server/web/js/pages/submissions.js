// Every submission, filtered, sorted and paged on the server; the filter
// lives in the address, so a link shows the same list. Several records can
// be approved at once (each approval is still its own signed event), and the
// export takes exactly the filter shown.

import {api, query} from '../api.js';
import {link} from '../app.js';
import {h, replace} from '../dom.js';
import {formDocument, latestForms, places, title} from '../forms.js';
import {formatDateTime, formatDay, formatNumber, language, t, tn} from '../i18n.js';
import {REVIEW_STATES, errorText, field, flags, select, shortId, stateBadge} from '../widgets.js';

export const PAGE_SIZE = 50;

// The filters this page keeps in the address, as the API names them.
export const FILTERS = ['form', 'region', 'centre', 'volunteer', 'from', 'to', 'state', 'conflicts', 'duplicates',
  'changed', 'q'];

export function filterOf(params) {
  const f = {};
  for (const k of FILTERS) if (params[k]) f[k] = params[k];
  return f;
}

const COLUMNS = [
  {key: 'id', label: 'column.id'},
  {key: 'form', label: 'column.form'},
  {key: 'day', label: 'column.day', sort: 'day'},
  {key: 'centre', label: 'column.centre', sort: 'centre'},
  {key: 'volunteer', label: 'column.volunteer', sort: 'volunteer'},
  {key: 'updated', label: 'column.updated', sort: 'updated'},
  {key: 'state', label: 'column.state', sort: 'state'},
];

function filterBar(params, forms, docs, where, apply) {
  const set = (k) => (v) => apply({...params, [k]: v, offset: ''});
  const regionOptions = [['', t('filter.all_regions')], ...[...where.regions].map(([code, name]) => [code, name])];
  const centreOptions = [['', t('filter.all_centres')], ...[...where.centres.values()]
      .filter((c) => !params.region || c.region === params.region).map((c) => [c.name, c.label])];
  const search = h('input', {id: 'f-q', type: 'search', value: params.q || '', placeholder: t('filter.search_hint')});
  const checkbox = (k, label) => h('label', {class: 'check'}, h('input', {type: 'checkbox', id: 'f-' + k,
    checked: params[k] === '1', on: {change: (e) => set(k)(e.target.checked ? '1' : '')}}), ' ', label);
  const date = (k) => h('input', {id: 'f-' + k, type: 'date', value: params[k] || '', on: {change: (e) => set(k)(e.target.value)}});
  const volunteer = h('input', {id: 'f-volunteer', value: params.volunteer || '', size: 10,
    on: {change: (e) => set('volunteer')(e.target.value.trim())}});
  return h('form', {class: 'filters', role: 'search', on: {submit: (e) => {
    e.preventDefault();
    set('q')(search.value.trim());
  }}},
  field(t('filter.form'), select('f-form', [['', t('filter.all_forms')], ...forms.map((f, i) => [f.form, title(docs[i]) || f.form])],
      params.form, set('form'))),
  field(t('filter.region'), select('f-region', regionOptions, params.region, (v) => apply({...params, region: v, centre: '', offset: ''}))),
  field(t('filter.centre'), select('f-centre', centreOptions, params.centre, set('centre'))),
  field(t('filter.volunteer'), volunteer),
  field(t('filter.from'), date('from')),
  field(t('filter.to'), date('to')),
  field(t('filter.state'), select('f-state', [['', t('filter.any_state')], ...REVIEW_STATES.map((s) => [s, t('state.' + s)])],
      params.state, set('state'))),
  h('div', {class: 'field'}, h('span', null, ' '), checkbox('conflicts', t('filter.conflicts'))),
  h('div', {class: 'field'}, h('span', null, ' '), checkbox('duplicates', t('filter.duplicates'))),
  h('div', {class: 'field'}, h('span', null, ' '), checkbox('changed', t('filter.changed'))),
  field(t('filter.search'), search),
  h('button', {type: 'submit'}, t('filter.apply')));
}

function sortHeader(column, params, apply) {
  if (!column.sort) return h('th', {scope: 'col'}, t(column.label));
  const active = params.sort === column.sort;
  const descending = active && params.order === 'desc';
  return h('th', {'scope': 'col', 'aria-sort': active ? (descending ? 'descending' : 'ascending') : 'none'},
      h('button', {type: 'button', class: 'sort', on: {click: () => apply({...params, sort: column.sort,
        order: active && !descending ? 'desc' : 'asc', offset: ''})}},
      t(column.label), active ? (descending ? ' ▼' : ' ▲') : ''));
}

async function approveSelected(ids, app) {
  let done = 0;
  const failed = [];
  for (const id of ids) {
    app.announce(t('bulk.progress', {done: formatNumber(done), total: formatNumber(ids.length)}));
    try {
      await app.decide(id, {state: 'approved'});
      ++done;
    } catch (err) {
      failed.push(`${shortId(id)}: ${errorText(err)}`);
    }
  }
  app.announce(failed.length ? [tn('bulk.approved', done), ' ', t('bulk.failed'), ' ', failed.join('; ')] :
    tn('bulk.approved', done), failed.length ? 'error' : 'ok');
}

export async function render(main, params, app) {
  // Newest changes first, unless the address says otherwise.
  params = {sort: 'updated', order: 'desc', ...params};
  const filter = filterOf(params);
  const offset = Number(params.offset) || 0;
  const [data, forms, where] = await Promise.all([
    api('GET', '/submissions' + query({...filter, sort: params.sort, order: params.order, limit: PAGE_SIZE, offset})),
    latestForms(),
    places(params.form),
  ]);
  const docs = await Promise.all(forms.map((f) => formDocument(f.hash)));
  const formTitle = new Map(forms.map((f, i) => [f.form, title(docs[i]) || f.form]));
  const centreName = (code) => (where.centres.get(code) || {}).label || code;
  document.title = t('nav.submissions') + ' · Dala';
  const apply = (p) => app.navigate('submissions', p);
  const list = data.submissions;
  // What the record page offers as "next" and "previous".
  sessionStorage.setItem('dala.list', JSON.stringify({params, ids: list.map((s) => s.id)}));

  const canDecide = app.session.can_decide;
  const selected = new Set();
  const approve = h('button', {type: 'button', class: 'primary', disabled: true, on: {click: async () => {
    approve.disabled = true;
    await approveSelected([...selected], app);
    app.refresh();
  }}}, t('bulk.approve'));
  const updateApprove = () => {
    approve.disabled = selected.size === 0;
    approve.textContent = selected.size ? tn('bulk.approve_n', selected.size) : t('bulk.approve');
  };
  const pick = (id, on) => {
    if (on) selected.add(id);
    else selected.delete(id);
    updateApprove();
  };
  const boxes = [];
  const all = h('input', {'type': 'checkbox', 'id': 'select-all', 'aria-label': t('bulk.select_all'), 'on': {change: (e) => {
    for (const b of boxes) {
      b.checked = e.target.checked;
      pick(b.value, b.checked);
    }
  }}});

  const rows = list.map((s) => {
    const box = canDecide ? h('input', {'type': 'checkbox', 'value': s.id, 'aria-label': t('bulk.select', {id: shortId(s.id)}),
      'disabled': s.review_state === 'approved', 'on': {change: (e) => pick(s.id, e.target.checked)}}) : null;
    if (box) boxes.push(box);
    const day = s.visit_date || new Date(s.created_ms).toISOString().slice(0, 10);
    return h('tr', null,
        canDecide ? h('td', null, box) : null,
        h('td', null, h('a', {href: link('submission', {id: s.id}), class: 'mono'}, shortId(s.id))),
        h('td', {class: 'wrap'}, formTitle.get(s.form) || s.form),
        h('td', null, formatDay(day)),
        h('td', {class: 'wrap'}, centreName(s.centre)),
        h('td', null, s.volunteer),
        h('td', null, formatDateTime(s.updated_ms)),
        h('td', null, stateBadge(s.review_state), flags(s)));
  });

  const exportLinks = params.form ? h('span', {class: 'export'}, t('export.label'), ' ',
      h('a', {href: '/api/v1/export/xlsx' + query({...filter, lang: language()}), download: ''}, 'XLSX'), ' · ',
      // With a byte order mark, as Excel on Windows needs for Kazakh and Russian.
      h('a', {href: '/api/v1/export/csv' + query({...filter, lang: language(), bom: '1'}), download: ''}, 'CSV'), ' · ',
      h('a', {href: '/api/v1/export/json' + query(filter), download: ''}, 'JSON')) :
    h('span', {class: 'hint'}, t('export.pick_form'));

  const last = Math.min(offset + list.length, data.total);
  const pager = h('nav', {'class': 'toolbar', 'aria-label': t('pager.label')},
      h('span', null, data.total ? t('pager.range', {from: formatNumber(offset + 1), to: formatNumber(last),
        total: formatNumber(data.total)}) : t('pager.none')),
      h('span', {class: 'spacer'}),
      h('button', {type: 'button', disabled: offset === 0,
        on: {click: () => apply({...params, offset: Math.max(0, offset - PAGE_SIZE)})}}, t('pager.previous')),
      h('button', {type: 'button', disabled: last >= data.total,
        on: {click: () => apply({...params, offset: offset + PAGE_SIZE})}}, t('pager.next')));

  replace(main,
      h('h1', null, t('nav.submissions')),
      filterBar(params, forms, docs, where, apply),
      h('div', {class: 'toolbar'}, canDecide ? approve : null, h('span', {class: 'spacer'}), exportLinks),
      list.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'list'},
          h('caption', {class: 'hint'}, tn('submissions.count', data.total)),
          h('thead', null, h('tr', null, canDecide ? h('th', {scope: 'col'}, all) : null,
              COLUMNS.map((c) => sortHeader(c, params, apply)))),
          h('tbody', null, rows))) : h('p', {class: 'empty'}, t('submissions.none')),
      pager);
}
