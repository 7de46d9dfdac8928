// The small pieces every screen of the volunteer's page uses. Nothing
// from a form or a record is ever parsed as HTML: `el` sets strings as text
// nodes or attribute values only.
import {lang, t} from './i18n.js';

export const main = () => document.getElementById('main');

// el('p', {class: 'x'}, 'text', child): strings become text nodes.
export function el(tag, attrs = {}, ...children) {
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

export async function api(method, path, body) {
  const res = await fetch('/api' + path, {method, headers: body ? {'Content-Type': 'application/json'} : {},
    body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin'});
  let data = {};
  try { data = await res.json(); } catch (e) { data = {error: 'failed'}; }
  return {status: res.status, data};
}

// How many screens show() has put up. Replacing a screen whose field has
// the focus fires that field's focusout, on the old screen, during the
// replacement: its handlers compare this number to their own screen's, so
// that what the new screen already carries is not sent again.
let screensShown = 0;
export function screenNumber() { return screensShown; }

export function show(...nodes) {
  screensShown += 1;
  main().replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
  const h = main().querySelector('h1');
  if (h) h.focus();
}

export function heading(text) { return el('h1', {tabindex: '-1'}, text); }

const locale = () => (lang === 'kk' ? 'kk-KZ' : lang === 'ru' ? 'ru-RU' : 'en-GB');

export function when(ms) {
  return ms ? new Date(ms).toLocaleString(locale()) : '';
}

// An answer as the page shows it: a date answer (`dala ui` words it
// YYYY-MM-DD, as `dala list` does) written as the times beside it are,
// 08.12.2026 in Russian and Kazakh; any other text as it is.
export function shown(text) {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || '');
  if (!day) return text;
  return new Date(Date.UTC(+day[1], +day[2] - 1, +day[3])).toLocaleDateString(locale(), {timeZone: 'UTC'});
}

// A record's summary (its centre · its day): each part as `shown`.
export function summaryShown(text) {
  return (text || '').split(' · ').map(shown).join(' · ');
}

// --- the key -----------------------------------------------------------------

export function unlockBox(done) {
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

