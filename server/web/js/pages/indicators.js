// Indicators: every question of a form summarised over the current,
// non-rejected records that the filter picks, optionally split by region or
// centre. Charts are SVG made here, always beside their numbers, and every
// figure says how many records it rests on.

import {api, query} from '../api.js';
import {figureTable, histogram, meter} from '../charts.js';
import {h, replace} from '../dom.js';
import {choiceLabel, formDocument, latestForms, places, questions, text, title} from '../forms.js';
import {formatNumber, formatPercent, t, tn} from '../i18n.js';
import {REVIEW_STATES, field, select} from '../widgets.js';

// A table of answers with a bar in each row: the bars are the chart, the
// numbers stand beside them.
function choiceSummary(doc, q, s) {
  const rows = s.counts.map((c) => ({label: choiceLabel(doc, q.list, c.value), value: c.count,
    share: s.answered ? c.count / s.answered : 0}));
  const most = Math.max(1, ...rows.map((r) => r.value));
  return figureTable([
    {key: 'label', label: t('column.answer')},
    {key: 'value', label: t('column.records'), align: 'num'},
    {key: 'share', label: t('column.share'), align: 'num', format: (v) => formatPercent(v)},
    {key: 'bar', label: t('column.chart'), format: (v, r) => meter(r.value, most, false)},
  ], rows, {className: 'choices'});
}

function numberSummary(doc, q, s) {
  const figures = [
    {label: t('stat.min'), value: s.min}, {label: t('stat.q1'), value: s.q1}, {label: t('stat.median'), value: s.median},
    {label: t('stat.q3'), value: s.q3}, {label: t('stat.max'), value: s.max}, {label: t('stat.mean'), value: s.mean},
  ];
  return h('div', {class: 'two-columns'},
      s.histogram.length ? histogram(s.histogram, {title: text(doc, q.label)}) : h('p', {class: 'empty'}, '—'),
      figureTable([{key: 'label', label: t('column.figure')}, {key: 'value', label: t('column.value'), align: 'num',
        format: (v) => (v === null || v === undefined ? '—' : formatNumber(v, 1))}], figures));
}

function questionSection(doc, s) {
  const q = questions(doc).map((x) => x.q).find((x) => x.name === s.name) || {name: s.name, label: s.name};
  return h('section', {class: 'panel indicator'},
      h('h3', null, text(doc, q.label) || s.name),
      h('p', {class: 'hint'}, tn('indicators.answered', s.answered)),
      s.kind === 'choices' ? choiceSummary(doc, q, s) : numberSummary(doc, q, s));
}

export async function render(main, params, app) {
  const forms = await latestForms();
  const form = params.form || (forms[0] && forms[0].form) || '';
  const filter = {form, region: params.region, centre: params.centre, from: params.from, to: params.to,
    state: params.state};
  const [data, where] = await Promise.all([
    form ? api('GET', '/indicators' + query({...filter, split: params.split})) : null,
    places(form),
  ]);
  const docs = await Promise.all(forms.map((f) => formDocument(f.hash)));
  const doc = docs[forms.findIndex((f) => f.form === form)] || {questions: []};
  document.title = t('nav.indicators') + ' · Dala';
  const set = (k) => (v) => app.navigate('indicators', {...params, form, [k]: v});
  const regionOptions = [['', t('filter.all_regions')], ...where.regions];
  const centreOptions = [['', t('filter.all_centres')], ...[...where.centres.values()]
      .filter((c) => !params.region || c.region === params.region).map((c) => [c.name, c.label])];
  const groupName = (key) => (params.split === 'region' ? where.regions.get(key) :
    (where.centres.get(key) || {}).label) || key ||
    t(params.split === 'region' ? 'coverage.no_region' : 'coverage.no_centre');
  const filters = h('form', {class: 'filters', on: {submit: (e) => e.preventDefault()}},
      field(t('filter.form'), select('i-form', forms.map((f, i) => [f.form, title(docs[i]) || f.form]), form,
          (v) => app.navigate('indicators', {form: v}))),
      field(t('filter.region'), select('i-region', regionOptions, params.region, (v) => app.navigate('indicators',
          {...params, form, region: v, centre: ''}))),
      field(t('filter.centre'), select('i-centre', centreOptions, params.centre, set('centre'))),
      field(t('filter.from'), h('input', {id: 'i-from', type: 'date', value: params.from || '',
        on: {change: (e) => set('from')(e.target.value)}})),
      field(t('filter.to'), h('input', {id: 'i-to', type: 'date', value: params.to || '',
        on: {change: (e) => set('to')(e.target.value)}})),
      field(t('filter.state'), select('i-state', [['', t('filter.current_states')],
        ...REVIEW_STATES.filter((s) => s !== 'rejected').map((s) => [s, t('state.' + s)])], params.state, set('state'))),
      field(t('indicators.split'), select('i-split', [['', t('indicators.split_none')], ['region', t('column.region')],
        ['centre', t('column.centre')]], params.split, set('split'))));
  if (!data) {
    replace(main, h('h1', null, t('nav.indicators')), filters, h('p', {class: 'empty'}, t('indicators.no_forms')));
    return;
  }
  const body = data.groups ? data.groups.map((g) => h('section', null,
      h('h2', null, groupName(g.key), ' · ', tn('indicators.based_on', g.records)),
      g.questions.map((s) => questionSection(doc, s)))) : data.questions.map((s) => questionSection(doc, s));
  replace(main,
      h('h1', null, t('nav.indicators'), ': ', title(doc)),
      filters,
      h('p', {class: 'lead'}, tn('indicators.based_on', data.records), ' ', t('indicators.rule')),
      body);
}
