// Possible duplicates: records of one form with the same key (a centre and
// a day) from different volunteers, in pairs side by side with the fields
// that differ marked. Merge one into the other, or keep both.

import {api, query} from '../api.js';
import {link} from '../app.js';
import {decideDuplicate} from '../decide.js';
import {h, replace} from '../dom.js';
import {answerText, formDocument, latestForms, questions, text, title} from '../forms.js';
import {formatDateTime, formatDay, t, tn} from '../i18n.js';
import {errorText, shortId, stateBadge} from '../widgets.js';

function pairs(list) {
  const out = [];
  for (let i = 0; i < list.length; ++i)
    for (let j = i + 1; j < list.length; ++j)
      if (!(list[i].distinct_from || []).includes(list[j].id)) out.push([list[i], list[j]]);
  return out;
}

// The two records as a table: one row per question either answered, the
// rows that differ marked (in words too, not only by colour).
function comparison(doc, a, b) {
  const head = (s) => h('th', {scope: 'col'}, h('a', {href: link('submission', {id: s.id})}, shortId(s.id)), ' ',
      stateBadge(s.review_state), h('div', {class: 'hint'}, s.volunteer, ' · ', formatDateTime(s.created_ms)));
  const rows = [];
  for (const {q, repeat} of questions(doc)) {
    if (repeat || q.type === 'group' || q.type === 'repeat' || q.type === 'note') continue;
    const va = answerText(doc, q, (a.answers || {})[q.name]);
    const vb = answerText(doc, q, (b.answers || {})[q.name]);
    if (!va && !vb) continue;
    const differs = va !== vb;
    rows.push(h('tr', {class: differs ? 'differs' : ''},
        h('th', {scope: 'row'}, text(doc, q.label) || q.name,
            differs ? [' ', h('span', {class: 'flag changed'}, t('duplicates.differs'))] : null),
        h('td', null, va || '—'), h('td', null, vb || '—')));
  }
  return h('div', {class: 'table-wrap'}, h('table', {class: 'pair'},
      h('caption', {class: 'hint'}, t('duplicates.compare')),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, t('duplicates.field')), head(a), head(b))),
      h('tbody', null, rows)));
}

function actions(a, b, app) {
  const message = h('div', {role: 'alert'});
  const act = (subject, other, decision, done) => async () => {
    try {
      await decideDuplicate(app.session.user, subject.id, other.id, decision);
      app.announce(done, 'ok');
      app.refresh();
    } catch (err) {
      replace(message, h('p', {class: 'notice error'}, errorText(err)));
    }
  };
  return h('div', null, h('div', {class: 'toolbar'},
      h('button', {type: 'button', on: {click: act(b, a, 'merged_into', t('duplicates.merged'))}},
          t('duplicates.merge_into', {from: shortId(b.id), into: shortId(a.id)})),
      h('button', {type: 'button', on: {click: act(a, b, 'merged_into', t('duplicates.merged'))}},
          t('duplicates.merge_into', {from: shortId(a.id), into: shortId(b.id)})),
      h('button', {type: 'button', on: {click: act(a, b, 'not_duplicate', t('duplicates.kept'))}},
          t('duplicates.keep_both'))), message);
}

export async function render(main, params, app) {
  const [data, forms] = await Promise.all([api('GET', '/duplicates' + query({form: params.form})), latestForms()]);
  document.title = t('nav.duplicates') + ' · Dala';
  const docs = new Map();
  for (const f of forms) docs.set(f.form, await formDocument(f.hash));
  const groups = data.groups.filter((g) => !params.form || g.form === params.form);
  const sections = groups.map((g) => {
    const doc = docs.get(g.form) || {questions: []};
    const centres = (doc.lists || {}).centres || [];
    const [centre, day] = g.label.split(' ');
    const place = centres.find((c) => c.name === centre);
    return h('section', {class: 'panel'},
        h('h2', null, title(doc) || g.form, ' · ', place ? text(doc, place.label) : centre, ' · ', formatDay(day)),
        pairs(g.submissions).map(([a, b]) => h('div', null, comparison(doc, a, b),
            app.session.can_decide ? actions(a, b, app) : null)));
  });
  replace(main,
      h('h1', null, t('nav.duplicates')),
      h('p', {class: 'lead'}, t('duplicates.lead')),
      groups.length ? [h('p', null, tn('duplicates.groups', groups.length)), sections] :
        h('p', {class: 'empty'}, t('duplicates.none')));
}
