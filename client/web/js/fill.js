// Filling a form: one screen at a time, as the form engine in `dala ui`
// decides it. The page only draws the screen and sends back what was typed.
import {t} from './i18n.js';
import {api, el, heading, main, screenNumber, show, shown, unlockBox} from './dom.js';

export async function startForm(id) {
  const r = await api('POST', '/drafts', {form: id});
  if (r.status === 201) location.hash = '#/fill/' + r.data.draft;
}

// --- filling a form ----------------------------------------------------------------

// A long reference list (the service centres) gets a search box above it.
export const SEARCH_FROM = 9;

const requiredMark = () => el('span', {class: 'required', title: t('required'), 'aria-label': t('required')}, ' *');

// The control for a question, and a function giving its answer as the
// text the engine parses (as typed in `dala collect`). `id` names the
// control (`answer` on a screen of one question); `legend` shows a choice
// list's label above it (on a field-list screen, where no h1 names it).
function control(step, id, legend) {
  const a = step.answer;
  const type = step.type;
  if (type === 'select_one' || type === 'select_multiple' || type === 'rating') {
    const multiple = type === 'select_multiple';
    const rating = type === 'rating';
    const choices = rating ? Array.from({length: step.scale}, (_, i) => ({name: String(i + 1), label: String(i + 1)}))
      : step.choices;
    const chosen = new Set(Array.isArray(a) ? a.map(String) : a !== undefined ? [String(a)] : []);
    const box = el('fieldset', {class: 'choices' + (rating ? ' stars' : ''), id},
      el('legend', {class: legend ? 'field-label' : 'sr-only'}, step.label, legend && step.required ? requiredMark() : null));
    const list = el('div', {class: 'choice-list'});
    // A rating is radio buttons drawn as stars with their numbers: arrows
    // and Tab work as for any radio group, and 1-9 pick a number directly.
    const items = choices.map((c, i) => el('label', {class: rating ? 'star' : 'choice'},
      el('input', {type: multiple ? 'checkbox' : 'radio', name: id, value: c.name, checked: chosen.has(c.name),
        id: id + '-choice-' + i}),
      rating ? [el('span', {class: 'glyph', 'aria-hidden': 'true'}, '★'), el('span', {class: 'number'}, c.label)]
        : el('span', {}, c.label)));
    if (rating) {
      const light = () => {
        const v = Number((box.querySelector('input:checked') || {}).value || 0);
        items.forEach((it, i) => it.classList.toggle('lit', i < v));
      };
      box.addEventListener('change', light);
      box.addEventListener('keydown', (e) => {
        const n = Number(e.key);
        if (n >= 1 && n <= choices.length) { items[n - 1].querySelector('input').click(); e.preventDefault(); }
      });
      light();
    }
    let search = null;
    if (choices.length >= SEARCH_FROM) {
      search = el('input', {type: 'search', class: 'choice-search', id: id + '-search', placeholder: t('search'),
        'aria-label': t('search') + ': ' + step.label,
        oninput: () => {
          const q = search.value.toLowerCase();
          items.forEach((it) => { it.hidden = q !== '' && !it.textContent.toLowerCase().includes(q); });
        }});
    }
    list.append(...items);
    box.append(...[search, list].filter(Boolean));
    return [[box], () => Array.from(box.querySelectorAll('input:checked')).map((x) => x.value).join(' ')];
  }
  if (type === 'acknowledge') {
    const box = el('input', {type: 'checkbox', id, checked: a === true});
    return [[el('label', {class: 'choice'}, box, el('span', {}, t('agree')))], () => (box.checked ? '1' : '')];
  }
  if (type === 'geopoint') return geopoint(step, id);
  if (type === 'note') return [[], () => ''];
  const kinds = {integer: ['number', '1'], decimal: ['number', 'any'], date: ['date'], time: ['time'],
    datetime: ['datetime-local']};
  const [inputType, step_] = kinds[type] || ['text'];
  let value = a === undefined ? '' : String(a);
  if (type === 'datetime' && value) value = value.slice(0, 16);
  const input = el(type === 'text' ? 'textarea' : 'input', {type: type === 'text' ? undefined : inputType, id,
    step: step_, inputmode: type === 'integer' ? 'numeric' : type === 'decimal' ? 'decimal' : undefined, rows: 2,
    readonly: step.read_only});
  input.value = value;
  return [[input], () => input.value.trim()];
}

// Latitude and longitude typed in, or taken from the browser's location
// where the volunteer allows it.
function geopoint(step, id) {
  const a = step.answer;
  const lat = el('input', {type: 'number', step: 'any', id, value: a && a.lat !== undefined ? a.lat : ''});
  const lon = el('input', {type: 'number', step: 'any', id: id + '-lon', value: a && a.lon !== undefined ? a.lon : ''});
  const status = el('p', {class: 'location-status', role: 'status', id: id + '-location'});
  const parts = [el('label', {for: id}, t('latitude')), lat, el('label', {for: id + '-lon'}, t('longitude')), lon];
  if (navigator.geolocation) {
    const button = el('button', {type: 'button', class: 'locate', id: id + '-locate', onclick: () => {
      status.textContent = t('locating');
      button.disabled = true;
      navigator.geolocation.getCurrentPosition((p) => {
        button.disabled = false;
        lat.value = String(p.coords.latitude);
        lon.value = String(p.coords.longitude);
        status.textContent = t('location_taken', Math.round(p.coords.accuracy));
        lon.dispatchEvent(new Event('change', {bubbles: true}));
      }, (e) => {
        button.disabled = false;
        status.textContent = t(e.code === 1 ? 'location_denied' : e.code === 3 ? 'location_timeout' : 'location_unavailable');
      }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
    }}, t('use_my_location'));
    parts.push(button);
  }
  parts.push(status);
  return [parts, () => (lat.value === '' && lon.value === '' ? '' : lat.value + ' ' + lon.value)];
}

// Requests leave one after another, so an answer set as a field is left
// reaches the engine before the Next that follows it. An action on a
// one-question screen names the step it showed (`at`): one the draft has
// already left (a second click on Next before the first was answered)
// changes nothing and gets the screen the draft is on, and is never applied
// to the step after. A group screen's fields name themselves ('set').
const stepOf = (step) => ({kind: step.kind, question: step.name, path: step.path});

let queue = Promise.resolve();
function send(action, draft, body) {
  const next = queue.then(() => api('POST', '/drafts/' + draft + '/' + action, body || {}));
  queue = next.catch(() => {});
  return next;
}

async function act(draft, action, body) {
  const r = await send(action, draft, body);
  renderScreen(r.data);
  // A refused answer stays in its field, beside the form's message, to fix.
  const typed = ['text', 'integer', 'decimal', 'date', 'time', 'datetime'];
  const field = main().querySelector('#answer');
  if (r.data.error && action === 'answer' && field && r.data.step && typed.includes(r.data.step.type)) {
    field.value = body.text;
  }
}

function header(s, step) {
  const parts = [el('p', {class: 'form-title'}, s.title),
    el('p', {class: 'progress'}, t('question') + ' ' + s.position + ' ' + t('of') + ' ' + s.total)];
  if (step.repeat) parts.push(el('p', {class: 'repeat'}, step.repeat + (step.instance ? ' · ' + step.instance : '')));
  return parts;
}

// "Remove this visit": asked once more in the page, never by a browser dialog.
function removal(s, step, at) {
  if (!step.removable) return null;
  const box = el('div', {class: 'removal'});
  const ask = el('button', {type: 'button', id: 'remove', class: 'danger-quiet', onclick: () => {
    box.replaceChildren(el('p', {role: 'alert'}, t('remove_confirm', step.repeat + ' ' + step.instance)),
      el('div', {class: 'actions'},
        el('button', {type: 'button', id: 'remove-yes', class: 'danger', onclick: () => act(s.draft, 'remove', at ? {at} : {})}, t('remove')),
        el('button', {type: 'button', id: 'remove-no', onclick: () => box.replaceChildren(ask)}, t('keep'))));
    box.querySelector('#remove-no').focus();
  }}, t('remove_instance', step.repeat + ' ' + step.instance));
  box.append(ask);
  return box;
}

function renderScreen(s) {
  if (s.error && !s.draft) return show(heading(t('failed')), el('p', {class: 'error'}, s.message || s.error));
  if (s.at_end) return renderSummary(s);
  if (s.fields) return renderGroup(s);
  const step = s.step;
  const at = stepOf(step);
  const parts = header(s, step);
  if (step.kind === 'add_repeat') {
    parts.push(el('h1', {tabindex: '-1', 'data-question': 'add:' + step.name}, t('add_another') + ': ' + step.label + ' (' + step.instance + ')?'),
      el('div', {class: 'actions'},
        el('button', {class: 'primary', id: 'yes', onclick: () => act(s.draft, 'answer', {text: 'yes', at})}, t('yes')),
        el('button', {id: 'no', onclick: () => act(s.draft, 'answer', {text: 'no', at})}, t('no')),
        el('button', {id: 'back', onclick: () => act(s.draft, 'back', {at})}, t('back'))));
  } else {
    const [controls, value] = control(step, 'answer', false);
    const label = el('h1', {tabindex: '-1', id: 'question', 'data-question': step.name + (step.instance ? '.' + step.instance : '')},
      el('label', {for: 'answer'}, step.label));
    if (step.required) label.append(requiredMark());
    parts.push(label);
    if (step.hint) parts.push(el('p', {class: 'hint'}, step.hint));
    parts.push(el('div', {class: 'control'}, controls));
    if (s.error) parts.push(el('p', {class: 'error', role: 'alert', id: 'error'}, s.error));
    const next = async (e) => {
      e.preventDefault();
      const text = value();
      if (text === '' && step.answer !== undefined) await send('clear', s.draft, {at});
      act(s.draft, 'answer', {text, at});
    };
    parts.push(el('form', {class: 'actions', onsubmit: next},
      el('button', {type: 'button', id: 'back', onclick: () => act(s.draft, 'back', {at})}, t('back')),
      el('button', {type: 'submit', class: 'primary', id: 'next'}, t('next'))));
    parts.push(removal(s, step, at));
  }
  parts.push(extras(s));
  show(...parts);
  const first = main().querySelector('#answer, #answer-choice-0, #yes');
  if (first && s.error === '') first.focus();
}

// Names are [A-Za-z_][A-Za-z0-9_]*, so this is a valid id, and one that
// stays with its question when others appear or vanish around it.
const fieldId = (f) => ['field', f.name, ...f.path].join('-');

// A field-list group: every visible question of it on one screen. Each is
// sent to the engine as it is left, and the screen it sends back (questions
// shown or hidden, choices narrowed, calculations) replaces this one.
function renderGroup(s, refused) {
  let screen = -1;  // this screen's number, once shown
  const fields = s.fields.map((f) => {
    const id = fieldId(f);
    const choice = ['select_one', 'select_multiple', 'rating'].includes(f.type);
    const [controls, value] = control(f, id, choice);
    const key = f.name + (f.instance ? '.' + f.instance : '');
    const box = el('div', {class: 'field', 'data-question': key},
      choice ? null : el('label', {for: id, class: 'field-label'}, f.label),
      !choice && f.required ? requiredMark() : null,
      f.hint ? el('p', {class: 'hint'}, f.hint) : null,
      el('div', {class: 'control'}, controls),
      f.error ? el('p', {class: 'error', role: 'alert', id: id + '-error'}, f.error) : null);
    if (f.error) box.querySelector('#' + id)?.setAttribute('aria-describedby', id + '-error');
    const item = {box, f, value, sent: value()};
    const leave = async () => {
      // A replaced screen: rerender carried any unsent text into the new
      // screen's field, whose own handler sends it.
      if (screen !== screenNumber()) return;
      const text = value();
      if (text === item.sent || f.type === 'note') return;
      // Leaving the latitude for the longitude is not leaving the question.
      if (f.type === 'geopoint' && text !== '' && text.split(' ').includes('')) return;
      item.sent = text;
      const r = await send('set', s.draft, {question: f.name, path: f.path, text});
      rerender(r.data, f, text);
    };
    // `change` for a click on a choice; `focusout` also for text typed into
    // a field redrawn meanwhile (its value set by the page fires no change).
    box.addEventListener('change', leave);
    box.addEventListener('focusout', leave);
    return item;
  });
  const submit = async (e) => {
    e.preventDefault();
    for (const {f, value, sent} of fields) {
      const text = value();
      if (text !== sent && f.type !== 'note') send('set', s.draft, {question: f.name, path: f.path, text});
    }
    await act(s.draft, 'next');
  };
  const g = s.group;
  show(...header(s, s.step),
    el('h1', {tabindex: '-1', 'data-question': 'group:' + g.name}, g.label),
    g.hint ? el('p', {class: 'hint'}, g.hint) : null,
    ...fields.map((x) => x.box),
    s.error && !s.fields.some((f) => f.error) ? el('p', {class: 'error', role: 'alert', id: 'error'}, s.error) : null,
    el('form', {class: 'actions', onsubmit: submit},
      el('button', {type: 'button', id: 'back', onclick: () => act(s.draft, 'back')}, t('back')),
      el('button', {type: 'submit', class: 'primary', id: 'next'}, t('next'))),
    removal(s, s.step), extras(s));
  screen = screenNumber();
  if (refused) {
    // The text the engine refused stays in its field, to fix. It counts as
    // sent: leaving the field unchanged must not send it again, or each
    // refusal's redraw (which can take the focus out of it) sends it again.
    const input = document.getElementById(fieldId(refused.f));
    if (input && ['INPUT', 'TEXTAREA'].includes(input.tagName)) {
      input.value = refused.text;
      const item = fields.find((x) => fieldId(x.f) === fieldId(refused.f));
      if (item) item.sent = item.value();
    }
  }
  const wrong = main().querySelector('.field .error');
  if (wrong) wrong.closest('.field').querySelector('input, textarea')?.focus();
}

// After a field was set: the new screen, with the focus (and anything typed
// in the focused field, not yet sent) where the volunteer is.
function rerender(s, f, text) {
  const active = document.activeElement;
  const keep = active && active.id && main().contains(active) ? {id: active.id, value: active.value} : null;
  if (!s.fields) return renderScreen(s);
  renderGroup(s, s.fields.some((x) => x.error) ? {f, text} : null);
  if (keep && !main().querySelector('.field .error')) {
    const again = document.getElementById(keep.id);
    if (again) {
      if (['INPUT', 'TEXTAREA'].includes(again.tagName) && !['radio', 'checkbox'].includes(again.type)) again.value = keep.value;
      again.focus();
    }
  }
}

// The calculations as they stand, and a jump list of the answers so far.
function extras(s) {
  const box = el('div', {class: 'extras'});
  if (s.calculated.length) box.append(el('dl', {class: 'calculated'}, s.calculated.map((c) => [el('dt', {}, c.label), el('dd', {}, shown(c.value))])));
  if (s.answered.length) {
    box.append(el('details', {}, el('summary', {}, t('answered')), el('ol', {}, s.answered.map((a) => el('li', {},
      el('button', {class: 'link', onclick: () => act(s.draft, 'goto', {step: a.step})},
        a.label + (a.instance ? ' [' + a.instance + ']' : '')), ': ', shown(a.answer))))));
  }
  return box;
}

function renderSummary(s) {
  const message = el('p', {class: 'error', role: 'alert'});
  const rows = el('table', {class: 'summary'}, el('tbody', {}, s.answered.map((a) => el('tr', {},
    el('th', {scope: 'row'}, el('button', {class: 'link', onclick: () => act(s.draft, 'goto', {step: a.step})},
      a.label + (a.instance ? ' [' + a.instance + ']' : ''))), el('td', {}, shown(a.answer))))));
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

