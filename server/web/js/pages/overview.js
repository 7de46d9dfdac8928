// What needs a coordinator now, and how far the fieldwork has come.

import {api, query} from '../api.js';
import {link} from '../app.js';
import {columnChart, figureTable, meter} from '../charts.js';
import {h, replace} from '../dom.js';
import {latestForms, formDocument, places, title} from '../forms.js';
import {formatDateTime, formatDay, formatNumber, t, tn} from '../i18n.js';

function needCard(count, label, href) {
  return h('li', {class: ['need', count > 0 ? 'open' : 'done']},
      h('a', {href}, h('span', {class: 'count'}, formatNumber(count)), h('span', {class: 'what'}, label)));
}

function formPicker(forms, docs, current, onChange) {
  const select = h('select', {id: 'overview-form', on: {change: (e) => onChange(e.target.value)}},
      h('option', {value: ''}, t('filter.all_forms')),
      forms.map((f, i) => h('option', {value: f.form, selected: f.form === current}, title(docs[i]) || f.form)));
  return h('p', {class: 'filters'}, h('label', {for: 'overview-form'}, t('filter.form')), ' ', select);
}

export async function render(main, params, app) {
  const form = params.form || '';
  const staleDays = Number(params.stale_days) || 7;
  const [data, forms, where] = await Promise.all([
    api('GET', '/overview' + query({form, stale_days: staleDays})),
    latestForms(),
    places(form),
  ]);
  const docs = await Promise.all(forms.map((f) => formDocument(f.hash)));
  document.title = t('nav.overview') + ' · Dala';
  const n = data.needs;
  const base = {form};
  const needs = h('ul', {class: 'needs'},
      needCard(n.unreviewed, t('needs.unreviewed'), link('submissions', {...base, state: 'received'})),
      needCard(n.conflicts, t('needs.conflicts'), link('submissions', {...base, conflicts: 1})),
      needCard(n.duplicates, t('needs.duplicates'), link('duplicates', base)),
      needCard(n.sent_back, t('needs.sent_back'), link('submissions', {...base, state: 'has_issues'})),
      needCard(n.changed_after_decision, t('needs.changed'), link('submissions', {...base, changed: 1})),
      needCard(data.laptops.stale.length, tn('needs.stale_laptops', staleDays), '#stale-laptops'));

  const perDay = data.per_day.map((d) => ({label: formatDay(d.day), value: d.count}));
  const days = h('section', {'aria-labelledby': 'per-day'},
      h('h2', {id: 'per-day'}, t('overview.per_day')),
      perDay.length ? h('div', {class: 'two-columns'}, columnChart(perDay, {title: t('overview.per_day')}),
          h('div', {'class': 'scroll', 'tabindex': '0', 'role': 'region', 'aria-label': t('overview.per_day')}, figureTable([{key: 'label', label: t('column.day')},
            {key: 'value', label: t('column.records'), align: 'num'}], [...perDay].reverse()))) :
        h('p', {class: 'empty'}, t('overview.no_records')));

  // An empty code is records that did not name one (an interview declined
  // at the door), not a place whose name is unknown.
  const regionName = (code) => where.regions.get(code) || code || t('coverage.no_region');
  const centreName = (code) => (where.centres.get(code) || {}).label || code || t('coverage.no_centre');
  // Bars against the target where the centres' list has one, else against
  // the busiest row, so the table reads at a glance either way.
  const bar = (rows) => {
    const most = Math.max(1, ...rows.map((r) => r.count));
    // On one line: "4 of" over "30" reads as two figures.
    return (v, row) => h('span', {class: 'nowrap'}, meter(row.count, row.target || most, Boolean(row.target)), ' ',
        row.target ? t('coverage.of_target', {count: formatNumber(row.count), target: formatNumber(row.target)}) :
          formatNumber(row.count));
  };
  // The places first; records that named none after them.
  const placesFirst = (key) => (a, b) => (a[key] === '') - (b[key] === '');
  const regionRows = [...data.coverage.regions].sort(placesFirst('region')).map((r) => ({
    name: regionName(r.region), count: r.count, target: r.target, visited: r.visited, centres: r.centres,
    className: r.count === 0 ? 'unvisited' : ''}));
  const centreRows = [...data.coverage.centres].sort(placesFirst('centre')).map((c) => ({
    name: centreName(c.centre), region: regionName(c.region), count: c.count, target: c.target,
    className: c.count === 0 ? 'unvisited' : ''}));
  const coverage = h('section', {'aria-labelledby': 'coverage'},
      h('h2', {id: 'coverage'}, t('overview.coverage')),
      h('p', {class: 'hint'}, data.coverage.target_note ? t('coverage.targets') : t('coverage.no_targets')),
      h('div', {class: 'two-columns'},
          figureTable([
            {key: 'name', label: t('column.region')},
            {key: 'visited', label: t('column.centres_visited'), align: 'num',
              format: (v, r) => (r.centres ? `${formatNumber(r.visited)} / ${formatNumber(r.centres)}` : '—')},
            {key: 'count', label: t('column.records'), format: bar(regionRows)},
          ], regionRows, {caption: t('coverage.by_region')}),
          figureTable([
            {key: 'name', label: t('column.centre')},
            {key: 'region', label: t('column.region')},
            {key: 'count', label: t('column.records'), format: bar(centreRows)},
          ], centreRows, {caption: t('coverage.by_centre')})));

  const daysInput = h('input', {id: 'stale-days', type: 'number', min: 1, max: 365, value: staleDays, size: 4,
    on: {change: (e) => app.navigate('overview', {form, stale_days: e.target.value})}});
  const stale = h('section', {'aria-labelledby': 'stale-laptops'},
      h('h2', {id: 'stale-laptops'}, tn('overview.stale_laptops', staleDays)),
      h('p', {class: 'filters no-print'}, h('label', {for: 'stale-days'}, t('overview.silent_days')), ' ', daysInput),
      data.laptops.stale.length ? figureTable([
        {key: 'volunteer', label: t('column.volunteer')},
        {key: 'label', label: t('column.laptop')},
        {key: 'last_sync_ms', label: t('column.last_sync'), format: (v) => (v ? formatDateTime(v) : t('never'))},
      ], data.laptops.stale) : h('p', {class: 'empty'}, t('overview.all_synced')));

  replace(main,
      h('h1', null, t('nav.overview')),
      formPicker(forms, docs, form, (f) => app.navigate('overview', {form: f, stale_days: params.stale_days})),
      h('section', {'aria-labelledby': 'needs'}, h('h2', {id: 'needs'}, t('overview.needs')), needs),
      days, coverage, stale);
}
