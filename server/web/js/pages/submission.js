// One submission: its answers laid out as the form has them, its conflicts
// side by side, the review and its comments, every revision with who signed
// it, and the coordinator's decisions (approve, send back, reject, correct,
// resolve).

import {api} from '../api.js';
import {link} from '../app.js';
import {check, correct, resolve, review} from '../decide.js';
import {h, replace} from '../dom.js';
import {answerText, findQuestion, formDocument, publishedForms, questionLabel, questions, text, title} from '../forms.js';
import {formatDateTime, formatDay, language, t, tn} from '../i18n.js';
import {errorText, fingerprint, flags, shortId, signerText, stateBadge} from '../widgets.js';

// Question types a coordinator corrects in the page (repeats are shown, and
// corrected from `dala coord edit`).
const EDITABLE = new Set(['text', 'integer', 'decimal', 'select_one', 'select_multiple', 'date', 'time', 'rating']);

function neighbours(id) {
  try {
    const list = JSON.parse(sessionStorage.getItem('dala.list') || 'null');
    if (!list) return {};
    const i = list.ids.indexOf(id);
    if (i < 0) return {};
    return {previous: list.ids[i - 1], next: list.ids[i + 1], params: list.params};
  } catch (e) {
    return {};
  }
}

// The answers laid out as the form has them: each group and each repeat
// instance under its own heading, each with its own list of questions.
function answersList(doc, answers) {
  const root = h('div', {class: 'answers-layout'});
  let list = null;  // the <dl> questions are added to until the next heading
  const heading = (level, ...text) => {
    root.append(h(level === 0 ? 'h3' : 'h4', {class: 'group-title'}, ...text));
    list = null;
  };
  const put = (q, value) => {
    if (q.type === 'note') return;
    if (!list) root.append(list = h('dl', {class: 'answers'}));
    list.append(h('dt', {class: q.type === 'calculate' ? 'calculated' : null}, questionLabel(doc, q)),
        h('dd', {'data-field': q.name},
            value === undefined || value === null || (Array.isArray(value) && !value.length) ?
              h('span', {class: 'hint'}, '—') : answerText(doc, q, value)));
  };
  const walk = (questions, values, depth) => {
    for (const q of questions || []) {
      if (q.type === 'group') {
        heading(depth, text(doc, q.label) || q.name);
        walk(q.children, values, depth + 1);
      } else if (q.type === 'repeat') {
        const instances = Array.isArray(values[q.name]) ? values[q.name] : [];
        heading(depth, text(doc, q.label) || q.name, ' (', instances.length, ')');
        instances.forEach((inst, i) => {
          heading(depth + 1, `${text(doc, q.label) || q.name} ${i + 1}`);
          walk(q.children, inst || {}, depth + 2);
        });
      } else {
        put(q, values[q.name]);
      }
    }
  };
  walk(doc.questions, answers || {}, 0);
  return root;
}

// The control for correcting one answer, of the question's own type.
function editor(doc, q, value) {
  const id = 'edit-' + q.name;
  if (q.type === 'select_one') {
    return h('select', {id, name: q.name}, h('option', {value: ''}, '—'),
        ((doc.lists || {})[q.list] || []).map((c) => h('option', {value: c.name, selected: c.name === value}, text(doc, c.label))));
  }
  if (q.type === 'select_multiple') {
    const chosen = new Set(Array.isArray(value) ? value : []);
    return h('fieldset', {'id': id, 'class': 'choices', 'data-multiple': '1'},
        h('legend', {class: 'hint'}, t('edit.choose_any')),
        ((doc.lists || {})[q.list] || []).map((c) => h('label', {class: 'check'},
            h('input', {type: 'checkbox', name: q.name, value: c.name, checked: chosen.has(c.name)}), ' ', text(doc, c.label))));
  }
  const type = {integer: 'number', decimal: 'number', rating: 'number', date: 'date', time: 'time'}[q.type] || 'text';
  return h('input', {id, name: q.name, type, value: value ?? '', step: q.type === 'decimal' ? 'any' : undefined,
    inputmode: q.type === 'integer' || q.type === 'rating' ? 'numeric' : undefined});
}

function valueOf(q, control) {
  if (q.type === 'select_multiple') {
    const v = [...control.querySelectorAll('input:checked')].map((i) => i.value);
    return v.length ? v : null;
  }
  const raw = control.value.trim();
  if (raw === '') return null;
  if (q.type === 'integer' || q.type === 'rating') return Number.isInteger(Number(raw)) ? Number(raw) : raw;
  if (q.type === 'decimal') return Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return raw;
}

function correctionPanel(doc, sub, app) {
  const controls = new Map();
  const problems = new Map();
  const rows = [];
  for (const {q, repeat} of questions(doc)) {
    if (repeat || !EDITABLE.has(q.type)) continue;
    const control = editor(doc, q, sub.answers[q.name]);
    const problem = h('span', {'class': 'problem', 'id': 'problem-' + q.name, 'aria-live': 'polite'});
    controls.set(q.name, {q, control});
    problems.set(q.name, problem);
    if (control.tagName !== 'FIELDSET') control.setAttribute('aria-describedby', 'problem-' + q.name);
    rows.push(h('div', {class: 'field'}, h('label', {for: control.id}, text(doc, q.label) || q.name), control, problem));
  }
  const changes = () => {
    const set = {};
    for (const [name, {q, control}] of controls) {
      const v = valueOf(q, control);
      if (JSON.stringify(v) !== JSON.stringify(sub.answers[name] ?? null)) set[name] = v;
    }
    return set;
  };
  // The form's own messages, from the server's form engine, as soon as a
  // field is left: nothing is saved.
  const validate = async () => {
    const set = changes();
    const result = await check(sub.id, set, language());
    for (const [name, p] of problems) {
      const found = result.problems.filter((x) => x.field === name);
      p.textContent = found.map((x) => x.message).join(' ');
      const c = controls.get(name).control;
      if (c.tagName !== 'FIELDSET') c.setAttribute('aria-invalid', found.length ? 'true' : 'false');
    }
    return result;
  };
  for (const {control} of controls.values()) control.addEventListener('change', () => validate().catch(() => {}));
  const note = h('textarea', {id: 'edit-note', name: 'note'});
  const message = h('div', {'role': 'alert'});
  const form = h('form', {class: 'panel correction', on: {submit: async (e) => {
    e.preventDefault();
    const set = changes();
    if (!Object.keys(set).length) {
      replace(message, h('p', {class: 'notice warn'}, t('edit.nothing')));
      return;
    }
    try {
      const result = await validate();
      if (result.problems.length) {
        replace(message, h('p', {class: 'notice error'}, t('edit.fix_first')));
        return;
      }
      await correct(app.session.user, sub.id, set, note.value.trim());
      app.announce(t('edit.saved'), 'ok');
      app.refresh();
    } catch (err) {
      replace(message, h('p', {class: 'notice error'}, errorText(err)));
    }
  }}},
  h('h2', null, t('edit.title')),
  h('p', {class: 'hint'}, t('edit.lead')),
  rows,
  h('div', {class: 'field'}, h('label', {for: 'edit-note'}, t('edit.note')), note),
  message,
  h('div', {class: 'toolbar'}, h('button', {type: 'submit', class: 'primary'}, t('edit.save')),
      h('button', {type: 'button', on: {click: () => app.refresh()}}, t('cancel'))));
  return form;
}

function conflictPanel(doc, sub, app, canDecide) {
  const chosen = new Map();
  const boxes = sub.conflicts.map((c) => {
    const q = findQuestion(doc, c.field);
    const buttons = [];
    const box = h('fieldset', {class: 'conflict-box'},
        h('legend', null, t('conflict.field', {field: q ? questionLabel(doc, q) : c.field})),
        h('div', {class: 'candidates'}, c.candidates.map((k, i) => {
          const button = canDecide ? h('button', {'type': 'button', 'aria-pressed': i === 0 ? 'true' : 'false',
            'on': {click: () => {
              chosen.set(c.field, k.value);
              for (const b of buttons) b.setAttribute('aria-pressed', b === button ? 'true' : 'false');
              confirm.hidden = false;
            }}}, t('conflict.keep')) : null;
          if (button) buttons.push(button);
          return h('div', {class: 'candidate'},
              h('div', {class: 'value'}, answerText(doc, q, k.value) || '—'),
              h('div', {class: 'hint'}, setBy(k.signer)),
              i === 0 ? h('div', {class: 'hint'}, t('conflict.provisional')) : null,
              button);
        })));
    chosen.set(c.field, c.candidates.length ? c.candidates[0].value : null);
    return box;
  });
  const note = h('textarea', {id: 'resolve-note'});
  const message = h('div', {role: 'alert'});
  const confirm = h('div', {class: 'panel', hidden: true},
      h('div', {class: 'field'}, h('label', {for: 'resolve-note'}, t('conflict.note')), note),
      message,
      h('button', {type: 'button', class: 'primary', on: {click: async () => {
        try {
          await resolve(app.session.user, sub.id, Object.fromEntries(chosen), note.value.trim());
          app.announce(t('conflict.resolved'), 'ok');
          app.refresh();
        } catch (err) {
          replace(message, h('p', {class: 'notice error'}, errorText(err)));
        }
      }}}, t('conflict.resolve')));
  return h('section', {'aria-labelledby': 'conflicts'},
      h('h2', {id: 'conflicts'}, t('conflict.title')),
      h('p', {class: 'hint'}, t('conflict.lead')), boxes, canDecide ? confirm : null);
}

function reviewPanel(sub, app, after) {
  const comment = h('textarea', {'id': 'review-comment', 'aria-describedby': 'review-need'});
  const need = h('p', {id: 'review-need', class: 'hint'});
  const message = h('div', {role: 'alert'});
  const decide = (state) => async () => {
    const text = comment.value.trim();
    if ((state === 'has_issues' || state === 'rejected') && !text) {
      need.textContent = t(state === 'has_issues' ? 'review.comment_needed' : 'review.reason_needed');
      comment.focus();
      return;
    }
    try {
      await review(app.session.user, sub.id, state, text);
      app.announce(t('review.done.' + state), 'ok');
      after();
    } catch (err) {
      replace(message, h('p', {class: 'notice error'}, errorText(err)));
    }
  };
  return h('section', {'class': 'panel', 'aria-labelledby': 'review'},
      h('h2', {id: 'review'}, t('review.title')),
      h('p', null, stateBadge(sub.review_state), ' ',
          sub.review_by ? t('review.by', {who: sub.review_by}) : ''),
      sub.changed_since_review ? h('p', {class: 'notice warn'}, t('review.changed_after')) : null,
      sub.review_comment ? h('blockquote', null, sub.review_comment) : null,
      app.session.can_decide ? [
        h('div', {class: 'field'}, h('label', {for: 'review-comment'}, t('review.comment')), comment), need,
        message,
        h('div', {class: 'toolbar'},
            h('button', {type: 'button', class: 'primary', id: 'approve', on: {click: decide('approved')}}, t('review.approve')),
            h('button', {type: 'button', id: 'has-issues', on: {click: decide('has_issues')}}, t('review.has_issues')),
            h('button', {type: 'button', class: 'danger', id: 'reject', on: {click: decide('rejected')}}, t('review.reject')))] : null);
}

// Who set a conflicting value: "set by dina (dina-laptop)"; a person's
// decision says how it was signed ("attested by the server for aigerim").
function setBy(signer) {
  return signer && signer.kind === 'laptop' ? t('conflict.set_by', {who: signerText(signer)}) : signerText(signer);
}

function eventText(event) {
  if (!event || typeof event !== 'object') return '';
  if (event.type === 'review') return [t('history.review', {who: event.by}), ' ', stateBadge(event.state),
    event.comment ? [' «', event.comment, '»'] : ''];
  if (event.type === 'duplicate') return t('history.duplicate.' + event.decision, {who: event.by, other: shortId(event.other || '')});
  return t('history.event', {type: event.type, who: event.by || ''});
}

function changesList(doc, e) {
  if (!e.parents.length) return h('span', {class: 'hint'}, tn('history.created', e.changes.length));
  if (!e.changes.length) return h('span', {class: 'hint'}, t('history.no_change'));
  return h('ul', {class: 'diff'}, e.changes.map((c) => {
    const q = findQuestion(doc, c.field);
    return h('li', null, q ? questionLabel(doc, q) : c.field, ': ', answerText(doc, q, c.from) || '—', ' → ',
        answerText(doc, q, c.to) || '—');
  }));
}

function historyList(doc, entries) {
  return h('ol', {class: 'history'}, entries.map((e) => h('li', null,
      h('strong', null, formatDateTime(e.wall_ms)), ' · ', signerText(e.signer), ' ',
      e.verified ? h('span', {class: 'sig-ok', title: fingerprint(e.author)}, '✓ ', t('history.signed')) :
        h('span', {class: 'sig-bad'}, '✗ ', t('history.bad_signature')),
      h('div', null, e.kind === 'revision' ? changesList(doc, e) : eventText(e.event)),
      e.note ? h('div', null, t('history.note'), ' «', e.note, '»') : null)));
}

export async function render(main, params, app) {
  const id = params.id;
  const [sub, history, forms] = await Promise.all([
    api('GET', '/submissions/' + encodeURIComponent(id)),
    api('GET', '/submissions/' + encodeURIComponent(id) + '/history'),
    publishedForms(),
  ]);
  const info = forms.find((f) => f.hash === sub.form_hash) || forms.find((f) => f.form === sub.form);
  const doc = info ? await formDocument(info.hash) : {questions: [], lists: {}};
  document.title = t('submission.title', {id: shortId(sub.id)}) + ' · Dala';
  const around = neighbours(sub.id);
  const next = around.next ? h('a', {id: 'next-record', href: link('submission', {id: around.next})}, t('submission.next')) : null;
  const afterDecision = () => {
    if (next) {
      app.navigate('submission', {id: around.next});
    } else {
      app.refresh();
    }
  };
  const canDecide = app.session.can_decide;
  const correctButton = canDecide ? h('button', {type: 'button', on: {click: () => {
    const panel = correctionPanel(doc, sub, app);
    replace(left, panel);
    panel.querySelector('input, select')?.focus();
  }}}, t('edit.open')) : null;
  const centres = (doc.lists || {}).centres || [];
  const centre = centres.find((c) => c.name === sub.centre);
  const left = h('div', null,
      sub.conflicts.length ? conflictPanel(doc, sub, app, canDecide) : null,
      h('section', {'aria-labelledby': 'answers'},
          h('div', {class: 'toolbar'}, h('h2', {id: 'answers'}, t('submission.answers')), h('span', {class: 'spacer'}), correctButton),
          answersList(doc, sub.answers)));
  const thread = history.entries.filter((e) => (e.event && e.event.type === 'review' && e.event.comment) || e.note);
  replace(main,
      h('nav', {'class': 'toolbar no-print', 'aria-label': t('submission.around')},
          h('a', {href: link('submissions', around.params || {form: sub.form})}, '← ', t('submission.back')),
          h('span', {class: 'spacer'}),
          around.previous ? h('a', {href: link('submission', {id: around.previous})}, t('submission.previous')) : null,
          next),
      h('div', {class: 'record-head'},
          h('h1', null, t('submission.title', {id: shortId(sub.id)})), stateBadge(sub.review_state), flags(sub)),
      h('p', {class: 'meta'}, [title(doc) || sub.form, centre ? text(doc, centre.label) : sub.centre,
        sub.visit_date ? formatDay(sub.visit_date) : '', t('submission.volunteer', {who: sub.volunteer}),
        t('submission.updated', {when: formatDateTime(sub.updated_ms)})].filter(Boolean).join(' · '),
      h('span', {class: 'mono hint'}, ' ', sub.id)),
      h('div', {class: 'layout'}, left,
          h('div', null,
              reviewPanel(sub, app, afterDecision),
              h('section', {'aria-labelledby': 'thread'}, h('h2', {id: 'thread'}, t('submission.thread')),
                  thread.length ? h('ul', null, thread.map((e) => h('li', null, h('strong', null, signerText(e.signer)), ' · ',
                      formatDateTime(e.wall_ms), ': ', e.note || e.event.comment))) : h('p', {class: 'empty'}, t('submission.no_comments'))),
              h('section', {'aria-labelledby': 'history'}, h('h2', {id: 'history'}, t('submission.history')),
                  historyList(doc, history.entries)))));
  if (params.focus === 'review') document.getElementById('approve')?.focus();
}
