// The volunteer's page. It shows what `dala ui` decides: every answer goes
// to the form engine in C++ and the screen comes back as JSON. Nothing
// from a form or a record is ever parsed as HTML: all of it is set as
// textContent or as an attribute value.
import {lang, t, useLanguage} from './i18n.js';

const main = () => document.getElementById('main');

// el('p', {class: 'x'}, 'text', child): strings become text nodes.
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

async function api(method, path, body) {
  const res = await fetch('/api' + path, {method, headers: body ? {'Content-Type': 'application/json'} : {},
    body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin'});
  let data = {};
  try { data = await res.json(); } catch (e) { data = {error: 'failed'}; }
  return {status: res.status, data};
}

function show(...nodes) {
  main().replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
  const h = main().querySelector('h1');
  if (h) h.focus();
}

function heading(text) { return el('h1', {tabindex: '-1'}, text); }

function when(ms) {
  return ms ? new Date(ms).toLocaleString(lang === 'kk' ? 'kk-KZ' : lang === 'ru' ? 'ru-RU' : 'en-GB') : '';
}

// --- the key -----------------------------------------------------------------

function unlockBox(done) {
  const input = el('input', {type: 'password', id: 'passphrase', autocomplete: 'current-password'});
  const message = el('p', {class: 'error', role: 'alert'});
  const form = el('form', {class: 'unlock', onsubmit: async (e) => {
    e.preventDefault();
    const r = await api('POST', '/unlock', {passphrase: input.value});
    input.value = '';
    if (r.status === 200) return done();
    message.textContent = r.data.error === 'wait' ? t('wait', r.data.retry_after_s) : t('wrong_passphrase');
    if (r.data.retry_after_s > 0 && r.data.error !== 'wait') message.textContent += ' ' + t('wait', r.data.retry_after_s);
  }},
  el('p', {}, t('locked')),
  el('label', {for: 'passphrase'}, t('passphrase')), input,
  el('button', {type: 'submit', class: 'primary'}, t('unlock')), message);
  return form;
}

// --- home ----------------------------------------------------------------------

async function home() {
  const {data} = await api('GET', '/home');
  const forms = el('section', {'aria-labelledby': 'forms-h'}, el('h2', {id: 'forms-h'}, t('forms')));
  if (!data.forms || data.forms.length === 0) forms.append(el('p', {}, t('no_forms')));
  else forms.append(el('ul', {class: 'cards'}, data.forms.map((f) => el('li', {},
    el('button', {class: 'primary big', 'data-form': f.id, onclick: () => startForm(f.id)}, t('start') + ': ' + f.title)))));

  const drafts = el('section', {'aria-labelledby': 'drafts-h'}, el('h2', {id: 'drafts-h'}, t('drafts')));
  if (data.drafts.length === 0) drafts.append(el('p', {}, t('no_drafts')));
  else drafts.append(el('ul', {class: 'rows'}, data.drafts.map((d) => el('li', {class: 'draft'},
    el('span', {class: 'what'}, d.title, ' · ', String(d.answers), ' ', t('answers'), ' · ', when(d.updated_ms)),
    d.note ? el('p', {class: 'note'}, d.note) : null,
    el('a', {class: 'button', href: '#/fill/' + d.id}, t('resume')),
    el('button', {onclick: async () => { await api('DELETE', '/drafts/' + d.id); route(); }}, t('delete'))))));

  const records = el('section', {'aria-labelledby': 'records-h'}, el('h2', {id: 'records-h'}, t('records')));
  if (data.records.length === 0) records.append(el('p', {}, t('no_records')));
  else records.append(el('ul', {class: 'rows'}, data.records.map((r) => el('li', {class: 'record state-' + r.state},
    el('a', {href: '#/record/' + r.id}, r.title), ' ',
    el('span', {class: 'badge'}, t('state.' + r.state)), ' ', el('span', {class: 'muted'}, when(r.updated_ms)),
    r.state === 'sent_back' && r.comment ? el('p', {class: 'sentback'}, el('strong', {}, t('comment') + ': '),
      r.comment, r.review_by ? ' — ' + r.review_by : '') : null))));

  const sync = data.enrolled && data.unlocked ? syncBox() : null;
  show(heading(t('home')), data.unlocked ? null : unlockBox(route), sync, forms, drafts, records);
}

// The Sync button and, when it ends, a plain summary of what happened.
function syncBox() {
  const result = el('p', {class: 'sync-result', role: 'status'});
  const button = el('button', {class: 'primary', id: 'sync', onclick: async () => {
    button.disabled = true;
    result.textContent = t('syncing');
    const r = await api('POST', '/sync');
    button.disabled = false;
    if (r.status !== 200) {
      result.textContent = (r.data.error === 'unreachable' ? t('sync_unreachable') : t('sync_failed')) + ' ' + (r.data.message || '');
      return;
    }
    await home();
    const again = main().querySelector('.sync-result');
    if (again) again.textContent = t('sync_done', r.data.sent, r.data.received, r.data.sent_back);
  }}, t('sync'));
  return el('div', {class: 'sync'}, button, result);
}

async function startForm(id) {
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

async function fill(draft) {
  const r = await api('GET', '/drafts/' + draft);
  if (r.status !== 200) return show(heading(t('failed')), el('p', {class: 'error'}, r.data.message || r.data.error));
  renderScreen(r.data);
}

// --- a record, the laptop ------------------------------------------------------------

async function record(id, saved) {
  const r = await api('GET', '/records/' + id);
  if (r.status !== 200) return show(heading(t('no_such_page')));
  const d = r.data;
  show(saved ? el('p', {class: 'ok', role: 'status'}, t('saved')) : null, heading(d.title),
    el('p', {}, el('span', {class: 'badge state-' + d.state}, t('state.' + d.state)), ' ', el('span', {class: 'muted'}, when(d.updated_ms))),
    d.comment ? el('p', {class: d.state === 'sent_back' ? 'sentback' : 'note'}, el('strong', {}, t('comment') + ': '), d.comment) : null,
    el('table', {class: 'summary'}, el('tbody', {}, (d.answers || []).map((a) => el('tr', {},
      el('th', {scope: 'row'}, a.label + (a.instance ? ' [' + a.instance + ']' : '')), el('td', {}, a.answer))))),
    el('div', {class: 'actions'}, el('a', {class: 'button', href: '#/'}, t('home')),
      el('button', {class: 'primary', id: 'edit', onclick: async () => {
        const e = await api('POST', '/records/' + id + '/edit');
        if (e.status === 201) location.hash = '#/fill/' + e.data.draft;
      }}, t('edit'))));
}

async function laptop() {
  const {data} = await api('GET', '/laptop');
  show(heading(t('laptop')), el('dl', {class: 'facts'},
    el('dt', {}, t('fingerprint')), el('dd', {class: 'fingerprint'}, data.fingerprint),
    el('dt', {}, t('server')), el('dd', {}, data.server || t('not_enrolled')),
    el('dt', {}, t('receipts')), el('dd', {}, String(data.receipts)),
    el('dt', {}, t('last_sync')), el('dd', {}, data.last_sync_ms ? when(data.last_sync_ms) : t('never'))),
  data.unlocked ? el('button', {id: 'lock', onclick: async () => { await api('POST', '/lock'); route(); }}, t('lock'))
    : unlockBox(route));
}

// --- routes ------------------------------------------------------------------

function words() {
  document.documentElement.lang = lang;
  document.getElementById('nav-home').textContent = t('home');
  document.getElementById('nav-laptop').textContent = t('laptop');
  document.getElementById('lang-label').textContent = t('language');
  document.getElementById('lang').value = lang;
}

async function route() {
  words();
  const [, page, arg] = location.hash.split('/');
  if (page === 'fill') return fill(arg);
  if (page === 'record') return record(arg, false);
  if (page === 'saved') return record(arg, true);
  if (page === 'laptop') return laptop();
  return home();
}

async function startPage() {
  const {data} = await api('GET', '/home');
  await useLanguage(data.language || 'ru');
  document.getElementById('lang').addEventListener('change', async (e) => {
    const r = await api('POST', '/language', {language: e.target.value});
    if (r.status === 200) await useLanguage(r.data.language);
    route();
  });
  window.addEventListener('hashchange', route);
  route();
}

startPage();
