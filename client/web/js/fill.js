// Filling a form: one screen at a time, as the form engine in `dala ui`
// decides it. The page only draws the screen and sends back what was typed.
import {t} from './i18n.js';
import {api, el, heading, main, show, unlockBox} from './dom.js';

export async function startForm(id) {
  const r = await api('POST', '/drafts', {form: id});
  if (r.status === 201) location.hash = '#/fill/' + r.data.draft;
}

// --- filling a form ----------------------------------------------------------------

// The control for a question, and a function giving its answer as the
// text the engine parses (as typed in `dala collect`).
function control(step) {
  const id = 'answer';
  const a = step.answer;
  const type = step.type;
  if (type === 'select_one' || type === 'select_multiple' || type === 'rating') {
    const multiple = type === 'select_multiple';
    const choices = type === 'rating' ? Array.from({length: step.scale}, (_, i) => ({name: String(i + 1), label: String(i + 1)}))
      : step.choices;
    const chosen = new Set(Array.isArray(a) ? a.map(String) : a !== undefined ? [String(a)] : []);
    const box = el('fieldset', {class: 'choices' + (type === 'rating' ? ' rating' : ''), id},
      el('legend', {class: 'sr-only'}, step.label));
    const items = choices.map((c, i) => el('label', {class: 'choice'},
      el('input', {type: multiple ? 'checkbox' : 'radio', name: 'answer', value: c.name, checked: chosen.has(c.name),
        id: 'choice-' + i}), el('span', {}, c.label)));
    let search = null;
    if (choices.length > 8) {
      // A long reference list (the service centres): typing narrows it.
      search = el('input', {type: 'search', id: 'choice-search', placeholder: t('search'), 'aria-label': t('search'),
        oninput: () => {
          const q = search.value.toLowerCase();
          items.forEach((it) => { it.hidden = q !== '' && !it.textContent.toLowerCase().includes(q); });
        }});
    }
    box.append(...items);
    return [[search, box], () => Array.from(box.querySelectorAll('input:checked')).map((x) => x.value).join(' ')];
  }
  if (type === 'acknowledge') {
    const box = el('input', {type: 'checkbox', id, checked: a === true});
    return [[el('label', {class: 'choice'}, box, el('span', {}, t('agree')))], () => (box.checked ? '1' : '')];
  }
  if (type === 'geopoint') {
    const lat = el('input', {type: 'number', step: 'any', id, value: a && a.lat !== undefined ? a.lat : ''});
    const lon = el('input', {type: 'number', step: 'any', id: 'answer-lon', value: a && a.lon !== undefined ? a.lon : ''});
    return [[el('label', {for: id}, t('latitude')), lat, el('label', {for: 'answer-lon'}, t('longitude')), lon],
      () => (lat.value === '' && lon.value === '' ? '' : lat.value + ' ' + lon.value)];
  }
  if (type === 'note') return [[], () => ''];
  const kinds = {integer: ['number', '1'], decimal: ['number', 'any'], date: ['date'], time: ['time'],
    datetime: ['datetime-local']};
  const [inputType, step_] = kinds[type] || ['text'];
  let value = a === undefined ? '' : String(a);
  if (type === 'datetime' && value) value = value.slice(0, 16);
  const input = el(type === 'text' ? 'textarea' : 'input', {type: type === 'text' ? undefined : inputType, id,
    step: step_, inputmode: type === 'integer' ? 'numeric' : type === 'decimal' ? 'decimal' : undefined, rows: 2});
  input.value = value;
  return [[input], () => input.value.trim()];
}

async function act(draft, action, body) {
  const r = await api('POST', '/drafts/' + draft + '/' + action, body || {});
  renderScreen(r.data);
  // A refused answer stays in its field, beside the form's message, to fix.
  const typed = ['text', 'integer', 'decimal', 'date', 'time', 'datetime'];
  const field = main().querySelector('#answer');
  if (r.data.error && action === 'answer' && field && r.data.step && typed.includes(r.data.step.type)) {
    field.value = body.text;
  }
}

function renderScreen(s) {
  if (s.error && !s.draft) return show(heading(t('failed')), el('p', {class: 'error'}, s.message || s.error));
  if (s.at_end) return renderSummary(s);
  const step = s.step;
  const parts = [el('p', {class: 'form-title'}, s.title),
    el('p', {class: 'progress'}, t('question') + ' ' + s.position + ' ' + t('of') + ' ' + s.total)];
  if (step.repeat) parts.push(el('p', {class: 'repeat'}, step.repeat + (step.instance ? ' · ' + step.instance : '')));
  if (step.kind === 'add_repeat') {
    parts.push(el('h1', {tabindex: '-1', 'data-question': 'add:' + step.name}, t('add_another') + ': ' + step.label + ' (' + step.instance + ')?'),
      el('div', {class: 'actions'},
        el('button', {class: 'primary', id: 'yes', onclick: () => act(s.draft, 'answer', {text: 'yes'})}, t('yes')),
        el('button', {id: 'no', onclick: () => act(s.draft, 'answer', {text: 'no'})}, t('no'))));
  } else {
    const [controls, value] = control(step);
    const label = el('h1', {tabindex: '-1', id: 'question', 'data-question': step.name + (step.instance ? '.' + step.instance : '')},
      el('label', {for: 'answer'}, step.label));
    if (step.required) label.append(el('span', {class: 'required', title: t('required'), 'aria-label': t('required')}, ' *'));
    parts.push(label);
    if (step.hint) parts.push(el('p', {class: 'hint'}, step.hint));
    parts.push(el('div', {class: 'control'}, controls));
    if (s.error) parts.push(el('p', {class: 'error', role: 'alert', id: 'error'}, s.error));
    const next = async (e) => {
      e.preventDefault();
      const text = value();
      if (text === '' && step.answer !== undefined) await api('POST', '/drafts/' + s.draft + '/clear', {});
      act(s.draft, 'answer', {text});
    };
    parts.push(el('form', {class: 'actions', onsubmit: next},
      el('button', {type: 'button', id: 'back', onclick: () => act(s.draft, 'back')}, t('back')),
      el('button', {type: 'submit', class: 'primary', id: 'next'}, t('next'))));
  }
  parts.push(extras(s));
  show(...parts);
  const first = main().querySelector('#answer, #choice-0, #yes');
  if (first && s.error === '') first.focus();
}

// The calculations as they stand, and a jump list of the answers so far.
function extras(s) {
  const box = el('div', {class: 'extras'});
  if (s.calculated.length) box.append(el('dl', {class: 'calculated'}, s.calculated.map((c) => [el('dt', {}, c.label), el('dd', {}, c.value)])));
  if (s.answered.length) {
    box.append(el('details', {}, el('summary', {}, t('answered')), el('ol', {}, s.answered.map((a) => el('li', {},
      el('button', {class: 'link', onclick: () => act(s.draft, 'goto', {step: a.step})},
        a.label + (a.instance ? ' [' + a.instance + ']' : '')), ': ', a.answer)))));
  }
  return box;
}

function renderSummary(s) {
  const message = el('p', {class: 'error', role: 'alert'});
  const rows = el('table', {class: 'summary'}, el('tbody', {}, s.answered.map((a) => el('tr', {},
    el('th', {scope: 'row'}, el('button', {class: 'link', onclick: () => act(s.draft, 'goto', {step: a.step})},
      a.label + (a.instance ? ' [' + a.instance + ']' : ''))), el('td', {}, a.answer)))));
  const problems = s.problems.length ? el('section', {class: 'problems'}, el('h2', {}, t('problems')),
    el('ul', {}, s.problems.map((p) => el('li', {}, p.field + ': ' + p.message)))) : null;
  const sign = async () => {
    const r = await api('POST', '/drafts/' + s.draft + '/finish');
    if (r.status === 201) { location.hash = '#/saved/' + r.data.record; return; }
    if (r.data.error === 'locked') { message.replaceChildren(unlockBox(sign)); return; }
    message.textContent = r.data.error_message || r.data.message || r.data.error || '';
  };
  // A locked key is unlocked here, before signing, rather than refused.
  const signing = s.unlocked ? el('button', {class: 'primary', id: 'sign', disabled: s.problems.length > 0, onclick: sign},
    t('sign_and_save')) : unlockBox(() => fill(s.draft));
  show(el('p', {class: 'form-title'}, s.title), heading(t('summary')), problems, rows, message,
    el('div', {class: 'actions'}, el('button', {id: 'back', onclick: () => act(s.draft, 'back')}, t('back')),
      s.unlocked ? signing : null), s.unlocked ? null : signing);
}

export async function fill(draft) {
  const r = await api('GET', '/drafts/' + draft);
  if (r.status !== 200) return show(heading(t('failed')), el('p', {class: 'error'}, r.data.message || r.data.error));
  renderScreen(r.data);
}

